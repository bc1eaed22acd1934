package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a structurally real portable PDB (ECMA-335 metadata root "BSJB", version "PDB v1.0", the streams
 * #Pdb, #~, #Strings, #GUID and #Blob), as the Portable PDB spec lays it out: the 20-byte PDB id (GUID in .NET
 * memory layout + stamp) opens the #Pdb stream. Optional padding goes into #Blob, so a test can make a big PDB
 * that still opens like one. By default #Pdb is the first stream; real compilers write it last, which
 * {@link #write(UUID, int, int, boolean)} can do too, so a reader is tested against both orders.
 */
public final class PortablePdb {
  private PortablePdb() {}

  public static byte[] write(UUID guid, int stamp) {
    return write(guid, stamp, 0);
  }

  public static byte[] write(UUID guid, int stamp, int blobPadding) {
    return write(guid, stamp, blobPadding, false);
  }

  /** @param pdbLast put #Pdb after the other streams, as csc and the Roslyn writer do */
  public static byte[] write(UUID guid, int stamp, int blobPadding, boolean pdbLast) {
    Map<String, byte[]> streams = new LinkedHashMap<>();
    ByteBuffer pdb = le(32);
    pdb.put(guidBytes(guid)).putInt(stamp).putInt(0).putLong(0L); // id, entry point, referenced tables
    if (!pdbLast) {
      streams.put("#Pdb", pdb.array());
    }
    ByteBuffer tables = le(24);
    tables.putInt(0).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 1).putLong(0L).putLong(0L);
    streams.put("#~", tables.array());
    streams.put("#Strings", new byte[4]);
    streams.put("#GUID", new byte[0]);
    byte[] blob = new byte[align(1 + blobPadding)];
    // Padding is random, like embedded source that does not deflate: it makes a big package for size tests.
    new java.util.Random(guid.getLeastSignificantBits()).nextBytes(blob);
    blob[0] = 0; // the blob heap starts with the empty blob
    streams.put("#Blob", blob);
    if (pdbLast) {
      streams.put("#Pdb", pdb.array());
    }

    byte[] version = "PDB v1.0".getBytes(StandardCharsets.US_ASCII);
    int versionLength = align(version.length + 1);
    int headerSize = 16 + versionLength + 4;
    for (String name : streams.keySet()) {
      headerSize += 8 + align(name.length() + 1);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer root = le(headerSize);
    root.putInt(0x424A5342).putShort((short) 1).putShort((short) 1).putInt(0).putInt(versionLength);
    root.put(version).put(new byte[versionLength - version.length]);
    root.putShort((short) 0).putShort((short) streams.size());
    int offset = headerSize;
    for (Map.Entry<String, byte[]> s : streams.entrySet()) {
      root.putInt(offset).putInt(s.getValue().length);
      byte[] name = s.getKey().getBytes(StandardCharsets.US_ASCII);
      root.put(name).put(new byte[align(name.length + 1) - name.length]);
      offset += s.getValue().length;
    }
    out.writeBytes(root.array());
    streams.values().forEach(out::writeBytes);
    return out.toByteArray();
  }

  /**
   * The start of a Windows (MSF 7.00) PDB: its magic and a superblock with a 4 KiB block size, then zeros. What
   * {@code <DebugType>full</DebugType>} writes, for tests of the "not portable" reason.
   */
  public static byte[] windows() {
    ByteBuffer msf = le(4096);
    msf.put("Microsoft C/C++ MSF 7.00\r\n\u001aDS\0\0\0".getBytes(StandardCharsets.ISO_8859_1)).putInt(4096);
    return msf.array();
  }

  /** The GUID in .NET memory layout: Data1 u32, Data2 u16, Data3 u16 little-endian, then 8 bytes as they are. */
  public static byte[] guidBytes(UUID guid) {
    ByteBuffer big = ByteBuffer.allocate(16).putLong(guid.getMostSignificantBits()).putLong(guid.getLeastSignificantBits());
    byte[] b = big.array();
    return new byte[] {b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]};
  }

  private static int align(int n) {
    return (n + 3) & ~3;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }
}
