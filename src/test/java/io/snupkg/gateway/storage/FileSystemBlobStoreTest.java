package io.snupkg.gateway.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.feed.FileFeedIndex;
import io.snupkg.gateway.feed.LocalFolderFeed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file system store's write operations on a real directory: what lands where, and what is left behind. */
class FileSystemBlobStoreTest {
  @TempDir
  Path root;
  @TempDir
  Path work;
  Vertx vertx;
  FileSystemBlobStore store;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    store = new FileSystemBlobStore(vertx, root);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void putFileMovesTheFileAndReplacesWhatWasThere() throws Exception {
    await(store.putFile("a/b/c.bin", file("one")));
    Path second = file("two");
    await(store.putFile("a/b/c.bin", second));
    assertEquals("two", Files.readString(root.resolve("a/b/c.bin")));
    assertFalse(Files.exists(second), "moved, not copied");
    assertEquals(List.of("c.bin"), await(store.children("a/b")), "no temporary names left");
  }

  @Test
  void putFileIfAbsentMovesTheFileOnlyWhenTheKeyIsNew() throws Exception {
    Path first = file("first");
    assertTrue(await(store.putFileIfAbsent("ssqp/x.pdb/key/x.pdb", first)));
    assertFalse(Files.exists(first), "moved into place");

    Path second = file("second");
    assertFalse(await(store.putFileIfAbsent("ssqp/x.pdb/key/x.pdb", second)));
    assertEquals("first", Files.readString(root.resolve("ssqp/x.pdb/key/x.pdb")), "the stored file is kept");
    assertEquals("second", Files.readString(second), "the source is left to its owner");
    assertEquals(List.of("x.pdb"), await(store.children("ssqp/x.pdb/key")));
  }

  @Test
  void putBytesIfAbsentCreatesOnceAndLeavesNoTemporaryFile() throws Exception {
    assertTrue(await(store.putBytesIfAbsent("owners/lab.sample", Buffer.buffer("alice"))));
    assertFalse(await(store.putBytesIfAbsent("owners/lab.sample", Buffer.buffer("bob"))));
    assertEquals("alice", await(store.getBytes("owners/lab.sample")).orElseThrow().toString());
    try (Stream<Path> files = Files.list(root.resolve("owners"))) {
      assertEquals(List.of("lab.sample"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void aKeyThatEscapesTheRootIsRefused() {
    assertThrows(Exception.class, () -> await(store.putBytes("../outside", Buffer.buffer("x"))));
    assertFalse(Files.exists(root.getParent().resolve("outside")));
  }

  @Test
  void theLocalFeedHandsOutTheStoredNupkgWithoutChangingIt() throws Exception {
    FileOwners owners = new FileOwners(store);
    LocalFolderFeed feed = new LocalFolderFeed(store, new FileFeedIndex(vertx, store, owners));
    await(feed.add("Lab.Sample", "1.0.0", "alice", true, file("nupkg bytes")));
    Path target = work.resolve("parent.nupkg");
    await(feed.download("lab.sample", "1.0.0", target));
    assertArrayEquals("nupkg bytes".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));

    Files.delete(target); // the publisher removes its work folder: the feed keeps its copy
    assertEquals("nupkg bytes".length(), await(feed.nupkg("Lab.Sample", "1.0.0")).orElseThrow().size());
    Path again = work.resolve("again.nupkg");
    await(feed.download("Lab.Sample", "1.0.0", again));
    assertEquals("nupkg bytes", Files.readString(again));
    assertEquals("alice", await(owners.owner("lab.sample")).orElseThrow(), "the first push claimed the id");
  }

  private Path file(String content) throws Exception {
    return Files.writeString(Files.createTempFile(work, "src", ".tmp"), content);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }
}
