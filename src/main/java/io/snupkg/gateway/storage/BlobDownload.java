package io.snupkg.gateway.storage;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers a download of a whole stored blob: a 302 to the store itself where it presigns URLs, else the bytes
 * streamed from the store, with the blob's ETag; HEAD describes it without the bytes.
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
    if (ctx.request().method() == HttpMethod.HEAD) {
      // Vert.x leaves Content-Length to the handler on HEAD.
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(blob.size())).end();
      return;
    }
    blobs.send(key, resp, 0, blob.size()).onFailure(err -> {
      if (!resp.headWritten()) {
        ctx.fail(err);
      } // else the client or the store went away mid-body; the connection is closed and there is nobody to tell
    });
  }
}
