package io.snupkg.gateway.symbols;

import io.snupkg.gateway.storage.BlobStore;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Optional;

/** {@link SymbolIndex} of one machine: a key is indexed when its blob exists, one lookup whatever the count. */
public final class BlobSymbolIndex implements SymbolIndex {
  private final BlobStore blobs;

  public BlobSymbolIndex(BlobStore blobs) {
    this.blobs = blobs;
  }

  @Override
  public Future<Optional<Entry>> find(String fileName, String key) {
    String blobKey = SsqpKeys.storageKey(fileName, key);
    return blobs.stat(blobKey).map(blob -> blob.map(b -> new Entry(blobKey, b)));
  }

  @Override
  public Future<Void> add(String fileName, String key, Path pdb) {
    return blobs.putFileIfAbsent(SsqpKeys.storageKey(fileName, key), pdb).mapEmpty();
  }
}
