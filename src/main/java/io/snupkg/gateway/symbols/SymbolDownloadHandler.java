package io.snupkg.gateway.symbols;

import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.ReasonPhrase;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.storage.BlobDownload;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.validation.PdbChecksums;
import io.snupkg.gateway.validation.PortablePdbReader;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET|HEAD /download/symbols/{file}/{key}/{file}}: the Simple Symbol Query Protocol (nuget-protocol.md
 * §5.1), which debuggers and dotnet-symbol use to fetch a PDB by the key they build from a DLL. The PDB is a file
 * that the publisher indexed ({@link SymbolIndex}) and stored as a blob; it is streamed from the store, never held.
 *
 * <p>Keys are case-insensitive (the spec says servers must compare so), so both are lowercased, as the publisher
 * writes them. Segments outside {@code [A-Za-z0-9._-]} (or with {@code ..}, or a leading dot) get 404, not 400:
 * no stored key can contain them, and a symbol client probing several servers treats 404 as "not here, try the
 * next one" but may report a 400 as a broken server. Vert.x also removes dot segments (decoded {@code %2e} too)
 * before routing, so those never reach this handler and get the router's 404.
 *
 * <p>A file under a key never changes (the key names one build of one PDB), so the answer is cacheable for a year,
 * and the strong ETag is the store's (size and modification time on disk, as nginx makes it; the bucket's own). A single byte range is
 * served as 206, because symbol clients and proxies resume large PDBs; several ranges get the whole file (allowed
 * by RFC 9110 and not worth multipart/byteranges). {@code SymbolChecksum} is not checked yet: when it is, the check
 * belongs in {@link #answer} after the lookup (404 on a mismatch, as nuget-protocol.md §5.1 suggests).
 */
public final class SymbolDownloadHandler implements Handler<RoutingContext> {
  static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
  private static final Pattern BYTE_RANGE = Pattern.compile("\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

  static final String SYMBOL_CHECKSUM = "SymbolChecksum";

  private final SymbolIndex index;
  private final BlobStore blobs;
  private final Path workDir;
  private final boolean requireChecksum;
  private final GatewayMetrics metrics;

  /**
   * @param requireChecksum {@code symbols.requireChecksum}: a download must carry the {@code SymbolChecksum} header
   *     that debuggers build from the DLL (403 without it), and one of its entries must equal the stored PDB's hash
   *     with its id zeroed (404 otherwise), so that only someone holding the DLL gets its PDB (GitLab's model for
   *     debuggers that cannot send tokens)
   */
  public SymbolDownloadHandler(SymbolIndex index, BlobStore blobs, Path workDir, boolean requireChecksum,
      GatewayMetrics metrics) {
    this.metrics = metrics;
    this.index = index;
    this.blobs = blobs;
    this.workDir = workDir;
    this.requireChecksum = requireChecksum;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.addHeadersEndHandler(v -> metrics.symbolDownload(ctx.response().getStatusCode()));
    String file = ctx.pathParam("file");
    String key = ctx.pathParam("key");
    String again = ctx.pathParam("file2");
    if (!SsqpKeys.validSegment(file) || !SsqpKeys.validSegment(key) || !SsqpKeys.validSegment(again)) {
      ErrorResponder.send(ctx.response(), Rejection.notFound(
          "Not a symbol key: file and key segments allow only letters, digits, '.', '_' and '-'"));
      return;
    }
    if (!file.equalsIgnoreCase(again)) {
      ErrorResponder.send(ctx.response(), Rejection.notFound(
          "The two file names of a symbol key must be the same: " + file + " and " + again + " differ"));
      return;
    }
    String lowerFile = file.toLowerCase(Locale.ROOT);
    String lowerKey = key.toLowerCase(Locale.ROOT);
    index.find(file, key).onComplete(ar -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        BlobDownload.failed(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        ErrorResponder.send(ctx.response(), Rejection.notFound(
            "No symbol file " + lowerFile + " with key " + lowerKey + " is stored"));
      } else {
        SymbolIndex.Entry entry = ar.result().get();
        checksum(ctx, entry.blobKey()).onComplete(ok -> {
          if (ok.succeeded()) {
            answer(ctx, entry);
          } else {
            ErrorResponder.send(ctx.response(), ok.cause() instanceof Rejection r ? r : Rejection.notFound(
                "No symbol file " + lowerFile + " with key " + lowerKey + " is stored"));
          }
        });
      }
    });
  }

  /** With {@code requireChecksum}: succeeds when the request's SymbolChecksum names this PDB. */
  private Future<Void> checksum(RoutingContext ctx, String blobKey) {
    if (!requireChecksum) {
      return Future.succeededFuture();
    }
    String header = ctx.request().getHeader(SYMBOL_CHECKSUM);
    if (header == null || header.isBlank()) {
      return Future.failedFuture(Rejection.forbiddenWith("This symbol server requires the SymbolChecksum header "
          + "that debuggers send for DLLs with a PdbChecksum entry"));
    }
    // Hashing reads the whole PDB, so it needs a local file (a hard link on one machine) and a worker thread.
    Path pdb = workDir.resolve("checksum-" + java.util.UUID.randomUUID() + ".pdb");
    return blobs.copyTo(blobKey, pdb)
        .compose(found -> ctx.vertx().<Boolean>executeBlocking(() -> found && matches(pdb, header), false))
        .eventually(() -> ctx.vertx().executeBlocking(() -> java.nio.file.Files.deleteIfExists(pdb), false))
        .compose(match -> match ? Future.succeededFuture() : Future.failedFuture(Rejection.notFound(
            "No symbol file with this SymbolChecksum is stored")));
  }

  private static boolean matches(Path pdb, String header) throws Exception {
    PortablePdbReader.PdbId id;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(pdb)) {
      id = PortablePdbReader.read(in, pdb.getFileName().toString(), java.nio.file.Files.size(pdb));
    }
    for (String entry : header.split(";")) {
      int colon = entry.indexOf(':');
      if (colon > 0) {
        Optional<byte[]> hash = PdbChecksums.hash(pdb, id.idOffset(), entry.substring(0, colon).trim());
        if (hash.isPresent() && java.util.HexFormat.of().formatHex(hash.get())
            .equalsIgnoreCase(entry.substring(colon + 1).trim())) {
          return true;
        }
      }
    }
    return false;
  }

  private void answer(RoutingContext ctx, SymbolIndex.Entry pdb) {
    HttpServerRequest req = ctx.request();
    HttpServerResponse resp = ctx.response();
    Optional<String> redirect = blobs.redirect(pdb.blobKey());
    if (redirect.isPresent()) { // the bucket answers the range and conditional requests itself
      resp.setStatusCode(302).putHeader(HttpHeaders.LOCATION, redirect.get()).end();
      return;
    }
    long size = pdb.blob().size();
    String etag = pdb.blob().etag();
    resp.putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
        .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
    if (BlobDownload.noneMatch(req.getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
      resp.setStatusCode(304).end();
      return;
    }
    // RFC 9110 §14.2: range handling is defined for GET only; a HEAD describes the whole file.
    boolean ranged = req.method() == HttpMethod.GET && ifRangeHolds(req.getHeader("If-Range"), etag);
    Optional<ByteRange> range = ranged ? ByteRange.select(req.getHeader("Range"), size)
        : Optional.of(ByteRange.whole(size));
    if (range.isEmpty()) {
      resp.setStatusCode(416)
          .setStatusMessage(ReasonPhrase.of("Range not satisfiable: the file is " + size + " bytes"))
          .putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size)
          .end();
      return;
    }
    ByteRange r = range.get();
    resp.putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
    if (r.partial()) {
      resp.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE,
          "bytes " + r.first() + "-" + r.last() + "/" + size);
    }
    if (req.method() == HttpMethod.HEAD) {
      // Vert.x leaves Content-Length to the handler on HEAD, and sendFile would put the file on the wire.
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(r.length())).end();
      return;
    }
    blobs.send(pdb.blobKey(), resp, r.first(), r.length()).onFailure(err -> BlobDownload.failed(ctx, err));
  }

  /**
   * {@code If-Range} uses the strong comparison. A date instead of an ETag is treated as not matching, which
   * RFC 9110 §13.1.5 allows: the client then gets the whole file, which is always correct.
   */
  static boolean ifRangeHolds(String header, String etag) {
    return header == null || header.trim().equals(etag);
  }

  /** The bytes to send: {@code first} to {@code last} inclusive; {@code partial} when answered with 206. */
  record ByteRange(long first, long last, boolean partial) {
    static ByteRange whole(long size) {
      return new ByteRange(0, size - 1, false);
    }

    long length() {
      return last - first + 1;
    }

    /**
     * What a {@code Range} header asks for, per RFC 9110 §14.1.2: the whole file when there is no header, or one
     * that is malformed, of another unit, or with several ranges (a server may ignore any of those); empty when the
     * one range is unsatisfiable (416).
     */
    static Optional<ByteRange> select(String header, long size) {
      String prefix = "bytes=";
      if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
        return Optional.of(whole(size));
      }
      Matcher m = BYTE_RANGE.matcher(header.substring(prefix.length()));
      if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
        return Optional.of(whole(size));
      }
      if (m.group(1).isEmpty()) {
        long suffix = digits(m.group(2));
        return suffix == 0 || size == 0 ? Optional.empty()
            : Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1, true));
      }
      long first = digits(m.group(1));
      long last = m.group(2).isEmpty() ? Long.MAX_VALUE : digits(m.group(2));
      if (last < first) {
        return Optional.of(whole(size));
      }
      return first >= size ? Optional.empty() : Optional.of(new ByteRange(first, Math.min(last, size - 1), true));
    }

    /** A decimal number; one too long for a long is larger than any file, so it saturates. */
    private static long digits(String s) {
      String trimmed = s.replaceFirst("^0+(?=\\d)", "");
      return trimmed.length() > 18 ? Long.MAX_VALUE : Long.parseLong(trimmed);
    }
  }
}
