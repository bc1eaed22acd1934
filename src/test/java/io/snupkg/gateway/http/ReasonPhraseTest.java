package io.snupkg.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReasonPhraseTest {

  private static void assertPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      assertTrue(c >= 0x20 && c < 0x7f, () -> "char " + (int) c + " in '" + s + "'");
    }
  }

  @Test
  void plainTextIsUnchanged() {
    assertEquals("The package is not a valid zip archive", ReasonPhrase.of("The package is not a valid zip archive"));
  }

  @Test
  void lineBreaksAndTabsCollapseToSingleSpaces() {
    assertEquals("a b c d", ReasonPhrase.of("a\r\nb\tc\n\n\r d"));
    assertEquals("one two", ReasonPhrase.of("one \t\r\n two"));
  }

  @Test
  void leadingAndTrailingWhitespaceIsDropped() {
    assertEquals("x y", ReasonPhrase.of("\r\n  x y \t\r\n"));
  }

  @Test
  void headerInjectionIsDefused() {
    String out = ReasonPhrase.of("Bad id\r\nSet-Cookie: a=b\r\n\r\n<html>");
    assertEquals("Bad id Set-Cookie: a=b <html>", out);
    assertPrintableAscii(out);
  }

  @Test
  void nonAsciiBecomesQuestionMarks() {
    assertEquals("caf? ?", ReasonPhrase.of("caf\u00e9 \u20ac"));
    assertEquals("a?b", ReasonPhrase.of("a\u00a0b"), "a no-break space is not ASCII either");
    String emoji = ReasonPhrase.of("id \ud83d\ude00");
    assertTrue(emoji.startsWith("id ?"), emoji);
    assertPrintableAscii(emoji);
  }

  @Test
  void controlCharactersAreRemoved() {
    assertEquals("abc", ReasonPhrase.of("\u0000abc\u0007"));
    assertEquals("abc", ReasonPhrase.of("\u001babc\u007f\u0085"));
    String inside = ReasonPhrase.of("a\u0000b\u0008c\u007fd\u009be");
    assertPrintableAscii(inside);
    assertEquals("abcde", inside.replace(" ", ""));
  }

  @Test
  void everyCharacterIsPrintableAscii() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x3000; c++) {
      all.append(c);
    }
    String out = ReasonPhrase.of(all.toString());
    assertPrintableAscii(out);
    assertTrue(out.length() <= 512);
  }

  @Test
  void longTextIsCutAt512WithAnEllipsis() {
    String out = ReasonPhrase.of("x".repeat(10_000));
    assertEquals(512, out.length());
    assertTrue(out.endsWith("..."), out);
    assertEquals("x".repeat(509) + "...", out);
  }

  @Test
  void exactly512IsKept() {
    String text = "y".repeat(512);
    assertEquals(text, ReasonPhrase.of(text));
    String longer = ReasonPhrase.of(text + "z");
    assertEquals(512, longer.length());
    assertTrue(longer.endsWith("..."));
  }

  @Test
  void lengthIsCountedAfterCollapsing() {
    String text = "a" + "\r\n".repeat(1000) + "b";
    assertEquals("a b", ReasonPhrase.of(text));
  }

  @Test
  void nullOrBlankIsError() {
    assertEquals("Error", ReasonPhrase.of(null));
    assertEquals("Error", ReasonPhrase.of(""));
    assertEquals("Error", ReasonPhrase.of("   "));
    assertEquals("Error", ReasonPhrase.of("\r\n\t"));
  }

  @Test
  void onlyControlCharactersIsError() {
    assertEquals("Error", ReasonPhrase.of("\u0000\u0007"));
  }
}
