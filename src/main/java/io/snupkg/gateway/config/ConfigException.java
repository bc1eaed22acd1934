package io.snupkg.gateway.config;

/** A configuration problem, described in one line that names the offending key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    // One line, whatever a quoted value contained: start-up errors are read in logs and terminals.
    super(message.replaceAll("[\\r\\n]+", " "), null, false, false);
  }
}
