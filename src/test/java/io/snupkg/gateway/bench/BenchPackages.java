package io.snupkg.gateway.bench;

import io.snupkg.gateway.testing.Multipart;
import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.testing.TestPackages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a set of distinct, valid push bodies for the benchmark harness in {@code bench/} (not a test).
 *
 * <pre>
 * java -cp target/test-classes:target/snupkg-gateway.jar io.snupkg.gateway.bench.BenchPackages DIR SIZE COUNT NAME
 * </pre>
 *
 * <p>Body {@code i} is the symbol package of {@code Bench.NAME.i} (zero-padded, so every body has the same length)
 * version 1.0.0, laid out by {@link TestPackages} (OPC parts, a symbols nuspec, {@code lib/net45/ID.pdb}), wrapped
 * in the multipart envelope nuget.exe sends ({@link Multipart}); its parent nupkg carries a DLL whose CodeView entry
 * names that PDB, so the push can be published. Every body is exactly SIZE bytes (multipart framing included).
 *
 * <p>The gateway refuses to store the same snupkg twice (a byte-identical re-push is answered 201 at once), so a
 * throughput run needs a fresh body for every request: thousands of 16 MiB bodies. They are not written out in full.
 * The portable PDB's {@code #Blob} heap is its last stream and holds the padding; the padding bytes are the same in
 * every body, and the PDB is the last zip entry, stored (not deflated). So body {@code i} is
 * {@code prefix[i] + shared + suffix[i]}: the prefix (multipart head, the small entries, the PDB's header with its
 * own id) and the suffix (central directory with the PDB's CRC, multipart tail) differ per body, the shared padding
 * is one file that the load generator sends with sendfile(2). Each prefix and suffix has the same length, so
 * {@code pre.bin} and {@code suf.bin} are plain arrays. The PDB is still a structurally valid portable PDB (the blob
 * heap is random data, like embedded source that does not deflate), and its id still matches the DLL.
 *
 * <p>Output in DIR: {@code meta.json}, {@code shared.bin}, {@code pre.bin}, {@code suf.bin}, {@code parents.bin}
 * (multipart-wrapped parent nupkgs, equal lengths), {@code ids.txt} (one {@code id version} a line) and
 * {@code sample.body} (body 0 in full, for checks). Written to DIR.tmp and renamed, so a set is complete or absent.
 */
public final class BenchPackages {
  private static final String VERSION = "1.0.0";

  private BenchPackages() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println("usage: BenchPackages DIR SIZE COUNT NAME   (SIZE in bytes, NAME letters/digits)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]);
    int count = Integer.parseInt(args[2]);
    String name = args[3];
    if (!name.matches("[A-Za-z0-9]{1,20}") || count < 1 || size > Integer.MAX_VALUE - 1024) {
      throw new IllegalArgumentException("bad NAME, COUNT or SIZE");
    }
    long t0 = System.nanoTime();
    write(dir, (int) size, count, name);
    System.out.printf("BenchPackages: %d bodies of %d bytes (%s) in %s, %.1f s%n", count, size, name, dir,
        (System.nanoTime() - t0) / 1e9);
  }

  static String id(String name, int i, int count) {
    int width = Math.max(4, String.valueOf(count - 1).length());
    return "Bench." + name + "." + String.format("%0" + width + "d", i);
  }

  static void write(Path dir, int size, int count, String name) throws IOException {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    Multipart multipart = new Multipart();
    byte[] head = multipart.head();
    byte[] tail = multipart.tail();

    // Probe the fixed overhead with a 4-byte blob heap, then size the blob heap (a multiple of 4) to hit SIZE; the
    // zip comment (0-3 bytes) takes up the rest, so every body is exactly SIZE bytes.
    String id0 = id(name, 0, count);
    int fixed = head.length + tail.length + zip(entries(id0, pdb(id0, 3)), "").length - 4;
    int blob = (size - fixed) / 4 * 4;
    if (blob < 4) {
      throw new IllegalArgumentException("SIZE " + size + " is below the smallest valid body (" + (fixed + 4) + ")");
    }
    String comment = "x".repeat(size - fixed - blob);
    int padding = blob - 1;
    // One template PDB: PortablePdb lays out the header and streams; the blob heap (after its leading 0) is the
    // shared padding. Body i only replaces the 16-byte GUID in the #Pdb stream.
    byte[] template = pdb(id0, padding);
    byte[] guid0 = PortablePdb.guidBytes(TestPackages.pdbId(id0, VERSION));
    int guidAt = indexOf(template, guid0, template.length - padding);
    byte[] shared = Arrays.copyOfRange(template, template.length - padding, template.length);
    int sharedLen = shared.length;
    Files.write(tmp.resolve("shared.bin"), shared);

    int preLen = -1;
    int sufLen = -1;
    int parentLen = -1;
    try (OutputStream pre = Files.newOutputStream(tmp.resolve("pre.bin"));
        OutputStream suf = Files.newOutputStream(tmp.resolve("suf.bin"));
        OutputStream parents = Files.newOutputStream(tmp.resolve("parents.bin"));
        OutputStream ids = Files.newOutputStream(tmp.resolve("ids.txt"))) {
      for (int i = 0; i < count; i++) {
        String id = id(name, i, count);
        byte[] pdb = template;
        System.arraycopy(PortablePdb.guidBytes(TestPackages.pdbId(id, VERSION)), 0, pdb, guidAt, 16);
        // The zip goes through a stream that keeps everything except the shared padding.
        SplitStream split = new SplitStream();
        zip(entries(id, pdb), comment, split, pdb.length - sharedLen, sharedLen);
        byte[] zipPre = split.before.toByteArray();
        byte[] zipSuf = split.after.toByteArray();
        if (split.skipped != sharedLen) {
          throw new IllegalStateException("the shared padding was not found where expected in " + id);
        }
        int total = head.length + zipPre.length + sharedLen + zipSuf.length + tail.length;
        if (total != size) {
          throw new IllegalStateException(id + " is " + total + " bytes, not " + size);
        }
        int p = head.length + zipPre.length;
        int s = zipSuf.length + tail.length;
        if (preLen < 0) {
          preLen = p;
          sufLen = s;
        } else if (p != preLen || s != sufLen) {
          throw new IllegalStateException(id + ": prefix or suffix length differs from body 0");
        }
        pre.write(head);
        pre.write(zipPre);
        suf.write(zipSuf);
        suf.write(tail);
        if (i == 0) {
          try (OutputStream sample = Files.newOutputStream(tmp.resolve("sample.body"))) {
            sample.write(head);
            sample.write(zipPre);
            sample.write(shared);
            sample.write(zipSuf);
            sample.write(tail);
          }
        }
        byte[] parent = multipart.wrap(TestPackages.zip(TestPackages.nupkgEntries(id, VERSION), ZipEntry.STORED));
        if (parentLen < 0) {
          parentLen = parent.length;
        } else if (parent.length != parentLen) {
          throw new IllegalStateException(id + ": parent length differs from body 0's");
        }
        parents.write(parent);
        ids.write((id + " " + VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
      }
    }
    String meta = "{\"name\": \"" + name + "\", \"count\": " + count + ", \"size\": " + size
        + ", \"content_type\": \"" + multipart.contentType().replace("\"", "\\\"") + "\""
        + ", \"pre_len\": " + preLen + ", \"suf_len\": " + sufLen + ", \"shared_len\": " + sharedLen
        + ", \"parent_len\": " + parentLen + ", \"version\": \"" + VERSION + "\""
        + ", \"id_format\": \"" + id(name, 0, count) + "\"}\n";
    Files.writeString(tmp.resolve("meta.json"), meta);
    deleteTree(dir);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
  }

  private static byte[] pdb(String id, int padding) {
    return PortablePdb.write(TestPackages.pdbId(id, VERSION), 0, padding);
  }

  private static Map<String, byte[]> entries(String id, byte[] pdb) {
    Map<String, byte[]> entries = TestPackages.snupkgEntries(id, VERSION, TestPackages.pdbId(id, VERSION));
    entries.put("lib/net45/" + id + ".pdb", pdb); // the last entry, as in TestPackages
    return entries;
  }

  private static byte[] zip(Map<String, byte[]> entries, String comment) throws IOException {
    SplitStream all = new SplitStream();
    zip(entries, comment, all, 0, 0);
    return all.before.toByteArray();
  }

  /**
   * TestPackages.zip with every entry stored (lengths must not depend on the id's digits, as deflate's would) and a
   * zip comment; the last entry's data from {@code skipFrom} for {@code skipLen} bytes is counted, not kept.
   */
  private static void zip(Map<String, byte[]> entries, String comment, SplitStream out, int skipFrom, int skipLen)
      throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.setComment(comment);
      int n = 0;
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry entry = new ZipEntry(e.getKey());
        entry.setTimeLocal(TestPackages.ENTRY_TIME);
        CRC32 crc = new CRC32();
        crc.update(e.getValue());
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(e.getValue().length);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        if (++n == entries.size() && skipLen > 0) {
          zip.flush();
          out.skip(out.position() + skipFrom, skipLen);
        }
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
  }

  /** Keeps what comes before and after one skipped range. */
  private static final class SplitStream extends OutputStream {
    final ByteArrayOutputStream before = new ByteArrayOutputStream();
    final ByteArrayOutputStream after = new ByteArrayOutputStream();
    long pos;
    long skipStart = Long.MAX_VALUE;
    long skipEnd = Long.MAX_VALUE;
    long skipped;

    long position() {
      return pos;
    }

    void skip(long start, long len) {
      skipStart = start;
      skipEnd = start + len;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      long end = pos + len;
      // the part before the skipped range, the skipped part, the part after it
      int a = (int) Math.max(0, Math.min(end, skipStart) - pos);
      before.write(b, off, a);
      int s = (int) Math.max(0, Math.min(end, skipEnd) - Math.max(pos, skipStart));
      skipped += s;
      int rest = len - a - s;
      after.write(b, off + a + s, rest);
      pos = end;
    }
  }

  private static int indexOf(byte[] hay, byte[] needle, int limit) {
    outer:
    for (int i = 0; i + needle.length <= limit; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (hay[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("the PDB id is not in the PDB header");
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.delete(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
