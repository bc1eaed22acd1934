package io.snupkg.gateway.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.flipkart.zjsonpatch.JsonPatch;
import com.flipkart.zjsonpatch.JsonPatchApplicationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code kustomize build DIR} for the part of kustomize that {@code k8s/} uses, so that the test checks the objects an
 * apply would send without a kustomize binary: {@code resources} (files, and directories built first, as bases),
 * {@code configMapGenerator} with behavior create or replace, and {@code patches} that are JSON patches (RFC 6902)
 * with a target. Anything else in a kustomization fails the build rather than being ignored, so that a manifest
 * change the test cannot follow is noticed.
 *
 * <p>kustomize's own refusals are kept, since a layout the test builds but kustomize does not would be worse than
 * none: a base directory that is the overlay's own directory or one above it ("cycle detected"), a file outside
 * the kustomization's directory (the default load restrictor), a resource id added twice, and a replace with no
 * object to replace. One check is stricter than kustomize: a patch whose target matches nothing fails, where
 * kustomize would silently apply nothing.
 */
final class Kustomize {
  /** One object of the output, and where it came from, for messages. */
  record Resource(String origin, Map<String, Object> object) {}

  private static final Set<String> FIELDS = Set.of("apiVersion", "kind", "resources", "configMapGenerator", "patches");
  private static final Set<String> GENERATOR_FIELDS = Set.of("name", "behavior", "files", "options");
  private static final Set<String> PATCH_FIELDS = Set.of("path", "patch", "target");
  private static final Set<String> TARGET_FIELDS = Set.of("group", "version", "kind", "name");
  private static final ObjectMapper JSON = new ObjectMapper();

  private Kustomize() {}

  static List<Resource> build(Path dir) throws IOException {
    return build(dir.toAbsolutePath().normalize(), List.of());
  }

  private static List<Resource> build(Path root, List<Path> referrers) throws IOException {
    Map<String, Object> kustomization = map(yaml().load(Files.readString(root.resolve("kustomization.yaml"))),
        root + "/kustomization.yaml");
    for (String field : kustomization.keySet()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalStateException(root + "/kustomization.yaml: " + field + " is not built by this test's "
            + "kustomize (Kustomize.java); build it there, or leave it out");
      }
    }
    require(root, "kustomize.config.k8s.io/v1beta1".equals(kustomization.get("apiVersion"))
        && "Kustomization".equals(kustomization.get("kind")), "apiVersion and kind of a Kustomization");

    List<Path> visited = new ArrayList<>(referrers);
    visited.add(root);
    List<Resource> out = new ArrayList<>();
    for (String entry : strings(kustomization.getOrDefault("resources", List.of()))) {
      Path path = root.resolve(entry).normalize();
      if (Files.isDirectory(path)) {
        for (Path seen : visited) {
          if (seen.startsWith(path)) {
            throw new IllegalStateException(
                "cycle detected: candidate root '" + path + "' contains visited root '" + seen + "'");
          }
        }
        for (Resource r : build(path, visited)) {
          add(out, r);
        }
      } else {
        for (Object document : yaml().loadAll(Files.readString(inRoot(root, entry)))) {
          if (document != null) {
            add(out, new Resource(root.getFileName().resolve(root.relativize(path)).toString(),
                map(document, path.toString())));
          }
        }
      }
    }

    for (Object g : list(kustomization.getOrDefault("configMapGenerator", List.of()))) {
      generate(root, map(g, "configMapGenerator"), out);
    }
    for (Object p : list(kustomization.getOrDefault("patches", List.of()))) {
      patch(root, map(p, "patches"), out);
    }
    return out;
  }

  private static void generate(Path root, Map<String, Object> generator, List<Resource> out) throws IOException {
    for (String field : generator.keySet()) {
      require(root, GENERATOR_FIELDS.contains(field), "configMapGenerator: " + field + " is not built by this test");
    }
    // A hash suffix would rename the ConfigMap and every reference to it, which this test does not do.
    require(root, Map.of("disableNameSuffixHash", true).equals(generator.get("options")),
        "configMapGenerator: options must be exactly disableNameSuffixHash: true");
    String name = String.valueOf(generator.get("name"));
    Map<String, Object> data = new LinkedHashMap<>();
    for (String file : strings(generator.getOrDefault("files", List.of()))) {
      String[] keyAndPath = file.split("=", 2);
      Path path = inRoot(root, keyAndPath[keyAndPath.length - 1]);
      data.put(keyAndPath.length == 2 ? keyAndPath[0] : path.getFileName().toString(), Files.readString(path));
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("name", name);
    Map<String, Object> configMap = new LinkedHashMap<>();
    configMap.put("apiVersion", "v1");
    configMap.put("kind", "ConfigMap");
    configMap.put("metadata", metadata);
    configMap.put("data", data);
    String origin = "configMapGenerator " + name + " of " + root.getFileName() + "/kustomization.yaml";

    String behavior = String.valueOf(generator.getOrDefault("behavior", "create"));
    switch (behavior) {
      case "create" -> add(out, new Resource(origin, configMap));
      case "replace" -> {
        List<Integer> matches = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
          if (id(out.get(i).object()).equals(id(configMap))) {
            matches.add(i);
          }
        }
        require(root, matches.size() == 1, "configMapGenerator " + name + ": no ConfigMap " + name + " to replace");
        Map<String, Object> old = out.get(matches.get(0)).object();
        // As kustomize's CopyMergeMetaDataFieldsFrom: the old labels and annotations, overridden by the new ones.
        Map<String, Object> oldMetadata = map(old.get("metadata"), "metadata");
        for (String field : List.of("labels", "annotations")) {
          if (oldMetadata.get(field) != null) {
            metadata.put(field, new LinkedHashMap<>(map(oldMetadata.get(field), field)));
          }
        }
        if (oldMetadata.get("namespace") != null) {
          metadata.put("namespace", oldMetadata.get("namespace"));
        }
        out.set(matches.get(0), new Resource(origin, configMap));
      }
      default -> throw new IllegalStateException(root + ": configMapGenerator behavior " + behavior
          + " is not built by this test");
    }
  }

  private static void patch(Path root, Map<String, Object> entry, List<Resource> out) throws IOException {
    for (String field : entry.keySet()) {
      require(root, PATCH_FIELDS.contains(field), "patches: " + field + " is not built by this test");
    }
    String source = entry.containsKey("path") ? String.valueOf(entry.get("path")) : "an inline patch";
    String text = entry.containsKey("path") ? Files.readString(inRoot(root, source))
        : String.valueOf(entry.get("patch"));
    Object operations = yaml().load(text);
    require(root, operations instanceof List<?>, "patches: " + source + " is not a JSON patch (a list of "
        + "operations); strategic-merge patches are not applied by this test");
    require(root, entry.get("target") instanceof Map<?, ?>, "patches: " + source + " needs a target");
    Map<String, Object> target = map(entry.get("target"), "target");
    for (String field : target.keySet()) {
      require(root, TARGET_FIELDS.contains(field), "patches: target " + field + " is not selected by this test");
    }
    JsonNode patch = JSON.valueToTree(operations);
    int matched = 0;
    for (int i = 0; i < out.size(); i++) {
      Map<String, Object> object = out.get(i).object();
      if (!selects(target, object)) {
        continue;
      }
      matched++;
      JsonNode patched;
      try {
        patched = JsonPatch.apply(patch, JSON.valueToTree(object));
      } catch (JsonPatchApplicationException e) {
        throw new IllegalStateException(root.getFileName() + "/" + source + " does not apply to " + id(object)
            + ": " + e.getMessage(), e);
      }
      out.set(i, new Resource(out.get(i).origin() + ", patched by " + source,
          JSON.convertValue(patched, new TypeReference<LinkedHashMap<String, Object>>() {})));
    }
    require(root, matched > 0, "patches: " + source + " matches no object (kustomize would skip it silently)");
  }

  /** A patch target: group and version from apiVersion ("apps/v1"; the core group is ""), kind, and name. */
  private static boolean selects(Map<String, Object> target, Map<String, Object> object) {
    String apiVersion = String.valueOf(object.get("apiVersion"));
    int slash = apiVersion.indexOf('/');
    Map<String, String> actual = Map.of(
        "group", slash < 0 ? "" : apiVersion.substring(0, slash),
        "version", apiVersion.substring(slash + 1),
        "kind", String.valueOf(object.get("kind")),
        "name", String.valueOf(map(object.get("metadata"), "metadata").get("name")));
    return target.entrySet().stream().allMatch(t -> Objects.equals(String.valueOf(t.getValue()),
        actual.get(t.getKey())));
  }

  private static void add(List<Resource> out, Resource resource) {
    String id = id(resource.object());
    for (Resource r : out) {
      if (id(r.object()).equals(id)) {
        throw new IllegalStateException("may not add resource with an already registered id: " + id + " ("
            + r.origin() + ", " + resource.origin() + ")");
      }
    }
    out.add(resource);
  }

  /** kustomize's ResId: group, version, kind, namespace and name. */
  static String id(Map<String, Object> object) {
    Map<String, Object> metadata = map(object.get("metadata"), "metadata");
    return object.get("apiVersion") + " " + object.get("kind") + " "
        + Objects.requireNonNullElse(metadata.get("namespace"), "") + "/" + metadata.get("name");
  }

  /** The default load restrictor: a file must be in or below the kustomization's directory. */
  private static Path inRoot(Path root, String entry) {
    Path path = root.resolve(entry).normalize();
    if (!path.startsWith(root)) {
      throw new IllegalStateException("security; file '" + path + "' is not in or below '" + root + "'");
    }
    return path;
  }

  private static void require(Path root, boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException(root + "/kustomization.yaml: " + what);
    }
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node, String what) {
    if (!(node instanceof Map<?, ?>)) {
      throw new IllegalStateException(what + ": expected a mapping, found " + node);
    }
    return (Map<String, Object>) node;
  }

  private static List<?> list(Object node) {
    if (!(node instanceof List<?> l)) {
      throw new IllegalStateException("expected a list, found " + node);
    }
    return l;
  }

  private static List<String> strings(Object node) {
    return list(node).stream().map(String::valueOf).toList();
  }
}
