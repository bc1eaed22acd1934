package io.snupkg.gateway.validation;

/** The package is not acceptable; the message is the reason phrase the client will see, naming the entry and the rule. */
public final class InvalidPackageException extends Exception {
  public InvalidPackageException(String reason) {
    super(reason, null, false, false);
  }
}
