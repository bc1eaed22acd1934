package io.snupkg.gateway.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What validation learned from a package: its id as written in the nuspec, its version (normalized) and, for a
 * symbol package, each PDB with its id. Travels back over the event bus as JSON.
 */
public record PackageManifest(String id, String version, List<Pdb> pdbs) {

  /** A portable PDB in the package: its entry path, GUID ("N" form) and stamp. */
  public record Pdb(String path, String guid, long stamp) {
    JsonObject toJson() {
      return new JsonObject().put("path", path).put("guid", guid).put("stamp", stamp);
    }

    static Pdb fromJson(JsonObject json) {
      return new Pdb(json.getString("path"), json.getString("guid"), json.getLong("stamp"));
    }
  }

  public List<String> pdbEntries() {
    return pdbs.stream().map(Pdb::path).toList();
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("version", version)
        .put("pdbs", new JsonArray(pdbs.stream().map(Pdb::toJson).toList()));
  }

  public static PackageManifest fromJson(JsonObject json) {
    JsonArray pdbs = json.getJsonArray("pdbs", new JsonArray());
    return new PackageManifest(json.getString("id"), json.getString("version"),
        pdbs.stream().map(o -> Pdb.fromJson((JsonObject) o)).toList());
  }
}
