package io.snupkg.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The whole configuration, read once at start. Each record is one section of {@code conf/gateway.yaml};
 * {@link ConfigLoader} is the only place that knows the key names and defaults.
 */
public record GatewayConfig(
    Http http,
    Management management,
    Limits limits,
    Storage storage,
    Auth auth,
    Feed feed,
    Validation validation,
    Shutdown shutdown,
    RateLimit rateLimit,
    Symbols symbols) {

  /** The public server. {@code publicBaseUrl} (no trailing slash) overrides the base taken from each request's Host. */
  public record Http(String host, int port, Optional<String> publicBaseUrl, Duration idleTimeout) {}

  /** The management server: health probes (and metrics). */
  public record Management(String host, int port) {}

  /**
   * Request size limits. A rejected upload is read and discarded for at most {@code drainTimeout} and
   * {@code drainMaxBytes} before the connection is closed, so that the client sees the answer instead of a reset.
   */
  public record Limits(long maxSymbolPackageSize, long maxPackageSize, Duration drainTimeout, long drainMaxBytes) {}

  public enum StorageType { FILESYSTEM }

  public record Storage(StorageType type, Path path) {}

  public enum AuthType { FILE, UPSTREAM }

  public record Auth(AuthType type, Path file, Optional<String> url, Duration timeout) {}

  public enum FeedType { LOCAL, UPSTREAM }

  public record Feed(FeedType type, Optional<String> url, Duration parentWait) {}

  /**
   * The validation worker: how many packages it checks at once, how long one check may take, and the zip budgets
   * (entries, bytes one entry may inflate to, bytes all entries may inflate to), counted while inflating.
   */
  public record Validation(int workers, Duration timeout, int maxEntries, long maxEntrySize, long maxTotalSize) {}

  public record Shutdown(Duration drainTimeout) {}

  public record RateLimit(int pushesPerHour) {}

  public record Symbols(boolean requireChecksum) {}
}
