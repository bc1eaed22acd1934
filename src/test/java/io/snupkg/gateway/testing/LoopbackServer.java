package io.snupkg.gateway.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SelfSignedCertificate;

/**
 * What the stand-ins for external services share: a Vert.x server on 127.0.0.1 that can go {@link #down()} (so
 * connections are refused, as when the service is restarting) and come {@link #up()} again on the same port, so the
 * URLs the gateway was configured with stay valid. Handlers run on the event loop and must never block; {@link #up()}
 * and {@link #down()} wait for the server, so call them from the test thread, not from a handler.
 *
 * @param <S> the subclass, for fluent setters
 */
public abstract class LoopbackServer<S extends LoopbackServer<S>> implements AutoCloseable {
  protected final Vertx vertx;
  private HttpServer server;
  private volatile int port; // read by handlers on the event loop while down() may hold the lock
  private SelfSignedCertificate certificate;

  protected LoopbackServer(Vertx vertx) {
    this.vertx = vertx;
  }

  protected abstract void handle(HttpServerRequest req);

  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  /** The port, fixed by the first {@link #up()}. */
  public final int port() {
    return port;
  }

  /** {@code https://localhost:PORT} once {@link #tls} was called (the certificate names localhost), else http. */
  public final String baseUrl() {
    return certificate != null ? "https://localhost:" + port() : "http://127.0.0.1:" + port();
  }

  /**
   * Serves https with a new self-signed certificate for "localhost" from the next {@link #up()} on; its PEM file
   * is what a client must trust.
   */
  public final synchronized S tls() {
    certificate = SelfSignedCertificate.create("localhost");
    return self();
  }

  /** The PEM certificate to trust; null without {@link #tls()}. */
  public final String certificatePath() {
    return certificate == null ? null : certificate.certificatePath();
  }

  /** Stops listening and drops open connections (hung requests too): connections are refused until {@link #up()}. */
  public final synchronized S down() {
    if (server != null) {
      server.close().await();
      server = null;
    }
    return self();
  }

  /** Listens, on a free port the first time and on the same port afterwards; returns once connections are accepted. */
  public final synchronized S up() {
    if (server == null) {
      HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port);
      if (certificate != null) {
        options.setSsl(true).setKeyCertOptions(certificate.keyCertOptions());
      }
      server = vertx.createHttpServer(options).requestHandler(this::handle).listen().await();
      port = server.actualPort();
    }
    return self();
  }

  @Override
  public void close() {
    down();
  }
}
