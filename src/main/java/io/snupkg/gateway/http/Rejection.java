package io.snupkg.gateway.http;

import io.snupkg.gateway.config.DataSize;
import java.time.Duration;
import java.util.Optional;

/**
 * A request the gateway answers with a non-2xx status on purpose. The reason becomes the HTTP reason phrase,
 * which is all that the NuGet client prints, so each one names the problem. Factories hold the vocabulary of
 * DESIGN.md ("Error and status vocabulary") in one place.
 */
public final class Rejection extends RuntimeException {
  public static final String NO_API_KEY =
      "An API key must be provided in the 'X-NuGet-ApiKey' header to use this service";
  public static final String FORBIDDEN =
      "The specified API key is invalid, has expired, or does not have permission to access the specified package.";

  private final int status;
  private final Optional<Duration> retryAfter;

  private Rejection(int status, String reason, Optional<Duration> retryAfter) {
    super(ReasonPhrase.of(reason), null, false, false);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return getMessage();
  }

  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  public static Rejection badRequest(String reason) {
    return new Rejection(400, reason, Optional.empty());
  }

  public static Rejection noApiKey() {
    return new Rejection(401, NO_API_KEY, Optional.empty());
  }

  public static Rejection forbidden() {
    return new Rejection(403, FORBIDDEN, Optional.empty());
  }

  /** A 403 that is not about a key (the symbol server's SymbolChecksum rule). */
  public static Rejection forbiddenWith(String reason) {
    return new Rejection(403, reason, Optional.empty());
  }

  public static Rejection notFound(String reason) {
    return new Rejection(404, reason, Optional.empty());
  }

  public static Rejection parentMissing(String id, String version) {
    return notFound("A package with ID '" + id + "' and version '" + version
        + "' does not exist. Please upload the package before uploading its symbols.");
  }

  public static Rejection methodNotAllowed(String method) {
    return new Rejection(405, "Method " + method + " is not allowed on this resource", Optional.empty());
  }

  public static Rejection conflict(String reason) {
    return new Rejection(409, reason, Optional.empty());
  }

  public static Rejection tooLarge(String what, long limit) {
    return new Rejection(413, "The " + what + " exceeds the size limit of " + DataSize.format(limit) + ".",
        Optional.empty());
  }

  /** A bug in the gateway: says nothing about the cause, which is in the log. */
  public static Rejection internal() {
    return new Rejection(500, "Internal error in the gateway; nothing was stored", Optional.empty());
  }

  /** The key's push rate limit is used up (nuget.org's wording); {@code retryAfter} is when the next push fits. */
  public static Rejection tooManyRequests(int pushesPerHour, Duration retryAfter) {
    return new Rejection(429, "Rate limit exceeded: this API key may push " + pushesPerHour
        + " packages an hour; retry after " + Math.max(1, retryAfter.toSeconds()) + " s", Optional.of(retryAfter));
  }

  public static Rejection unavailable(String reason, Duration retryAfter) {
    return new Rejection(503, reason, Optional.of(retryAfter));
  }

  /**
   * An upstream service's own refusal, relayed as it was given (the package pass-through): any 4xx or 5xx status;
   * an empty reason becomes a generic one.
   */
  public static Rejection relayed(int status, String reason) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("not an error status: " + status);
    }
    return new Rejection(status, reason == null || reason.isBlank() ? "The upstream feed answered " + status : reason,
        Optional.empty());
  }
}
