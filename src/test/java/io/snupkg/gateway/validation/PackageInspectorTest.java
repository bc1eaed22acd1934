package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import io.snupkg.gateway.validation.PackageInspector.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PackageInspectorTest {
  private static final byte[] PDB = PortablePdb.write(UUID.randomUUID(), 7);
  private static final ZipReader.Limits LIMITS = new ZipReader.Limits(10_000, 64 << 20, 256 << 20);
  private static final String DESCRIPTION = element("description", "Test package");
  private static final String SYMBOLS_TYPE = packageTypes("<packageType name=\"SymbolsPackage\" />");
  private static final String ALLOWED =
      " are not allowed in a symbol package (allowed: .pdb .nuspec .xml .psmdcp .rels .p7s)";
  /** Every entry {@link #zip} writes has this date. */
  private static final Instant ENTRY_TIME = TestPackages.ENTRY_TIME.toInstant(ZoneOffset.UTC);

  @TempDir
  Path dir;

  private final PackageInspector inspector = new PackageInspector(LIMITS, Clock.systemUTC());

  private static String nuspec(String id, String version, String packageType) {
    return manifest(id, version, ("SymbolsPackage".equalsIgnoreCase(packageType) ? "" : element("authors", "Lab"))
        + DESCRIPTION
        + (packageType == null ? "" : packageTypes("<packageType name=\"" + packageType + "\" />")));
  }

  /** A nuspec with id and version, then the given metadata elements as they are. */
  private static String manifest(String id, String version, String metadata) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<package xmlns=\"http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd\">\n"
        + "  <metadata>\n"
        + "    <id>" + id + "</id>\n"
        + "    <version>" + version + "</version>\n"
        + metadata
        + "  </metadata>\n"
        + "</package>\n";
  }

  private static String element(String name, String text) {
    return "    <" + name + ">" + text + "</" + name + ">\n";
  }

  private static String packageTypes(String types) {
    return "    <packageTypes>" + types + "</packageTypes>\n";
  }

  private static Map<String, byte[]> entries(Object... nameAndContent) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < nameAndContent.length; i += 2) {
      Object c = nameAndContent[i + 1];
      m.put((String) nameAndContent[i], c instanceof byte[] b ? b : ((String) c).getBytes(StandardCharsets.UTF_8));
    }
    return m;
  }

  private Path zip(String fileName, Map<String, byte[]> entries) throws IOException {
    return Files.write(dir.resolve(fileName), TestPackages.zip(entries));
  }

  private Path goodSymbols() throws IOException {
    return symbols();
  }

  /** The good symbol package X 1.0.0.0 with its PDB lib/net45/X.pdb, and then the given entries (name, content). */
  private Path symbols(Object... more) throws IOException {
    Object[] good = {"X.nuspec", nuspec("X", "1.0.0.0", "SymbolsPackage"), "lib/net45/X.pdb", PDB};
    Object[] all = Stream.concat(Arrays.stream(good), Arrays.stream(more)).toArray();
    return zip("X.1.0.0.snupkg", entries(all));
  }

  /** A symbol package X 1.0.0 with a PDB and a nuspec whose metadata after id and version is the given XML. */
  private Path symbolsWithMetadata(String metadata) throws IOException {
    return zip("x.snupkg", entries("X.nuspec", manifest("X", "1.0.0", metadata), "lib/net45/X.pdb", PDB));
  }

  private InvalidPackageException rejected(Path file, Kind kind) {
    return assertThrows(InvalidPackageException.class, () -> inspector.inspect(file, kind));
  }

  private void assertRejected(Path file, Rule rule, String message) {
    assertRejected(inspector, file, rule, message);
  }

  private static void assertRejected(PackageInspector inspector, Path file, Rule rule, String message) {
    InvalidPackageException e =
        assertThrows(InvalidPackageException.class, () -> inspector.inspect(file, Kind.SYMBOLS));
    assertEquals(rule, e.rule(), e.getMessage());
    assertEquals(message, e.getMessage());
  }

  @Test
  void goodSymbolPackage() throws Exception {
    PackageManifest m = inspector.inspect(goodSymbols(), Kind.SYMBOLS);
    assertEquals("X", m.id());
    assertEquals("1.0.0", m.version());
    assertEquals(List.of("lib/net45/X.pdb"), m.pdbEntries());
  }

  @Test
  void versionIsNormalizedAndIdKeepsItsCase() throws Exception {
    Path file = zip("p.snupkg", entries(
        "Contoso.Lib.nuspec", nuspec("Contoso.Lib", "1.01.0-Beta.1+sha.abc", "SymbolsPackage"),
        "lib/net8.0/Contoso.Lib.pdb", PDB,
        "lib/netstandard2.0/Contoso.Lib.pdb", PDB));
    PackageManifest m = inspector.inspect(file, Kind.SYMBOLS);
    assertEquals("Contoso.Lib", m.id());
    assertEquals("1.1.0-Beta.1", m.version());
    assertEquals(List.of("lib/net8.0/Contoso.Lib.pdb", "lib/netstandard2.0/Contoso.Lib.pdb"), m.pdbEntries());
  }

  @Test
  void goodPackageWithoutPdb() throws Exception {
    Path file = zip("X.1.0.0.nupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", null),
        "lib/net45/X.dll", "MZ"));
    PackageManifest m = inspector.inspect(file, Kind.PACKAGE);
    assertEquals("X", m.id());
    assertEquals("1.0.0", m.version());
    assertEquals(List.of(), m.pdbEntries());
  }

  @Test
  void upperCaseNuspecExtensionCountsAtTheRootOfAPackage() throws Exception {
    Path file = zip("x.nupkg", entries("X.NUSPEC", nuspec("X", "2.0", null), "lib/X.dll", "MZ"));
    assertEquals("2.0.0", inspector.inspect(file, Kind.PACKAGE).version());
  }

  @Test
  void upperCaseNuspecExtensionIsRefusedInASymbolPackageAsNugetOrgDoes() throws Exception {
    Path file = zip("x.snupkg", entries("X.NUSPEC", nuspec("X", "2.0", "SymbolsPackage"), "lib/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertEquals(InvalidPackageException.Rule.ENTRY_EXTENSION, e.rule());
    assertTrue(e.getMessage().startsWith("X.NUSPEC: files with the extension '.NUSPEC' are not allowed"), e.getMessage());
  }

  @Test
  void notAZip() throws Exception {
    byte[] random = new byte[4096];
    new Random(42).nextBytes(random);
    Path file = dir.resolve("random.snupkg");
    Files.write(file, random);
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains("not a valid zip"), e.getMessage());
    assertTrue(e.getMessage().contains("symbol package"), e.getMessage());
  }

  @Test
  void emptyFileIsNotAZip() throws Exception {
    Path file = Files.createFile(dir.resolve("empty.nupkg"));
    InvalidPackageException e = rejected(file, Kind.PACKAGE);
    assertTrue(e.getMessage().contains("not a valid zip"), e.getMessage());
  }

  @Test
  void truncatedZip() throws Exception {
    byte[] good = Files.readAllBytes(goodSymbols());
    Path file = dir.resolve("truncated.snupkg");
    Files.write(file, Arrays.copyOf(good, good.length / 2));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains("not a valid zip"), e.getMessage());
  }

  @Test
  void missingFileIsAnIoErrorNotTheClientsFault() {
    Path missing = dir.resolve("gone.snupkg");
    IOException e = assertThrows(IOException.class, () -> inspector.inspect(missing, Kind.SYMBOLS));
    assertTrue(e.getMessage().contains("gone.snupkg"), e.getMessage());
  }

  @Test
  void noNuspec() throws Exception {
    Path file = zip("x.snupkg", entries("lib/net45/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains(".nuspec"), e.getMessage());
  }

  @Test
  void emptyZipHasNoNuspec() throws Exception {
    Path file = zip("x.snupkg", entries());
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains(".nuspec"), e.getMessage());
  }

  @Test
  void twoRootNuspecs() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", null),
        "Y.nuspec", nuspec("Y", "1.0.0", null),
        "lib/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains("X.nuspec") && e.getMessage().contains("Y.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
  }

  @Test
  void nuspecInASubfolderDoesNotCount() throws Exception {
    Path file = zip("x.snupkg", entries(
        "content/X.nuspec", nuspec("X", "1.0.0", null),
        "lib/net45/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains("no .nuspec"), e.getMessage());
  }

  @Test
  void nuspecInASubfolderNextToTheRootOneIsIgnored() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"),
        "content/Other.nuspec", nuspec("Other", "9.0.0", null),
        "lib/net45/X.pdb", PDB));
    assertEquals("X", inspector.inspect(file, Kind.SYMBOLS).id());
  }

  @Test
  void symbolPackageWithoutPdb() throws Exception {
    // Only allowed extensions, so that it is the missing PDB that is reported (a .dll would fail first).
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"),
        "lib/net45/X.xml", "<doc/>"));
    assertRejected(file, Rule.PDB_MISSING, "The symbol package does not contain any symbol (.pdb) files");
  }

  @Test
  void invalidId() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("bad..id", "1.0.0", "SymbolsPackage"),
        "lib/net45/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("bad..id"), e.getMessage());
    assertTrue(e.getMessage().contains("package id"), e.getMessage());
  }

  @Test
  void tooLongId() throws Exception {
    String id = "a".repeat(101);
    Path file = zip("x.snupkg", entries("X.nuspec", nuspec(id, "1.0.0", null), "lib/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains("not a valid package id"), e.getMessage());
  }

  @Test
  void invalidVersion() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0-01", "SymbolsPackage"),
        "lib/net45/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("1.0.0-01"), e.getMessage());
    assertTrue(e.getMessage().contains("version"), e.getMessage());
  }

  @Test
  void brokenNuspecIsReportedWithItsEntryName() throws Exception {
    Path file = zip("x.snupkg", entries("X.nuspec", "<package><metadata>", "lib/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
  }

  @Test
  void nuspecBombIsBounded() throws Exception {
    // Highly compressible: a small entry that inflates to more than Nuspec.MAX_BYTES.
    String huge = "<package><metadata><id>X</id><version>1.0</version><description>"
        + "x".repeat(Nuspec.MAX_BYTES * 4) + "</description></metadata></package>";
    Path file = zip("x.snupkg", entries("X.nuspec", huge, "lib/X.pdb", PDB));
    assertTrue(Files.size(file) < Nuspec.MAX_BYTES / 16, "the zip is small: " + Files.size(file));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
  }

  @Test
  void symbolPackagePushedAsPackageIsRejected() throws Exception {
    InvalidPackageException e = rejected(goodSymbols(), Kind.PACKAGE);
    assertTrue(e.getMessage().contains("symbol package endpoint"), e.getMessage());
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
  }

  @Test
  void symbolsPackageTypeIsMatchedIgnoringCase() throws Exception {
    Path file = zip("x.nupkg", entries("X.nuspec", nuspec("X", "1.0.0", "symbolspackage"), "lib/X.pdb", PDB));
    InvalidPackageException e = rejected(file, Kind.PACKAGE);
    assertTrue(e.getMessage().contains("symbol package endpoint"), e.getMessage());
  }

  @Test
  void packageWithPdbButNoSymbolsTypeIsAPackageAndItsPdbsAreNotIndexed() throws Exception {
    Path file = zip("x.nupkg", entries(
        "X.nuspec", nuspec("X", "3.0.0", "Dependency"),
        "lib/net45/X.dll", "MZ",
        "lib/net45/X.pdb", PDB));
    PackageManifest m = inspector.inspect(file, Kind.PACKAGE);
    assertEquals("3.0.0", m.version());
    assertEquals(List.of(), m.pdbEntries(), "only a symbol package's PDBs are read");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry names

  private void assertNameRejected(Rule rule, String name, String reason) throws IOException {
    assertRejected(symbols(name, PDB), rule, name + ": " + reason);
  }

  @Test
  void controlCharactersInANameAreRejected() throws Exception {
    for (String name : List.of("lib/x\u0001.pdb", "lib/x\t.pdb", "lib/x\u007f.pdb", "lib/x.pdb\n")) {
      assertNameRejected(Rule.ENTRY_NAME, name, "the entry name contains control characters");
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      // Windows extracts lib\x.pdb into a folder; it could also hide "..\" from a check on '/' only.
      "lib\\x.pdb      | backslashes are not allowed in entry names",
      "/lib/x.pdb      | absolute paths are not allowed",
      "C:/x.pdb        | drive letters are not allowed in entry names",
      "c:x.pdb         | drive letters are not allowed in entry names",
      // An NTFS alternate data stream: lib/x.pdb:ads writes a hidden stream of lib/x.pdb.
      "lib/x.pdb:ads   | ':' is not allowed in entry names",
      "../x.pdb        | '..' path segments are not allowed",
      "lib/../../x.pdb | '..' path segments are not allowed",
      "lib/..          | '..' path segments are not allowed",
  })
  void nameThatCouldLeaveTheExtractionFolderIsRejected(String name, String reason) throws Exception {
    assertNameRejected(Rule.ENTRY_NAME, name, reason);
  }

  @Test
  void dotsInsideASegmentAreFine() throws Exception {
    PackageManifest m = inspector.inspect(symbols("lib/..x/y..pdb", PDB, "lib/.../z.pdb", PDB), Kind.SYMBOLS);
    assertEquals(List.of("lib/.../z.pdb", "lib/..x/y..pdb", "lib/net45/X.pdb"), m.pdbEntries());
  }

  @ParameterizedTest
  @ValueSource(strings = {"LIB/NET45/x.pdb", "lib//net45/X.pdb", "lib/net45//x.pdb", "./lib/net45/X.pdb",
      "lib/./net45/x.pdb", "lib/net45/X.pdb/", "lib/net45/X.pdb.", "lib/net45/X.pdb ", "lib/net45./X.pdb"})
  void namesThatExtractToTheSameFileAreDuplicates(String name) throws Exception {
    // Case-insensitive file systems, extractors that collapse "//" and "./", and Windows, which drops trailing
    // dots and spaces, would all overwrite lib/net45/X.pdb.
    assertNameRejected(Rule.ENTRY_DUPLICATE, name,
        "duplicates the entry lib/net45/X.pdb (names compare case-insensitively)");
  }

  @Test
  void namesThatDifferOnlyInUnicodeNormalizationAreDuplicates() throws Exception {
    assertNameRejected(Rule.ENTRY_DUPLICATE, "lib/e\u0301.pdb", "duplicates the entry lib/\u00e9.pdb "
        + "(names compare case-insensitively)", "lib/\u00e9.pdb");
  }

  private void assertNameRejected(Rule rule, String name, String reason, String before) throws IOException {
    assertRejected(symbols(before, PDB, name, PDB), rule, name + ": " + reason);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry dates, directories, extensions

  private PackageInspector inspectorAt(Instant now) {
    return new PackageInspector(LIMITS, Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void entryDatedMoreThanADayAheadIsRejected() throws Exception {
    PackageInspector early = inspectorAt(ENTRY_TIME.minus(Duration.ofDays(1)).minusSeconds(2));
    // DOS times have a two-second resolution; 2025-01-01T00:00 is exactly representable.
    assertRejected(early, symbols(), Rule.ENTRY_DATE,
        "X.nuspec: is dated 2025-01-01T00:00:00Z, more than a day in the future");
  }

  @Test
  void entryDatedUpToADayAheadPasses() throws Exception {
    // DOS times carry no zone, so a packer east of UTC writes times that read as hours ahead.
    assertEquals("X", inspectorAt(ENTRY_TIME.minus(Duration.ofHours(12))).inspect(symbols(), Kind.SYMBOLS).id());
    assertEquals("X", inspectorAt(ENTRY_TIME.minus(Duration.ofDays(1))).inspect(symbols(), Kind.SYMBOLS).id());
  }

  @Test
  void directoryEntryWithDataIsRejected() throws Exception {
    assertRejected(symbols("lib/", "data"), Rule.ZIP_STRUCTURE, "lib/: a directory entry has data");
  }

  @Test
  void emptyDirectoryEntryPasses() throws Exception {
    assertEquals(List.of("lib/net45/X.pdb"), inspector.inspect(symbols("lib/", ""), Kind.SYMBOLS).pdbEntries());
  }

  @Test
  void everyAllowedExtensionAndNoExtensionPass() throws Exception {
    Path file = symbols(
        "_rels/.rels", "<Relationships/>",
        "package/services/metadata/core-properties/0123.psmdcp", "<coreProperties/>",
        ".signature.p7s", new byte[] {0x30, (byte) 0x82},
        "lib/net45/X.xml", "<doc/>",
        "content/Other.nuspec", "<package/>", // not at the root: not read, and allowed
        "lib/net45/Y.pdb", PDB,
        "LICENSE", "MIT", // no extension: .NET's Path.GetExtension gives ""
        "lib/foo.", "x"); // a trailing dot is no extension either
    assertEquals(List.of("lib/net45/X.pdb", "lib/net45/Y.pdb"), inspector.inspect(file, Kind.SYMBOLS).pdbEntries());
  }

  @ParameterizedTest
  @CsvSource({
      "lib/net45/X.dll, .dll",
      "lib/net45/Y.PDB, .PDB", // nuget.org compares case-sensitively: X.PDB is neither allowed nor a PDB
      "lib/net45/Y.Pdb, .Pdb",
      "readme.txt, .txt",
      "lib/x.pdb.txt, .txt",
  })
  void extensionOutsideTheAllowListIsRejected(String name, String extension) throws Exception {
    assertNameRejected(Rule.ENTRY_EXTENSION, name, "files with the extension '" + extension + "'" + ALLOWED);
  }

  @Test
  void packageMayHoldAnyExtension() throws Exception {
    Path file = zip("x.nupkg", entries("X.nuspec", nuspec("X", "1.0.0", null), "lib/X.dll", "MZ", "readme.txt", "hi"));
    assertEquals("X", inspector.inspect(file, Kind.PACKAGE).id());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Nuspec metadata of a symbol package

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "                                                                     | it declares none",
      "<packageType name='SymbolsPackage'/><packageType name='Other'/>      | it declares 2 (SymbolsPackage, Other)",
      "<packageType name='Dependency'/>                                     | it declares 'Dependency'",
      "<packageType name='SymbolsPackage' version='1.0'/>     | it gives SymbolsPackage the version '1.0'",
      // .NET's Version(0, 0, 0) is not Version(0, 0), and a blank attribute does not parse: nuget.org refuses both.
      "<packageType name='SymbolsPackage' version='0.0.0'/>   | it gives SymbolsPackage the version '0.0.0'",
      "<packageType name='SymbolsPackage' version=''/>        | it gives SymbolsPackage the version ''",
  })
  void packageTypeMustBeSymbolsPackageAlone(String types, String problem) throws Exception {
    assertRejected(symbolsWithMetadata(DESCRIPTION + (types == null ? "" : packageTypes(types))),
        Rule.NUSPEC_PACKAGE_TYPE, "X.nuspec: a symbol package must declare exactly one package type, SymbolsPackage, "
            + "without a version; " + problem);
  }

  @ParameterizedTest
  @ValueSource(strings = {"<packageType name='SymbolsPackage' version='0.0'/>", "<packageType name='symbolsPACKAGE'/>",
      "<packageType name=' SymbolsPackage '/>"})
  void symbolsPackageTypeWithoutVersionPasses(String type) throws Exception {
    assertEquals("1.0.0", inspector.inspect(symbolsWithMetadata(DESCRIPTION + packageTypes(type)), Kind.SYMBOLS)
        .version());
  }

  @Test
  void authorsAreRejected() throws Exception {
    assertRejected(symbolsWithMetadata(element("authors", "Lab") + DESCRIPTION + SYMBOLS_TYPE),
        Rule.NUSPEC_METADATA, "X.nuspec: a symbol package must not have authors (remove package/metadata/authors)");
  }

  @Test
  void blankAuthorsPass() throws Exception {
    // nuget.org splits authors on ',' and drops blanks: a blank element is no authors.
    Path file = symbolsWithMetadata(element("authors", "  ") + DESCRIPTION + SYMBOLS_TYPE);
    assertEquals("X", inspector.inspect(file, Kind.SYMBOLS).id());
  }

  @Test
  void ownersAreRejectedEvenBlank() throws Exception {
    for (String owners : List.of(element("owners", "Lab"), "    <owners/>\n")) {
      assertRejected(symbolsWithMetadata(owners + DESCRIPTION + SYMBOLS_TYPE), Rule.NUSPEC_METADATA,
          "X.nuspec: a symbol package must not have owners (remove package/metadata/owners)");
    }
  }

  @Test
  void descriptionIsRequired() throws Exception {
    for (String description : List.of("", element("description", " \n "), "    <description/>\n")) {
      assertRejected(symbolsWithMetadata(description + SYMBOLS_TYPE), Rule.NUSPEC_METADATA,
          "X.nuspec: package/metadata/description is required");
    }
  }

  @ParameterizedTest
  @CsvSource({"description, 4000", "title, 256", "summary, 4000", "tags, 4000", "copyright, 4000",
      "releaseNotes, 35000"})
  void metadataLengthLimits(String name, int limit) throws Exception {
    String others = (name.equals("description") ? "" : DESCRIPTION) + SYMBOLS_TYPE;
    Path atLimit = symbolsWithMetadata(element(name, "x".repeat(limit)) + others);
    assertEquals("X", inspector.inspect(atLimit, Kind.SYMBOLS).id());
    assertRejected(symbolsWithMetadata(element(name, "x".repeat(limit + 1)) + others), Rule.NUSPEC_METADATA,
        "X.nuspec: package/metadata/" + name + " is longer than " + limit + " characters");
  }

  @Test
  void versionLongerThan64CharactersIsRejected() throws Exception {
    String version = "1.0.0-" + "a".repeat(58);
    assertEquals(64, version.length());
    Path atLimit = zip("ok.snupkg", entries("X.nuspec", nuspec("X", version, "SymbolsPackage"), "lib/X.pdb", PDB));
    assertEquals(version, inspector.inspect(atLimit, Kind.SYMBOLS).version());
    Path file = zip("x.snupkg", entries("X.nuspec", nuspec("X", version + "a", "SymbolsPackage"), "lib/X.pdb", PDB));
    assertRejected(file, Rule.NUSPEC_VERSION, "X.nuspec: the version is longer than 64 characters");
  }

  // ---------------------------------------------------------------------------------------------------------
  // PDBs

  @Test
  void manifestListsEachPdbIdSortedByPath() throws Exception {
    UUID first = UUID.fromString("8d2f4b1a-0c3e-4f5a-9b6c-7d8e9fa0b1c2");
    UUID second = UUID.fromString("f0e1d2c3-b4a5-4968-8778-695a4b3c2d1e");
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"),
        "lib/netstandard2.0/X.pdb", PortablePdb.write(first, 0x5CB7AC29, 0, true),
        "lib/net8.0/X.pdb", PortablePdb.write(second, 0xFEEDBEEF)));
    assertEquals(List.of(
        new PackageManifest.Pdb("lib/net8.0/X.pdb", "f0e1d2c3b4a549688778695a4b3c2d1e", 0xFEEDBEEFL),
        new PackageManifest.Pdb("lib/netstandard2.0/X.pdb", "8d2f4b1a0c3e4f5a9b6c7d8e9fa0b1c2", 0x5CB7AC29L)),
        inspector.inspect(file, Kind.SYMBOLS).pdbs());
  }

  @Test
  void windowsPdbInASymbolPackageIsRejected() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"), "lib/net45/X.pdb", PortablePdb.windows()));
    assertRejected(file, Rule.PDB_NOT_PORTABLE, "lib/net45/X.pdb: is a Windows PDB; symbol packages must contain "
        + "portable PDBs (build with <DebugType>portable</DebugType>)");
  }

  @Test
  void corruptZipIsReportedRatherThanTheBrokenPdbItCarries() throws Exception {
    byte[] notAPdb = new byte[4096];
    new Random(3).nextBytes(notAPdb);
    byte[] zip = TestPackages.zip(entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"), "lib/net45/X.pdb", notAPdb), ZipEntry.STORED);
    assertRejected(Files.write(dir.resolve("intact.snupkg"), zip), Rule.PDB_NOT_PORTABLE,
        "lib/net45/X.pdb: is not a portable PDB (no BSJB metadata signature)");
    // Stored, so the PDB's bytes are in the file as they are: flip one past what the PDB reader looks at.
    int at = new String(zip, StandardCharsets.ISO_8859_1).indexOf(new String(notAPdb, StandardCharsets.ISO_8859_1));
    assertTrue(at > 0, "the PDB is stored");
    zip[at + notAPdb.length - 1] ^= 1;
    assertRejected(Files.write(dir.resolve("corrupt.snupkg"), zip), Rule.ZIP_CORRUPT,
        "lib/net45/X.pdb: CRC-32 mismatch, the entry is corrupt");
  }
}
