package io.snupkg.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@link BlobStore} on a local directory. Atomicity comes from rename within one file system, durability from
 * fsync of the file before the rename and of the directory after it. The work is plain java.nio on the worker
 * pool ({@code executeBlocking}, unordered), never on an event loop.
 */
public final class FileSystemBlobStore implements BlobStore {
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
    return blocking(() -> {
      Path target = resolve(key);
      ensureParent(target);
      fsync(source, false);
      moveIntoPlace(source, target);
      return null;
    });
  }

  @Override
  public Future<Boolean> putFileIfAbsent(String key, Path source) {
    return blocking(() -> {
      Path target = resolve(key);
      if (Files.exists(target)) {
        return false; // the common case for a known key: no fsync, no link
      }
      ensureParent(target);
      fsync(source, false);
      return linkIfAbsent(source, target);
    });
  }

  @Override
  public Future<Void> putBytes(String key, Buffer data) {
    return blocking(() -> {
      Path target = resolve(key);
      moveIntoPlace(writeTemp(target, data), target);
      return null;
    });
  }

  @Override
  public Future<Boolean> putBytesIfAbsent(String key, Buffer data) {
    return blocking(() -> {
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

  @Override
  public Future<Optional<Buffer>> getBytes(String key) {
    return blocking(() -> {
      try {
        return Optional.of(Buffer.buffer(Files.readAllBytes(resolve(key))));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
    });
  }

  @Override
  public Future<Boolean> exists(String key) {
    return blocking(() -> Files.isRegularFile(resolve(key)));
  }

  @Override
  public Future<Optional<Path>> file(String key) {
    return blocking(() -> {
      Path p = resolve(key);
      return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    });
  }

  @Override
  public Future<List<String>> children(String prefix) {
    return blocking(() -> {
      Path dir = resolve(prefix);
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
    });
  }

  @Override
  public Future<Void> delete(String key) {
    return blocking(() -> {
      Files.deleteIfExists(resolve(key));
      return null;
    });
  }

  private Path writeTemp(Path target, Buffer data) throws IOException {
    ensureParent(target);
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
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

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }
}
