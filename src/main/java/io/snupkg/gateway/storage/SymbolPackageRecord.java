package io.snupkg.gateway.storage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the gateway knows about the symbol packages of one id and version: the one being served
 * ({@code available}), the one being checked ({@code pending}, at most one), and the last one that failed, with its
 * reasons. A new push becomes pending while the available one stays served; publishing moves pending to available,
 * or to failed.
 */
public record SymbolPackageRecord(String id, String version, Optional<Upload> available, Optional<Upload> pending,
    Optional<Failure> failed) {

  public enum State { PENDING, AVAILABLE, FAILED }

  /** One pushed snupkg: its SHA-512 names its file. */
  public record Upload(String sha512, long size, String subject, Instant pushedAt) {
    JsonObject toJson() {
      return new JsonObject().put("sha512", sha512).put("size", size).put("subject", subject)
          .put("pushedAt", pushedAt.toString());
    }

    static Upload fromJson(JsonObject j) {
      return new Upload(j.getString("sha512"), j.getLong("size"), j.getString("subject"),
          Instant.parse(j.getString("pushedAt")));
    }
  }

  public record Failure(Upload upload, List<String> reasons, Instant at) {}

  public static SymbolPackageRecord empty(String id, String version) {
    return new SymbolPackageRecord(id, version, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The state users see: pending while a push is being checked, else available, else failed. */
  public State state() {
    return pending.isPresent() ? State.PENDING : available.isPresent() ? State.AVAILABLE : State.FAILED;
  }

  public SymbolPackageRecord withPending(Upload upload) {
    return new SymbolPackageRecord(id, version, available, Optional.of(upload), failed);
  }

  /** The pending push was published: it replaces the available one. */
  public SymbolPackageRecord published() {
    return new SymbolPackageRecord(id, version, pending, Optional.empty(), failed);
  }

  /** The pending push failed: the available one, if any, stays. */
  public SymbolPackageRecord failed(List<String> reasons, Instant at) {
    return new SymbolPackageRecord(id, version, available, Optional.empty(),
        Optional.of(new Failure(pending.orElseThrow(), List.copyOf(reasons), at)));
  }

  /** Publishing's outcome for the pending push: available when {@code failure} is empty, else failed with it. */
  public SymbolPackageRecord finished(Optional<List<String>> failure, Instant at) {
    return failure.isEmpty() ? published() : failed(failure.get(), at);
  }

  /**
   * The snupkg that {@link #finished} makes obsolete, of this record before it: the pending one when it failed, or
   * the available one it replaces.
   */
  public Optional<String> obsoleteWhenFinished(Optional<List<String>> failure) {
    String pushed = pending.orElseThrow().sha512();
    return failure.isPresent() ? Optional.of(pushed)
        : available.map(Upload::sha512).filter(sha -> !sha.equals(pushed));
  }

  /** The status JSON of DESIGN.md: id, version, state, and the reasons of the last failure. */
  public JsonObject status() {
    List<String> reasons = state() == State.FAILED || (state() == State.AVAILABLE && failed.isPresent())
        ? failed.map(Failure::reasons).orElse(List.of()) : List.of();
    return new JsonObject().put("id", id).put("version", version)
        .put("state", state().name().toLowerCase(Locale.ROOT)).put("reasons", new JsonArray(reasons));
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("id", id).put("version", version);
    available.ifPresent(u -> j.put("available", u.toJson()));
    pending.ifPresent(u -> j.put("pending", u.toJson()));
    failed.ifPresent(f -> j.put("failed", new JsonObject().put("upload", f.upload().toJson())
        .put("reasons", new JsonArray(f.reasons())).put("at", f.at().toString())));
    return j;
  }

  public static SymbolPackageRecord fromJson(JsonObject j) {
    Optional<Failure> failed = Optional.ofNullable(j.getJsonObject("failed")).map(f -> new Failure(
        Upload.fromJson(f.getJsonObject("upload")),
        f.getJsonArray("reasons", new JsonArray()).stream().map(String::valueOf).toList(),
        Instant.parse(f.getString("at"))));
    return new SymbolPackageRecord(j.getString("id"), j.getString("version"),
        Optional.ofNullable(j.getJsonObject("available")).map(Upload::fromJson),
        Optional.ofNullable(j.getJsonObject("pending")).map(Upload::fromJson), failed);
  }
}
