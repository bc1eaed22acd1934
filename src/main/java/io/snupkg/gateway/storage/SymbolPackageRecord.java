package io.snupkg.gateway.storage;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** What the gateway knows about the stored snupkg of one id and version. */
public record SymbolPackageRecord(String id, String version, String sha512, long size, String subject,
    State state, Instant pushedAt) {

  public enum State { PENDING, AVAILABLE, FAILED }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("version", version).put("sha512", sha512).put("size", size)
        .put("subject", subject).put("state", state.name().toLowerCase(java.util.Locale.ROOT))
        .put("pushedAt", pushedAt.toString());
  }

  public static SymbolPackageRecord fromJson(JsonObject j) {
    return new SymbolPackageRecord(j.getString("id"), j.getString("version"), j.getString("sha512"),
        j.getLong("size"), j.getString("subject"), State.valueOf(j.getString("state").toUpperCase(java.util.Locale.ROOT)),
        Instant.parse(j.getString("pushedAt")));
  }
}
