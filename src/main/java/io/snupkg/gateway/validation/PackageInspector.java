package io.snupkg.gateway.validation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a stored upload and says whether it is a package the gateway can take: a readable zip with exactly one
 * {@code .nuspec} at its root that names a valid id and version, and for a symbol package at least one
 * {@code .pdb}. Blocking; runs on the validation worker only.
 *
 * <p>Zip reader: {@link java.util.zip.ZipFile}, which reads the central directory of a file on disk and checks
 * CRCs while inflating. Every read of entry data goes through a {@link BoundedInputStream}, so sizes declared in
 * the headers are never trusted.
 */
public final class PackageInspector {
  public enum Kind {
    SYMBOLS("symbol package"), PACKAGE("package");

    final String noun;

    Kind(String noun) {
      this.noun = noun;
    }
  }

  private static final String SYMBOLS_PACKAGE_TYPE = "SymbolsPackage";

  /**
   * @throws InvalidPackageException the package is not acceptable; the message names the entry and the rule
   * @throws IOException the stored file itself cannot be read (a storage problem, not the client's)
   */
  public PackageManifest inspect(Path file, Kind kind) throws InvalidPackageException, IOException {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (NoSuchFileException e) {
      throw e;
    } catch (ZipException e) {
      throw new InvalidPackageException("The " + kind.noun + " is not a valid zip archive ("
          + (e.getMessage() == null ? "unreadable" : e.getMessage()) + ")");
    }
    try (zip) {
      List<ZipEntry> nuspecs = new ArrayList<>();
      List<String> pdbs = new ArrayList<>();
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        String name = e.getName();
        if (!name.contains("/") && name.toLowerCase(Locale.ROOT).endsWith(".nuspec")) {
          nuspecs.add(e);
        }
        if (name.endsWith(".pdb")) {
          pdbs.add(name);
        }
      }
      if (nuspecs.isEmpty()) {
        throw new InvalidPackageException("The " + kind.noun + " has no .nuspec file at its root");
      }
      if (nuspecs.size() > 1) {
        throw new InvalidPackageException("The " + kind.noun + " has " + nuspecs.size()
            + " .nuspec files at its root (" + nuspecs.get(0).getName() + ", " + nuspecs.get(1).getName()
            + "); it must have exactly one");
      }
      ZipEntry nuspecEntry = nuspecs.get(0);
      Nuspec nuspec;
      try (InputStream in = zip.getInputStream(nuspecEntry)) {
        nuspec = Nuspec.read(in, nuspecEntry.getName());
      } catch (IOException e) {
        throw new InvalidPackageException(nuspecEntry.getName() + ": cannot be read (" + e.getMessage() + ")");
      }
      if (!PackageId.isValid(nuspec.id())) {
        throw new InvalidPackageException(nuspecEntry.getName() + ": '" + nuspec.id()
            + "' is not a valid package id (letters, digits, '_', single '.' or '-' between them, at most "
            + PackageId.MAX_LENGTH + " characters)");
      }
      NuGetVersion version = NuGetVersion.parse(nuspec.version()).orElseThrow(() -> new InvalidPackageException(
          nuspecEntry.getName() + ": '" + nuspec.version() + "' is not a valid NuGet version"));
      boolean symbolsType = nuspec.packageTypes().stream().anyMatch(SYMBOLS_PACKAGE_TYPE::equalsIgnoreCase);
      if (kind == Kind.SYMBOLS && pdbs.isEmpty()) {
        throw new InvalidPackageException("The symbol package does not contain any symbol (.pdb) files");
      }
      if (kind == Kind.PACKAGE && symbolsType) {
        throw new InvalidPackageException(nuspecEntry.getName()
            + ": this is a symbol package (package type SymbolsPackage); push it to the symbol package endpoint");
      }
      return new PackageManifest(nuspec.id(), version.normalized(), List.copyOf(pdbs));
    }
  }
}
