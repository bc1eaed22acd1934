package io.snupkg.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Durable storage of package bytes under slash-separated keys such as
 * {@code feed/lab.sample/1.0.0/lab.sample.1.0.0.nupkg}: snupkgs, the local feed's nupkgs and the SSQP PDBs. Every
 * write is atomic and durable when its future completes: a reader sees the old object or the new one, never a
 * part, and a crash after completion loses nothing. Keys are content-addressed or name one immutable build, so
 * nothing relies on overwriting one.
 *
 * <p>Two implementations: {@link FileSystemBlobStore} (one machine, the default) and {@link S3BlobStore} (a bucket
 * that every replica shares). Records never live here: they are in the {@code Records} of the backend.
 */
public interface BlobStore {

  /** What a stored object is: its size and an entity tag that changes whenever its bytes could have. */
  record Blob(long size, String etag) {}

  /**
   * Stores {@code source}, a complete local file (the spool, or a work file), under {@code key}, replacing what
   * was there. The source may be moved away (filesystem) or left in place (S3): the caller only deletes it after.
   */
  Future<Void> putFile(String key, Path source);

  /** Like {@link #putFile} unless the key exists; {@code false} (and nothing written) if it did. */
  Future<Boolean> putFileIfAbsent(String key, Path source);

  /** The object's size and entity tag, or empty if there is none. */
  Future<Optional<Blob>> stat(String key);

  /**
   * Puts the object's bytes into the local file {@code target} (a hard link where the store is on the same file
   * system, a download otherwise); {@code false} if there is no such object. Never held in memory.
   */
  Future<Boolean> copyTo(String key, Path target);

  /**
   * Ends {@code response} with {@code length} bytes of the object from {@code offset}, streamed with backpressure.
   * The caller has set the status and headers. Fails if the object is gone; once bytes are on the wire a failure
   * can only close the connection.
   */
  Future<Void> send(String key, HttpServerResponse response, long offset, long length);

  /**
   * Where a client may download the object itself instead ({@code storage.s3.presignDownloads}: a presigned URL,
   * valid for a few minutes); empty when the gateway streams it.
   */
  Optional<String> redirect(String key);

  Future<Void> delete(String key);

  /** For readiness: succeeds while the store takes reads and writes, fails with a one-line message otherwise. */
  Future<Void> check();

  /** Releases clients and threads the store owns; the filesystem store has none. */
  default void close() {}
}
