package io.snupkg.gateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Strict JSON Schemas for Kubernetes objects, from the {@code schema/validation-schema.json} that each fabric8
 * model jar on the test classpath carries (core, apps, autoscaling, policy, networking, and the Prometheus
 * Operator's monitoring.coreos.com). Those schemas describe fabric8's Java classes, so three changes make them
 * describe what the API server accepts:
 *
 * <ul>
 *   <li>every object with declared properties gets {@code additionalProperties: false}, so that a misspelled or
 *       misplaced field fails here, before any cluster sees it (fabric8 would keep it in a catch-all map, and a
 *       client that applies with lenient field validation would drop it with a warning);
 *   <li>{@code IntOrString}, {@code Quantity} and {@code MicroTime}, objects in Java, become the integer or string,
 *       the quantity string (or number) and the timestamp string they are in YAML;
 *   <li>fabric8's draft-3 style {@code "required": true} on a property becomes the parent's {@code required} list,
 *       and its Java code-generation keywords are dropped.
 * </ul>
 */
final class KubernetesSchemas {
  /** resource.Quantity's grammar: a signed decimal number, then a binary or decimal suffix or an exponent. */
  private static final String QUANTITY_PATTERN = "^[+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
      + "([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
  private static final Set<String> CODEGEN_KEYWORDS = Set.of(
      "javaType", "existingJavaType", "javaInterfaces", "javaOmitEmpty", "serializer", "deserializer");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A resource's definition: the definitions of the file it is in (shared by its resources), and its name. */
  private record Definition(ObjectNode definitions, String name) {}

  private final Map<String, Definition> byApiVersionAndKind;
  private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
  private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

  private KubernetesSchemas(Map<String, Definition> byApiVersionAndKind) {
    this.byApiVersionAndKind = byApiVersionAndKind;
  }

  /** Reads every {@code schema/validation-schema.json} on the class path. */
  static KubernetesSchemas load() {
    Map<String, Definition> index = new HashMap<>();
    try {
      for (URL url : Collections.list(
          KubernetesSchemas.class.getClassLoader().getResources("schema/validation-schema.json"))) {
        JsonNode file;
        try (InputStream in = url.openStream()) {
          file = JSON.readTree(in);
        }
        ObjectNode definitions = (ObjectNode) file.get("definitions");
        for (String name : definitions.properties().stream().map(Map.Entry::getKey).toList()) {
          definitions.set(name, kubernetesShape((ObjectNode) definitions.get(name)));
        }
        definitions.properties().forEach(def -> makeStrict(def.getValue()));
        definitions.properties().forEach(def -> {
          JsonNode properties = def.getValue().path("properties");
          String apiVersion = properties.path("apiVersion").path("default").asText("");
          String kind = properties.path("kind").path("default").asText("");
          if (!apiVersion.isEmpty() && !kind.isEmpty()) {
            index.putIfAbsent(key(apiVersion, kind), new Definition(definitions, def.getKey()));
          }
        });
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (index.isEmpty()) {
      throw new IllegalStateException("no schema/validation-schema.json on the class path (the fabric8 model jars)");
    }
    return new KubernetesSchemas(index);
  }

  /**
   * The schema's complaints about one object, one line each; empty if it is valid. An object whose apiVersion and
   * kind have no schema is a complaint too, so that nothing passes unchecked.
   */
  List<String> validate(Map<String, Object> object) {
    String key = key(String.valueOf(object.get("apiVersion")), String.valueOf(object.get("kind")));
    Definition definition = byApiVersionAndKind.get(key);
    if (definition == null) {
      return List.of("no schema for " + key);
    }
    JsonSchema schema = compiled.computeIfAbsent(key, k -> {
      ObjectNode root = NODES.objectNode();
      root.put("$schema", "http://json-schema.org/draft-07/schema#");
      root.put("$ref", "#/definitions/" + definition.name());
      root.set("definitions", definition.definitions());
      return factory.getSchema(root);
    });
    List<String> messages = new ArrayList<>();
    for (ValidationMessage m : schema.validate(JSON.valueToTree(object))) {
      messages.add(m.getMessage());
    }
    Collections.sort(messages);
    return messages;
  }

  private static String key(String apiVersion, String kind) {
    return apiVersion + " " + kind;
  }

  /** Replaces the Java shapes of the types that are scalars in YAML. */
  private static ObjectNode kubernetesShape(ObjectNode def) {
    String javaType = def.path("javaType").asText(def.path("existingJavaType").asText(""));
    String simpleName = javaType.substring(javaType.lastIndexOf('.') + 1);
    ObjectNode scalar = NODES.objectNode();
    switch (simpleName) {
      case "IntOrString" -> scalar.set("anyOf", NODES.arrayNode()
          .add(NODES.objectNode().put("type", "integer"))
          .add(NODES.objectNode().put("type", "string")));
      case "Quantity" -> scalar.set("anyOf", NODES.arrayNode()
          .add(NODES.objectNode().put("type", "number"))
          .add(NODES.objectNode().put("type", "string").put("pattern", QUANTITY_PATTERN)));
      case "MicroTime" -> scalar.put("type", "string");
      default -> {
        return def;
      }
    }
    return scalar;
  }

  /** additionalProperties false on every object with declared properties; fabric8's own keywords removed. */
  private static void makeStrict(JsonNode node) {
    if (node instanceof ArrayNode array) {
      array.forEach(KubernetesSchemas::makeStrict);
      return;
    }
    if (!(node instanceof ObjectNode schema)) {
      return;
    }
    schema.remove(CODEGEN_KEYWORDS);
    if (schema.get("properties") instanceof ObjectNode properties) {
      ArrayNode required = NODES.arrayNode();
      properties.properties().forEach(p -> {
        if (p.getValue().path("required").isBoolean()) {
          if (p.getValue().path("required").asBoolean()) {
            required.add(p.getKey());
          }
          ((ObjectNode) p.getValue()).remove("required");
        }
        makeStrict(p.getValue());
      });
      if (!required.isEmpty()) {
        schema.set("required", required);
      }
      if (!schema.path("additionalProperties").isObject()) {
        schema.put("additionalProperties", false);
      }
    }
    for (String child : List.of("items", "additionalProperties", "anyOf", "oneOf", "allOf")) {
      if (schema.has(child)) {
        makeStrict(schema.get(child));
      }
    }
  }
}
