package io.snupkg.gateway.publish;

import io.snupkg.gateway.symbols.SsqpKeys;
import io.snupkg.gateway.validation.InvalidPackageException;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.PdbChecksums;
import io.snupkg.gateway.validation.PeDebugDirectory;
import io.snupkg.gateway.validation.PortablePdbReader;
import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import io.snupkg.gateway.validation.ZipReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * nuget.org's symbols validator, as its source does it (Validation.Symbols, nuget-protocol.md §3.6): every PDB in
 * the snupkg must have a DLL or EXE at the same path in the nupkg, whose first portable CodeView entry names this
 * PDB's id (GUID and stamp); where the DLL has PdbChecksum entries, one of them must equal the PDB's hash with its
 * id zeroed. A DLL without such an entry passes unless {@code requirePdbChecksum}. Blocking; for the publisher's
 * worker only. Each PDB is extracted to the work directory, where the publisher picks it up to index it.
 */
public final class SymbolMatcher {
  /** A PDB that matched: its file name, its SSQP key and where it was extracted. */
  public record Matched(String fileName, String ssqpKey, Path file) {}

  /** All PDBs matched (then {@code reasons} is empty), or why not. */
  public record Result(List<Matched> pdbs, List<String> reasons) {
    public boolean matched() {
      return reasons.isEmpty();
    }
  }

  private final ZipReader.Limits limits;
  private final boolean requirePdbChecksum;

  public SymbolMatcher(ZipReader.Limits limits, boolean requirePdbChecksum) {
    this.limits = limits;
    this.requirePdbChecksum = requirePdbChecksum;
  }

  public Result match(Path snupkg, Path nupkg, Path workDir) throws IOException {
    List<String> reasons = new ArrayList<>();
    List<Matched> matched = new ArrayList<>();
    try (ZipReader symbols = ZipReader.open(snupkg, limits, "symbol package");
        ZipReader packages = ZipReader.open(nupkg, limits, "package")) {
      Map<String, ZipReader.Entry> binaries = new HashMap<>();
      for (ZipReader.Entry e : packages.entries()) {
        String lower = e.name().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".dll") || lower.endsWith(".exe")) {
          binaries.putIfAbsent(lower.substring(0, lower.length() - 4), e);
        }
      }
      int n = 0;
      for (ZipReader.Entry pdb : symbols.entries()) {
        if (!PackageInspector.isPdb(pdb)) {
          continue;
        }
        String base = pdb.name().substring(0, pdb.name().length() - 4).toLowerCase(Locale.ROOT);
        ZipReader.Entry binary = binaries.get(base);
        if (binary == null) {
          reasons.add(pdb.name() + ": the package has no DLL or EXE at the same path");
          continue;
        }
        Path pdbFile = extract(symbols, pdb, workDir.resolve("pdb-" + n));
        Path peFile = extract(packages, binary, workDir.resolve("pe-" + n));
        n++;
        PdbId id = readId(pdbFile, pdb.name());
        checkPair(pdb.name(), pdbFile, id, binary.name(), peFile).ifPresentOrElse(reasons::add, () -> {
          String fileName = pdb.name().substring(pdb.name().lastIndexOf('/') + 1);
          matched.add(new Matched(fileName, SsqpKeys.portablePdbKey(id.guid()), pdbFile));
        });
      }
    } catch (InvalidPackageException e) {
      reasons.add(e.getMessage()); // the nupkg itself is broken (the snupkg was checked at push)
    }
    for (Matched m : matched) {
      if (!SsqpKeys.validSegment(m.fileName())) {
        reasons.add(m.fileName() + ": the file name cannot be served to debuggers (letters, digits, '.', '_', '-')");
      }
    }
    return new Result(reasons.isEmpty() ? List.copyOf(matched) : List.of(), List.copyOf(reasons));
  }

  /** Why the pair does not match, or empty when it does. */
  private Optional<String> checkPair(String pdbName, Path pdbFile, PdbId id, String peName, Path peFile)
      throws IOException {
    PeDebugDirectory debug;
    try {
      debug = PeDebugDirectory.read(peFile);
    } catch (PeDebugDirectory.PeFormatException e) {
      return Optional.of(peName + ": cannot be read as a PE file (" + e.getMessage() + ")");
    }
    Optional<PeDebugDirectory.CodeView> codeView = debug.portableCodeView();
    if (codeView.isEmpty()) {
      return Optional.of(peName + ": has no portable PDB CodeView entry, so no PDB can match it");
    }
    if (!codeView.get().guid().equals(id.guid()) || codeView.get().stamp() != id.stamp()) {
      return Optional.of(pdbName + ": does not match " + peName + " (the DLL expects PDB id " + codeView.get().guid()
          + "-" + Long.toHexString(codeView.get().stamp()) + ", the PDB is " + id.guid() + "-"
          + Long.toHexString(id.stamp()) + "; were they built together?)");
    }
    List<PeDebugDirectory.PdbChecksum> checksums = debug.checksums();
    if (checksums.isEmpty()) {
      return requirePdbChecksum
          ? Optional.of(peName + ": has no PdbChecksum entry (build with a compiler from Visual Studio 15.9 or later)")
          : Optional.empty();
    }
    return PdbChecksums.matchesAny(pdbFile, id.idOffset(), checksums) ? Optional.empty()
        : Optional.of(pdbName + ": its checksum does not match the PdbChecksum of " + peName);
  }

  private static PdbId readId(Path pdbFile, String name) {
    try (InputStream in = Files.newInputStream(pdbFile)) {
      return PortablePdbReader.read(in, name, Files.size(pdbFile));
    } catch (IOException | InvalidPackageException e) {
      // Checked at push; a PDB that reads differently now is a storage fault.
      throw new IllegalStateException(name + ": cannot be read again: " + e.getMessage(), e);
    }
  }

  private static Path extract(ZipReader zip, ZipReader.Entry entry, Path target)
      throws IOException, InvalidPackageException {
    try (InputStream in = zip.open(entry); OutputStream out = Files.newOutputStream(target)) {
      in.transferTo(out);
    } catch (ZipReader.EntryException e) {
      throw e.unwrap();
    }
    return target;
  }
}
