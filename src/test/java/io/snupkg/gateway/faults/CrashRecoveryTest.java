package io.snupkg.gateway.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.faults.Node.Store;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.SlowPush;
import io.snupkg.gateway.testing.TestPackages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kill -9} of the gateway process at any moment, then a start on the same data: what a 201 promises survives,
 * and nothing partial is left where a reader looks. On both backends; the kills are real (SIGKILL, nothing of the
 * gateway runs after it).
 */
@Timeout(300)
class CrashRecoveryTest {
  /** Rounds of the kill loop; CI runs 20 (bounded), {@code -Dsnupkg.test.killRounds=200} for a long run. */
  private static final int KILL_ROUNDS = Integer.getInteger("snupkg.test.killRounds", 20);

  @ParameterizedTest
  @EnumSource(Store.class)
  void aKillMidUploadLeavesNothingPartialAndTheSamePushSucceedsAfterTheRestart(Store store, @TempDir Path dir)
      throws Exception {
    try (Node node = Node.start(dir, store, Map.of())) {
      int uploads = 8;
      List<String> ids = new ArrayList<>();
      List<byte[]> snupkgs = new ArrayList<>();
      for (int i = 0; i < uploads; i++) {
        String id = "Kill.Mid" + i;
        ids.add(id);
        assertEquals(201, node.pushPackage(TestPackages.nupkg(id, "1.0.0")).status());
        snupkgs.add(storedSnupkg(id, "1.0.0", 1 << 20));
      }
      CountDownLatch started = new CountDownLatch(uploads);
      ExecutorService pool = Executors.newFixedThreadPool(uploads);
      try {
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < uploads; i++) {
          byte[] snupkg = snupkgs.get(i);
          // 64 pieces of 16 KiB, 50 ms apart: each upload takes about 3 s, and the kill comes 0.5 s in.
          answers.add(pool.submit(() -> SlowPush.push(node.port(), Node.SYMBOLS, node.key, snupkg, 16 * 1024, 50,
              started::countDown)));
        }
        assertTrue(started.await(30, TimeUnit.SECONDS), "the uploads started");
        Node.sleep(500);
        node.kill();
        for (Future<String> answer : answers) {
          String line = answer.get(60, TimeUnit.SECONDS);
          assertFalse(line.startsWith("HTTP/1.1 2"), "an upload cut by the kill was acknowledged: " + line);
        }
      } finally {
        pool.shutdownNow();
      }

      long readyMs = node.launch();
      System.out.printf("[faults] %s: ready %d ms after the restart that followed kill -9 mid-upload%n", store,
          readyMs);
      node.assertNothingPartial();
      assertEquals(List.of(), node.spoolFiles(), "the spool is empty after the restart");
      for (int i = 0; i < uploads; i++) {
        assertEquals("none", node.symbolState(ids.get(i), "1.0.0"), "a cut upload left a record");
        assertEquals(201, node.pushSymbols(snupkgs.get(i)).status(), ids.get(i));
      }
      for (String id : ids) {
        node.awaitAvailable(id, "1.0.0");
      }
      assertEquals(uploads, node.assertNothingPartial());
      assertEquals(List.of(), node.spoolFiles());
    }
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void everyAcknowledgedPushSurvivesAKillRightAfterItsAnswer(Store store, @TempDir Path dir) throws Exception {
    try (Node node = Node.start(dir, store, Map.of())) {
      String id = "Kill.Acknowledged";
      Map<String, Pushed> pushed = new LinkedHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Pushed>> all = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
          String version = "1.0." + i;
          all.add(pool.submit(() -> pushPair(node, id, version)));
        }
        for (Future<Pushed> f : all) {
          Pushed p = f.get(120, TimeUnit.SECONDS);
          pushed.put(p.version(), p);
        }
      } finally {
        pool.shutdownNow();
      }
      node.kill(); // right after the last 201: publishing is still under way

      long readyMs = node.launch();
      System.out.printf("[faults] %s: ready %d ms after kill -9 right after 30 acknowledged pushes%n", store,
          readyMs);
      assertAllThere(node, id, pushed);
      node.assertNothingPartial();
    }
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void aKillLoopDuringPublishingLosesNoAcknowledgedPush(Store store, @TempDir Path dir) throws Exception {
    Random random = new Random(13);
    try (Node node = Node.start(dir, store, Map.of())) {
      String id = "Kill.Loop";
      Map<String, Pushed> pushed = new LinkedHashMap<>();
      List<Long> readyMs = new ArrayList<>();
      for (int round = 1; round <= KILL_ROUNDS; round++) {
        for (int k = 1; k <= 2; k++) {
          Pushed p = pushPair(node, id, round + "." + k + ".0");
          pushed.put(p.version(), p);
        }
        Node.sleep(random.nextInt(400)); // the kill lands at a random moment of publishing
        node.kill();
        readyMs.add(node.launch());
        for (Pushed p : pushed.values()) {
          assertNotEquals("none", node.symbolState(id, p.version()), "round " + round + ": " + p.version()
              + " was acknowledged and is gone");
        }
        node.assertNothingPartial();
        assertEquals(List.of(), node.spoolFiles(), "round " + round);
      }
      System.out.printf("[faults] %s: %d kill rounds, ready after each restart in %s ms%n", store, KILL_ROUNDS,
          readyMs);
      assertAllThere(node, id, pushed);
      assertEquals(pushed.size(), node.assertNothingPartial(), "one snupkg per acknowledged push, no orphan");
    }
  }

  private record Pushed(String version, byte[] nupkg, byte[] snupkg) {}

  /** A nupkg and its snupkg, both acknowledged with 201. */
  private static Pushed pushPair(Node node, String id, String version) {
    byte[] nupkg = TestPackages.nupkg(id, version);
    byte[] snupkg = TestPackages.snupkg(id, version);
    Http.Reply p = node.pushPackage(nupkg);
    assertEquals(201, p.status(), version + ": " + p);
    Http.Reply s = node.pushSymbols(snupkg);
    assertEquals(201, s.status(), version + ": " + s);
    return new Pushed(version, nupkg, snupkg);
  }

  /** Every acknowledged push is stored byte for byte, and every pending one becomes available. */
  private static void assertAllThere(Node node, String id, Map<String, Pushed> pushed) {
    String lower = id.toLowerCase(Locale.ROOT);
    for (Pushed p : pushed.values()) {
      Http.Reply nupkg = node.http().get("/v3/flatcontainer/" + lower + "/" + p.version() + "/" + lower + "."
          + p.version() + ".nupkg");
      assertEquals(200, nupkg.status(), p.version());
      assertArrayEquals(p.nupkg(), nupkg.bytes().getBytes(), p.version() + ": the nupkg");
      node.awaitAvailable(id, p.version());
      Http.Reply snupkg = node.http().get(Node.SYMBOLS + id + "/" + p.version());
      assertEquals(200, snupkg.status(), p.version());
      assertArrayEquals(p.snupkg(), snupkg.bytes().getBytes(), p.version() + ": the snupkg");
    }
  }

  /** A snupkg of about {@code size} bytes that does not compress: its PDB is stored, padding included. */
  static byte[] storedSnupkg(String id, String version, int size) {
    Map<String, byte[]> entries = TestPackages.snupkgEntries(id, version, TestPackages.pdbId(id, version));
    entries.put("lib/net45/" + id + ".pdb", io.snupkg.gateway.testing.PortablePdb.write(TestPackages.pdbId(id,
        version), 0, size));
    return TestPackages.zip(entries, ZipEntry.STORED);
  }
}
