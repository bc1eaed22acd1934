package io.snupkg.gateway.push;

import io.snupkg.gateway.feed.PackageFeed;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.FeedResult;
import io.snupkg.gateway.publish.PublishRequests;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.storage.SymbolPackageStore;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.PackageManifest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Optional;

/**
 * {@code PUT /api/v2/symbolpackage[/]}: NuGet's {@code SymbolPackagePublish/4.9.0}. After the shared steps of
 * {@link UploadPipeline}: the parent nupkg must be in the feed (404), a different snupkg still pending for the
 * same id and version is a conflict (409), and a byte-identical re-push, a client retrying after a lost
 * response, is accepted again (201) without storing anything twice. Anything else becomes the pending push
 * (the available one stays served) and is handed to the publisher.
 */
public final class SymbolPushHandler implements Handler<RoutingContext> {
  static final String NOUN = "symbol package";

  private final UploadPipeline pipeline;
  private final PackageFeed feed;
  private final SymbolPackageStore symbols;
  private final long limit;
  private final Clock clock;
  private final PublishRequests publisher;
  private final GatewayMetrics metrics;

  public SymbolPushHandler(UploadPipeline pipeline, PackageFeed feed, SymbolPackageStore symbols, long limit,
      Clock clock, PublishRequests publisher, GatewayMetrics metrics) {
    this.metrics = metrics;
    this.pipeline = pipeline;
    this.feed = feed;
    this.symbols = symbols;
    this.limit = limit;
    this.clock = clock;
    this.publisher = publisher;
  }

  @Override
  public void handle(RoutingContext ctx) {
    pipeline.run(ctx.request(), limit, PackageInspector.Kind.SYMBOLS, NOUN, this::decide);
  }

  private Future<Integer> decide(UploadPipeline.Upload upload) {
    PackageManifest m = upload.manifest();
    String sha512 = upload.body().sha512();
    return feed.contains(m.id(), m.version())
        .andThen(ar -> metrics.feedLookup(ar.failed() ? FeedResult.UNAVAILABLE
            : ar.result() ? FeedResult.FOUND : FeedResult.MISSING))
        .compose(present -> present ? Future.succeededFuture() : Future.failedFuture(Rejection.parentMissing(m.id(), m.version())))
        .compose(v -> pipeline.exclusively(UploadPipeline.lockName("symbols", m),
            () -> symbols.record(m.id(), m.version()).compose(existing -> {
              SymbolPackageRecord record = existing.orElse(SymbolPackageRecord.empty(m.id(), m.version()));
              Optional<Upload> pending = record.pending();
              if (pending.isPresent() && pending.get().sha512().equals(sha512)
                  || pending.isEmpty() && record.available().map(a -> a.sha512().equals(sha512)).orElse(false)) {
                return Future.succeededFuture(201); // the same bytes again (a retry): already stored
              }
              if (pending.isPresent()) {
                return Future.failedFuture(Rejection.conflict("A different symbol package for " + m.id() + " "
                    + m.version() + " is still pending validation; wait for it to finish before replacing it"));
              }
              Upload next = new Upload(sha512, upload.body().size(), upload.subject(), clock.instant());
              return pipeline.claimOwner(upload)
                  .compose(x -> symbols.commit(record.withPending(next), sha512, upload.body().path()))
                  .onSuccess(x -> publisher.request(m.id(), m.version()))
                  .map(201);
            })));
  }
}
