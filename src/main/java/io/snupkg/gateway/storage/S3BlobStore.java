package io.snupkg.gateway.storage;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.http.ClientGoneException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.FileTransformerConfiguration;
import software.amazon.awssdk.core.FileTransformerConfiguration.FailureBehavior;
import software.amazon.awssdk.core.FileTransformerConfiguration.FileWriteOption;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * {@link BlobStore} on an S3-compatible bucket that every replica shares. Atomicity and durability are S3's: an
 * object appears whole when PutObject or CompleteMultipartUpload returns.
 *
 * <p>The AWS SDK's async client runs on Netty event loops of its own: Vert.x's Netty 4.2 loops are not ones the
 * SDK recognises (aws-sdk-java-v2#6757). Its callbacks come on those SDK threads, so every future this class
 * returns completes on the Vert.x context of the call, and handlers never run on an SDK thread.
 *
 * <p>Uploads stream from the local file. A file above {@code partSize} goes up as a multipart upload driven here,
 * one part after the other, each part a window of the file ({@code position}, {@code numBytesToRead}) and never a
 * copy of it; any failure aborts the upload so that no parts are left billed. Heap per upload: the SDK reads a
 * file body in {@value #READ_CHUNK}-byte heap buffers (signed as UNSIGNED-PAYLOAD, so sent as read, not re-framed)
 * and its Netty client asks for up to 16 of them ahead of the socket (the high watermark of its HandlerSubscriber):
 * about 16 x 64 KiB = 1 MiB. One part is in flight per upload, so that is the bound whatever {@code partSize} is.
 * Downloads move one buffer at a time, at the pace of the reader.
 *
 * <p>Every wait is bounded: connecting (5 s), silence while reading or writing (60 s), each request (30 s; bodies
 * get time in proportion to their size), and a whole call with its retries.
 */
public final class S3BlobStore implements BlobStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);

  private static final int READ_CHUNK = 64 * 1024;
  private static final int MAX_PARTS = 10_000;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
  /** A body gets this much time whatever its size, then more at {@link #SLOWEST_RATE} bytes a second. */
  private static final Duration BODY_TIMEOUT = Duration.ofMinutes(2);
  private static final long SLOWEST_RATE = 1024 * 1024;
  /** A download's size is not known up front; a stalled one ends sooner, through the 60 s read timeout. */
  private static final Duration DOWNLOAD_TIMEOUT = Duration.ofHours(1);
  private static final Duration PRESIGNED_FOR = Duration.ofMinutes(5);

  private final Vertx vertx;
  private final GatewayConfig.S3 config;
  private final String bucket;
  private final String prefix;
  private final BiConsumer<String, String> requests;
  private final SdkAsyncHttpClient http;
  private final AwsCredentialsProvider credentials;
  private final S3AsyncClient s3;
  private final S3Presigner presigner;

  public S3BlobStore(Vertx vertx, GatewayConfig.S3 config) {
    this(vertx, config, (operation, result) -> {});
  }

  /**
   * {@code requests} is told of every S3 request as it ends, with the operation ({@code put} for a PutObject or
   * the CreateMultipartUpload that starts a bigger one, {@code upload_part}, {@code complete}, {@code abort},
   * {@code head}, {@code get}, {@code delete}, {@code list}, {@code head_bucket}) and the result ({@code ok},
   * {@code missing} for a 404, {@code error}). It is called on SDK threads: it must be cheap and thread-safe.
   */
  public S3BlobStore(Vertx vertx, GatewayConfig.S3 config, BiConsumer<String, String> requests) {
    this.vertx = vertx;
    this.config = config;
    this.bucket = config.bucket()
        .orElseThrow(() -> new IllegalArgumentException("storage.s3.bucket is required for the S3 store"));
    this.prefix = config.prefix();
    this.requests = requests;
    this.http = NettyNioAsyncHttpClient.builder()
        .eventLoopGroupBuilder(SdkEventLoopGroup.builder()
            .numberOfThreads(Math.max(2, Runtime.getRuntime().availableProcessors() / 2)))
        .maxConcurrency(64)
        .connectionTimeout(Duration.ofSeconds(5))
        .connectionAcquisitionTimeout(Duration.ofSeconds(30))
        .readTimeout(Duration.ofSeconds(60))
        .writeTimeout(Duration.ofSeconds(60))
        .build();
    this.credentials = credentials(config);
    Region region = Region.of(config.region());
    var client = S3AsyncClient.builder()
        .httpClient(http)
        .region(region)
        .credentialsProvider(credentials)
        .forcePathStyle(config.pathStyle())
        // S3-compatible stores reject the CRC headers and trailers that the SDK now sends by default.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(REQUEST_TIMEOUT).apiCallTimeout(CALL_TIMEOUT));
    config.endpoint().map(URI::create).ifPresent(client::endpointOverride);
    this.s3 = client.build();
    if (config.presignDownloads()) {
      var builder = S3Presigner.builder()
          .region(region)
          .credentialsProvider(credentials)
          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
      config.endpoint().map(URI::create).ifPresent(builder::endpointOverride);
      this.presigner = builder.build();
    } else {
      this.presigner = null;
    }
  }

  private static AwsCredentialsProvider credentials(GatewayConfig.S3 config) {
    if (config.accessKey().isPresent() && config.secretKey().isPresent()) {
      return StaticCredentialsProvider.create(
          AwsBasicCredentials.create(config.accessKey().get(), config.secretKey().get()));
    }
    return DefaultCredentialsProvider.builder().build();
  }

  /** One object listed: its key relative to the store (without {@code storage.s3.prefix}). */
  public record Listed(String key, long size, Instant lastModified) {}

  @Override
  public Future<Void> putFile(String key, Path source) {
    // The parts are cut from the length read here: a file that changes afterwards fails the upload.
    return vertx.fileSystem().props(source.toString()).map(FileProps::size).compose(size ->
        size <= config.partSize() ? putObject(key, source, size) : multipart(key, source, size));
  }

  private Future<Void> putObject(String key, Path source, long size) {
    return this.<Object>request("put", key, () -> s3.putObject(
        r -> r.bucket(bucket).key(prefix + key).contentLength(size).overrideConfiguration(bodyTimeout(size)),
        fileWindow(source, 0, size))).mapEmpty();
  }

  private Future<Void> multipart(String key, Path source, long size) {
    long parts = (size + config.partSize() - 1) / config.partSize();
    if (parts > MAX_PARTS) {
      return Future.failedFuture(new IllegalArgumentException("S3 put of " + key + " needs " + parts
          + " parts, above S3's " + MAX_PARTS + ": raise storage.s3.partSize"));
    }
    // If the CreateMultipartUpload answer is lost, its upload is out of reach here: a bucket lifecycle rule
    // (AbortIncompleteMultipartUpload) is what collects those.
    return request("put", key, () -> s3.createMultipartUpload(r -> r.bucket(bucket).key(prefix + key)))
        .compose(created -> {
          String uploadId = created.uploadId();
          return uploadParts(key, source, size, uploadId)
              .compose(done -> this.<Object>request("complete", key, () -> s3.completeMultipartUpload(
                  r -> r.bucket(bucket).key(prefix + key).uploadId(uploadId).multipartUpload(m -> m.parts(done))
                      // S3 may take minutes to assemble many parts.
                      .overrideConfiguration(bodyTimeout(0)))))
              .<Void>mapEmpty()
              .recover(error -> abort(key, uploadId).transform(ignored -> Future.failedFuture(error)));
        });
  }

  /** One part after the other, each step on the caller's context: no deep future chain, one part's buffers. */
  private Future<List<CompletedPart>> uploadParts(String key, Path source, long size, String uploadId) {
    Promise<List<CompletedPart>> all = Promise.promise();
    List<CompletedPart> done = new ArrayList<>();
    uploadPart(key, source, size, uploadId, 1, done, all);
    return all.future();
  }

  private void uploadPart(String key, Path source, long size, String uploadId, int number,
      List<CompletedPart> done, Promise<List<CompletedPart>> all) {
    long position = (number - 1) * config.partSize();
    if (position >= size) {
      all.complete(done);
      return;
    }
    long length = Math.min(config.partSize(), size - position);
    request("upload_part", key, () -> s3.uploadPart(
        r -> r.bucket(bucket).key(prefix + key).uploadId(uploadId).partNumber(number).contentLength(length)
            .overrideConfiguration(bodyTimeout(length)),
        fileWindow(source, position, length)))
        .onSuccess(part -> {
          done.add(CompletedPart.builder().partNumber(number).eTag(part.eTag()).build());
          uploadPart(key, source, size, uploadId, number + 1, done, all);
        })
        .onFailure(all::fail);
  }

  private Future<Void> abort(String key, String uploadId) {
    return this.<Object>request("abort", key,
            () -> s3.abortMultipartUpload(r -> r.bucket(bucket).key(prefix + key).uploadId(uploadId)))
        .<Void>mapEmpty()
        .onFailure(e -> LOG.warn("{}; multipart upload {} is left to the bucket's lifecycle rule", e.getMessage(),
            uploadId));
  }

  private static AsyncRequestBody fileWindow(Path source, long position, long length) {
    return AsyncRequestBody.fromFile(
        c -> c.path(source).position(position).numBytesToRead(length).chunkSizeInBytes(READ_CHUNK));
  }

  /** Time for a request with a body of {@code bytes}; the call, retries included, gets three attempts' worth. */
  private static Consumer<AwsRequestOverrideConfiguration.Builder> bodyTimeout(long bytes) {
    Duration attempt = BODY_TIMEOUT.plusSeconds(bytes / SLOWEST_RATE);
    return o -> o.apiCallAttemptTimeout(attempt).apiCallTimeout(attempt.multipliedBy(3));
  }

  @Override
  public Future<Boolean> putFileIfAbsent(String key, Path source) {
    return stat(key).compose(found -> found.isPresent()
        ? Future.succeededFuture(false)
        : putFile(key, source).map(true));
  }

  @Override
  public Future<Optional<Blob>> stat(String key) {
    return request("head", key, () -> s3.headObject(r -> r.bucket(bucket).key(prefix + key)))
        .map(head -> Optional.of(new Blob(head.contentLength(), head.eTag())))
        .recover(e -> missing(e) ? Future.succeededFuture(Optional.empty()) : Future.failedFuture(e));
  }

  @Override
  public Future<Boolean> copyTo(String key, Path target) {
    // Replace, not create: a retried attempt starts the file over. Delete: a failed one leaves no partial file.
    FileTransformerConfiguration toFile = FileTransformerConfiguration.builder()
        .fileWriteOption(FileWriteOption.CREATE_OR_REPLACE_EXISTING)
        .failureBehavior(FailureBehavior.DELETE)
        .build();
    return request("get", key, () -> s3.getObject(
        r -> r.bucket(bucket).key(prefix + key)
            .overrideConfiguration(o -> o.apiCallAttemptTimeout(DOWNLOAD_TIMEOUT).apiCallTimeout(DOWNLOAD_TIMEOUT)),
        AsyncResponseTransformer.toFile(target, toFile)))
        .map(true)
        .recover(e -> missing(e) ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  @Override
  public Future<Void> send(String key, HttpServerResponse response, long offset, long length) {
    if (length == 0) {
      return response.end();
    }
    Context context = vertx.getOrCreateContext();
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return request("get", key, () -> s3.getObject(r -> r.bucket(bucket).key(prefix + key).range(range),
        AsyncResponseTransformer.<GetObjectResponse>toPublisher()))
        .recover(e -> Future.failedFuture(missing(e) ? new NoSuchFileException(key) : e))
        .compose(body -> {
          ResponseWriter writer = new ResponseWriter(context, key, response, length, body.response().contentLength());
          body.subscribe(writer);
          return writer.done.future();
        });
  }

  /**
   * Streams an object body into a response with backpressure: one buffer is asked for at a time, and the next only
   * once the response's write queue has room. Signals come on SDK threads and are handled on the context.
   */
  private static final class ResponseWriter implements Subscriber<ByteBuffer> {
    private final Context context;
    private final String key;
    private final HttpServerResponse response;
    private final long length;
    private final Long answered;
    private final Promise<Void> done = Promise.promise();
    private Subscription subscription;
    private boolean finished;

    ResponseWriter(Context context, String key, HttpServerResponse response, long length, Long answered) {
      this.context = context;
      this.key = key;
      this.response = response;
      this.length = length;
      this.answered = answered;
    }

    @Override
    public void onSubscribe(Subscription s) {
      context.runOnContext(v -> {
        subscription = s;
        if (answered == null || answered != length) {
          // Past the end of the object: S3 sends less than asked, which must not go out under our Content-Length.
          fail(new IllegalStateException("S3 get of " + key + " answered " + answered + " bytes, not " + length));
          return;
        }
        if (response.closed()) {
          fail(new ClientGoneException("connection closed before the download"));
          return;
        }
        response.closeHandler(x -> fail(new ClientGoneException("connection closed during the download")));
        response.exceptionHandler(this::fail);
        response.drainHandler(x -> {
          if (!finished) {
            subscription.request(1);
          }
        });
        if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
          response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
        }
        subscription.request(1);
      });
    }

    @Override
    public void onNext(ByteBuffer bytes) {
      context.runOnContext(v -> {
        if (finished) {
          return;
        }
        response.write(Buffer.buffer(bytes.remaining()).setBytes(0, bytes)).onFailure(this::fail);
        if (!response.writeQueueFull()) {
          subscription.request(1);
        }
      });
    }

    @Override
    public void onError(Throwable error) {
      context.runOnContext(v -> fail(error));
    }

    @Override
    public void onComplete() {
      context.runOnContext(v -> {
        if (!finished) {
          finished = true;
          response.end().onComplete(done);
        }
      });
    }

    private void fail(Throwable error) {
      if (finished) {
        return;
      }
      finished = true;
      subscription.cancel();
      // Before the headers the caller can still answer an error; after them only a cut connection tells the client.
      if (response.headWritten() && !response.ended()) {
        response.reset();
      }
      done.fail(error);
    }
  }

  @Override
  public Optional<String> redirect(String key) {
    if (presigner == null) {
      return Optional.empty();
    }
    return Optional.of(presigner.presignGetObject(p -> p.signatureDuration(PRESIGNED_FOR)
        .getObjectRequest(r -> r.bucket(bucket).key(prefix + key))).url().toString());
  }

  @Override
  public Future<Void> delete(String key) {
    return this.<Object>request("delete", key, () -> s3.deleteObject(r -> r.bucket(bucket).key(prefix + key)))
        .<Void>mapEmpty()
        .recover(e -> missing(e) ? Future.succeededFuture() : Future.failedFuture(e));
  }

  /**
   * Up to {@code max} (at most 1000) objects whose keys start with {@code keyPrefix}, in key order, after
   * {@code startAfter} when it is not null: pages through the bucket for the orphan sweep and migrations.
   */
  public Future<List<Listed>> list(String keyPrefix, String startAfter, int max) {
    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
        .bucket(bucket).prefix(prefix + keyPrefix).maxKeys(max);
    if (startAfter != null) {
      request.startAfter(prefix + startAfter);
    }
    return request("list", keyPrefix, () -> s3.listObjectsV2(request.build()))
        .map(page -> page.contents().stream()
            .map(o -> new Listed(o.key().substring(prefix.length()), o.size(), o.lastModified()))
            .toList());
  }

  @Override
  public Future<Void> check() {
    return this.<Object>request("head_bucket", "", () -> s3.headBucket(r -> r.bucket(bucket)
            .overrideConfiguration(o -> o.apiCallAttemptTimeout(CHECK_TIMEOUT).apiCallTimeout(CHECK_TIMEOUT))))
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new IllegalStateException("the bucket " + bucket + " " + where()
            + " does not answer: " + (e instanceof S3Failure f ? f.reason : e.getMessage()))));
  }

  /** The endpoint without any user info that could sit in its URL. */
  private String where() {
    if (config.endpoint().isEmpty()) {
      return "in AWS region " + config.region();
    }
    URI u = URI.create(config.endpoint().get());
    try {
      return "at " + new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null);
    } catch (URISyntaxException e) {
      return "at its endpoint";
    }
  }

  /** Blocks for about 2 s: the SDK shuts its event loops down with a quiet period. Not for an event loop. */
  @Override
  public void close() {
    if (presigner != null) {
      presigner.close();
    }
    s3.close();
    http.close();
    if (credentials instanceof SdkAutoCloseable closeable) {
      closeable.close();
    }
  }

  /**
   * Sends one request, tells {@link #requests} how it ended, and completes on the caller's context with the answer
   * or an {@link S3Failure}.
   */
  private <T> Future<T> request(String operation, String key, Supplier<CompletableFuture<? extends T>> send) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    CompletableFuture<? extends T> sent;
    try {
      sent = send.get();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((answer, error) -> {
      S3Failure failure = error == null ? null : S3Failure.of(operation, key, error);
      try {
        requests.accept(operation, failure == null ? "ok" : failure.missing() ? "missing" : "error");
      } finally {
        context.runOnContext(v -> promise.complete(answer, failure));
      }
    });
    return promise.future();
  }

  private static boolean missing(Throwable e) {
    return e instanceof S3Failure f && f.missing();
  }

  /** A failed S3 request, in one short line: the operation, the key and the status or the cause. */
  private static final class S3Failure extends RuntimeException {
    final int status;
    final String code;
    final String reason;

    private S3Failure(String operation, String key, int status, String code, String reason, Throwable cause) {
      super("S3 " + operation + " of " + (key.isEmpty() ? "the bucket" : key) + " failed: " + reason, cause);
      this.status = status;
      this.code = code;
      this.reason = reason;
    }

    static S3Failure of(String operation, String key, Throwable error) {
      Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (e instanceof AwsServiceException s) {
        String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
        String reason = s.statusCode() + (code == null ? "" : " " + code);
        return new S3Failure(operation, key, s.statusCode(), code, reason, e);
      }
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      return new S3Failure(operation, key, 0, null, text.lines().findFirst().orElse(""), e);
    }

    /**
     * An absent key. A 404 for the bucket itself is a misconfiguration, not a missing object; HEAD answers carry
     * no error code, though, so there a missing bucket looks like missing keys ({@link #check} tells them apart).
     */
    boolean missing() {
      return status == 404 && !"NoSuchBucket".equals(code);
    }
  }
}
