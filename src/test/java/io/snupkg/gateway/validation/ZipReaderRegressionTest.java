package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snupkg.gateway.testing.RawZip;
import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that once got past ZipReader's checks (integer overflow near Long.MAX_VALUE, a negative zip64 count, a
 * deflate stream cut one byte short), kept as regression tests.
 */
class ZipReaderRegressionTest {
  private static final ZipReader.Limits LIMITS = new ZipReader.Limits(10, 1 << 20, 4 << 20);
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path dir;

  private Path write(byte[] bytes) throws Exception {
    return Files.write(dir.resolve("bug.zip"), bytes);
  }

  private InvalidPackageException rejected(Path file) {
    return assertThrows(InvalidPackageException.class, () -> {
      try (ZipReader reader = ZipReader.open(file, LIMITS, "symbol package")) {
        for (ZipReader.Entry e : reader.entries()) {
          reader.verify(e);
        }
      }
    });
  }

  @Test
  void zip64EndRecordWithNegativeEntryCount() throws Exception {
    // ArrayList((int) -1): IllegalArgumentException escapes from open()
    RawZip zip = new RawZip().zip64End().endCounts(-1, -1).endCentralDirectory(0, 0);
    assertEquals(Rule.ZIP_STRUCTURE, rejected(write(zip.toBytes())).rule());
  }

  @Test
  void zip64CompressedSizeNearLongMax() throws Exception {
    // dataOffset + csize overflows: passes the bounds and overlap checks, then read() hits EOF -> EOFException
    RawZip zip = new RawZip();
    zip.add("a.txt", HELLO).deflate().zip64().sizes(Long.MAX_VALUE - 10, HELLO.length);
    assertEquals(Rule.ZIP_STRUCTURE, rejected(write(zip.toBytes())).rule());
  }

  @Test
  void zip64LocalHeaderOffsetNearLongMax() throws Exception {
    // offset + 30 overflows in checkLocalHeader and read(): EOFException from open()
    RawZip zip = new RawZip();
    zip.add("a.txt", HELLO).zip64().localHeaderOffset(Long.MAX_VALUE - 10);
    assertEquals(Rule.ZIP_STRUCTURE, rejected(write(zip.toBytes())).rule());
  }

  @Test
  void zip64LocatorOffsetNearLongMax() throws Exception {
    // recordOffset + 56 overflows in readZip64End: EOFException from open()
    byte[] bytes = new RawZip().zip64End().toBytes();
    int locator = bytes.length - 22 - 20;
    for (int i = 0; i < 8; i++) {
      bytes[locator + 8 + i] = (byte) ((Long.MAX_VALUE - 10) >>> (8 * i));
    }
    assertEquals(Rule.ZIP_STRUCTURE, rejected(write(bytes)).rule());
  }

  @Test
  void deflateStreamOneByteShortIsRefused() throws Exception {
    // The "dummy" byte fed after the declared data completes a stream whose last real byte is 0x00.
    byte[] deflated = RawZip.deflate("abc".getBytes(StandardCharsets.US_ASCII));
    assertEquals(0, deflated[deflated.length - 1]);
    RawZip zip = new RawZip();
    zip.add("a.txt", "abc".getBytes(StandardCharsets.US_ASCII)).method(RawZip.DEFLATED)
        .payload(Arrays.copyOf(deflated, deflated.length - 1));
    assertEquals(Rule.ZIP_CORRUPT, rejected(write(zip.toBytes())).rule());
  }

  @Test
  void descriptorEntryRunningPastTheEndIsNamed() throws Exception {
    // The descriptor check used to run first and reported only "(truncated)", without the entry's name.
    RawZip zip = new RawZip();
    zip.add("a.txt", HELLO).deflate().descriptor(true).sizes(1000, HELLO.length);
    InvalidPackageException e = rejected(write(zip.toBytes()));
    assertEquals("a.txt: its data runs past the end of the archive", e.getMessage());
    assertEquals(Rule.ZIP_STRUCTURE, e.rule());
  }
}
