package io.snupkg.gateway.storage;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.validation.PackageId;
import java.util.Locale;

/**
 * DESIGN's rule for a symbol push against the record of its id and version, in one place for both backends: the
 * bytes pending (or, with nothing pending, the bytes served) again are a retry; anything else while a push is
 * pending is a conflict; otherwise the push becomes the pending one.
 */
public final class SymbolPushRule {
  private SymbolPushRule() {}

  public enum Decision { SAME, CONFLICT, NEW }

  public static Decision decide(SymbolPackageRecord record, String sha512) {
    if (record.pending().isPresent()) {
      return record.pending().get().sha512().equals(sha512) ? Decision.SAME : Decision.CONFLICT;
    }
    return record.available().map(a -> a.sha512().equals(sha512)).orElse(false) ? Decision.SAME : Decision.NEW;
  }

  public static Rejection conflict(String id, String version) {
    return Rejection.conflict("A different symbol package for " + id + " " + version
        + " is still pending validation; wait for it to finish before replacing it");
  }

  /** Where a snupkg is stored: named by its hash, so a newer push sits beside the served one until it replaces it. */
  public static String snupkgKey(String id, String normalizedVersion, String sha512) {
    return "symbols/" + PackageId.lower(id) + "/" + normalizedVersion.toLowerCase(Locale.ROOT) + "/" + sha512
        + ".snupkg";
  }
}
