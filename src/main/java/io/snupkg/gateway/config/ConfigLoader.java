package io.snupkg.gateway.config;

import io.snupkg.gateway.config.GatewayConfig.Auth;
import io.snupkg.gateway.config.GatewayConfig.AuthType;
import io.snupkg.gateway.config.GatewayConfig.Database;
import io.snupkg.gateway.config.GatewayConfig.Feed;
import io.snupkg.gateway.config.GatewayConfig.FeedType;
import io.snupkg.gateway.config.GatewayConfig.Http;
import io.snupkg.gateway.config.GatewayConfig.Limits;
import io.snupkg.gateway.config.GatewayConfig.LogFormat;
import io.snupkg.gateway.config.GatewayConfig.LogLevel;
import io.snupkg.gateway.config.GatewayConfig.Logging;
import io.snupkg.gateway.config.GatewayConfig.Management;
import io.snupkg.gateway.config.GatewayConfig.RateLimit;
import io.snupkg.gateway.config.GatewayConfig.S3;
import io.snupkg.gateway.config.GatewayConfig.Shutdown;
import io.snupkg.gateway.config.GatewayConfig.Storage;
import io.snupkg.gateway.config.GatewayConfig.StorageType;
import io.snupkg.gateway.config.GatewayConfig.Symbols;
import io.snupkg.gateway.config.GatewayConfig.Upstream;
import io.snupkg.gateway.config.GatewayConfig.Validation;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads {@code gateway.yaml} and {@code SNUPKG_*} environment variables into a {@link GatewayConfig}.
 *
 * <p>The binding code below is the schema: every key it reads is a known key, and a key in the file (or a
 * {@code SNUPKG_} variable) that it never read is reported as unknown. That keeps the list of keys in one place.
 */
public final class ConfigLoader {
  public static final String ENV_PREFIX = "SNUPKG_";

  private final Map<String, Object> yaml;
  private final Map<String, String> env;
  private final String source;
  private final Set<String> readKeys = new HashSet<>();

  private ConfigLoader(Map<String, Object> yaml, Map<String, String> env, String source) {
    this.yaml = yaml;
    this.env = env;
    this.source = source;
  }

  /** Loads {@code file} if it exists; a missing file is an error only when {@code required}. */
  public static GatewayConfig load(Path file, boolean required, Map<String, String> env) {
    if (!Files.exists(file)) {
      if (required) {
        throw new ConfigException("configuration file " + file + " does not exist");
      }
      return fromYaml("", "embedded defaults", env);
    }
    try {
      return fromYaml(Files.readString(file), file.toString(), env);
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
    }
  }

  public static GatewayConfig fromYaml(String text, String source, Map<String, String> env) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getMessage().replaceAll("\\s+", " "));
    }
    if (root != null && !(root instanceof Map)) {
      throw new ConfigException(source + ": the top level must be a mapping of sections (http:, limits:, ...)");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = root == null ? Map.of() : (Map<String, Object>) root;
    return new ConfigLoader(map, env, source).bind();
  }

  private GatewayConfig bind() {
    Http http = new Http(
        string("http.host", "0.0.0.0"),
        port("http.port", 8080),
        optionalUrl("http.publicBaseUrl").map(u -> u.replaceAll("/+$", "")),
        duration("http.idleTimeout", "60s"),
        duration("http.headerTimeout", "30s"),
        duration("http.maxRetryAfter", "60s"));
    if (http.maxRetryAfter().compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("http.maxRetryAfter: at least 1s"); // Retry-After counts whole seconds
    }
    Management management = new Management(string("management.host", "0.0.0.0"), port("management.port", 9090));
    Limits limits = new Limits(
        size("limits.maxSymbolPackageSize", "250MiB"),
        size("limits.maxPackageSize", "250MiB"),
        duration("limits.drainTimeout", "30s"),
        size("limits.drainMaxBytes", "1GiB"));
    Storage storage = new Storage(
        choice("storage.type", "filesystem", StorageType.class), Path.of(string("storage.path", "data")),
        new S3(optionalUrl("storage.s3.endpoint"), string("storage.s3.region", "us-east-1"),
            optional("storage.s3.bucket"), prefix("storage.s3.prefix"), bool("storage.s3.pathStyle", false),
            optional("storage.s3.accessKey"), optional("storage.s3.secretKey"),
            partSize("storage.s3.partSize", "16MiB"), bool("storage.s3.presignDownloads", false)),
        duration("storage.orphanGrace", "1h"),
        size("storage.minFreeSpace", "256MiB"));
    if (storage.orphanGrace().compareTo(Duration.ofMinutes(10)) < 0) {
      // Shorter than an upload's claim on its record (5 minutes), a sweep could delete a blob about to be recorded.
      throw new ConfigException("storage.orphanGrace: at least 10m");
    }
    if (storage.minFreeSpace() < (1 << 20)) {
      // Readiness and admission read "full" from this margin; without one, a disk with a few blocks left would
      // report ready while every push fails.
      throw new ConfigException("storage.minFreeSpace: at least 1MiB");
    }
    Database database = new Database(optionalDatabaseUrl("database.url"), optional("database.password"),
        intRange("database.poolSize", 8, 1, 1000));
    Auth auth = new Auth(
        choice("auth.type", "file", AuthType.class),
        Path.of(string("auth.file", "conf/api-keys.yaml")),
        optionalUrl("auth.url"),
        duration("auth.timeout", "2s"),
        duration("auth.cacheTtl", "60s"),
        duration("auth.negativeTtl", "10s"),
        intRange("auth.cacheSize", 10_000, 1, 10_000_000),
        intRange("auth.breakerFailures", 5, 1, 1000),
        duration("auth.breakerReset", "10s"),
        upstream("auth"));
    Feed feed = new Feed(
        choice("feed.type", "local", FeedType.class),
        optionalUrl("feed.url"),
        duration("feed.parentWait", "30s"),
        duration("feed.timeout", "10s"),
        duration("feed.refresh", "10m"),
        upstream("feed"));
    Validation validation = new Validation(
        intRange("validation.workers", 2, 1, 64), duration("validation.timeout", "60s"),
        intRange("validation.maxEntries", 10_000, 1, 1_000_000), size("validation.maxEntrySize", "64MiB"),
        size("validation.maxTotalSize", "256MiB"));
    Shutdown shutdown = new Shutdown(duration("shutdown.drainTimeout", "30s"));
    RateLimit rateLimit = new RateLimit(intRange("rateLimit.pushesPerHour", 0, 0, Integer.MAX_VALUE));
    Logging logging = new Logging(choice("logging.format", "text", LogFormat.class),
        choice("logging.level", "info", LogLevel.class));
    Symbols symbols = new Symbols(bool("symbols.requireChecksum", false),
        bool("symbols.requirePdbChecksum", false), duration("symbols.publishDeadline", "1h"),
        duration("symbols.publishLease", "60s"), duration("symbols.publishPoll", "2s"));
    if (symbols.publishLease().toMillis() < 1000 || symbols.publishPoll().toMillis() < 100) {
      throw new ConfigException("symbols.publishLease: at least 1s (and symbols.publishPoll at least 100ms)");
    }

    rejectUnknownKeys();
    GatewayConfig config =
        new GatewayConfig(http, management, limits, storage, database, auth, feed, validation, shutdown, rateLimit, logging, symbols);
    checkSupported(config);
    return config;
  }

  private Upstream upstream(String section) {
    Optional<String> header = optional(section + ".header");
    if (header.isPresent() && !header.get().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+:\\s*\\S.*")) {
      throw new ConfigException(section + ".header: expected 'Name: value'");
    }
    return new Upstream(optional(section + ".bearerToken"), header, optional(section + ".caFile").map(Path::of));
  }

  private Optional<String> optional(String key) {
    String text = value(key, Function.identity(), null);
    return text == null || text.isBlank() || text.equals("null") ? Optional.empty() : Optional.of(text.trim());
  }

  /** Combinations that cannot run: say so at start, not at the first push. */
  private static void checkSupported(GatewayConfig c) {
    if (c.auth().type() == AuthType.UPSTREAM && c.auth().url().isEmpty()) {
      throw new ConfigException("auth.url: required when auth.type is 'upstream'");
    }
    if (c.feed().type() == FeedType.UPSTREAM && c.feed().url().isEmpty()) {
      throw new ConfigException("feed.url: required when feed.type is 'upstream' (the feed's service index URL)");
    }
    Map<String, Optional<Path>> caFiles =
        Map.of("auth.caFile", c.auth().upstream().caFile(), "feed.caFile", c.feed().upstream().caFile());
    caFiles.forEach((key, file) -> {
      if (file.isPresent() && !Files.isReadable(file.get())) {
        throw new ConfigException(key + ": cannot read " + file.get());
      }
    });
    if (c.storage().type() == StorageType.S3) {
      if (c.database().url().isEmpty()) {
        throw new ConfigException("database.url: required when storage.type is 's3' (the records of every replica "
            + "live in PostgreSQL)");
      }
      if (c.storage().s3().bucket().isEmpty()) {
        throw new ConfigException("storage.s3.bucket: required when storage.type is 's3'");
      }
      if (c.storage().s3().accessKey().isPresent() != c.storage().s3().secretKey().isPresent()) {
        throw new ConfigException("storage.s3.secretKey: storage.s3.accessKey and storage.s3.secretKey go together "
            + "(or neither, for the AWS default credential chain)");
      }
    }
    if (c.http().port() != 0 && c.http().port() == c.management().port()) {
      throw new ConfigException("management.port: must differ from http.port (" + c.http().port() + ")");
    }
  }

  // ---- typed getters; each one registers its key as known ----

  private String string(String key, String def) {
    return value(key, Function.identity(), def);
  }

  private int port(String key, int def) {
    return intRange(key, def, 0, 65535);
  }

  private int intRange(String key, int def, int min, int max) {
    return value(key, text -> {
      int n;
      try {
        n = Integer.parseInt(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not a whole number");
      }
      if (n < min || n > max) {
        throw new IllegalArgumentException(n + " is out of range " + min + ".." + max);
      }
      return n;
    }, String.valueOf(def));
  }

  private boolean bool(String key, boolean def) {
    return value(key, text -> switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("'" + text + "' is not true or false");
    }, String.valueOf(def));
  }

  private long size(String key, String def) {
    long bytes = value(key, DataSize::parse, def);
    if (bytes <= 0) {
      throw new ConfigException(key + ": must be larger than 0");
    }
    return bytes;
  }

  private Duration duration(String key, String def) {
    return value(key, Durations::parse, def);
  }

  private <E extends Enum<E>> E choice(String key, String def, Class<E> type) {
    return value(key, text -> {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(text.trim())) {
          return e;
        }
      }
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        names.add(e.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException("'" + text + "' is not one of " + String.join(", ", names));
    }, def);
  }

  /** S3 needs parts of at least 5 MiB (but the last) and allows at most 5 GiB. */
  private long partSize(String key, String def) {
    long bytes = size(key, def);
    if (bytes < 5L * 1024 * 1024 || bytes > 5L * 1024 * 1024 * 1024) {
      throw new ConfigException(key + ": must be between 5MiB and 5GiB (S3's part size limits)");
    }
    return bytes;
  }

  /** A key prefix inside the bucket: no leading slash; a trailing one is added, so "a" and "a/" are the same. */
  private String prefix(String key) {
    String text = string(key, "");
    String trimmed = text == null || text.equals("null") ? "" : text.trim().replaceAll("^/+", "");
    if (!trimmed.matches("[A-Za-z0-9._/-]*") || trimmed.contains("//") || trimmed.contains("..")) {
      throw new ConfigException(key + ": '" + text + "' may use only letters, digits and . _ - /");
    }
    return trimmed.isEmpty() || trimmed.endsWith("/") ? trimmed : trimmed + "/";
  }

  /** {@code postgresql://user@host:5432/db} (or {@code postgres://}); the password belongs in database.password. */
  private Optional<String> optionalDatabaseUrl(String key) {
    Optional<String> url = optional(key);
    url.ifPresent(u -> {
      URI uri;
      try {
        uri = new URI(u);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException(key + ": not a URL (expected postgresql://user@host:5432/db)");
      }
      if (!("postgresql".equals(uri.getScheme()) || "postgres".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException(key + ": expected postgresql://user@host:5432/db");
      }
      if (uri.getUserInfo() != null && uri.getUserInfo().contains(":")) {
        throw new ConfigException(key + ": put the password in database.password (SNUPKG_DATABASE_PASSWORD), "
            + "not in the URL");
      }
    });
    return url;
  }

  private Optional<String> optionalUrl(String key) {
    String text = value(key, Function.identity(), null);
    if (text == null || text.isBlank() || text.equals("null")) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(text.trim());
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException(key + ": '" + text + "' is not an absolute http or https URL");
      }
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key + ": '" + text + "' is not a URL");
    }
    return Optional.of(text.trim());
  }

  /** Looks the key up in the environment first, then in the YAML, then falls back to the default. */
  private <T> T value(String key, Function<String, T> parse, String def) {
    readKeys.add(key);
    String envName = envName(key);
    String text;
    String origin;
    if (env.containsKey(envName)) {
      text = env.get(envName);
      origin = envName;
    } else {
      Object raw = lookup(key);
      if (raw instanceof Map || raw instanceof List) {
        throw new ConfigException(key + ": expected a single value, found a " + (raw instanceof Map ? "mapping" : "list"));
      }
      text = raw == null ? def : String.valueOf(raw);
      origin = key;
    }
    if (text == null) {
      return null;
    }
    try {
      return parse.apply(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(origin + ": " + e.getMessage());
    }
  }

  private Object lookup(String key) {
    String[] parts = key.split("\\.");
    Object node = yaml;
    for (String part : parts) {
      if (!(node instanceof Map<?, ?> m)) {
        return null;
      }
      node = m.get(part);
    }
    return node;
  }

  private void rejectUnknownKeys() {
    Set<String> unknown = new TreeSet<>();
    collectKeys("", yaml, unknown);
    unknown.removeAll(readKeys);
    // A section with nothing under it ("symbols:" or "symbols: {}") is harmless.
    unknown.removeIf(k -> (lookup(k) == null || lookup(k) instanceof Map<?, ?> m && m.isEmpty())
        && readKeys.stream().anyMatch(r -> r.startsWith(k + ".")));
    if (!unknown.isEmpty()) {
      throw new ConfigException(source + ": unknown key '" + unknown.iterator().next() + "'");
    }
    Set<String> knownEnv = new HashSet<>();
    readKeys.forEach(k -> knownEnv.add(envName(k)));
    for (String name : new TreeSet<>(env.keySet())) {
      if (name.startsWith(ENV_PREFIX) && !knownEnv.contains(name)) {
        throw new ConfigException("unknown environment variable " + name + " (no such configuration key)");
      }
    }
  }

  private static void collectKeys(String prefix, Map<?, ?> map, Set<String> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> child && !child.isEmpty()) {
        collectKeys(key + ".", child, out);
      } else {
        out.add(key);
      }
    }
  }

  /** {@code limits.maxSymbolPackageSize} becomes {@code SNUPKG_LIMITS_MAX_SYMBOL_PACKAGE_SIZE}. */
  public static String envName(String key) {
    String snake = key.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2");
    return ENV_PREFIX + snake.toUpperCase(Locale.ROOT);
  }
}
