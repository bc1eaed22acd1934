package io.snupkg.gateway.storage;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * Answers a download of a whole stored blob: a 302 to the store itself where it presigns URLs, else the bytes
 * streamed from the store, with the blob's ETag (and 304 to an {@code If-None-Match} that has it); HEAD describes it
 * without the bytes.
 */
public final class BlobDownload {
  private BlobDownload() {}

  public static void send(RoutingContext ctx, BlobStore blobs, String key, BlobStore.Blob blob, String contentType) {
    HttpServerResponse resp = ctx.response();
    var redirect = blobs.redirect(key);
    if (redirect.isPresent()) {
      resp.setStatusCode(302).putHeader(HttpHeaders.LOCATION, redirect.get()).end();
      return;
    }
    resp.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
    if (!resp.headers().contains(HttpHeaders.ETAG)) {
      resp.putHeader(HttpHeaders.ETAG, blob.etag());
    }
    if (noneMatch(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH), resp.headers().get(HttpHeaders.ETAG))) {
      resp.setStatusCode(304).end(); // the client's copy is this one: the ETag changes with the bytes
      return;
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      // Vert.x leaves Content-Length to the handler on HEAD.
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(blob.size())).end();
      return;
    }
    blobs.send(key, resp, 0, blob.size()).onFailure(err -> failed(ctx, err));
  }

  /** {@code If-None-Match} uses the weak comparison (RFC 9110 §13.1.2): a {@code W/} prefix is ignored. */
  public static boolean noneMatch(String header, String etag) {
    if (header == null) {
      return false;
    }
    for (String tag : header.split(",")) {
      String t = tag.trim();
      if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A download the store could not serve: before any byte, the client gets 404 (the object is gone) or 503 (the
   * store failed), never a 500; once bytes are out, the connection is closed and there is nobody to tell.
   */
  public static void failed(RoutingContext ctx, Throwable err) {
    if (ctx.response().headWritten()) {
      return;
    }
    if (err instanceof Rejection) {
      ctx.fail(err);
    } else if (err instanceof NoSuchFileException
        || err instanceof io.vertx.core.file.FileSystemException && err.getCause() instanceof NoSuchFileException) {
      ctx.fail(Rejection.notFound("The stored file is missing"));
    } else {
      LoggerFactory.getLogger(BlobDownload.class).warn("{} {}: the store failed: {}", ctx.request().method(),
          ctx.request().path(), err.getMessage());
      ctx.fail(Rejection.unavailable("Storage is unavailable; retry later", Duration.ofSeconds(5)));
    }
  }
}
