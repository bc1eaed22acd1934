package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.testing.RawZip;
import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import io.snupkg.gateway.validation.ZipReader.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every rejection is asserted by its exact rule and message. {@code assertThrows} also fails when anything else is
 * thrown, so each hostile archive here doubles as a check that it never escapes as a RuntimeException, nor as a
 * plain IOException (which the gateway reports as a storage fault, 503, not as a bad package).
 */
class ZipReaderTest {
  private static final ZipReader.Limits LIMITS = new ZipReader.Limits(10, 1 << 20, 4 << 20);
  private static final String NOT_A_ZIP = "The symbol package is not a valid zip archive (";
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TEXT = "Compressible text, repeated until deflate has something to chew on. "
      .repeat(40).getBytes(StandardCharsets.US_ASCII);
  private static final Instant RAW_ZIP_TIME = Instant.parse("2024-01-02T03:04:06Z");

  @TempDir
  Path dir;

  private int files;

  private Path write(byte[] bytes) throws IOException {
    return Files.write(dir.resolve("p" + files++ + ".zip"), bytes);
  }

  private Path write(RawZip zip) throws IOException {
    return write(zip.toBytes());
  }

  private static ZipReader open(Path file, ZipReader.Limits limits) throws Exception {
    return ZipReader.open(file, limits, "symbol package");
  }

  private static RawZip hello(Consumer<RawZip.Entry> change) {
    RawZip zip = new RawZip();
    change.accept(zip.add("a.txt", HELLO));
    return zip;
  }

  private static long crc(byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(data);
    return crc.getValue();
  }

  private static long u32(byte[] b, int at) {
    return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
  }

  private static void assertRule(Rule rule, String message, InvalidPackageException e) {
    assertEquals(message, e.getMessage());
    assertEquals(rule, e.rule(), message);
  }

  private void assertRejectedOnOpen(RawZip zip, Rule rule, String message) throws IOException {
    assertRejectedOnOpen(write(zip), LIMITS, rule, message);
  }

  private static void assertRejectedOnOpen(Path file, ZipReader.Limits limits, Rule rule, String message) {
    assertRule(rule, message, assertThrows(InvalidPackageException.class, () -> open(file, limits).close()));
  }

  /** The archive opens, and reading the entry fails: through the stream as EntryException, and through verify. */
  private void assertRejectedOnRead(RawZip zip, String name, Rule rule, String message) throws Exception {
    Path file = write(zip);
    try (ZipReader reader = open(file, LIMITS); InputStream in = reader.open(entry(reader, name))) {
      assertRule(rule, message, assertThrows(ZipReader.EntryException.class, in::readAllBytes).unwrap());
    }
    try (ZipReader reader = open(file, LIMITS)) {
      assertRule(rule, message, assertThrows(InvalidPackageException.class, () -> reader.verify(entry(reader, name))));
    }
  }

  private static Entry entry(ZipReader reader, String name) {
    return reader.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  private static byte[] read(ZipReader reader, Entry entry) throws IOException {
    try (InputStream in = reader.open(entry)) {
      return in.readAllBytes();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Archives that read

  @Test
  void storedAndDeflatedEntriesReadBackByteIdentical() throws Exception {
    RawZip zip = new RawZip();
    zip.add("X.nuspec", HELLO);
    zip.add("lib/net8.0/X.pdb", TEXT).deflate();
    Path file = write(zip);
    try (ZipReader reader = open(file, LIMITS)) {
      List<Entry> entries = reader.entries();
      assertEquals(List.of("X.nuspec", "lib/net8.0/X.pdb"), entries.stream().map(Entry::name).toList());
      assertEquals(0, entries.get(0).method());
      assertEquals(8, entries.get(1).method());
      assertEquals(TEXT.length, entries.get(1).size());
      assertTrue(entries.get(1).compressedSize() < TEXT.length);
      assertEquals(crc(TEXT), entries.get(1).crc());
      assertEquals(Optional.of(RAW_ZIP_TIME), entries.get(0).modified());
      assertArrayEquals(HELLO, read(reader, entries.get(0)));
      assertArrayEquals(TEXT, read(reader, entries.get(1)));
      reader.verify(entries.get(1));
    }
    assertArrayEquals(TEXT, readWithJdk(file, "lib/net8.0/X.pdb"));
  }

  /** What java.util.zip reads from the same bytes: the well-formed archives here are RawZip's, not just ours. */
  private static byte[] readWithJdk(Path file, String name) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile()); InputStream in = zip.getInputStream(zip.getEntry(name))) {
      return in.readAllBytes();
    }
  }

  @Test
  void archiveWrittenByJavaUtilZipWithDataDescriptorsReads() throws Exception {
    Path file = dir.resolve("jdk.zip");
    try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry("lib/"));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("lib/X.pdb"));
      zip.write(TEXT);
      zip.closeEntry();
      ZipEntry stored = new ZipEntry("X.nuspec");
      stored.setMethod(ZipEntry.STORED);
      stored.setSize(HELLO.length);
      stored.setCrc(crc(HELLO));
      zip.putNextEntry(stored);
      zip.write(HELLO);
      zip.closeEntry();
    }
    try (ZipReader reader = open(file, LIMITS)) {
      assertEquals(3, reader.entries().size());
      assertTrue(reader.entries().get(0).isDirectory());
      assertArrayEquals(new byte[0], read(reader, reader.entries().get(0)));
      assertArrayEquals(TEXT, read(reader, entry(reader, "lib/X.pdb")));
      assertArrayEquals(HELLO, read(reader, entry(reader, "X.nuspec")));
    }
  }

  @Test
  void zip64ArchiveReads() throws Exception {
    RawZip zip = new RawZip().zip64End();
    zip.add("lib/X.pdb", TEXT).deflate().zip64();
    zip.add("X.nuspec", HELLO).zip64().descriptor(true);
    zip.add("readme.txt", HELLO);
    Path file = write(zip);
    try (ZipReader reader = open(file, LIMITS)) {
      assertEquals(3, reader.entries().size());
      Entry pdb = entry(reader, "lib/X.pdb");
      assertEquals(TEXT.length, pdb.size());
      assertEquals(0, pdb.localHeaderOffset());
      assertArrayEquals(TEXT, read(reader, pdb));
      assertArrayEquals(HELLO, read(reader, entry(reader, "X.nuspec")));
      assertArrayEquals(HELLO, read(reader, entry(reader, "readme.txt")));
    }
    assertArrayEquals(TEXT, readWithJdk(file, "lib/X.pdb"));
    assertArrayEquals(HELLO, readWithJdk(file, "X.nuspec"));
  }

  @ParameterizedTest(name = "signed={0}")
  @ValueSource(booleans = {true, false})
  void dataDescriptorsWithAndWithoutSignatureRead(boolean signed) throws Exception {
    RawZip zip = new RawZip();
    zip.add("a.txt", TEXT).deflate().descriptor(signed);
    zip.add("b.txt", HELLO).descriptor(signed);
    try (ZipReader reader = open(write(zip), LIMITS)) {
      assertArrayEquals(TEXT, read(reader, entry(reader, "a.txt")));
      assertArrayEquals(HELLO, read(reader, entry(reader, "b.txt")));
    }
  }

  @Test
  void emptyArchiveAndArchiveCommentRead() throws Exception {
    try (ZipReader reader = open(write(new RawZip()), LIMITS)) {
      assertEquals(List.of(), reader.entries());
    }
    try (ZipReader reader = open(write(hello(e -> {}).comment("made by hand")), LIMITS)) {
      assertArrayEquals(HELLO, read(reader, entry(reader, "a.txt")));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The end record and the central directory

  @Test
  void emptyAndTooShortFilesAreNotZips() throws Exception {
    assertRejectedOnOpen(write(new byte[0]), LIMITS, Rule.ZIP_STRUCTURE, NOT_A_ZIP + "only 0 bytes)");
    assertRejectedOnOpen(write(new byte[21]), LIMITS, Rule.ZIP_STRUCTURE, NOT_A_ZIP + "only 21 bytes)");
  }

  @Test
  void fileWithoutEndRecordIsNotAZip() throws Exception {
    byte[] noise = new byte[4096];
    new Random(1).nextBytes(noise);
    assertRejectedOnOpen(write(noise), LIMITS, Rule.ZIP_STRUCTURE, NOT_A_ZIP + "no end of central directory record)");
  }

  @Test
  void endRecordMustEndTheFileExactlyAfterItsComment() throws Exception {
    String message = NOT_A_ZIP + "no end of central directory record)";
    assertRejectedOnOpen(hello(e -> {}).comment("short").commentLength(9), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).comment("long comment").commentLength(4), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).append(new byte[] {1, 2, 3}), Rule.ZIP_STRUCTURE, message);
  }

  @Test
  void endRecordMustPointExactlyAtTheCentralDirectory() throws Exception {
    byte[] clean = hello(e -> {}).toBytes();
    long offset = u32(clean, clean.length - 6);
    long size = u32(clean, clean.length - 10);
    String message = NOT_A_ZIP + "the central directory is not where the end record says it is)";
    assertRejectedOnOpen(hello(e -> {}).endCentralDirectory(offset + 1, size), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).endCentralDirectory(offset, size - 1), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).endCentralDirectory(offset, size + 1), Rule.ZIP_STRUCTURE, message);
    // Junk prepended to an archive whose offsets were not shifted, the usual self-extractor mistake.
    assertRejectedOnOpen(hello(e -> {}).prepend(new byte[16]).endCentralDirectory(offset, size), Rule.ZIP_STRUCTURE,
        message);
  }

  @Test
  void entryCountMustMatchTheCentralDirectory() throws Exception {
    assertRejectedOnOpen(hello(e -> {}).endCounts(2, 2), Rule.ZIP_STRUCTURE,
        NOT_A_ZIP + "the central directory is truncated)");
    byte[] clean = hello(e -> {}).toBytes();
    assertRejectedOnOpen(hello(e -> {}).endCounts(0, 0), Rule.ZIP_STRUCTURE,
        NOT_A_ZIP + "the central directory has " + u32(clean, clean.length - 10) + " bytes after its last entry)");
  }

  @Test
  void badCentralSignatureIsCorrupt() throws Exception {
    assertRejectedOnOpen(hello(e -> e.central.signature = 0x02014b51), Rule.ZIP_STRUCTURE,
        NOT_A_ZIP + "the central directory is corrupt)");
  }

  @Test
  void moreEntriesThanAllowedAreRejectedBeforeReadingThem() throws Exception {
    RawZip zip = new RawZip();
    for (int i = 0; i < 3; i++) {
      zip.add("f" + i, HELLO);
    }
    assertRejectedOnOpen(write(zip), new ZipReader.Limits(2, 1 << 20, 1 << 20), Rule.ZIP_BUDGET,
        "The symbol package has 3 entries; at most 2 are allowed");
    try (ZipReader reader = open(write(zip), new ZipReader.Limits(3, 1 << 20, 1 << 20))) {
      assertEquals(3, reader.entries().size());
    }
  }

  @Test
  void multiVolumeArchivesAreRejected() throws Exception {
    String message = NOT_A_ZIP + "multi-volume archives are not supported)";
    assertRejectedOnOpen(hello(e -> {}).endDisks(1, 1), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).endDisks(0, 1), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).endCounts(1, 2), Rule.ZIP_STRUCTURE, message);
    assertRejectedOnOpen(hello(e -> {}).zip64End().endDisks(0, 1), Rule.ZIP_STRUCTURE, message);
  }

  @Test
  void saturatedEndRecordNeedsItsZip64Records() throws Exception {
    assertRejectedOnOpen(new RawZip().endCounts(0xFFFF, 0xFFFF), Rule.ZIP_STRUCTURE,
        NOT_A_ZIP + "the zip64 end of central directory locator is missing)");
    assertRejectedOnOpen(hello(e -> {}).endCounts(0xFFFF, 0xFFFF), Rule.ZIP_STRUCTURE,
        NOT_A_ZIP + "bad zip64 end of central directory locator)");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entries: what the central directory allows

  @ParameterizedTest(name = "flags={0}")
  @ValueSource(ints = {1, 1 << 6, 1 << 13, 1 | 1 << 6})
  void encryptedEntriesAreRejected(int flags) throws Exception {
    assertRejectedOnOpen(hello(e -> e.flags(flags)), Rule.ZIP_ENCRYPTED, "a.txt: the entry is encrypted");
  }

  @ParameterizedTest(name = "method={0}")
  @ValueSource(ints = {1, 9, 12, 14, 93, 95, 99})
  void onlyStoredAndDeflateAreSupported(int method) throws Exception {
    assertRejectedOnOpen(hello(e -> e.method(method)), Rule.ZIP_STRUCTURE,
        "a.txt: compression method " + method + " is not supported (only stored and deflate)");
  }

  @Test
  void storedEntryMustHaveEqualSizes() throws Exception {
    assertRejectedOnOpen(hello(e -> e.sizes(5, 6)), Rule.ZIP_HEADER_MISMATCH,
        "a.txt: stored entry with a compressed size different from its size");
  }

  @Test
  void emptyNameIsRejected() throws Exception {
    RawZip zip = new RawZip();
    zip.add("", HELLO);
    assertRejectedOnOpen(zip, Rule.ZIP_STRUCTURE, NOT_A_ZIP + "an entry has an empty name)");
  }

  @Test
  void nameLongerThan1024BytesIsRejected() throws Exception {
    RawZip longest = new RawZip();
    longest.add("n".repeat(1024), HELLO);
    try (ZipReader reader = open(write(longest), LIMITS)) {
      assertEquals(1024, reader.entries().get(0).name().length());
    }
    RawZip tooLong = new RawZip();
    tooLong.add("n".repeat(1025), HELLO);
    assertRejectedOnOpen(tooLong, Rule.ENTRY_NAME, "An entry name is 1025 bytes long; at most 1024 are allowed");
  }

  @Test
  void nameFlaggedUtf8MustBeUtf8() throws Exception {
    RawZip zip = new RawZip();
    zip.add(new byte[] {'a', (byte) 0xC3, '.', 't', 'x', 't'}, HELLO).flags(1 << 11);
    assertRejectedOnOpen(zip, Rule.ENTRY_NAME, "An entry name is not valid UTF-8");
  }

  @Test
  void nameWithoutUtf8FlagIsReadAsUtf8WhenItIsLikeDotNetDoes() throws Exception {
    RawZip zip = new RawZip();
    zip.add("caf\u00e9.txt".getBytes(java.nio.charset.StandardCharsets.UTF_8), HELLO);
    try (ZipReader reader = open(write(zip), LIMITS)) {
      assertEquals("caf\u00e9.txt", reader.entries().get(0).name());
    }
  }

  @Test
  void nameWithoutUtf8FlagThatIsNotUtf8IsCp437() throws Exception {
    RawZip zip = new RawZip();
    zip.add(new byte[] {'c', 'a', 'f', (byte) 0x82, '.', 't', 'x', 't'}, HELLO);
    zip.add("caf\u00e9.md", HELLO).flags(1 << 11);
    try (ZipReader reader = open(write(zip), LIMITS)) {
      assertEquals(List.of("caf\u00e9.txt", "caf\u00e9.md"), reader.entries().stream().map(Entry::name).toList());
    }
  }

  @Test
  void malformedExtraFieldIsRejected() throws Exception {
    // Declares 10 bytes of body, has 2.
    byte[] extra = {(byte) 0xFE, (byte) 0xCA, 10, 0, 1, 2};
    assertRejectedOnOpen(hello(e -> e.central.extra = extra), Rule.ZIP_STRUCTURE, "a.txt: malformed extra field");
  }

  @Test
  void saturatedSizesNeedAZip64ExtraField() throws Exception {
    assertRejectedOnOpen(hello(e -> e.sizes(0xFFFFFFFFL, 0xFFFFFFFFL)), Rule.ZIP_STRUCTURE,
        "a.txt: zip64 sizes are missing");
    // Present but too short for the compressed size, which follows the size.
    byte[] sizeOnly = RawZip.extraField(1, new byte[8]);
    assertRejectedOnOpen(hello(e -> e.sizes(0xFFFFFFFFL, 0xFFFFFFFFL).central.extra = sizeOnly), Rule.ZIP_STRUCTURE,
        "a.txt: zip64 sizes are missing");
    assertRejectedOnOpen(hello(e -> e.zip64().sizes(-1, -1)), Rule.ZIP_STRUCTURE, "a.txt: zip64 size out of range");
  }

  @ParameterizedTest(name = "time={0} date={1}")
  @MethodSource("impossibleDosTimes")
  void impossibleDosTimeIsUnknown(int time, int date) throws Exception {
    try (ZipReader reader = open(write(hello(e -> e.dosTime(time, date))), LIMITS)) {
      assertEquals(Optional.empty(), reader.entries().get(0).modified());
    }
  }

  static Stream<Arguments> impossibleDosTimes() {
    return Stream.of(
        Arguments.of(0, 0), // month 0, day 0: what many tools write for "no time"
        Arguments.of(RawZip.TIME, (44 << 9) | (13 << 5) | 1), // month 13
        Arguments.of(RawZip.TIME, (44 << 9) | (2 << 5) | 30), // 30 February
        Arguments.of(25 << 11, RawZip.DATE), // hour 25
        Arguments.of(60 << 5, RawZip.DATE)); // minute 60
  }

  @Test
  void extendedTimestampOverridesDosTime() throws Exception {
    byte[] mtime = {1, 0x00, (byte) 0xF1, 0x53, 0x65}; // flags: mtime present; 0x6553F100 = 1700000000
    byte[] atimeOnly = {2, 0x00, (byte) 0xF1, 0x53, 0x65};
    RawZip zip = new RawZip();
    zip.add("a.txt", HELLO).extra(RawZip.extraField(0x5455, mtime));
    zip.add("b.txt", HELLO).extra(RawZip.extraField(0x5455, atimeOnly));
    try (ZipReader reader = open(write(zip), LIMITS)) {
      assertEquals(Optional.of(Instant.ofEpochSecond(1_700_000_000L)), reader.entries().get(0).modified());
      assertEquals(Optional.of(RAW_ZIP_TIME), reader.entries().get(1).modified());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Local headers

  @Test
  void localHeaderMustBeWhereTheCentralRecordPoints() throws Exception {
    assertRejectedOnOpen(hello(e -> e.local.signature = 0x04034b51), Rule.ZIP_STRUCTURE,
        "a.txt: no local header where the central directory points");
    assertRejectedOnOpen(hello(e -> e.localHeaderOffset(1_000_000)), Rule.ZIP_STRUCTURE,
        "a.txt: its local header is out of bounds");
    RawZip intoAnother = new RawZip();
    intoAnother.add("a.txt", TEXT);
    intoAnother.add("b.txt", HELLO).localHeaderOffset(40);
    assertRejectedOnOpen(intoAnother, Rule.ZIP_STRUCTURE, "b.txt: no local header where the central directory points");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("localHeaderLies")
  void localHeaderMustAgreeWithCentralRecord(String what, Consumer<RawZip.Entry> lie) throws Exception {
    assertRejectedOnOpen(hello(lie), Rule.ZIP_HEADER_MISMATCH,
        "a.txt: the local header and the central directory disagree (" + what + ")");
  }

  static Stream<Arguments> localHeaderLies() {
    return Stream.of(
        lie("flags, method or name", e -> e.local.flags = 1 << 1),
        lie("flags, method or name", e -> e.local.flags = 1 << 11),
        lie("flags, method or name", e -> e.local.method = 8),
        lie("flags, method or name", e -> e.local.name = "b.txt".getBytes(StandardCharsets.US_ASCII)),
        lie("flags, method or name", e -> e.local.name = "a.txt\u0000".getBytes(StandardCharsets.US_ASCII)),
        lie("modification time", e -> e.local.time = RawZip.TIME + 1),
        lie("modification time", e -> e.local.date = RawZip.DATE + 1),
        lie("CRC or sizes", e -> e.local.crc = crc(HELLO) ^ 1),
        lie("CRC or sizes", e -> e.local.csize = 6L),
        lie("CRC or sizes", e -> e.local.usize = 6L),
        // Central record without the descriptor flag, local header with it: still a flags mismatch.
        lie("flags, method or name", e -> e.descriptor(true).central.flags = 0));
  }

  private static Arguments lie(String what, Consumer<RawZip.Entry> change) {
    return Arguments.of(what, change);
  }

  @ParameterizedTest(name = "signed={0}")
  @ValueSource(booleans = {true, false})
  void dataDescriptorMustAgreeWithCentralRecord(boolean signed) throws Exception {
    String message = "a.txt: the local header and the central directory disagree (data descriptor)";
    long crc = crc(HELLO);
    assertRejectedOnOpen(hello(e -> e.descriptor(signed, crc ^ 1, 5, 5)), Rule.ZIP_HEADER_MISMATCH, message);
    assertRejectedOnOpen(hello(e -> e.descriptor(signed, crc, 5, 6)), Rule.ZIP_HEADER_MISMATCH, message);
    assertRejectedOnOpen(hello(e -> e.descriptor(signed).central.crc = crc ^ 1), Rule.ZIP_HEADER_MISMATCH, message);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Overlap

  @Test
  void twoCentralRecordsForOneLocalHeaderOverlap() throws Exception {
    // The "better zip bomb": many central records, one local header and one copy of the data.
    RawZip zip = new RawZip();
    zip.add("a.dll", TEXT).deflate();
    zip.add("a.dll", TEXT).deflate().centralOnly().localHeaderOffset(0);
    assertRejectedOnOpen(zip, Rule.ZIP_STRUCTURE, "a.dll: the entry's data overlaps another entry or the central "
        + "directory");
  }

  @Test
  void localHeaderQuotedInsideAnotherEntrysDataOverlaps() throws Exception {
    // b.txt's complete local header and data, stored as the content of a.bin: one set of bytes, two entries.
    RawZip inner = new RawZip();
    inner.add("b.txt", HELLO);
    byte[] quoted = Arrays.copyOf(inner.toBytes(), 30 + 5 + HELLO.length);
    RawZip zip = new RawZip();
    zip.add("a.bin", quoted);
    zip.add("b.txt", HELLO).centralOnly().localHeaderOffset(30 + "a.bin".length());
    assertRejectedOnOpen(zip, Rule.ZIP_STRUCTURE, "a.bin: the entry's data overlaps another entry or the central "
        + "directory");
  }

  @Test
  void dataRunningIntoTheNextEntryOrTheCentralDirectoryOverlaps() throws Exception {
    RawZip intoNext = new RawZip();
    intoNext.add("a.txt", HELLO).sizes(HELLO.length + 8, HELLO.length + 8);
    intoNext.add("b.txt", HELLO);
    assertRejectedOnOpen(intoNext, Rule.ZIP_STRUCTURE, "a.txt: the entry's data overlaps another entry or the "
        + "central directory");
    RawZip intoDirectory = new RawZip();
    intoDirectory.add("a.txt", HELLO);
    intoDirectory.add("b.txt", HELLO).sizes(HELLO.length + 8, HELLO.length + 8);
    assertRejectedOnOpen(intoDirectory, Rule.ZIP_STRUCTURE, "b.txt: the entry's data overlaps another entry or the "
        + "central directory");
  }

  @Test
  void dataRunningPastTheEndOfTheFileIsRejected() throws Exception {
    byte[] clean = hello(e -> {}).toBytes();
    assertRejectedOnOpen(hello(e -> e.sizes(clean.length, clean.length)), Rule.ZIP_STRUCTURE,
        "a.txt: its data runs past the end of the archive");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Budgets

  @Test
  void declaredSizeOverTheEntryLimitIsRejectedBeforeInflating() throws Exception {
    // The payload is not deflate at all: reaching the inflater would report corruption, not the budget.
    byte[] garbage = new byte[64];
    Arrays.fill(garbage, (byte) 0xFF);
    RawZip zip = new RawZip();
    zip.add("big.bin", new byte[0]).method(RawZip.DEFLATED).payload(garbage).sizes(garbage.length, (1 << 20) + 1);
    assertRejectedOnOpen(zip, Rule.ZIP_BUDGET, "big.bin: inflates to more than 1 MiB, the limit for one entry");
  }

  @Test
  void sizeLieIsCaughtWhileInflatingWithoutInflatingItAll() throws Exception {
    byte[] bomb = deflatedZeros(64 << 20);
    RawZip zip = new RawZip();
    zip.add("bomb.bin", new byte[0]).method(RawZip.DEFLATED).payload(bomb).sizes(bomb.length, 4096);
    Path file = write(zip);
    long before = allocatedBytes();
    InvalidPackageException e = assertTimeout(Duration.ofSeconds(1), () -> {
      try (ZipReader reader = open(file, LIMITS)) {
        return assertThrows(InvalidPackageException.class, () -> reader.verify(reader.entries().get(0)));
      }
    });
    long allocated = allocatedBytes() - before;
    assertRule(Rule.ZIP_HEADER_MISMATCH, "bomb.bin: inflates to more than the 4096 bytes its headers declare", e);
    assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes to reject a 64 MiB bomb");
  }

  @Test
  void entryInflatingToLessThanDeclaredIsRejected() throws Exception {
    byte[] deflated = RawZip.deflate(TEXT);
    RawZip zip = new RawZip();
    zip.add("a.txt", TEXT).deflate().sizes(deflated.length, TEXT.length + 1);
    assertRejectedOnRead(zip, "a.txt", Rule.ZIP_HEADER_MISMATCH,
        "a.txt: inflates to " + TEXT.length + " bytes but its headers declare " + (TEXT.length + 1));
  }

  @Test
  void totalBudgetSpansEntries() throws Exception {
    RawZip zip = new RawZip();
    for (String name : List.of("a.bin", "b.bin", "c.bin")) {
      zip.add(name, new byte[1000]).deflate();
    }
    try (ZipReader reader = open(write(zip), new ZipReader.Limits(10, 1000, 2500))) {
      reader.verify(reader.entries().get(0));
      reader.verify(reader.entries().get(1));
      InvalidPackageException e = assertThrows(InvalidPackageException.class,
          () -> reader.verify(reader.entries().get(2)));
      assertRule(Rule.ZIP_BUDGET, "c.bin: the archive inflates to more than 2500 bytes in all, the limit", e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry data

  @Test
  void crcMismatchIsCorruption() throws Exception {
    String message = "a.txt: CRC-32 mismatch, the entry is corrupt";
    assertRejectedOnRead(hello(e -> e.crc(crc(HELLO) ^ 1)), "a.txt", Rule.ZIP_CORRUPT, message);
    RawZip deflated = new RawZip();
    deflated.add("a.txt", TEXT).deflate().crc(crc(TEXT) ^ 0x80000000L);
    assertRejectedOnRead(deflated, "a.txt", Rule.ZIP_CORRUPT, message);
  }

  @Test
  void corruptDeflateDataIsRejected() throws Exception {
    RawZip zip = new RawZip();
    // 0xFF opens a final block of the reserved type 3.
    zip.add("a.txt", TEXT).method(RawZip.DEFLATED).payload(new byte[] {(byte) 0xFF, 1, 2, 3});
    assertRejectedOnRead(zip, "a.txt", Rule.ZIP_CORRUPT, "a.txt: the compressed data is corrupt");
  }

  @Test
  void trailingBytesAfterTheDeflateStreamAreRejected() throws Exception {
    byte[] deflated = RawZip.deflate(TEXT);
    byte[] padded = Arrays.copyOf(deflated, deflated.length + 3);
    RawZip zip = new RawZip();
    zip.add("a.txt", TEXT).method(RawZip.DEFLATED).payload(padded);
    assertRejectedOnRead(zip, "a.txt", Rule.ZIP_HEADER_MISMATCH,
        "a.txt: the compressed data does not end where its headers say it does");
  }

  @Test
  void truncatedDeflateStreamIsRejected() throws Exception {
    byte[] deflated = RawZip.deflate(TEXT);
    RawZip zip = new RawZip();
    zip.add("a.txt", TEXT).method(RawZip.DEFLATED).payload(Arrays.copyOf(deflated, deflated.length / 2));
    assertRejectedOnRead(zip, "a.txt", Rule.ZIP_CORRUPT, "a.txt: the compressed data is truncated");
  }

  /**
   * Every single-byte change and every truncation of two small archives (one classic, one ZIP64 with descriptors)
   * either reads or fails as an InvalidPackageException: never a RuntimeException, never a plain IOException.
   */
  @Test
  void damagedArchivesFailOnlyAsInvalidPackages() throws Exception {
    byte[] text = "hello, hello, hello".getBytes(StandardCharsets.US_ASCII);
    RawZip classic = new RawZip().comment("c");
    classic.add("a.txt", HELLO).descriptor(true);
    classic.add("b.txt", text).deflate();
    RawZip zip64 = new RawZip().zip64End();
    zip64.add("a.txt", HELLO).zip64();
    zip64.add("b.txt", text).deflate().zip64().descriptor(false);
    for (byte[] good : List.of(classic.toBytes(), zip64.toBytes())) {
      Path file = write(good);
      // One byte rewritten in place, and truncation by shrinking: rewriting whole files would be ten times slower.
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        for (int i = 0; i < good.length; i++) {
          for (int value : new int[] {0x00, 0xFF, 0x7F, 0x80, good[i] ^ 0x01}) {
            channel.write(ByteBuffer.wrap(new byte[] {(byte) value}), i);
            readAll(file, "byte " + i + " set to " + value);
          }
          channel.write(ByteBuffer.wrap(good, i, 1), i);
        }
        for (int length = good.length - 1; length >= 0; length--) {
          channel.truncate(length);
          readAll(file, "truncated to " + length + " bytes");
        }
      }
    }
  }

  private static void readAll(Path file, String damage) {
    try (ZipReader reader = open(file, LIMITS)) {
      for (Entry e : reader.entries()) {
        reader.verify(e);
      }
    } catch (InvalidPackageException expected) {
      // the outcome for most damage; reading is fine too, as long as nothing else is thrown
    } catch (Exception | Error e) {
      fail(damage + ": " + e, e);
    }
  }

  private static byte[] deflatedZeros(long size) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    byte[] zeros = new byte[64 * 1024];
    byte[] buf = new byte[64 * 1024];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long left = size; left > 0; left -= zeros.length) {
      deflater.setInput(zeros);
      while (!deflater.needsInput()) {
        out.write(buf, 0, deflater.deflate(buf));
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      out.write(buf, 0, deflater.deflate(buf));
    }
    deflater.end();
    return out.toByteArray();
  }

  /** This thread's allocations so far, or 0 where the JVM does not count them (then the check is vacuous). */
  private static long allocatedBytes() {
    return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        ? bean.getThreadAllocatedBytes(Thread.currentThread().getId()) : 0;
  }
}
