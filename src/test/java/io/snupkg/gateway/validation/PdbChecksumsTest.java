package io.snupkg.gateway.validation;

import static io.snupkg.gateway.testing.PortableExecutable.pdbChecksum;
import static io.snupkg.gateway.testing.PortableExecutable.portableCodeView;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.PortableExecutable;
import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.validation.PeDebugDirectory.PdbChecksum;
import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PdbChecksumsTest {
  private static final UUID GUID = UUID.fromString("a43b3872-6e6a-4b3c-b169-1f35f0d6cc48");

  @TempDir
  Path dir;

  /** The reference: the hash of a copy whose 20 bytes at {@code idOffset} were zeroed in memory. */
  private static byte[] zeroedHash(byte[] file, int idOffset, String javaName) throws Exception {
    byte[] copy = file.clone();
    Arrays.fill(copy, idOffset, idOffset + 20, (byte) 0);
    return MessageDigest.getInstance(javaName).digest(copy);
  }

  @ParameterizedTest
  @CsvSource({"SHA256, SHA-256, 32", "SHA384, SHA-384, 48", "SHA512, SHA-512, 64"})
  void eachAlgorithmHashesThePdbWithItsIdZeroed(String algorithm, String javaName, int length) throws Exception {
    byte[] pdb = PortablePdb.write(GUID, 0x5CB7AC29, 1000, true);
    PdbId id = PortablePdbReader.read(new ByteArrayInputStream(pdb), "X.pdb", pdb.length);
    Path file = Files.write(dir.resolve("X.pdb"), pdb);

    byte[] hash = PdbChecksums.hash(file, id.idOffset(), algorithm).orElseThrow();

    assertEquals(length, hash.length);
    assertArrayEquals(zeroedHash(pdb, (int) id.idOffset(), javaName), hash);
    assertFalse(Arrays.equals(MessageDigest.getInstance(javaName).digest(pdb), hash), "the id must not count");
  }

  /** The streamed zeroing is exact wherever the id falls: at the start, the end, or across a buffer boundary. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 123, 65_516, 65_526, 65_536, 131_071, 199_980})
  void zeroingTheIdEqualsHashingAZeroedCopy(int idOffset) throws Exception {
    byte[] data = new byte[200_000];
    new Random(idOffset).nextBytes(data);
    Path file = Files.write(dir.resolve("big.pdb"), data);

    assertArrayEquals(zeroedHash(data, idOffset, "SHA-256"), PdbChecksums.hash(file, idOffset, "SHA256")
        .orElseThrow());
  }

  /** Algorithm names come from the DLL; nuget.org compares them case-sensitively. */
  @ParameterizedTest
  @ValueSource(strings = {"MD5", "SHA1", "sha256", "SHA-256", ""})
  void anUnknownAlgorithmHasNoHash(String algorithm) throws Exception {
    Path file = Files.write(dir.resolve("X.pdb"), PortablePdb.write(GUID, 1));

    assertTrue(PdbChecksums.hash(file, 0, algorithm).isEmpty());
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, 81, Long.MAX_VALUE})
  void anIdOutsideTheFileIsACallerError(long idOffset) throws Exception {
    Path file = Files.write(dir.resolve("X.pdb"), new byte[100]);

    assertThrows(IllegalArgumentException.class, () -> PdbChecksums.hash(file, idOffset, "SHA256"));
  }

  /**
   * The whole check as nuget.org does it, on a DLL and PDB built to match: the CodeView entry matches the PDB id,
   * and one of the checksum entries (not the first) matches the PDB.
   */
  @Test
  void aMatchingDllAndPdbPassTheWholeCheck() throws Exception {
    byte[] pdb = PortablePdb.write(GUID, 0x5CB7AC29, 5000, true);
    Path pdbFile = Files.write(dir.resolve("X.pdb"), pdb);
    PdbId id = PortablePdbReader.read(new ByteArrayInputStream(pdb), "X.pdb", pdb.length);
    byte[] sha256 = zeroedHash(pdb, (int) id.idOffset(), "SHA-256");
    byte[] wrong = zeroedHash(pdb, (int) id.idOffset(), "SHA-384");
    wrong[0] ^= 1;
    Path dll = Files.write(dir.resolve("X.dll"), PortableExecutable.pe32Plus(
        portableCodeView(GUID, 0x5CB7AC29, "/_/obj/X.pdb"), pdbChecksum("MD5", new byte[16]),
        pdbChecksum("SHA384", wrong), pdbChecksum("SHA256", sha256)));

    PeDebugDirectory d = PeDebugDirectory.read(dll);

    assertTrue(d.portableCodeView().orElseThrow().matches(id));
    assertTrue(PdbChecksums.matchesAny(pdbFile, id.idOffset(), d.checksums()));
    assertFalse(PdbChecksums.matchesAny(pdbFile, id.idOffset(), d.checksums().subList(0, 2)), "wrong or unknown");
    assertFalse(PdbChecksums.matchesAny(pdbFile, id.idOffset(), List.of()), "no entry is no match");
  }

  /** A PDB from another build: same GUID and stamp but other content, so the checksum no longer matches. */
  @Test
  void aPdbFromAnotherBuildFailsTheChecksum() throws Exception {
    byte[] built = PortablePdb.write(GUID, 7, 64);
    byte[] rebuilt = PortablePdb.write(GUID, 7, 68);
    PdbId id = PortablePdbReader.read(new ByteArrayInputStream(rebuilt), "X.pdb", rebuilt.length);
    Path pdbFile = Files.write(dir.resolve("X.pdb"), rebuilt);
    List<PdbChecksum> checksums = List.of(new PdbChecksum("SHA256",
        zeroedHash(built, (int) id.idOffset(), "SHA-256")));

    assertFalse(PdbChecksums.matchesAny(pdbFile, id.idOffset(), checksums));
  }
}
