package io.snupkg.gateway.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.storage.SymbolPackageRecord.State;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-version state machine: pending, then available or failed, the served one kept until replaced. */
class SymbolPackageRecordTest {
  static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
  static final Upload FIRST = new Upload("aa", 10, "ci", T);
  static final Upload SECOND = new Upload("bb", 20, "ci", T.plusSeconds(60));

  @Test
  void pendingThenAvailableThenANewPendingKeepsTheServedOne() {
    SymbolPackageRecord r = SymbolPackageRecord.empty("Pkg", "1.0.0").withPending(FIRST);
    assertEquals(State.PENDING, r.state());
    r = r.published();
    assertEquals(State.AVAILABLE, r.state());
    assertEquals(FIRST, r.available().orElseThrow());
    r = r.withPending(SECOND);
    assertEquals(State.PENDING, r.state());
    assertEquals(FIRST, r.available().orElseThrow(), "still served while the new one is checked");
    assertEquals(SECOND, r.published().available().orElseThrow());
  }

  @Test
  void aFailedPushLeavesTheServedOneAndSaysWhy() {
    SymbolPackageRecord r = SymbolPackageRecord.empty("Pkg", "1.0.0").withPending(FIRST).published()
        .withPending(SECOND).failed(List.of("lib/x.pdb: no matching DLL"), T);
    assertEquals(State.AVAILABLE, r.state());
    assertEquals(FIRST, r.available().orElseThrow());
    assertEquals(new JsonObject().put("id", "Pkg").put("version", "1.0.0").put("state", "available")
        .put("reasons", List.of("lib/x.pdb: no matching DLL")), r.status());
    SymbolPackageRecord onlyFailed = SymbolPackageRecord.empty("Pkg", "2.0.0").withPending(SECOND)
        .failed(List.of("why"), T);
    assertEquals(State.FAILED, onlyFailed.state());
    assertEquals("failed", onlyFailed.status().getString("state"));
  }

  @Test
  void survivesJson() {
    SymbolPackageRecord r = SymbolPackageRecord.empty("Pkg", "1.0.0").withPending(FIRST).published()
        .withPending(SECOND).failed(List.of("a", "b"), T).withPending(FIRST);
    assertEquals(r, SymbolPackageRecord.fromJson(new JsonObject(r.toJson().encode())));
    assertTrue(SymbolPackageRecord.fromJson(SymbolPackageRecord.empty("P", "1.0.0").toJson()).available().isEmpty());
  }
}
