package io.snupkg.gateway.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.faults.Node.Store;
import io.snupkg.gateway.testing.Multipart;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thousand uploads that never finish, twenty at a time: half close their connection in mid-body (FIN), half
 * reset it ({@code SO_LINGER} 0, RST). Each is an abort: no spool file, no open file, no storage alarm stays behind.
 */
@Timeout(240)
class AbortedUploadsTest {
  private static final int UPLOADS = 1000;
  private static final int AT_ONCE = 20;

  @ParameterizedTest
  @EnumSource(Store.class)
  void aThousandAbortedUploadsLeaveNoSpoolFileNoOpenFileAndNoFalseAlarm(Store store, @TempDir Path dir)
      throws Exception {
    try (Node node = Node.start(dir, store, Map.of())) {
      String id = "Abort.Many";
      assertEquals(201, node.pushPackage(TestPackages.nupkg(id, "1.0.0")).status());
      Multipart multipart = new Multipart();
      byte[] body = multipart.wrap(CrashRecoveryTest.storedSnupkg(id, "1.0.0", 256 * 1024));
      String type = multipart.contentType();
      // One abort of each kind first, so that the baseline counts what the first uploads open for good (pools).
      abort(node, type, body, false);
      abort(node, type, body, true);
      Node.sleep(500);
      int filesBefore = node.process().openFiles();
      Map<String, Double> before = pushCounts(node);

      ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
      try {
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
          boolean reset = i % 2 == 1;
          all.add(pool.submit(() -> {
            abort(node, type, body, reset);
            return null;
          }));
        }
        for (Future<?> f : all) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!node.spoolFiles().isEmpty() && System.nanoTime() < deadline) {
        Node.sleep(50);
      }
      assertEquals(List.of(), node.spoolFiles(), "the spool is empty within 5 s of the last abort");
      int filesAfter = node.process().openFiles();
      while (Math.abs(filesAfter - filesBefore) > 20 && System.nanoTime() < deadline) {
        Node.sleep(100);
        filesAfter = node.process().openFiles();
      }
      System.out.printf("[faults] %s: %d aborted uploads; open files %d before, %d after%n", store, UPLOADS,
          filesBefore, filesAfter);
      assertTrue(Math.abs(filesAfter - filesBefore) <= 20, "open files " + filesBefore + " -> " + filesAfter);

      assertEquals(201, node.pushSymbols(CrashRecoveryTest.storedSnupkg(id, "1.0.0", 256 * 1024)).status());
      Map<String, Double> after = pushCounts(node);
      double aborted = after.getOrDefault("aborted", 0.0) - before.getOrDefault("aborted", 0.0);
      // Every upload reached the gateway (its head was complete) and went away: counted as aborted, and nothing
      // else but the one valid push's 201 was answered.
      assertEquals(UPLOADS, aborted, 0.0, "aborted pushes " + after + " before " + before);
      assertEquals(1.0, after.getOrDefault("201", 0.0) - before.getOrDefault("201", 0.0), 0.0);
      for (String status : after.keySet()) {
        assertFalse(status.startsWith("5"), "an abort was answered " + status + ": " + after);
      }
      String log = node.process().log();
      assertFalse(log.contains(" ERROR "), "errors in the log:\n" + errors(log));
      assertFalse(log.contains("Storage is"), "a storage alarm in the log");
      assertFalse(log.contains("\tat "), "a stack trace in the log:\n" + errors(log));
    }
  }

  /**
   * Sends the head and about half the body, waits until the gateway is reading it, then closes: with a FIN, or
   * with a RST when {@code reset}.
   */
  private static void abort(Node node, String contentType, byte[] body, boolean reset) throws IOException {
    Socket socket = new Socket("127.0.0.1", node.port());
    try {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT " + Node.SYMBOLS + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NuGet-ApiKey: " + node.key
          + "\r\nContent-Type: " + contentType + "\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(Arrays.copyOf(body, body.length / 2));
      out.flush();
      Node.sleep(20);
      if (reset) {
        socket.setSoLinger(true, 0);
      }
    } finally {
      socket.close();
    }
  }

  private static final Pattern SYMBOL_PUSHES =
      Pattern.compile("^snupkg_push_total\\{kind=\"symbols\",status=\"([^\"]+)\"} (\\S+)$", Pattern.MULTILINE);

  /** {@code snupkg_push_total} of symbol pushes, by status ("201", "aborted", ...). */
  private static Map<String, Double> pushCounts(Node node) {
    String text = node.metrics();
    Map<String, Double> counts = new java.util.TreeMap<>();
    Matcher m = SYMBOL_PUSHES.matcher(text);
    while (m.find()) {
      counts.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return counts;
  }

  private static String errors(String log) {
    return String.join("\n", log.lines().filter(l -> l.contains(" ERROR ") || l.startsWith("\tat ")).limit(20)
        .toList());
  }
}
