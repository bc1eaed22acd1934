package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.CollectingWriteStream;
import io.snupkg.gateway.testing.Multipart;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The multipart reader against bodies cut into every possible pair of chunks and into random chunkings: the
 * file part's bytes must come out exactly, whatever the network reads look like (Netty's decoder kept a CR that
 * ended a read before the closing delimiter, netty/netty#17383, which is why this reader exists).
 */
class MultipartFileStreamTest {
  private static final String WHAT = "symbol package";


  private record Outcome(byte[] file, boolean ended, Throwable failure) {}

  private static Outcome feed(String boundary, byte[] body, int... cuts) {
    CollectingWriteStream sink = new CollectingWriteStream();
    MultipartFileStream stream = new MultipartFileStream(boundary, sink, n -> true, WHAT);
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : body.length;
      Future<Void> f = stream.write(Buffer.buffer(body).slice(from, to));
      if (f.failed()) {
        return new Outcome(sink.bytes(), false, f.cause());
      }
      from = to;
    }
    Future<Void> end = stream.end();
    return new Outcome(sink.bytes(), sink.ended(), end.cause());
  }

  /** Content that looks like the delimiter's start in many places, and ends in a CR as zips can. */
  private static byte[] trickyFile(String boundary) {
    String s = "PK\r\n-\r\n--\r\n--" + boundary.substring(0, boundary.length() - 1) + "x\r\r\n\r";
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void everySplitIntoTwoChunksYieldsTheExactFile() {
    Multipart m = new Multipart();
    byte[] file = trickyFile(m.boundary);
    byte[] body = m.wrap(file);
    for (int cut = 0; cut <= body.length; cut++) {
      Outcome o = feed(m.boundary, body, cut);
      assertEquals(null, o.failure(), "cut at " + cut);
      assertArrayEquals(file, o.file(), "cut at " + cut);
      assertTrue(o.ended());
    }
  }

  @Test
  void randomChunkingsYieldTheExactFile() {
    Random random = new Random(42);
    for (int round = 0; round < 300; round++) {
      Multipart m = new Multipart();
      byte[] file = new byte[random.nextInt(5000)];
      random.nextBytes(file);
      byte[] body = m.wrap(file);
      int[] cuts = random.ints(random.nextInt(40), 0, body.length + 1).sorted().toArray();
      Outcome o = feed(m.boundary, body, cuts);
      assertEquals(null, o.failure(), "round " + round);
      assertArrayEquals(file, o.file(), "round " + round);
    }
  }

  @Test
  void oneByteAtATime() {
    Multipart m = new Multipart();
    byte[] file = trickyFile(m.boundary);
    byte[] body = m.wrap(file);
    int[] cuts = new int[body.length - 1];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = i + 1;
    }
    assertArrayEquals(file, feed(m.boundary, body, cuts).file());
  }

  @Test
  void preambleFormFieldsAndLaterFilesAreSkipped() {
    String b = "b0undary";
    String body = "this is a preamble\r\n"
        + "--b0undary\r\nContent-Disposition: form-data; name=comment\r\n\r\nnot the file\r\n"
        + "--b0undary  \r\nContent-Disposition: form-data; name=\"package\"; filename=\"x.snupkg\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\nTHE FILE\r\n"
        + "--b0undary\r\nContent-Disposition: form-data; name=other; filename=y.snupkg\r\n\r\nsecond file\r\n"
        + "--b0undary--\r\nepilogue --b0undary\r\n";
    Outcome o = feed(b, body.getBytes(StandardCharsets.US_ASCII));
    assertEquals(null, o.failure());
    assertEquals("THE FILE", new String(o.file(), StandardCharsets.US_ASCII));
  }

  @Test
  void anEmptyFilePartIsAnEmptyFile() {
    Outcome o = feed("b", ("--b\r\nContent-Disposition: form-data; name=p; filename=x\r\n\r\n\r\n--b--")
        .getBytes(StandardCharsets.US_ASCII));
    assertEquals(null, o.failure());
    assertEquals(0, o.file().length);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--b\\r\\nContent-Disposition: form-data; name=x\\r\\n\\r\\nfield\\r\\n--b--"
          + "| The multipart/form-data body has no file part; send the symbol package as its first file part or as "
          + "the raw request body",
      "no boundary at all | The multipart/form-data body has no file part; send the symbol package as its first file "
          + "part or as the raw request body",
      "--b\\r\\nContent-Disposition: form-data; name=p; filename=x\\r\\n\\r\\ncut short"
          + "| The multipart/form-data body is malformed (it ends before its closing boundary)",
      "--b\\r\\nContent-Disposition: form-data; name=p; filename=x\\r\\n\\r\\ndata\\r\\n--b\\r\\n"
          + "| The multipart/form-data body is malformed (it ends before its closing boundary)",
      "--bjunk\\r\\nContent-Disposition: form-data; name=p; filename=x\\r\\n\\r\\ndata\\r\\n--b--"
          + "| The multipart/form-data body is malformed (unexpected bytes after a boundary)",
  })
  void malformedBodiesAre400WithAReason(String body, String reason) {
    Outcome o = feed("b", body.replace("\\r\\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
    assertTrue(o.failure() instanceof Rejection, String.valueOf(o.failure()));
    assertEquals(400, ((Rejection) o.failure()).status());
    assertEquals(reason, o.failure().getMessage());
  }

  @Test
  void partHeadersAreBounded() {
    byte[] body = ("--b\r\nX-Long: " + "x".repeat(MultipartFileStream.MAX_HEADERS) + "\r\n\r\ndata\r\n--b--")
        .getBytes(StandardCharsets.US_ASCII);
    Outcome o = feed("b", body, 100, 200, 10_000);
    assertEquals("The multipart/form-data body is malformed (part headers longer than 16384 bytes)",
        o.failure().getMessage());
  }

  @Test
  void theSizeCheckSeesEveryRequestByte() {
    Multipart m = new Multipart();
    byte[] body = m.wrap(new byte[1000]);
    long[] seen = {0};
    MultipartFileStream stream = new MultipartFileStream(m.boundary, new CollectingWriteStream(), n -> {
      seen[0] = n;
      return n <= 500;
    }, WHAT);
    assertTrue(stream.write(Buffer.buffer(body).slice(0, 400)).succeeded());
    assertTrue(stream.write(Buffer.buffer(body).slice(400, body.length)).failed());
    assertEquals(body.length, seen[0]);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "multipart/form-data; boundary=\"6b6d2a5c-0d6b-4c27\" | 6b6d2a5c-0d6b-4c27",
      "multipart/form-data; boundary=abc                  | abc",
      "Multipart/Form-Data; charset=utf-8; BOUNDARY = abc | abc",
      "multipart/form-data; boundary=\"a b'c\"             | a b'c",
  })
  void boundaryIsReadQuotedOrNot(String contentType, String boundary) {
    assertEquals(Optional.of(boundary), MultipartFileStream.boundary(contentType));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; "
      + "boundary=\"\"", "multipart/form-data; boundary=\"unterminated"})
  void missingOrEmptyBoundaryIsNone(String contentType) {
    assertEquals(Optional.empty(), MultipartFileStream.boundary(contentType));
  }
}
