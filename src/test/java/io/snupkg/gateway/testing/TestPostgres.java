package io.snupkg.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests: Debian's (scripts/test-tools.sh installs the {@code postgresql} package when
 * it is missing), a throwaway cluster made with {@code initdb} and run with {@code pg_ctl} on a free loopback port,
 * with {@code fsync=off} because a test's data need not survive the machine. As root, PostgreSQL refuses to run,
 * so the commands run as the {@code postgres} user the package creates.
 *
 * <p>{@link #shared()} is one server for the whole test JVM, with a fresh database per gateway; tests that stop the
 * server (outages) start their own with {@link #start()}.
 */
public final class TestPostgres implements AutoCloseable {
  private static TestPostgres shared;

  private final Path dir;
  private final Path bin;
  private final int port;

  private TestPostgres(Path dir, Path bin, int port) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
  }

  /** The test JVM's server, started on first use and stopped when the JVM exits. */
  public static synchronized TestPostgres shared() {
    if (shared == null) {
      TestPostgres pg = start();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close));
      shared = pg;
    }
    return shared;
  }

  /** A new cluster on a free port. */
  public static TestPostgres start() {
    Path bin = binaries();
    try {
      // Not under a JUnit @TempDir: those are private to root, and the server runs as postgres.
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "snupkg-pg-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      if (asRoot()) {
        run(List.of("chown", "postgres:postgres", dir.toString()));
      }
      TestPostgres pg = new TestPostgres(dir, bin, freePort());
      pg.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust",
          "-U", "postgres", "--no-sync", "-E", "UTF8"));
      pg.resume();
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server again after {@link #kill()} or {@link #stop()}, on the same port with the same data. */
  public void resume() {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("log").toString(), "-w", "-t", "30", "-o", "-p " + port + " -k " + dir
            + " -c listen_addresses=127.0.0.1 -c fsync=off"
            + " -c max_connections=300", "start"));
  }

  /** Stops the server at once, as a crash would ({@code -m immediate}): an outage. */
  public void kill() {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w",
        "stop"));
  }

  /** A new empty database; its name. */
  public String createDatabase() {
    String name = "snupkg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    psql("postgres", "CREATE DATABASE " + name);
    return name;
  }

  /** The {@code database.url} of one database: user postgres, trust authentication, so no password. */
  public String url(String database) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + database;
  }

  /** Runs SQL with psql and returns its unaligned, tuples-only output (one row per line, fields split by |). */
  public String psql(String database, String sql) {
    return run(List.of(bin.resolve("psql").toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h",
        "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres", "-d", database, "-c", sql));
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w",
          "stop"));
    } catch (RuntimeException alreadyStopped) {
      // a test stopped it already
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // left in /tmp; harmless
    }
  }

  /** The newest PostgreSQL installed under /usr/lib/postgresql. */
  private static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    try (Stream<Path> versions = Files.isDirectory(root) ? Files.list(root) : Stream.empty()) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString()
              .replaceAll("\\D", "0"))))
          .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/"
              + "pg_ctl): run scripts/test-tools.sh, which installs Debian's postgresql package"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name").toLowerCase(Locale.ROOT));
  }

  /** A PostgreSQL command, as the postgres user when the tests run as root. */
  private String pg(List<String> command) {
    List<String> full = new ArrayList<>();
    if (asRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    return run(full);
  }

  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", command));
      }
      String text = new String(out, StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
