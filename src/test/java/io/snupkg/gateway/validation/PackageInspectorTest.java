package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.validation.PackageInspector.Kind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import io.snupkg.gateway.testing.PortablePdb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageInspectorTest {
  private static final byte[] PDB = PortablePdb.write(java.util.UUID.randomUUID(), 7);

  @TempDir
  Path dir;

  private final PackageInspector inspector = new PackageInspector(
      new ZipReader.Limits(10_000, 64 << 20, 256 << 20), java.time.Clock.systemUTC());

  private static String nuspec(String id, String version, String packageType) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<package xmlns=\"http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd\">\n"
        + "  <metadata>\n"
        + "    <id>" + id + "</id>\n"
        + "    <version>" + version + "</version>\n"
        + ("SymbolsPackage".equalsIgnoreCase(packageType) ? "" : "    <authors>Lab</authors>\n")
        + "    <description>Test package</description>\n"
        + (packageType == null ? ""
            : "    <packageTypes><packageType name=\"" + packageType + "\" /></packageTypes>\n")
        + "  </metadata>\n"
        + "</package>\n";
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
    Path file = dir.resolve(fileName);
    try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }

  private Path goodSymbols() throws IOException {
    return zip("X.1.0.0.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0.0", "SymbolsPackage"),
        "lib/net45/X.pdb", PDB));
  }

  private InvalidPackageException rejected(Path file, Kind kind) {
    return assertThrows(InvalidPackageException.class, () -> inspector.inspect(file, kind));
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
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"),
        "lib/net45/X.dll", "MZ"));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains(".pdb"), e.getMessage());
  }

  @Test
  void upperCasePdbExtensionDoesNotCount() throws Exception {
    Path file = zip("x.snupkg", entries(
        "X.nuspec", nuspec("X", "1.0.0", "SymbolsPackage"),
        "lib/net45/X.PDB", PDB));
    InvalidPackageException e = rejected(file, Kind.SYMBOLS);
    assertTrue(e.getMessage().contains(".pdb"), e.getMessage());
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
}
