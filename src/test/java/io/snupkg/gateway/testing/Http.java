package io.snupkg.gateway.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;

/**
 * A small synchronous HTTP client for tests, on Vert.x's client because the reason phrase (which is what the
 * NuGet client prints) is part of every assertion and the JDK client does not expose it.
 */
public final class Http implements AutoCloseable {
  private final HttpClient client;
  private final int port;

  public Http(Vertx vertx, int port) {
    this(vertx, port, new PoolOptions().getHttp1MaxSize());
  }

  /** With up to {@code connections} requests in flight at once, for tests that push from many threads. */
  public Http(Vertx vertx, int port, int connections) {
    this.client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(connections));
    this.port = port;
  }

  /** What came back: status, reason phrase, body as text, and a header. */
  public record Reply(int status, String reason, Buffer bytes, io.vertx.core.MultiMap headers) {
    public String body() {
      return bytes.toString();
    }

    @Override
    public String toString() {
      return status + " " + reason + " " + body();
    }
  }

  public Reply get(String path) {
    return send(HttpMethod.GET, path, null, null, null, false);
  }

  /** A GET with headers of its own (a debugger's SymbolChecksum, say). */
  public Reply get(String path, java.util.Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI(path);
    headers.forEach(options::putHeader);
    try {
      return exchange(options, null, false).await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 60 s: GET " + path, e);
    }
  }

  /** A push as nuget.exe sends it: chunked multipart. */
  public Reply push(String path, String apiKey, byte[] file) {
    Multipart m = new Multipart();
    return send(HttpMethod.PUT, path, apiKey, m.contentType(), m.wrap(file), true);
  }

  /** A push with the package as the raw body and a Content-Length. */
  public Reply pushRaw(String path, String apiKey, byte[] file) {
    return send(HttpMethod.PUT, path, apiKey, "application/octet-stream", file, false);
  }

  public Reply send(HttpMethod method, String path, String apiKey, String contentType, byte[] body, boolean chunked) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path);
    if (apiKey != null) {
      options.putHeader("X-NuGet-ApiKey", apiKey);
    }
    if (contentType != null) {
      options.putHeader("Content-Type", contentType);
    }
    try {
      return exchange(options, body, chunked).await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 60 s: " + method + " " + path, e);
    }
  }

  private io.vertx.core.Future<Reply> exchange(RequestOptions options, byte[] body, boolean chunked) {
    return client.request(options).compose((HttpClientRequest req) -> {
      // Subscribe to the response before writing: the gateway may answer (401, 413, ...) before the body is
      // sent, and a response whose body arrives before body() is called is dropped, so the reply would never come.
      io.vertx.core.Future<Reply> reply = req.response().compose((HttpClientResponse resp) -> resp.body()
          .map(b -> new Reply(resp.statusCode(), resp.statusMessage(), b, resp.headers())));
      if (body == null) {
        req.end();
      } else if (chunked) {
        req.setChunked(true);
        int mid = body.length / 2;
        req.write(Buffer.buffer(body).slice(0, mid));
        req.end(Buffer.buffer(body).slice(mid, body.length));
      } else {
        req.end(Buffer.buffer(body));
      }
      return reply;
    });
  }

  @Override
  public void close() {
    client.close().await();
  }
}
