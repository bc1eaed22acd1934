package io.snupkg.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class ApiKeyTest {

  @Test
  void toStringHidesTheKey() {
    String secret = "snupkg_s3cr3t-value-that-must-not-leak";
    ApiKey key = ApiKey.of(secret);
    assertFalse(key.toString().contains(secret), key.toString());
    assertFalse(key.toString().contains("s3cr3t"), key.toString());
    assertFalse(String.valueOf(key).contains(secret));
    assertFalse(("key=" + key).contains(secret));
  }

  @Test
  void sha256HexOfPassword() {
    String expected = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    assertEquals(expected, ApiKey.sha256Hex("password"));
    assertEquals(expected, ApiKey.of("password").sha256Hex());
  }

  @Test
  void sha256HexOfEmptyAndNonAscii() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ApiKey.sha256Hex(""));
    assertEquals("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c", ApiKey.sha256Hex("\u00e9"),
        "hashes the UTF-8 bytes");
  }

  @Test
  void revealForUpstreamGivesTheValueBack() {
    assertEquals("k", ApiKey.of("k").revealForUpstream());
  }
}
