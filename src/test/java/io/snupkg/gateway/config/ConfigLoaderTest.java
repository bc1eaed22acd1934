package io.snupkg.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.config.GatewayConfig.AuthType;
import io.snupkg.gateway.config.GatewayConfig.FeedType;
import io.snupkg.gateway.config.GatewayConfig.StorageType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final Map<String, String> NO_ENV = Map.of();

  private static GatewayConfig yaml(String text) {
    return ConfigLoader.fromYaml(text, "test.yaml", NO_ENV);
  }

  private static ConfigException rejected(String text) {
    return assertThrows(ConfigException.class, () -> yaml(text));
  }

  private static ConfigException rejected(String text, Map<String, String> env) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(text, "test.yaml", env));
  }

  private static void assertOneLine(String message) {
    assertFalse(message.contains("\n") || message.contains("\r"), () -> "not one line: " + message);
  }

  // ---- defaults ----

  @Test
  void emptyYamlGivesTheDocumentedDefaults() {
    GatewayConfig c = yaml("");
    assertEquals("0.0.0.0", c.http().host());
    assertEquals(8080, c.http().port());
    assertEquals(Optional.empty(), c.http().publicBaseUrl());
    assertEquals(Duration.ofSeconds(60), c.http().idleTimeout());
    assertEquals(Duration.ofSeconds(30), c.http().headerTimeout());
    assertEquals(Duration.ofSeconds(60), c.http().maxRetryAfter());
    assertEquals(256L << 20, c.storage().minFreeSpace());
    assertEquals("0.0.0.0", c.management().host());
    assertEquals(9090, c.management().port());
    assertEquals(250L * 1024 * 1024, c.limits().maxSymbolPackageSize());
    assertEquals(250L * 1024 * 1024, c.limits().maxPackageSize());
    assertEquals(Duration.ofSeconds(30), c.limits().drainTimeout());
    assertEquals(1L << 30, c.limits().drainMaxBytes());
    assertEquals(StorageType.FILESYSTEM, c.storage().type());
    assertEquals(Path.of("data"), c.storage().path());
    assertEquals(AuthType.FILE, c.auth().type());
    assertEquals(Path.of("conf/api-keys.yaml"), c.auth().file());
    assertEquals(Optional.empty(), c.auth().url());
    assertEquals(Duration.ofSeconds(2), c.auth().timeout());
    assertEquals(FeedType.LOCAL, c.feed().type());
    assertEquals(Optional.empty(), c.feed().url());
    assertEquals(Duration.ofSeconds(30), c.feed().parentWait());
    assertEquals(2, c.validation().workers());
    assertEquals(Duration.ofSeconds(60), c.validation().timeout());
    assertEquals(Duration.ofSeconds(30), c.shutdown().drainTimeout());
    assertEquals(0, c.rateLimit().pushesPerHour());
    assertEquals(new GatewayConfig.Logging(GatewayConfig.LogFormat.TEXT, GatewayConfig.LogLevel.INFO), c.logging());
    assertFalse(c.symbols().requireChecksum());
  }

  @Test
  void theSharedBackendIsConfiguredUnderStorageS3AndDatabase() {
    GatewayConfig c = ConfigLoader.fromYaml(String.join("\n", "storage:", "  type: s3", "  path: /var/lib/snupkg",
        "  s3:", "    endpoint: http://minio:9000", "    bucket: symbols", "    prefix: /tenant-a", "    pathStyle: true",
        "    accessKey: snupkg", "    partSize: 8MiB", "database:", "  url: postgresql://snupkg@pg-rw:5432/snupkg",
        "  poolSize: 4", ""), "test.yaml",
        Map.of("SNUPKG_STORAGE_S3_SECRET_KEY", "s3-secret", "SNUPKG_DATABASE_PASSWORD", "db-secret"));
    assertEquals(StorageType.S3, c.storage().type());
    assertEquals(new GatewayConfig.S3(Optional.of("http://minio:9000"), "us-east-1", Optional.of("symbols"),
        "tenant-a/", true, Optional.of("snupkg"), Optional.of("s3-secret"), 8L * 1024 * 1024, false), c.storage().s3());
    assertEquals(new GatewayConfig.Database(Optional.of("postgresql://snupkg@pg-rw:5432/snupkg"),
        Optional.of("db-secret"), 4), c.database());
    assertFalse(c.toString().contains("s3-secret") || c.toString().contains("db-secret"),
        "secrets never reach a log line: " + c);
    assertEquals(Duration.ofHours(1), c.storage().orphanGrace());
    assertEquals(Duration.ofSeconds(60), c.symbols().publishLease());
  }

  @Test
  void theSharedBackendsMistakesNameTheirKeys() {
    assertEquals("database.url: required when storage.type is 's3' (the records of every replica live in PostgreSQL)",
        rejected("storage: {type: s3, s3: {bucket: b}}").getMessage());
    assertEquals("storage.s3.bucket: required when storage.type is 's3'",
        rejected("storage: {type: s3}\ndatabase: {url: 'postgresql://u@h/db'}").getMessage());
    assertEquals("database.url: put the password in database.password (SNUPKG_DATABASE_PASSWORD), not in the URL",
        rejected("database: {url: 'postgresql://u:pw@h/db'}").getMessage());
    assertEquals("database.url: expected postgresql://user@host:5432/db",
        rejected("database: {url: 'mysql://u@h/db'}").getMessage());
    assertEquals("storage.s3.partSize: must be between 5MiB and 5GiB (S3's part size limits)",
        rejected("storage: {s3: {partSize: 1MiB}}").getMessage());
    assertEquals("storage.orphanGrace: at least 10m", rejected("storage: {orphanGrace: 1m}").getMessage());
    assertTrue(rejected("storage: {type: s3, s3: {bucket: b, accessKey: a}}\ndatabase: {url: 'postgresql://u@h/d'}")
        .getMessage().startsWith("storage.s3.secretKey: storage.s3.accessKey and storage.s3.secretKey go together"));
    assertEquals("storage.s3.prefix: 'a b' may use only letters, digits and . _ - /",
        rejected("storage: {s3: {prefix: 'a b'}}").getMessage());
  }

  @Test
  void loggingFormatAndLevelAreChoices() {
    GatewayConfig c = ConfigLoader.fromYaml("logging: {format: JSON, level: debug}", "test", NO_ENV);
    assertEquals(GatewayConfig.LogFormat.JSON, c.logging().format());
    assertEquals(GatewayConfig.LogLevel.DEBUG, c.logging().level());
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromYaml("", "test", Map.of("SNUPKG_LOGGING_FORMAT", "xml")));
    assertEquals("SNUPKG_LOGGING_FORMAT: 'xml' is not one of text, json", e.getMessage());
  }

  @Test
  void shippedGatewayYamlEqualsTheEmbeddedDefaults() {
    Path shipped = Path.of("conf/gateway.yaml");
    assertTrue(Files.isRegularFile(shipped), "run from the project directory: " + shipped.toAbsolutePath());
    GatewayConfig file = ConfigLoader.load(shipped, true, NO_ENV);
    GatewayConfig defaults = yaml("");
    assertEquals(defaults.http(), file.http());
    assertEquals(defaults.management(), file.management());
    assertEquals(defaults.limits(), file.limits());
    assertEquals(defaults.storage(), file.storage());
    assertEquals(defaults.database(), file.database());
    assertEquals(defaults.auth(), file.auth());
    assertEquals(defaults.feed(), file.feed());
    assertEquals(defaults.validation(), file.validation());
    assertEquals(defaults.shutdown(), file.shutdown());
    assertEquals(defaults.rateLimit(), file.rateLimit());
    assertEquals(defaults.logging(), file.logging());
    assertEquals(defaults.symbols(), file.symbols());
    assertEquals(defaults, file);
  }

  @Test
  void missingOptionalFileGivesDefaultsAndMissingRequiredFileIsAnError(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertEquals(yaml(""), ConfigLoader.load(missing, false, NO_ENV));
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, true, NO_ENV));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void missingOptionalFileStillHonoursEnvironment(@TempDir Path dir) {
    GatewayConfig c = ConfigLoader.load(dir.resolve("nope.yaml"), false, Map.of("SNUPKG_HTTP_PORT", "8181"));
    assertEquals(8181, c.http().port());
  }

  @Test
  void loadReadsAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, "http:\n  port: 8088\n");
    assertEquals(8088, ConfigLoader.load(file, true, NO_ENV).http().port());
  }

  @Test
  void emptySectionIsHarmless() {
    assertFalse(yaml("symbols:\nhttp:\n").symbols().requireChecksum());
  }

  // ---- sizes ----

  @Test
  void sizesInBinaryUnitsAndPlainBytes() {
    GatewayConfig c = yaml("limits:\n  maxSymbolPackageSize: 250MiB\n  maxPackageSize: 1048576\n"
        + "  drainMaxBytes: 1GiB\n");
    assertEquals(262_144_000L, c.limits().maxSymbolPackageSize());
    assertEquals(1_048_576L, c.limits().maxPackageSize());
    assertEquals(1_073_741_824L, c.limits().drainMaxBytes());
    assertEquals(64L * 1024, yaml("limits:\n  maxPackageSize: 64KiB\n").limits().maxPackageSize());
    assertEquals(5_000_000_000L, yaml("limits:\n  maxPackageSize: 5000000000\n").limits().maxPackageSize());
  }

  @Test
  void badSizeNamesTheKey() {
    ConfigException e = rejected("limits:\n  maxSymbolPackageSize: 12XB\n");
    assertTrue(e.getMessage().contains("limits.maxSymbolPackageSize"), e.getMessage());
    assertTrue(e.getMessage().contains("12XB"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void zeroSizeIsRejected() {
    ConfigException e = rejected("limits:\n  maxPackageSize: 0\n");
    assertTrue(e.getMessage().contains("limits.maxPackageSize"), e.getMessage());
  }

  @Test
  void overflowingSizeIsRejected() {
    ConfigException e = rejected("limits:\n  drainMaxBytes: 99999999999TiB\n");
    assertTrue(e.getMessage().contains("limits.drainMaxBytes"), e.getMessage());
  }

  @Test
  void dataSizeFormat() {
    assertEquals("250 MiB", DataSize.format(262_144_000L));
    assertEquals("1 GiB", DataSize.format(1L << 30));
    assertEquals("64 KiB", DataSize.format(65_536L));
    assertEquals("1000 bytes", DataSize.format(1000L));
  }

  // ---- durations ----

  @Test
  void durations() {
    GatewayConfig c = yaml("http:\n  idleTimeout: 500ms\nauth:\n  timeout: 2s\nfeed:\n  parentWait: 1m\n"
        + "validation:\n  timeout: 1h\n");
    assertEquals(Duration.ofMillis(500), c.http().idleTimeout());
    assertEquals(Duration.ofSeconds(2), c.auth().timeout());
    assertEquals(Duration.ofMinutes(1), c.feed().parentWait());
    assertEquals(Duration.ofHours(1), c.validation().timeout());
  }

  @Test
  void badDurationNamesTheKey() {
    for (String bad : new String[] {"10", "2 sec", "-1s", "1.5s", "abc"}) {
      ConfigException e = rejected("shutdown:\n  drainTimeout: " + bad + "\n");
      assertTrue(e.getMessage().contains("shutdown.drainTimeout"), e.getMessage());
      assertOneLine(e.getMessage());
    }
  }

  // ---- environment ----

  @Test
  void envName() {
    assertEquals("SNUPKG_LIMITS_MAX_SYMBOL_PACKAGE_SIZE", ConfigLoader.envName("limits.maxSymbolPackageSize"));
    assertEquals("SNUPKG_HTTP_PORT", ConfigLoader.envName("http.port"));
    assertEquals("SNUPKG_HTTP_PUBLIC_BASE_URL", ConfigLoader.envName("http.publicBaseUrl"));
    assertEquals("SNUPKG_RATE_LIMIT_PUSHES_PER_HOUR", ConfigLoader.envName("rateLimit.pushesPerHour"));
  }

  @Test
  void environmentOverridesDefaults() {
    GatewayConfig c = ConfigLoader.fromYaml("", "test.yaml", Map.of("SNUPKG_HTTP_PORT", "8081"));
    assertEquals(8081, c.http().port());
  }

  @Test
  void environmentBeatsYaml() {
    GatewayConfig c = ConfigLoader.fromYaml(
        "http:\n  port: 8082\nlimits:\n  maxSymbolPackageSize: 100MiB\n  maxPackageSize: 100MiB\n", "test.yaml",
        Map.of("SNUPKG_HTTP_PORT", "8081", "SNUPKG_LIMITS_MAX_SYMBOL_PACKAGE_SIZE", "500MiB"));
    assertEquals(8081, c.http().port());
    assertEquals(500L << 20, c.limits().maxSymbolPackageSize());
    assertEquals(100L << 20, c.limits().maxPackageSize(), "a key without a variable keeps the YAML value");
  }

  @Test
  void badEnvironmentValueNamesTheVariable() {
    ConfigException e = rejected("", Map.of("SNUPKG_HTTP_PORT", "eighty"));
    assertTrue(e.getMessage().contains("SNUPKG_HTTP_PORT"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void unknownSnupkgVariableIsAnError() {
    ConfigException e = rejected("", Map.of("SNUPKG_FOO", "1"));
    assertTrue(e.getMessage().contains("SNUPKG_FOO"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void otherVariablesAreIgnored() {
    GatewayConfig c = ConfigLoader.fromYaml("", "test.yaml", Map.of("PATH", "/bin", "HOME", "/root", "SNUPKGX", "1"));
    assertEquals(8080, c.http().port());
  }

  // ---- unknown keys, bad values ----

  @Test
  void unknownYamlKeyIsNamed() {
    ConfigException e = rejected("limits:\n  maxSize: 10MiB\n");
    assertTrue(e.getMessage().contains("limits.maxSize"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void unknownSectionIsNamed() {
    ConfigException e = rejected("metrics:\n  enabled: true\n");
    assertTrue(e.getMessage().contains("metrics.enabled"), e.getMessage());
  }

  @Test
  void badEnumNamesTheKeyAndTheChoices() {
    ConfigException e = rejected("auth:\n  type: ldap\n");
    assertTrue(e.getMessage().contains("auth.type"), e.getMessage());
    assertTrue(e.getMessage().contains("ldap"), e.getMessage());
    assertTrue(e.getMessage().contains("file"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void enumIgnoresCase() {
    assertEquals(StorageType.FILESYSTEM, yaml("storage:\n  type: FileSystem\n").storage().type());
  }

  @Test
  void portOutOfRange() {
    ConfigException e = rejected("http:\n  port: 70000\n");
    assertTrue(e.getMessage().contains("http.port"), e.getMessage());
    assertTrue(e.getMessage().contains("70000"), e.getMessage());
    ConfigException negative = rejected("management:\n  port: -1\n");
    assertTrue(negative.getMessage().contains("management.port"), negative.getMessage());
    assertEquals(65535, yaml("http:\n  port: 65535\n").http().port());
  }

  @Test
  void portNotANumber() {
    ConfigException e = rejected("http:\n  port: http\n");
    assertTrue(e.getMessage().contains("http.port"), e.getMessage());
  }

  @Test
  void samePortForHttpAndManagementIsRefused() {
    ConfigException e = rejected("http:\n  port: 9090\n");
    assertTrue(e.getMessage().contains("management.port"), e.getMessage());
  }

  @Test
  void workersOutOfRange() {
    ConfigException e = rejected("validation:\n  workers: 0\n");
    assertTrue(e.getMessage().contains("validation.workers"), e.getMessage());
  }

  @Test
  void badBoolean() {
    ConfigException e = rejected("symbols:\n  requireChecksum: maybe\n");
    assertTrue(e.getMessage().contains("symbols.requireChecksum"), e.getMessage());
    assertTrue(yaml("symbols:\n  requireChecksum: true\n").symbols().requireChecksum());
  }

  @Test
  void upstreamAuthNeedsItsUrl() {
    ConfigException e = rejected("auth:\n  type: upstream\n");
    assertEquals("auth.url: required when auth.type is 'upstream'", e.getMessage());
    GatewayConfig c = yaml("auth:\n  type: upstream\n  url: https://auth.example.com/v1/check\n  bearerToken: t0k\n"
        + "  cacheTtl: 30s\n");
    assertEquals(Optional.of("https://auth.example.com/v1/check"), c.auth().url());
    assertEquals(Optional.of("t0k"), c.auth().upstream().bearerToken());
    assertEquals(java.time.Duration.ofSeconds(30), c.auth().cacheTtl());
  }

  @Test
  void upstreamFeedNeedsItsServiceIndex() {
    ConfigException e = rejected("feed:\n  type: upstream\n");
    assertEquals("feed.url: required when feed.type is 'upstream' (the feed's service index URL)", e.getMessage());
    assertEquals(Optional.of("https://feed.example.com/v3/index.json"),
        yaml("feed:\n  type: upstream\n  url: https://feed.example.com/v3/index.json\n").feed().url());
  }

  @Test
  void upstreamHeaderMustBeNameColonValue() {
    assertEquals("auth.header: expected 'Name: value'", rejected("auth:\n  header: no colon here\n").getMessage());
    assertEquals(Optional.of("X-Gateway-Token: abc"),
        yaml("auth:\n  header: 'X-Gateway-Token: abc'\n").auth().upstream().header());
  }

  @Test
  void unreadableCaFileIsRefused() {
    assertEquals("feed.caFile: cannot read /nonexistent/ca.pem",
        rejected("feed:\n  caFile: /nonexistent/ca.pem\n").getMessage());
  }

  @Test
  void publicBaseUrlLosesTrailingSlashes() {
    assertEquals(Optional.of("https://nuget.example.com/base"),
        yaml("http:\n  publicBaseUrl: https://nuget.example.com/base//\n").http().publicBaseUrl());
  }

  @Test
  void publicBaseUrlMustBeHttp() {
    ConfigException e = rejected("http:\n  publicBaseUrl: ftp://nuget.example.com/\n");
    assertTrue(e.getMessage().contains("http.publicBaseUrl"), e.getMessage());
    ConfigException relative = rejected("http:\n  publicBaseUrl: /just/a/path\n");
    assertTrue(relative.getMessage().contains("http.publicBaseUrl"), relative.getMessage());
  }

  @Test
  void sectionWhereAValueIsExpected() {
    ConfigException e = rejected("http:\n  port:\n    number: 8080\n");
    assertTrue(e.getMessage().contains("http.port"), e.getMessage());
  }

  @Test
  void topLevelMustBeAMapping() {
    ConfigException e = rejected("- http\n- limits\n");
    assertTrue(e.getMessage().startsWith("test.yaml"), e.getMessage());
  }

  @Test
  void theHeadDeadlineAndTheFreeSpaceMinimumAreSet() {
    GatewayConfig c = yaml("http:\n  headerTimeout: 5s\nstorage:\n  minFreeSpace: 2GiB\n");
    assertEquals(Duration.ofSeconds(5), c.http().headerTimeout());
    assertEquals(2L << 30, c.storage().minFreeSpace());
    ConfigException tooSmall = rejected("storage:\n  minFreeSpace: 4KiB\n");
    assertEquals("storage.minFreeSpace: at least 1MiB", tooSmall.getMessage());
    assertTrue(rejected("http:\n  headerTimeout: later\n").getMessage().contains("http.headerTimeout"));
    assertEquals(Duration.ofSeconds(5), yaml("http:\n  maxRetryAfter: 5s\n").http().maxRetryAfter());
    assertEquals("http.maxRetryAfter: at least 1s", rejected("http:\n  maxRetryAfter: 500ms\n").getMessage());
  }

  @Test
  void invalidYamlGivesOneLine() {
    ConfigException e = rejected("http:\n  port: [8080\n  host: x\n");
    assertTrue(e.getMessage().startsWith("test.yaml"), e.getMessage());
    assertOneLine(e.getMessage());
  }

  @Test
  void messagesAreSingleLines() {
    String[] bad = {
      "limits:\n  maxSymbolPackageSize: 12XB\n",
      "limits:\n  maxSize: 1\n",
      "auth:\n  type: ldap\n",
      "http:\n  port: 70000\n",
      "http:\n  idleTimeout: soon\n",
    };
    for (String text : bad) {
      assertOneLine(rejected(text).getMessage());
    }
  }

  @Test
  void overflowingDurationIsAConfigExceptionNamingTheKey() {
    ConfigException e = rejected("limits:\n  drainTimeout: 9999999999999999h\n");
    assertTrue(e.getMessage().contains("limits.drainTimeout"), e.getMessage());
    ConfigException minutes = rejected("feed:\n  parentWait: 999999999999999999m\n");
    assertTrue(minutes.getMessage().contains("feed.parentWait"), minutes.getMessage());
  }

  @Test
  void valueWithALineBreakStillGivesAOneLineMessage() {
    assertOneLine(rejected("limits:\n  maxPackageSize: \"12\\nXB\"\n").getMessage());
    assertOneLine(rejected("http:\n  port: |\n    80\n    81\n").getMessage());
    assertOneLine(rejected("", Map.of("SNUPKG_HTTP_PORT", "80\n81")).getMessage());
  }

  @Test
  void emptyMappingSectionIsHarmlessLikeANullSection() {
    assertFalse(yaml("symbols: {}\n").symbols().requireChecksum());
  }
}
