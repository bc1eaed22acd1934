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
    Database database,
    Auth auth,
    Feed feed,
    Validation validation,
    Shutdown shutdown,
    RateLimit rateLimit,
    Logging logging,
    Symbols symbols) {

  /** The public server. {@code publicBaseUrl} (no trailing slash) overrides the base taken from each request's Host. */
  /**
   * @param idleTimeout a connection silent for this long is closed
   * @param headerTimeout a request head (request line and headers) must be complete this long after its first byte
   *     arrived (on a new connection: after it was accepted), however steadily it trickles in
   * @param maxRetryAfter the longest {@code Retry-After} any answer carries (429, 503), whatever the rate limit or an
   *     upstream service would say
   */
  public record Http(String host, int port, Optional<String> publicBaseUrl, Duration idleTimeout,
      Duration headerTimeout, Duration maxRetryAfter) {}

  /** The management server: health probes (and metrics). */
  public record Management(String host, int port) {}

  /**
   * Request size limits. A rejected upload is read and discarded for at most {@code drainTimeout} and
   * {@code drainMaxBytes} before the connection is closed, so that the client sees the answer instead of a reset.
   */
  public record Limits(long maxSymbolPackageSize, long maxPackageSize, Duration drainTimeout, long drainMaxBytes) {}

  public enum StorageType { FILESYSTEM, S3 }

  /**
   * Where packages live. {@code filesystem}: everything under {@code path}. {@code s3}: blobs in the bucket of
   * {@code s3}, records in the {@link Database}; {@code path} keeps only this replica's spool and work files, and a
   * blob that no record names (a replica died between its upload and its commit) is deleted once it is older than
   * {@code orphanGrace}. Below {@code minFreeSpace} free on the file system of {@code path}, pushes are refused with
   * 503 and the replica reports itself not ready.
   */
  public record Storage(StorageType type, Path path, S3 s3, Duration orphanGrace, long minFreeSpace) {}

  /**
   * An S3-compatible bucket. {@code endpoint} empty means AWS; {@code pathStyle} for MinIO, S3Proxy and Ceph;
   * credentials empty means the AWS default chain. Uploads above {@code partSize} go in parts of that size;
   * {@code presignDownloads} answers downloads with a 302 to a presigned URL instead of streaming them.
   */
  public record S3(Optional<String> endpoint, String region, Optional<String> bucket, String prefix,
      boolean pathStyle, Optional<String> accessKey, Optional<String> secretKey, long partSize,
      boolean presignDownloads) {
    @Override
    public String toString() { // the secret key never goes to a log line
      return "S3[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", prefix=" + prefix
          + ", pathStyle=" + pathStyle + ", accessKey=" + accessKey + ", secretKey="
          + (secretKey.isPresent() ? "(set)" : "(none)") + ", partSize=" + partSize + ", presignDownloads="
          + presignDownloads + "]";
    }
  }

  /**
   * The PostgreSQL database of the records when several replicas share a bucket ({@code url} like
   * {@code postgresql://user@host:5432/db}); {@code poolSize} connections per replica.
   */
  public record Database(Optional<String> url, Optional<String> password, int poolSize) {
    @Override
    public String toString() { // the password never goes to a log line
      return "Database[url=" + url + ", password=" + (password.isPresent() ? "(set)" : "(none)") + ", poolSize="
          + poolSize + "]";
    }
  }

  public enum AuthType { FILE, UPSTREAM }

  /**
   * Who may push. {@code file}: the key file. {@code upstream}: the auth service at {@code url} (DESIGN "Upstream
   * auth service contract"), with answers cached for at most {@code cacheTtl} (positive; the service's
   * cacheSeconds can only shorten it) and {@code negativeTtl}, in a cache of {@code cacheSize} entries, and a circuit
   * breaker that opens after {@code breakerFailures} failures in a row for {@code breakerReset}.
   */
  public record Auth(AuthType type, Path file, Optional<String> url, Duration timeout, Duration cacheTtl,
      Duration negativeTtl, int cacheSize, int breakerFailures, Duration breakerReset, Upstream upstream) {}

  /**
   * How the gateway calls an upstream service: an optional bearer token or one custom header ("Name: value"),
   * and an optional PEM file of CA certificates to trust besides the JVM's.
   */
  public record Upstream(Optional<String> bearerToken, Optional<String> header, Optional<Path> caFile) {}

  public enum FeedType { LOCAL, UPSTREAM }

  /**
   * Where parent packages are. {@code local}: the folder feed. {@code upstream}: the V3 feed whose service index is
   * {@code url}, re-read every {@code refresh}, called with {@code timeout}; a missing parent is looked for again
   * until {@code parentWait} has passed (upstream feeds index asynchronously).
   */
  public record Feed(FeedType type, Optional<String> url, Duration parentWait, Duration timeout, Duration refresh,
      Upstream upstream) {}

  /**
   * The validation worker: how many packages it checks at once, how long one check may take, and the zip budgets
   * (entries, bytes one entry may inflate to, bytes all entries may inflate to), counted while inflating.
   */
  public record Validation(int workers, Duration timeout, int maxEntries, long maxEntrySize, long maxTotalSize) {}

  public record Shutdown(Duration drainTimeout) {}

  public record RateLimit(int pushesPerHour) {}

  public enum LogFormat { TEXT, JSON }

  public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

  /** The gateway's own log level and the console encoder; the audit trail is JSON in both formats. */
  public record Logging(LogFormat format, LogLevel level) {}

  /**
   * Symbol publishing and serving: {@code requireChecksum} makes downloads verify the debugger's SymbolChecksum
   * header; {@code requirePdbChecksum} refuses DLLs without a PdbChecksum entry (nuget.org's rule; older compilers
   * and IL rewriters lack one); a push not published within {@code publishDeadline} fails. With several replicas a
   * publication is leased for {@code publishLease} (renewed while it runs; taken over by another replica once it
   * expires), and each replica asks for work every {@code publishPoll}.
   */
  public record Symbols(boolean requireChecksum, boolean requirePdbChecksum, Duration publishDeadline,
      Duration publishLease, Duration publishPoll) {}
}
