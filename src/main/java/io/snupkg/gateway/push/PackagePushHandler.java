package io.snupkg.gateway.push;

import io.snupkg.gateway.feed.LocalFolderFeed;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.PackageManifest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code PUT /api/v2/package[/]} into the local feed ({@code PackagePublish/2.0.0}): the nupkg is received like a
 * symbol package, checked for a nuspec with a valid id and version, and stored; an existing version is never
 * overwritten (409), as on nuget.org.
 */
public final class PackagePushHandler implements Handler<RoutingContext> {
  static final String NOUN = "package";

  private final UploadPipeline pipeline;
  private final LocalFolderFeed feed;
  private final long limit;

  public PackagePushHandler(UploadPipeline pipeline, LocalFolderFeed feed, long limit) {
    this.pipeline = pipeline;
    this.feed = feed;
    this.limit = limit;
  }

  @Override
  public void handle(RoutingContext ctx) {
    pipeline.run(ctx.request(), limit, PackageInspector.Kind.PACKAGE, NOUN, this::decide);
  }

  private Future<Integer> decide(UploadPipeline.Upload upload) {
    PackageManifest m = upload.manifest();
    return feed.add(m.id(), m.version(), upload.subject(), !upload.ownsId(), upload.body().path()).map(201);
  }
}
