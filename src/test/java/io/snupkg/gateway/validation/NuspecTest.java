package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NuspecTest {
  private static final String NS = "http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd";

  private static Nuspec read(String xml) throws Exception {
    return Nuspec.read(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "X.nuspec");
  }

  private static InvalidPackageException invalid(String xml) {
    return assertThrows(InvalidPackageException.class, () -> read(xml));
  }

  private static InvalidPackageException invalid(byte[] bytes) {
    return assertThrows(InvalidPackageException.class,
        () -> Nuspec.read(new ByteArrayInputStream(bytes), "X.nuspec"));
  }

  /** Refused for its XML (not for a missing field), with the entry name first. */
  private static InvalidPackageException invalidXml(String xml) {
    InvalidPackageException e = invalid(xml);
    assertEquals(InvalidPackageException.Rule.NUSPEC_XML, e.rule(), e.getMessage());
    assertTrue(e.getMessage().startsWith("X.nuspec: "), e.getMessage());
    return e;
  }

  private static byte[] withBom(int[] bom, String xml, Charset charset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int b : bom) {
      out.write(b);
    }
    out.writeBytes(xml.getBytes(charset));
    return out.toByteArray();
  }

  @Test
  void readsMetadataWithNamespaceAndBom() throws Exception {
    String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        + "<package xmlns=\"" + NS + "\">\n"
        + "  <metadata>\n"
        + "    <id>Lab.Sample</id>\n"
        + "    <version>1.0.0.0</version>\n"
        + "    <authors>Lab</authors>\n"
        + "    <owners>Lab Owners</owners>\n"
        + "    <description><![CDATA[A sample & more]]> package</description>\n"
        + "    <packageTypes>\n"
        + "      <packageType name=\"SymbolsPackage\" />\n"
        + "      <packageType name=\"Dependency\" version=\"1.0\" />\n"
        + "    </packageTypes>\n"
        + "  </metadata>\n"
        + "</package>\n";
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    bytes.write(xml.getBytes(StandardCharsets.UTF_8));
    Nuspec n = Nuspec.read(new ByteArrayInputStream(bytes.toByteArray()), "Lab.Sample.nuspec");
    assertEquals("Lab.Sample", n.id());
    assertEquals("1.0.0.0", n.version());
    assertEquals("A sample & more package", n.description());
    assertTrue(n.hasAuthors());
    assertTrue(n.hasOwners());
    assertEquals(List.of("SymbolsPackage", "Dependency"), n.packageTypeNames());
    assertEquals(List.of(new Nuspec.PackageType("SymbolsPackage", null), new Nuspec.PackageType("Dependency", "1.0")),
        n.packageTypes(), "the version attribute is read, and null when absent");
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE"})
  void utf16WithByteOrderMarkIsRead(String charsetName) throws Exception {
    // Windows editors save "Unicode" text as UTF-16 with a BOM, and NuGet reads such nuspecs.
    Charset charset = Charset.forName(charsetName);
    int[] bom = charset == StandardCharsets.UTF_16LE ? new int[] {0xFF, 0xFE} : new int[] {0xFE, 0xFF};
    String xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<package xmlns=\"" + NS + "\"><metadata>"
        + "<id>Lab.Utf16</id><version>1.0.0</version><description>Zürich \u20ac \ud83d\ude00</description>"
        + "</metadata></package>";
    Nuspec n = Nuspec.read(new ByteArrayInputStream(withBom(bom, xml, charset)), "X.nuspec");
    assertEquals("Lab.Utf16", n.id());
    assertEquals("Zürich \u20ac \ud83d\ude00", n.description());
  }

  @Test
  void invalidUtf16IsRejected() {
    // An odd byte count cannot be UTF-16: the last code unit is cut.
    InvalidPackageException e = invalid(new byte[] {(byte) 0xFF, (byte) 0xFE, '<', 0, 'p'});
    assertEquals(InvalidPackageException.Rule.NUSPEC_XML, e.rule());
    assertEquals("X.nuspec: is not valid UTF-16", e.getMessage());
  }

  @Test
  void metadataElementThatAppearsTwiceIsRejected() {
    // Which <id> would count depends on the reader; NuGet and the gateway must not disagree about the id.
    InvalidPackageException e = invalid(
        "<package><metadata><id>Good</id><version>1.0</version><id>Evil</id></metadata></package>");
    assertEquals(InvalidPackageException.Rule.NUSPEC_METADATA, e.rule());
    assertEquals("X.nuspec: package/metadata/id appears more than once", e.getMessage());
  }

  @Test
  void sameElementInAnotherPlaceIsNotADuplicate() throws Exception {
    Nuspec n = read("<package><metadata><id>X</id><version>1.0</version>"
        + "<dependencies><group><dependency id=\"Y\" version=\"1.0\"/></group></dependencies>"
        + "<repository><id>not metadata</id></repository></metadata><files><file><id>Z</id></file></files></package>");
    assertEquals("X", n.id());
  }

  @Test
  void readsWithoutNamespaceAndTrimsValues() throws Exception {
    Nuspec n = read("<package><metadata><id>  A.B \n</id><version>\n 2.0.0-beta </version></metadata></package>");
    assertEquals("A.B", n.id());
    assertEquals("2.0.0-beta", n.version());
    assertNull(n.description());
    assertFalse(n.hasAuthors());
    assertFalse(n.hasOwners());
    assertEquals(List.of(), n.packageTypeNames());
  }

  @Test
  void otherNamespacesAndPrefixesAreMatchedByLocalName() throws Exception {
    Nuspec n = read("<n:package xmlns:n=\"http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd\">"
        + "<n:metadata><n:id>P</n:id><n:version>1.2</n:version><n:authors> </n:authors></n:metadata></n:package>");
    assertEquals("P", n.id());
    assertEquals("1.2", n.version());
    assertFalse(n.hasAuthors(), "blank authors do not count");
  }

  @Test
  void idOutsideMetadataIsIgnored() {
    InvalidPackageException e = invalid(
        "<package><id>Wrong</id><metadata><version>1.0</version><files><id>Deep</id></files></metadata></package>");
    assertTrue(e.getMessage().contains("id"), e.getMessage());
  }

  @Test
  void escapedCharactersAreDecoded() throws Exception {
    assertEquals("a<b>&c", read("<package><metadata><id>X</id><version>1.0</version>"
        + "<description>a&lt;b&gt;&amp;c</description></metadata></package>").description());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void rejectsExternalEntity() {
    String xml = "<?xml version=\"1.0\"?>\n"
        + "<!DOCTYPE package [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
        + "<package><metadata><id>&xxe;</id><version>1.0.0</version></metadata></package>";
    InvalidPackageException e = invalidXml(xml);
    assertEquals("X.nuspec: DTDs and entity references are not allowed", e.getMessage());
    assertFalse(e.getMessage().contains("root:"), "no file content leaks: " + e.getMessage());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void rejectsExternalDtd() {
    InvalidPackageException e = invalidXml("<?xml version=\"1.0\"?>\n"
        + "<!DOCTYPE package SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n"
        + "<package><metadata><id>X</id><version>1.0.0</version></metadata></package>");
    assertEquals("X.nuspec: DTDs and entity references are not allowed", e.getMessage());
  }

  @Test
  void rejectsAnyDoctype() {
    // Even a harmless one: "no DTD at all" is a rule that needs no judgement of what a DTD could do.
    InvalidPackageException e = invalidXml(
        "<!DOCTYPE package>\n<package><metadata><id>X</id><version>1.0.0</version></metadata></package>");
    assertEquals("X.nuspec: DTDs and entity references are not allowed", e.getMessage());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void rejectsBillionLaughs() {
    StringBuilder dtd = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE package [\n");
    dtd.append(" <!ENTITY lol \"lol\">\n");
    dtd.append(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for (int i = 2; i <= 9; i++) {
      String prev = "&lol" + (i - 1) + ";";
      dtd.append(" <!ENTITY lol").append(i).append(" \"").append(prev.repeat(10)).append("\">\n");
    }
    dtd.append("]>\n<package><metadata><id>&lol9;</id><version>1.0.0</version></metadata></package>");
    InvalidPackageException e = invalidXml(dtd.toString());
    assertEquals("X.nuspec: DTDs and entity references are not allowed", e.getMessage());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void rejectsUndeclaredEntityReference() {
    InvalidPackageException e =
        invalidXml("<package><metadata><id>&foo;</id><version>1.0.0</version></metadata></package>");
    assertTrue(e.getMessage().contains("not well-formed XML"), e.getMessage());
  }

  private static String nested(int depth) {
    // package/metadata/id and version at depth 3, plus a chain in <description> reaching 'depth' in total.
    StringBuilder sb = new StringBuilder("<package><metadata><id>X</id><version>1.0</version><description>");
    for (int i = 4; i <= depth; i++) {
      sb.append("<e>");
    }
    for (int i = 4; i <= depth; i++) {
      sb.append("</e>");
    }
    return sb.append("</description></metadata></package>").toString();
  }

  @Test
  void thirtyTwoLevelsAreAllowed() throws Exception {
    assertEquals("X", read(nested(32)).id());
  }

  @Test
  void deeperThanThirtyTwoLevelsIsRejected() {
    InvalidPackageException e = invalid(nested(33));
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("32"), e.getMessage());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void veryDeepNestingIsRejectedQuickly() {
    invalid("<a>".repeat(100_000));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void moreThanOneMebibyteIsRejected() {
    String head = "<package><metadata><id>X</id><version>1.0</version><description>";
    String tail = "</description></metadata></package>";
    String xml = head + "x".repeat(Nuspec.MAX_BYTES) + tail;
    InvalidPackageException e = invalidXml(xml);
    assertEquals("X.nuspec: larger than " + Nuspec.MAX_BYTES + " bytes when inflated", e.getMessage());
  }

  @Test
  void justUnderOneMebibyteIsRead() throws Exception {
    String head = "<package><metadata><id>X</id><version>1.0</version><description>";
    String tail = "</description></metadata></package>";
    String xml = head + "x".repeat(Nuspec.MAX_BYTES - head.length() - tail.length()) + tail;
    assertEquals(Nuspec.MAX_BYTES, xml.length());
    assertEquals(Nuspec.MAX_BYTES - head.length() - tail.length(), read(xml).description().length());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void endlessStreamIsCutOff() {
    // A stream that never ends (e.g. a zip bomb): only MAX_BYTES are read before the rejection.
    InputStream endless = new InputStream() {
      private final byte[] head = "<package><metadata><description>".getBytes(StandardCharsets.US_ASCII);
      private long pos;

      @Override
      public int read() {
        return pos < head.length ? head[(int) pos++] : 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
          b[off + i] = (byte) read();
        }
        return len;
      }
    };
    // A reason for the client (NUSPEC_XML), not an IOException that would read as the gateway's own failure.
    InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> Nuspec.read(endless, "X.nuspec"));
    assertEquals(InvalidPackageException.Rule.NUSPEC_XML, e.rule());
    assertEquals("X.nuspec: larger than " + Nuspec.MAX_BYTES + " bytes when inflated", e.getMessage());
  }

  @Test
  void missingIdNamesEntryAndField() {
    InvalidPackageException e = invalid("<package><metadata><version>1.0</version></metadata></package>");
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("id"), e.getMessage());
  }

  @Test
  void emptyIdIsMissing() {
    InvalidPackageException e = invalid("<package><metadata><id> </id><version>1.0</version></metadata></package>");
    assertTrue(e.getMessage().contains("X.nuspec") && e.getMessage().contains("id"), e.getMessage());
  }

  @Test
  void missingVersionNamesEntryAndField() {
    InvalidPackageException e = invalid("<package><metadata><id>X</id></metadata></package>");
    assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
    assertTrue(e.getMessage().contains("version"), e.getMessage());
  }

  @Test
  void notWellFormedStartsWithEntryName() {
    for (String xml : new String[] {
      "<package><metadata><id>X</id><version>1.0</version></metadata>",
      "<package><metadata><id>X</version></metadata></package>",
      "not xml at all",
      "",
      "<package></package><package></package>",
    }) {
      InvalidPackageException e = invalid(xml);
      assertTrue(e.getMessage().startsWith("X.nuspec"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void invalidUtf8IsRejected() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("<package><metadata><id>X".getBytes(StandardCharsets.US_ASCII));
    out.write(0xC3);
    out.write(0x28);
    out.writeBytes("</id><version>1.0</version></metadata></package>".getBytes(StandardCharsets.US_ASCII));
    // Bad bytes must become the client's reason, not parser noise on the gateway's stderr.
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    InvalidPackageException e;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      e = invalid(out.toByteArray());
    } finally {
      System.setErr(original);
    }
    assertEquals(InvalidPackageException.Rule.NUSPEC_XML, e.rule());
    assertEquals("X.nuspec: is not valid UTF-8", e.getMessage());
    assertEquals("", err.toString(StandardCharsets.UTF_8), "nothing printed to System.err");
  }
}
