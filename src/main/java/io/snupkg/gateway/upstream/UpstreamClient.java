package io.snupkg.gateway.upstream;

import io.snupkg.gateway.config.GatewayConfig.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;

/**
 * One upstream service (the auth service, the feed) as the gateway calls it: a {@link WebClient} with the
 * configured trust, every request carrying the configured credentials and bounded by the configured timeout.
 * The credentials are the gateway's own, never a pusher's key, and are never logged.
 */
public final class UpstreamClient {
  private final WebClient client;
  private final Upstream settings;
  private final Duration timeout;

  public UpstreamClient(Vertx vertx, Upstream settings, Duration timeout) {
    this.settings = settings;
    this.timeout = timeout;
    WebClientOptions options = new WebClientOptions()
        .setUserAgent("snupkg-gateway")
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
        .setKeepAlive(true);
    settings.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
    this.client = WebClient.create(vertx, options);
  }

  /** A request to an absolute URL with credentials and the timeout applied. */
  public HttpRequest<io.vertx.core.buffer.Buffer> request(HttpMethod method, String absoluteUrl) {
    HttpRequest<io.vertx.core.buffer.Buffer> request = client.requestAbs(method, absoluteUrl)
        .timeout(timeout.toMillis());
    settings.bearerToken().ifPresent(token -> request.putHeader(HttpHeaders.AUTHORIZATION.toString(), "Bearer " + token));
    settings.header().ifPresent(header -> {
      int colon = header.indexOf(':');
      request.putHeader(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
    });
    return request;
  }

  /** The same trust settings for a plain HTTP client (the package pass-through streams with one). */
  public static HttpClientOptions clientOptions(Upstream settings, Duration timeout) {
    HttpClientOptions options = new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
        .setKeepAlive(true);
    settings.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
    return options;
  }

  public Duration timeout() {
    return timeout;
  }

  public void close() {
    client.close();
  }
}
