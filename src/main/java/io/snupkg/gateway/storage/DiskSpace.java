package io.snupkg.gateway.storage;

import io.snupkg.gateway.config.DataSize;
import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The free space of the file system under {@code storage.path}: the spool of every upload, and on the filesystem
 * backend every blob and record. Below {@code storage.minFreeSpace} the gateway refuses pushes before reading their
 * bodies and reports itself not ready, so that a full disk shows up as 503 with {@code Retry-After} and a pod taken
 * out of rotation, not as uploads that fail halfway.
 *
 * <p>Admission asks for every push, on an event loop: the figure it gets was sampled (on a worker) at most a
 * second ago, or by the previous push when the disk is within twice the minimum; a write that failed for lack of
 * space asks for a new sample at once.
 */
public final class DiskSpace {
  /** Long enough for an operator to free space, short enough that the client's 300 s budget allows retries. */
  public static final Duration FULL_RETRY_AFTER = Duration.ofSeconds(30);
  private static final Duration STORAGE_RETRY_AFTER = Duration.ofSeconds(10);
  private static final long SAMPLE_EVERY_NANOS = 1_000_000_000L;

  private final Vertx vertx;
  private final Path root;
  private final long minFree;
  /** Unknown (no sample yet, or the folder is missing) counts as enough: the writes themselves will tell. */
  private final AtomicLong free = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong sampledAt = new AtomicLong(Long.MIN_VALUE / 2);
  private final AtomicBoolean sampling = new AtomicBoolean();

  public DiskSpace(Vertx vertx, Path root, long minFree) {
    this.vertx = vertx;
    this.root = root.toAbsolutePath().normalize();
    this.minFree = minFree;
  }

  /**
   * Whether the disk is below the minimum, so that a push is refused before its body is read; never blocks. The
   * same test as readiness: a replica refuses pushes exactly while it reports itself not ready. A push larger than
   * what is left above the minimum finds out when its write fails, with the same answer.
   */
  public boolean tooFull() {
    long left = free.get();
    // Near the minimum, every push asks for a new sample (the next one sees it): at a second's age, a burst of
    // pushes would otherwise be admitted into the reserve that publishing and records need.
    if (left < 2 * minFree || System.nanoTime() - sampledAt.get() > SAMPLE_EVERY_NANOS) {
      refresh();
    }
    return left < minFree;
  }

  /**
   * The readiness check: a file can be created and written (inodes and blocks left, the folder writable), and a
   * fresh sample of the free space is above the minimum. Fails with a one-line message.
   */
  public Future<Void> check() {
    // In the spool, which every start empties: a probe that a kill -9 interrupted does not stay behind.
    Path probe = root.resolve(SpoolArea.FOLDER).resolve(".ready-probe-" + java.util.UUID.randomUUID());
    return vertx.executeBlocking(() -> {
      Files.createDirectories(probe.getParent());
      Files.write(probe, new byte[] {'o', 'k'});
      Files.delete(probe);
      return (Void) null;
    }, false).recover(err -> {
      if (isNoSpace(err)) {
        writeFailedForSpace();
        return Future.failedFuture("storage " + root + " is full: no file can be written");
      }
      return Future.failedFuture("storage " + root + " is not writable");
    }).compose(v -> sample()).compose(left -> left >= minFree ? Future.<Void>succeededFuture()
        : Future.failedFuture("storage " + root + " is full: " + (left >> 20) + " MiB free, storage.minFreeSpace is "
            + DataSize.format(minFree)));
  }

  /** A first sample, before the gateway serves: without one the first pushes would pass on an unknown disk. */
  public Future<Void> start() {
    return sample().mapEmpty();
  }

  /** Called when a write failed for lack of space: the next admission sees the disk as it is now. */
  public void writeFailedForSpace() {
    refresh();
  }

  private void refresh() {
    if (sampling.compareAndSet(false, true)) {
      sample().onComplete(ar -> sampling.set(false));
    }
  }

  private Future<Long> sample() {
    return vertx.executeBlocking(() -> {
      long left;
      try {
        left = Files.getFileStore(root).getUsableSpace();
      } catch (IOException e) {
        left = Long.MAX_VALUE; // no folder yet: nothing was written, and the first write creates it
      }
      free.set(left);
      sampledAt.set(System.nanoTime());
      return left;
    }, false);
  }

  /** What a push answers when the disk has too little room for it. */
  public static Rejection full() {
    return Rejection.unavailable("Storage is full; the package was not stored, retry later", FULL_RETRY_AFTER);
  }

  /**
   * What a push answers when a local write failed: "full" for lack of space or quota, else "unavailable". Java
   * gives no errno, so the operating system's message ({@code strerror}) is what tells ENOSPC and EDQUOT apart;
   * its text is the same on Linux and macOS.
   */
  public static Rejection writeFailed(Throwable err) {
    return isNoSpace(err) ? full()
        : Rejection.unavailable("Storage is unavailable; the package was not stored, retry later",
            STORAGE_RETRY_AFTER);
  }

  public static boolean isNoSpace(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null) {
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")) {
          return true;
        }
      }
    }
    return false;
  }

  /** A failure of local storage (an I/O error of the JDK or of Vert.x's file system), as opposed to a bug. */
  public static boolean isIoFailure(Throwable err) {
    return err instanceof IOException || err instanceof UncheckedIOException
        || err instanceof io.vertx.core.file.FileSystemException;
  }
}
