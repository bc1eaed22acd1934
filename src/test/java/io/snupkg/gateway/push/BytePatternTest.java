package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Horspool search against the plain definition, on crafted and random inputs. */
class BytePatternTest {

  @Test
  void findsThePatternAtTheStartTheEndAndNowhere() {
    BytePattern p = new BytePattern(bytes("\r\n--abc"));
    assertEquals(0, p.indexOf(Buffer.buffer("\r\n--abcdef")));
    assertEquals(3, p.indexOf(Buffer.buffer("xyz\r\n--abc")));
    assertEquals(-1, p.indexOf(Buffer.buffer("xyz\r\n--ab")));
    assertEquals(-1, p.indexOf(Buffer.buffer("")));
    assertEquals(4, p.indexOf(Buffer.buffer("\r\n--\r\n--abc\r\n--abc")), "the first of two, after a near miss");
    // A slice: positions are relative to the slice, whatever its offset in the backing array.
    assertEquals(1, p.indexOf(Buffer.buffer("0123\r\n--abc").slice(3, 11)));
  }

  @Test
  void agreesWithTheDefinitionOnRandomInput() {
    Random random = new Random(7);
    for (int round = 0; round < 20_000; round++) {
      // A small alphabet so that partial matches and repeats are common.
      byte[] needle = randomBytes(random, 1 + random.nextInt(8), 3);
      byte[] haystack = randomBytes(random, random.nextInt(64), 3);
      int offset = haystack.length == 0 ? 0 : random.nextInt(haystack.length);
      int length = haystack.length - offset;
      assertEquals(naive(needle, haystack, offset, length), new BytePattern(needle).indexOf(haystack, offset, length),
          () -> "needle " + java.util.Arrays.toString(needle) + " in " + java.util.Arrays.toString(haystack));
    }
  }

  private static int naive(byte[] needle, byte[] haystack, int offset, int length) {
    outer:
    for (int i = 0; i + needle.length <= length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[offset + i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] randomBytes(Random random, int n, int alphabet) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (random.nextInt(alphabet) * 97); // includes negative byte values
    }
    return b;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
