package io.snupkg.gateway.symbols;

import io.snupkg.gateway.storage.BlobStore;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which PDBs debuggers can fetch, by SSQP file name and key. The PDB's bytes are a blob under
 * {@link SsqpKeys#storageKey}; the index is that blob's existence on one machine ({@link BlobSymbolIndex}) and a
 * table with several replicas, so that a lookup costs no request to the bucket and the first publisher of a key
 * wins in one statement.
 */
public interface SymbolIndex {

  /** A PDB that can be served: the blob that holds it, and its size and entity tag. */
  record Entry(String blobKey, BlobStore.Blob blob) {}

  Future<Optional<Entry>> find(String fileName, String key);

  /**
   * Stores and indexes a PDB under its key unless the key is indexed already (it names one build of one PDB, so
   * the first copy is kept). Safe to repeat: a publication taken over from another replica does it again.
   */
  Future<Void> add(String fileName, String key, Path pdb);
}
