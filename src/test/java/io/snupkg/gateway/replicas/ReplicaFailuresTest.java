package io.snupkg.gateway.replicas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.GatewayProcess;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.SharedStores;
import io.snupkg.gateway.testing.SlowPush;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.TestPostgres;
import io.snupkg.gateway.testing.TestS3;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens to the fleet when a replica dies, restarts, or loses the database or the bucket. Replicas whose
 * death is the point run as processes of their own ({@code kill -9}, SIGTERM); the survivors may be in this JVM.
 * Publish leases are 2 s here ({@code symbols.publishLease}).
 */
@Timeout(240)
class ReplicaFailuresTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";

  /** The configuration of a replica process in front of {@code stand}, on {@code stores}. */
  private static Map<String, List<String>> config(ProxyStand stand, SharedStores stores) {
    Map<String, List<String>> yaml = new LinkedHashMap<>(stores.yaml());
    yaml.put("auth", List.of("type: upstream", "url: " + stand.auth.url()));
    yaml.put("feed", List.of("type: upstream", "url: " + stand.feed.serviceIndexUrl()));
    yaml.put("shutdown", List.of("drainTimeout: 20s"));
    return yaml;
  }

  private static String jobOwner(SharedStores stores) {
    return stores.postgres.psql(stores.database, "SELECT coalesce(owner, '') || '|' || state FROM publish_job");
  }

  @Test
  void aPushWhosePublisherIsKilledIsPublishedByAnotherReplicaOnceTheLeaseExpires(@TempDir Path dir)
      throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      Vertx vertx = stand.vertx;
      String id = "Kill.Publisher";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      stand.feed.holdDownloads(true); // the publisher that claims the job waits for the parent: it holds the lease
      SharedStores stores = SharedStores.fresh();
      try (GatewayProcess a = GatewayProcess.start(dir.resolve("a"), config(stand, stores));
          Http toA = new Http(vertx, a.port())) {
        assertEquals(201, toA.push(SYMBOLS, "k", TestPackages.snupkg(id, "1.0.0")).status());
        awaitTrue(() -> jobOwner(stores).startsWith(a.pid() + "@"), "replica A holds the publish lease");
        try (GatewayFixture b = stand.gateway(dir.resolve("b")).shared(stores).start();
            Http toB = new Http(b.vertx, b.port())) {
          a.kill();
          long killed = System.nanoTime();
          stand.feed.holdDownloads(false);
          JsonObject status = b.awaitSymbolState(toB, id, "1.0.0", "available");
          long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
          assertTrue(seconds <= 12, "published " + seconds + " s after the kill (lease 2 s + 10 s): " + status);
          assertEquals("0", stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job"));
          assertEquals("1", stores.postgres.psql(stores.database, "SELECT count(*) FROM ssqp_entry"),
              "one SSQP entry, however many replicas worked on the job");
        }
      } finally {
        stand.feed.holdDownloads(false);
      }
    }
  }

  @Test
  void aFrozenPublishersLateOutcomeIsRefused(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      Vertx vertx = stand.vertx;
      String id = "Frozen.Publisher";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      stand.feed.holdDownloads(true);
      SharedStores stores = SharedStores.fresh();
      try (GatewayProcess a = GatewayProcess.start(dir.resolve("a"), config(stand, stores));
          Http toA = new Http(vertx, a.port())) {
        assertEquals(201, toA.push(SYMBOLS, "k", TestPackages.snupkg(id, "1.0.0")).status());
        awaitTrue(() -> jobOwner(stores).startsWith(a.pid() + "@"), "replica A holds the publish lease");
        signal("STOP", a.pid()); // frozen: a long GC pause, a partition
        try (GatewayFixture b = stand.gateway(dir.resolve("b")).shared(stores).start();
            Http toB = new Http(b.vertx, b.port())) {
          stand.feed.holdDownloads(false);
          b.awaitSymbolState(toB, id, "1.0.0", "available");
          signal("CONT", a.pid()); // A wakes up with its download answered and finishes late
          awaitTrue(() -> a.log().contains("Publishing " + id + " 1.0.0: the outcome was recorded elsewhere"),
              "A's late outcome is refused (fenced)");
          assertFalse(a.log().contains("Symbols " + id + " 1.0.0: available"), "A recorded an outcome:\n" + a.log());
          assertEquals("1", stores.postgres.psql(stores.database, "SELECT count(*) FROM ssqp_entry"));
          assertEquals("0", stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job"));
        }
      } finally {
        stand.feed.holdDownloads(false);
      }
    }
  }

  @Test
  void anUploadCutByAKilledReplicaIsRetriedOnAnotherAndNothingPartialStays(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String id = "Kill.Uploader";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      SharedStores stores = SharedStores.fresh();
      byte[] snupkg = TestPackages.bigSnupkg(id, "1.0.0", 2 * 1024 * 1024);
      try (GatewayProcess a = GatewayProcess.start(dir.resolve("a"), config(stand, stores));
          GatewayFixture b = stand.gateway(dir.resolve("b")).shared(stores).start();
          Http toB = new Http(b.vertx, b.port())) {
        String[] outcome = {null};
        Thread upload = new Thread(() -> outcome[0] = SlowPush.push(a.port(), SYMBOLS, "k", snupkg, 64 * 1024, 100,
            () -> { }));
        upload.start();
        Thread.sleep(1500); // well into the body
        a.kill();
        upload.join(30_000);
        assertNotNull(outcome[0]);
        assertFalse(outcome[0].startsWith("HTTP/1.1 2"), "the cut upload must not look accepted: " + outcome[0]);
        assertEquals(List.of(), stores.snupkgs(id, "1.0.0"), "nothing partial in the bucket");

        Reply retry = toB.push(SYMBOLS, "k", snupkg);
        assertEquals(201, retry.status(), retry.toString());
        b.awaitSymbolState(toB, id, "1.0.0", "available");
        assertEquals(1, stores.snupkgs(id, "1.0.0").size());
        assertEquals("0", stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job"));
      }
    }
  }

  /**
   * Pushes go on while each of three replicas is restarted in turn (SIGTERM, drain, start): no acknowledged push
   * is lost and no answer is a 5xx other than 503 with Retry-After. A client that finds a replica gone (refused)
   * tries the next, as a Service would route it.
   */
  @Test
  void aRollingRestartUnderLoadLosesNoAcknowledgedPush(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      Vertx vertx = stand.vertx;
      stand.auth.key("k", "ci", "*");
      SharedStores stores = SharedStores.fresh();
      Map<String, List<String>> config = config(stand, stores);
      AtomicReferenceArray<GatewayProcess> replicas = new AtomicReferenceArray<>(3);
      for (int i = 0; i < 3; i++) {
        replicas.set(i, GatewayProcess.start(dir.resolve("r" + i), config));
      }
      Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> load = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        int thread = t;
        Thread th = new Thread(() -> {
          for (int n = 0; running.get(); n++) {
            // A new id each time: the feed's version list of an id is cached, so a new version of a known id
            // would wait for the cache (feed.parentWait) rather than be found at once.
            String id = "Rolling.T" + thread + "N" + n;
            byte[] nupkg = TestPackages.nupkg(id, "1.0.0");
            stand.feed.publishNow(id, "1.0.0", nupkg);
            byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
            for (int attempt = 0; attempt < 30; attempt++) {
              GatewayProcess target = replicas.get((thread + n + attempt) % 3);
              String answer = push(vertx, target.port(), snupkg);
              if (answer.startsWith("201")) {
                acknowledged.put(id, snupkg);
                break;
              }
              if (!answer.startsWith("refused") && !answer.startsWith("503 retry-after")
                  && !answer.startsWith("closed")) {
                bad.add(id + ": " + answer); // a 5xx without Retry-After, or a refusal the push did not deserve
                break;
              }
              sleepQuietly(100);
            }
          }
        });
        th.start();
        load.add(th);
      }
      try {
        Thread.sleep(2000);
        for (int i = 0; i < 3; i++) {
          GatewayProcess old = replicas.get(i);
          old.terminate();
          assertEquals(0, old.awaitExit(60), "replica " + i + " did not drain and exit:\n" + old.log());
          replicas.set(i, GatewayProcess.start(dir.resolve("r" + i), config));
          Thread.sleep(1500);
        }
        Thread.sleep(1000);
      } finally {
        running.set(false);
        for (Thread th : load) {
          th.join(120_000);
        }
      }
      try (Http http = new Http(vertx, replicas.get(0).port())) {
        assertEquals(List.of(), List.copyOf(bad));
        String tail = replicas.get(0).log();
        assertTrue(acknowledged.size() >= 20, "too little load to mean anything: " + acknowledged.size() + "\n"
            + tail.substring(Math.max(0, tail.length() - 6000)));
        for (Map.Entry<String, byte[]> push : acknowledged.entrySet()) {
          awaitTrue(() -> "available".equals(new JsonObject(http.get(SYMBOLS + push.getKey() + "/1.0.0/status")
              .body()).getString("state")), push.getKey() + " was acknowledged but is not available");
          assertArrayEquals(push.getValue(), http.get(SYMBOLS + push.getKey() + "/1.0.0").bytes().getBytes(),
              push.getKey());
        }
      } finally {
        for (int i = 0; i < 3; i++) {
          replicas.get(i).close();
        }
      }
    }
  }

  /** The database goes down, then the bucket: pushes get 503 with Retry-After, never 201, and both recover. */
  @Test
  void outagesOfTheDatabaseAndTheBucketAre503AndRecoverWithoutARestart(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand(); TestPostgres pg = TestPostgres.start();
        TestS3 s3 = TestS3.start(dir.resolve("s3"))) {
      String id = "Outage.Lib";
      stand.auth.key("k", "ci", "*");
      SharedStores stores = SharedStores.on(s3, pg);
      try (GatewayFixture gw = stand.gateway(dir.resolve("gw")).shared(stores).start();
          Http http = new Http(gw.vertx, gw.port());
          Http management = new Http(gw.vertx, gw.gateway.managementPort())) {
        stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
        assertEquals(201, http.push(SYMBOLS, "k", TestPackages.snupkg(id, "1.0.0")).status());

        pg.kill();
        for (String v : List.of("2.0.0", "2.0.1", "2.0.2")) {
          stand.feed.publishNow(id, v, TestPackages.nupkg(id, v));
          Reply r = http.push(SYMBOLS, "k", TestPackages.snupkg(id, v));
          assertEquals(503, r.status(), r.toString());
          assertNotNull(r.headers().get("Retry-After"), r.toString());
          assertEquals("The database is unavailable; retry later", r.reason());
        }
        Reply ready = management.get("/health/ready");
        assertEquals(503, ready.status());
        assertTrue(new JsonObject(ready.body()).getJsonObject("checks").getString("database").startsWith("DOWN: "),
            ready.body());
        for (String read : List.of(SYMBOLS + id + "/1.0.0/status", SYMBOLS + id + "/1.0.0",
            "/download/symbols/outage.lib.pdb/" + "0".repeat(40) + "/outage.lib.pdb")) {
          Reply r = http.get(read);
          assertEquals(503, r.status(), read + ": " + r);
          assertNotNull(r.headers().get("Retry-After"), r.toString());
        }
        pg.resume();
        awaitTrue(() -> http.push(SYMBOLS, "k", TestPackages.snupkg(id, "2.0.0")).status() == 201,
            "pushes succeed again once the database is back");
        awaitTrue(() -> management.get("/health/ready").status() == 200, "ready again");

        s3.kill();
        for (String v : List.of("3.0.0", "3.0.1")) {
          stand.feed.publishNow(id, v, TestPackages.nupkg(id, v));
          Reply r = http.push(SYMBOLS, "k", TestPackages.snupkg(id, v));
          assertEquals(503, r.status(), r.toString());
          assertNotNull(r.headers().get("Retry-After"), r.toString());
          assertEquals("Storage is unavailable; the package was not stored, retry later", r.reason());
        }
        ready = management.get("/health/ready");
        assertEquals(503, ready.status());
        assertTrue(new JsonObject(ready.body()).getJsonObject("checks").getString("storage")
            .startsWith("DOWN: the bucket "), ready.body());
        s3.restart();
        awaitTrue(() -> http.push(SYMBOLS, "k", TestPackages.snupkg(id, "3.0.0")).status() == 201,
            "pushes succeed again once the bucket is back");
        gw.awaitSymbolState(http, id, "3.0.0", "available");
      }
    }
  }

  /**
   * One push; {@code 201}, {@code 503 retry-after}, another status with its reason, {@code refused} (nobody
   * listens: the replica is gone) or {@code closed} (the connection died under the request).
   */
  private static String push(Vertx vertx, int port, byte[] snupkg) {
    try (Http http = new Http(vertx, port)) {
      Reply r = http.push(SYMBOLS, "k", snupkg);
      if (r.status() == 503 && r.headers().get("Retry-After") != null) {
        return "503 retry-after";
      }
      return r.status() + " " + r.reason();
    } catch (Exception | AssertionError e) { // Future.await rethrows the connection's IOException as it is
      String m = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : e.getCause().toString());
      return m.contains("onnection refused") ? "refused" : "closed: " + m;
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor());
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError retry) {
        // not yet
      }
      Thread.sleep(100);
    }
    fail("not within 30 s: " + what);
  }
}
