package io.snupkg.gateway.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.storage.BlobStore.Blob;
import io.snupkg.gateway.testing.TestS3;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 store against a real S3 server (S3Proxy, out of process): what lands in the bucket, what comes back, and
 * what is left behind when an upload fails. Files are written to disk and compared there, never held whole.
 */
@Timeout(120)
class S3BlobStoreTest {
  static final long MIB = 1024 * 1024;
  static final long PART_SIZE = 5 * MIB;
  static final String PREFIX = "tenant-a/";

  @TempDir
  static Path dir;
  static TestS3 s3;
  static Vertx vertx;
  static String bucket;
  static S3BlobStore store;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws IOException {
    Files.createDirectories(dir.resolve("work"));
    s3 = TestS3.start(dir.resolve("s3"));
    vertx = Vertx.vertx();
    bucket = "s3test-" + UUID.randomUUID().toString().substring(0, 8);
    s3.createBucket(bucket);
    store = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false));
  }

  @AfterAll
  static void stop() throws Exception {
    if (store != null) {
      store.close();
    }
    if (vertx != null) {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void aSmallFileGoesUpInOnePutAndComesBackIdentical() throws Exception {
    String key = key("small");
    Path source = randomFile(100 * 1024);
    Counting requests = new Counting();
    S3BlobStore counted = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false), requests);
    try {
      await(counted.putFile(key, source));
      assertEquals(Map.of("put ok", 1L), requests.counts());
    } finally {
      counted.close();
    }
    assertTrue(Files.exists(source), "the source is left in place");
    assertTrue(s3.keys(bucket).contains(PREFIX + key), "under the configured prefix");

    Blob blob = await(store.stat(key)).orElseThrow();
    assertEquals(Files.size(source), blob.size());
    assertEquals('"' + md5(source) + '"', blob.etag(), "the ETag as S3 sends it, quoted");

    Path copy = dir.resolve("work").resolve(UUID.randomUUID() + ".copy");
    assertTrue(await(store.copyTo(key, copy)));
    assertEquals(-1, Files.mismatch(source, copy));
  }

  @Test
  void copyToOfAMissingKeyLeavesNoFile() {
    Path target = dir.resolve("work").resolve(UUID.randomUUID() + ".copy");
    assertFalse(await(store.copyTo(key("missing"), target)));
    assertFalse(Files.exists(target));
    assertEquals(Optional.empty(), await(store.stat(key("missing"))));
  }

  @Test
  void aFileAbovePartSizeGoesUpInParts() throws Exception {
    String key = key("big");
    Path source = randomFile(12 * MIB);
    Counting requests = new Counting();
    S3BlobStore counted = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false), requests);
    try {
      await(counted.putFile(key, source));
    } finally {
      counted.close();
    }
    assertEquals(Map.of("put ok", 1L, "upload_part ok", 3L, "complete ok", 1L), requests.counts(),
        "5 + 5 + 2 MiB");

    Blob blob = await(store.stat(key)).orElseThrow();
    assertEquals(12 * MIB, blob.size());
    assertTrue(blob.etag().matches("\"[0-9a-f]{32}-3\""), "a multipart ETag of three parts: " + blob.etag());
    Path copy = dir.resolve("work").resolve(UUID.randomUUID() + ".copy");
    assertTrue(await(store.copyTo(key, copy)));
    assertEquals(-1, Files.mismatch(source, copy));
    assertEquals(List.of(), s3.uploads(bucket));
  }

  /**
   * The parts are cut from the length the file had when the upload began. Once the first part is in, the file is
   * cut to 6 MiB (from the request hook, which runs before the next part starts), so the second part cannot be
   * read whole: the upload has to be aborted, with nothing left in the bucket.
   */
  @Test
  void aPartThatFailsAbortsTheUpload() throws Exception {
    String key = key("aborted");
    Path source = randomFile(12 * MIB);
    AtomicBoolean truncated = new AtomicBoolean();
    Counting requests = new Counting();
    S3BlobStore failing = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false), (op, result) -> {
      requests.accept(op, result);
      if (op.equals("upload_part") && result.equals("ok") && truncated.compareAndSet(false, true)) {
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
          ch.truncate(6 * MIB);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    });
    Throwable error;
    try {
      error = failure(failing.putFile(key, source));
    } finally {
      failing.close();
    }
    assertTrue(error.getMessage().startsWith("S3 upload_part of " + key + " failed: "), error.getMessage());
    assertFalse(error.getMessage().contains("\n"), "one line");
    assertEquals(Map.of("put ok", 1L, "upload_part ok", 1L, "upload_part error", 1L, "abort ok", 1L),
        requests.counts());
    assertEquals(Optional.empty(), await(store.stat(key)));
    assertFalse(s3.keys(bucket).contains(PREFIX + key));
    assertEquals(List.of(), s3.uploads(bucket), "no multipart upload left");
    assertTrue(Files.exists(source), "the source is left to the caller");
  }

  @Test
  void putFileIfAbsentWritesOnlyANewKey() throws Exception {
    String key = key("ifabsent");
    Path first = randomFile(10 * 1024);
    Path second = randomFile(10 * 1024);
    assertTrue(await(store.putFileIfAbsent(key, first)));
    Counting requests = new Counting();
    S3BlobStore counted = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false), requests);
    try {
      assertFalse(await(counted.putFileIfAbsent(key, second)));
    } finally {
      counted.close();
    }
    assertEquals(Map.of("head ok", 1L), requests.counts(), "a HEAD and nothing written");
    Path copy = dir.resolve("work").resolve(UUID.randomUUID() + ".copy");
    assertTrue(await(store.copyTo(key, copy)));
    assertEquals(-1, Files.mismatch(first, copy), "the first bytes are kept");
  }

  @Test
  void deleteRemovesTheObjectAndAMissingKeyIsFine() throws Exception {
    String key = key("deleted");
    await(store.putFile(key, randomFile(1024)));
    assertTrue(await(store.stat(key)).isPresent());
    await(store.delete(key));
    assertEquals(Optional.empty(), await(store.stat(key)));
    assertFalse(s3.keys(bucket).contains(PREFIX + key));
    await(store.delete(key));
    await(store.delete(key("never-was")));
  }

  @Test
  void sendStreamsTheObjectOrARange() throws Exception {
    String key = key("sent");
    Path source = randomFile(3 * MIB);
    await(store.putFile(key, source));
    HttpServer server = sendServer(err -> {});
    try {
      Path body = dir.resolve("work").resolve(UUID.randomUUID() + ".body");
      HttpResponse<Path> whole = http.send(get(server, key, 0, 3 * MIB), HttpResponse.BodyHandlers.ofFile(body));
      assertEquals(200, whole.statusCode());
      assertEquals(Optional.of(Long.toString(3 * MIB)), whole.headers().firstValue("content-length"));
      assertEquals(-1, Files.mismatch(source, body));

      HttpResponse<byte[]> range = http.send(get(server, key, 100, 1000), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, range.statusCode());
      assertEquals(Optional.of("1000"), range.headers().firstValue("content-length"));
      assertArrayEquals(bytes(source, 100, 1000), range.body());

      HttpResponse<byte[]> none = http.send(get(server, key, 0, 0), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, none.statusCode());
      assertEquals(0, none.body().length);

      HttpResponse<String> missing = http.send(get(server, key("missing"), 0, 10),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode(), "the handler saw a NoSuchFileException");
      assertEquals("NoSuchFileException", missing.body());
    } finally {
      server.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A client that stops reading and hangs up mid-body: the download must end there, with the S3 connection given
   * back, not wait for the read timeout or pull the rest of the object into memory.
   */
  @Test
  void aClientThatGoesAwayEndsTheDownload() throws Exception {
    String key = key("abandoned");
    long size = 12 * MIB;
    await(store.putFile(key, randomFile(size)));
    Promise<Throwable> failed = Promise.promise();
    HttpServer server = sendServer(failed::tryComplete);
    try {
      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.actualPort()), 5000);
        socket.getOutputStream().write(("GET /?key=" + key + "&offset=0&length=" + size + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(64 * 1024, socket.getInputStream().readNBytes(64 * 1024).length);
      }
      assertNotNull(await(failed.future()), "the download failed when the client left");

      HttpResponse<byte[]> next = http.send(get(server, key, 0, 1000), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, next.statusCode(), "the store still serves");
      assertEquals(1000, next.body().length);
    } finally {
      server.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The gateway's download handlers, reduced: the store's failure decides the answer while nothing is out. */
  private static HttpServer sendServer(Consumer<Throwable> failures) throws Exception {
    return vertx.createHttpServer().requestHandler(req -> {
      HttpServerResponse resp = req.response();
      store.send(req.getParam("key"), resp, Long.parseLong(req.getParam("offset")),
          Long.parseLong(req.getParam("length"))).onFailure(err -> {
            failures.accept(err);
            if (!resp.headWritten()) {
              resp.setStatusCode(err instanceof NoSuchFileException ? 404 : 500).end(err.getClass().getSimpleName());
            }
          });
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  private static HttpRequest get(HttpServer server, String key, long offset, long length) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/?key=" + key
        + "&offset=" + offset + "&length=" + length)).timeout(Duration.ofSeconds(30)).build();
  }

  @Test
  void redirectPresignsAUrlThatAnyoneCanFetch() throws Exception {
    String key = key("presigned");
    Path source = randomFile(50 * 1024);
    await(store.putFile(key, source));
    assertEquals(Optional.empty(), store.redirect(key), "presignDownloads off: the gateway streams");

    S3BlobStore presigning = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, true));
    try {
      String url = presigning.redirect(key).orElseThrow();
      assertTrue(url.startsWith(s3.endpoint() + "/" + bucket + "/" + PREFIX + key + "?"), url);
      assertFalse(url.contains(s3.secretKey()));
      Path body = dir.resolve("work").resolve(UUID.randomUUID() + ".body");
      HttpResponse<Path> got = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofFile(body));
      assertEquals(200, got.statusCode());
      assertEquals(-1, Files.mismatch(source, body));
    } finally {
      presigning.close();
    }
  }

  @Test
  void listPagesInKeyOrderWithoutTheConfiguredPrefix() throws Exception {
    String folder = key("list") + "/";
    for (String name : List.of("c", "a", "b")) {
      await(store.putFile(folder + name, randomFile(100)));
    }
    List<S3BlobStore.Listed> first = await(store.list(folder, null, 2));
    assertEquals(List.of(folder + "a", folder + "b"), first.stream().map(S3BlobStore.Listed::key).toList());
    List<S3BlobStore.Listed> second = await(store.list(folder, first.get(1).key(), 2));
    assertEquals(List.of(folder + "c"), second.stream().map(S3BlobStore.Listed::key).toList());
    assertEquals(100, second.get(0).size());
    assertTrue(second.get(0).lastModified() != null);
    assertEquals(List.of(), await(store.list(folder, folder + "c", 2)));
  }

  @Test
  void checkAnswersForTheBucketAndNamesAMissingOne() {
    await(store.check());

    String absent = "s3test-absent-" + UUID.randomUUID().toString().substring(0, 8);
    S3BlobStore nowhere = new S3BlobStore(vertx, s3.config(absent, PREFIX, PART_SIZE, false));
    try {
      String message = failure(nowhere.check()).getMessage();
      assertTrue(message.startsWith("the bucket " + absent + " at " + s3.endpoint() + " does not answer: "),
          message);
      assertFalse(message.contains("\n"), "one line");
      assertFalse(message.contains(s3.secretKey()));
    } finally {
      nowhere.close();
    }
  }

  @Test
  void everyRequestIsCountedByOperationAndResult() throws Exception {
    Counting requests = new Counting();
    S3BlobStore counted = new S3BlobStore(vertx, s3.config(bucket, PREFIX, PART_SIZE, false), requests);
    try {
      String key = key("counted");
      await(counted.putFile(key, randomFile(1000)));
      await(counted.stat(key));
      await(counted.stat(key("missing")));
      await(counted.copyTo(key("missing"), dir.resolve("work").resolve(UUID.randomUUID() + ".copy")));
      await(counted.list(key, null, 10));
      await(counted.delete(key));
      await(counted.check());
    } finally {
      counted.close();
    }
    assertEquals(Map.of("put ok", 1L, "head ok", 1L, "head missing", 1L, "get missing", 1L, "list ok", 1L,
        "delete ok", 1L, "head_bucket ok", 1L), requests.counts());
  }

  @Test
  void futuresCompleteOnTheCallersContext() throws Exception {
    Context context = vertx.getOrCreateContext();
    Promise<Boolean> onContext = Promise.promise();
    String key = key("context");
    Path source = randomFile(6 * MIB);
    context.runOnContext(v -> store.putFile(key, source)
        .compose(nothing -> {
          boolean putHere = Vertx.currentContext() == context;
          return store.stat(key).map(found -> putHere && found.isPresent() && Vertx.currentContext() == context);
        })
        .onComplete(onContext));
    assertTrue(await(onContext.future()), "a multipart put and a HEAD both complete on the caller's context");
  }

  /** Requests counted as "operation result". */
  static final class Counting implements BiConsumer<String, String> {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    @Override
    public void accept(String operation, String result) {
      counts.computeIfAbsent(operation + " " + result, k -> new LongAdder()).increment();
    }

    Map<String, Long> counts() {
      Map<String, Long> out = new TreeMap<>();
      counts.forEach((k, v) -> out.put(k, v.sum()));
      return out;
    }
  }

  private static String key(String name) {
    return "test/" + name + "-" + UUID.randomUUID();
  }

  /** Random bytes written 64 KiB at a time, so that big files never sit in the heap. */
  private static Path randomFile(long size) throws IOException {
    Path file = dir.resolve("work").resolve(UUID.randomUUID() + ".bin");
    Random random = new Random(size);
    byte[] chunk = new byte[64 * 1024];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long left = size; left > 0; left -= chunk.length) {
        random.nextBytes(chunk);
        ch.write(ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, left)));
      }
    }
    return file;
  }

  private static byte[] bytes(Path file, long offset, int length) throws IOException {
    ByteBuffer out = ByteBuffer.allocate(length);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (out.hasRemaining()) {
        if (ch.read(out, offset + out.position()) < 0) {
          throw new EOFException(file + " ends before " + (offset + length));
        }
      }
    }
    return out.array();
  }

  private static String md5(Path file) throws Exception {
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    byte[] chunk = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        md5.update(chunk, 0, n);
      }
    }
    return HexFormat.of().formatHex(md5.digest());
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer in 30 s", e);
    }
  }

  private static Throwable failure(Future<?> future) {
    try {
      future.await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer in 30 s", e);
    } catch (Throwable t) {
      return t;
    }
    return fail("succeeded, but should have failed");
  }
}
