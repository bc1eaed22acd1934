package io.snupkg.gateway.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A NuGet version as {@code NuGetVersion.TryParse} reads it: one to four numeric parts (missing parts are 0,
 * leading zeros allowed), an optional {@code -prerelease} of dot-separated labels and optional {@code +metadata}.
 * {@link #normalized()} is NuGet's normalized form, used for every lookup: {@code 1.0.0.0} and {@code 1.0} are
 * {@code 1.0.0}, build metadata is dropped. Hand-written: there is no maintained Java port of NuGet.Versioning.
 */
public record NuGetVersion(int major, int minor, int patch, int revision, List<String> release, String metadata)
    implements Comparable<NuGetVersion> {

  private static final Pattern LABEL = Pattern.compile("[0-9A-Za-z-]+");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  public static Optional<NuGetVersion> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String s = text.trim();
    String metadata = null;
    int plus = s.indexOf('+');
    if (plus >= 0) {
      metadata = s.substring(plus + 1);
      s = s.substring(0, plus);
      if (!labels(metadata, false)) {
        return Optional.empty();
      }
    }
    List<String> release = List.of();
    int dash = s.indexOf('-');
    if (dash >= 0) {
      String rel = s.substring(dash + 1);
      s = s.substring(0, dash);
      if (!labels(rel, true)) {
        return Optional.empty();
      }
      release = List.of(rel.split("\\.", -1));
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length < 1 || parts.length > 4) {
      return Optional.empty();
    }
    int[] numbers = new int[4];
    for (int i = 0; i < parts.length; i++) {
      if (!DIGITS.matcher(parts[i]).matches()) {
        return Optional.empty();
      }
      try {
        numbers[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.of(new NuGetVersion(numbers[0], numbers[1], numbers[2], numbers[3], release, metadata));
  }

  /** Dot-separated, none empty; in a prerelease a numeric label may not have a leading zero. */
  private static boolean labels(String text, boolean prerelease) {
    if (text.isEmpty()) {
      return false;
    }
    for (String label : text.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
      if (prerelease && label.length() > 1 && label.charAt(0) == '0' && DIGITS.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** NuGet's normalized string: {@code Major.Minor.Patch[.Revision][-release]}, original case, no metadata. */
  public String normalized() {
    StringBuilder sb = new StringBuilder().append(major).append('.').append(minor).append('.').append(patch);
    if (revision > 0) {
      sb.append('.').append(revision);
    }
    if (!release.isEmpty()) {
      sb.append('-').append(String.join(".", release));
    }
    return sb.toString();
  }

  /** The normalized string lowercased, as flat-container paths and storage keys use it. */
  public String lowerNormalized() {
    return normalized().toLowerCase(Locale.ROOT);
  }

  public boolean isPrerelease() {
    return !release.isEmpty();
  }

  /** SemVer 2 versions need SemVer-2-aware clients: more than one release label, or metadata. */
  public boolean isSemVer2() {
    return release.size() > 1 || metadata != null;
  }

  @Override
  public int compareTo(NuGetVersion o) {
    int c = Integer.compare(major, o.major);
    c = c != 0 ? c : Integer.compare(minor, o.minor);
    c = c != 0 ? c : Integer.compare(patch, o.patch);
    c = c != 0 ? c : Integer.compare(revision, o.revision);
    if (c != 0) {
      return c;
    }
    if (release.isEmpty() || o.release.isEmpty()) {
      return Boolean.compare(release.isEmpty(), o.release.isEmpty()); // a release sorts after its prereleases
    }
    for (int i = 0; i < Math.min(release.size(), o.release.size()); i++) {
      c = compareLabel(release.get(i), o.release.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(release.size(), o.release.size());
  }

  private static int compareLabel(String a, String b) {
    boolean an = DIGITS.matcher(a).matches();
    boolean bn = DIGITS.matcher(b).matches();
    if (an && bn) {
      return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
    }
    if (an != bn) {
      return an ? -1 : 1;
    }
    return a.compareToIgnoreCase(b);
  }

  /** Equal versions in NuGet's sense (case-insensitive labels, metadata ignored) have equal normalized forms. */
  public boolean sameAs(NuGetVersion o) {
    return compareTo(o) == 0;
  }

  @Override
  public String toString() {
    return normalized();
  }

  /** For sorting listings: a copy of {@code versions} in NuGet order. */
  public static List<NuGetVersion> sorted(List<NuGetVersion> versions) {
    List<NuGetVersion> copy = new ArrayList<>(versions);
    copy.sort(null);
    return copy;
  }
}
