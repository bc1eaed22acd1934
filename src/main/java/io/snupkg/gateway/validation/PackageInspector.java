package io.snupkg.gateway.validation;

import io.snupkg.gateway.validation.InvalidPackageException.Rule;
import io.snupkg.gateway.validation.PortablePdbReader.PdbId;
import io.snupkg.gateway.validation.ZipReader.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether a stored upload is a package the gateway takes, with nuget.org's synchronous rules for symbol
 * packages (SymbolPackageService, PackageMetadataValidation, ZipArchiveHelpers) and the zip safety of
 * {@link ZipReader}. Every failure names the entry and the rule. Blocking; runs on the validation worker only.
 *
 * <p>The order is the order of what a user should fix first: the container, then entry names, then the nuspec,
 * then the content of every entry (which is also where CRCs and inflation budgets are checked).
 */
public final class PackageInspector {
  public enum Kind {
    SYMBOLS("symbol package"), PACKAGE("package");

    final String noun;

    Kind(String noun) {
      this.noun = noun;
    }
  }

  static final String SYMBOLS_PACKAGE_TYPE = "SymbolsPackage";
  /** nuget.org's allow-list for snupkg entries; compared case-sensitively, as nuget.org does. */
  static final Set<String> SYMBOL_EXTENSIONS = Set.of(".pdb", ".nuspec", ".xml", ".psmdcp", ".rels", ".p7s");
  static final int MAX_VERSION_LENGTH = 64;
  /** nuget.org's metadata length limits (PackageMetadataValidation). */
  static final Map<String, Integer> MAX_LENGTHS = Map.of(
      "description", 4000, "title", 256, "summary", 4000, "tags", 4000, "copyright", 4000, "releaseNotes", 35000);
  private static final Duration FUTURE_TOLERANCE = Duration.ofDays(1);
  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  private static final Pattern TRAILING_DOTS_AND_SPACES = Pattern.compile("[. ]+$");

  private final ZipReader.Limits limits;
  private final Clock clock;

  public PackageInspector(ZipReader.Limits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  public ZipReader.Limits limits() {
    return limits;
  }

  /**
   * @throws InvalidPackageException the package is not acceptable; the message names the entry and the rule
   * @throws IOException the stored file itself cannot be read (a storage problem, not the client's)
   */
  public PackageManifest inspect(Path file, Kind kind) throws InvalidPackageException, IOException {
    try (ZipReader zip = ZipReader.open(file, limits, kind.noun)) {
      List<Entry> entries = zip.entries();
      checkNames(entries, kind);
      if (kind == Kind.PACKAGE && isLegacySymbols(entries)) {
        throw new InvalidPackageException(Rule.LEGACY_SYMBOLS, "This is a legacy .symbols.nupkg (PDBs and a src/ "
            + "folder), not a package: push the .snupkg instead (dotnet pack -p:SymbolPackageFormat=snupkg)");
      }
      Entry nuspecEntry = rootNuspec(entries, kind);
      Nuspec nuspec = readNuspec(zip, nuspecEntry);
      NuGetVersion version = checkMetadata(nuspec, nuspecEntry.name(), kind);
      if (kind == Kind.SYMBOLS && entries.stream().noneMatch(PackageInspector::isPdb)) {
        throw new InvalidPackageException(Rule.PDB_MISSING,
            "The symbol package does not contain any symbol (.pdb) files");
      }
      List<PackageManifest.Pdb> pdbs = readContent(zip, entries, nuspecEntry, kind);
      return new PackageManifest(nuspec.id(), version.normalized(), pdbs);
    }
  }

  /**
   * What {@code nuget pack -Symbols} and {@code dotnet pack --include-symbols --include-source} put beside the DLLs:
   * PDBs and their sources under {@code src/}. Its nuspec is the package's own, so only the content tells it apart;
   * a {@code *.nupkg} glob sends it to the package endpoint after the package. PDBs alone are not enough: many
   * packages ship them on purpose.
   */
  private static boolean isLegacySymbols(List<Entry> entries) {
    return entries.stream().anyMatch(PackageInspector::isPdb)
        && entries.stream().anyMatch(e -> !e.isDirectory() && e.name().startsWith("src/"));
  }

  /** A symbol file as nuget.org counts them: a file whose name ends exactly in ".pdb". */
  public static boolean isPdb(Entry e) {
    return !e.isDirectory() && e.name().endsWith(".pdb"); // exactly ".pdb", as nuget.org counts them
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry names

  private void checkNames(List<Entry> entries, Kind kind) throws InvalidPackageException {
    Map<String, String> seen = new HashMap<>();
    Instant latest = clock.instant().plus(FUTURE_TOLERANCE);
    for (Entry e : entries) {
      String name = e.name();
      checkPath(name);
      String key = normalized(name);
      String other = seen.putIfAbsent(key, name);
      if (other != null) {
        throw new InvalidPackageException(Rule.ENTRY_DUPLICATE,
            name + ": duplicates the entry " + other + " (names compare case-insensitively)");
      }
      if (e.modified().isPresent() && e.modified().get().isAfter(latest)) {
        throw new InvalidPackageException(Rule.ENTRY_DATE,
            name + ": is dated " + e.modified().get() + ", more than a day in the future");
      }
      if (e.isDirectory()) {
        if (e.size() != 0) {
          throw new InvalidPackageException(Rule.ZIP_STRUCTURE, name + ": a directory entry has data");
        }
      } else if (kind == Kind.SYMBOLS) {
        String extension = extension(name);
        if (!extension.isEmpty() && !SYMBOL_EXTENSIONS.contains(extension)) {
          throw new InvalidPackageException(Rule.ENTRY_EXTENSION, name + ": files with the extension '" + extension
              + "' are not allowed in a symbol package (allowed: .pdb .nuspec .xml .psmdcp .rels .p7s)");
        }
      }
    }
  }

  /** Nothing that could point outside the folder a client extracts into, on Windows or elsewhere. */
  private static void checkPath(String name) throws InvalidPackageException {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": the entry name contains control characters");
      }
    }
    if (name.indexOf('\\') >= 0) {
      throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": backslashes are not allowed in entry names");
    }
    if (name.startsWith("/")) {
      throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": absolute paths are not allowed");
    }
    if (DRIVE.matcher(name).matches()) {
      throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": drive letters are not allowed in entry names");
    }
    if (name.indexOf(':') >= 0) {
      throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": ':' is not allowed in entry names");
    }
    for (String segment : name.split("/", -1)) {
      if (segment.equals("..")) {
        throw new InvalidPackageException(Rule.ENTRY_NAME, name + ": '..' path segments are not allowed");
      }
    }
  }

  /**
   * What two names must not share: collapsed slashes, no "." segments, no trailing dots or spaces (Windows drops
   * them when it creates the file), NFC, invariant lower case.
   */
  static String normalized(String name) {
    List<String> parts = new ArrayList<>();
    for (String segment : name.split("/")) {
      String trimmed = TRAILING_DOTS_AND_SPACES.matcher(segment).replaceAll("");
      if (!trimmed.isEmpty()) {
        parts.add(trimmed);
      }
    }
    return Normalizer.normalize(String.join("/", parts), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }

  /** As .NET's Path.GetExtension: from the last dot of the file name; a trailing dot gives none. */
  static String extension(String name) {
    String file = name.substring(name.lastIndexOf('/') + 1);
    int dot = file.lastIndexOf('.');
    return dot < 0 || dot == file.length() - 1 ? "" : file.substring(dot);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Nuspec

  private static Entry rootNuspec(List<Entry> entries, Kind kind) throws InvalidPackageException {
    List<Entry> nuspecs = entries.stream()
        .filter(e -> !e.name().contains("/") && e.name().toLowerCase(Locale.ROOT).endsWith(".nuspec"))
        .toList();
    if (nuspecs.isEmpty()) {
      throw new InvalidPackageException(Rule.NUSPEC_MISSING, "The " + kind.noun + " has no .nuspec file at its root");
    }
    if (nuspecs.size() > 1) {
      throw new InvalidPackageException(Rule.NUSPEC_MISSING, "The " + kind.noun + " has " + nuspecs.size()
          + " .nuspec files at its root (" + nuspecs.get(0).name() + ", " + nuspecs.get(1).name()
          + "); it must have exactly one");
    }
    return nuspecs.get(0);
  }

  private static Nuspec readNuspec(ZipReader zip, Entry entry) throws InvalidPackageException, IOException {
    try (InputStream in = zip.open(entry)) {
      return Nuspec.read(in, entry.name());
    } catch (ZipReader.EntryException e) {
      throw e.unwrap();
    }
  }

  private static NuGetVersion checkMetadata(Nuspec nuspec, String name, Kind kind) throws InvalidPackageException {
    if (!PackageId.isValid(nuspec.id())) {
      throw new InvalidPackageException(Rule.NUSPEC_ID, name + ": '" + nuspec.id()
          + "' is not a valid package id (letters, digits, '_', single '.' or '-' between them, at most "
          + PackageId.MAX_LENGTH + " characters)");
    }
    if (nuspec.version().length() > MAX_VERSION_LENGTH) {
      throw new InvalidPackageException(Rule.NUSPEC_VERSION,
          name + ": the version is longer than " + MAX_VERSION_LENGTH + " characters");
    }
    NuGetVersion version = NuGetVersion.parse(nuspec.version()).orElseThrow(() -> new InvalidPackageException(
        Rule.NUSPEC_VERSION, name + ": '" + nuspec.version() + "' is not a valid NuGet version"));
    if (nuspec.description() == null || nuspec.description().isEmpty()) {
      throw new InvalidPackageException(Rule.NUSPEC_METADATA, name + ": package/metadata/description is required");
    }
    for (Map.Entry<String, Integer> max : new java.util.TreeMap<>(MAX_LENGTHS).entrySet()) {
      String value = nuspec.metadata().get(max.getKey());
      if (value != null && value.length() > max.getValue()) {
        throw new InvalidPackageException(Rule.NUSPEC_METADATA, name + ": package/metadata/" + max.getKey()
            + " is longer than " + max.getValue() + " characters");
      }
    }
    boolean symbolsType = nuspec.packageTypeNames().stream().anyMatch(SYMBOLS_PACKAGE_TYPE::equalsIgnoreCase);
    if (kind == Kind.PACKAGE && symbolsType) {
      throw new InvalidPackageException(Rule.NUSPEC_PACKAGE_TYPE, name
          + ": this is a symbol package (package type SymbolsPackage); push it to the symbol package endpoint");
    }
    if (kind == Kind.SYMBOLS) {
      checkSymbolsPackageType(nuspec, name);
      // nuget.org's "no PII" rule: a snupkg must not repeat the package's authors and owners.
      if (nuspec.hasAuthors()) {
        throw new InvalidPackageException(Rule.NUSPEC_METADATA,
            name + ": a symbol package must not have authors (remove package/metadata/authors)");
      }
      if (nuspec.hasOwners()) {
        throw new InvalidPackageException(Rule.NUSPEC_METADATA,
            name + ": a symbol package must not have owners (remove package/metadata/owners)");
      }
    }
    return version;
  }

  private static void checkSymbolsPackageType(Nuspec nuspec, String name) throws InvalidPackageException {
    List<Nuspec.PackageType> types = nuspec.packageTypes();
    String problem = null;
    if (types.isEmpty()) {
      problem = "it declares none";
    } else if (types.size() > 1) {
      problem = "it declares " + types.size() + " (" + String.join(", ", nuspec.packageTypeNames()) + ")";
    } else if (!SYMBOLS_PACKAGE_TYPE.equalsIgnoreCase(types.get(0).name())) {
      problem = "it declares '" + types.get(0).name() + "'";
    } else if (!isZeroVersion(types.get(0).version())) {
      problem = "it gives SymbolsPackage the version '" + types.get(0).version() + "'";
    }
    if (problem != null) {
      throw new InvalidPackageException(Rule.NUSPEC_PACKAGE_TYPE, name
          + ": a symbol package must declare exactly one package type, SymbolsPackage, without a version; " + problem);
    }
  }

  /**
   * nuget.org requires the type to equal {@code SymbolsPackage} with .NET {@code Version(0, 0)}: no attribute, or two
   * zero components. "0.0.0" is another Version (its Build is set), and a blank attribute does not parse.
   */
  private static boolean isZeroVersion(String version) {
    return version == null || version.trim().matches("0+\\.0+");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Content

  /**
   * Reads every entry once, in file order: PDB ids for a symbol package, and for all entries the inflation
   * budgets, sizes and CRCs. The nuspec was read already.
   */
  private static List<PackageManifest.Pdb> readContent(ZipReader zip, List<Entry> entries, Entry nuspec, Kind kind)
      throws InvalidPackageException, IOException {
    List<Entry> inFileOrder = new ArrayList<>(entries);
    inFileOrder.sort(Comparator.comparingLong(Entry::localHeaderOffset));
    List<PackageManifest.Pdb> pdbs = new ArrayList<>();
    for (Entry e : inFileOrder) {
      if (e == nuspec) {
        continue;
      }
      if (kind == Kind.SYMBOLS && isPdb(e)) {
        pdbs.add(readPdb(zip, e));
      } else {
        zip.verify(e);
      }
    }
    pdbs.sort(Comparator.comparing(PackageManifest.Pdb::path));
    return List.copyOf(pdbs);
  }

  /** A broken container explains a broken PDB: on a PDB error, read on, and report the zip's error if there is one. */
  private static PackageManifest.Pdb readPdb(ZipReader zip, Entry e) throws InvalidPackageException, IOException {
    try (InputStream in = zip.open(e)) {
      PdbId id;
      try {
        id = PortablePdbReader.read(in, e.name(), e.size());
      } catch (InvalidPackageException pdbError) {
        in.transferTo(OutputStream.nullOutputStream());
        throw pdbError;
      }
      in.transferTo(OutputStream.nullOutputStream());
      return new PackageManifest.Pdb(e.name(), id.guid(), id.stamp());
    } catch (ZipReader.EntryException ex) {
      throw ex.unwrap();
    }
  }
}
