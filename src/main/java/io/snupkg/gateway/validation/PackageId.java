package io.snupkg.gateway.validation;

import java.util.Locale;
import java.util.regex.Pattern;

/** NuGet package id rules as nuget.org documents them: ASCII letters, digits and {@code _}, single {@code .} or {@code -} between runs, at most 100 characters. */
public final class PackageId {
  public static final int MAX_LENGTH = 100;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_]+([.-][A-Za-z0-9_]+)*");

  private PackageId() {}

  public static boolean isValid(String id) {
    return id != null && id.length() <= MAX_LENGTH && ID.matcher(id).matches();
  }

  /** Ids compare case-insensitively; storage keys and flat-container paths use the invariant lowercase. */
  public static String lower(String id) {
    return id.toLowerCase(Locale.ROOT);
  }
}
