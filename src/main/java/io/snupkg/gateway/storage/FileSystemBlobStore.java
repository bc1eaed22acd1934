package io.snupkg.gateway.storage;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BlobStore} on a local directory, and the small record files of the filesystem backend beside the blobs. Atomicity comes from rename within one file system, durability from
 * fsync of the file before the rename and of the directory after it. The work is plain java.nio on the worker
 * pool ({@code executeBlocking}, unordered), never on an event loop.
 */
public final class FileSystemBlobStore implements BlobStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileSystemBlobStore.class);
  private static final Duration READ_RETRY_AFTER = Duration.ofSeconds(5);
  private final Vertx vertx;
  private final Path root;

  public FileSystemBlobStore(Vertx vertx, Path root) {
    this.vertx = vertx;
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public Future<Void> putFile(String key, Path source) {
    return writing(() -> {
      Path target = resolve(key);
      ensureParent(target);
      fsync(source, false);
      moveIntoPlace(source, target);
      return null;
    });
  }

  @Override
  public Future<Boolean> putFileIfAbsent(String key, Path source) {
    return writing(() -> {
      Path target = resolve(key);
      if (Files.exists(target)) {
        return false; // the common case for a known key: no fsync, no link
      }
      ensureParent(target);
      fsync(source, false);
      return linkIfAbsent(source, target);
    });
  }

  /** Writes a small object (a record), replacing what was there. For the filesystem records only. */
  public Future<Void> putBytes(String key, Buffer data) {
    return writing(() -> {
      Path target = resolve(key);
      moveIntoPlace(writeTemp(target, data), target);
      return null;
    });
  }

  /** Writes a small object unless the key exists; {@code false} if it did. For the filesystem records only. */
  public Future<Boolean> putBytesIfAbsent(String key, Buffer data) {
    return writing(() -> {
      Path target = resolve(key);
      Path tmp = writeTemp(target, data);
      try {
        return linkIfAbsent(tmp, target);
      } finally {
        Files.deleteIfExists(tmp);
      }
    });
  }

  /** A hard link fails when the name exists, which makes "create if absent" atomic with full content. */
  private static boolean linkIfAbsent(Path complete, Path target) throws IOException {
    try {
      Files.createLink(target, complete);
    } catch (FileAlreadyExistsException e) {
      return false;
    }
    fsync(target.getParent(), true);
    Files.delete(complete);
    return true;
  }

  /** A small object (a record), or empty if there is none. For the filesystem records only. */
  public Future<Optional<Buffer>> getBytes(String key) {
    return blocking(() -> {
      try {
        return Optional.of(Buffer.buffer(Files.readAllBytes(resolve(key))));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
    });
  }

  public Future<Boolean> exists(String key) {
    return blocking(() -> Files.isRegularFile(resolve(key)));
  }

  @Override
  public Future<Optional<Blob>> stat(String key) {
    return blocking(() -> {
      Path p = resolve(key);
      try {
        java.nio.file.attribute.BasicFileAttributes a =
            Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
        // Size and modification time, as nginx makes its ETag: no hashing, and it changes with the bytes.
        return a.isRegularFile() ? Optional.of(new Blob(a.size(), "\"" + Long.toHexString(a.size()) + "-"
            + Long.toHexString(a.lastModifiedTime().toMillis()) + "\"")) : Optional.<Blob>empty();
      } catch (NoSuchFileException e) {
        return Optional.<Blob>empty();
      }
    });
  }

  /**
   * A hard link when the target is on this file system (the publisher's work folder is): no copy per use. Stored
   * files are never written in place, so the link cannot change under its reader.
   */
  @Override
  public Future<Boolean> copyTo(String key, Path target) {
    return writing(() -> {
      Path source = resolve(key);
      try {
        Files.createLink(target, source);
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException | UnsupportedOperationException e) {
        try {
          Files.copy(source, target);
        } catch (NoSuchFileException missing) {
          return false;
        }
      }
      return true;
    });
  }

  @Override
  public Future<Void> send(String key, HttpServerResponse response, long offset, long length) {
    return response.sendFile(resolve(key).toString(), offset, length);
  }

  @Override
  public Optional<String> redirect(String key) {
    return Optional.empty();
  }

  /** The names directly under a key prefix ({@code feed/lab.sample} gives the versions), sorted. */
  public Future<List<String>> children(String prefix) {
    return blocking(() -> names(resolve(prefix)));
  }

  /**
   * The names in a folder, sorted, without dot files (the temporary files of a write in progress); none if there
   * is no such folder. Blocking: for worker threads and command-line tools.
   */
  public static List<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (!name.startsWith(".")) {
          names.add(name);
        }
      }
    }
    Collections.sort(names);
    return names;
  }

  @Override
  public Future<Void> delete(String key) {
    return writing(() -> {
      Files.deleteIfExists(resolve(key));
      return null;
    });
  }

  @Override
  public Future<Void> check() {
    Path probe = root.resolve(".ready-probe");
    return vertx.executeBlocking(() -> {
      Files.createDirectories(root);
      Files.write(probe, new byte[] {'o', 'k'});
      Files.delete(probe);
      return (Void) null;
    }, false).recover(err -> Future.failedFuture("storage " + root
        + (DiskSpace.isNoSpace(err) ? " is full" : " is not writable")));
  }

  /**
   * In the spool, which is on this file system (a commit is a rename) and emptied at every start: a temporary file
   * that a {@code kill -9} left behind is removed by the next start instead of staying beside the records forever.
   */
  private Path writeTemp(Path target, Buffer data) throws IOException {
    ensureParent(target);
    Path tmp = root.resolve(SpoolArea.FOLDER).resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    ensureParent(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(data.getBytes()));
      ch.force(true);
    }
    return tmp;
  }

  /**
   * One stat when the folder exists, as it mostly does: {@code createDirectories} tries {@code mkdir} first and
   * builds an exception for the folder that is there (5 % of the CPU of small pushes, bench/RESULTS.md).
   */
  private static void ensureParent(Path target) throws IOException {
    Path parent = target.getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent);
    }
  }

  /** Rename, then fsync the directory so that the new name survives a crash. */
  private static void moveIntoPlace(Path source, Path target) throws IOException {
    Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsync(target.getParent(), true);
  }

  private static void fsync(Path path, boolean directory) throws IOException {
    try (FileChannel ch = FileChannel.open(path, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Keys are built by the gateway from normalized ids and versions; this guards against a slip anyway. */
  private Path resolve(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("storage key escapes the storage root: " + key);
    }
    return p;
  }

  /**
   * A write: an I/O error becomes the push's 503, "Storage is full" when the disk (or the quota) is, so that neither a
   * full disk nor a failing one ever answers 500. Logged here, once, because the answer no longer carries it.
   */
  private <T> Future<T> writing(Callable<T> work) {
    return vertx.executeBlocking(work, false).recover(err -> {
      if (!DiskSpace.isIoFailure(err)) {
        return Future.failedFuture(err);
      }
      LOG.warn("Writing to storage {} failed: {}", root, err.toString());
      return Future.failedFuture(DiskSpace.writeFailed(err));
    });
  }

  /** A read: an I/O error other than "no such file" (which each method answers itself) is a 503. */
  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false).recover(err -> {
      if (!DiskSpace.isIoFailure(err)) {
        return Future.failedFuture(err);
      }
      LOG.warn("Reading storage {} failed: {}", root, err.toString());
      return Future.failedFuture(Rejection.unavailable("Storage is unavailable; retry later", READ_RETRY_AFTER));
    });
  }
}
