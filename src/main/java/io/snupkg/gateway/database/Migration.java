package io.snupkg.gateway.database;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.feed.LocalFolderFeed;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.FileSystemBlobStore;
import io.snupkg.gateway.storage.S3BlobStore;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.symbols.SsqpKeys;
import io.snupkg.gateway.validation.NuGetVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code migrate --to}: copies a filesystem store into the bucket and database of the shared backend. The old store
 * is only read. Blobs go up before the rows that name them, so a run that stops half-way (or a replica reading
 * meanwhile) never sees a row without its blob; every row is inserted with {@code ON CONFLICT DO NOTHING} and a blob
 * already in the bucket with the same size is not sent again, so running it again finishes an interrupted run and
 * copies nothing twice.
 */
public final class Migration {
  /** Enough to hide the round trips to the bucket and the database, within the pool's wait queue. */
  private static final int PARALLEL = 8;
  private static final long PROGRESS_EVERY_MS = 2_000;
  private static final long PROGRESS_EVERY_ITEMS = 500;
  private static final Duration CALL = Duration.ofSeconds(60);
  private static final Set<String> NOT_STORED = Set.of("spool", "work", ".ready-probe");
  private static final String UNKNOWN_OWNER = "migrated";

  /** Why the migration stopped, in one line. Running it again carries on. */
  public static final class Failure extends RuntimeException {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  public enum Kind {
    OWNERS("owners"), NUPKGS("nupkgs"), PDBS("pdbs"), SNUPKGS("snupkgs"), RECORDS("records");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** What one kind came to: copied, already there, and skipped by reason. */
  public static final class Tally {
    final LongAdder copied = new LongAdder();
    final LongAdder already = new LongAdder();
    final Map<String, LongAdder> skipped = new ConcurrentHashMap<>();

    public long copied() {
      return copied.sum();
    }

    public long alreadyThere() {
      return already.sum();
    }

    public Map<String, Long> skipped() {
      Map<String, Long> m = new TreeMap<>();
      skipped.forEach((reason, n) -> m.put(reason, n.sum()));
      return m;
    }
  }

  /** The outcome of a run; {@link #tally} by kind. */
  public record Summary(Map<Kind, Tally> tallies, long bytesUploaded, long queued) {
    public Tally tally(Kind kind) {
      return tallies.get(kind);
    }

    public long copied() {
      return tallies.values().stream().mapToLong(Tally::copied).sum();
    }
  }

  private record Blob(String key, Path file, long size) {}

  /** One unit of work: its blobs go up first, then {@code rows} runs. */
  private record Item(Kind kind, String name, List<Blob> blobs, Rows rows) {}

  @FunctionalInterface
  private interface Rows {
    /** Writes the item's rows, once its blobs are in the bucket; whether anything was written. */
    boolean write();
  }

  /** Where each kind's blobs are in the bucket. */
  private static final Map<Kind, String> PREFIXES = Map.of(Kind.NUPKGS, "feed/", Kind.PDBS, "ssqp/",
      Kind.RECORDS, "symbols/");
  private static final int PAGE = 1000;

  private final Path root;
  private final PrintStream out;
  private final Map<Kind, Tally> tallies = new EnumMap<>(Kind.class);
  private final Map<String, String> owners = new HashMap<>();
  private final List<Item> items = new ArrayList<>();
  private final AtomicLong itemsDone = new AtomicLong();
  private final AtomicLong bytesDone = new AtomicLong();
  private final AtomicLong bytesUploaded = new AtomicLong();
  private final AtomicLong queued = new AtomicLong();
  private long totalBytes;
  private long started;
  private long lastLineAt;
  private long lastLineItems;
  private S3BlobStore blobs;
  private Database db;
  /** The sizes of the objects under the current phase's prefix, as listed before it starts. */
  private volatile Map<String, Long> inBucket = Map.of();

  private Migration(Path root, PrintStream out) {
    this.root = root.toAbsolutePath().normalize();
    this.out = out;
    for (Kind k : Kind.values()) {
      tallies.put(k, new Tally());
    }
  }

  /**
   * Copies the filesystem store at {@code root} into the bucket and database of {@code to}, printing progress and
   * a summary on {@code out}.
   *
   * @throws Failure when it cannot go on (the bucket or the database does not answer, a file cannot be read)
   */
  public static Summary run(Path root, GatewayConfig to, PrintStream out) {
    if (to.storage().type() != GatewayConfig.StorageType.S3 || to.database().url().isEmpty()) {
      throw new Failure("the target configuration needs storage.type: s3 and database.url");
    }
    if (!Files.isDirectory(root)) {
      throw new Failure("there is no store at " + root.toAbsolutePath().normalize() + " (storage.path)");
    }
    return new Migration(root, out).copy(to);
  }

  private Summary copy(GatewayConfig to) {
    started = System.nanoTime();
    lastLineAt = started;
    Vertx vertx = Vertx.vertx();
    ExecutorService workers = Executors.newFixedThreadPool(PARALLEL, daemon("snupkg-migrate"));
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("snupkg-migrate-progress"));
    try {
      try {
        blobs = new S3BlobStore(vertx, to.storage().s3());
      } catch (RuntimeException e) {
        throw new Failure("storage.s3: " + Database.oneLine(e));
      }
      // Both fail with a line that names the bucket or the database.
      await(blobs.check(), CALL, "the bucket", false);
      db = await(Database.open(vertx, to.database(), (kind, result) -> { }), CALL, "the database", false);
      out.println("Migrating " + root + " to bucket " + to.storage().s3().bucket().orElseThrow() + ", records in "
          + db.description());
      scan();
      out.println("Found " + count(Kind.OWNERS) + " owners, " + count(Kind.NUPKGS) + " nupkgs, " + count(Kind.PDBS)
          + " PDBs, " + count(Kind.RECORDS) + " symbol records: " + items.size() + " items, " + bytes(totalBytes)
          + " of blobs");
      ticker.scheduleAtFixedRate(() -> progress(false), PROGRESS_EVERY_MS, PROGRESS_EVERY_MS, TimeUnit.MILLISECONDS);
      // Owners before the feed, as a push leaves them; the records last, so that the publishing job of a pending one
      // finds its nupkg in the feed.
      for (Kind kind : List.of(Kind.OWNERS, Kind.NUPKGS, Kind.PDBS, Kind.RECORDS)) {
        inBucket = PREFIXES.containsKey(kind) ? listBucket(PREFIXES.get(kind)) : Map.of();
        runPhase(workers, items.stream().filter(i -> i.kind() == kind).toList());
      }
      ticker.shutdownNow();
      progress(true);
      Summary summary = new Summary(tallies, bytesUploaded.get(), queued.get());
      printSummary(summary);
      return summary;
    } finally {
      ticker.shutdownNow();
      workers.shutdownNow();
      close(vertx);
    }
  }

  private long count(Kind kind) {
    return items.stream().filter(i -> i.kind() == kind).count();
  }

  private void close(Vertx vertx) {
    if (db != null) {
      db.close();
    }
    if (blobs != null) {
      blobs.close(); // blocks for the SDK's event loops: this is the caller's thread, never an event loop
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the process is ending anyway
    }
  }

  // ---- the scan: what the store holds, read from the disk only ----

  private void scan() {
    for (String name : list(root)) {
      if (!NOT_STORED.contains(name) && !List.of("owners", "feed", "symbols", "ssqp").contains(name)) {
        out.println("Ignored " + root.resolve(name) + ": not part of a store");
      }
    }
    scanOwners();
    scanFeed();
    scanSsqp();
    scanSymbols();
  }

  private void scanOwners() {
    for (String id : list(root.resolve("owners"))) {
      Path file = root.resolve("owners").resolve(id);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      String subject = read(file);
      if (subject.isEmpty()) {
        skip(Kind.OWNERS, "owners/" + id, "with an empty owner file", "");
        continue;
      }
      owners.put(id, subject);
      items.add(new Item(Kind.OWNERS, "owners/" + id, List.of(), () -> ownerRow(id, subject)));
    }
  }

  private void scanFeed() {
    Path feed = root.resolve("feed");
    for (String id : list(feed)) {
      for (String version : list(feed.resolve(id))) {
        String key = LocalFolderFeed.nupkgKey(id, version);
        Path file = root.resolve(key);
        if (!Files.isRegularFile(file)) {
          continue; // the filesystem feed has a version once its nupkg is there: a push that never finished
        }
        if (NuGetVersion.parse(version).isEmpty()) {
          skip(Kind.NUPKGS, key, "in a folder that is no NuGet version", "");
          continue;
        }
        String subject = owners.getOrDefault(id, UNKNOWN_OWNER);
        items.add(new Item(Kind.NUPKGS, key, List.of(blob(key, file)), () -> inserted(await(db.query(
            "INSERT INTO feed_package (package_id, version, state, subject) VALUES ($1, $2, 'stored', $3) "
                + "ON CONFLICT DO NOTHING", Tuple.of(id, version, subject)), CALL, "recording " + key))));
      }
    }
  }

  private void scanSsqp() {
    Path ssqp = root.resolve("ssqp");
    for (String file : list(ssqp)) {
      for (String key : list(ssqp.resolve(file))) {
        for (String leaf : list(ssqp.resolve(file).resolve(key))) {
          String blobKey = "ssqp/" + file + "/" + key + "/" + leaf;
          Path pdb = root.resolve(blobKey);
          if (!Files.isRegularFile(pdb)) {
            continue;
          }
          if (!leaf.equals(file) || !SsqpKeys.validSegment(file) || !SsqpKeys.validSegment(key)
              || !SsqpKeys.storageKey(file, key).equals(blobKey)) {
            skip(Kind.PDBS, blobKey, "not on an SSQP path (ssqp/{file}/{key}/{file}, lowercase)", "");
            continue;
          }
          items.add(new Item(Kind.PDBS, blobKey, List.of(blob(blobKey, pdb)), () -> ssqpRow(file, key, blobKey)));
        }
      }
    }
  }

  private void scanSymbols() {
    Path symbols = root.resolve("symbols");
    for (String id : list(symbols)) {
      for (String version : list(symbols.resolve(id))) {
        scanRecord(id, version, symbols.resolve(id).resolve(version));
      }
    }
  }

  private void scanRecord(String id, String version, Path folder) {
    String where = "symbols/" + id + "/" + version;
    List<String> snupkgs = list(folder).stream().filter(n -> n.endsWith(".snupkg")).toList();
    Path json = folder.resolve("record.json");
    SymbolPackageRecord record;
    if (!Files.isRegularFile(json)) {
      snupkgs.forEach(n -> skip(Kind.SNUPKGS, where + "/" + n, "left over: no record.json beside them",
          ""));
      return;
    }
    try {
      record = SymbolPackageRecord.fromJson(new JsonObject(read(json)));
    } catch (RuntimeException e) {
      skip(Kind.RECORDS, where, "with a record.json that cannot be read", Database.oneLine(e));
      return;
    }
    String idKey = PgSymbolRecords.idKey(record.id());
    String versionKey = PgSymbolRecords.versionKey(record.version());
    if (!idKey.equals(id) || !versionKey.equals(version)) {
      skip(Kind.RECORDS, where, "in the folder of another id or version",
          record.id() + " " + record.version());
      return;
    }
    List<Blob> named = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<Upload> required = new ArrayList<>();
    record.available().ifPresent(required::add);
    record.pending().ifPresent(required::add);
    for (Upload u : required) {
      Path file = folder.resolve(u.sha512() + ".snupkg");
      if (!Files.isRegularFile(file)) {
        skip(Kind.RECORDS, where, "naming a snupkg that is missing", file.getFileName().toString());
        return;
      }
      if (size(file) != u.size()) {
        skip(Kind.RECORDS, where, "naming a snupkg of another size",
            file.getFileName() + " is " + size(file) + " bytes, the record says " + u.size());
        return;
      }
      if (!names.contains(file.getFileName().toString())) {
        named.add(blob(SymbolPushRule.snupkgKey(record.id(), record.version(), u.sha512()), file));
        names.add(file.getFileName().toString());
      }
    }
    // The failed push's snupkg is deleted once its outcome is recorded; one that is still there goes along.
    record.failed().map(f -> f.upload().sha512())
        .filter(sha -> !names.contains(sha + ".snupkg") && Files.isRegularFile(folder.resolve(sha + ".snupkg")))
        .ifPresent(sha -> {
          named.add(blob(SymbolPushRule.snupkgKey(record.id(), record.version(), sha),
              folder.resolve(sha + ".snupkg")));
          names.add(sha + ".snupkg");
        });
    snupkgs.stream().filter(n -> !names.contains(n))
        .forEach(n -> skip(Kind.SNUPKGS, where + "/" + n, "left over: their record does not name them", ""));
    Optional<String> pending = record.pending().map(Upload::sha512);
    items.add(new Item(Kind.RECORDS, where, named, () -> recordRows(idKey, versionKey, record.toJson(), pending,
        where)));
  }

  private Blob blob(String key, Path file) {
    long size = size(file);
    totalBytes += size;
    return new Blob(key, file, size);
  }

  // ---- the rows ----

  private boolean ownerRow(String id, String subject) {
    if (inserted(await(db.query("INSERT INTO package_owner (package_id, subject) VALUES ($1, $2) ON CONFLICT DO "
        + "NOTHING", Tuple.of(id, subject)), CALL, "recording the owner of " + id))) {
      return true;
    }
    RowSet<io.vertx.sqlclient.Row> rows = await(db.query("SELECT subject FROM package_owner WHERE package_id = $1",
        Tuple.of(id)), CALL, "reading the owner of " + id);
    String there = rows.iterator().next().getString(0);
    if (!there.equals(subject)) {
      throw new Skipped("owned by another subject in the database", there);
    }
    return false;
  }

  /** The entry names the object as it is stored now: its size and ETag as the download route will answer them. */
  private boolean ssqpRow(String file, String key, String blobKey) {
    if (exists("SELECT 1 FROM ssqp_entry WHERE file_name = $1 AND key = $2", Tuple.of(file.toLowerCase(Locale.ROOT),
        key.toLowerCase(Locale.ROOT)))) {
      return false; // the first entry of a key wins, as when replicas publish: no HEAD for it
    }
    BlobStore.Blob blob = await(blobs.stat(blobKey), CALL, "looking up " + blobKey)
        .orElseThrow(() -> new Failure(blobKey + " is not in the bucket after its upload"));
    return inserted(await(db.query("INSERT INTO ssqp_entry (file_name, key, blob_key, size, etag) VALUES ($1, $2, $3, "
        + "$4, $5) ON CONFLICT DO NOTHING", Tuple.of(file.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT),
        blobKey, blob.size(), blob.etag())), CALL, "recording " + blobKey));
  }

  /**
   * The record and, for a pending push, its publishing job, in one transaction: a run that stops between them
   * cannot leave a pending record that no replica would publish. A row that only holds a push's claim (created by
   * a push on the new fleet that never finished) is no record yet and gets this one.
   */
  private boolean recordRows(String id, String version, JsonObject record, Optional<String> pending, String where) {
    return await(db.transaction(conn -> Database.run(conn,
            "INSERT INTO symbol_record AS r (package_id, version, record) VALUES ($1, $2, $3) "
                + "ON CONFLICT (package_id, version) DO UPDATE SET record = EXCLUDED.record, claim_sha512 = NULL, "
                + "claim_until = NULL WHERE NOT (r.record ?| array['available', 'pending', 'failed']) "
                + "AND (r.claim_until IS NULL OR r.claim_until < now())",
            Tuple.of(id, version, record))
        .compose(rows -> {
          if (rows.rowCount() == 0 || pending.isEmpty()) {
            return Future.succeededFuture(rows.rowCount() > 0);
          }
          return Database.run(conn, "INSERT INTO publish_job (package_id, version, sha512) VALUES ($1, $2, $3) "
              + "ON CONFLICT DO NOTHING", Tuple.of(id, version, pending.get())).map(job -> {
                queued.addAndGet(job.rowCount());
                return true;
              });
        })), CALL, "recording " + where);
  }

  private boolean exists(String sql, Tuple args) {
    return await(db.query(sql, args), CALL, "reading the database").size() > 0;
  }

  private static boolean inserted(RowSet<?> rows) {
    return rows.rowCount() > 0;
  }

  // ---- the work ----

  /** Not a failure of the run: this item cannot be copied, for a reason the summary counts. */
  private static final class Skipped extends RuntimeException {
    final String detail;

    Skipped(String reason, String detail) {
      super(reason, null, false, false);
      this.detail = detail;
    }
  }

  private void runPhase(ExecutorService workers, List<Item> phase) {
    AtomicReference<Failure> failure = new AtomicReference<>();
    List<java.util.concurrent.Future<?>> running = new ArrayList<>();
    for (Item item : phase) {
      running.add(workers.submit(() -> {
        if (failure.get() != null) {
          return;
        }
        try {
          process(item);
        } catch (Failure e) {
          failure.compareAndSet(null, e);
        } catch (RuntimeException e) {
          failure.compareAndSet(null, new Failure(item.name() + ": " + Database.oneLine(e)));
        }
      }));
    }
    for (java.util.concurrent.Future<?> f : running) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure("interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        failure.compareAndSet(null, new Failure(Database.oneLine(e.getCause())));
      }
      if (failure.get() != null) {
        running.forEach(r -> r.cancel(false)); // those not started; the ones under way finish their call
        break;
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  private void process(Item item) {
    // A record's snupkgs are counted on their own; a nupkg or a PDB is its item.
    boolean record = item.kind() == Kind.RECORDS;
    try {
      boolean uploaded = false;
      for (Blob b : item.blobs()) {
        Long there = inBucket.get(b.key());
        boolean same = there != null && there == b.size();
        if (there != null && !same && !record && recorded(item.kind(), b.key())) {
          // A snupkg is named by its hash, so one of another size is a broken object to replace; a nupkg or a PDB
          // of another size that a row already lists is the new fleet's own.
          throw new Skipped("with another object under their key in the bucket, listed in the database",
              there + " bytes there, " + b.size() + " here");
        }
        if (!same) {
          await(blobs.putFile(b.key(), b.file()), uploadTime(b.size()), "uploading " + b.key());
          bytesUploaded.addAndGet(b.size());
          uploaded = true;
        }
        if (record) {
          (same ? tallies.get(Kind.SNUPKGS).already : tallies.get(Kind.SNUPKGS).copied).increment();
        }
        bytesDone.addAndGet(b.size());
      }
      boolean written = item.rows().write();
      Tally tally = tallies.get(item.kind());
      (written || (uploaded && !record) ? tally.copied : tally.already).increment();
    } catch (Skipped e) {
      skip(item.kind(), item.name(), e.getMessage(), e.detail);
    } finally {
      itemsDone.incrementAndGet();
      progress(false);
    }
  }

  /**
   * One listing of a prefix instead of a HEAD per object: a thousand keys a request, and no 404s (the S3 client
   * logs a warning with a stack trace for some of the HEAD requests it answers with a 404).
   */
  private Map<String, Long> listBucket(String prefix) {
    Map<String, Long> sizes = new HashMap<>();
    String after = null;
    List<S3BlobStore.Listed> page;
    do {
      page = await(blobs.list(prefix, after, PAGE), CALL, "listing " + prefix + " in the bucket");
      page.forEach(o -> sizes.put(o.key(), o.size()));
      after = page.isEmpty() ? null : page.get(page.size() - 1).key();
    } while (page.size() == PAGE);
    return sizes;
  }

  /** Whether the database already lists the object under {@code key} (a feed version, an SSQP entry). */
  private boolean recorded(Kind kind, String key) {
    if (kind == Kind.PDBS) {
      return exists("SELECT 1 FROM ssqp_entry WHERE blob_key = $1", Tuple.of(key));
    }
    String[] parts = key.split("/");
    return exists("SELECT 1 FROM feed_package WHERE package_id = $1 AND version = $2", Tuple.of(parts[1], parts[2]));
  }

  /** S3BlobStore bounds each request by its size; this only catches a call that never ends. */
  private static Duration uploadTime(long size) {
    return Duration.ofMinutes(10).plusSeconds(3 * size / (1024 * 1024));
  }

  /** Counted by {@code reason} in the summary; each one is also printed, with its {@code detail}. */
  private void skip(Kind kind, String name, String reason, String detail) {
    tallies.get(kind).skipped.computeIfAbsent(reason, r -> new LongAdder()).increment();
    synchronized (out) {
      out.println("Skipped " + name + ": " + reason + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }
  }

  // ---- output ----

  private void progress(boolean last) {
    synchronized (out) {
      long now = System.nanoTime();
      long done = itemsDone.get();
      boolean due = now - lastLineAt >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS)
          || done - lastLineItems >= PROGRESS_EVERY_ITEMS;
      if (!last && !due) {
        return;
      }
      lastLineAt = now;
      lastLineItems = done;
      out.printf(Locale.ROOT, "Progress: %d/%d items, %s/%s of blobs (%s uploaded), %.1f s%n", done, items.size(),
          bytes(bytesDone.get()), bytes(totalBytes), bytes(bytesUploaded.get()), seconds(now));
      out.flush();
    }
  }

  private void printSummary(Summary s) {
    synchronized (out) {
      out.println("Summary:");
      long skippedAll = 0;
      for (Kind kind : List.of(Kind.OWNERS, Kind.NUPKGS, Kind.SNUPKGS, Kind.RECORDS, Kind.PDBS)) {
        Tally t = s.tally(kind);
        Map<String, Long> skipped = t.skipped();
        long n = skipped.values().stream().mapToLong(Long::longValue).sum();
        skippedAll += n;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-8s copied %d, already there %d, "
            + "skipped %d", kind.label, t.copied(), t.alreadyThere(), n));
        if (n > 0) {
          List<String> reasons = new ArrayList<>();
          skipped.forEach((reason, count) -> reasons.add(count + " " + reason));
          line.append(" (").append(String.join("; ", reasons)).append(')');
        }
        if (kind == Kind.RECORDS && s.queued() > 0) {
          line.append("; ").append(s.queued()).append(" pending queued for publishing");
        }
        out.println(line);
      }
      out.printf(Locale.ROOT, "Done in %.1f s: %d copied (%s uploaded), %d already there, %d skipped%n",
          seconds(System.nanoTime()), s.copied(), bytes(s.bytesUploaded()),
          s.tallies().values().stream().mapToLong(Tally::alreadyThere).sum(), skippedAll);
      out.flush();
    }
  }

  private double seconds(long now) {
    return (now - started) / 1e9;
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  // ---- small helpers ----

  private static <T> T await(Future<T> future, Duration timeout, String what) {
    return await(future, timeout, what, true);
  }

  /** @param prefix whether a failure's line begins with {@code what} (not when its message names it already) */
  private static <T> T await(Future<T> future, Duration timeout, String what, boolean prefix) {
    try {
      return future.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new Failure(what + ": no answer within " + timeout.toSeconds() + " s");
    } catch (Failure | Skipped e) {
      throw e;
    } catch (Exception e) {
      throw new Failure((prefix ? what + ": " : "") + Database.oneLine(e));
    }
  }

  /** The names in a folder as the filesystem store lists them; none if absent. */
  private static List<String> list(Path dir) {
    try {
      return FileSystemBlobStore.names(dir);
    } catch (IOException e) {
      throw new Failure("cannot list " + dir + ": " + Database.oneLine(e));
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Failure("cannot read " + file + ": " + Database.oneLine(e));
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new Failure("cannot read " + file + ": " + Database.oneLine(e));
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
