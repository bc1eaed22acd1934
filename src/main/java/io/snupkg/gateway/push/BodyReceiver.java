package io.snupkg.gateway.push;

import io.snupkg.gateway.http.ClientGoneException;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.storage.DiskSpace;
import io.snupkg.gateway.storage.SpoolArea;
import io.snupkg.gateway.storage.SpoolArea.SpoolFile;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.WriteStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a request body into a new spool file: request, multipart part (or the raw body), SHA-512 and byte
 * count, file, with backpressure end to end, so heap use does not depend on the body's size.
 *
 * <p>Two body shapes are accepted. {@code multipart/form-data} as the NuGet client sends it (quoted boundary,
 * unquoted disposition parameters, one part): the first file part is the package, later parts are ignored, as
 * on nuget.org; parsing is {@link MultipartFileStream}'s. Any other content type: the raw body is the package.
 *
 * <p>The size limit counts every byte of the request (framing included, as nuget.org and IIS do). Crossing it
 * fails the transfer with 413 at once. On any failure the spool file is deleted before the future fails, so no
 * partial file stays behind; the request is then left to the caller to answer and drain.
 */
public final class BodyReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(BodyReceiver.class);

  private final SpoolArea spool;
  private final DiskSpace disk;

  public BodyReceiver(SpoolArea spool, DiskSpace disk) {
    this.spool = spool;
    this.disk = disk;
  }

  /** The body, durably named but not yet validated. The caller must commit or discard the spool file. */
  public record Received(String spoolName, Path path, long size, String sha512) {}

  /**
   * @param what the noun for messages ("symbol package", "package")
   * @param progress told the running byte count as the body arrives
   * @return the received body, or a failed future with a {@link Rejection} (400, 413, 503) or a
   *     {@link ClientGoneException}
   */
  public Future<Received> receive(HttpServerRequest request, long limit, String what, GatewayMetrics.Upload progress) {
    return spool.create()
        .recover(err -> Future.failedFuture(storageFailed("Cannot create a spool file in " + spool.dir(), err)))
        .compose(file -> new Transfer(request, file, limit, what, progress).start());
  }

  /** The state of one upload; lives on the request's event loop, so needs no locking. */
  private final class Transfer {
    private final HttpServerRequest request;
    private final SpoolFile file;
    private final long limit;
    private final String what;
    private final GatewayMetrics.Upload progress;
    private final DigestingWriteStream sink;
    private final Promise<Received> result = Promise.promise();
    private boolean finished; // set at once; the result completes only after the spool file is handled

    Transfer(HttpServerRequest request, SpoolFile file, long limit, String what, GatewayMetrics.Upload progress) {
      this.request = request;
      this.progress = progress;
      this.file = file;
      this.limit = limit;
      this.what = what;
      this.sink = new DigestingWriteStream(file.file(), this::withinLimit);
    }

    Future<Received> start() {
      request.response().closeHandler(v -> fail(new ClientGoneException("connection closed during the upload")));
      if (request.response().closed()) {
        fail(new ClientGoneException("connection closed before the upload started"));
        return result.future();
      }
      if (isMultipart()) {
        startMultipart();
      } else {
        pipeTo(sink);
      }
      request.resume();
      return result.future();
    }

    private boolean isMultipart() {
      String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
      return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    }

    private void startMultipart() {
      Optional<String> boundary = MultipartFileStream.boundary(request.getHeader(HttpHeaders.CONTENT_TYPE));
      if (boundary.isEmpty()) {
        fail(Rejection.badRequest("The multipart/form-data Content-Type has no valid boundary"));
        return;
      }
      pipeTo(new MultipartFileStream(boundary.get(), sink, this::withinLimit, what));
    }

    /**
     * Request to {@code target} with backpressure. Hand-written rather than {@code request.pipe()}: a Vert.x
     * {@code Pipe} resumes its source when it fails or is closed, so a request refused in mid-body (413) would be
     * read, and dropped, at full speed until its answer is out. This one leaves the request paused.
     */
    private void pipeTo(WriteStream<Buffer> target) {
      target.exceptionHandler(this::fail);
      // Anything the request stream reports is the connection's: a reset (SO_LINGER 0) arrives here before the
      // close event, and must count as an abort, not as a storage failure.
      request.exceptionHandler(err -> fail(new ClientGoneException("connection failed during the upload: "
          + err.getMessage())));
      request.handler(chunk -> {
        target.write(chunk).onFailure(this::fail);
        if (!finished && target.writeQueueFull()) {
          request.pause();
          target.drainHandler(v -> {
            if (!finished) {
              request.resume();
            }
          });
        }
      });
      request.endHandler(v -> target.end().onComplete(this::piped));
    }

    private void piped(AsyncResult<Void> ar) {
      if (ar.succeeded()) {
        succeed();
      } else {
        fail(ar.cause());
      }
    }

    private boolean withinLimit(long bytes) {
      progress.received(bytes);
      if (bytes > limit) {
        fail(Rejection.tooLarge(what, limit));
        return false;
      }
      return !finished;
    }

    private void succeed() {
      if (finished) {
        return;
      }
      finished = true;
      request.response().closeHandler(null);
      result.complete(new Received(file.name(), file.path(), sink.bytes(), sink.sha512Hex()));
    }

    private void fail(Throwable cause) {
      if (finished) {
        return;
      }
      finished = true;
      Throwable failure = classify(cause);
      // Paused until answered: a client over the limit has sent little more than the limit when it gets the 413.
      request.pause();
      request.handler(null).endHandler(null).exceptionHandler(null);
      request.response().closeHandler(null);
      // Delete first, fail second: whoever sees the failure can rely on the spool file being gone.
      spool.discard(file).onComplete(v -> result.tryFail(failure));
    }

    private Throwable classify(Throwable cause) {
      if (cause instanceof Rejection || cause instanceof ClientGoneException) {
        return cause;
      }
      if (cause instanceof HttpClosedException || request.response().closed()) {
        return new ClientGoneException("connection closed during the upload");
      }
      return storageFailed("Writing an upload to spool file " + file.path() + " failed", cause);
    }
  }

  /** A full disk is an operating condition (WARN, and readiness reports it); any other write failure is an ERROR. */
  private Rejection storageFailed(String what, Throwable cause) {
    if (DiskSpace.isNoSpace(cause)) {
      LOG.warn("{}: {}", what, cause.getMessage());
      disk.writeFailedForSpace();
    } else {
      LOG.error("{}: {}", what, cause.toString());
    }
    return DiskSpace.writeFailed(cause);
  }
}
