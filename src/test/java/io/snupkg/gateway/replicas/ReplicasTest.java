package io.snupkg.gateway.replicas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.NuGetExe;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.SharedStores;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateways on one bucket and one database, each in a Vert.x of its own, as three replicas behind a Service:
 * races decided by the database (one winner among different bytes, everyone accepted for the same bytes), any
 * replica serving what another published, and the rate limit counted for the fleet. The S3 server and PostgreSQL
 * are real (S3Proxy, Debian's PostgreSQL); the auth service and feed are the loopback stand-ins of proxy mode.
 */
@Timeout(180)
class ReplicasTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";

  /** Three replicas in front of {@code stand}, on {@code stores}; closed by the caller. */
  private static List<GatewayFixture> replicas(ProxyStand stand, SharedStores stores, Path dir, String... yaml) {
    List<GatewayFixture> replicas = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      GatewayFixture.Builder b = stand.gateway(dir.resolve("r" + i)).shared(stores);
      for (int k = 0; k + 1 < yaml.length; k += 2) {
        b.yaml(yaml[k], yaml[k + 1]);
      }
      replicas.add(b.start());
    }
    return replicas;
  }

  private static void closeAll(List<GatewayFixture> replicas, List<Http> clients) throws Exception {
    for (Http h : clients) {
      h.close();
    }
    for (GatewayFixture g : replicas) {
      g.close();
    }
  }

  @Test
  void aHundredDifferentPushesOfOneVersionOverThreeReplicasHaveOneWinner(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String id = "Race.Lib";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      stand.feed.holdDownloads(true); // the winner stays pending: publishing waits for the parent's nupkg
      SharedStores stores = SharedStores.fresh();
      List<GatewayFixture> replicas = replicas(stand, stores, dir);
      List<Http> clients = replicas.stream().map(g -> new Http(g.vertx, g.port(), 40)).toList();
      ExecutorService pool = Executors.newFixedThreadPool(100);
      try {
        // One build of the PDB (so that the winner, whichever it is, matches its DLL) in 100 different snupkgs.
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          bodies.add(TestPackages.bigSnupkg(id, "1.0.0", 16 * (i + 1)));
        }
        assertEquals(100, bodies.stream().map(java.util.Arrays::hashCode).distinct().count(), "100 different");
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          Http client = clients.get(i % 3);
          byte[] body = bodies.get(i);
          replies.add(pool.submit(() -> client.push(SYMBOLS, "k", body)));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < replies.size(); i++) {
          Reply r = replies.get(i).get(120, TimeUnit.SECONDS);
          statuses.merge(r.status(), 1, Integer::sum);
          if (r.status() != 201) {
            assertEquals("A different symbol package for Race.Lib 1.0.0 is still pending validation; wait for it to "
                + "finish before replacing it", r.reason());
          }
        }
        assertEquals(Map.of(201, 1, 409, 99), statuses);
        assertEquals(1, Integer.parseInt(stores.postgres.psql(stores.database, "SELECT count(*) FROM symbol_record")));
        assertEquals(1, Integer.parseInt(stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job")));
        assertEquals(1, stores.snupkgs(id, "1.0.0").size(), "one stored blob: " + stores.snupkgs(id, "1.0.0"));
        assertEquals(stores.recordedSnupkgs(id, "1.0.0"), stores.snupkgs(id, "1.0.0"));

        stand.feed.holdDownloads(false);
        JsonObject status = replicas.get(1).awaitSymbolState(clients.get(1), id, "1.0.0", "available");
        assertEquals("available", status.getString("state"));
        UUID built = TestPackages.pdbId(id, "1.0.0");
        assertEquals(200, clients.get(2).get(ssqp(id, built)).status(), "the winner's PDB is served");
        // Settled: the bucket holds the one snupkg and its PDB, nothing that no record names.
        assertEquals(List.of(ssqpKey(id, built), "symbols/race.lib/1.0.0/" + stores.snupkgs(id, "1.0.0").get(0)),
            stores.server.keys(stores.bucket).stream().sorted().toList());
        assertEquals(0, Integer.parseInt(stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job")));
      } finally {
        stand.feed.holdDownloads(false);
        pool.shutdownNow();
        closeAll(replicas, clients);
      }
    }
  }

  @Test
  void theSameBytesPushedToEveryReplicaAtOnceAreAcceptedEverywhereAndStoredOnce(@TempDir Path dir)
      throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String id = "Race.Same";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      stand.feed.holdDownloads(true);
      SharedStores stores = SharedStores.fresh();
      List<GatewayFixture> replicas = replicas(stand, stores, dir);
      List<Http> clients = replicas.stream().map(g -> new Http(g.vertx, g.port(), 10)).toList();
      ExecutorService pool = Executors.newFixedThreadPool(30);
      try {
        byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          Http client = clients.get(i % 3);
          replies.add(pool.submit(() -> client.push(SYMBOLS, "k", snupkg)));
        }
        for (Future<Reply> f : replies) {
          Reply r = f.get(120, TimeUnit.SECONDS);
          assertEquals(201, r.status(), r.toString());
        }
        assertEquals(1, stores.snupkgs(id, "1.0.0").size(), stores.snupkgs(id, "1.0.0").toString());
        assertEquals(1, Integer.parseInt(stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job")));
        stand.feed.holdDownloads(false);
        replicas.get(0).awaitSymbolState(clients.get(0), id, "1.0.0", "available");
        assertEquals(1, stores.snupkgs(id, "1.0.0").size());
      } finally {
        stand.feed.holdDownloads(false);
        pool.shutdownNow();
        closeAll(replicas, clients);
      }
    }
  }

  /** nuget.exe pushes a pair through replica A; B reports its status; every replica serves the same PDB. */
  @Test
  void anyReplicaServesWhatAnotherPublished(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      stand.auth.key("k", "ci", "*");
      SharedStores stores = SharedStores.fresh();
      List<GatewayFixture> replicas = new ArrayList<>();
      for (int i = 0; i < 3; i++) { // the local feed, in the shared stores: nupkgs are pushed to the gateway
        replicas.add(GatewayFixture.builder(dir.resolve("r" + i)).shared(stores)
            .yaml("auth", "type: upstream").yaml("auth", "url: " + stand.auth.url()).start());
      }
      List<Http> clients = replicas.stream().map(g -> new Http(g.vertx, g.port())).toList();
      try {
        String id = "Any.Replica";
        TestPackages.Pair pair = TestPackages.write(dir.resolve("pkgs"), id, "1.0.0");
        NuGetExe.Run run = new NuGetExe(Files.createDirectories(dir.resolve("client")))
            .push(pair.nupkg(), replicas.get(0).serviceIndex(), "k");
        assertEquals(2, run.output().split("Your package was pushed.", -1).length - 1, run.output());

        replicas.get(1).awaitSymbolState(clients.get(1), id, "1.0.0", "available");
        byte[] expected = TestPackages.snupkgEntries(id, "1.0.0", TestPackages.pdbId(id, "1.0.0"))
            .get("lib/net45/" + id + ".pdb");
        String path = ssqp(id, TestPackages.pdbId(id, "1.0.0"));
        for (Http client : clients) {
          Reply served = client.get(path);
          assertEquals(200, served.status(), served.toString());
          assertArrayEquals(expected, served.bytes().getBytes());
          assertEquals(200, client.get("/v3/flatcontainer/any.replica/index.json").status());
          assertArrayEquals(Files.readAllBytes(pair.nupkg()),
              client.get("/v3/flatcontainer/any.replica/1.0.0/any.replica.1.0.0.nupkg").bytes().getBytes());
        }
        assertEquals(404, clients.get(2).get(ssqp(id, UUID.randomUUID())).status());
        try (Http management = new Http(replicas.get(0).vertx, replicas.get(0).gateway.managementPort())) {
          // The shared backend's meters: requests to the bucket, calls to the database, and the pool in use.
          String metrics = management.get("/metrics").body();
          for (String series : List.of("snupkg_storage_requests_total{operation=\"put\",result=\"ok\"}",
              "snupkg_database_calls_total{kind=\"transaction\",result=\"ok\"}",
              "vertx_pool_in_use{pool_name=\"snupkg-records\",pool_type=\"sql\"}")) {
            assertTrue(metrics.contains(series), series + " missing from /metrics");
          }
        }
      } finally {
        closeAll(replicas, clients);
      }
    }
  }

  /** With presignDownloads, every download is a 302 to the bucket, which serves the bytes to any plain client. */
  @Test
  void presignedDownloadsRedirectToTheBucket(@TempDir Path dir) throws Exception {
    SharedStores stores = SharedStores.fresh().presigned();
    try (GatewayFixture gw = GatewayFixture.builder(dir).shared(stores).key("ci", "*").start();
        Http http = new Http(gw.vertx, gw.port())) {
      String id = "Presigned.Lib";
      byte[] nupkg = TestPackages.nupkg(id, "1.0.0");
      byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), nupkg).status());
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status());
      gw.awaitSymbolState(http, id, "1.0.0", "available");
      byte[] pdb = TestPackages.snupkgEntries(id, "1.0.0", TestPackages.pdbId(id, "1.0.0")).get("lib/net45/" + id + ".pdb");
      java.net.http.HttpClient plain = java.net.http.HttpClient.newHttpClient();
      Map<String, byte[]> downloads = Map.of(ssqp(id, TestPackages.pdbId(id, "1.0.0")), pdb,
          SYMBOLS + id + "/1.0.0", snupkg, "/v3/flatcontainer/presigned.lib/1.0.0/presigned.lib.1.0.0.nupkg", nupkg);
      for (Map.Entry<String, byte[]> d : downloads.entrySet()) {
        Reply r = http.get(d.getKey());
        assertEquals(302, r.status(), d.getKey() + ": " + r);
        String location = r.headers().get("Location");
        assertTrue(location.startsWith(stores.server.endpoint() + "/" + stores.bucket + "/"), location);
        assertTrue(location.contains("X-Amz-Signature="), location);
        java.net.http.HttpResponse<byte[]> fetched = plain.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(location)).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, fetched.statusCode(), location);
        assertArrayEquals(d.getValue(), fetched.body(), d.getKey());
      }
    }
  }

  @Test
  void theRateLimitHoldsForTheFleetNotPerReplica(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      stand.auth.key("k", "ci", "*");
      SharedStores stores = SharedStores.fresh();
      List<GatewayFixture> replicas = replicas(stand, stores, dir, "rateLimit", "pushesPerHour: 10");
      List<Http> clients = replicas.stream().map(g -> new Http(g.vertx, g.port())).toList();
      try {
        Map<Integer, Long> statuses = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
          stand.feed.publishNow("Rate.Fleet", "1.0." + i, TestPackages.nupkg("Rate.Fleet", "1.0." + i));
          Reply r = clients.get(i % 3).push(SYMBOLS, "k", TestPackages.snupkg("Rate.Fleet", "1.0." + i));
          statuses.merge(r.status(), 1L, Long::sum);
        }
        assertEquals(Map.of(201, 10L, 429, 20L), statuses, "a bucket of 10 for the key, whichever replica asks");
      } finally {
        closeAll(replicas, clients);
      }
    }
  }

  static String ssqp(String id, UUID pdbId) {
    return "/download/symbols/" + ssqpKey(id, pdbId).substring("ssqp/".length());
  }

  static String ssqpKey(String id, UUID pdbId) {
    String file = id.toLowerCase(Locale.ROOT) + ".pdb";
    return "ssqp/" + file + "/" + pdbId.toString().replace("-", "") + "ffffffff/" + file;
  }
}
