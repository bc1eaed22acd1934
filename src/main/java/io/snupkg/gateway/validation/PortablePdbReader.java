package io.snupkg.gateway.validation;

import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the id of a portable PDB from a stream, in one pass and with a bounded buffer: the ECMA-335 metadata
 * root ({@code BSJB}), its stream headers, and the first 20 bytes of the {@code #Pdb} stream (16-byte GUID and
 * 4-byte stamp). Hand-written because no library on Maven Central reads portable PDB metadata, and the layout
 * needed is two small tables (Portable PDB v1.0 spec; ECMA-335 II.24.2.1).
 *
 * <p>The stream is read up to the end of the id only; the caller reads the rest (to check the zip CRC).
 */
public final class PortablePdbReader {
  /**
   * The id of a portable PDB: the GUID in .NET "N" form (32 lowercase hex digits), the stamp, and where the 20 id
   * bytes start in the file (they are zeroed to compute a PdbChecksum).
   */
  public record PdbId(String guid, long stamp, long idOffset) {
    /** The SSQP key middle part of a portable PDB: the GUID, then the literal age {@code FFFFFFFF}. */
    public String ssqpKey() {
      return guid + "FFFFFFFF";
    }
  }

  static final int SIGNATURE = 0x424A5342; // "BSJB"
  /** The start of a Windows (MSF 7.00) PDB's magic, 16 bytes like the metadata header it is compared with. */
  private static final byte[] MSF = "Microsoft C/C++ ".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_VERSION_LENGTH = 256;
  private static final int MAX_STREAMS = 32;
  private static final int MAX_STREAM_NAME = 32;
  private static final int PDB_STREAM_MIN_SIZE = 32; // id (20) + entry point (4) + referenced tables (8)

  private PortablePdbReader() {}

  /**
   * @param name the zip entry, for messages
   * @param size the PDB's size, already checked by the zip reader; every stream must lie within it
   */
  public static PdbId read(InputStream in, String name, long size) throws IOException, InvalidPackageException {
    Cursor c = new Cursor(in, name);
    byte[] head = in.readNBytes(16);
    c.position = head.length;
    if (startsWith(head, MSF)) {
      throw new InvalidPackageException(Rule.PDB_NOT_PORTABLE, name + ": is a Windows PDB; symbol packages must "
          + "contain portable PDBs (build with <DebugType>portable</DebugType>)");
    }
    ByteBuffer h = le(head);
    if (head.length < 4 || h.getInt(0) != SIGNATURE) {
      throw new InvalidPackageException(Rule.PDB_NOT_PORTABLE, name + ": is not a portable PDB (no BSJB metadata "
          + "signature)");
    }
    if (head.length < 16) {
      throw malformed(name, "truncated in the metadata header");
    }
    long versionLength = h.getInt(12) & 0xFFFFFFFFL;
    if (versionLength == 0 || versionLength > MAX_VERSION_LENGTH || versionLength % 4 != 0) {
      throw malformed(name, "bad version string length " + versionLength);
    }
    c.take((int) versionLength, "the version string");
    ByteBuffer counts = le(c.take(4, "the stream count"));
    int streams = counts.getShort(2) & 0xFFFF;
    if (streams == 0 || streams > MAX_STREAMS) {
      throw malformed(name, streams + " metadata streams");
    }
    long pdbOffset = -1;
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < streams; i++) {
      ByteBuffer range = le(c.take(8, "a stream header"));
      long offset = range.getInt(0) & 0xFFFFFFFFL;
      long length = range.getInt(4) & 0xFFFFFFFFL;
      String stream = c.streamName();
      if (!seen.add(stream)) {
        throw malformed(name, "stream " + stream + " appears twice");
      }
      if (offset + length > size) {
        throw malformed(name, "stream " + stream + " extends past the end of the file");
      }
      if ("#Pdb".equals(stream)) {
        if (length < PDB_STREAM_MIN_SIZE) {
          throw malformed(name, "the #Pdb stream is only " + length + " bytes");
        }
        pdbOffset = offset;
      }
    }
    if (pdbOffset < 0) {
      throw new InvalidPackageException(Rule.PDB_NOT_PORTABLE, name + ": is not a portable PDB (its metadata has "
          + "no #Pdb stream)");
    }
    if (pdbOffset < c.position) {
      throw malformed(name, "the #Pdb stream overlaps the metadata header");
    }
    c.skip(pdbOffset - c.position);
    ByteBuffer id = le(c.take(20, "the PDB id"));
    return new PdbId(guidN(id), id.getInt(16) & 0xFFFFFFFFL, pdbOffset);
  }

  /** .NET's Guid.ToString("N"): Data1, Data2 and Data3 are little-endian in memory, the last 8 bytes are not. */
  static String guidN(ByteBuffer id) {
    StringBuilder s = new StringBuilder(32);
    s.append(String.format(Locale.ROOT, "%08x%04x%04x", id.getInt(0), id.getShort(4), id.getShort(6)));
    for (int i = 8; i < 16; i++) {
      s.append(String.format(Locale.ROOT, "%02x", id.get(i)));
    }
    return s.toString();
  }

  private static InvalidPackageException malformed(String name, String what) {
    return new InvalidPackageException(Rule.PDB_MALFORMED, name + ": malformed portable PDB (" + what + ")");
  }

  private static boolean startsWith(byte[] data, byte[] prefix) {
    return data.length >= prefix.length && java.util.Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static ByteBuffer le(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A forward-only reader that knows its position and turns a short read into a reason. */
  private static final class Cursor {
    private final InputStream in;
    private final String name;
    long position;

    Cursor(InputStream in, String name) {
      this.in = in;
      this.name = name;
    }

    byte[] take(int n, String what) throws IOException, InvalidPackageException {
      byte[] b = in.readNBytes(n);
      position += b.length;
      if (b.length < n) {
        throw malformed(name, "truncated in " + what);
      }
      return b;
    }

    /** A NUL-terminated name of at most 32 characters, padded to a multiple of 4 bytes. */
    String streamName() throws IOException, InvalidPackageException {
      StringBuilder s = new StringBuilder();
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw malformed(name, "truncated in a stream name");
        }
        position++;
        if (b == 0) {
          break;
        }
        if (b < 0x20 || b > 0x7e || s.length() == MAX_STREAM_NAME) {
          throw malformed(name, "bad stream name");
        }
        s.append((char) b);
      }
      int padding = (int) ((4 - position % 4) % 4);
      take(padding, "a stream name");
      return s.toString();
    }

    void skip(long n) throws IOException, InvalidPackageException {
      long left = n;
      while (left > 0) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw malformed(name, "truncated before the #Pdb stream");
          }
          skipped = 1;
        }
        left -= skipped;
        position += skipped;
      }
    }
  }
}
