package io.snupkg.gateway.testing;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

/**
 * Reading a push body the way a feed does, for {@link TestV3Feed}. The multipart framing is taken apart at the
 * byte level rather than with Vert.x's multipart support: Netty's decoder mishandles a CR that falls on a read
 * boundary, and a stand-in must not have bugs of its own that the gateway would then seem to have.
 */
public final class PushBody {
  private PushBody() {}

  /** The package in a push body: the first part's content for multipart/form-data, else the body itself. */
  public static byte[] nupkg(String contentType, byte[] body) {
    boolean multipart = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    return multipart ? firstPart(contentType, body) : body;
  }

  /** The first part's content, between the blank line after its headers and the next delimiter; null if none. */
  public static byte[] firstPart(String contentType, byte[] body) {
    String boundary = null;
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.regionMatches(true, 0, "boundary=", 0, 9)) {
        boundary = p.substring(9).trim().replaceAll("^\"(.*)\"$", "$1");
      }
    }
    if (boundary == null || boundary.isEmpty()) {
      return null;
    }
    int start = indexOf(body, ascii("--" + boundary), 0);
    int headersEnd = start < 0 ? -1 : indexOf(body, ascii("\r\n\r\n"), start);
    int end = headersEnd < 0 ? -1 : indexOf(body, ascii("\r\n--" + boundary), headersEnd + 4);
    return end < 0 ? null : Arrays.copyOfRange(body, headersEnd + 4, end);
  }

  /** {@code {id, version}} as written in the root nuspec, or null when the package cannot be read. */
  public static String[] idAndVersion(byte[] nupkg) {
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(nupkg))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (!e.getName().contains("/") && e.getName().toLowerCase(Locale.ROOT).endsWith(".nuspec")) {
          Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
              .parse(new ByteArrayInputStream(zip.readAllBytes()));
          return new String[] {doc.getElementsByTagName("id").item(0).getTextContent().trim(),
              doc.getElementsByTagName("version").item(0).getTextContent().trim()};
        }
      }
    } catch (Exception e) {
      return null; // not a zip, bad XML, or no <id> / <version>: a feed answers all of them the same way
    }
    return null;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
