package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes a zip archive byte by byte, exactly as told (APPNOTE.TXT layout, little-endian), for the tests of the
 * gateway's own zip reader.
 *
 * <p>Why not {@link java.util.zip.ZipOutputStream}: it computes every CRC, size and offset itself, writes the same
 * values into the local header and the central directory, always uses data descriptors for deflated entries and
 * writes ZIP64 only for huge archives, so it cannot produce the broken, lying or merely unusual archives a strict
 * reader must be tested against.
 *
 * <p>By default an entry is written the way {@code nuget pack} writes one: no data descriptor, no extra field, the
 * UTF-8 flag off, the true CRC and sizes in both headers. Each override changes one field, on one side
 * ({@code entry.local}, {@code entry.central}) or on both (the setters of {@link Entry}), and nothing else, so a
 * test names exactly the lie it tells. Values are truncated to the field's width when written.
 */
public final class RawZip {
  public static final int STORED = 0;
  public static final int DEFLATED = 8;
  /** 2024-01-02 03:04:06 as a DOS time and date, the default for every entry. */
  public static final int TIME = (3 << 11) | (4 << 5) | 3;
  public static final int DATE = ((2024 - 1980) << 9) | (1 << 5) | 2;

  private final List<Entry> entries = new ArrayList<>();
  private byte[] prepend = {};
  private byte[] append = {};
  private byte[] comment = {};
  private Integer commentLength;
  private long[] disks = {0, 0};
  private long[] counts;
  private long[] centralDirectory;
  private boolean zip64End;

  /** The fields of one header, for a test to overwrite; a null means the true value. */
  public static final class Header {
    public int signature;
    public Integer flags;
    public Integer method;
    public int time = TIME;
    public int date = DATE;
    public Long crc;
    public Long csize;
    public Long usize;
    public byte[] name;
    public byte[] extra = {};

    private Header(int signature) {
      this.signature = signature;
    }
  }

  /** One entry. The setters here change both headers. */
  public static final class Entry {
    public final Header local = new Header(0x04034b50);
    public final Header central = new Header(0x02014b50);
    private final byte[] name;
    private final byte[] data;
    private byte[] payload;
    private Boolean descriptorSigned;
    private long[] descriptor;
    private boolean zip64;
    private boolean centralOnly;
    private Long localHeaderOffset;
    private long offset;

    private Entry(byte[] name, byte[] data) {
      this.name = name;
      this.data = data;
      this.payload = data;
    }

    /** Deflates the data (raw deflate, as in zips) and declares method 8. */
    public Entry deflate() {
      payload = RawZip.deflate(data);
      return method(DEFLATED);
    }

    /** The bytes written as the entry's data, instead of the data or its deflation; the default csize follows. */
    public Entry payload(byte[] bytes) {
      payload = bytes;
      return this;
    }

    /** The declared method only: the payload stays as it is. */
    public Entry method(int method) {
      local.method = method;
      central.method = method;
      return this;
    }

    public Entry flags(int flags) {
      local.flags = flags;
      central.flags = flags;
      return this;
    }

    public Entry dosTime(int time, int date) {
      local.time = central.time = time;
      local.date = central.date = date;
      return this;
    }

    public Entry crc(long crc) {
      local.crc = central.crc = crc;
      return this;
    }

    public Entry sizes(long csize, long usize) {
      local.csize = central.csize = csize;
      local.usize = central.usize = usize;
      return this;
    }

    public Entry extra(byte[] extra) {
      local.extra = central.extra = extra;
      return this;
    }

    /** Sets flag bit 3, zeroes CRC and sizes in the local header and writes the true ones after the data. */
    public Entry descriptor(boolean signed) {
      descriptorSigned = signed;
      return this;
    }

    public Entry descriptor(boolean signed, long crc, long csize, long usize) {
      descriptor = new long[] {crc, csize, usize};
      return descriptor(signed);
    }

    /** 0xFFFFFFFF for sizes (and offset, centrally); the values in ZIP64 extra fields and descriptor. */
    public Entry zip64() {
      zip64 = true;
      return this;
    }

    /** Writes the central record only, no local header or data: for records pointing at another entry's. */
    public Entry centralOnly() {
      centralOnly = true;
      return this;
    }

    public Entry localHeaderOffset(long value) {
      localHeaderOffset = value;
      return this;
    }
  }

  /** An entry whose name is written as UTF-8 (with the flag off, so it should be ASCII). */
  public Entry add(String name, byte[] data) {
    return add(name.getBytes(StandardCharsets.UTF_8), data);
  }

  public Entry add(byte[] rawName, byte[] data) {
    Entry e = new Entry(rawName, data);
    entries.add(e);
    return e;
  }

  public RawZip prepend(byte[] bytes) {
    prepend = bytes;
    return this;
  }

  /** Bytes after the end record, where no zip has any. */
  public RawZip append(byte[] bytes) {
    append = bytes;
    return this;
  }

  public RawZip comment(String text) {
    comment = text.getBytes(StandardCharsets.US_ASCII);
    return this;
  }

  /** The comment length the end record declares, instead of the comment's. */
  public RawZip commentLength(int length) {
    commentLength = length;
    return this;
  }

  /** In the ZIP64 end record when there is one, like the two overrides below. */
  public RawZip endDisks(long disk, long centralDirectoryDisk) {
    disks = new long[] {disk, centralDirectoryDisk};
    return this;
  }

  public RawZip endCounts(long onThisDisk, long total) {
    counts = new long[] {onThisDisk, total};
    return this;
  }

  public RawZip endCentralDirectory(long offset, long size) {
    centralDirectory = new long[] {offset, size};
    return this;
  }

  /** A ZIP64 end record and locator carrying the real values, and saturated fields in the classic end record. */
  public RawZip zip64End() {
    zip64End = true;
    return this;
  }

  public byte[] toBytes() {
    Out out = new Out().bytes(prepend);
    for (Entry e : entries) {
      if (!e.centralOnly) {
        e.offset = out.size();
        writeHeader(out, e, e.local, e.descriptorSigned != null ? 0 : e.payload.length, e.offset);
        out.bytes(e.payload);
        writeDescriptor(out, e);
      }
    }
    long cdStart = out.size();
    for (Entry e : entries) {
      writeHeader(out, e, e.central, e.payload.length, e.localHeaderOffset != null ? e.localHeaderOffset : e.offset);
    }
    long cdEnd = out.size();
    long[] n = counts != null ? counts : new long[] {entries.size(), entries.size()};
    long[] cd = centralDirectory != null ? centralDirectory : new long[] {cdStart, cdEnd - cdStart};
    if (zip64End) {
      out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(disks[0]).u32(disks[1]).u64(n[0]).u64(n[1]).u64(cd[1])
          .u64(cd[0]);
      out.u32(0x07064b50).u32(0).u64(cdEnd).u32(1);
      n = new long[] {0xFFFF, 0xFFFF};
      cd = new long[] {0xFFFFFFFFL, 0xFFFFFFFFL};
    }
    out.u32(0x06054b50).u16(disks[0]).u16(disks[1]).u16(n[0]).u16(n[1]).u32(cd[1]).u32(cd[0])
        .u16(commentLength != null ? commentLength : comment.length).bytes(comment).bytes(append);
    return out.toByteArray();
  }

  /** A local header when {@code h} is the entry's local one, else a central record; no data. */
  private static void writeHeader(Out out, Entry e, Header h, long trueCsize, long offset) {
    boolean local = h == e.local;
    boolean descriptorZeroes = local && e.descriptorSigned != null;
    long crc = h.crc != null ? h.crc : descriptorZeroes ? 0 : crc(e.data);
    long csize = h.csize != null ? h.csize : trueCsize;
    long usize = h.usize != null ? h.usize : descriptorZeroes ? 0 : e.data.length;
    byte[] extra = h.extra;
    if (e.zip64) {
      Out zip64 = new Out().u16(1).u16(local ? 16 : 24).u64(usize).u64(csize);
      extra = (local ? zip64 : zip64.u64(offset)).bytes(extra).toByteArray();
      csize = usize = offset = 0xFFFFFFFFL;
    }
    byte[] name = h.name != null ? h.name : e.name;
    int version = e.zip64 ? 45 : 20;
    out.u32(h.signature);
    if (!local) {
      out.u16(version);
    }
    out.u16(version).u16(h.flags != null ? h.flags : e.descriptorSigned != null ? 1 << 3 : 0)
        .u16(h.method != null ? h.method : STORED).u16(h.time).u16(h.date).u32(crc).u32(csize).u32(usize)
        .u16(name.length).u16(extra.length);
    if (!local) {
      out.u16(0).u16(0).u16(0).u32(0).u32(offset); // comment length, disk, internal and external attributes
    }
    out.bytes(name).bytes(extra);
  }

  private static void writeDescriptor(Out out, Entry e) {
    if (e.descriptorSigned == null) {
      return;
    }
    long[] d = e.descriptor != null ? e.descriptor : new long[] {crc(e.data), e.payload.length, e.data.length};
    if (e.descriptorSigned) {
      out.u32(0x08074b50);
    }
    out.u32(d[0]);
    if (e.zip64) {
      out.u64(d[1]).u64(d[2]);
    } else {
      out.u32(d[1]).u32(d[2]);
    }
  }

  private static long crc(byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(data);
    return crc.getValue();
  }

  /** Raw deflate (no zlib header or trailer), what a zip entry holds. */
  public static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (!deflater.finished()) {
      out.write(buf, 0, deflater.deflate(buf));
    }
    deflater.end();
    return out.toByteArray();
  }

  /** One extra field: id, length, body. */
  public static byte[] extraField(int id, byte[] body) {
    return new Out().u16(id).u16(body.length).bytes(body).toByteArray();
  }

  private static final class Out extends ByteArrayOutputStream {
    Out u16(long v) {
      write((int) v);
      write((int) (v >>> 8));
      return this;
    }

    Out u32(long v) {
      return u16(v).u16(v >>> 16);
    }

    Out u64(long v) {
      return u32(v).u32(v >>> 32);
    }

    Out bytes(byte[] b) {
      writeBytes(b);
      return this;
    }
  }
}
