package io.snupkg.gateway;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.feed.FeedIndex;
import io.snupkg.gateway.feed.FileFeedIndex;
import io.snupkg.gateway.publish.LocalPublishQueue;
import io.snupkg.gateway.publish.PublishQueue;
import io.snupkg.gateway.push.PushRateLimit;
import io.snupkg.gateway.push.RateLimiter;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.DiskSpace;
import io.snupkg.gateway.storage.FileOwners;
import io.snupkg.gateway.storage.FileSymbolRecords;
import io.snupkg.gateway.storage.FileSystemBlobStore;
import io.snupkg.gateway.storage.PackageOwners;
import io.snupkg.gateway.storage.SymbolRecords;
import io.snupkg.gateway.symbols.BlobSymbolIndex;
import io.snupkg.gateway.symbols.SymbolIndex;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the gateway keeps what it knows, chosen by {@code storage.type}: blobs, records, the indexes, the publish
 * queue and the rate-limit buckets. The filesystem backend keeps all of it under {@code storage.path} for one
 * process; the shared one ({@code io.snupkg.gateway.database.SharedBackend}) keeps blobs in a bucket and the rest in
 * PostgreSQL, for several replicas. Everything above this record is the same for both.
 *
 * @param publishPoll how often the publisher asks the queue for work it was not told about
 * @param checks readiness checks by name (each fails with a one-line message)
 * @param description for the start log line
 */
public record Backend(BlobStore blobs, SymbolRecords symbols, PackageOwners owners, FeedIndex feedIndex,
    SymbolIndex symbolIndex, PublishQueue publishQueue, RateLimiter rateLimit, Duration publishPoll,
    Map<String, Supplier<Future<Void>>> checks, String description, Runnable close) {

  /** Everything on the local file system under {@code storage.path}: one replica. */
  public static Backend filesystem(Vertx vertx, GatewayConfig config, DiskSpace disk) {
    FileSystemBlobStore store = new FileSystemBlobStore(vertx, config.storage().path());
    FileOwners owners = new FileOwners(store);
    LocalPublishQueue queue = new LocalPublishQueue(vertx);
    FileSymbolRecords symbols = new FileSymbolRecords(vertx, store, owners, queue::submit);
    queue.records(symbols);
    Map<String, Supplier<Future<Void>>> checks = new LinkedHashMap<>();
    checks.put("storage", disk::check); // the store's own folder: writable, and room to write
    return new Backend(store, symbols, owners, new FileFeedIndex(vertx, store, owners), new BlobSymbolIndex(store),
        queue, new PushRateLimit(config.rateLimit().pushesPerHour(), System::nanoTime), Duration.ofSeconds(30),
        checks, "storage " + store.root(), () -> { });
  }
}
