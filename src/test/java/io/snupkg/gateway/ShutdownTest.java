package io.snupkg.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.Multipart;
import io.snupkg.gateway.testing.SlowPush;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM as Kubernetes sends it, to the gateway as a process of its own ({@link Main}, with the test's class
 * path), while eight slow uploads are under way: readiness fails at once, the port takes no new connections, every
 * upload in flight still finishes with 201, and the process then exits by itself with status 0. The gateway
 * logs in JSON ({@code logging.format: json}), so its output also shows that each line is a JSON object.
 */
@Timeout(120)
class ShutdownTest {
  static final int UPLOADS = 8;
  static final int PIECES = 10;
  static final long PIECE_PAUSE_MS = 300;

  @Test
  void sigtermDrainsUploadsInFlightThenExitsZero(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(config, String.join("\n",
        "http: {host: 127.0.0.1, port: 0}",
        "management: {host: 127.0.0.1, port: 0}",
        "storage: {path: '" + dir.resolve("data") + "'}",
        "auth: {file: '" + dir.resolve("api-keys.yaml") + "'}",
        "shutdown: {drainTimeout: 20s}",
        "logging: {format: json}", ""));
    Path log = dir.resolve("gateway.log");
    Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), config.toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String output = awaitLine(log, gateway, Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(management"));
      int port = port(output, "listening on 127\\.0\\.0\\.1:(\\d+) ");
      int management = port(output, "management 127\\.0\\.0\\.1:(\\d+)\\)");
      String key = awaitLine(log, gateway, Pattern.compile("API key: (\\S+)"))
          .lines().filter(l -> l.contains("API key: ")).findFirst().orElseThrow().split("API key: ")[1].trim();
      assertEquals(200, get(management, "/health/ready"));

      CountDownLatch started = new CountDownLatch(UPLOADS);
      List<CompletableFuture<String>> uploads = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        byte[] nupkg = TestPackages.nupkg("Drain.Pkg" + i, "1.0.0");
        uploads.add(CompletableFuture.supplyAsync(() -> slowPush(port, key, nupkg, started)));
      }
      assertTrue(started.await(30, TimeUnit.SECONDS), "the uploads did not start");
      Thread.sleep(2 * PIECE_PAUSE_MS); // well into their bodies

      gateway.destroy(); // SIGTERM
      long signalled = System.nanoTime();
      int ready = 200;
      while (ready == 200 && System.nanoTime() - signalled < TimeUnit.SECONDS.toNanos(2)) {
        ready = get(management, "/health/ready");
      }
      assertEquals(503, ready, "readiness still up after SIGTERM");
      awaitRefused(port);
      assertTrue(uploads.stream().noneMatch(CompletableFuture::isDone), "an upload ended before the drain");

      for (CompletableFuture<String> upload : uploads) {
        assertEquals("HTTP/1.1 201 Created", upload.get(60, TimeUnit.SECONDS));
      }
      assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "the gateway did not exit after draining");
      assertEquals(0, gateway.exitValue(), Files.readString(log));
      // logging.format json: every log line is a JSON object; the audit trail has one line per upload.
      List<JsonObject> lines = Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).map(JsonObject::new)
          .toList();
      assertTrue(lines.stream().anyMatch(l -> l.getString("formattedMessage", "").startsWith("SIGTERM: draining")),
          Files.readString(log));
      assertEquals(UPLOADS, lines.stream().filter(l -> "push".equals(l.getString("event"))
          && "accepted".equals(l.getString("outcome"))).count(), Files.readString(log));
      for (int i = 0; i < UPLOADS; i++) {
        assertTrue(Files.exists(dir.resolve("data/feed/drain.pkg" + i + "/1.0.0/drain.pkg" + i + ".1.0.0.nupkg")),
            "upload " + i + " was not stored");
      }
    } finally {
      gateway.destroyForcibly();
    }
  }

  /** A push as nuget.exe sends it (chunked multipart), spread over {@value #PIECES} pieces; returns the status line. */
  private static String slowPush(int port, String key, byte[] nupkg, CountDownLatch started) {
    int piece = (new Multipart().wrap(nupkg).length + PIECES - 1) / PIECES;
    return SlowPush.push(port, "/api/v2/package/", key, nupkg, piece, PIECE_PAUSE_MS, started::countDown);
  }

  private static int get(int port, String path) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(2000);
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  /** The public port stops accepting connections: new uploads go to the other replicas. */
  private static void awaitRefused(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      } catch (IOException refused) {
        return;
      }
      Thread.sleep(20);
    }
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
        "the public port still accepts connections during the drain");
  }

  private static int port(String output, String regex) {
    Matcher m = Pattern.compile(regex).matcher(output);
    assertTrue(m.find(), output);
    return Integer.parseInt(m.group(1));
  }

  private static String awaitLine(Path log, Process process, Pattern pattern) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      if (pattern.matcher(text).find()) {
        return text;
      }
      assertTrue(process.isAlive(), "the gateway exited:\n" + text);
      Thread.sleep(50);
    }
    throw new AssertionError("not in the gateway's output within 60 s: " + pattern + "\n" + Files.readString(log));
  }
}
