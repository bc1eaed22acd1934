package io.snupkg.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of packages and their records under slash-separated keys such as
 * {@code feed/lab.sample/1.0.0/lab.sample.1.0.0.nupkg}. Every write is atomic and durable when its future
 * completes: a reader sees the old object or the new one, never a part, and a crash after completion loses
 * nothing. Uploads arrive through a {@link SpoolArea} first and are moved in with {@link #putFile}.
 */
public interface BlobStore {

  /** Moves {@code source} (a spool file on the same machine) to {@code key}, replacing what was there. */
  Future<Void> putFile(String key, Path source);

  /**
   * Moves {@code source} to {@code key} unless the key exists, in one step; {@code false} (and {@code source}
   * left where it is) if it did.
   */
  Future<Boolean> putFileIfAbsent(String key, Path source);

  /** Writes a small object, replacing what was there. */
  Future<Void> putBytes(String key, Buffer data);

  /** Writes a small object unless the key exists; {@code false} if it did. */
  Future<Boolean> putBytesIfAbsent(String key, Buffer data);

  /** A small object, or empty if there is none. */
  Future<Optional<Buffer>> getBytes(String key);

  Future<Boolean> exists(String key);

  /** A local file to stream from (sendFile), or empty if there is none. */
  Future<Optional<Path>> file(String key);

  /** The names directly under a key prefix ({@code feed/lab.sample} gives the versions), sorted. */
  Future<List<String>> children(String prefix);

  Future<Void> delete(String key);
}
