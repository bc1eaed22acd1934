package io.snupkg.gateway.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What validation learned from a package: its id as written in the nuspec, its version (normalized) and its
 * symbol files. Travels back over the event bus as JSON.
 */
public record PackageManifest(String id, String version, List<String> pdbEntries) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("version", version).put("pdbs", new JsonArray(pdbEntries));
  }

  public static PackageManifest fromJson(JsonObject json) {
    JsonArray pdbs = json.getJsonArray("pdbs", new JsonArray());
    return new PackageManifest(json.getString("id"), json.getString("version"),
        pdbs.stream().map(String::valueOf).toList());
  }
}
