package io.snupkg.gateway.validation;

import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * What the gateway reads from a {@code .nuspec}: the text of each {@code package/metadata/*} element, whether
 * {@code owners} is present, and the package types. Parsed with the JDK's StAX reader with DTDs and external
 * entities off (no XXE, no entity expansion), at most {@link #MAX_BYTES} and {@link #MAX_DEPTH} deep. The bytes
 * are decoded here, strictly (UTF-8, or UTF-16 with a byte order mark), so that bad bytes are a reason and not
 * the parser's stderr noise. Element names are matched without their namespace, because nuspecs use several
 * schema namespaces (2010/07, 2011/08, 2013/05, ...). A metadata element that appears twice is refused: which
 * one counts would depend on the reader.
 */
public record Nuspec(Map<String, String> metadata, boolean hasOwners, List<PackageType> packageTypes) {

  /** {@code <packageType name="..." version="..."/>}; version is null when absent. */
  public record PackageType(String name, String version) {}

  public static final int MAX_BYTES = 1 << 20;
  public static final int MAX_DEPTH = 32;
  private static final XMLInputFactory FACTORY = secureFactory();

  public String id() {
    return metadata.get("id");
  }

  public String version() {
    return metadata.get("version");
  }

  public String description() {
    return metadata.get("description");
  }

  /** nuget.org treats a blank authors element as absent. */
  public boolean hasAuthors() {
    return !metadata.getOrDefault("authors", "").isEmpty();
  }

  public List<String> packageTypeNames() {
    return packageTypes.stream().map(PackageType::name).toList();
  }

  private static XMLInputFactory secureFactory() {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    return f;
  }

  /** @param name the entry name, for messages */
  public static Nuspec read(InputStream in, String name) throws InvalidPackageException, IOException {
    Map<String, String> metadata = new HashMap<>();
    boolean owners = false;
    List<PackageType> types = new ArrayList<>();
    List<String> path = new ArrayList<>();
    XMLStreamReader xml = null;
    try (InputStream bounded = new BoundedInputStream(in, MAX_BYTES, name)) {
      xml = FACTORY.createXMLStreamReader(decode(bounded.readAllBytes(), name));
      StringBuilder text = new StringBuilder();
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          path.add(xml.getLocalName());
          if (path.size() > MAX_DEPTH) {
            throw xmlError(name + ": XML is nested deeper than " + MAX_DEPTH + " levels");
          }
          text.setLength(0);
          if (path.equals(List.of("package", "metadata", "packageTypes", "packageType"))) {
            String typeName = xml.getAttributeValue(null, "name");
            types.add(new PackageType(typeName == null ? "" : typeName.trim(), xml.getAttributeValue(null, "version")));
          }
        } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
          text.append(xml.getText());
        } else if (event == XMLStreamConstants.ENTITY_REFERENCE || event == XMLStreamConstants.DTD) {
          throw xmlError(name + ": DTDs and entity references are not allowed");
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          if (path.size() == 3 && path.get(0).equals("package") && path.get(1).equals("metadata")) {
            String element = path.get(2);
            owners |= element.equals("owners");
            if (metadata.put(element, text.toString().trim()) != null) {
              throw new InvalidPackageException(Rule.NUSPEC_METADATA,
                  name + ": package/metadata/" + element + " appears more than once");
            }
          }
          path.remove(path.size() - 1);
          text.setLength(0);
        }
      }
    } catch (XMLStreamException e) {
      throw xmlError(name + ": not well-formed XML (" + firstLine(e.getMessage()) + ")");
    } catch (BoundedInputStream.BudgetExceeded e) {
      throw xmlError(e.getMessage());
    } finally {
      if (xml != null) {
        try {
          xml.close();
        } catch (XMLStreamException ignored) {
          // nothing left to release
        }
      }
    }
    if (metadata.getOrDefault("id", "").isEmpty()) {
      throw new InvalidPackageException(Rule.NUSPEC_ID, name + ": package/metadata/id is missing");
    }
    if (metadata.getOrDefault("version", "").isEmpty()) {
      throw new InvalidPackageException(Rule.NUSPEC_VERSION, name + ": package/metadata/version is missing");
    }
    return new Nuspec(Map.copyOf(metadata), owners, List.copyOf(types));
  }

  /** UTF-16 only with its byte order mark, else UTF-8 (an optional BOM skipped); malformed bytes are refused. */
  private static Reader decode(byte[] bytes, String name) throws InvalidPackageException {
    Charset charset = StandardCharsets.UTF_8;
    int skip = 0;
    if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF) {
      skip = 3;
    } else if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xFE) {
      charset = StandardCharsets.UTF_16LE;
      skip = 2;
    } else if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xFF) {
      charset = StandardCharsets.UTF_16BE;
      skip = 2;
    }
    try {
      CharBuffer chars = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, skip, bytes.length - skip));
      return new StringReader(chars.toString());
    } catch (CharacterCodingException e) {
      throw xmlError(name + ": is not valid " + (charset == StandardCharsets.UTF_8 ? "UTF-8" : "UTF-16"));
    }
  }

  private static InvalidPackageException xmlError(String reason) {
    return new InvalidPackageException(Rule.NUSPEC_XML, reason);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    // StAX messages start with "ParseError at [row,col]:[1,2]\nMessage: ..."; keep the part that says what is wrong.
    int idx = message.indexOf("Message:");
    String m = idx >= 0 ? message.substring(idx + 8) : message;
    return m.replaceAll("\\s+", " ").trim();
  }
}
