package io.snupkg.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.snupkg.gateway.auth.FileKeyAuthority;
import io.snupkg.gateway.auth.KeyAuthority;
import io.snupkg.gateway.auth.UpstreamKeyAuthority;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.feed.FlatContainerIndexHandler;
import io.snupkg.gateway.feed.LocalFolderFeed;
import io.snupkg.gateway.feed.NupkgDownloadHandler;
import io.snupkg.gateway.feed.PackageFeed;
import io.snupkg.gateway.feed.UpstreamFeed;
import io.snupkg.gateway.feed.WaitingFeed;
import io.snupkg.gateway.http.BaseUrl;
import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.HttpVerticle;
import io.snupkg.gateway.http.ManagementVerticle;
import io.snupkg.gateway.http.Readiness;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.http.Routes;
import io.snupkg.gateway.http.ServiceIndexHandler;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.MicrometerGatewayMetrics;
import io.snupkg.gateway.metrics.Prometheus;
import io.snupkg.gateway.publish.PublishVerticle;
import io.snupkg.gateway.publish.SymbolMatcher;
import io.snupkg.gateway.push.Admission;
import io.snupkg.gateway.push.BodyReceiver;
import io.snupkg.gateway.push.PackageProxyHandler;
import io.snupkg.gateway.push.PackagePushHandler;
import io.snupkg.gateway.push.SymbolPushHandler;
import io.snupkg.gateway.push.UploadPipeline;
import io.snupkg.gateway.database.SharedBackend;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.DiskSpace;
import io.snupkg.gateway.storage.SpoolArea;
import io.snupkg.gateway.storage.SymbolRecords;
import io.snupkg.gateway.symbols.SymbolDownloadHandler;
import io.snupkg.gateway.symbols.SymbolPackageHandler;
import io.snupkg.gateway.upstream.UpstreamClient;
import io.snupkg.gateway.validation.InvalidPackageException;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.ValidationClient;
import io.snupkg.gateway.validation.ValidationVerticle;
import io.snupkg.gateway.validation.ZipReader;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every collaborator from the configuration, deploys the verticles (validation
 * worker, management server, public server) and takes them down in the opposite order. {@link Main} runs it
 * as a process; tests start it on loopback in their own Vert.x.
 */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final Readiness readiness;
  private final KeyAuthority authority;
  private final Backend backend;
  private final List<HttpVerticle> httpVerticles;
  private final ManagementVerticle management;
  private final String httpDeployment;
  private final List<String> otherDeployments;

  private Gateway(Vertx vertx, Readiness readiness, KeyAuthority authority, Backend backend,
      List<HttpVerticle> httpVerticles, ManagementVerticle management, String httpDeployment,
      List<String> otherDeployments) {
    this.vertx = vertx;
    this.readiness = readiness;
    this.authority = authority;
    this.backend = backend;
    this.httpVerticles = httpVerticles;
    this.management = management;
    this.httpDeployment = httpDeployment;
    this.otherDeployments = otherDeployments;
  }

  /**
   * @param registry where the domain meters go and what {@code /metrics} shows; the Vert.x instance should report
   *     its own meters there too ({@link Prometheus#vertx})
   */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig config, Clock clock,
      PrometheusMeterRegistry registry) {
    GatewayMetrics metrics = new MicrometerGatewayMetrics(registry,
        Stream.of(InvalidPackageException.Rule.values()).map(InvalidPackageException.Rule::label).toList());
    SpoolArea spool = new SpoolArea(vertx, config.storage().path());
    DiskSpace disk = new DiskSpace(vertx, config.storage().path(), config.storage().minFreeSpace());
    Readiness readiness = new Readiness();
    boolean proxyAuth = config.auth().type() == GatewayConfig.AuthType.UPSTREAM;
    Backend[] opened = {null};
    return backend(vertx, config, metrics, disk).compose(backend -> {
      opened[0] = backend;
      return vertx.executeBlocking(() -> {
        spool.prepare();
        return proxyAuth ? new UpstreamKeyAuthority(vertx, config.auth(), clock, metrics)
            : (KeyAuthority) FileKeyAuthority.start(vertx, config.auth().file(), clock);
      }).compose(authority -> disk.start().map(authority)); // after prepare: the folder exists
    }).compose(authority -> {
      Backend backend = opened[0];
      ErrorResponder errors = new ErrorResponder(vertx, config.limits().drainTimeout(), config.limits().drainMaxBytes(),
          config.http().maxRetryAfter());
      UploadPipeline pipeline = new UploadPipeline(vertx, new Admission(authority, backend.rateLimit(), disk),
          new BodyReceiver(spool, disk), new ValidationClient(vertx, config.validation().timeout(), metrics), authority,
          proxyAuth ? Optional.empty() : Optional.of(backend.owners()), spool, errors, metrics);
      PackageFeed feed = config.feed().type() == GatewayConfig.FeedType.UPSTREAM
          ? new UpstreamFeed(vertx, config.feed(), clock) : new LocalFolderFeed(backend.blobs(), backend.feedIndex());
      backend.checks().forEach(readiness::addCheck);
      addReadinessChecks(readiness, authority, feed);
      Routes routes = routes(vertx, config, clock, backend, pipeline, errors, feed, metrics);
      int workers = config.validation().workers();
      PackageInspector inspector = new PackageInspector(new ZipReader.Limits(config.validation().maxEntries(),
          config.validation().maxEntrySize(), config.validation().maxTotalSize()), clock);
      DeploymentOptions workerOptions = new DeploymentOptions()
          .setThreadingModel(ThreadingModel.WORKER)
          .setInstances(workers)
          .setWorkerPoolName("snupkg-validation")
          .setWorkerPoolSize(workers)
          .setMaxWorkerExecuteTime(config.validation().timeout().toMillis())
          .setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS);
      ManagementVerticle management = new ManagementVerticle(config.management(), readiness, registry);
      List<HttpVerticle> httpVerticles = new CopyOnWriteArrayList<>();
      // Port 0 (tests) cannot be shared by several instances: each would get its own port.
      int instances = config.http().port() == 0 ? 1 : Math.max(1, Runtime.getRuntime().availableProcessors());
      List<String> others = new CopyOnWriteArrayList<>();
      SymbolMatcher matcher = new SymbolMatcher(inspector.limits(), config.symbols().requirePdbChecksum());
      PublishVerticle publisher = new PublishVerticle(backend.publishQueue(), feed, backend.blobs(),
          backend.symbolIndex(), workDir(config), matcher, config.symbols().publishDeadline(), backend.publishPoll(),
          clock, metrics);
      return vertx.deployVerticle(() -> new ValidationVerticle(spool, inspector), workerOptions)
          .compose(id -> {
            others.add(id);
            // On an event loop: its I/O is asynchronous and the matching goes to executeBlocking. A worker
            // verticle's own pool closes on undeploy while a feed download may still be completing into it.
            return vertx.deployVerticle(publisher);
          })
          .compose(id -> {
            others.add(id);
            return vertx.deployVerticle(management);
          })
          .compose(id -> {
            others.add(id);
            return vertx.deployVerticle(() -> {
              HttpVerticle v = new HttpVerticle(config.http(), config.shutdown().drainTimeout(), routes);
              httpVerticles.add(v);
              return v;
            }, new DeploymentOptions().setInstances(instances));
          })
          .map(httpId -> {
            readiness.ready();
            Gateway gateway = new Gateway(vertx, readiness, authority, backend, httpVerticles, management, httpId,
                others);
            LOG.info("snupkg-gateway listening on {}:{} (management {}:{}), {}", config.http().host(),
                gateway.httpPort(), config.management().host(), gateway.managementPort(), backend.description());
            return gateway;
          })
          .onFailure(err -> authority.stop());
    }).recover(err -> opened[0] == null ? Future.failedFuture(err)
        : closeBackend(vertx, opened[0]).transform(x -> Future.failedFuture(err)));
  }

  private static Future<Backend> backend(Vertx vertx, GatewayConfig config, GatewayMetrics metrics, DiskSpace disk) {
    return config.storage().type() == GatewayConfig.StorageType.S3
        ? SharedBackend.start(vertx, config, metrics, disk)
        : Future.succeededFuture(Backend.filesystem(vertx, config, disk));
  }

  /** On a worker: the S3 client waits for its own event loops to stop, for seconds. */
  private static Future<Void> closeBackend(Vertx vertx, Backend backend) {
    return vertx.executeBlocking(() -> {
      backend.close().run();
      return null;
    }, false);
  }

  /** This replica's own scratch files (publishing, checksum checks), beside its spool. */
  private static java.nio.file.Path workDir(GatewayConfig config) {
    return config.storage().path().toAbsolutePath().normalize().resolve("work");
  }

  /** In proxy mode the auth service's breaker must be closed and the feed readable. */
  private static void addReadinessChecks(Readiness readiness, KeyAuthority authority, PackageFeed feed) {
    if (authority instanceof UpstreamKeyAuthority upstream) {
      readiness.addCheck("auth", () -> upstream.available() ? Future.succeededFuture()
          : Future.failedFuture("the auth service's circuit breaker is open"));
    }
    if (feed instanceof UpstreamFeed upstream) {
      readiness.addCheck("feed", upstream::reachable);
    }
  }

  /** The local feed and its routes, or the upstream feed with the package pass-through. */
  private static Routes routes(Vertx vertx, GatewayConfig config, Clock clock, Backend backend,
      UploadPipeline pipeline, ErrorResponder errors, PackageFeed packageFeed, GatewayMetrics metrics) {
    BaseUrl baseUrl = new BaseUrl(config.http().publicBaseUrl());
    SymbolRecords symbols = backend.symbols();
    BlobStore blobs = backend.blobs();
    long symbolLimit = config.limits().maxSymbolPackageSize();
    SymbolDownloadHandler symbolDownload = new SymbolDownloadHandler(backend.symbolIndex(), blobs, workDir(config),
        config.symbols().requireChecksum(), metrics);
    if (packageFeed instanceof UpstreamFeed feed) {
      PackageFeed parents = new WaitingFeed(vertx, feed, config.feed().parentWait());
      HttpClient client = vertx.createHttpClient(
          UpstreamClient.clientOptions(config.feed().upstream(), config.feed().timeout()));
      Handler<RoutingContext> elsewhere = ctx -> ErrorResponder.send(ctx.response(), Rejection.notFound(
          "This gateway fronts " + config.feed().url().orElseThrow() + "; download packages from there"));
      return new Routes(
          new ServiceIndexHandler(baseUrl, base -> feed.resources().map(UpstreamFeed.Resources::packageBaseAddress)),
          new PackageProxyHandler(feed, client, errors, config.limits().maxPackageSize(), backend.rateLimit(),
              metrics),
          new SymbolPushHandler(pipeline, parents, symbols, blobs, symbolLimit, clock, metrics),
          elsewhere, elsewhere, symbolDownload, SymbolPackageHandler.download(symbols, blobs),
          SymbolPackageHandler.status(symbols, blobs));
    }
    LocalFolderFeed feed = (LocalFolderFeed) packageFeed;
    return new Routes(
        new ServiceIndexHandler(baseUrl, base -> Future.succeededFuture(base + "/v3/flatcontainer/")),
        new PackagePushHandler(pipeline, feed, config.limits().maxPackageSize()),
        new SymbolPushHandler(pipeline, feed, symbols, blobs, symbolLimit, clock, metrics),
        new FlatContainerIndexHandler(feed),
        new NupkgDownloadHandler(feed), symbolDownload, SymbolPackageHandler.download(symbols, blobs),
        SymbolPackageHandler.status(symbols, blobs));
  }

  public int httpPort() {
    return httpVerticles.get(0).actualPort();
  }

  public int managementPort() {
    return management.actualPort();
  }

  /** Readiness goes down first; uploads in flight get the drain timeout to finish; then the rest stops. */
  public Future<Void> stop() {
    readiness.draining();
    return vertx.undeploy(httpDeployment)
        .eventually(() -> Future.join(otherDeployments.stream().map(vertx::undeploy).toList()))
        .eventually(() -> {
          authority.stop();
          return closeBackend(vertx, backend);
        })
        .mapEmpty();
  }
}
