package io.snupkg.gateway.validation;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * What the gateway reads from a {@code .nuspec}: {@code package/metadata/{id,version,description,authors,owners}}
 * and the package types. Parsed with the JDK's StAX reader with DTDs and external entities off (no XXE, no entity
 * expansion), at most {@link #MAX_BYTES} and {@link #MAX_DEPTH} deep. Element names are matched without their
 * namespace, because nuspecs use several schema namespaces (2010/07, 2011/08, 2013/05, ...).
 */
public record Nuspec(String id, String version, String description, boolean hasAuthors, boolean hasOwners,
    List<String> packageTypes) {

  public static final int MAX_BYTES = 1 << 20;
  public static final int MAX_DEPTH = 32;
  private static final XMLInputFactory FACTORY = secureFactory();

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
    String id = null;
    String version = null;
    String description = null;
    boolean authors = false;
    boolean owners = false;
    List<String> types = new ArrayList<>();
    List<String> path = new ArrayList<>();
    XMLStreamReader xml = null;
    try (InputStream bounded = new BoundedInputStream(in, MAX_BYTES, name)) {
      xml = FACTORY.createXMLStreamReader(bounded);
      StringBuilder text = new StringBuilder();
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          path.add(xml.getLocalName());
          if (path.size() > MAX_DEPTH) {
            throw new InvalidPackageException(name + ": XML is nested deeper than " + MAX_DEPTH + " levels");
          }
          text.setLength(0);
          if (path.equals(List.of("package", "metadata", "packageTypes", "packageType"))) {
            String typeName = xml.getAttributeValue(null, "name");
            types.add(typeName == null ? "" : typeName);
          }
        } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
          text.append(xml.getText());
        } else if (event == XMLStreamConstants.ENTITY_REFERENCE || event == XMLStreamConstants.DTD) {
          throw new InvalidPackageException(name + ": DTDs and entity references are not allowed");
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          if (path.size() == 3 && path.get(0).equals("package") && path.get(1).equals("metadata")) {
            String value = text.toString().trim();
            switch (path.get(2)) {
              case "id" -> id = value;
              case "version" -> version = value;
              case "description" -> description = value;
              case "authors" -> authors = !value.isEmpty();
              case "owners" -> owners = true;
              default -> { }
            }
          }
          path.remove(path.size() - 1);
          text.setLength(0);
        }
      }
    } catch (XMLStreamException e) {
      throw new InvalidPackageException(name + ": not well-formed XML (" + firstLine(e.getMessage()) + ")");
    } finally {
      if (xml != null) {
        try {
          xml.close();
        } catch (XMLStreamException ignored) {
          // nothing left to release
        }
      }
    }
    if (id == null || id.isEmpty()) {
      throw new InvalidPackageException(name + ": package/metadata/id is missing");
    }
    if (version == null || version.isEmpty()) {
      throw new InvalidPackageException(name + ": package/metadata/version is missing");
    }
    return new Nuspec(id, version, description, authors, owners, List.copyOf(types));
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
