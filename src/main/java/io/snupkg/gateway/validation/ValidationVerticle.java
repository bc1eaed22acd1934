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
 * <p>Replies {@code {"manifest": ...}} with the {@link PackageManifest}, or {@code {"invalid": {"rule", "reason"}}}
 * for a package the client must fix, or {@code fail(503, reason)} when the stored file cannot be read.
 */
public final class ValidationVerticle extends VerticleBase {
  public static final String ADDRESS = "snupkg.validate";
  private static final Logger LOG = LoggerFactory.getLogger(ValidationVerticle.class);

  private final SpoolArea spool;
  private final PackageInspector inspector;

  public ValidationVerticle(SpoolArea spool, PackageInspector inspector) {
    this.spool = spool;
    this.inspector = inspector;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>consumer(ADDRESS, this::validate).completion();
  }

  private void validate(Message<JsonObject> message) {
    String name = message.body().getString("spool", "");
    try {
      PackageInspector.Kind kind = PackageInspector.Kind.valueOf(message.body().getString("kind", ""));
      message.reply(new JsonObject().put("manifest", inspector.inspect(spool.path(name), kind).toJson()));
    } catch (InvalidPackageException e) {
      message.reply(invalid(e.rule().label(), e.getMessage()));
    } catch (IOException e) {
      LOG.error("Cannot read spool file {}: {}", name, e.toString());
      message.fail(503, "The uploaded package could not be read back from storage; retry later");
    } catch (RuntimeException e) {
      // Hostile input must never crash the worker or hang the push: anything a reader throws is a bad package.
      LOG.error("Validation of spool file {} failed unexpectedly", name, e);
      message.reply(invalid("unexpected", "The package could not be read (" + e.getClass().getSimpleName() + ")"));
    }
  }

  private static JsonObject invalid(String rule, String reason) {
    return new JsonObject().put("invalid", new JsonObject().put("rule", rule).put("reason", reason));
  }
}
