package io.snupkg.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.SlowPush;
import io.snupkg.gateway.testing.TestPackages;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http.headerTimeout} over raw sockets: what it cuts (a head that trickles, on a new connection and on a
 * kept-alive one) and what it leaves alone (a slow body, a kept-alive connection waiting silently for its next
 * request). The deadline is 1 s here, {@code idleTimeout} 30 s, so only the deadline can close within seconds.
 */
@Timeout(60)
class HeadDeadlineTest {
  @TempDir
  static Path dir;
  static GatewayFixture gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = GatewayFixture.builder(dir).key("ci", "*").yaml("http", "headerTimeout: 1s").yaml("http", "idleTimeout: 30s")
        .start();
    http = new Http(gw.vertx, gw.port());
  }

  @AfterAll
  static void stop() throws Exception {
    GatewayFixture.closeAll(http, gw);
  }

  @Test
  void aHeadThatTricklesInIsCutOffAfterTheDeadline() throws Exception {
    try (RawHttp raw = new RawHttp(gw.port())) {
      long start = System.nanoTime();
      boolean closed = false;
      for (char c : "GET /v3/index.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".toCharArray()) {
        try {
          raw.write(String.valueOf(c));
        } catch (java.io.IOException e) {
          closed = true;
          break;
        }
        Thread.sleep(200);
        if (raw.responseArrived()) {
          break;
        }
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(closed || raw.closedByServer(), "the connection is closed");
      assertTrue(ms < 5_000, "cut after " + ms + " ms");
    }
  }

  @Test
  void onAKeptAliveConnectionTheNextHeadIsUnderTheDeadlineButTheSilenceBeforeItIsNot() throws Exception {
    try (RawHttp raw = new RawHttp(gw.port())) {
      raw.write("GET /v3/index.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawHttp.Head first = raw.readHead();
      assertEquals(200, first.status());
      raw.readBody(first);
      Thread.sleep(2_000); // twice the deadline, silent: only idleTimeout governs a connection between requests
      raw.write("GET /v3/index.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawHttp.Head second = raw.readHead();
      assertEquals(200, second.status(), "a silent kept-alive connection is still served");
      raw.readBody(second);
      raw.write("GET /v3/ind"); // the third head starts, and stops
      Thread.sleep(1_500);
      assertTrue(raw.closedByServer(), "an unfinished head on a kept-alive connection is cut off");
    }
  }

  @Test
  void aSlowBodyIsNotUnderTheHeadDeadline() {
    String id = "Head.Deadline";
    assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), TestPackages.nupkg(id, "1.0.0")).status());
    // About 3 s of body in pieces 250 ms apart: three times the head deadline, never idle for idleTimeout.
    byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
    String line = SlowPush.push(gw.port(), "/api/v2/symbolpackage/", gw.key("ci"), snupkg,
        Math.max(1, snupkg.length / 12), 250, () -> { });
    assertTrue(line.startsWith("HTTP/1.1 201"), line);
  }
}
