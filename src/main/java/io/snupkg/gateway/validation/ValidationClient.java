package io.snupkg.gateway.validation;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** Asks the validation worker about a spooled upload, by name: bytes never travel on the event bus. */
public final class ValidationClient {
  private static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final DeliveryOptions options;
  private final GatewayMetrics metrics;

  public ValidationClient(Vertx vertx, Duration timeout, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.options = new DeliveryOptions().setSendTimeout(timeout.toMillis());
  }

  /**
   * The manifest, or a failed future with a {@link Rejection}: 400 for a bad package, 503 if the worker cannot
   * answer in time or cannot read the stored file.
   */
  public Future<PackageManifest> validate(String spoolName, PackageInspector.Kind kind) {
    JsonObject request = new JsonObject().put("spool", spoolName).put("kind", kind.name());
    return vertx.eventBus().<JsonObject>request(ValidationVerticle.ADDRESS, request, options)
        .recover(err -> Future.failedFuture(toRejection(err)))
        .compose(reply -> {
          JsonObject invalid = reply.body().getJsonObject("invalid");
          if (invalid != null) {
            metrics.validationFailed(invalid.getString("rule"));
            return Future.failedFuture(Rejection.badRequest(invalid.getString("reason")));
          }
          return Future.succeededFuture(PackageManifest.fromJson(reply.body().getJsonObject("manifest")));
        });
  }

  private static Rejection toRejection(Throwable err) {
    if (err instanceof ReplyException re) {
      switch (re.failureType()) {
        case RECIPIENT_FAILURE:
          return Rejection.unavailable(re.getMessage(), RETRY_AFTER);
        case TIMEOUT:
          return Rejection.unavailable("Validation of the package timed out; retry later", RETRY_AFTER);
        default:
          return Rejection.unavailable("The validation worker is not available; retry later", RETRY_AFTER);
      }
    }
    return Rejection.unavailable("The validation worker is not available; retry later", RETRY_AFTER);
  }
}
