package io.snupkg.gateway.validation;

import io.snupkg.gateway.storage.SpoolArea;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation worker. Deployed with {@code ThreadingModel.WORKER}, so the blocking zip and XML reading
 * happens on its own pool, never on an event loop. One instance checks one package at a time; the
 * configured number of instances is the concurrency.
 *
 * <p>Replies: the {@link PackageManifest} as JSON, or {@code fail(400, reason)} for a package the client must
 * fix, or {@code fail(503, reason)} when the stored file cannot be read.
 */
public final class ValidationVerticle extends VerticleBase {
  public static final String ADDRESS = "snupkg.validate";
  private static final Logger LOG = LoggerFactory.getLogger(ValidationVerticle.class);

  private final SpoolArea spool;
  private final PackageInspector inspector = new PackageInspector();

  public ValidationVerticle(SpoolArea spool) {
    this.spool = spool;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>consumer(ADDRESS, this::validate).completion();
  }

  private void validate(Message<JsonObject> message) {
    String name = message.body().getString("spool", "");
    try {
      PackageInspector.Kind kind = PackageInspector.Kind.valueOf(message.body().getString("kind", ""));
      message.reply(inspector.inspect(spool.path(name), kind).toJson());
    } catch (InvalidPackageException e) {
      message.fail(400, e.getMessage());
    } catch (IOException e) {
      LOG.error("Cannot read spool file {}: {}", name, e.toString());
      message.fail(503, "The uploaded package could not be read back from storage; retry later");
    } catch (RuntimeException e) {
      // Hostile input must never crash the worker or hang the push: anything a reader throws is a bad package.
      LOG.warn("Validation of spool file {} failed unexpectedly", name, e);
      message.fail(400, "The package could not be read (" + e.getClass().getSimpleName() + ")");
    }
  }
}
