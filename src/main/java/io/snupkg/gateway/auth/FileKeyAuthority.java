package io.snupkg.gateway.auth;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded key authority ({@code auth.type: file}): keys from a {@link KeyFile}, held in memory and
 * reloaded when the file changes, so that {@code keys add} takes effect without a restart.
 */
public final class FileKeyAuthority implements KeyAuthority {
  private static final Logger LOG = LoggerFactory.getLogger(FileKeyAuthority.class);
  static final long RELOAD_CHECK_MS = 2000;

  private final Vertx vertx;
  private final Path file;
  private final Clock clock;
  private volatile Map<String, KeyFile.Entry> bySha256;
  private volatile long loadedModified;
  private long timer = -1;

  private FileKeyAuthority(Vertx vertx, Path file, Clock clock, List<KeyFile.Entry> entries, long modified) {
    this.vertx = vertx;
    this.file = file;
    this.clock = clock;
    this.bySha256 = index(entries);
    this.loadedModified = modified;
  }

  /** Reads the key file (blocking, at start) and starts watching it. */
  public static FileKeyAuthority start(Vertx vertx, Path file, Clock clock) throws KeyFile.KeyFileException {
    long modified = file.toFile().lastModified();
    FileKeyAuthority authority = new FileKeyAuthority(vertx, file, clock, KeyFile.read(file), modified);
    authority.timer = vertx.setPeriodic(RELOAD_CHECK_MS, id -> authority.reloadIfChanged());
    return authority;
  }

  @Override
  public void stop() {
    vertx.cancelTimer(timer);
  }

  @Override
  public Future<Principal> admit(ApiKey key) {
    KeyFile.Entry entry = valid(key);
    return entry == null ? Future.failedFuture(Rejection.forbidden()) : Future.succeededFuture(new Principal(entry.subject()));
  }

  @Override
  public Future<Void> authorize(ApiKey key, String packageId, String version) {
    KeyFile.Entry entry = valid(key);
    return entry != null && entry.allows(packageId) ? Future.succeededFuture() : Future.failedFuture(Rejection.forbidden());
  }

  private KeyFile.Entry valid(ApiKey key) {
    KeyFile.Entry entry = bySha256.get(key.sha256Hex());
    return entry == null || entry.expiredAt(clock.instant()) ? null : entry;
  }

  private void reloadIfChanged() {
    vertx.fileSystem().props(file.toString())
        .compose(props -> {
          if (props.lastModifiedTime() == loadedModified) {
            return Future.succeededFuture();
          }
          // Remember the new time first: a broken file is reported once, not every few seconds.
          loadedModified = props.lastModifiedTime();
          return vertx.executeBlocking(() -> KeyFile.read(file), false).map(entries -> {
            bySha256 = index(entries);
            LOG.info("Reloaded {} key(s) from {}", entries.size(), file);
            return null;
          });
        })
        .onFailure(err -> LOG.warn("Key file {} not reloaded, keeping the keys loaded before: {}", file, err.getMessage()));
  }

  private static Map<String, KeyFile.Entry> index(List<KeyFile.Entry> entries) {
    return entries.stream().collect(Collectors.toUnmodifiableMap(KeyFile.Entry::sha256, Function.identity(), (a, b) -> a));
  }
}
