package io.snupkg.gateway.database;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The PostgreSQL pool of the shared backend, its schema, and the one mapping of database trouble to answers: a
 * database that cannot be reached, times out or fails over is a 503 with {@code Retry-After} ("the database is
 * unavailable"), never a 500 and never a 201.
 *
 * <p>The schema is versioned SQL of our own ({@code db/V1__records.sql}, ...), applied at start under a transaction
 * advisory lock so that replicas starting together apply each version once. Flyway would need the blocking JDBC
 * driver and a second connection setup beside the reactive pool, for a handful of scripts.
 */
public final class Database implements AutoCloseable {
  /** The migrations in order; a new version is a new file, never an edit of an applied one. */
  private static final List<String> MIGRATIONS = List.of("db/V1__records.sql");
  private static final long MIGRATION_LOCK = 0x736e75706b67L; // "snupkg"
  static final Duration RETRY_AFTER = Duration.ofSeconds(5);
  private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(10);

  private final Pool pool;
  private final String description;
  private final BiConsumer<String, String> calls;

  private Database(Pool pool, String description, BiConsumer<String, String> calls) {
    this.pool = pool;
    this.description = description;
    this.calls = calls;
  }

  /**
   * Connects and migrates the schema.
   *
   * @param calls told (operation kind, result) after each call: {@code query}/{@code transaction}, {@code ok} or
   *     {@code error} (the metrics)
   */
  public static Future<Database> open(Vertx vertx, GatewayConfig.Database config, BiConsumer<String, String> calls) {
    PgConnectOptions connect;
    try {
      connect = PgConnectOptions.fromUri(config.url().orElseThrow().replaceFirst("^postgres://", "postgresql://"));
    } catch (RuntimeException e) {
      return Future.failedFuture("database.url: cannot be used (" + e.getMessage() + ")");
    }
    config.password().ifPresent(connect::setPassword);
    connect.setReconnectAttempts(0);
    // Dead connections (a failover, a restarted server) are noticed by the next call, which fails; the pool then
    // makes a new one. Keep-alive notices idle ones sooner; connections are recycled so none outlives a failover.
    NetClientOptions net = new NetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true);
    PoolOptions poolOptions = new PoolOptions().setMaxSize(config.poolSize()).setName("snupkg-records")
        .setMaxWaitQueueSize(1000).setConnectionTimeout(5).setIdleTimeout(60).setMaxLifetime(30 * 60);
    Pool pool = PgBuilder.pool().with(poolOptions).with(net).connectingTo(connect).using(vertx).build();
    String description = "PostgreSQL " + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase();
    Database db = new Database(pool, description, calls);
    return db.migrate().map(db).onFailure(err -> pool.close());
  }

  public String description() {
    return description;
  }

  private Future<Void> migrate() {
    // Quiet: "relation already exists, skipping" notices would be logged as warnings at every start.
    return pool.withTransaction(conn -> conn.query("SET LOCAL client_min_messages = warning").execute()
        .compose(v -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(MIGRATION_LOCK)))
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
            + "applied_at timestamptz NOT NULL DEFAULT now())").execute())
        .compose(v -> conn.query("SELECT coalesce(max(version), 0) AS v FROM schema_version").execute())
        .compose(rows -> {
          int current = rows.iterator().next().getInteger("v");
          Future<Void> chain = Future.succeededFuture();
          for (int i = current; i < MIGRATIONS.size(); i++) {
            int version = i + 1;
            String sql = script(MIGRATIONS.get(i));
            // The simple query protocol runs a script of several statements in one round trip.
            chain = chain.compose(x -> conn.query(sql).execute())
                .compose(x -> conn.preparedQuery("INSERT INTO schema_version (version) VALUES ($1)")
                    .execute(Tuple.of(version)))
                .mapEmpty();
          }
          return chain;
        }))
        .recover(err -> Future.failedFuture(new IllegalStateException("cannot migrate the schema of " + description
            + ": " + oneLine(err))));
  }

  private static String script(String resource) {
    try (InputStream in = Database.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing migration " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read migration " + resource, e);
    }
  }

  /** One statement outside a transaction. */
  public Future<RowSet<Row>> query(String sql, Tuple args) {
    return measured("query", pool.preparedQuery(sql).execute(args).timeout(STATEMENT_TIMEOUT.toMillis(),
        java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  /**
   * One decision: {@code work} runs in a transaction that commits when its future succeeds and rolls back when it
   * fails (its failure, a {@link Rejection} say, is passed on unchanged).
   */
  public <T> Future<T> transaction(Function<SqlConnection, Future<T>> work) {
    return measured("transaction", pool.withTransaction(work).timeout(STATEMENT_TIMEOUT.toMillis() * 3,
        java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  /** For readiness: one round trip. */
  public Future<Void> check() {
    return pool.query("SELECT 1").execute().timeout(2, java.util.concurrent.TimeUnit.SECONDS).<Void>mapEmpty()
        .recover(err -> Future.failedFuture("the database " + description + " does not answer: " + oneLine(err)));
  }

  static Future<RowSet<Row>> run(SqlClient client, String sql, Tuple args) {
    return client.preparedQuery(sql).execute(args);
  }

  private <T> Future<T> measured(String kind, Future<T> call) {
    return call.transform(ar -> {
      if (ar.succeeded()) {
        calls.accept(kind, "ok");
        return Future.succeededFuture(ar.result());
      }
      if (ar.cause() instanceof Rejection) {
        calls.accept(kind, "ok"); // a decision that refused the push: the database answered
        return Future.failedFuture(ar.cause());
      }
      calls.accept(kind, "error");
      return Future.failedFuture(unavailable(ar.cause()));
    });
  }

  /** What a push or a download answers when the database fails: the client retries after Retry-After. */
  Rejection unavailable(Throwable cause) {
    org.slf4j.LoggerFactory.getLogger(Database.class).warn("{}: {}", description, oneLine(cause));
    return Rejection.unavailable("The database is unavailable; retry later", RETRY_AFTER);
  }

  /** What a push answers when its blob could not be stored in the bucket (its decision is given up first). */
  static Throwable notStored(Throwable err) {
    return err instanceof Rejection ? err
        : Rejection.unavailable("Storage is unavailable; the package was not stored, retry later", RETRY_AFTER);
  }

  static String oneLine(Throwable err) {
    String m = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return m.replaceAll("\\s+", " ");
  }

  @Override
  public void close() {
    pool.close();
  }
}
