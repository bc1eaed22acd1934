package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackageIdTest {

  @ParameterizedTest
  @ValueSource(strings = {"Lab.Sample", "a_b-c.d", "a", "_", "Newtonsoft.Json", "Contoso.Lib-2.Core", "X1", "1"})
  void valid(String id) {
    assertTrue(PackageId.isValid(id), id);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "..", ".", "a..b", "a.-b", "-a", "a-", ".a", "a.", "a b", " a", "a/b", "a\\b", "a:b", "a+b", "a*",
    "caf\u00e9", "\u00c5ngstr\u00f6m", "\u0430\u0431\u0432", "a\nb"
  })
  void invalid(String id) {
    assertFalse(PackageId.isValid(id), id);
  }

  @Test
  void nullIsInvalid() {
    assertFalse(PackageId.isValid(null));
  }

  @Test
  void atMostOneHundredCharacters() {
    String hundred = "A" + "b".repeat(98) + "C";
    assertEquals(100, hundred.length());
    assertTrue(PackageId.isValid(hundred));
    assertFalse(PackageId.isValid(hundred + "d"));
    String dotted = "a.".repeat(49) + "bc";
    assertEquals(100, dotted.length());
    assertTrue(PackageId.isValid(dotted));
    assertFalse(PackageId.isValid("a." + dotted));
  }

  @Test
  void lowerIsInvariant() {
    assertEquals("contoso.lib", PackageId.lower("Contoso.LIB"));
    assertEquals("title.id", PackageId.lower("TITLE.ID"));
  }
}
