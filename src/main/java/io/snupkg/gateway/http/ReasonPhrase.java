package io.snupkg.gateway.http;

/**
 * Makes text safe to send as an HTTP/1.1 reason phrase: one line of printable ASCII, at most 512 characters
 * (nuget.org's cap). Reasons can quote package data (ids, entry names), and nothing from a package may put a
 * CR or LF into a header.
 */
public final class ReasonPhrase {
  static final int MAX_LENGTH = 512;

  private ReasonPhrase() {}

  public static String of(String text) {
    if (text == null || text.isBlank()) {
      return "Error";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_LENGTH));
    boolean space = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        space = out.length() > 0;
        continue;
      }
      if (space) {
        out.append(' ');
        space = false;
      }
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (out.length() == 0) {
      return "Error";
    }
    if (out.length() > MAX_LENGTH) {
      out.setLength(MAX_LENGTH - 3);
      out.append("...");
    }
    return out.toString();
  }
}
