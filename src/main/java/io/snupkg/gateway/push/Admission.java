package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.auth.KeyAuthority;
import io.snupkg.gateway.auth.Principal;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.DiskSpace;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * Everything decided before the first body byte is read: is there a key, does the declared length fit, is there
 * room on the disk, is the key valid, has it pushes left this hour. Only when all pass does the client get
 * {@code 100 Continue} (if it asked for one).
 */
public final class Admission {
  public static final String API_KEY_HEADER = "X-NuGet-ApiKey";
  /** Every value of it, on any answer, is printed by both NuGet clients as a warning line. */
  public static final String WARNING_HEADER = "X-NuGet-Warning";

  private final KeyAuthority authority;
  private final RateLimiter rateLimit;
  private final DiskSpace disk;

  public Admission(KeyAuthority authority, RateLimiter rateLimit, DiskSpace disk) {
    this.authority = authority;
    this.rateLimit = rateLimit;
    this.disk = disk;
  }

  /**
   * An admitted upload: who sends it, whether {@code 100 Continue} went out, and the warning for its answer (its key
   * is close to the rate limit), or null.
   */
  public record Admitted(ApiKey key, Principal principal, boolean continueSent, String warning) {}

  public Future<Admitted> admit(HttpServerRequest request, long limit, String what) {
    Rejection early = headerCheck(request, limit, what);
    if (early != null) {
      return Future.failedFuture(early);
    }
    // Before the key check: on a full disk nothing can be stored, whoever pushes, and the auth service is spared.
    if (disk.tooFull()) {
      return Future.failedFuture(DiskSpace.full());
    }
    ApiKey key = ApiKey.of(request.getHeader(API_KEY_HEADER).trim());
    // After the key check: an unknown key gets its 403, not a 429 that would tell it apart from a known one.
    return authority.admit(key).compose(principal -> rateLimit.take(key).compose(left -> {
      boolean expectsContinue = request.version() != HttpVersion.HTTP_1_0
          && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT));
      if (expectsContinue) {
        request.response().writeContinue();
      }
      return Future.succeededFuture(new Admitted(key, principal, expectsContinue,
          RateLimiter.lowWarning(left, rateLimit.pushesPerHour())));
    }));
  }

  /** What the request head alone decides: a key is present (401) and the declared length fits (413); else null. */
  static Rejection headerCheck(HttpServerRequest request, long limit, String what) {
    String raw = request.getHeader(API_KEY_HEADER);
    if (raw == null || raw.isBlank()) {
      return Rejection.noApiKey();
    }
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          return Rejection.tooLarge(what, limit);
        }
      } catch (NumberFormatException e) {
        return Rejection.badRequest("Content-Length is not a number");
      }
    }
    return null;
  }
}
