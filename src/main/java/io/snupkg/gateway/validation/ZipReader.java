package io.snupkg.gateway.validation;

import io.snupkg.gateway.config.DataSize;
import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A strict reader for the zips the gateway receives, written for hostile input.
 *
 * <p>Why not {@link java.util.zip.ZipFile} or commons-compress: both read the central directory and use the local
 * header only to find the data, so neither can say whether the two disagree (a name, a method, a size or a CRC that
 * differs between them is how one zip shows different files to different readers), and neither lets a caller cap
 * what an entry inflates to independently of the sizes its headers claim. The container format is small and fully
 * specified (APPNOTE.TXT), so this class walks it itself; the hard part, inflating, stays with the JDK's
 * {@link Inflater} (zlib), and the checksum with {@link CRC32}.
 *
 * <p>What it enforces, each as an {@link InvalidPackageException} naming the entry:
 * <ul>
 *   <li>one well-formed end-of-central-directory record (ZIP64 understood), on one disk, with the central
 *       directory directly before it, and at most {@link Limits#maxEntries()} entries;</li>
 *   <li>stored or deflated entries only, none encrypted;</li>
 *   <li>every local header agrees with its central-directory record (flags, method, name, and CRC and sizes or
 *       the data descriptor that carries them);</li>
 *   <li>entries that do not overlap one another or the central directory (the overlap trick of "better" zip
 *       bombs);</li>
 *   <li>while reading: at most {@link Limits#maxEntrySize()} per entry and {@link Limits#maxTotalSize()} in all,
 *       counted on the inflated bytes, never taken from headers; exactly the declared size; the declared CRC-32;
 *       compressed data that ends where the headers say it does.</li>
 * </ul>
 * Names are returned as written; the rules about names (traversal, duplicates, extensions) belong to the caller.
 * Blocking; for the validation worker only.
 */
public final class ZipReader implements Closeable {

  /** Budgets for one archive. */
  public record Limits(int maxEntries, long maxEntrySize, long maxTotalSize) {}

  /** One entry as the central directory describes it, after its local header was checked against it. */
  public record Entry(String name, int method, long crc, long compressedSize, long size, long localHeaderOffset,
      long dataOffset, Optional<Instant> modified) {
    public boolean isDirectory() {
      return name.endsWith("/");
    }
  }

  static final int STORED = 0;
  static final int DEFLATED = 8;
  private static final int SIG_LOCAL = 0x04034b50;
  private static final int SIG_CENTRAL = 0x02014b50;
  private static final int SIG_EOCD = 0x06054b50;
  private static final int SIG_EOCD64 = 0x06064b50;
  private static final int SIG_EOCD64_LOCATOR = 0x07064b50;
  private static final int SIG_DESCRIPTOR = 0x08074b50;
  private static final int EOCD_SIZE = 22;
  private static final int FLAG_ENCRYPTED = 1;
  private static final int FLAG_DESCRIPTOR = 1 << 3;
  private static final int FLAG_STRONG_ENCRYPTION = 1 << 6;
  private static final int FLAG_UTF8 = 1 << 11;
  private static final int FLAG_MASKED_HEADERS = 1 << 13;
  private static final int EXTRA_ZIP64 = 0x0001;
  private static final int EXTRA_TIMESTAMP = 0x5455;
  private static final long MASK32 = 0xFFFFFFFFL;
  /** Longer names are no real package's and only make every message and map key expensive. */
  static final int MAX_NAME_BYTES = 1024;
  private static final int CHUNK = 64 * 1024;
  private static final Charset CP437 = cp437();

  /** Bytes read from the file at a time for an entry's content. */
  private static final int READ_BUFFER = 64 * 1024;

  private final FileChannel channel;
  private final long fileSize;
  private final Limits limits;
  private final String noun;
  private final List<Entry> entries;
  private long inflatedTotal;

  private ZipReader(FileChannel channel, Limits limits, String noun) throws IOException, InvalidPackageException {
    this.channel = channel;
    this.fileSize = channel.size();
    this.limits = limits;
    this.noun = noun;
    this.entries = List.copyOf(readEntries());
  }

  /**
   * Opens and checks the archive's structure; reads no entry data yet.
   *
   * @param noun what the archive is, for messages: "symbol package"
   * @throws InvalidPackageException the file is not a zip this reader accepts
   * @throws IOException the file itself cannot be read
   */
  public static ZipReader open(Path file, Limits limits, String noun) throws IOException, InvalidPackageException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new ZipReader(channel, limits, noun);
    } catch (IOException | InvalidPackageException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The entries in central-directory order. */
  public List<Entry> entries() {
    return entries;
  }

  /**
   * The entry's inflated bytes. Reading to the end verifies size and CRC; a failed check is thrown as an
   * {@link EntryException} from {@code read}, which {@link EntryException#unwrap} turns back into the reason.
   */
  public InputStream open(Entry entry) {
    // Buffered: readers take a few bytes at a time (the PDB reader one byte per stream-name character), and each
    // unbuffered read would be a positional read from the file, a system call.
    return new java.io.BufferedInputStream(new EntryStream(entry), READ_BUFFER);
  }

  /** Reads an entry to its end only to check it: sizes, CRC, budgets. */
  public void verify(Entry entry) throws IOException, InvalidPackageException {
    try (InputStream in = open(entry)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (EntryException e) {
      throw e.unwrap();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** An entry failed a check while it was being read; carries the reason through {@link InputStream} APIs. */
  public static final class EntryException extends IOException {
    private final InvalidPackageException reason;

    EntryException(InvalidPackageException reason) {
      super(reason.getMessage(), null);
      this.reason = reason;
    }

    public InvalidPackageException unwrap() {
      return reason;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Structure

  private List<Entry> readEntries() throws IOException, InvalidPackageException {
    if (fileSize < EOCD_SIZE) {
      throw structure("only " + fileSize + " bytes");
    }
    long eocd = findEndOfCentralDirectory();
    ByteBuffer end = read(eocd, EOCD_SIZE);
    int disk = u16(end, 4);
    int cdDisk = u16(end, 6);
    long diskEntries = u16(end, 8);
    long count = u16(end, 10);
    long cdSize = u32(end, 12);
    long cdOffset = u32(end, 16);
    long cdEnd = eocd;
    if (count == 0xFFFF || cdSize == MASK32 || cdOffset == MASK32 || diskEntries == 0xFFFF) {
      long[] zip64 = readZip64End(eocd);
      disk = (int) zip64[0];
      cdDisk = (int) zip64[1];
      diskEntries = zip64[2];
      count = zip64[3];
      cdSize = zip64[4];
      cdOffset = zip64[5];
      cdEnd = zip64[6];
    }
    if (count < 0 || cdSize < 0 || cdOffset < 0) {
      throw structure("the end of central directory record is corrupt");
    }
    if (disk != 0 || cdDisk != 0 || diskEntries != count) {
      throw structure("multi-volume archives are not supported");
    }
    if (count > limits.maxEntries()) {
      throw new InvalidPackageException(Rule.ZIP_BUDGET,
          "The " + noun + " has " + count + " entries; at most " + limits.maxEntries() + " are allowed");
    }
    if (cdOffset > cdEnd || cdSize != cdEnd - cdOffset) {
      throw structure("the central directory is not where the end record says it is");
    }
    List<Entry> result = new ArrayList<>((int) count);
    long pos = cdOffset;
    for (long i = 0; i < count; i++) {
      pos = readCentralRecord(pos, cdEnd, result);
    }
    if (pos != cdEnd) {
      throw structure("the central directory has " + (cdEnd - pos) + " bytes after its last entry");
    }
    checkNoOverlap(result, cdOffset);
    return result;
  }

  /** The end record must sit exactly {@code commentLength} bytes before the end: no guessing among candidates. */
  private long findEndOfCentralDirectory() throws IOException, InvalidPackageException {
    long from = Math.max(0, fileSize - EOCD_SIZE - 0xFFFF);
    ByteBuffer tail = read(from, (int) (fileSize - from));
    for (int i = tail.limit() - EOCD_SIZE; i >= 0; i--) {
      if (tail.getInt(i) == SIG_EOCD && u16(tail, i + 20) == tail.limit() - i - EOCD_SIZE) {
        return from + i;
      }
    }
    throw structure("no end of central directory record");
  }

  /** Returns disk, cdDisk, diskEntries, entries, cdSize, cdOffset, and where the central directory must end. */
  private long[] readZip64End(long eocd) throws IOException, InvalidPackageException {
    if (eocd < 20) {
      throw structure("the zip64 end of central directory locator is missing");
    }
    ByteBuffer locator = read(eocd - 20, 20);
    if (locator.getInt(0) != SIG_EOCD64_LOCATOR || locator.getInt(4) != 0 || locator.getInt(16) != 1) {
      throw structure("bad zip64 end of central directory locator");
    }
    long recordOffset = locator.getLong(8);
    if (recordOffset < 0 || recordOffset > eocd - 20 - 56) {
      throw structure("bad zip64 end of central directory locator");
    }
    ByteBuffer rec = read(recordOffset, 56);
    if (rec.getInt(0) != SIG_EOCD64) {
      throw structure("the zip64 end of central directory record is missing");
    }
    long recordSize = rec.getLong(4);
    if (recordSize < 44 || recordSize != eocd - 20 - 12 - recordOffset) {
      throw structure("bad zip64 end of central directory record");
    }
    return new long[] {u32(rec, 16), u32(rec, 20), rec.getLong(24), rec.getLong(32), rec.getLong(40),
        rec.getLong(48), recordOffset};
  }

  private long readCentralRecord(long pos, long cdEnd, List<Entry> out) throws IOException, InvalidPackageException {
    if (pos + 46 > cdEnd) {
      throw structure("the central directory is truncated");
    }
    ByteBuffer h = read(pos, 46);
    if (h.getInt(0) != SIG_CENTRAL) {
      throw structure("the central directory is corrupt");
    }
    int flags = u16(h, 8);
    int method = u16(h, 10);
    int time = u16(h, 12);
    int date = u16(h, 14);
    long crc = u32(h, 16);
    long csize = u32(h, 20);
    long usize = u32(h, 24);
    int nameLength = u16(h, 28);
    int extraLength = u16(h, 30);
    int commentLength = u16(h, 32);
    int startDisk = u16(h, 34);
    long localOffset = u32(h, 42);
    long next = pos + 46 + nameLength + extraLength + commentLength;
    if (next > cdEnd) {
      throw structure("the central directory is truncated");
    }
    if (nameLength == 0) {
      throw structure("an entry has an empty name");
    }
    if (nameLength > MAX_NAME_BYTES) {
      throw new InvalidPackageException(Rule.ENTRY_NAME,
          "An entry name is " + nameLength + " bytes long; at most " + MAX_NAME_BYTES + " are allowed");
    }
    byte[] rawName = bytes(read(pos + 46, nameLength));
    String name = decodeName(rawName, flags);
    ByteBuffer extra = read(pos + 46 + nameLength, extraLength);
    if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) != 0) {
      throw new InvalidPackageException(Rule.ZIP_ENCRYPTED, name + ": the entry is encrypted");
    }
    if (method != STORED && method != DEFLATED) {
      throw new InvalidPackageException(Rule.ZIP_STRUCTURE,
          name + ": compression method " + method + " is not supported (only stored and deflate)");
    }
    // ZIP64: the fields that overflowed 32 bits are in the extra field, in this order.
    Optional<ByteBuffer> zip64 = extraField(extra, EXTRA_ZIP64, name);
    int z = 0;
    if (usize == MASK32) {
      usize = zip64Value(zip64, z++, name);
    }
    if (csize == MASK32) {
      csize = zip64Value(zip64, z++, name);
    }
    if (localOffset == MASK32) {
      localOffset = zip64Value(zip64, z, name);
    }
    if (startDisk != 0) {
      throw structure("multi-volume archives are not supported");
    }
    if (method == STORED && csize != usize) {
      throw new InvalidPackageException(Rule.ZIP_HEADER_MISMATCH,
          name + ": stored entry with a compressed size different from its size");
    }
    if (usize > limits.maxEntrySize()) {
      throw entryTooLarge(name);
    }
    long dataOffset = checkLocalHeader(name, rawName, flags, method, time, date, crc, csize, usize, localOffset);
    out.add(new Entry(name, method, crc, csize, usize, localOffset, dataOffset, modified(time, date, extra, name)));
    return next;
  }

  /** Compares the local header with the central record; returns where the entry's data starts. */
  private long checkLocalHeader(String name, byte[] rawName, int flags, int method, int time, int date, long crc,
      long csize, long usize, long offset) throws IOException, InvalidPackageException {
    if (offset < 0 || offset > fileSize - 30) {
      throw entryStructure(name, "its local header is out of bounds");
    }
    ByteBuffer h = read(offset, 30);
    if (h.getInt(0) != SIG_LOCAL) {
      throw entryStructure(name, "no local header where the central directory points");
    }
    int nameLength = u16(h, 26);
    int extraLength = u16(h, 28);
    long dataOffset = offset + 30 + nameLength + extraLength;
    if (dataOffset > fileSize) {
      throw entryStructure(name, "its local header is truncated");
    }
    if (u16(h, 6) != flags || u16(h, 8) != method || !java.util.Arrays.equals(bytes(read(offset + 30, nameLength)),
        rawName)) {
      throw mismatch(name, "flags, method or name");
    }
    if (u16(h, 10) != time || u16(h, 12) != date) {
      throw mismatch(name, "modification time");
    }
    if (csize > fileSize - dataOffset) {
      throw entryStructure(name, "its data runs past the end of the archive");
    }
    if ((flags & FLAG_DESCRIPTOR) == 0) {
      long localCrc = u32(h, 14);
      long localCsize = u32(h, 18);
      long localUsize = u32(h, 22);
      if (localUsize == MASK32 || localCsize == MASK32) {
        Optional<ByteBuffer> zip64 = extraField(read(offset + 30 + nameLength, extraLength), EXTRA_ZIP64, name);
        localUsize = localUsize == MASK32 ? zip64Value(zip64, 0, name) : localUsize;
        localCsize = localCsize == MASK32 ? zip64Value(zip64, 1, name) : localCsize;
      }
      if (localCrc != crc || localCsize != csize || localUsize != usize) {
        throw mismatch(name, "CRC or sizes");
      }
    } else {
      checkDataDescriptor(name, dataOffset + csize, crc, csize, usize);
    }
    return dataOffset;
  }

  /** The descriptor after the data repeats CRC and sizes; 4- or 8-byte sizes, with or without its signature. */
  private void checkDataDescriptor(String name, long at, long crc, long csize, long usize)
      throws IOException, InvalidPackageException {
    ByteBuffer d = read(at, (int) Math.min(24, Math.max(0, fileSize - at)));
    int base = d.limit() >= 4 && d.getInt(0) == SIG_DESCRIPTOR ? 4 : 0;
    boolean small = d.limit() >= base + 12 && u32(d, base) == crc && u32(d, base + 4) == csize
        && u32(d, base + 8) == usize;
    boolean large = d.limit() >= base + 20 && u32(d, base) == crc && d.getLong(base + 4) == csize
        && d.getLong(base + 12) == usize;
    if (!small && !large) {
      throw mismatch(name, "data descriptor");
    }
  }

  private void checkNoOverlap(List<Entry> list, long cdOffset) throws InvalidPackageException {
    List<Entry> byOffset = new ArrayList<>(list);
    byOffset.sort(Comparator.comparingLong(Entry::localHeaderOffset));
    for (int i = 0; i < byOffset.size(); i++) {
      Entry e = byOffset.get(i);
      long end = e.dataOffset() + e.compressedSize();
      long limit = i + 1 < byOffset.size() ? byOffset.get(i + 1).localHeaderOffset() : cdOffset;
      if (end > limit) {
        throw new InvalidPackageException(Rule.ZIP_STRUCTURE,
            e.name() + ": the entry's data overlaps another entry or the central directory");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry data

  private final class EntryStream extends InputStream {
    private final Entry entry;
    private final Inflater inflater;
    private final CRC32 crc = new CRC32();
    private final byte[] input;
    private long position;
    private long compressedLeft;
    private long produced;
    private boolean dummyFed;
    private boolean done;

    EntryStream(Entry entry) {
      this.entry = entry;
      this.position = entry.dataOffset();
      this.compressedLeft = entry.compressedSize();
      this.inflater = entry.method() == DEFLATED ? new Inflater(true) : null;
      this.input = entry.method() == DEFLATED ? new byte[(int) Math.min(CHUNK, Math.max(1, compressedLeft))] : null;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int n = inflater == null ? readStored(b, off, len) : readDeflated(b, off, len);
      if (n < 0) {
        finish();
        return -1;
      }
      account(b, off, n);
      return n;
    }

    private int readStored(byte[] b, int off, int len) throws IOException {
      if (compressedLeft == 0) {
        return -1;
      }
      int want = (int) Math.min(len, compressedLeft);
      ByteBuffer buf = ByteBuffer.wrap(b, off, want);
      readFully(buf, position);
      position += want;
      compressedLeft -= want;
      return want;
    }

    private int readDeflated(byte[] b, int off, int len) throws IOException {
      try {
        while (true) {
          int n = inflater.inflate(b, off, len);
          if (n > 0) {
            return n;
          }
          if (inflater.finished()) {
            return -1;
          }
          if (inflater.needsDictionary()) {
            throw fail(Rule.ZIP_CORRUPT, entry.name() + ": the compressed data is corrupt (preset dictionary)");
          }
          if (inflater.needsInput()) {
            feed();
          }
        }
      } catch (DataFormatException e) {
        throw fail(Rule.ZIP_CORRUPT, entry.name() + ": the compressed data is corrupt");
      }
    }

    private void feed() throws IOException {
      if (compressedLeft > 0) {
        int want = (int) Math.min(input.length, compressedLeft);
        readFully(ByteBuffer.wrap(input, 0, want), position);
        position += want;
        compressedLeft -= want;
        inflater.setInput(input, 0, want);
      } else if (!dummyFed) {
        // With nowrap, zlib may want one byte past the deflate stream to see its end (Inflater's javadoc).
        dummyFed = true;
        inflater.setInput(new byte[1], 0, 1);
      } else {
        throw fail(Rule.ZIP_CORRUPT, entry.name() + ": the compressed data is truncated");
      }
    }

    private void account(byte[] b, int off, int n) throws EntryException {
      produced += n;
      inflatedTotal += n;
      if (produced > limits.maxEntrySize()) {
        throw new EntryException(entryTooLarge(entry.name()));
      }
      if (produced > entry.size()) {
        throw fail(Rule.ZIP_HEADER_MISMATCH, entry.name() + ": inflates to more than the " + entry.size()
            + " bytes its headers declare");
      }
      if (inflatedTotal > limits.maxTotalSize()) {
        throw fail(Rule.ZIP_BUDGET, entry.name() + ": the archive inflates to more than "
            + DataSize.format(limits.maxTotalSize()) + " in all, the limit");
      }
      crc.update(b, off, n);
    }

    private void finish() throws EntryException {
      done = true;
      if (inflater != null) {
        if (dummyFed && inflater.getRemaining() == 0) {
          // zlib used the padding byte as data: the entry's own deflate stream was cut short.
          throw fail(Rule.ZIP_CORRUPT, entry.name() + ": the compressed data is truncated");
        }
        long consumed = inflater.getBytesRead(); // an unused padding byte is still "remaining", not read
        if (consumed != entry.compressedSize() || inflater.getRemaining() > (dummyFed ? 1 : 0)) {
          throw fail(Rule.ZIP_HEADER_MISMATCH, entry.name() + ": the compressed data does not end where its "
              + "headers say it does");
        }
      }
      if (produced != entry.size()) {
        throw fail(Rule.ZIP_HEADER_MISMATCH, entry.name() + ": inflates to " + produced + " bytes but its headers "
            + "declare " + entry.size());
      }
      if (crc.getValue() != entry.crc()) {
        throw fail(Rule.ZIP_CORRUPT, entry.name() + ": CRC-32 mismatch, the entry is corrupt");
      }
    }

    @Override
    public void close() {
      done = true;
      if (inflater != null) {
        inflater.end();
      }
    }

    private EntryException fail(Rule rule, String reason) {
      return new EntryException(new InvalidPackageException(rule, reason));
    }
  }

  private InvalidPackageException entryTooLarge(String name) {
    return new InvalidPackageException(Rule.ZIP_BUDGET,
        name + ": inflates to more than " + DataSize.format(limits.maxEntrySize()) + ", the limit for one entry");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Fields

  /**
   * UTF-8 when flagged so (and then strictly). Unflagged names are read as .NET reads them, UTF-8, falling back to
   * the format's CP437 only when the bytes are not UTF-8: the names compared for duplicates must be the names a
   * NuGet client will create.
   */
  private static String decodeName(byte[] raw, int flags) throws InvalidPackageException {
    try {
      return strict(StandardCharsets.UTF_8, raw);
    } catch (CharacterCodingException e) {
      if ((flags & FLAG_UTF8) != 0) {
        throw new InvalidPackageException(Rule.ENTRY_NAME, "An entry name is not valid UTF-8");
      }
    }
    try {
      return strict(CP437, raw);
    } catch (CharacterCodingException e) {
      throw new InvalidPackageException(Rule.ENTRY_NAME, "An entry name cannot be decoded");
    }
  }

  private static String strict(Charset charset, byte[] raw) throws CharacterCodingException {
    return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
  }

  /** DOS time, or the Unix mtime of an extended-timestamp field when there is one (it is in UTC). */
  private static Optional<Instant> modified(int time, int date, ByteBuffer extra, String name)
      throws InvalidPackageException {
    Optional<ByteBuffer> ut = extraField(extra, EXTRA_TIMESTAMP, name);
    if (ut.isPresent() && ut.get().limit() >= 5 && (ut.get().get(0) & 1) != 0) {
      return Optional.of(Instant.ofEpochSecond(u32(ut.get(), 1)));
    }
    try {
      // DOS times are local times of an unknown zone; read as UTC, which a one-day tolerance absorbs.
      return Optional.of(LocalDateTime.of(1980 + (date >> 9), (date >> 5) & 0xF, date & 0x1F, time >> 11,
          (time >> 5) & 0x3F, Math.min(59, (time & 0x1F) * 2)).toInstant(ZoneOffset.UTC));
    } catch (DateTimeException e) {
      return Optional.empty(); // an impossible date (month 0, ...) is "unknown", as other readers treat it
    }
  }

  private static Optional<ByteBuffer> extraField(ByteBuffer extra, int id, String name)
      throws InvalidPackageException {
    int i = 0;
    while (i + 4 <= extra.limit()) {
      int fieldId = u16(extra, i);
      int size = u16(extra, i + 2);
      if (i + 4 + size > extra.limit()) {
        throw new InvalidPackageException(Rule.ZIP_STRUCTURE, name + ": malformed extra field");
      }
      if (fieldId == id) {
        return Optional.of(extra.slice(i + 4, size).order(ByteOrder.LITTLE_ENDIAN));
      }
      i += 4 + size;
    }
    return Optional.empty();
  }

  private static long zip64Value(Optional<ByteBuffer> zip64, int index, String name) throws InvalidPackageException {
    if (zip64.isEmpty() || zip64.get().limit() < (index + 1) * 8) {
      throw new InvalidPackageException(Rule.ZIP_STRUCTURE, name + ": zip64 sizes are missing");
    }
    long value = zip64.get().getLong(index * 8);
    if (value < 0 || value == Long.MAX_VALUE) {
      throw new InvalidPackageException(Rule.ZIP_STRUCTURE, name + ": zip64 size out of range");
    }
    return value;
  }

  private ByteBuffer read(long pos, int length) throws IOException, InvalidPackageException {
    if (pos < 0 || length < 0 || pos > fileSize - length) {
      throw structure("truncated");
    }
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    readFully(buf, pos);
    return buf.flip();
  }

  private void readFully(ByteBuffer buf, long pos) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, p);
      if (n < 0) {
        throw new EOFException("unexpected end of the stored file");
      }
      p += n;
    }
  }

  private static byte[] bytes(ByteBuffer buf) {
    byte[] out = new byte[buf.remaining()];
    buf.duplicate().get(out);
    return out;
  }

  private static int u16(ByteBuffer b, int i) {
    return b.getShort(i) & 0xFFFF;
  }

  private static long u32(ByteBuffer b, int i) {
    return b.getInt(i) & MASK32;
  }

  private InvalidPackageException structure(String detail) {
    return new InvalidPackageException(Rule.ZIP_STRUCTURE, "The " + noun + " is not a valid zip archive (" + detail + ")");
  }

  private static InvalidPackageException entryStructure(String name, String detail) {
    return new InvalidPackageException(Rule.ZIP_STRUCTURE, name + ": " + detail);
  }

  private static InvalidPackageException mismatch(String name, String what) {
    return new InvalidPackageException(Rule.ZIP_HEADER_MISMATCH,
        name + ": the local header and the central directory disagree (" + what + ")");
  }

  private static Charset cp437() {
    try {
      return Charset.forName("IBM437");
    } catch (IllegalArgumentException e) {
      return StandardCharsets.ISO_8859_1; // a JRE without jdk.charsets: still one byte per character
    }
  }
}
