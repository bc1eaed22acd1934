package io.snupkg.gateway.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.faults.Node.Store;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Five hundred connections that send their request head one byte every 2 s (slowloris): never silent, so
 * {@code http.idleTimeout} alone would keep them for hours. {@code http.headerTimeout} cuts them off, and meanwhile a
 * normal push is served at once and the process's memory stays flat.
 */
@Timeout(180)
class SlowClientsTest {
  private static final int CONNECTIONS = 500;
  private static final long BYTE_EVERY_MS = 2_000;
  private static final int HEADER_TIMEOUT_S = 6;

  @ParameterizedTest
  @EnumSource(Store.class)
  void connectionsThatTrickleTheirHeadAreCutOffAndDoNotDelayOthers(Store store, @TempDir Path dir)
      throws Exception {
    try (Node node = Node.start(dir, store, Map.of("http", List.of("headerTimeout: " + HEADER_TIMEOUT_S + "s",
        "idleTimeout: 60s")))) {
      String id = "Slow.Clients";
      assertEquals(201, node.pushPackage(TestPackages.nupkg(id, "1.0.0")).status()); // warm: classes, pools
      System.gc();
      Node.sleep(500);
      long idleKiB = node.process().rssKiB();

      byte[] head = ("PUT " + Node.SYMBOLS + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NuGet-ApiKey: " + node.key
          + "\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      List<SocketChannel> slow = new ArrayList<>();
      for (int i = 0; i < CONNECTIONS; i++) {
        SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", node.port()));
        c.configureBlocking(false);
        slow.add(c);
      }
      long opened = System.nanoTime();
      int[] sent = new int[CONNECTIONS];
      boolean[] cut = new boolean[CONNECTIONS];
      long[] cutAfterMs = new long[CONNECTIONS];
      long maxKiB = idleKiB;
      Long pushMs = null;
      try {
        long deadline = opened + TimeUnit.SECONDS.toNanos(HEADER_TIMEOUT_S + 20);
        int open = CONNECTIONS;
        while (open > 0 && System.nanoTime() < deadline) {
          for (int i = 0; i < CONNECTIONS; i++) {
            if (cut[i]) {
              continue;
            }
            if (!stillOpen(slow.get(i), sent[i] < head.length ? head[sent[i]] : (byte) 'x')) {
              cut[i] = true;
              cutAfterMs[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened);
              open--;
            } else {
              sent[i]++;
            }
          }
          maxKiB = Math.max(maxKiB, node.process().rssKiB());
          if (pushMs == null) { // while all 500 trickle: a normal push on a connection of its own
            long t = System.nanoTime();
            Http.Reply r = node.pushSymbols(TestPackages.snupkg(id, "1.0.0"));
            assertEquals(201, r.status(), r.toString());
            pushMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
          }
          Node.sleep(BYTE_EVERY_MS);
        }
      } finally {
        for (SocketChannel c : slow) {
          c.close();
        }
      }
      long lastCut = 0;
      int stillOpen = 0;
      for (int i = 0; i < CONNECTIONS; i++) {
        stillOpen += cut[i] ? 0 : 1;
        lastCut = Math.max(lastCut, cutAfterMs[i]);
      }
      System.out.printf("[faults] %s: %d trickling connections; a push took %d ms among them; all cut within %d ms"
          + " (headerTimeout %d s); RSS %d MiB idle, %d MiB at most%n", store, CONNECTIONS, pushMs, lastCut,
          HEADER_TIMEOUT_S, idleKiB >> 10, maxKiB >> 10);
      assertEquals(0, stillOpen, "connections still open " + (HEADER_TIMEOUT_S + 20) + " s after they started");
      assertTrue(pushMs != null && pushMs < 5_000, "the push among them took " + pushMs + " ms");
      // Cut by the head deadline, not by idleTimeout (60 s) or any other bound; 2 s of slack for one byte round.
      assertTrue(lastCut <= (HEADER_TIMEOUT_S + 2 + BYTE_EVERY_MS / 1000) * 1000, "the last was cut after "
          + lastCut + " ms");
      assertTrue(maxKiB - idleKiB <= 64 * 1024, "RSS grew by " + ((maxKiB - idleKiB) >> 10) + " MiB");
      assertEquals(201, node.pushSymbols(TestPackages.snupkg(id, "1.0.0")).status(), "served after them too");
    }
  }

  /** Writes one byte; false once the gateway has closed the connection (EOF or a reset). */
  private static boolean stillOpen(SocketChannel c, byte next) {
    try {
      ByteBuffer in = ByteBuffer.allocate(1024);
      int read = c.read(in);
      if (read < 0) {
        return false;
      }
      c.write(ByteBuffer.wrap(new byte[] {next}));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
