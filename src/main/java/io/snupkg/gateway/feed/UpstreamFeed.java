package io.snupkg.gateway.feed;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.upstream.Coalescer;
import io.snupkg.gateway.upstream.TtlCache;
import io.snupkg.gateway.upstream.UpstreamClient;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.codec.BodyCodec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code feed.type: upstream}: a NuGet V3 feed given by its service index. The index is read on first use and
 * again every {@code feed.refresh} (a failed refresh keeps the last good one). Parents are looked up in the flat
 * container's versions list; a parent once found is remembered for an hour, since published versions do not go
 * away. A feed that cannot be asked is a 503 with Retry-After: never a 404 and never a 201.
 */
public final class UpstreamFeed implements PackageFeed {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamFeed.class);
  static final String PACKAGE_BASE_ADDRESS = "PackageBaseAddress/3.0.0";
  static final String PACKAGE_PUBLISH = "PackagePublish/2.0.0";
  private static final Duration FOUND_TTL = Duration.ofHours(1);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  /** The two resources the gateway uses, from the service index. */
  public record Resources(String packageBaseAddress, String packagePublish) {}

  private final Vertx vertx;
  private final UpstreamClient client;
  private final String serviceIndexUrl;
  private final Duration refresh;
  private final TtlCache<String, Resources> index;
  private final TtlCache<String, Boolean> found;
  private final Coalescer<String, Resources> indexFetch = new Coalescer<>();
  private final Coalescer<String, JsonArray> versionFetch = new Coalescer<>();
  private volatile Resources lastGood;

  public UpstreamFeed(Vertx vertx, GatewayConfig.Feed config, Clock clock) {
    this.vertx = vertx;
    this.client = new UpstreamClient(vertx, config.upstream(), config.timeout());
    this.serviceIndexUrl = config.url().orElseThrow();
    this.refresh = config.refresh();
    this.index = new TtlCache<>(1, clock);
    this.found = new TtlCache<>(100_000, clock);
  }

  /** The feed's resources, from the cached service index or a fresh read of it. */
  public Future<Resources> resources() {
    return index.get("").map(Future::succeededFuture).orElseGet(() -> indexFetch.call("", this::readIndex));
  }

  /** Whether the last read of the service index worked. */
  public boolean available() {
    return lastGood != null;
  }

  /** Reads the service index now, bypassing the cache: for readiness, which must notice a feed that went away. */
  public Future<Void> reachable() {
    return client.request(HttpMethod.GET, serviceIndexUrl).send().compose(response -> response.statusCode() == 200
        ? Future.<Void>succeededFuture()
        : Future.failedFuture("the feed's service index answered " + response.statusCode()))
        .recover(err -> Future.failedFuture("the feed at " + serviceIndexUrl + " is not reachable (" + err.getMessage()
            + ")"));
  }

  private Future<Resources> readIndex() {
    return client.request(HttpMethod.GET, serviceIndexUrl).send()
        .compose(response -> {
          if (response.statusCode() != 200) {
            return Future.failedFuture("the service index answered " + response.statusCode());
          }
          JsonObject json = response.bodyAsJsonObject();
          return Future.succeededFuture(new Resources(
              withSlash(resource(json, PACKAGE_BASE_ADDRESS)), resource(json, PACKAGE_PUBLISH)));
        })
        .andThen(ar -> {
          if (ar.succeeded()) {
            lastGood = ar.result();
            index.put("", ar.result(), refresh);
          }
        })
        .recover(err -> {
          if (lastGood != null) {
            LOG.warn("Re-reading the service index {} failed ({}); keeping the last one", serviceIndexUrl,
                err.getMessage());
            index.put("", lastGood, Duration.ofSeconds(30)); // do not retry on every push while it is down
            return Future.succeededFuture(lastGood);
          }
          return Future.failedFuture(unavailable("its service index " + serviceIndexUrl, err));
        });
  }

  private static String resource(JsonObject index, String type) {
    JsonArray resources = index == null ? null : index.getJsonArray("resources");
    if (resources != null) {
      for (Object o : resources) {
        if (o instanceof JsonObject r && type.equals(r.getString("@type")) && r.getString("@id") != null) {
          return r.getString("@id");
        }
      }
    }
    throw new IllegalArgumentException("the service index has no " + type + " resource");
  }

  private static String withSlash(String url) {
    return url.endsWith("/") ? url : url + "/";
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    String lowerId = PackageId.lower(id);
    String lowerVersion = normalizedVersion.toLowerCase(Locale.ROOT);
    if (found.get(lowerId + "/" + lowerVersion).isPresent()) {
      return Future.succeededFuture(true);
    }
    return resources()
        .compose(r -> versionFetch.call(lowerId, () -> versions(r.packageBaseAddress() + lowerId + "/index.json")))
        .map(versions -> {
          for (Object v : versions) {
            String known = String.valueOf(v).toLowerCase(Locale.ROOT);
            found.put(lowerId + "/" + known, true, FOUND_TTL);
            if (known.equals(lowerVersion)) {
              return true;
            }
          }
          return false;
        });
  }

  private Future<JsonArray> versions(String url) {
    return client.request(HttpMethod.GET, url).send()
        .recover(err -> Future.failedFuture(unavailable(url, err)))
        .compose(response -> {
          if (response.statusCode() == 404) {
            return Future.succeededFuture(new JsonArray());
          }
          if (response.statusCode() != 200) {
            return Future.failedFuture(unavailable(url, new IllegalStateException("it answered "
                + response.statusCode())));
          }
          try {
            JsonArray versions = response.bodyAsJsonObject().getJsonArray("versions");
            return Future.succeededFuture(versions == null ? new JsonArray() : versions);
          } catch (RuntimeException e) {
            return Future.failedFuture(unavailable(url, new IllegalStateException("not a versions list")));
          }
        });
  }

  @Override
  public Future<Void> download(String id, String normalizedVersion, Path target) {
    String lowerId = PackageId.lower(id);
    String lowerVersion = normalizedVersion.toLowerCase(Locale.ROOT);
    return resources().compose(r -> {
      String url = r.packageBaseAddress() + lowerId + "/" + lowerVersion + "/" + lowerId + "." + lowerVersion
          + ".nupkg";
      return vertx.fileSystem().open(target.toString(), new OpenOptions().setWrite(true).setCreate(true)
              .setTruncateExisting(true))
          .compose(file -> client.request(HttpMethod.GET, url).as(BodyCodec.pipe(file)).send())
          .recover(err -> Future.failedFuture(unavailable(url, err)))
          .compose(response -> switch (response.statusCode()) {
            case 200 -> Future.<Void>succeededFuture();
            case 404 -> Future.<Void>failedFuture(
                Rejection.notFound("The package " + id + " " + normalizedVersion + " is not in the feed"));
            default -> Future.<Void>failedFuture(
                unavailable(url, new IllegalStateException("it answered " + response.statusCode())));
          });
    });
  }

  private static Rejection unavailable(String what, Throwable err) {
    LOG.warn("Upstream feed not usable: {}: {}", what, err.getMessage());
    return Rejection.unavailable("The upstream feed is unavailable; retry later", RETRY_AFTER);
  }
}
