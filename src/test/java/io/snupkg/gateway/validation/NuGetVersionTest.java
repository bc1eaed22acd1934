package io.snupkg.gateway.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NuGetVersionTest {

  private static NuGetVersion v(String text) {
    return NuGetVersion.parse(text).orElseThrow(() -> new AssertionError("should parse: '" + text + "'"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "1.0, 1.0.0",
    "1, 1.0.0",
    "1.01.1, 1.1.1",
    "1.0.0.0, 1.0.0",
    "1.00.0.1, 1.0.0.1",
    "1.0.01.0, 1.0.1",
    "1.0.7+r3456, 1.0.7",
    "1.0.0-Beta.1+sha.abc, 1.0.0-Beta.1",
    "1.2.3-alpha, 1.2.3-alpha",
    "1.2.3.4-rc-1, 1.2.3.4-rc-1",
    "' 2.0.0 ', 2.0.0",
  })
  void normalizes(String text, String normalized) {
    assertEquals(normalized, v(text).normalized());
    assertEquals(normalized, v(text).toString());
  }

  @Test
  void lowerNormalized() {
    assertEquals("1.0.0-beta.1", v("1.0.0.0-Beta.1+Sha.ABC").lowerNormalized());
  }

  @ParameterizedTest(name = "invalid: ''{0}''")
  @ValueSource(strings = {
    "1.0.0-01", "1..0", "a.b", "1.2.3.4.5", "", " ", "1.0.0-", "1.0.0+", "99999999999.0",
    "1.0.0-beta..1", "1.0.0+a..b", "1.0.0-beta_1", "1.0.0+meta+data", "-1.0", "1.0.", ".1", "v1.0", "1.0 .0"
  })
  void invalid(String text) {
    assertEquals(Optional.empty(), NuGetVersion.parse(text));
  }

  @Test
  void nullIsInvalid() {
    assertEquals(Optional.empty(), NuGetVersion.parse(null));
  }

  @Test
  void zeroAloneIsAValidNumericLabel() {
    assertEquals("1.0.0-0", v("1.0.0-0").normalized());
    assertEquals("1.0.0-rc.0", v("1.0.0-rc.0").normalized());
  }

  @Test
  void leadingZeroIsAllowedInMetadataAndAlphanumericLabels() {
    assertEquals("1.0.0", v("1.0.0+01").normalized());
    assertEquals("1.0.0-01a", v("1.0.0-01a").normalized());
  }

  @Test
  void parts() {
    NuGetVersion x = v("1.2.3.4-rc.1+build.5");
    assertEquals(1, x.major());
    assertEquals(2, x.minor());
    assertEquals(3, x.patch());
    assertEquals(4, x.revision());
    assertEquals(List.of("rc", "1"), x.release());
    assertEquals("build.5", x.metadata());
    assertTrue(x.isPrerelease());
    assertTrue(x.isSemVer2());
    assertFalse(v("1.0.0").isPrerelease());
    assertFalse(v("1.0.0-beta").isSemVer2());
    assertTrue(v("1.0.0+meta").isSemVer2());
  }

  @Test
  void ordering() {
    List<String> ascending = List.of(
        "0.9.9", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.1", "2.0.0");
    for (int i = 0; i < ascending.size(); i++) {
      for (int j = 0; j < ascending.size(); j++) {
        int c = v(ascending.get(i)).compareTo(v(ascending.get(j)));
        String pair = ascending.get(i) + " vs " + ascending.get(j);
        assertEquals(Integer.signum(Integer.compare(i, j)), Integer.signum(c), pair);
      }
    }
  }

  @Test
  void numericLabelsCompareNumerically() {
    assertTrue(v("1.0.0-2").compareTo(v("1.0.0-10")) < 0);
    assertTrue(v("1.0.0-beta.9").compareTo(v("1.0.0-beta.10")) < 0);
    assertTrue(v("1.0.0-99999999999999999999").compareTo(v("1.0.0-100000000000000000000")) < 0);
  }

  @Test
  void numericPartsCompareNumerically() {
    assertTrue(v("1.9.0").compareTo(v("1.10.0")) < 0);
    assertTrue(v("10.0.0").compareTo(v("9.0.0")) > 0);
  }

  @Test
  void prereleaseLabelsCompareIgnoringCase() {
    assertEquals(0, v("1.0.0-Beta").compareTo(v("1.0.0-beta")));
    assertTrue(v("1.0.0-ALPHA").sameAs(v("1.0.0-alpha")));
    assertTrue(v("1.0.0-ALPHA").compareTo(v("1.0.0-beta")) < 0);
  }

  @Test
  void releaseSortsAfterItsPrereleases() {
    assertTrue(v("1.0.0").compareTo(v("1.0.0-zzz")) > 0);
    assertTrue(v("1.0.0-zzz").compareTo(v("1.0.0")) < 0);
  }

  @Test
  void sameAsIgnoresMissingPartsAndMetadata() {
    assertTrue(v("1.0").sameAs(v("1.0.0.0")));
    assertTrue(v("1.0.0.0").sameAs(v("1.0")));
    assertTrue(v("1.0.0+a").sameAs(v("1.0.0+b")));
    assertFalse(v("1.0").sameAs(v("1.0.0.1")));
    assertFalse(v("1.0.0").sameAs(v("1.0.0-beta")));
  }

  @Test
  void sorted() {
    List<NuGetVersion> in = List.of(v("2.0.0"), v("1.0.0"), v("1.0.0-beta"), v("1.10.0"), v("1.2.0"));
    List<String> out = NuGetVersion.sorted(in).stream().map(NuGetVersion::normalized).toList();
    assertEquals(List.of("1.0.0-beta", "1.0.0", "1.2.0", "1.10.0", "2.0.0"), out);
    assertEquals("2.0.0", in.get(0).normalized(), "the input list is not changed");
  }
}
