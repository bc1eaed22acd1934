package io.snupkg.gateway.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;

/**
 * The floor for B4 (bench/RESULTS.md): a Vert.x HTTP server whose request handler answers 413 and does nothing
 * else, no router and no gateway code, to time against {@code bench/lib/reject_probe.py}. Not a test.
 *
 * <pre>java -cp target/snupkg-gateway.jar:target/test-classes io.snupkg.gateway.bench.BareVertx413 PORT [native]</pre>
 * With {@code native}, Vert.x uses epoll when netty-transport-native-epoll is on the class path.
 */
public final class BareVertx413 {
  private BareVertx413() {}

  public static void main(String[] args) {
    boolean nativeTransport = args.length > 1 && args[1].equals("native");
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(Integer.parseInt(args[0])))
        .requestHandler(request -> request.response().setStatusCode(413).putHeader("Connection", "close").end())
        .listen()
        .await();
    System.out.println("listening on 127.0.0.1:" + args[0] + ", native transport " + vertx.isNativeTransportEnabled());
  }
}
