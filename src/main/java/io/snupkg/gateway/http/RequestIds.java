package io.snupkg.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@code X-Request-Id}: the caller's, when it sends a sane one (a load balancer's or a CI job's), else a new one;
 * echoed on the response and written on every log line about the request, so one push can be followed from the
 * client through the ingress to the gateway's logs.
 */
public final class RequestIds implements Handler<RoutingContext> {
  public static final String HEADER = "X-Request-Id";
  /** Anything else might forge log lines or carry a secret: it is replaced, not echoed. */
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  @Override
  public void handle(RoutingContext ctx) {
    String given = ctx.request().getHeader(HEADER);
    String id = given != null && SANE.matcher(given).matches() ? given : newId();
    ctx.response().putHeader(HEADER, id);
    ctx.next();
  }

  /**
   * A random (version 4) UUID from {@link ThreadLocalRandom}: an id must be unique, not secret, and
   * {@code UUID.randomUUID()} draws from a shared SecureRandom on every request.
   */
  static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48);
    return new UUID(msb, lsb).toString();
  }

  /** The request's id, as {@link RequestIds} set it on the response; "-" outside the router. */
  public static String of(HttpServerRequest request) {
    String id = request.response().headers().get(HEADER);
    return id == null ? "-" : id;
  }
}
