package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Real NuGet packages for tests, laid out as {@code nuget pack -Symbols -SymbolPackageFormat snupkg} lays them out:
 * OPC parts ({@code [Content_Types].xml}, {@code _rels/.rels}, a {@code .psmdcp}), a UTF-8-with-BOM nuspec, and
 * {@code lib/net45/ID.dll} in the nupkg where the snupkg has the matching portable {@code lib/net45/ID.pdb}.
 */
public final class TestPackages {
  /** The DOS time of every entry {@link #zip} writes (DOS times have no zone; the gateway reads them as UTC). */
  public static final java.time.LocalDateTime ENTRY_TIME = java.time.LocalDateTime.of(2025, 1, 1, 0, 0);

  private TestPackages() {}

  /** A package and its symbol package, written as {@code ID.VERSION.nupkg} and {@code ID.VERSION.snupkg}. */
  public record Pair(Path nupkg, Path snupkg) {}

  public static Pair write(Path dir, String id, String version) {
    try {
      Files.createDirectories(dir);
      Path nupkg = dir.resolve(id + "." + version + ".nupkg");
      Path snupkg = dir.resolve(id + "." + version + ".snupkg");
      Files.write(nupkg, nupkg(id, version));
      Files.write(snupkg, snupkg(id, version));
      return new Pair(nupkg, snupkg);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] nupkg(String id, String version) {
    return zip(nupkgEntries(id, version));
  }

  /** The entries of nupkg(id, version), for tests that replace its DLL. */
  public static Map<String, byte[]> nupkgEntries(String id, String version) {
    Map<String, byte[]> entries = opc(id, "dll");
    entries.put(id + ".nuspec", nuspec(id, version, false));
    // A PE whose CodeView entry names the PDB that snupkg(id, version) carries, as a compiler would write it.
    entries.put("lib/net45/" + id + ".dll", PortableExecutable.pe32(
        PortableExecutable.portableCodeView(pdbId(id, version), 0, id + ".pdb")));
    return entries;
  }

  public static byte[] snupkg(String id, String version) {
    return snupkg(id, version, pdbId(id, version));
  }

  /** A snupkg about {@code padding} bytes larger than usual, for size-limit tests. */
  public static byte[] bigSnupkg(String id, String version, int padding) {
    Map<String, byte[]> entries = snupkgEntries(id, version, pdbId(id, version));
    entries.put("lib/net45/" + id + ".pdb", PortablePdb.write(pdbId(id, version), 0, padding));
    return zip(entries);
  }

  /** A snupkg whose PDB has the given id: another GUID makes a byte-different package for the same version. */
  public static byte[] snupkg(String id, String version, UUID pdbGuid) {
    return zip(snupkgEntries(id, version, pdbGuid));
  }

  /** The entries of a good snupkg, in pack order, for tests that derive bad variants from it. */
  public static Map<String, byte[]> snupkgEntries(String id, String version, UUID pdbGuid) {
    Map<String, byte[]> entries = opc(id, "pdb");
    entries.put(id + ".nuspec", nuspec(id, version, true));
    entries.put("lib/net45/" + id + ".pdb", PortablePdb.write(pdbGuid, 0));
    return entries;
  }

  /** Deterministic like a deterministic build: the same id and version give the same PDB id. */
  public static UUID pdbId(String id, String version) {
    return UUID.nameUUIDFromBytes((id + "/" + version).getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] nuspec(String id, String version, boolean symbols) {
    String metadata = symbols
        ? "    <description>Test package " + id + ".</description>\n"
            + "    <packageTypes>\n      <packageType name=\"SymbolsPackage\" />\n    </packageTypes>\n"
        : "    <authors>tests</authors>\n    <requireLicenseAcceptance>false</requireLicenseAcceptance>\n"
            + "    <description>Test package " + id + ".</description>\n";
    String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<package xmlns=\"http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd\">\n"
        + "  <metadata>\n    <id>" + id + "</id>\n    <version>" + version + "</version>\n" + metadata
        + "  </metadata>\n</package>";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    out.writeBytes(xml.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static Map<String, byte[]> opc(String id, String binaryExtension) {
    String psmdcp = "package/services/metadata/core-properties/" + UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8))
        .toString().replace("-", "") + ".psmdcp";
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("_rels/.rels", utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\n"
        + "  <Relationship Type=\"http://schemas.microsoft.com/packaging/2010/07/manifest\" Target=\"/" + id
        + ".nuspec\" Id=\"R6A3C8123FAC4F6FA\" />\n"
        + "  <Relationship Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\""
        + " Target=\"/" + psmdcp + "\" Id=\"R329CB733FC3C7116\" />\n</Relationships>"));
    entries.put("[Content_Types].xml", utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\n"
        + "  <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\" />\n"
        + "  <Default Extension=\"psmdcp\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\" />\n"
        + "  <Default Extension=\"" + binaryExtension + "\" ContentType=\"application/octet\" />\n"
        + "  <Default Extension=\"nuspec\" ContentType=\"application/octet\" />\n</Types>"));
    entries.put(psmdcp, utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<coreProperties xmlns=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\">"
        + "<dc:identifier xmlns:dc=\"http://purl.org/dc/elements/1.1/\">" + id + "</dc:identifier></coreProperties>"));
    return entries;
  }

  public static byte[] zip(Map<String, byte[]> entries) {
    return zip(entries, ZipEntry.DEFLATED);
  }

  /**
   * @param method {@link ZipEntry#STORED} keeps each entry's bytes as they are in the file, for tests that
   *     corrupt an entry's data in place; every entry is dated {@link #ENTRY_TIME}
   */
  public static byte[] zip(Map<String, byte[]> entries, int method) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry entry = new ZipEntry(e.getKey());
        entry.setTimeLocal(ENTRY_TIME); // same input, same bytes
        if (method == ZipEntry.STORED) {
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(e.getValue());
          entry.setMethod(ZipEntry.STORED);
          entry.setSize(e.getValue().length);
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
