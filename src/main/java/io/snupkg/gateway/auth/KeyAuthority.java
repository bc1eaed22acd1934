package io.snupkg.gateway.auth;

import io.vertx.core.Future;

/**
 * Decides whether an API key may push. Both calls fail with a {@code Rejection} (403 for a key that is invalid,
 * expired, revoked or out of scope; 503 when the authority cannot be asked), never with a generic error.
 */
public interface KeyAuthority {

  /** The admission check, before any body byte is read: is this key valid for pushes at all? */
  Future<Principal> admit(ApiKey key);

  /** The scope check, once the package id is known: may this key push this id? */
  Future<Void> authorize(ApiKey key, String packageId, String version);

  /** Releases timers and clients; called once when the gateway stops. */
  default void stop() {}
}
