package io.snupkg.gateway.publish;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Asks the publisher to look at the pending push of one id and version. Fire and forget: the record on disk is
 * the source of truth, so a lost message only delays publishing until the next start (which resumes every
 * pending push) or the next request.
 */
public final class PublishRequests {
  public static final String ADDRESS = "snupkg.publish";

  private final Vertx vertx;

  public PublishRequests(Vertx vertx) {
    this.vertx = vertx;
  }

  public void request(String id, String normalizedVersion) {
    vertx.eventBus().send(ADDRESS, new JsonObject().put("id", id).put("version", normalizedVersion));
  }
}
