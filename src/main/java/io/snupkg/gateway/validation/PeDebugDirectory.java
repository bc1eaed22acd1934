package io.snupkg.gateway.validation;

import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The debug directory of a PE file (a DLL or EXE from a nupkg): its CodeView entries, which name the PDB and carry
 * its id, its PdbChecksum entries, and whether it embeds its PDB. This is what nuget.org's symbols validator
 * matches a snupkg's PDB against (PE/COFF spec; System.Reflection.Metadata's {@code PEReader}).
 *
 * <p>Hand-written because no library on Maven Central reads PE debug directories, and the layout needed is a few
 * fixed tables: the DOS header's {@code e_lfanew}, the COFF and optional headers, the section table (to turn the
 * directory's RVA into a file offset) and 28-byte directory entries. The file is read with positional reads of
 * those tables and the entries' data only, never whole, since DLLs can be large.
 *
 * <p>Every field comes from an uploaded package, so each one is bounds-checked against the file and against caps
 * no compiler comes near; a file that is not a well-formed PE gives a {@link PeFormatException}.
 */
public final class PeDebugDirectory {
  /**
   * A CodeView entry (type 2, {@code RSDS}).
   *
   * @param guid the GUID in .NET "N" form, as {@link PdbId#guid()} prints a PDB's
   * @param stamp the debug directory entry's TimeDateStamp; for a portable PDB, the second half of its id
   * @param minorVersion {@code 0x504D} for a portable PDB, 0 for a Windows PDB
   */
  public record CodeView(String guid, long age, String path, long stamp, int majorVersion, int minorVersion) {
    public boolean portable() {
      return minorVersion == PORTABLE_CODE_VIEW;
    }

    /** Whether this entry names the PDB with this id: its GUID and the entry's TimeDateStamp make the 20 bytes. */
    public boolean matches(PdbId id) {
      return guid.equals(id.guid()) && stamp == id.stamp();
    }
  }

  /**
   * A PdbChecksum entry (type 19): the hash of the PDB with its 20 id bytes zeroed ({@link PdbChecksums}).
   *
   * @param algorithm the name as written, e.g. {@code SHA256}; case-sensitive, and possibly one nobody knows
   */
  public record PdbChecksum(String algorithm, byte[] hash) {}

  /** Thrown for a file that is not a well-formed PE, with a short reason. */
  public static final class PeFormatException extends Exception {
    public PeFormatException(String reason) {
      super(reason, null, false, false);
    }
  }

  /** CodeView MinorVersion of an entry for a portable PDB ("PM"). */
  public static final int PORTABLE_CODE_VIEW = 0x504D;
  static final int TYPE_CODE_VIEW = 2;
  static final int TYPE_EMBEDDED_PORTABLE_PDB = 17;
  static final int TYPE_PDB_CHECKSUM = 19;

  private static final int DOS_HEADER_SIZE = 0x40;
  private static final int E_LFANEW = 0x3C;
  private static final int PE_SIGNATURE = 0x00004550; // "PE\0\0"
  private static final int COFF_HEADER_SIZE = 20;
  private static final int PE32 = 0x10B;
  private static final int PE32_PLUS = 0x20B;
  private static final int DEBUG_DIRECTORY_INDEX = 6;
  private static final int SECTION_HEADER_SIZE = 40;
  private static final int ENTRY_SIZE = 28;
  private static final int CODE_VIEW_SIGNATURE = 0x53445352; // "RSDS"
  private static final int CODE_VIEW_FIXED_SIZE = 24; // RSDS, GUID, age
  /** Compilers write four or five entries; a directory of more is not from a compiler. */
  private static final int MAX_ENTRIES = 256;
  /** The data of a CodeView or PdbChecksum entry is a path or a hash: a few hundred bytes. */
  private static final int MAX_ENTRY_DATA = 64 * 1024;

  private final List<CodeView> codeViews;
  private final List<PdbChecksum> checksums;
  private final boolean embeddedPdb;

  private PeDebugDirectory(List<CodeView> codeViews, List<PdbChecksum> checksums, boolean embeddedPdb) {
    this.codeViews = List.copyOf(codeViews);
    this.checksums = List.copyOf(checksums);
    this.embeddedPdb = embeddedPdb;
  }

  public static PeDebugDirectory read(Path file) throws IOException, PeFormatException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(channel);
    }
  }

  /** Reads with positional reads; the channel's position is left anywhere and it is not closed. */
  public static PeDebugDirectory read(SeekableByteChannel channel) throws IOException, PeFormatException {
    return new Reader(channel).directory();
  }

  /** Every CodeView entry, in directory order. */
  public List<CodeView> codeViews() {
    return codeViews;
  }

  /**
   * The first CodeView entry with MinorVersion {@code 0x504D}: the one {@code
   * PEReader.TryOpenAssociatedPortablePdb} and so nuget.org use, even when a Windows entry comes before it.
   */
  public Optional<CodeView> portableCodeView() {
    return codeViews.stream().filter(CodeView::portable).findFirst();
  }

  public List<PdbChecksum> checksums() {
    return checksums;
  }

  /** Whether there is an EmbeddedPortablePdb entry; nuget.org does not accept an embedded PDB as the match. */
  public boolean hasEmbeddedPdb() {
    return embeddedPdb;
  }

  /** One pass over the headers, the section table and the directory, each read once. */
  private static final class Reader {
    private final SeekableByteChannel channel;
    private final long size;

    Reader(SeekableByteChannel channel) throws IOException {
      this.channel = channel;
      this.size = channel.size();
    }

    PeDebugDirectory directory() throws IOException, PeFormatException {
      ByteBuffer dos = at(0, DOS_HEADER_SIZE, "the DOS header");
      if (dos.getShort(0) != 0x5A4D) { // "MZ"
        throw new PeFormatException("no MZ signature");
      }
      long pe = u32(dos, E_LFANEW);
      if (pe < DOS_HEADER_SIZE) {
        throw new PeFormatException("e_lfanew " + pe + " points into the DOS header");
      }
      ByteBuffer coff = at(pe, 4 + COFF_HEADER_SIZE + 2, "the PE headers");
      if (coff.getInt(0) != PE_SIGNATURE) {
        throw new PeFormatException("no PE signature at e_lfanew " + pe);
      }
      int sections = u16(coff, 4 + 2);
      int optionalSize = u16(coff, 4 + 16);
      long optional = pe + 4 + COFF_HEADER_SIZE;
      int magic = u16(coff, 4 + COFF_HEADER_SIZE);
      int directories = switch (magic) {
        case PE32 -> 96;
        case PE32_PLUS -> 112;
        default -> throw new PeFormatException("bad optional header magic 0x" + Integer.toHexString(magic));
      };
      if (optionalSize < directories) {
        throw new PeFormatException("optional header of " + optionalSize + " bytes");
      }
      ByteBuffer header = at(optional, optionalSize, "the optional header");
      long directoryCount = u32(header, directories - 4); // NumberOfRvaAndSizes
      int debug = directories + DEBUG_DIRECTORY_INDEX * 8;
      if (directoryCount <= DEBUG_DIRECTORY_INDEX) {
        return new PeDebugDirectory(List.of(), List.of(), false);
      }
      if (optionalSize < debug + 8) {
        throw new PeFormatException("optional header of " + optionalSize + " bytes has no debug directory");
      }
      long rva = u32(header, debug);
      long length = u32(header, debug + 4);
      if (rva == 0 && length == 0) {
        return new PeDebugDirectory(List.of(), List.of(), false);
      }
      if (length % ENTRY_SIZE != 0 || length / ENTRY_SIZE > MAX_ENTRIES) {
        throw new PeFormatException("debug directory of " + length + " bytes");
      }
      ByteBuffer table = at(optional + optionalSize, sections * SECTION_HEADER_SIZE, "the section table");
      return entries(at(offset(table, sections, rva, length), (int) length, "the debug directory"));
    }

    /** The file offset of the debug directory: the section holding its RVA must hold it whole, in the file. */
    private static long offset(ByteBuffer table, int sections, long rva, long length) throws PeFormatException {
      for (int i = 0; i < sections; i++) {
        int s = i * SECTION_HEADER_SIZE;
        long virtualAddress = u32(table, s + 12);
        long rawSize = u32(table, s + 16);
        long span = Math.max(u32(table, s + 8), rawSize);
        if (virtualAddress <= rva && rva < virtualAddress + span) {
          if (rva - virtualAddress + length > rawSize) {
            throw new PeFormatException("debug directory extends past its section's data");
          }
          return rva - virtualAddress + u32(table, s + 20);
        }
      }
      throw new PeFormatException("debug directory RVA 0x" + Long.toHexString(rva) + " is in no section");
    }

    private PeDebugDirectory entries(ByteBuffer directory) throws IOException, PeFormatException {
      List<CodeView> codeViews = new ArrayList<>();
      List<PdbChecksum> checksums = new ArrayList<>();
      boolean embedded = false;
      for (int e = 0; e < directory.capacity(); e += ENTRY_SIZE) {
        if (directory.getInt(e) != 0) {
          throw new PeFormatException("debug directory entry with Characteristics set");
        }
        long stamp = u32(directory, e + 4);
        int major = u16(directory, e + 8);
        int minor = u16(directory, e + 10);
        long type = u32(directory, e + 12);
        long dataSize = u32(directory, e + 16);
        long dataOffset = u32(directory, e + 24);
        if (dataOffset + dataSize > size) {
          throw new PeFormatException("debug entry data extends past the end of the file");
        }
        if (type == TYPE_CODE_VIEW) {
          codeViews.add(codeView(data(dataOffset, dataSize, "CodeView"), stamp, major, minor));
        } else if (type == TYPE_PDB_CHECKSUM) {
          checksums.add(checksum(data(dataOffset, dataSize, "PdbChecksum")));
        } else if (type == TYPE_EMBEDDED_PORTABLE_PDB) {
          embedded = true;
        }
      }
      return new PeDebugDirectory(codeViews, checksums, embedded);
    }

    private ByteBuffer data(long offset, long length, String what) throws IOException, PeFormatException {
      if (length > MAX_ENTRY_DATA) {
        throw new PeFormatException(what + " data of " + length + " bytes");
      }
      return at(offset, (int) length, what + " data");
    }

    private static CodeView codeView(ByteBuffer data, long stamp, int major, int minor) throws PeFormatException {
      if (data.capacity() < CODE_VIEW_FIXED_SIZE || data.getInt(0) != CODE_VIEW_SIGNATURE) {
        throw new PeFormatException("CodeView data without RSDS");
      }
      String guid = PortablePdbReader.guidN(data.slice(4, 16).order(ByteOrder.LITTLE_ENDIAN));
      String path = utf8(data, CODE_VIEW_FIXED_SIZE, nul(data, CODE_VIEW_FIXED_SIZE, "CodeView path"), "CodeView path");
      return new CodeView(guid, u32(data, 20), path, stamp, major, minor);
    }

    private static PdbChecksum checksum(ByteBuffer data) throws PeFormatException {
      int nul = nul(data, 0, "PdbChecksum algorithm");
      if (nul == 0 || nul + 1 == data.capacity()) {
        throw new PeFormatException("PdbChecksum without an algorithm or a hash");
      }
      byte[] hash = new byte[data.capacity() - nul - 1];
      data.get(nul + 1, hash);
      return new PdbChecksum(utf8(data, 0, nul, "PdbChecksum algorithm"), hash);
    }

    /** The index of the first NUL at or after {@code from}. */
    private static int nul(ByteBuffer data, int from, String what) throws PeFormatException {
      for (int i = from; i < data.capacity(); i++) {
        if (data.get(i) == 0) {
          return i;
        }
      }
      throw new PeFormatException(what + " without a NUL");
    }

    private static String utf8(ByteBuffer data, int from, int end, String what) throws PeFormatException {
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(data.slice(from, end - from)).toString();
      } catch (CharacterCodingException e) {
        throw new PeFormatException(what + " is not UTF-8");
      }
    }

    /** {@code length} bytes at {@code offset}, little-endian; the range must lie within the file. */
    private ByteBuffer at(long offset, int length, String what) throws IOException, PeFormatException {
      if (offset + length > size) {
        throw new PeFormatException("truncated in " + what);
      }
      ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      channel.position(offset);
      while (b.hasRemaining()) {
        if (channel.read(b) < 0) {
          throw new PeFormatException("truncated in " + what);
        }
      }
      return b.clear();
    }

    private static int u16(ByteBuffer b, int index) {
      return b.getShort(index) & 0xFFFF;
    }

    private static long u32(ByteBuffer b, int index) {
      return b.getInt(index) & 0xFFFFFFFFL;
    }
  }
}
