package io.snupkg.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where uploads land while they stream in and are validated: {@code <storage.path>/spool}, on the same file
 * system as the {@link FileSystemBlobStore} so that a commit is a rename. Spool files are named by the gateway
 * (a UUID), never by the client, and the name is what travels to the validation worker.
 */
public final class SpoolArea {
  /** The spool's folder under the storage root. */
  public static final String FOLDER = "spool";
  private static final Pattern NAME = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.part");

  private final Vertx vertx;
  private final Path dir;

  public SpoolArea(Vertx vertx, Path storageRoot) {
    this.vertx = vertx;
    this.dir = storageRoot.toAbsolutePath().normalize().resolve(FOLDER);
  }

  /** An open spool file; the caller owns it and must either commit it (move it away) or {@link #discard} it. */
  public record SpoolFile(String name, Path path, AsyncFile file) {}

  /**
   * Creates the directory and removes what a previous run left behind: an upload in a spool file when the
   * process stopped can never complete. Blocking; call once at start, before serving.
   */
  public void prepare() throws IOException {
    Files.createDirectories(dir);
    try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir)) {
      for (Path p : stale) {
        Files.deleteIfExists(p);
      }
    }
  }

  public Future<SpoolFile> create() {
    String name = UUID.randomUUID() + ".part";
    Path path = dir.resolve(name);
    OpenOptions options = new OpenOptions().setCreateNew(true).setWrite(true).setRead(false);
    return vertx.fileSystem().open(path.toString(), options).map(f -> new SpoolFile(name, path, f));
  }

  /** The path of a spool file by name; rejects anything that is not a name this class made. */
  public Path path(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a spool file name: " + name);
    }
    return dir.resolve(name);
  }

  /** Closes and deletes a spool file; safe to call more than once and after the file was moved away. */
  public Future<Void> discard(SpoolFile spool) {
    Future<Void> closed;
    try {
      closed = spool.file().close().otherwiseEmpty();
    } catch (IllegalStateException alreadyClosed) { // AsyncFile.close() throws, not fails, on a closed file
      closed = Future.succeededFuture();
    }
    return closed.compose(v -> discard(spool.name()));
  }

  /**
   * Most calls find nothing to delete (the file was committed, that is moved away): {@code deleteIfExists} says so
   * without the two exceptions, stack traces included, that Vert.x's {@code delete} builds for a missing file.
   */
  public Future<Void> discard(String name) {
    Path file = path(name);
    return vertx.executeBlocking(() -> Files.deleteIfExists(file), false).<Void>mapEmpty().otherwiseEmpty();
  }

  public Path dir() {
    return dir;
  }
}
