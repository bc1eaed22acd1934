package io.snupkg.gateway.auth;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A package-id scope such as {@code Contoso.*}: {@code *} matches any run of characters, {@code ?} one, and the
 * comparison ignores case as NuGet ids do. Hand-written because it is a few lines and a glob library would bring
 * file-path semantics (separators) that ids do not have.
 */
public final class IdGlob {
  private final String text;
  private final Pattern pattern;

  private IdGlob(String text, Pattern pattern) {
    this.text = text;
    this.pattern = pattern;
  }

  public static IdGlob of(String glob) {
    if (glob == null || glob.isBlank()) {
      throw new IllegalArgumentException("a scope must not be empty (use \"*\" for every id)");
    }
    StringBuilder regex = new StringBuilder();
    for (char c : glob.trim().toCharArray()) {
      switch (c) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return new IdGlob(glob.trim(), Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
  }

  public boolean matches(String packageId) {
    return pattern.matcher(packageId.toLowerCase(Locale.ROOT)).matches();
  }

  @Override
  public String toString() {
    return text;
  }
}
