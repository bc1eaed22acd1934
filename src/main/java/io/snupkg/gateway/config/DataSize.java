package io.snupkg.gateway.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints byte sizes as the configuration writes them: {@code 1048576}, {@code 64KiB}, {@code 250MiB}, {@code 1GiB}. */
public final class DataSize {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)?");

  private DataSize() {}

  /** @throws IllegalArgumentException with a message fit to follow the key's name */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size (write bytes, or a number with KiB, MiB or GiB)");
    }
    long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
      case "KiB" -> 1L << 10;
      case "MiB" -> 1L << 20;
      case "GiB" -> 1L << 30;
      case "TiB" -> 1L << 40;
      default -> 1L;
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
  }

  /** The largest exact binary unit, for messages: 262144000 gives {@code 250 MiB}. */
  public static String format(long bytes) {
    String[] units = {"GiB", "MiB", "KiB"};
    int[] shifts = {30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << shifts[i];
      if (bytes >= unit && bytes % unit == 0) {
        return String.format(Locale.ROOT, "%d %s", bytes / unit, units[i]);
      }
    }
    return bytes + " bytes";
  }
}
