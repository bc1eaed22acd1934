package io.snupkg.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdGlobTest {

  @Test
  void prefixGlobIgnoresCase() {
    IdGlob g = IdGlob.of("Contoso.*");
    assertTrue(g.matches("contoso.lib"));
    assertTrue(g.matches("Contoso.Lib.Core"));
    assertTrue(g.matches("CONTOSO.X"));
    assertTrue(g.matches("Contoso."), "* also matches the empty run");
    assertFalse(g.matches("Other.Lib"));
    assertFalse(g.matches("Contoso"), "the dot is required");
    assertFalse(g.matches("XContoso.Lib"), "the glob is anchored at the start");
  }

  @Test
  void starMatchesEverything() {
    IdGlob g = IdGlob.of("*");
    assertTrue(g.matches("a"));
    assertTrue(g.matches("Contoso.Lib.Core"));
    assertTrue(g.matches(""));
  }

  @Test
  void questionMarkMatchesExactlyOneCharacter() {
    IdGlob g = IdGlob.of("Lib?.Core");
    assertTrue(g.matches("Lib1.Core"));
    assertTrue(g.matches("libx.core"));
    assertFalse(g.matches("Lib.Core"));
    assertFalse(g.matches("Lib12.Core"));
  }

  @Test
  void exactGlobMatchesOnlyThatIdIgnoringCase() {
    IdGlob g = IdGlob.of("Lab.Sample");
    assertTrue(g.matches("lab.sample"));
    assertFalse(g.matches("Lab.Sample2"));
    assertFalse(g.matches("LabXSample"), "a dot is literal, not any character");
  }

  @Test
  void regexMetacharactersAreLiteral() {
    assertFalse(IdGlob.of("a+b").matches("aab"));
    assertTrue(IdGlob.of("a+b").matches("a+b"));
    assertFalse(IdGlob.of("[ab]").matches("a"));
    assertTrue(IdGlob.of("[ab]").matches("[ab]"));
    assertFalse(IdGlob.of("a|b").matches("a"));
    assertFalse(IdGlob.of("a{2}").matches("aa"));
    assertTrue(IdGlob.of("x\\E.*").matches("x\\E.anything"), "a quote terminator is quoted too");
    assertFalse(IdGlob.of("x\\E.*").matches("xyz"));
    assertFalse(IdGlob.of("^a$").matches("a"));
  }

  @Test
  void surroundingWhitespaceIsTrimmed() {
    IdGlob g = IdGlob.of("  Contoso.*  ");
    assertEquals("Contoso.*", g.toString());
    assertTrue(g.matches("Contoso.Lib"));
  }

  @Test
  void emptyGlobIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> IdGlob.of(""));
    assertThrows(IllegalArgumentException.class, () -> IdGlob.of("   "));
    assertThrows(IllegalArgumentException.class, () -> IdGlob.of(null));
  }

  @Test
  void toStringIsTheGlob() {
    assertEquals("Contoso.*", IdGlob.of("Contoso.*").toString());
  }
}
