package io.snupkg.gateway.validation;

import io.snupkg.gateway.validation.PeDebugDirectory.PdbChecksum;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The PdbChecksum of a portable PDB, as a DLL's type-19 debug directory entry records it and nuget.org's symbols
 * validator checks it: the hash of the whole PDB file with its 20-byte id (GUID + stamp, at the start of the
 * {@code #Pdb} stream) read as zeros. The id is left out because the compiler writes it after hashing (in a
 * deterministic build the id is derived from that very hash). The file is streamed, never read whole.
 */
public final class PdbChecksums {
  private static final int ID_SIZE = 20;
  private static final int BUFFER = 64 * 1024;

  private PdbChecksums() {}

  /**
   * @param idOffset where the 20 id bytes start ({@link PortablePdbReader.PdbId#idOffset()})
   * @param algorithm the name as a PdbChecksum entry writes it: {@code SHA256}, {@code SHA384} or {@code SHA512},
   *     case-sensitive
   * @return the hash, or empty for any other algorithm name: the name comes from an uploaded DLL, so an unknown
   *     one is data that cannot match, not a programming error
   * @throws IllegalArgumentException if the id does not lie within the file (the PDB reader checked it does)
   */
  public static Optional<byte[]> hash(Path pdbFile, long idOffset, String algorithm) throws IOException {
    Optional<MessageDigest> digest = digest(algorithm);
    if (digest.isEmpty()) {
      return Optional.empty();
    }
    long size = Files.size(pdbFile);
    if (idOffset < 0 || idOffset > size - ID_SIZE) {
      throw new IllegalArgumentException("PDB id at " + idOffset + " is outside a file of " + size + " bytes");
    }
    MessageDigest md = digest.get();
    byte[] buffer = new byte[BUFFER];
    long position = 0;
    try (InputStream in = Files.newInputStream(pdbFile)) {
      for (int n; (n = in.read(buffer)) > 0; position += n) {
        // Zero the part of [idOffset, idOffset + 20) that falls in this chunk, if any.
        long from = Math.max(idOffset, position);
        long to = Math.min(idOffset + ID_SIZE, position + n);
        if (from < to) {
          Arrays.fill(buffer, (int) (from - position), (int) (to - position), (byte) 0);
        }
        md.update(buffer, 0, n);
      }
    }
    return Optional.of(md.digest());
  }

  /**
   * The validator's rule: at least one of the DLL's PdbChecksum entries matches the PDB. No entries, or only
   * entries with unknown algorithms, is no match. Each algorithm hashes the file once, however many entries name it.
   */
  public static boolean matchesAny(Path pdbFile, long idOffset, List<PdbChecksum> checksums) throws IOException {
    Map<String, Optional<byte[]>> hashes = new HashMap<>();
    for (PdbChecksum checksum : checksums) {
      Optional<byte[]> hash = hashes.get(checksum.algorithm());
      if (hash == null) {
        hash = hash(pdbFile, idOffset, checksum.algorithm());
        hashes.put(checksum.algorithm(), hash);
      }
      if (hash.isPresent() && MessageDigest.isEqual(hash.get(), checksum.hash())) {
        return true;
      }
    }
    return false;
  }

  private static Optional<MessageDigest> digest(String algorithm) {
    String name = switch (algorithm) {
      case "SHA256" -> "SHA-256";
      case "SHA384" -> "SHA-384";
      case "SHA512" -> "SHA-512";
      default -> null;
    };
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(MessageDigest.getInstance(name));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has " + name, e);
    }
  }
}
