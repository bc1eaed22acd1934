package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trap of modern-client.md §9.4: SocketsHttpHandler sends the whole body before it reads any answer. A gateway
 * that answers early (401 after the head, 413 in mid-body) and then closes makes the client see a broken pipe, retry
 * three times and never print the reason. Here a client writes 300 MiB of chunked body (over the 250 MiB limit) and
 * only then reads: it must find the 401 or the 413 with its reason, because the gateway drains the rest (up to
 * {@code limits.drainMaxBytes}, 1 GiB by default) instead of closing.
 */
@Timeout(180)
class EarlyAnswerTest {
  private static final int MIB = 1 << 20;
  private static final int BODY_MIB = 300;

  @TempDir
  static Path dir;
  static GatewayFixture gw;

  @BeforeAll
  static void start() {
    gw = GatewayFixture.builder(dir).key("ci", "*").start();
  }

  @AfterAll
  static void stop() throws Exception {
    GatewayFixture.closeAll(null, gw);
  }

  @ParameterizedTest(name = "paced: {0}")
  @ValueSource(booleans = {false, true})
  void anUploadOverTheLimitReadsItsAnswerOnlyAfterSendingEverythingAndGets413(boolean paced) throws Exception {
    RawHttp.Head head = sendAllThenRead(gw.key("ci"), paced);
    assertEquals(413, head.status());
    assertEquals("The symbol package exceeds the size limit of 250 MiB.", head.reason());
  }

  @ParameterizedTest(name = "paced: {0}")
  @ValueSource(booleans = {false, true})
  void anUploadWithoutAKeyReadsItsAnswerOnlyAfterSendingEverythingAndGets401(boolean paced) throws Exception {
    RawHttp.Head head = sendAllThenRead(null, paced);
    assertEquals(401, head.status());
    assertEquals("An API key must be provided in the 'X-NuGet-ApiKey' header to use this service", head.reason());
  }

  /**
   * The modern client's head, then 300 chunks of 1 MiB as fast as the socket takes them, or paced (256 KiB writes
   * with a pause), and the answer read only after the last chunk; the writes must never fail.
   */
  private static RawHttp.Head sendAllThenRead(String apiKey, boolean paced) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", gw.port())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      String boundary = UUID.randomUUID().toString();
      out.write(("PUT /api/v2/symbolpackage/ HTTP/1.1\r\nHost: 127.0.0.1:" + gw.port()
          + "\r\nTransfer-Encoding: chunked\r\n" + (apiKey == null ? "" : "X-NuGet-ApiKey: " + apiKey + "\r\n")
          + "X-NuGet-Session-Id: " + UUID.randomUUID() + "\r\nUser-Agent: NuGet xplat/6.12.1 (LINUX)\r\n"
          + "X-NuGet-Client-Version: 6.12.1\r\nAccept-Encoding: gzip, deflate\r\n"
          + "Content-Type: multipart/form-data; boundary=\"" + boundary + "\"\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      byte[] piece = new byte[paced ? MIB / 4 : MIB];
      Arrays.fill(piece, (byte) 'x');
      byte[] size = (Integer.toHexString(piece.length).toUpperCase() + "\r\n").getBytes(StandardCharsets.US_ASCII);
      byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
      CompletableFuture<IOException> writing = CompletableFuture.supplyAsync(() -> {
        try {
          for (long sent = 0; sent < (long) BODY_MIB * MIB; sent += piece.length) {
            out.write(size);
            out.write(piece);
            out.write(crlf);
            if (paced) {
              Thread.sleep(2);
            }
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          return null;
        } catch (IOException e) {
          return e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new IOException(e);
        }
      });
      assertNull(writing.get(120, TimeUnit.SECONDS), "the client could send its whole body");
      return readHead(socket);
    }
  }

  private static RawHttp.Head readHead(Socket socket) throws IOException {
    StringBuilder head = new StringBuilder();
    java.io.InputStream in = socket.getInputStream();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before a complete response head: " + head);
      }
      head.append((char) b);
    }
    String[] status = head.toString().split("\r\n", 2)[0].split(" ", 3);
    return new RawHttp.Head(Integer.parseInt(status[1]), status.length > 2 ? status[2] : "", java.util.Map.of());
  }
}
