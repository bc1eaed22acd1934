package io.snupkg.gateway.symbols;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a PDB is kept for the Simple Symbol Query Protocol: {@code ssqp/{file}/{key}/{file}} in the blob store,
 * lowercased, so that a request in any case finds it with one lookup, whatever the number of PDBs stored.
 */
public final class SsqpKeys {
  /** What a request path segment may be: no dots first, no separators, nothing to escape. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}");

  private SsqpKeys() {}

  /** Whether a file name or key can be asked for (and so is worth storing): the download route's rule. */
  public static boolean validSegment(String segment) {
    return segment != null && SEGMENT.matcher(segment).matches() && !segment.contains("..");
  }

  /** A portable PDB's key: its GUID ("N" form) and the literal age {@code FFFFFFFF}. */
  public static String portablePdbKey(String guidN) {
    return guidN.toLowerCase(Locale.ROOT) + "ffffffff";
  }

  public static String storageKey(String fileName, String key) {
    String file = fileName.toLowerCase(Locale.ROOT);
    return "ssqp/" + file + "/" + key.toLowerCase(Locale.ROOT) + "/" + file;
  }
}
