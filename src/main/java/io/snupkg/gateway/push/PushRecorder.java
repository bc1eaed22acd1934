package io.snupkg.gateway.push;

import io.snupkg.gateway.http.ClientGoneException;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.http.RequestIds;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.Kind;
import io.snupkg.gateway.metrics.GatewayMetrics.Stage;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one push leaves behind when it is answered: the push counter and stage timings, one log line for people
 * and one audit line for machines. The audit line goes to the logger {@value #AUDIT_LOGGER} as a single JSON
 * object, so it can be routed, kept or shipped apart from the rest (conf/logback.xml). Neither line ever
 * holds the key: only the subject it belongs to.
 *
 * <p>Confined to the request's event loop.
 */
final class PushRecorder {
  static final String AUDIT_LOGGER = "snupkg.audit";
  private static final Logger LOG = LoggerFactory.getLogger(PushRecorder.class);
  private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);

  private final GatewayMetrics metrics;
  private final Kind kind;
  private final HttpServerRequest request;
  private final long started = System.nanoTime();
  private final GatewayMetrics.Upload upload;
  private long stageStarted = started;
  private String subject;
  private String id;
  private String version;
  private String sha512;
  private long bytes;
  private boolean finished;

  PushRecorder(GatewayMetrics metrics, Kind kind, HttpServerRequest request) {
    this.metrics = metrics;
    this.kind = kind;
    this.request = request;
    this.upload = metrics.uploadStarted(kind);
  }

  GatewayMetrics.Upload upload() {
    return upload;
  }

  /** Ends the stage under way (it lasted since the previous one ended) and starts the next. */
  void stageEnded(Stage stage) {
    long now = System.nanoTime();
    metrics.stage(stage, now - stageStarted);
    stageStarted = now;
  }

  void subject(String subject) {
    this.subject = subject;
  }

  void body(long bytes, String sha512) {
    this.bytes = bytes;
    this.sha512 = sha512;
  }

  void pkg(String id, String version) {
    this.id = id;
    this.version = version;
  }

  void accepted(int status) {
    finish(status, "accepted", null);
  }

  /** The answer to a failure: its status and reason, or "aborted" when the client went away. */
  void refused(Throwable failure) {
    if (failure instanceof ClientGoneException) {
      finish(null, "aborted", failure.getMessage());
    } else if (failure instanceof Rejection r) {
      finish(r.status(), "refused", r.reason());
    } else {
      finish(500, "refused", "internal error");
    }
  }

  /** @param status the HTTP status answered; null when the client went away before an answer */
  private void finish(Integer status, String outcome, String reason) {
    if (finished) {
      return;
    }
    finished = true;
    upload.end();
    String answered = status == null ? "aborted" : status.toString();
    metrics.pushed(kind, answered);
    long millis = (System.nanoTime() - started) / 1_000_000;
    String requestId = RequestIds.of(request);
    String who = subject == null ? "-" : subject;
    String what = id == null ? "" : " " + id + " " + version;
    if (reason == null) {
      LOG.info("{} {}{} by {}: {} ({} bytes, {} ms) [{}]", request.method(), request.path(), what, who, answered,
          bytes, millis, requestId);
    } else {
      LOG.info("{} {}{} by {}: {} {} ({} ms) [{}]", request.method(), request.path(), what, who, answered, reason,
          millis, requestId);
    }
    JsonObject audit = new JsonObject()
        .put("event", "push")
        .put("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
        .put("outcome", outcome)
        .put("status", status)
        .put("subject", subject)
        .put("id", id)
        .put("version", version)
        .put("sha512", sha512)
        .put("bytes", bytes)
        .put("durationMs", millis)
        .put("reason", reason)
        .put("client", request.remoteAddress() == null ? null : request.remoteAddress().hostAddress())
        .put("requestId", requestId);
    AUDIT.info(audit.encode());
  }
}
