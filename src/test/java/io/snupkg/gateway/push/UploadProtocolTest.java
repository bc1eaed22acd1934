package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Multipart;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.RawHttp.Head;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload route at the byte level, over raw sockets: early answers before the body, 100-continue, the limit
 * enforced on chunked bodies while they stream, draining after a rejection, and clean-up when clients vanish.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class UploadProtocolTest {
  static final int LIMIT = 1 << 20;
  static final int CHUNK = 64 * 1024;

  GatewayFixture gw;
  String key;

  @BeforeAll
  void start(@TempDir Path dir) {
    gw = GatewayFixture.builder(dir)
        .key("ci", "*")
        .yaml("limits", "maxSymbolPackageSize: 1MiB")
        .yaml("limits", "drainTimeout: 5s")
        .start();
    key = gw.key("ci");
  }

  @AfterAll
  void stop() throws Exception {
    if (gw != null) {
      gw.close();
    }
  }

  private String head(String... extra) {
    StringBuilder sb = new StringBuilder("PUT /api/v2/symbolpackage/ HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (String h : extra) {
      sb.append(h).append("\r\n");
    }
    return sb.append("\r\n").toString();
  }

  @Test
  void declaredLengthOverTheLimitIs413BeforeAnyBodyByte() throws Exception {
    try (RawHttp c = new RawHttp(gw.port())) {
      // Only the head is sent: an answer now proves the gateway decided without reading any body.
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: application/octet-stream", "Content-Length: 10485760"));
      Head h = c.readHead();
      assertEquals(413, h.status());
      assertEquals("The symbol package exceeds the size limit of 1 MiB.", h.reason());
    }
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void expectContinueGetsTheRejectionInsteadOf100AndTheConnectionCloses() throws Exception {
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Length: 10485760", "Expect: 100-continue"));
      Head h = c.readHead();
      assertEquals(413, h.status());
      c.readBody(h);
      assertTrue(c.closedByServer());
    }
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: wrong", "Transfer-Encoding: chunked", "Expect: 100-continue"));
      Head h = c.readHead();
      assertEquals(403, h.status());
      assertEquals(Rejection.FORBIDDEN, h.reason());
    }
  }

  @Test
  void expectContinueIsAnsweredOnceTheKeyIsAccepted() throws Exception {
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: application/octet-stream",
          "Transfer-Encoding: chunked", "Expect: 100-continue"));
      Head cont = c.readHead();
      assertEquals(100, cont.status());
      c.chunk("not a zip".getBytes(StandardCharsets.US_ASCII)).lastChunk();
      Head h = c.readHead();
      assertEquals(400, h.status());
      assertTrue(h.reason().startsWith("The symbol package is not a valid zip archive"), h.reason());
    }
  }

  @Test
  void chunkedBodyOverTheLimitIs413WithinOneMiBAndIsDrained() throws Exception {
    Multipart m = new Multipart();
    byte[] data = new byte[CHUNK];
    new Random(1).nextBytes(data);
    long sent = 0;
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: " + m.contentType(), "Transfer-Encoding: chunked"));
      c.chunk(m.head());
      sent += m.head().length;
      while (!c.responseArrived() && sent < 8L * LIMIT) {
        c.chunk(data);
        sent += data.length;
        // Give the gateway time to read and answer, so that what was sent is close to what it read.
        for (int i = 0; i < 25 && !c.responseArrived(); i++) {
          Thread.sleep(2);
        }
      }
      assertTrue(sent <= LIMIT + (1 << 20), "413 came only after " + sent + " bytes");
      System.out.println("chunked upload over a " + LIMIT + "-byte limit: 413 arrived after " + sent + " bytes sent");
      Head h = c.readHead();
      assertEquals(413, h.status());
      assertEquals("The symbol package exceeds the size limit of 1 MiB.", h.reason());
      c.readBody(h);
      // The client may go on sending: the gateway drains instead of resetting, and the connection stays usable.
      for (int i = 0; i < 32; i++) {
        c.chunk(data);
      }
      c.chunk(m.tail()).lastChunk();
      c.write("GET /v3/index.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, c.readHead().status());
    }
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void missingKeyIsAnsweredWhileTheBodyIsStillComingAndDrained() throws Exception {
    byte[] data = new byte[CHUNK];
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("Content-Type: application/octet-stream", "Transfer-Encoding: chunked"));
      Head h = c.readHead();
      assertEquals(401, h.status());
      assertEquals(Rejection.NO_API_KEY, h.reason());
      c.readBody(h);
      for (int i = 0; i < 48; i++) { // 3 MiB, more than the limit: a drain is not bound by it
        c.chunk(data);
      }
      c.lastChunk();
      c.write("GET /health/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(404, c.readHead().status());
    }
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void clientThatDisconnectsMidStreamLeavesNoSpoolFile() throws Exception {
    byte[] data = new byte[CHUNK];
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: application/octet-stream", "Transfer-Encoding: chunked"));
      for (int i = 0; i < 4; i++) {
        c.chunk(data);
      }
      awaitTrue(() -> !gw.spoolFiles().isEmpty(), "the upload reached the spool");
    }
    awaitTrue(() -> gw.spoolFiles().isEmpty(), "the spool file was removed after the client left");
  }

  @Test
  void aChunkThatEndsInTheCrBeforeTheClosingBoundaryStoresTheExactPackage() throws Exception {
    // Netty's multipart decoder kept that CR as file content (netty/netty#17383): the package grew a byte.
    byte[] nupkg = TestPackages.nupkg("Split.Cr", "1.0.0");
    Multipart m = new Multipart();
    byte[] body = m.wrap(nupkg);
    int cut = body.length - m.tail().length + 1;
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write("PUT /api/v2/package/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NuGet-ApiKey: " + key
          + "\r\nContent-Type: " + m.contentType() + "\r\nTransfer-Encoding: chunked\r\n\r\n");
      c.chunk(Arrays.copyOfRange(body, 0, cut));
      Thread.sleep(50); // two reads on the server, not one
      c.chunk(Arrays.copyOfRange(body, cut, body.length)).lastChunk();
      assertEquals(201, c.readHead().status());
    }
    try (Http http = new Http(gw.vertx, gw.port())) {
      Http.Reply download = http.get("/v3/flatcontainer/split.cr/1.0.0/split.cr.1.0.0.nupkg");
      assertEquals(200, download.status());
      assertArrayEquals(nupkg, download.bytes().getBytes());
    }
  }

  @Test
  void malformedMultipartIs400() throws Exception {
    try (RawHttp c = new RawHttp(gw.port())) {
      byte[] body = "this is not multipart at all\r\n".getBytes(StandardCharsets.US_ASCII);
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: multipart/form-data; boundary=\"abc\"",
          "Content-Length: " + body.length));
      c.write(body);
      Head h = c.readHead();
      assertEquals(400, h.status());
      assertFalse(h.reason().isBlank());
      assertTrue(c.readBody(h).contains("\"status\":400"));
    }
    try (RawHttp c = new RawHttp(gw.port())) {
      c.write(head("X-NuGet-ApiKey: " + key, "Content-Type: multipart/form-data", "Content-Length: 4"));
      c.write("abcd");
      Head h = c.readHead();
      assertEquals(400, h.status());
      assertEquals("The multipart/form-data Content-Type has no valid boundary", h.reason());
    }
    assertEquals(List.of(), gw.spoolFiles());
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
