package io.snupkg.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An API key as the client sent it. The raw value is only reachable through {@link #sha256Hex()} (and, for an
 * upstream authority, {@link #revealForUpstream()}), and {@link #toString()} hides it, so that a key cannot slip
 * into a log line or a message by accident.
 */
public final class ApiKey {
  private final String value;

  private ApiKey(String value) {
    this.value = value;
  }

  public static ApiKey of(String value) {
    return new ApiKey(value);
  }

  /** The lowercase hex SHA-256 of the key's UTF-8 bytes: how key files store keys and caches index them. */
  public String sha256Hex() {
    return sha256Hex(value);
  }

  public static String sha256Hex(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Only for sending the key to the auth service that decides on it. */
  public String revealForUpstream() {
    return value;
  }

  @Override
  public String toString() {
    return "ApiKey[redacted]";
  }
}
