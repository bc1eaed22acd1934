package io.snupkg.gateway.http;

/** The client closed the connection before the exchange finished: there is nobody left to answer. */
public final class ClientGoneException extends RuntimeException {
  public ClientGoneException(String message) {
    super(message, null, false, false);
  }
}
