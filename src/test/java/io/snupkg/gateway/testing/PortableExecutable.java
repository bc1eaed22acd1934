package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.zip.Deflater;

/**
 * Writes a minimal but structurally valid PE image (a DLL as far as its headers go) with a debug directory the test
 * chooses: DOS header with {@code e_lfanew}, {@code PE\0\0}, COFF header, a PE32 or PE32+ optional header with 16
 * data directories, and one {@code .text} section whose raw data holds the debug directory and its entries' data.
 * It exists because tests need DLLs whose debug directory they control (a Windows CodeView entry before the
 * portable one, several checksums, broken fields), and compiling C# is not available in the Java test run.
 *
 * <p>The layout is fixed, so a test can corrupt a field at a known offset: see the constants and
 * {@link #debugDataDirectory(boolean)}, {@link #sectionHeader(boolean)} and {@link #entry(int)}.
 */
public final class PortableExecutable {
  /** A debug directory entry: the header fields that vary, and the data the entry points to. */
  public record Entry(int type, int stamp, int majorVersion, int minorVersion, byte[] data) {}

  /** Type 2: {@code RSDS}, the GUID in .NET layout, age, NUL-terminated UTF-8 path. */
  public static Entry codeView(UUID guid, int age, String path, int stamp, int majorVersion, int minorVersion) {
    byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
    byte[] data = le(24 + utf8.length + 1).putInt(0x53445352).put(PortablePdb.guidBytes(guid)).putInt(age)
        .put(utf8).array();
    return new Entry(2, stamp, majorVersion, minorVersion, data);
  }

  /** As csc writes it for a portable PDB: version 1.0 ({@code 0x0100}), MinorVersion {@code 0x504D}, age 1. */
  public static Entry portableCodeView(UUID guid, int stamp, String path) {
    return codeView(guid, 1, path, stamp, 0x0100, 0x504D);
  }

  /** As a linker writes it for a Windows PDB: versions 0. */
  public static Entry windowsCodeView(UUID guid, int age, int stamp, String path) {
    return codeView(guid, age, path, stamp, 0, 0);
  }

  /** Type 19, version 1.0: the algorithm name, NUL, the hash. */
  public static Entry pdbChecksum(String algorithm, byte[] hash) {
    byte[] name = algorithm.getBytes(StandardCharsets.UTF_8);
    return new Entry(19, 0, 1, 0, le(name.length + 1 + hash.length).put(name).put((byte) 0).put(hash).array());
  }

  /** Type 17, version 1.1: {@code MPDB}, the PDB's size, the PDB deflated (raw deflate), as csc embeds it. */
  public static Entry embeddedPdb(byte[] pdb) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    deflater.setInput(pdb);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(le(8).putInt(0x4244504D).putInt(pdb.length).array());
    byte[] chunk = new byte[4096];
    while (!deflater.finished()) {
      out.write(chunk, 0, deflater.deflate(chunk));
    }
    deflater.end();
    return new Entry(17, 0, 0x0100, 0x0100, out.toByteArray());
  }

  /** Type 16: the deterministic-build marker, no data. */
  public static Entry reproducible() {
    return new Entry(16, 0, 0, 0, new byte[0]);
  }

  /** The value of {@code e_lfanew}: the PE signature follows a 64-byte DOS header and a zeroed stub. */
  public static final int PE_OFFSET = 0x80;
  public static final int OPTIONAL_HEADER = PE_OFFSET + 4 + 20;
  /** Where the section's raw data, and so the debug directory, starts in the file. */
  public static final int TEXT_RAW = 0x200;
  /** The section's RVA. */
  public static final int TEXT_RVA = 0x2000;
  public static final int ENTRY_SIZE = 28;

  private PortableExecutable() {}

  public static byte[] pe32(Entry... entries) {
    return write(false, List.of(entries));
  }

  public static byte[] pe32Plus(Entry... entries) {
    return write(true, List.of(entries));
  }

  /** The file offset of data directory 6 (debug): RVA u32, then Size u32. */
  public static int debugDataDirectory(boolean pe32Plus) {
    return OPTIONAL_HEADER + (pe32Plus ? 112 : 96) + 6 * 8;
  }

  /** The file offset of the {@code .text} section header. */
  public static int sectionHeader(boolean pe32Plus) {
    return OPTIONAL_HEADER + optionalHeaderSize(pe32Plus);
  }

  /** The file offset of debug directory entry {@code index}. */
  public static int entry(int index) {
    return TEXT_RAW + index * ENTRY_SIZE;
  }

  /** With no entries, the debug data directory is empty (RVA 0, size 0), as in a DLL built without symbols. */
  public static byte[] write(boolean pe32Plus, List<Entry> entries) {
    int directorySize = entries.size() * ENTRY_SIZE;
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteBuffer directory = le(directorySize);
    int dataOffset = directorySize;
    byte[][] data = new byte[entries.size()][];
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      data[i] = e.data();
      boolean none = data[i].length == 0;
      directory.putInt(0).putInt(e.stamp()).putShort((short) e.majorVersion()).putShort((short) e.minorVersion())
          .putInt(e.type()).putInt(data[i].length).putInt(none ? 0 : TEXT_RVA + dataOffset)
          .putInt(none ? 0 : TEXT_RAW + dataOffset);
      dataOffset = align(dataOffset + data[i].length, 4);
    }
    text.writeBytes(directory.array());
    for (byte[] d : data) {
      text.writeBytes(d);
      text.writeBytes(new byte[align(d.length, 4) - d.length]);
    }
    text.writeBytes(new byte[4]); // a body of code, so that the section is never empty
    int virtualSize = text.size();
    int rawSize = align(virtualSize, 0x200);

    int optionalSize = optionalHeaderSize(pe32Plus);
    ByteBuffer file = le(TEXT_RAW + rawSize);
    file.putShort(0, (short) 0x5A4D).putInt(0x3C, PE_OFFSET);
    file.position(PE_OFFSET);
    file.putInt(0x00004550); // PE\0\0
    // COFF: Machine, NumberOfSections, TimeDateStamp, symbol table (none), SizeOfOptionalHeader, Characteristics
    file.putShort((short) (pe32Plus ? 0x8664 : 0x14C)).putShort((short) 1).putInt(0x5CB7AC29).putInt(0).putInt(0)
        .putShort((short) optionalSize).putShort((short) (pe32Plus ? 0x2022 : 0x2102));
    // Optional header, standard fields: Magic, linker 8.0, code sizes, entry point, BaseOfCode (and BaseOfData)
    file.putShort((short) (pe32Plus ? 0x20B : 0x10B)).put((byte) 8).put((byte) 0).putInt(rawSize).putInt(0)
        .putInt(0).putInt(0).putInt(TEXT_RVA);
    if (pe32Plus) {
      file.putLong(0x180000000L);
    } else {
      file.putInt(0).putInt(0x10000000);
    }
    int sizeOfImage = TEXT_RVA + align(virtualSize, 0x2000);
    // SectionAlignment, FileAlignment, OS 4.0, image 0.0, subsystem 4.0, Win32VersionValue, SizeOfImage,
    // SizeOfHeaders, CheckSum, Subsystem (console), DllCharacteristics
    file.putInt(0x2000).putInt(0x200).putShort((short) 4).putShort((short) 0).putInt(0).putShort((short) 4)
        .putShort((short) 0).putInt(0).putInt(sizeOfImage).putInt(TEXT_RAW).putInt(0).putShort((short) 3)
        .putShort((short) 0x8540);
    for (int i = 0; i < 4; i++) { // stack and heap, reserve and commit
      if (pe32Plus) {
        file.putLong(0x100000);
      } else {
        file.putInt(0x100000);
      }
    }
    file.putInt(0).putInt(16); // LoaderFlags, NumberOfRvaAndSizes
    for (int i = 0; i < 16; i++) {
      boolean debug = i == 6 && directorySize > 0;
      file.putInt(debug ? TEXT_RVA : 0).putInt(debug ? directorySize : 0);
    }
    if (file.position() != sectionHeader(pe32Plus)) {
      throw new IllegalStateException("optional header ends at " + file.position());
    }
    // .text: Name, VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData, no relocations or line numbers,
    // code | execute | read
    file.put(".text\0\0\0".getBytes(StandardCharsets.US_ASCII)).putInt(virtualSize).putInt(TEXT_RVA)
        .putInt(rawSize).putInt(TEXT_RAW).putInt(0).putInt(0).putShort((short) 0).putShort((short) 0)
        .putInt(0x60000020);
    file.position(TEXT_RAW);
    file.put(text.toByteArray());
    return file.array();
  }

  private static int optionalHeaderSize(boolean pe32Plus) {
    return (pe32Plus ? 112 : 96) + 16 * 8;
  }

  private static int align(int n, int alignment) {
    return (n + alignment - 1) / alignment * alignment;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }
}
