package io.snupkg.gateway.storage;

import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The records of symbol pushes, one per id and normalized version ({@link SymbolPackageRecord}), and the decisions
 * on them. Two backends: {@link FileSymbolRecords} (one process: record files and a per-version lock) and the
 * database's (several replicas: each decision is one transaction). Both follow the same rules, which the contract
 * tests run against each.
 */
public interface SymbolRecords {

  Future<Optional<SymbolPackageRecord>> record(String id, String normalizedVersion);

  /** A valid symbol push, ready to become the pending one; {@code claimOwner} when the subject owns no id yet. */
  record Push(String id, String version, Upload upload, boolean claimOwner) {}

  enum Accepted {
    /** It is the pending push now: stored, recorded, and queued for publishing. */
    PENDING,
    /** The same bytes are pending or served already (a client retrying after a lost answer): nothing stored. */
    ALREADY_STORED
  }

  /**
   * Decides a push by DESIGN's rule: the same bytes again are accepted without storing anything; a different push
   * while one is pending fails with 409; the id of another owner fails with 403. Otherwise {@code storeBlob} stores
   * the snupkg, then the record names it as pending and the push is queued for publishing, so that no record names
   * a blob that is not there and no pending push is left out of the queue. The blob is stored only once the
   * decision is won, so pushes that lose store nothing.
   */
  Future<Accepted> accept(Push push, Supplier<Future<Void>> storeBlob);

  /**
   * Every record still pending: what a restart resumes on one machine. The database backend's queue knows them
   * itself, so it answers empty there.
   */
  Future<List<SymbolPackageRecord>> pending();
}
