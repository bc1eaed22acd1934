package io.snupkg.gateway.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.Optional;

/** The gateway's own base URL as clients see it: configured ({@code http.publicBaseUrl}) or from the request's Host. */
public final class BaseUrl {
  private final Optional<String> configured;

  public BaseUrl(Optional<String> configured) {
    this.configured = configured;
  }

  public String of(HttpServerRequest request) {
    if (configured.isPresent()) {
      return configured.get();
    }
    HostAndPort authority = request.authority();
    String host;
    if (authority != null) {
      host = authority.host() + (authority.port() > 0 ? ":" + authority.port() : "");
    } else {
      host = request.localAddress().hostAddress() + ":" + request.localAddress().port();
    }
    return request.scheme() + "://" + host;
  }
}
