package io.snupkg.gateway.validation;

import java.util.Locale;

/**
 * The package is not acceptable. The message is the reason phrase the client will see, naming the entry and the
 * rule; the {@link Rule} is a bounded name for the rule, fit for logs and metric labels.
 */
public final class InvalidPackageException extends Exception {

  /** The rules a package can break, one per family of checks. */
  public enum Rule {
    ZIP_STRUCTURE, ZIP_BUDGET, ZIP_CORRUPT, ZIP_ENCRYPTED, ZIP_HEADER_MISMATCH,
    ENTRY_NAME, ENTRY_DUPLICATE, ENTRY_DATE, ENTRY_EXTENSION,
    NUSPEC_MISSING, NUSPEC_XML, NUSPEC_ID, NUSPEC_VERSION, NUSPEC_PACKAGE_TYPE, NUSPEC_METADATA,
    PDB_MISSING, PDB_NOT_PORTABLE, PDB_MALFORMED, LEGACY_SYMBOLS;

    /** The label form: {@code zip_structure}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Rule rule;

  public InvalidPackageException(Rule rule, String reason) {
    super(reason, null, false, false);
    this.rule = rule;
  }

  public Rule rule() {
    return rule;
  }
}
