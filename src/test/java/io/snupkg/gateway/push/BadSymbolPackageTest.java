package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.RawZip;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad symbol packages pushed over HTTP, as nuget.exe pushes them, against the real gateway: the variants of the lab's
 * {@code tools/bad-variants.py}, re-created here so the test needs nothing outside the repository, then hostile
 * manifests and entries of our own, then the spellings of id and version that must still find their parent. Each
 * rejection must be a 4xx whose reason (the only thing the NuGet client prints) names the problem and the entry,
 * and must leave nothing behind: no stored file, no spool file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class BadSymbolPackageTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";
  static final String ID = "Bad.Symbols";
  static final String VERSION = "1.0.0";
  static final String NUSPEC = ID + ".nuspec";
  static final String PDB = "lib/net45/" + ID + ".pdb";
  static final String DLL = "lib/net45/" + ID + ".dll";
  static final String ALLOWED = " are not allowed in a symbol package (allowed: .pdb .nuspec .xml .psmdcp .rels .p7s)";
  static final String NOT_PORTABLE_BUILD = "(build with <DebugType>portable</DebugType>)";
  /** The DOS time TestPackages.zip writes; our own zips use it too, so only the variant's change differs. */
  static final LocalDateTime PACK_TIME = LocalDateTime.of(2025, 1, 1, 0, 0);

  GatewayFixture gw;
  Http http;

  @BeforeAll
  void start(@TempDir Path dir) {
    gw = GatewayFixture.builder(dir).key("ci", "*").start();
    http = new Http(gw.vertx, gw.port());
    // Every variant is about a package that is in the feed, so that only the snupkg itself can be wrong.
    pushPackage(ID, VERSION);
  }

  @AfterAll
  void stop() throws Exception {
    GatewayFixture.closeAll(http, gw);
  }

  /** One push and what must come back. {@code exact}: the whole reason, else {@code reason} is its prefix. */
  record Variant(String name, Supplier<byte[]> snupkg, int status, String reason, boolean exact, String entry) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Variant rejected(String name, Supplier<byte[]> snupkg, String reason, String entry) {
    return new Variant(name, snupkg, 400, reason, true, entry);
  }

  // -----------------------------------------------------------------------------------------------------------
  // The lab's variants (tools/bad-variants.py)

  Stream<Variant> labVariants() {
    return Stream.of(
        rejected("ext-dll", () -> zip(with(contentType(good(), "dll"), DLL, dll())),
            DLL + ": files with the extension '.dll'" + ALLOWED, DLL),
        rejected("ext-exe", () -> zip(with(contentType(good(), "exe"), "tools/run.exe", dll())),
            "tools/run.exe: files with the extension '.exe'" + ALLOWED, "tools/run.exe"),
        rejected("no-pdb", () -> zip(without(good(), PDB)),
            "The symbol package does not contain any symbol (.pdb) files", null),
        // The nuspec names a package the feed does not have: the parent check answers, as nuget.org's does.
        new Variant("id-mismatch", () -> zip(editNuspec(s -> s.replace("<id>" + ID + "</id>",
            "<id>Some.Other.Package</id>"))), 404, parentMissing("Some.Other.Package", VERSION), true, null),
        new Variant("version-mismatch", () -> zip(editNuspec(s -> s.replace("<version>" + VERSION + "</version>",
            "<version>9.9.9</version>"))), 404, parentMissing(ID, "9.9.9"), true, null),
        rejected("no-packagetype",
            () -> zip(editNuspec(s -> s.replaceAll("(?s)\\s*<packageTypes>.*?</packageTypes>", ""))),
            NUSPEC + ": a symbol package must declare exactly one package type, SymbolsPackage, without a version; "
                + "it declares none", NUSPEC),
        rejected("no-nuspec", () -> zip(without(good(), NUSPEC)), "The symbol package has no .nuspec file at its root",
            null),
        rejected("windows-pdb", () -> zip(with(good(), PDB, msfPdb())),
            PDB + ": is a Windows PDB; symbol packages must contain portable PDBs " + NOT_PORTABLE_BUILD, PDB),
        rejected("random-pdb", () -> zip(with(good(), PDB, random(4096))),
            PDB + ": is not a portable PDB (no BSJB metadata signature)", PDB),
        // A well-formed portable PDB that matches no DLL of the nupkg is accepted: PDB-to-DLL matching runs
        // after the push, as on nuget.org, so the answer is 201 and the publication then fails.
        new Variant("pdb-id-mismatch", () -> zip(with(good(), PDB, flipPdbGuid(good().get(PDB)))), 201, "Created",
            true, null),
        rejected("truncated", () -> firstHalf(zip(good())),
            "The symbol package is not a valid zip archive (no end of central directory record)", null),
        rejected("not-zip", () -> random(zip(good()).length),
            "The symbol package is not a valid zip archive (no end of central directory record)", null),
        rejected("corrupt-crc", BadSymbolPackageTest::corruptCrc, PDB + ": the compressed data is corrupt", PDB),
        rejected("traversal-dotdot", () -> zip(with(good(), "../evil.pdb", good().get(PDB))),
            "../evil.pdb: '..' path segments are not allowed", "../evil.pdb"),
        rejected("traversal-deep", () -> zip(with(good(), "lib/../../evil.pdb", good().get(PDB))),
            "lib/../../evil.pdb: '..' path segments are not allowed", "lib/../../evil.pdb"),
        rejected("traversal-absolute", () -> zip(with(good(), "/evil.pdb", good().get(PDB))),
            "/evil.pdb: absolute paths are not allowed", "/evil.pdb"),
        rejected("traversal-backslash", () -> zip(with(good(), "..\\evil.pdb", good().get(PDB))),
            "..\\evil.pdb: backslashes are not allowed in entry names", "..\\evil.pdb"),
        // 1 GiB of zeros: refused on the size its headers declare, before a byte is inflated.
        rejected("bomb", () -> bomb(1L << 30, 1L << 30),
            "lib/net45/bomb.pdb: inflates to more than 64 MiB, the limit for one entry", "lib/net45/bomb.pdb"),
        // Headers that declare 4096 bytes for 64 MiB: refused by counting what inflates, not by trusting headers.
        rejected("bomb-sizelie", () -> bomb(64L << 20, 4096),
            "lib/net45/bomb.pdb: inflates to more than the 4096 bytes its headers declare", "lib/net45/bomb.pdb"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("labVariants")
  void labVariantIsAnsweredWithItsReason(Variant v) {
    Reply r = check(v);
    if (v.status() == 201) {
      // Publishing then compares the PDB with the DLL: this one matches none, so it fails, with a reason.
      JsonObject status = gw.awaitSettled(http, ID, VERSION);
      assertEquals("failed", status.getString("state"), status.encode());
      assertTrue(status.getJsonArray("reasons").getString(0).startsWith(PDB + ": does not match "), status.encode());
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Hostile manifests and entries of our own

  Stream<Variant> hostileVariants() {
    String dtd = NUSPEC + ": DTDs and entity references are not allowed";
    String metadata = NUSPEC + ": a symbol package must not have ";
    return Stream.of(
        rejected("xxe", () -> zip(editNuspec(s -> s.replace("<package ",
            "<!DOCTYPE package [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<package ")
            .replace("<description>", "<description>&xxe;"))), dtd, NUSPEC),
        rejected("billion-laughs", () -> zip(editNuspec(s -> s.replace("<package ", laughs() + "<package ")
            .replace("<description>", "<description>&lol9;"))), dtd, NUSPEC),
        rejected("authors",
            () -> zip(editNuspec(s -> s.replace("<description>", "<authors>me</authors><description>"))),
            metadata + "authors (remove package/metadata/authors)", NUSPEC),
        rejected("owners", () -> zip(editNuspec(s -> s.replace("<description>", "<owners>me</owners><description>"))),
            metadata + "owners (remove package/metadata/owners)", NUSPEC),
        rejected("two-package-types", () -> zip(editNuspec(s -> s.replace("</packageTypes>",
            "  <packageType name=\"Dependency\" />\n    </packageTypes>"))),
            NUSPEC + ": a symbol package must declare exactly one package type, SymbolsPackage, without a version; "
                + "it declares 2 (SymbolsPackage, Dependency)", NUSPEC),
        rejected("no-description", () -> zip(editNuspec(s -> s.replaceAll("\\s*<description>.*?</description>", ""))),
            NUSPEC + ": package/metadata/description is required", NUSPEC),
        // The date is now + 2 days, so the reason carries a generated instant: checked by prefix (and suffix).
        new Variant("dated-in-2-days", () -> packed(good(), PDB,
            e -> dosTime(e, LocalDateTime.now(ZoneOffset.UTC).plusDays(2))).toBytes(), 400, PDB + ": is dated ", false, PDB),
        // ZipOutputStream refuses exact duplicates only; names differing in case must still be refused.
        rejected("duplicate-case", () -> zip(with(good(), PDB.toLowerCase(), good().get(PDB))), PDB.toLowerCase()
            + ": duplicates the entry " + PDB + " (names compare case-insensitively)", PDB.toLowerCase()),
        rejected("encrypted-flag", () -> packed(good(), PDB, e -> e.flags(1)).toBytes(),
            PDB + ": the entry is encrypted", PDB),
        // nuget.org counts only ".pdb" and compares extensions case-sensitively: X.PDB is a disallowed file.
        rejected("uppercase-PDB", () -> zip(renamed(good(), PDB, PDB.replace(".pdb", ".PDB"))),
            PDB.replace(".pdb", ".PDB") + ": files with the extension '.PDB'" + ALLOWED, PDB.replace(".pdb", ".PDB")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileVariants")
  void hostileVariantIsAnsweredWithItsReason(Variant v) {
    Reply r = check(v);
    if (v.name().equals("dated-in-2-days")) {
      assertTrue(r.reason().endsWith(", more than a day in the future"), r.reason());
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Spellings that must still find their parent

  static Stream<Arguments> normalizedSpellings() {
    return Stream.of(
        Arguments.of("Norm.Case", "1.0.0", "nORM.cASE", "1.0.0"),
        Arguments.of("Norm.FourPart", "1.0.0", "Norm.FourPart", "1.0.0.0"),
        Arguments.of("Norm.Zeros", "1.2.3", "Norm.Zeros", "01.02.03"),
        Arguments.of("Norm.Metadata", "1.0.0", "Norm.Metadata", "1.0.0+abc"));
  }

  @ParameterizedTest(name = "{2} {3} for parent {0} {1}")
  @MethodSource("normalizedSpellings")
  void idCaseAndVersionSpellingStillFindTheParent(String parentId, String parentVersion, String id, String version) {
    pushPackage(parentId, parentVersion);
    // The PDB is the parent DLL's (same build), whatever the spelling of id and version in the snupkg's nuspec.
    check(new Variant(id + " " + version, () -> TestPackages.snupkg(id, version,
        TestPackages.pdbId(parentId, parentVersion)), 201, "Created", true, null));
    assertEquals("available", gw.awaitSettled(http, parentId, parentVersion).getString("state"));
  }

  // -----------------------------------------------------------------------------------------------------------
  // The push and its checks

  private void pushPackage(String id, String version) {
    Reply r = http.push(PACKAGES, gw.key("ci"), TestPackages.nupkg(id, version));
    assertEquals(201, r.status(), r.toString());
  }

  private Reply check(Variant v) {
    byte[] snupkg = v.snupkg().get();
    List<Path> before = gw.storedFiles();
    // Generous: the point is that the bombs are refused by budget, not inflated to the end.
    Reply r = assertTimeout(Duration.ofSeconds(20), () -> http.push(SYMBOLS, gw.key("ci"), snupkg), v.name());
    assertTrue(r.status() < 500, r.toString());
    assertEquals(v.status(), r.status(), r.toString());
    if (v.exact()) {
      assertEquals(v.reason(), r.reason());
    } else {
      assertTrue(r.reason().startsWith(v.reason()), r.reason());
    }
    if (v.entry() != null) {
      assertTrue(r.reason().contains(v.entry()), "the reason names the entry: " + r.reason());
    }
    for (String leak : List.of("Exception", "\tat ")) {
      assertFalse(r.body().contains(leak), r.body());
      assertFalse(r.reason().contains(leak), r.reason());
    }
    if (v.status() == 201) {
      assertNotEquals(before, gw.storedFiles(), "a created symbol package is stored");
    } else {
      assertEquals(before, gw.storedFiles(), "a refused push stores nothing");
    }
    assertEquals(List.of(), gw.spoolFiles());
    return r;
  }

  private static String parentMissing(String id, String version) {
    return "A package with ID '" + id + "' and version '" + version + "' does not exist. "
        + "Please upload the package before uploading its symbols.";
  }

  // -----------------------------------------------------------------------------------------------------------
  // Package surgery

  private static Map<String, byte[]> good() {
    return TestPackages.snupkgEntries(ID, VERSION, TestPackages.pdbId(ID, VERSION));
  }

  private static byte[] zip(Map<String, byte[]> entries) {
    return TestPackages.zip(entries);
  }

  private static byte[] dll() {
    return ("MZ" + ID).getBytes(StandardCharsets.US_ASCII); // what TestPackages.nupkg puts in the nupkg
  }

  private static Map<String, byte[]> with(Map<String, byte[]> entries, String name, byte[] data) {
    entries.put(name, data);
    return entries;
  }

  private static Map<String, byte[]> without(Map<String, byte[]> entries, String name) {
    entries.remove(name);
    return entries;
  }

  private static Map<String, byte[]> renamed(Map<String, byte[]> entries, String from, String to) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    entries.forEach((name, data) -> out.put(name.equals(from) ? to : name, data));
    return out;
  }

  /** As the script does: a disallowed file is declared in [Content_Types].xml, as nuget pack would. */
  private static Map<String, byte[]> contentType(Map<String, byte[]> entries, String extension) {
    String types = new String(entries.get("[Content_Types].xml"), StandardCharsets.UTF_8).replace("</Types>",
        "  <Default Extension=\"" + extension + "\" ContentType=\"application/octet\" />\n</Types>");
    return with(entries, "[Content_Types].xml", types.getBytes(StandardCharsets.UTF_8));
  }

  /** The nuspec is UTF-8 with a BOM; the BOM survives the round trip as U+FEFF. */
  private static Map<String, byte[]> editNuspec(UnaryOperator<String> edit) {
    Map<String, byte[]> entries = good();
    String text = new String(entries.get(NUSPEC), StandardCharsets.UTF_8);
    String edited = edit.apply(text);
    assertNotEquals(text, edited, "the nuspec edit changed nothing");
    return with(entries, NUSPEC, edited.getBytes(StandardCharsets.UTF_8));
  }

  private static String laughs() {
    StringBuilder dtd = new StringBuilder("<!DOCTYPE package [\n  <!ENTITY lol0 \"lol\">\n");
    for (int i = 1; i <= 9; i++) {
      dtd.append("  <!ENTITY lol").append(i).append(" \"").append(("&lol" + (i - 1) + ";").repeat(10)).append("\">\n");
    }
    return dtd.append("]>\n").toString();
  }

  private static byte[] firstHalf(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length / 2);
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(7).nextBytes(b);
    return b;
  }

  /** The script's fallback Windows PDB: the MSF 7.00 magic, a superblock, random blocks. */
  private static byte[] msfPdb() {
    ByteBuffer b = ByteBuffer.allocate(3 * 4096).order(ByteOrder.LITTLE_ENDIAN);
    b.put("Microsoft C/C++ MSF 7.00\r\n\u001aDS\0\0\0".getBytes(StandardCharsets.ISO_8859_1));
    b.putInt(4096).putInt(1).putInt(3).putInt(0).putInt(0).putInt(2);
    b.put(random(b.remaining()));
    return b.array();
  }

  /** Inverts the 16-byte GUID that opens the #Pdb stream; its offset is in the stream header before the name. */
  private static byte[] flipPdbGuid(byte[] pdb) {
    byte[] out = pdb.clone();
    int name = indexOf(out, "#Pdb\0".getBytes(StandardCharsets.US_ASCII));
    int offset = ByteBuffer.wrap(out, name - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    for (int i = offset; i < offset + 16; i++) {
      out[i] ^= (byte) 0xFF;
    }
    return out;
  }

  /** One byte of the PDB's deflate data flipped, 10 bytes in, as the script does. */
  private static byte[] corruptCrc() {
    byte[] deflated = RawZip.deflate(good().get(PDB));
    deflated[10] ^= (byte) 0xFF;
    return packed(good(), PDB, e -> e.payload(deflated)).toBytes();
  }

  /** The entries of a good snupkg and {@code lib/net45/bomb.pdb}: "BSJB" then zeros, {@code size} in all. */
  private static byte[] bomb(long size, long declared) {
    RawZip zip = packed(good(), null, e -> { });
    Deflated d = Deflated.startingWith("BSJB".getBytes(StandardCharsets.US_ASCII), size);
    dosTime(zip.add("lib/net45/bomb.pdb", new byte[0]), PACK_TIME).method(RawZip.DEFLATED).payload(d.data())
        .crc(d.crc()).sizes(d.data().length, declared);
    return zip.toBytes();
  }

  /**
   * The entries deflated, without data descriptors (CRC and sizes in the local header, as nuget pack writes them),
   * dated {@link #PACK_TIME}; {@code special}'s entry is then changed by {@code tweak}.
   */
  private static RawZip packed(Map<String, byte[]> entries, String special, Consumer<RawZip.Entry> tweak) {
    RawZip zip = new RawZip();
    entries.forEach((name, data) -> {
      RawZip.Entry e = dosTime(zip.add(name, data).deflate(), PACK_TIME);
      if (name.equals(special)) {
        tweak.accept(e);
      }
    });
    return zip;
  }

  private static RawZip.Entry dosTime(RawZip.Entry e, LocalDateTime t) {
    return e.dosTime(t.getHour() << 11 | t.getMinute() << 5 | t.getSecond() / 2,
        (t.getYear() - 1980) << 9 | t.getMonthValue() << 5 | t.getDayOfMonth());
  }

  private static int indexOf(byte[] data, byte[] what) {
    for (int i = 0; i + what.length <= data.length; i++) {
      if (Arrays.equals(data, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  /** Deflated entry data with its CRC-32 and inflated size. */
  record Deflated(long crc, long size, byte[] data) {
    /** {@code head}, then zeros up to {@code size}: streamed through the deflater, never held inflated. */
    static Deflated startingWith(byte[] head, long size) {
      Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
      CRC32 crc = new CRC32();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      byte[] zeros = new byte[1 << 20];
      long left = size;
      for (byte[] chunk = head; left > 0; chunk = zeros) {
        int n = (int) Math.min(chunk.length, left);
        crc.update(chunk, 0, n);
        deflater.setInput(chunk, 0, n);
        left -= n;
        while (!deflater.needsInput()) {
          out.write(buffer, 0, deflater.deflate(buffer));
        }
      }
      deflater.finish();
      while (!deflater.finished()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
      deflater.end();
      return new Deflated(crc.getValue(), size, out.toByteArray());
    }
  }
}
