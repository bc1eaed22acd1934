package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.KeyAuthority;
import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.Stage;
import io.snupkg.gateway.push.Admission.Admitted;
import io.snupkg.gateway.push.BodyReceiver.Received;
import io.snupkg.gateway.storage.PackageOwners;
import io.snupkg.gateway.storage.SpoolArea;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.PackageManifest;
import io.snupkg.gateway.validation.ValidationClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import java.util.function.Function;

/**
 * The steps every push shares, in DESIGN.md's order: admission before the body, streaming receive, validation
 * on the worker, the key's scope and the id's owner. The route handler adds its own decision and commit, and
 * this class answers: the handler's status on success, or the failure through the {@link ErrorResponder}, with
 * the spool file removed on every path that did not commit it.
 */
public final class UploadPipeline {
  private final Vertx vertx;
  private final Admission admission;
  private final BodyReceiver receiver;
  private final ValidationClient validation;
  private final KeyAuthority authority;
  /** Empty with an upstream authority: its scope answer decides, and ids are owned in the upstream feed. */
  private final Optional<PackageOwners> owners;
  private final SpoolArea spool;
  private final ErrorResponder errors;
  private final GatewayMetrics metrics;

  public UploadPipeline(Vertx vertx, Admission admission, BodyReceiver receiver, ValidationClient validation,
      KeyAuthority authority, Optional<PackageOwners> owners, SpoolArea spool, ErrorResponder errors,
      GatewayMetrics metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.admission = admission;
    this.receiver = receiver;
    this.validation = validation;
    this.authority = authority;
    this.owners = owners;
    this.spool = spool;
    this.errors = errors;
  }

  /**
   * A received, valid package from an admitted key that may push its id.
   *
   * @param ownsId the subject owns the id already (or ids are owned upstream): nothing to claim; else the commit
   *     claims it, in the same decision
   */
  public record Upload(Admitted admitted, Received body, PackageManifest manifest, boolean ownsId) {
    public String subject() {
      return admitted.principal().subject();
    }
  }

  /**
   * Runs the shared steps, then {@code decide}, which commits or rejects and returns the success status.
   * The request must not have been read from yet.
   */
  public void run(HttpServerRequest request, long limit, PackageInspector.Kind kind, String noun,
      Function<Upload, Future<Integer>> decide) {
    request.pause(); // nothing may be read before admission has passed
    PushRecorder recorder = new PushRecorder(metrics,
        kind == PackageInspector.Kind.SYMBOLS ? GatewayMetrics.Kind.SYMBOLS : GatewayMetrics.Kind.PACKAGE, request);
    Admitted[] admitted = {null};
    Received[] received = {null};
    // Each stage is timed only if it ran: a push refused at admission has no receive time.
    admission.admit(request, limit, noun)
        .andThen(ar -> recorder.stageEnded(Stage.ADMISSION))
        .compose(a -> {
          admitted[0] = a;
          recorder.subject(a.principal().subject());
          return receiver.receive(request, limit, noun, recorder.upload())
              .andThen(ar -> recorder.stageEnded(Stage.RECEIVE));
        })
        .compose(body -> {
          received[0] = body;
          recorder.body(body.size(), body.sha512());
          return validation.validate(body.spoolName(), kind).andThen(ar -> recorder.stageEnded(Stage.VALIDATE));
        })
        .compose(manifest -> {
          recorder.pkg(manifest.id(), manifest.version());
          return authority.authorize(admitted[0].key(), manifest.id(), manifest.version())
              .compose(v -> ownsId(manifest.id(), admitted[0].principal().subject()))
              .compose(owns -> decide.apply(new Upload(admitted[0], received[0], manifest, owns)))
              .andThen(ar -> recorder.stageEnded(Stage.COMMIT));
        })
        .transform(ar -> received[0] == null ? Future.succeededFuture(ar)
            // Before answering, so that no spool file outlives its request: a no-op once committed (moved away).
            : spool.discard(received[0].spoolName()).map(ar))
        .onSuccess(ar -> {
          // Answer first, then log: the client does not wait for the log lines.
          if (ar.succeeded()) {
            if (admitted[0].warning() != null) {
              request.response().headers().add(Admission.WARNING_HEADER, admitted[0].warning());
            }
            request.response().setStatusCode(ar.result()).end();
            recorder.accepted(ar.result());
          } else {
            errors.fail(request, ar.cause(), admitted[0] != null && admitted[0].continueSent());
            recorder.refused(ar.cause());
          }
        });
  }

  /**
   * Whether {@code subject} owns the id already; another subject's id is refused with the same text as a bad key,
   * as the seed's name-conflict example shows.
   */
  private Future<Boolean> ownsId(String id, String subject) {
    if (owners.isEmpty()) {
      return Future.succeededFuture(true);
    }
    return owners.get().owner(id).compose(owner -> owner.isEmpty() ? Future.succeededFuture(false)
        : owner.get().equals(subject) ? Future.succeededFuture(true)
        : Future.failedFuture(Rejection.forbidden()));
  }

  public SpoolArea spool() {
    return spool;
  }
}
