package io.snupkg.gateway.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.faults.Node.Store;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.nio.file.Files;
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
 * {@code storage.path} on a small file system of its own: a tmpfs with a size (or an inode count), mounted in a
 * private mount namespace of the gateway's process ({@code unshare}), so nothing is left mounted on the machine. The
 * test sees the files through {@code /proc/PID/root}. Every refused push must get 503 with {@code Retry-After} and
 * the reason that storage is full, never a 201, a 500 or a hang; nothing partial may stay; readiness must report
 * it; freeing space must bring the pushes back without a restart.
 */
@Timeout(240)
class FullDiskTest {
  static final String FULL = "Storage is full; the package was not stored, retry later";

  @ParameterizedTest
  @EnumSource(Store.class)
  void aFullDiskRefusesPushesWith503AndReadinessUntilSpaceIsFreed(Store store, @TempDir Path dir)
      throws Exception {
    try (Node node = Node.start(dir, store, Map.of("storage", List.of("minFreeSpace: 8MiB")),
        tmpfs(dir, "size=40m"))) {
      String id = "Full.Disk";
      Path ballast = node.data().resolve("ballast");
      List<Integer> statuses = new ArrayList<>();
      int version = 0;
      if (store == Store.FILESYSTEM) {
        // What the operator will delete: more than the minimum, so that its deletion brings the disk above it even
        // though publishing goes on writing the PDBs of the last accepted pushes into the reserve.
        Files.write(ballast, new byte[12 << 20]);
        // Push until space runs out: every push stores about 1 MiB, and publishing copies its PDB.
        while (statuses.stream().allMatch(s -> s == 201)) {
          assertTrue(++version <= 40, "40 MiB of pushes on a 40 MiB disk and none was refused: " + statuses);
          statuses.add(pushPair(node, id, "1.0." + version));
        }
      } else {
        // Only the spool is local on the shared backend: the ballast takes the disk below the minimum.
        assertEquals(201, pushPair(node, id, "1.0." + ++version));
        long usable = Files.getFileStore(node.data()).getUsableSpace();
        Files.write(ballast, new byte[(int) (usable - (7 << 20))]);
        // The gateway sees free space at most a second late (a push in that second that fits is stored, rightly);
        // readiness takes a fresh look, which admission then uses too.
        awaitReadiness(node, 503);
        statuses.add(pushPair(node, id, "1.0." + ++version));
        assertEquals(List.of(503), statuses);
      }
      for (int i = 0; i < 3; i++) { // and it stays refused, for every kind of push
        assertFull(node.pushPackage(TestPackages.nupkg(id, "9.9." + i)));
        assertFull(node.pushSymbols(TestPackages.snupkg(id, "1.0.1")));
      }
      Http.Reply ready = awaitReadiness(node, 503);
      assertTrue(ready.body().contains("is full"), ready.body());
      System.out.printf("[faults] %s: full after %d pushes; readiness %s%n", store, statuses.size(), ready.body());
      assertQuiet(node);

      Files.delete(ballast);
      awaitReadiness(node, 200);
      String after = "2.0.0";
      assertEquals(201, pushPair(node, id, after), "a push after space was freed");
      node.awaitAvailable(id, after);

      // A push larger than what is left: admitted (the disk is above the minimum), its spool write runs out of
      // space in mid-body: the same 503, and its partial spool file is gone.
      // (A second ballast leaves 12 MiB, so that the push is 14 MiB, not the size of the whole disk.)
      long usable = Files.getFileStore(node.data()).getUsableSpace();
      Path second = node.data().resolve("ballast-2");
      Files.write(second, new byte[(int) Math.max(0, usable - (12 << 20))]);
      usable = Files.getFileStore(node.data()).getUsableSpace();
      byte[] tooBig = CrashRecoveryTest.storedSnupkg(id, after, (int) usable + (2 << 20));
      assertFull(node.pushSymbols(tooBig));
      assertQuiet(node);
      awaitReadiness(node, 200); // its spool file gone, the disk is above the minimum again
      assertEquals("available", node.symbolState(id, after));
      Files.delete(second);
    }
  }

  /**
   * Out of inodes: a folder can no longer be created (the report: {@code ensureParent} failing with "No space left
   * on device" answered 500). Every refusal is the 503 of a full disk, whichever write met it.
   */
  @ParameterizedTest
  @EnumSource(Store.class)
  void runningOutOfInodesAtAnyWriteAnswers503AndNothingPartial(Store store, @TempDir Path dir) throws Exception {
    try (Node node = Node.start(dir, store, Map.of("storage", List.of("minFreeSpace: 1MiB")),
        tmpfs(dir, "size=64m,nr_inodes=160"))) {
      String id = "Full.Inodes";
      Path ballast = node.data().resolve("ballast");
      Files.createDirectories(ballast);
      List<Integer> statuses = new ArrayList<>();
      int version = 0;
      try {
        for (int i = 0; ; i++) { // take every inode left: the pushes find none
          Files.write(ballast.resolve("b" + i), new byte[] {1});
        }
      } catch (IOException noMoreInodes) {
        assertTrue(String.valueOf(noMoreInodes.getMessage()).contains("No space left on device"),
            noMoreInodes.toString());
      }
      if (store == Store.FILESYSTEM) {
        // One inode back: the upload's spool file takes it, and the store's next write (a folder for the new id, or
        // the temporary file of its owner record) finds none: the store's own write path must answer the 503.
        deleteSome(ballast, 1);
        assertFull(node.pushPackage(TestPackages.nupkg("Full.Inodes.Folder", "1.0.0")));
        deleteSome(ballast, 40); // a few more: some pushes fit, then one meets the end at whichever write
      }
      while (statuses.stream().allMatch(s -> s == 201)) {
        assertTrue(++version <= 40, "no push was refused: " + statuses);
        statuses.add(pushPair(node, id, "1.0." + version));
      }
      assertQuiet(node);
      System.out.printf("[faults] %s: out of inodes after %d pushes: %s%n", store, statuses.size(), statuses);

      try (var names = Files.list(ballast)) {
        for (Path p : names.toList()) {
          Files.delete(p);
        }
      }
      awaitReadiness(node, 200);
      assertEquals(201, pushPair(node, id, "2.0.0"), "a push after inodes were freed");
      node.awaitAvailable(id, "2.0.0");
    }
  }

  private static void deleteSome(Path folder, int count) throws IOException {
    try (var names = Files.list(folder)) {
      for (Path p : names.sorted().limit(count).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Runs the gateway in a mount namespace of its own with a tmpfs on its data folder. As root, {@code unshare -m};
   * otherwise an unprivileged user namespace ({@code -r}) gives the right to mount in it.
   */
  private static List<String> tmpfs(Path dir, String options) {
    boolean root = "root".equals(System.getProperty("user.name"));
    List<String> wrapper = new ArrayList<>(List.of("unshare", root ? "-m" : "-Urm", "sh", "-c",
        "mount -t tmpfs -o " + options + " tmpfs \"$0\" && exec \"$@\"", dir.resolve("data").toString()));
    return wrapper;
  }

  /** A nupkg and its snupkg (about 1 MiB, stored): 201 if both were accepted, else the first refusal's status. */
  private static int pushPair(Node node, String id, String version) {
    Http.Reply p = node.pushPackage(TestPackages.nupkg(id, version));
    if (p.status() != 201) {
      assertFull(p);
      return p.status();
    }
    Http.Reply s = node.pushSymbols(CrashRecoveryTest.storedSnupkg(id, version, 1 << 20));
    if (s.status() != 201) {
      assertFull(s);
    }
    return s.status();
  }

  private static void assertFull(Http.Reply r) {
    if (r.status() != 503 || !FULL.equals(r.reason())) {
      fail("a push on a full disk was answered " + r);
    }
    assertNotNull(r.headers().get("Retry-After"), "Retry-After on " + r);
  }

  /** Nothing partial where a reader looks, and no upload left in the spool (within 5 s). */
  private static void assertQuiet(Node node) throws IOException {
    node.assertNothingPartial();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!node.spoolFiles().isEmpty() && System.nanoTime() < deadline) {
      Node.sleep(50);
    }
    assertEquals(List.of(), node.spoolFiles());
  }

  private static Http.Reply awaitReadiness(Node node, int status) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Http.Reply r = node.ready();
    while (r.status() != status && System.nanoTime() < deadline) {
      Node.sleep(100);
      r = node.ready();
    }
    assertEquals(status, r.status(), r.toString());
    return r;
  }
}
