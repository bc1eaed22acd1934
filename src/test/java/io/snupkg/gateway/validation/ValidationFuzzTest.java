package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Fuzzes the readers that see untrusted bytes: the whole package inspection (zip walker, names, nuspec, PDBs), the
 * nuspec reader and the portable PDB reader. A finding is any exception other than {@link InvalidPackageException}
 * (which a push answers as 400; anything else would be a 500 or a dead worker), or an input that takes longer than
 * {@code fuzz.inputTimeout} seconds (a hang).
 *
 * <p>{@code mvn verify} replays the seeds in {@code ValidationFuzzTestInputs/} in the main test run, then fuzzes
 * each target for {@code fuzz.duration} (20 s) in its own surefire execution (see pom.xml). A long local run of
 * one target: {@code mvn -B test-compile surefire:test@fuzz-zip -Dfuzz.duration=30m} (or {@code @fuzz-nuspec},
 * {@code @fuzz-pdb}); findings are written to {@code target/jazzer/}, and copying one into the target's seed
 * folder turns it into a regression test.
 */
class ValidationFuzzTest {
  /** Small budgets keep each input fast; the budget logic is the same at any size. */
  private static final PackageInspector INSPECTOR =
      new PackageInspector(new ZipReader.Limits(64, 1 << 20, 4 << 20), Clock.systemUTC());
  private static final Path FILE = tempFile();

  private static Path tempFile() {
    try {
      Path file = Files.createTempFile("snupkg-fuzz", ".zip");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void fuzzPackage(byte[] data) throws IOException {
    Files.write(FILE, data);
    for (PackageInspector.Kind kind : PackageInspector.Kind.values()) {
      try {
        PackageManifest manifest = INSPECTOR.inspect(FILE, kind);
        assertFalse(manifest.id().isEmpty());
        assertEquals(manifest.version(), NuGetVersion.parse(manifest.version()).orElseThrow().normalized());
      } catch (InvalidPackageException expected) {
        assertFalse(expected.getMessage().isBlank(), "every rejection has a reason");
      }
    }
  }

  @FuzzTest
  void fuzzNuspec(byte[] data) throws IOException {
    try {
      Nuspec nuspec = Nuspec.read(new ByteArrayInputStream(data), "X.nuspec");
      assertFalse(nuspec.id().isEmpty());
    } catch (InvalidPackageException expected) {
      assertFalse(expected.getMessage().isBlank(), "every rejection has a reason");
    }
  }

  @FuzzTest
  void fuzzPdb(byte[] data) throws IOException {
    try {
      PortablePdbReader.PdbId id = PortablePdbReader.read(new ByteArrayInputStream(data), "x.pdb", data.length);
      assertEquals(32, id.guid().length());
    } catch (InvalidPackageException expected) {
      assertFalse(expected.getMessage().isBlank(), "every rejection has a reason");
    }
  }
}
