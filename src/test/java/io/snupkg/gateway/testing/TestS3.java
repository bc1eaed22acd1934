package io.snupkg.gateway.testing;

import io.snupkg.gateway.config.GatewayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 server for tests: S3Proxy on its file system backend, as a child JVM (nothing of it on the test
 * classpath, so its jclouds and Jetty cannot clash with ours). Its jar is copied into {@code target/} by the
 * build. It checks SigV4 signatures, the streaming ones included, against the identity below.
 */
public final class TestS3 implements AutoCloseable {
  public static final String REGION = "us-east-1";
  private static final String IDENTITY = "local-identity";
  private static final String CREDENTIAL = "local-credential";
  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final int TRIES = 3;

  private final Path dir;
  private final Path jar;
  private final int port;
  private Process process;
  private S3AsyncClient client;

  private TestS3(Path dir, Path jar, int port) {
    this.dir = dir;
    this.jar = jar;
    this.port = port;
  }

  /** Starts S3Proxy with its objects under {@code dir/blobs}, its settings and log beside them. */
  public static TestS3 start(Path dir) {
    String configured = System.getProperty("snupkg.test.s3proxyJar");
    if (configured == null || !Files.isRegularFile(Path.of(configured))) {
      throw new IllegalStateException("S3Proxy's jar not found" + (configured == null ? "" : " at " + configured)
          + ": run `mvn process-test-resources` first (it copies it to target/test-servers/s3proxy.jar)");
    }
    Path jar = Path.of(configured).toAbsolutePath();
    IllegalStateException last = null;
    // The free port can be taken between closing the probe socket and S3Proxy binding it: try another.
    for (int i = 0; i < TRIES; i++) {
      TestS3 s3 = new TestS3(dir, jar, freePort());
      try {
        s3.launch();
        return s3;
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void launch() {
    try {
      Files.createDirectories(blobDir());
      Path conf = dir.resolve("s3proxy.conf");
      Files.writeString(conf, String.join("\n",
          "s3proxy.endpoint=" + endpoint(),
          "s3proxy.authorization=aws-v2-or-v4",
          "s3proxy.identity=" + IDENTITY,
          "s3proxy.credential=" + CREDENTIAL,
          // Without it S3Proxy answers 501 to x-amz-* headers it does not know, which the SDK sends.
          "s3proxy.ignore-unknown-headers=true",
          "jclouds.provider=filesystem",
          "jclouds.filesystem.basedir=" + blobDir(),
          ""));
      Path log = dir.resolve("s3proxy.log");
      process = new ProcessBuilder(javaBinary(), "-Xmx256m", "-jar", jar.toString(), "--properties", conf.toString())
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitAnswer();
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Any HTTP answer will do (S3Proxy sends 403 to an unsigned request): it means that the server is up. */
  private void awaitAnswer() {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("S3Proxy exited with " + process.exitValue() + ":\n" + logTail());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(1000);
        c.getResponseCode();
        c.disconnect();
        return;
      } catch (IOException notYet) {
        sleep(100);
      }
    }
    kill();
    throw new IllegalStateException("S3Proxy did not answer on " + endpoint() + " within " + STARTUP.toSeconds()
        + " s:\n" + logTail());
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("s3proxy.log"), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public String accessKey() {
    return IDENTITY;
  }

  public String secretKey() {
    return CREDENTIAL;
  }

  /** Where S3Proxy keeps the objects: one folder per bucket. */
  public Path blobDir() {
    return dir.resolve("blobs");
  }

  /** The store's settings for a bucket of this server. */
  public GatewayConfig.S3 config(String bucket, String prefix, long partSize, boolean presign) {
    return new GatewayConfig.S3(Optional.of(endpoint()), REGION, Optional.of(bucket), prefix, true,
        Optional.of(IDENTITY), Optional.of(CREDENTIAL), partSize, presign);
  }

  public void createBucket(String name) {
    join(client().createBucket(r -> r.bucket(name)));
  }

  /** Writes an object as any S3 client would (for tests that place data behind the gateway); its ETag. */
  public String put(String bucket, String key, byte[] bytes) {
    return join(client().putObject(r -> r.bucket(bucket).key(key),
        software.amazon.awssdk.core.async.AsyncRequestBody.fromBytes(bytes))).eTag();
  }

  /** An object's bytes, as any S3 client would read them. */
  public byte[] get(String bucket, String key) {
    return join(client().getObject(r -> r.bucket(bucket).key(key),
        software.amazon.awssdk.core.async.AsyncResponseTransformer.toBytes())).asByteArray();
  }

  /** Every object key in the bucket, in order. */
  public List<String> keys(String bucket) {
    List<String> keys = new ArrayList<>();
    String token = null;
    do {
      String from = token;
      ListObjectsV2Response page = join(client().listObjectsV2(r -> r.bucket(bucket).continuationToken(from)));
      page.contents().stream().map(S3Object::key).forEach(keys::add);
      token = page.isTruncated() ? page.nextContinuationToken() : null;
    } while (token != null);
    return keys;
  }

  /** The keys of the multipart uploads begun in the bucket and neither completed nor aborted. */
  public List<String> uploads(String bucket) {
    ListMultipartUploadsResponse page = join(client().listMultipartUploads(r -> r.bucket(bucket)));
    return page.uploads().stream().map(MultipartUpload::key).toList();
  }

  /** Only the async client is on the classpath; blocking on it is fine in a test. */
  private synchronized S3AsyncClient client() {
    if (client == null) {
      client = S3AsyncClient.builder()
          .httpClientBuilder(NettyNioAsyncHttpClient.builder().connectionTimeout(Duration.ofSeconds(5)))
          .endpointOverride(URI.create(endpoint()))
          .region(Region.of(REGION))
          .forcePathStyle(true)
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(30)))
          .build();
    }
    return client;
  }

  private static <T> T join(CompletableFuture<T> request) {
    try {
      return request.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("S3 request to the test server failed: " + e, e);
    }
  }

  /** For outage tests: gone at once, as a crashed server is. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }

  /** Up again on the same port with the same objects, after {@link #kill} or {@link #stop}. */
  public void restart() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("S3Proxy is still running");
    }
    launch();
  }

  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!waitFor(Duration.ofSeconds(5))) {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
      }
    }
  }

  private boolean waitFor(Duration limit) {
    try {
      return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public synchronized void close() {
    stop();
    if (client != null) {
      client.close();
      client = null;
    }
  }
}
