package io.snupkg.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.snupkg.gateway.auth.KeyFile;
import io.snupkg.gateway.config.ConfigException;
import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.database.Migration;
import io.snupkg.gateway.metrics.Prometheus;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: run the gateway, manage keys, or migrate a store. Exit codes: 0 ok, 1 could not start (or the
 * migration stopped), 2 bad usage.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  static final Path DEFAULT_CONFIG = Path.of("conf/gateway.yaml");

  private static final String USAGE = """
      snupkg-gateway: a streaming NuGet symbol package (.snupkg) push gateway.

      Usage:
        java -jar snupkg-gateway.jar [CONFIG.yaml]
            Start the gateway. CONFIG defaults to conf/gateway.yaml; without that file the embedded
            defaults apply. SNUPKG_* environment variables override keys (SNUPKG_HTTP_PORT=8081).
        java -jar snupkg-gateway.jar keys add --subject NAME --scope GLOB [--scope GLOB ...]
                                              [--expires 2027-01-01T00:00:00Z] [--file FILE]
            Create an API key for the embedded key authority, store its SHA-256 in the key file
            (auth.file, default conf/api-keys.yaml) and print the key once.
        java -jar snupkg-gateway.jar migrate --to CONFIG.yaml [--from OLD.yaml]
            Copy the filesystem store (storage.path of OLD, default conf/gateway.yaml) into the bucket and the
            database of CONFIG (storage.type: s3, database.url). Stop the gateway first; the old store is only
            read. Running it again copies only what is not there yet.
        java -jar snupkg-gateway.jar --help
            Show this text.
      """;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    List<String> list = List.of(args);
    if (list.contains("--help") || list.contains("-h")) {
      out.print(USAGE);
      return 0;
    }
    try {
      if (!list.isEmpty() && list.get(0).equals("keys")) {
        return keys(list.subList(1, list.size()), out, err, env);
      }
      if (!list.isEmpty() && list.get(0).equals("migrate")) {
        return migrate(list.subList(1, list.size()), out, err, env);
      }
      if (list.size() > 1 || (list.size() == 1 && list.get(0).startsWith("-"))) {
        err.println("Unknown arguments: " + String.join(" ", list) + " (see --help)");
        return 2;
      }
      Path configPath = list.isEmpty() ? DEFAULT_CONFIG : Path.of(list.get(0));
      GatewayConfig config = ConfigLoader.load(configPath, !list.isEmpty(), env);
      return serve(config, out, err);
    } catch (ConfigException | KeyFile.KeyFileException e) {
      err.println("snupkg-gateway: " + e.getMessage());
      return 1;
    }
  }

  private static int serve(GatewayConfig config, PrintStream out, PrintStream err) throws KeyFile.KeyFileException {
    LogSetup.apply(config.logging());
    // With an upstream authority, keys live in the auth service: no key file to create.
    Optional<String> firstKey = config.auth().type() == GatewayConfig.AuthType.FILE
        ? KeyFile.bootstrap(config.auth().file()) : Optional.empty();
    PrometheusMeterRegistry registry = Prometheus.registry();
    Vertx vertx = Prometheus.vertx(registry);
    Gateway gateway;
    try {
      gateway = Gateway.start(vertx, config, Clock.systemUTC(), registry).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      err.println("snupkg-gateway: cannot start: " + (e.getMessage() == null ? e : e.getMessage()));
      vertx.close();
      return 1;
    }
    firstKey.ifPresent(key -> printFirstKey(out, key, config, gateway.httpPort()));
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop = () -> {
      if (stopping.compareAndSet(false, true)) {
        stop(vertx, gateway, config);
      }
    };
    // SIGTERM (Kubernetes, docker stop) and SIGINT (Ctrl-C): drain, then exit 0. Left to the JVM, a signal would
    // run the shutdown hook too but end the process with 143, which reads as a crash to whoever watches it.
    for (String signal : List.of("TERM", "INT")) {
      Signal.handle(new Signal(signal), s -> new Thread(() -> {
        LOG.info("SIG{}: draining uploads in flight (up to {} ms), then exiting", signal,
            config.shutdown().drainTimeout().toMillis());
        stop.run();
        System.exit(0);
      }, "snupkg-shutdown").start());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "snupkg-shutdown-hook")); // any other way out
    return waitForever();
  }

  private static void stop(Vertx vertx, Gateway gateway, GatewayConfig config) {
    long drainMs = config.shutdown().drainTimeout().toMillis();
    try {
      gateway.stop().await(drainMs + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      System.err.println("snupkg-gateway: shutdown did not finish cleanly: " + e);
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("snupkg-gateway: Vert.x did not close in time: " + e);
    }
    LogSetup.flush();
  }

  private static int waitForever() {
    try {
      Thread.currentThread().join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Shown once, on the console only, never in a log: the key's hash is all the gateway keeps. */
  private static void printFirstKey(PrintStream out, String key, GatewayConfig config, int port) {
    String source = config.http().publicBaseUrl().orElse("http://localhost:" + port) + "/v3/index.json";
    out.println();
    out.println("  First start: created an API key that may push every package id.");
    out.println("  It is shown only now; " + config.auth().file() + " keeps its SHA-256 only.");
    out.println();
    out.println("    API key: " + key);
    out.println();
    out.println("  Push with:  nuget push X.nupkg -Source " + source + " -ApiKey " + key);
    out.println("  More keys:  java -jar target/snupkg-gateway.jar keys add --subject NAME --scope 'Contoso.*'");
    out.println();
    out.flush();
  }

  private static int migrate(List<String> args, PrintStream out, PrintStream err, Map<String, String> env) {
    Path to = null;
    Path from = null;
    for (int i = 0; i < args.size(); i += 2) {
      String option = args.get(i);
      if (!option.equals("--to") && !option.equals("--from")) {
        err.println("Unknown option " + option + " (see --help)");
        return 2;
      }
      if (i + 1 >= args.size()) {
        err.println("Missing value after " + option + " (see --help)");
        return 2;
      }
      Path value = Path.of(args.get(i + 1));
      if (option.equals("--to")) {
        to = value;
      } else {
        from = value;
      }
    }
    if (to == null) {
      err.println("migrate needs --to CONFIG.yaml, the configuration with storage.type: s3 and database.url");
      return 2;
    }
    // The old store is where the gateway would look now: the same file and SNUPKG_* variables as a start.
    GatewayConfig current = ConfigLoader.load(from == null ? DEFAULT_CONFIG : from, from != null, env);
    String currentName = from == null ? DEFAULT_CONFIG.toString() : from.toString();
    if (current.storage().type() != GatewayConfig.StorageType.FILESYSTEM) {
      err.println("snupkg-gateway: migrate: " + currentName + " has storage.type s3, so it names no filesystem "
          + "store; name the old configuration with --from");
      return 1;
    }
    GatewayConfig target = ConfigLoader.load(to, true, env);
    if (target.storage().type() != GatewayConfig.StorageType.S3) {
      err.println("snupkg-gateway: migrate: " + to + " must have storage.type: s3 (and database.url)");
      return 1;
    }
    try {
      Migration.run(current.storage().path(), target, out);
      return 0;
    } catch (Migration.Failure e) {
      out.flush();
      err.println("snupkg-gateway: migrate: " + e.getMessage());
      return 1;
    }
  }

  private static int keys(List<String> args, PrintStream out, PrintStream err, Map<String, String> env)
      throws KeyFile.KeyFileException {
    if (args.isEmpty() || !args.get(0).equals("add")) {
      err.println("Usage: keys add --subject NAME --scope GLOB [--scope GLOB ...] [--expires INSTANT] [--file FILE]");
      return 2;
    }
    String subject = null;
    List<String> scopes = new ArrayList<>();
    Optional<Instant> expires = Optional.empty();
    Path file = null;
    for (int i = 1; i < args.size(); i++) {
      String option = args.get(i);
      if (i + 1 >= args.size()) {
        err.println("Missing value after " + option + " (see --help)");
        return 2;
      }
      String value = args.get(++i);
      switch (option) {
        case "--subject" -> subject = value;
        case "--scope" -> scopes.add(value);
        case "--file" -> file = Path.of(value);
        case "--expires" -> {
          try {
            expires = Optional.of(Instant.parse(value));
          } catch (DateTimeParseException e) {
            err.println("--expires: '" + value + "' is not a UTC timestamp like 2027-01-01T00:00:00Z");
            return 2;
          }
        }
        default -> {
          err.println("Unknown option " + option + " (see --help)");
          return 2;
        }
      }
    }
    if (subject == null || subject.isBlank() || scopes.isEmpty()) {
      err.println("keys add needs --subject NAME and at least one --scope GLOB (\"*\" for every id)");
      return 2;
    }
    if (file == null) {
      file = ConfigLoader.load(DEFAULT_CONFIG, false, env).auth().file();
    }
    String key = KeyFile.add(file, subject, scopes, expires);
    err.println("Added a key for '" + subject + "' with scopes " + scopes + " to " + file
        + ". The key is printed once, below; only its SHA-256 is stored.");
    out.println(key);
    return 0;
  }
}
