package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PortablePdbReaderTest {
  private static final String ENTRY = "lib/net8.0/X.pdb";

  /**
   * The metadata root of the Portable PDB spec's worked example, typed from its dump rather than built, so that
   * the builder below is checked against it and not against itself.
   */
  private static final byte[] SPEC_ROOT = HexFormat.of().parseHex(String.join("",
      "42534a42", "01000100", "00000000", "0c000000", // BSJB, version 1.1, reserved, version length 12
      "504442207631", "2e3000000000", //                "PDB v1.0" NUL-padded to 12
      "0000", "0500", //                                 flags 0, 5 streams
      "70000000", "540b0000", "237e0000", //             #~       @0x70  size 0xb54
      "c40b0000", "4c000000", "23537472696e677300000000", // #Strings @0xbc4 size 0x4c
      "100c0000", "20000000", "2347554944000000", //     #GUID    @0xc10 size 0x20
      "300c0000", "14090000", "23426c6f62000000", //     #Blob    @0xc30 size 0x914
      "44150000", "74000000", "2350646200000000")); //   #Pdb     @5444  size 116
  private static final int SPEC_SIZE = 5560;
  private static final int SPEC_PDB = 5444;
  private static final byte[] SPEC_ID = HexFormat.of().parseHex("72383ba46a6e3c4bb1691f35f0d6cc4829acb75c");

  /** A stream header: offset, size, and the name field exactly as written (NUL and padding included). */
  private record Header(long offset, long size, byte[] name) {
    Header(long offset, long size, String name) {
      this(offset, size, nameField(name));
    }
  }

  private static Header[] specHeaders() {
    return new Header[] {new Header(0x70, 0xb54, "#~"), new Header(0xbc4, 0x4c, "#Strings"),
        new Header(0xc10, 0x20, "#GUID"), new Header(0xc30, 0x914, "#Blob"), new Header(SPEC_PDB, 116, "#Pdb")};
  }

  /** The spec's headers with the one at {@code index} replaced. */
  private static Header[] specWith(int index, Header header) {
    Header[] headers = specHeaders();
    headers[index] = header;
    return headers;
  }

  private static byte[] nameField(String name) {
    byte[] ascii = name.getBytes(StandardCharsets.ISO_8859_1);
    return Arrays.copyOf(ascii, (ascii.length + 4) & ~3); // NUL, then padding to 4
  }

  private static byte[] root(Header... headers) {
    return root(12, headers.length, headers);
  }

  /** The metadata root: the version string is "PDB v1.0" cut or NUL-padded to {@code versionLength}. */
  private static byte[] root(int versionLength, int streamCount, Header... headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(le(16).putInt(PortablePdbReader.SIGNATURE).putShort((short) 1).putShort((short) 1).putInt(0)
        .putInt(versionLength).array());
    out.writeBytes(Arrays.copyOf("PDB v1.0".getBytes(StandardCharsets.US_ASCII), versionLength));
    out.writeBytes(le(4).putShort((short) 0).putShort((short) streamCount).array());
    for (Header h : headers) {
      out.writeBytes(le(8).putInt((int) h.offset()).putInt((int) h.size()).array());
      out.writeBytes(h.name());
    }
    return out.toByteArray();
  }

  /** A file of {@code size} bytes: the root, the id at {@code pdbAt}, and noise in between, as stream data. */
  private static byte[] file(byte[] root, int size, int pdbAt, byte[] id) {
    byte[] file = new byte[size];
    new Random(size).nextBytes(file);
    System.arraycopy(root, 0, file, 0, root.length);
    System.arraycopy(id, 0, file, pdbAt, id.length);
    return file;
  }

  private static byte[] spec(Header... headers) {
    return file(root(headers), SPEC_SIZE, SPEC_PDB, SPEC_ID);
  }

  /** A small valid PDB: the given empty streams, then a 32-byte #Pdb right after the root. */
  private static byte[] minimal(int versionLength, String... otherStreams) {
    List<Header> headers = new ArrayList<>();
    for (String s : otherStreams) {
      headers.add(new Header(0, 0, s));
    }
    headers.add(new Header(0, 32, "#Pdb"));
    int pdbAt = root(versionLength, headers.size(), headers.toArray(Header[]::new)).length;
    headers.set(headers.size() - 1, new Header(pdbAt, 32, "#Pdb"));
    return file(root(versionLength, headers.size(), headers.toArray(Header[]::new)), pdbAt + 32, pdbAt, SPEC_ID);
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static PdbId read(byte[] file) throws Exception {
    return PortablePdbReader.read(new ByteArrayInputStream(file), ENTRY, file.length);
  }

  private static void assertRejected(Rule rule, String reason, byte[] bytes, long declaredSize) {
    InvalidPackageException e = assertThrows(InvalidPackageException.class,
        () -> PortablePdbReader.read(new ByteArrayInputStream(bytes), ENTRY, declaredSize));
    assertEquals(rule, e.rule(), e.getMessage());
    assertTrue(e.getMessage().startsWith(ENTRY + ": "), e.getMessage());
    assertEquals(ENTRY + ": " + reason, e.getMessage());
  }

  private static void assertMalformed(String what, byte[] file) {
    assertRejected(Rule.PDB_MALFORMED, "malformed portable PDB (" + what + ")", file, file.length);
  }

  private static void assertNotPortable(byte[] file) {
    assertRejected(Rule.PDB_NOT_PORTABLE, "is not a portable PDB (no BSJB metadata signature)", file, file.length);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Good PDBs

  @Test
  void specWorkedExample() throws Exception {
    assertEquals(112, SPEC_ROOT.length);
    byte[] file = file(SPEC_ROOT, SPEC_SIZE, SPEC_PDB, SPEC_ID);
    PdbId id = read(file);
    assertEquals("a43b38726e6a4b3cb1691f35f0d6cc48", id.guid());
    assertEquals(0x5CB7AC29L, id.stamp());
    assertEquals("a43b38726e6a4b3cb1691f35f0d6cc48FFFFFFFF", id.ssqpKey());
  }

  @Test
  void theTestBuilderWritesTheSpecLayout() {
    assertArrayEquals(SPEC_ROOT, root(specHeaders()));
  }

  @Test
  void readerStopsAfterTheIdAndLeavesTheRestToTheCaller() throws Exception {
    byte[] file = spec(specHeaders());
    ByteArrayInputStream in = new ByteArrayInputStream(file);
    PortablePdbReader.read(in, ENTRY, file.length);
    assertEquals(SPEC_SIZE - (SPEC_PDB + 20), in.available());
    assertArrayEquals(Arrays.copyOfRange(file, SPEC_PDB + 20, SPEC_SIZE), in.readAllBytes());
  }

  @Test
  void aStreamThatCannotSkipIsReadThrough() throws Exception {
    // Inflater-backed streams may skip nothing; the reader must then read its way to #Pdb.
    byte[] file = spec(specHeaders());
    InputStream noSkip = new FilterInputStream(new ByteArrayInputStream(file)) {
      @Override
      public long skip(long n) {
        return 0;
      }
    };
    assertEquals("a43b38726e6a4b3cb1691f35f0d6cc48", PortablePdbReader.read(noSkip, ENTRY, file.length).guid());
  }

  @Test
  void pdbStreamFirstOrLastGivesTheSameId() throws Exception {
    UUID guid = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    byte[] first = PortablePdb.write(guid, 42, 0, false);
    byte[] last = PortablePdb.write(guid, 42, 0, true);
    assertFalse(Arrays.equals(first, last), "the two layouts differ");
    assertEquals(read(first).guid(), read(last).guid());
    assertEquals(read(first).stamp(), read(last).stamp());
    PdbId id = read(last);
    assertEquals("0f1e2d3c4b5a69788796a5b4c3d2e1f0", id.guid());
    assertEquals(42, id.stamp());
    // The id offset points at the 20 id bytes in either layout: the GUID's first byte is Data1's lowest.
    assertEquals((byte) 0x3c, last[(int) id.idOffset()]);
    assertEquals((byte) 0x3c, first[(int) read(first).idOffset()]);
  }

  @Test
  void knownUuidGivesTheDotNetNForm() throws Exception {
    // High bits set in Data1..Data3 and the stamp: signed Java numbers must not leak into the hex or the stamp.
    UUID guid = UUID.fromString("f1e2d3c4-b5a6-9788-a9ba-cbdcedfe0f10");
    assertArrayEquals(HexFormat.of().parseHex("c4d3e2f1a6b58897a9bacbdcedfe0f10"), PortablePdb.guidBytes(guid),
        "PortablePdb writes .NET's mixed-endian layout");
    PdbId id = read(PortablePdb.write(guid, 0xF00D0001));
    assertEquals("f1e2d3c4b5a69788a9bacbdcedfe0f10", id.guid());
    assertEquals(guid.toString().replace("-", ""), id.guid());
    assertEquals(0xF00D0001L, id.stamp());
  }

  @Test
  void limitsAreInclusive() throws Exception {
    assertEquals(32, read(minimal(256)).guid().length(), "a 256-byte version string");
    String[] streams = new String[31];
    Arrays.setAll(streams, i -> "#S" + i);
    assertEquals(32, read(minimal(12, streams)).guid().length(), "32 streams");
    assertEquals(32, read(minimal(12, "#" + "n".repeat(31))).guid().length(), "a 32-character stream name");
    assertEquals(32, read(spec(specWith(4, new Header(SPEC_PDB, 32, "#Pdb")))).guid().length(), "a 32-byte #Pdb");
    assertEquals(32, read(spec(specWith(4, new Header(112, 116, "#Pdb")))).guid().length(), "#Pdb right after");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Not a portable PDB

  @Test
  void windowsPdbIsNamedAsSuch() {
    byte[] msf = PortablePdb.windows();
    assertRejected(Rule.PDB_NOT_PORTABLE, "is a Windows PDB; symbol packages must contain portable PDBs (build with "
        + "<DebugType>portable</DebugType>)", msf, msf.length);
  }

  @Test
  void randomBytesAreNotAPortablePdb() {
    byte[] random = new byte[4096];
    new Random(7).nextBytes(random);
    assertNotPortable(random);
  }

  @Test
  void emptyAndThreeBytesAreNotAPortablePdb() {
    assertNotPortable(new byte[0]);
    assertNotPortable("BSJ".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void assemblyMetadataWithoutPdbStreamIsNotAPortablePdb() {
    // What a .dll renamed to .pdb looks like past its PE headers: metadata, but no #Pdb.
    byte[] root = root(new Header(0x6c, 0x100, "#~"), new Header(0x16c, 0x40, "#Strings"),
        new Header(0x1ac, 0x10, "#US"), new Header(0x1bc, 0x10, "#GUID"), new Header(0x1cc, 0x30, "#Blob"));
    assertRejected(Rule.PDB_NOT_PORTABLE, "is not a portable PDB (its metadata has no #Pdb stream)",
        file(root, 0x1fc, 0, new byte[0]), 0x1fc);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Malformed

  @Test
  void signatureWithTruncatedHeader() {
    assertMalformed("truncated in the metadata header", Arrays.copyOf(SPEC_ROOT, 10));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 10, 260})
  void badVersionLength(int length) {
    assertMalformed("bad version string length " + length,
        file(root(length, 5, specHeaders()), SPEC_SIZE, SPEC_PDB, SPEC_ID));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 33})
  void badStreamCount(int count) {
    assertMalformed(count + " metadata streams", file(root(12, count, specHeaders()), SPEC_SIZE, SPEC_PDB, SPEC_ID));
  }

  @Test
  void streamNameWithoutNulWithin32Characters() {
    byte[] longName = ("#" + "n".repeat(39) + "\0\0\0\0").getBytes(StandardCharsets.US_ASCII);
    assertMalformed("bad stream name", spec(specWith(1, new Header(0xbc4, 0x4c, longName))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"#St\u0001", "#St\u007f", "#St\u00e9", "#St\u0080"})
  void nonPrintableStreamName(String name) {
    assertMalformed("bad stream name", spec(specWith(1, new Header(0xbc4, 0x4c, name))));
  }

  @Test
  void duplicateStream() {
    assertMalformed("stream #GUID appears twice", spec(specWith(3, new Header(0xc30, 0x914, "#GUID"))));
  }

  @Test
  void streamExtendingPastTheDeclaredSize() {
    assertMalformed("stream #Pdb extends past the end of the file",
        spec(specWith(4, new Header(SPEC_PDB, 117, "#Pdb"))));
    assertMalformed("stream #Blob extends past the end of the file",
        spec(specWith(3, new Header(0xc30, 0xFFFFFFFFL, "#Blob"))));
  }

  @Test
  void pdbStreamSmallerThan32Bytes() {
    assertMalformed("the #Pdb stream is only 31 bytes", spec(specWith(4, new Header(SPEC_PDB, 31, "#Pdb"))));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 0x20, 111})
  void pdbStreamOffsetInsideTheHeader(int offset) {
    assertMalformed("the #Pdb stream overlaps the metadata header", spec(specWith(4, new Header(offset, 116, "#Pdb"))));
  }

  @ParameterizedTest
  @CsvSource({
      "30, the stream count",
      "50, a stream header",
      "60, a stream name",
      "5000, ",
      "5450, the PDB id",
  })
  void truncatedFile(int length, String where) {
    // The zip reader declares the full size; the bytes end early (a lying header is caught by the CRC later).
    String what = where == null ? "truncated before the #Pdb stream" : "truncated in " + where;
    assertRejected(Rule.PDB_MALFORMED, "malformed portable PDB (" + what + ")",
        Arrays.copyOf(spec(specHeaders()), length), SPEC_SIZE);
  }
}
