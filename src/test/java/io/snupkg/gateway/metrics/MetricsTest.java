package io.snupkg.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.DebianTool;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} on the management port, scraped as Prometheus does after real pushes: the exposition passes
 * {@code promtool check metrics} (Debian's prometheus package, which scripts/test-tools.sh installs), every meter
 * of the contract is there, the counters move with the pushes that happen, and no label value carries a package
 * id, a key or a path.
 */
@Timeout(120)
class MetricsTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";

  @Test
  void countersMoveWithPushesAndTheExpositionIsValid(@TempDir Path dir) throws Exception {
    String id = "Metrics.Counted";
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").start();
        Http http = new Http(gw.vertx, gw.port());
        Http management = new Http(gw.vertx, gw.gateway.managementPort())) {
      Map<String, Double> before = samples(scrape(management));

      assertEquals(201, http.push(PACKAGES, gw.key("ci"), TestPackages.nupkg(id, "1.0.0")).status());
      byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status());
      assertEquals("available", gw.awaitSettled(http, id, "1.0.0").getString("state"));
      assertEquals(403, http.push(SYMBOLS, "not-a-key", snupkg).status());
      assertEquals(404, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg("Metrics.Orphan", "1.0.0")).status());
      assertEquals(400, http.push(SYMBOLS, gw.key("ci"), TestPackages.nupkg(id, "2.0.0")).status());
      String key = TestPackages.pdbId(id, "1.0.0").toString().replace("-", "") + "FFFFFFFF";
      String pdb = id + ".pdb";
      assertEquals(200, http.get("/download/symbols/" + pdb + "/" + key + "/" + pdb).status());
      assertEquals(404, http.get("/download/symbols/" + pdb + "/" + "0".repeat(32) + "FFFFFFFF/" + pdb).status());

      // The GC pause meter appears with the first collection, which a JVM early in a test run may not have had.
      System.gc();
      String text = scrape(management);
      for (int i = 0; i < 50 && !text.contains("jvm_gc_pause_seconds_count"); i++) {
        Thread.sleep(100); // the collection is reported by a notification thread, shortly after
        text = scrape(management);
      }
      promtoolAccepts(text);
      Map<String, Double> after = samples(text);
      Map<String, Double> moved = new HashMap<>();
      after.forEach((k, v) -> moved.put(k, v - before.getOrDefault(k, 0.0)));

      assertEquals(1.0, moved.get("snupkg_push_total{kind=\"package\",status=\"201\"}"), text);
      assertEquals(1.0, moved.get("snupkg_push_total{kind=\"symbols\",status=\"201\"}"), text);
      assertEquals(1.0, moved.get("snupkg_push_total{kind=\"symbols\",status=\"403\"}"), text);
      assertEquals(1.0, moved.get("snupkg_push_total{kind=\"symbols\",status=\"404\"}"), text);
      assertEquals(1.0, moved.get("snupkg_push_total{kind=\"symbols\",status=\"400\"}"), text);
      // A nupkg pushed as symbols: refused for its package type, counted under the rule's bounded name.
      assertEquals(1.0, moved.entrySet().stream()
          .filter(e -> e.getKey().startsWith("snupkg_validation_failures_total{")).mapToDouble(Map.Entry::getValue)
          .sum(), text);
      // Every rule has its series from the start, so an alert on one sees 0 rather than nothing.
      assertEquals(0.0, after.get("snupkg_validation_failures_total{rule=\"pdb_not_portable\"}"), text);
      assertEquals(1.0, moved.get("snupkg_publish_total{result=\"available\"}"), text);
      assertEquals(0.0, moved.get("snupkg_publish_total{result=\"failed\"}"), text);
      assertEquals(1.0, moved.get("snupkg_feed_lookups_total{result=\"found\"}"), text);
      assertEquals(1.0, moved.get("snupkg_feed_lookups_total{result=\"missing\"}"), text);
      assertEquals(1.0, moved.get("snupkg_symbol_downloads_total{status=\"200\"}"), text);
      assertEquals(1.0, moved.get("snupkg_symbol_downloads_total{status=\"404\"}"), text);
      // Bodies that were read: the two symbol packages that got past admission and the nupkg; not the 403's.
      assertTrue(moved.get("snupkg_push_bytes_total{kind=\"symbols\"}") >= 2 * snupkg.length, text);
      assertTrue(moved.get("snupkg_push_bytes_total{kind=\"package\"}") > 0, text);
      // Five pushes reached admission; the 403 went no further; the 400 stopped at validation.
      assertEquals(5.0, moved.get("snupkg_push_stage_seconds_count{stage=\"admission\"}"), text);
      assertEquals(4.0, moved.get("snupkg_push_stage_seconds_count{stage=\"receive\"}"), text);
      assertEquals(4.0, moved.get("snupkg_push_stage_seconds_count{stage=\"validate\"}"), text);
      assertEquals(3.0, moved.get("snupkg_push_stage_seconds_count{stage=\"commit\"}"), text);
      assertTrue(after.containsKey("snupkg_push_stage_seconds_bucket{stage=\"validate\",le=\"+Inf\"}"), text);
      assertEquals(0.0, after.get("snupkg_uploads_in_flight"), text);
      assertEquals(0.0, after.get("snupkg_upload_bytes_in_flight"), text);
      // Vert.x's own HTTP server meters, the JVM and the process, beside the domain ones.
      for (String name : List.of("vertx_http_server_requests_total", "jvm_memory_used_bytes", "process_cpu_usage",
          "process_files_open_files", "jvm_gc_pause_seconds_count")) {
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith(name)), name + " missing:\n" + text);
      }
      assertNoSecretsOrIds(text, List.of(id, "Metrics.Orphan", gw.key("ci"), "not-a-key", dir.toString()));
    }
  }

  @Test
  void authLookupsSayWhereTheAnswerCameFrom(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String key = "proxy-key-" + System.nanoTime();
      stand.auth.key(key, "ci", "*");
      try (GatewayFixture gw = stand.gateway(dir).start();
          Http http = new Http(stand.vertx, gw.port());
          Http management = new Http(stand.vertx, gw.gateway.managementPort())) {
        String id = "Metrics.Proxy";
        stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
        byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
        assertEquals(201, http.push(SYMBOLS, key, snupkg).status());
        assertEquals(201, http.push(SYMBOLS, key, snupkg).status()); // the same bytes again: answers from the cache
        assertEquals(403, http.push(SYMBOLS, "unknown-" + key, snupkg).status());

        String text = scrape(management);
        promtoolAccepts(text);
        Map<String, Double> after = samples(text);
        // First push: the admission and the scope lookups go upstream; the second push finds both cached.
        assertEquals(2.0, after.get("snupkg_auth_lookups_total{result=\"allowed\",source=\"upstream\"}"), text);
        assertEquals(2.0, after.get("snupkg_auth_lookups_total{result=\"allowed\",source=\"cache\"}"), text);
        assertEquals(1.0, after.get("snupkg_auth_lookups_total{result=\"denied\",source=\"upstream\"}"), text);
        assertEquals(stand.auth.calls(), 3);
        assertNoSecretsOrIds(text, List.of(id, key, stand.auth.url(), dir.toString()));
      }
    }
  }

  // -----------------------------------------------------------------------------------------------------------

  private static String scrape(Http management) {
    Reply r = management.get("/metrics");
    assertEquals(200, r.status(), r.toString());
    assertTrue(r.headers().get("Content-Type").startsWith("text/plain"), r.headers().get("Content-Type"));
    return r.body();
  }

  /** Every sample, keyed by its name and labels as exposed (Micrometer sorts labels by name). */
  private static Map<String, Double> samples(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  private static void assertNoSecretsOrIds(String text, List<String> forbidden) {
    String lower = text.toLowerCase(Locale.ROOT);
    for (String f : forbidden) {
      assertFalse(lower.contains(f.toLowerCase(Locale.ROOT)), "the metrics mention " + f);
    }
  }

  /**
   * Prometheus's own checker, fed the exposition on stdin. It exits 1 on a line it cannot parse, and 3 when it
   * only has naming advice. The advice is accepted for the few names Micrometer's standard JVM and process
   * binders use (dashboards expect them as they are) and for nothing of ours.
   */
  private static void promtoolAccepts(String text) throws IOException, InterruptedException {
    DebianTool.Result promtool = DebianTool.run("prometheus", Duration.ofSeconds(30), text, "promtool", "check",
        "metrics");
    String report = promtool.output();
    if (promtool.exit() == 3) {
      List<String> ours = report.lines().filter(l -> !l.isBlank())
          .filter(l -> !MICROMETER_STANDARD_NAMES.contains(l.split(" ", 2)[0])).toList();
      assertEquals(List.of(), ours, "promtool check metrics has advice about our names:\n" + report);
    } else {
      assertEquals(0, promtool.exit(), "promtool check metrics:\n" + report);
    }
  }

  static final Set<String> MICROMETER_STANDARD_NAMES =
      Set.of("jvm_compilation_time_ms_total", "process_cpu_time_ns_total", "system_cpu_count");
}
