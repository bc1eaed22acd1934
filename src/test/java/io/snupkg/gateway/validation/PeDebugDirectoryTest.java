package io.snupkg.gateway.validation;

import static io.snupkg.gateway.testing.PortableExecutable.embeddedPdb;
import static io.snupkg.gateway.testing.PortableExecutable.pdbChecksum;
import static io.snupkg.gateway.testing.PortableExecutable.portableCodeView;
import static io.snupkg.gateway.testing.PortableExecutable.reproducible;
import static io.snupkg.gateway.testing.PortableExecutable.windowsCodeView;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.PortableExecutable;
import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.validation.PeDebugDirectory.CodeView;
import io.snupkg.gateway.validation.PeDebugDirectory.PdbChecksum;
import io.snupkg.gateway.validation.PeDebugDirectory.PeFormatException;
import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PeDebugDirectoryTest {
  /** The portable CodeView entry of the spec's System.Threading.Thread.dll (§5.4). */
  private static final UUID THREAD_GUID = UUID.fromString("a43b3872-6e6a-4b3c-b169-1f35f0d6cc48");
  private static final int THREAD_STAMP = 0x5CB7AC29;
  private static final UUID GUID = UUID.fromString("497b72f6-390a-44fc-878e-5a2d63b6cc4b");
  private static final byte[] SHA256 = new byte[32];

  static {
    new Random(1).nextBytes(SHA256);
  }

  @TempDir
  Path dir;

  private PeDebugDirectory read(byte[] image) throws IOException, PeFormatException {
    Path file = Files.write(dir.resolve("X.dll"), image);
    return PeDebugDirectory.read(file);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void roundTrip(boolean pe32Plus) throws Exception {
    byte[] hash384 = new byte[48];
    new Random(2).nextBytes(hash384);
    PeDebugDirectory d = read(PortableExecutable.write(pe32Plus, List.of(reproducible(),
        portableCodeView(GUID, 0x12345678, "/_/src/X/obj/Release/net8.0/X.pdb"),
        pdbChecksum("SHA256", SHA256), pdbChecksum("SHA384", hash384),
        embeddedPdb(PortablePdb.write(GUID, 0x12345678)))));

    assertEquals(List.of(new CodeView("497b72f6390a44fc878e5a2d63b6cc4b", 1,
        "/_/src/X/obj/Release/net8.0/X.pdb", 0x12345678L, 0x0100, 0x504D)), d.codeViews());
    assertEquals(d.codeViews().get(0), d.portableCodeView().orElseThrow());
    assertEquals(List.of("SHA256", "SHA384"), d.checksums().stream().map(PdbChecksum::algorithm)
        .toList());
    assertArrayEquals(SHA256, d.checksums().get(0).hash());
    assertArrayEquals(hash384, d.checksums().get(1).hash());
    assertTrue(d.hasEmbeddedPdb());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void withoutDebugDirectoryEverythingIsEmpty(boolean pe32Plus) throws Exception {
    PeDebugDirectory d = read(PortableExecutable.write(pe32Plus, List.of()));

    assertEquals(List.of(), d.codeViews());
    assertTrue(d.portableCodeView().isEmpty());
    assertEquals(List.of(), d.checksums());
    assertFalse(d.hasEmbeddedPdb());
  }

  /** As in System.Threading.Thread.dll (spec §5.4): a Windows entry for the NGen PDB comes first. */
  @Test
  void theFirstPortableCodeViewIsChosenAfterAWindowsOne() throws Exception {
    PeDebugDirectory d = read(PortableExecutable.pe32Plus(
        windowsCodeView(UUID.randomUUID(), 1, 0x5CB7AC2A, "System.Threading.Thread.ni.pdb"),
        portableCodeView(THREAD_GUID, THREAD_STAMP, "System.Threading.Thread.pdb"),
        portableCodeView(UUID.randomUUID(), 7, "Other.pdb"), reproducible()));

    assertEquals(3, d.codeViews().size());
    assertFalse(d.codeViews().get(0).portable());
    assertEquals(0, d.codeViews().get(0).minorVersion());
    CodeView portable = d.portableCodeView().orElseThrow();
    assertEquals("a43b38726e6a4b3cb1691f35f0d6cc48", portable.guid());
    assertEquals(0x5CB7AC29L, portable.stamp());
    assertEquals(1, portable.age());
    assertEquals("System.Threading.Thread.pdb", portable.path());
    assertFalse(d.hasEmbeddedPdb());
  }

  @Test
  void aDllWithOnlyAWindowsCodeViewHasNoPortableOne() throws Exception {
    PeDebugDirectory d = read(PortableExecutable.pe32(windowsCodeView(GUID, 3, 9, "C:\\build\\X.pdb")));

    assertEquals(3, d.codeViews().get(0).age());
    assertEquals("C:\\build\\X.pdb", d.codeViews().get(0).path());
    assertTrue(d.portableCodeView().isEmpty());
  }

  /**
   * The PE reader and the PDB reader print the same GUID for the same bytes, and a CodeView entry matches the PDB
   * whose id is its GUID and stamp: both readers agree on the .NET GUID layout (Data1-3 little-endian).
   */
  @Test
  void codeViewGuidAgreesWithPortablePdbReader() throws Exception {
    Random random = new Random(3);
    List<UUID> guids = new ArrayList<>(List.of(GUID, THREAD_GUID, new UUID(-1L, -1L), new UUID(0L, 1L)));
    for (int i = 0; i < 20; i++) {
      guids.add(new UUID(random.nextLong(), random.nextLong()));
    }
    for (UUID guid : guids) {
      int stamp = random.nextInt();
      byte[] pdb = PortablePdb.write(guid, stamp);
      PdbId id = PortablePdbReader.read(new ByteArrayInputStream(pdb), "X.pdb", pdb.length);
      CodeView cv = read(PortableExecutable.pe32(portableCodeView(guid, stamp, "X.pdb")))
          .portableCodeView().orElseThrow();

      assertEquals(guid.toString().replace("-", ""), cv.guid(), guid.toString());
      assertEquals(id.guid(), cv.guid(), guid.toString());
      assertEquals(id.stamp(), cv.stamp(), guid.toString());
      assertTrue(cv.matches(id), guid.toString());
      assertFalse(cv.matches(new PdbId(id.guid(), (id.stamp() + 1) & 0xFFFFFFFFL, id.idOffset())));
    }
  }

  @Test
  void checksumsKeepEveryEntryAndUnknownAlgorithms() throws Exception {
    PeDebugDirectory d = read(PortableExecutable.pe32Plus(pdbChecksum("SHA512", new byte[64]),
        pdbChecksum("SHA256", SHA256), pdbChecksum("MD5", new byte[] {1, 2, 3})));

    assertEquals(List.of("SHA512", "SHA256", "MD5"), d.checksums().stream()
        .map(PdbChecksum::algorithm).toList());
    assertArrayEquals(new byte[64], d.checksums().get(0).hash());
    assertArrayEquals(SHA256, d.checksums().get(1).hash());
    assertArrayEquals(new byte[] {1, 2, 3}, d.checksums().get(2).hash());
    assertTrue(d.codeViews().isEmpty());
  }

  /** The channel form reads at absolute offsets, wherever the caller left the position, and leaves it open. */
  @Test
  void readsAChannelFromAnyPosition() throws Exception {
    Path file = Files.write(dir.resolve("X.dll"), PortableExecutable.pe32(portableCodeView(GUID, 5, "X.pdb")));
    try (var channel = Files.newByteChannel(file)) {
      channel.position(100);
      assertEquals("X.pdb", PeDebugDirectory.read(channel).portableCodeView().orElseThrow().path());
      assertTrue(channel.isOpen());
    }
  }

  /** A DLL's fields, then each hostile change to them with the words its reason must contain. */
  static Stream<Arguments> hostile() {
    return Stream.of(false, true).flatMap(pe32Plus -> {
      int dataDirectory = PortableExecutable.debugDataDirectory(pe32Plus);
      int section = PortableExecutable.sectionHeader(pe32Plus);
      int codeView = PortableExecutable.entry(0);
      int checksum = PortableExecutable.entry(1);
      return Stream.of(
          hostile(pe32Plus, "no MZ", b -> b.putShort(0, (short) 0x4D5A), "MZ"),
          hostile(pe32Plus, "e_lfanew past the end", b -> b.putInt(0x3C, 0xFFFFFFF0), "truncated"),
          hostile(pe32Plus, "e_lfanew into the DOS header", b -> b.putInt(0x3C, 4), "e_lfanew"),
          hostile(pe32Plus, "no PE signature", b -> b.put(PortableExecutable.PE_OFFSET + 1, (byte) 'X'), "PE"),
          hostile(pe32Plus, "bad magic", b -> b.putShort(PortableExecutable.OPTIONAL_HEADER, (short) 0x107),
              "magic"),
          hostile(pe32Plus, "tiny optional header", b -> b.putShort(PortableExecutable.PE_OFFSET + 20, (short) 60),
              "optional header"),
          hostile(pe32Plus, "optional header without entry 6", b -> b.putShort(PortableExecutable.PE_OFFSET + 20,
              (short) (dataDirectory - PortableExecutable.OPTIONAL_HEADER + 4)), "no debug directory"),
          hostile(pe32Plus, "section table past the end", b -> b.putShort(PortableExecutable.PE_OFFSET + 6,
              (short) 0xFFFF), "section table"),
          hostile(pe32Plus, "debug RVA in no section", b -> b.putInt(dataDirectory, 0x90000), "no section"),
          hostile(pe32Plus, "debug RVA below every section", b -> b.putInt(dataDirectory, 0x100), "no section"),
          hostile(pe32Plus, "debug size not whole entries", b -> b.putInt(dataDirectory + 4, 30), "debug directory"),
          hostile(pe32Plus, "absurd entry count", b -> b.putInt(dataDirectory + 4, 28 * 100_000_000),
              "debug directory"),
          hostile(pe32Plus, "directory past its section", b -> b.putInt(dataDirectory + 4, 28 * 200), "past its"),
          hostile(pe32Plus, "section raw data past the end", b -> b.putInt(section + 20, 0x7FFFFF00), "truncated"),
          hostile(pe32Plus, "characteristics set", b -> b.putInt(codeView, 1), "Characteristics"),
          hostile(pe32Plus, "SizeOfData past the end", b -> b.putInt(codeView + 16, 0x7FFFFFFF), "past the end"),
          hostile(pe32Plus, "PointerToRawData past the end", b -> b.putInt(checksum + 24, 0xFFFFFFF0),
              "past the end"),
          hostile(pe32Plus, "CodeView too short", b -> b.putInt(codeView + 16, 20), "RSDS"),
          hostile(pe32Plus, "CodeView not RSDS", b -> b.put(b.getInt(codeView + 24), (byte) 'N'), "RSDS"),
          hostile(pe32Plus, "path without a NUL", b -> b.putInt(codeView + 16, b.getInt(codeView + 16) - 1), "NUL"),
          hostile(pe32Plus, "path not UTF-8", b -> b.put(b.getInt(codeView + 24) + 24, (byte) 0xC3), "UTF-8"),
          hostile(pe32Plus, "checksum without a NUL", b -> b.putInt(checksum + 16, 6), "NUL"),
          hostile(pe32Plus, "checksum without a hash", b -> b.putInt(checksum + 16, 7), "without"),
          hostile(pe32Plus, "checksum without a name", b -> b.put(b.getInt(checksum + 24), (byte) 0), "without"));
    });
  }

  private static Arguments hostile(boolean pe32Plus, String name, Consumer<ByteBuffer> change, String reason) {
    ByteBuffer image = ByteBuffer.wrap(valid(pe32Plus)).order(ByteOrder.LITTLE_ENDIAN);
    change.accept(image);
    return Arguments.of((pe32Plus ? "PE32+: " : "PE32: ") + name, image.array(), reason);
  }

  /** A portable CodeView entry (entry 0) and a SHA256 checksum (entry 1). */
  private static byte[] valid(boolean pe32Plus) {
    return PortableExecutable.write(pe32Plus, List.of(portableCodeView(GUID, 1, "X.pdb"),
        pdbChecksum("SHA256", SHA256)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void hostile(String name, byte[] image, String reason) {
    PeFormatException e = assertThrows(PeFormatException.class, () -> read(image), name);
    assertTrue(e.getMessage().contains(reason), name + ": " + e.getMessage());
  }

  /** Cut anywhere before the end of the last entry's data, the file is truncated; after it, it still reads. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void everyTruncationIsAFormatError(boolean pe32Plus) throws Exception {
    byte[] image = valid(pe32Plus);
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    int end = b.getInt(PortableExecutable.entry(1) + 24) + b.getInt(PortableExecutable.entry(1) + 16);
    for (int length = 0; length < image.length; length++) {
      byte[] cut = java.util.Arrays.copyOf(image, length);
      if (length < end) {
        assertThrows(PeFormatException.class, () -> read(cut), "cut at " + length);
      } else {
        assertEquals(1, read(cut).checksums().size(), "cut at " + length);
      }
    }
  }

  /** Random bytes changed in a valid DLL give a reader result or a PeFormatException, never anything else. */
  @Test
  void randomDamageNeverEscapesAsRuntimeException() throws Exception {
    Random random = new Random(4);
    int failures = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] image = valid(random.nextBoolean());
      for (int n = 1 + random.nextInt(4); n > 0; n--) {
        // Mostly the headers and the directory, where a change matters.
        int at = random.nextInt(4) == 0 ? random.nextInt(image.length) : random.nextInt(PortableExecutable.entry(2)
            + 64);
        image[at] = (byte) random.nextInt(256);
      }
      try {
        read(image);
      } catch (PeFormatException e) {
        failures++;
      }
    }
    assertTrue(failures > 100, "the damage was caught " + failures + " times");
  }
}
