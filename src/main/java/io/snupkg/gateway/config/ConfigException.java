package io.snupkg.gateway.config;

/** A configuration problem, described in one line that names the offending key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
