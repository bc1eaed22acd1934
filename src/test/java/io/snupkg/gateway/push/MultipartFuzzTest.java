package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.CollectingWriteStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the multipart reader, which parses untrusted bytes on the event loop. Two properties: any body, cut into
 * any chunks, ends in success or a 400 {@link Rejection} (never another exception); and a file wrapped as the
 * NuGet client wraps it comes out byte for byte, whatever the chunking. See {@code ValidationFuzzTest} for how
 * fuzzing runs ({@code mvn -B test-compile surefire:test@fuzz-multipart -Dfuzz.duration=30m}).
 */
class MultipartFuzzTest {
  private static final String BOUNDARY = "9f3c2b1a-77e4-4d0e-9a51-0c2f4b6e8d10";


  @FuzzTest
  void fuzzMultipart(FuzzedDataProvider data) {
    boolean wrap = data.consumeBoolean();
    int[] cuts = new int[data.consumeInt(0, 8)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = data.consumeInt(0, 1 << 16);
    }
    byte[] payload = data.consumeRemainingAsBytes();
    byte[] body = wrap ? wrap(payload) : payload;
    CollectingWriteStream sink = new CollectingWriteStream();
    MultipartFileStream stream = new MultipartFileStream(BOUNDARY, sink, n -> true, "symbol package");
    java.util.Arrays.sort(cuts);
    int from = 0;
    Future<Void> result = Future.succeededFuture();
    for (int i = 0; i <= cuts.length && result.succeeded(); i++) {
      int to = i < cuts.length ? Math.min(Math.max(cuts[i], from), body.length) : body.length;
      result = stream.write(Buffer.buffer(body).slice(from, to));
      from = to;
    }
    if (result.succeeded()) {
      result = stream.end();
    }
    if (result.failed()) {
      assertTrue(result.cause() instanceof Rejection, result.cause().toString());
      assertEquals(400, ((Rejection) result.cause()).status());
    }
    if (wrap) {
      assertTrue(result.succeeded(), "a well-formed body was refused: " + result.cause());
      assertArrayEquals(payload, sink.bytes());
    }
  }

  private static byte[] wrap(byte[] file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("--" + BOUNDARY + "\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; "
        + "name=package; filename=package.nupkg\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(file);
    out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
