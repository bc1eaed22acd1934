package io.snupkg.gateway.metrics;

/**
 * What the gateway counts, in its own words. Handlers report events here and never touch Micrometer, so the
 * meter names and labels (a contract with dashboards and alerts, DESIGN "Interfaces") live in one class,
 * {@link MicrometerGatewayMetrics}. Every label value comes from an enum, an HTTP status or a validation rule
 * name (enum names are lowercased): never a package id, a key or a path, so the number of series stays bounded.
 */
public interface GatewayMetrics {

  /** The push routes: {@code kind="symbols|package"}. */
  enum Kind { SYMBOLS, PACKAGE }

  /** The steps of a push, timed separately so a slow step shows which dependency or phase is slow. */
  enum Stage { ADMISSION, RECEIVE, VALIDATE, COMMIT }

  /** Where an auth answer came from: the cache, a call of our own, or a call another push had already made. */
  enum LookupSource { CACHE, UPSTREAM, COALESCED }

  /** An auth service answer: the key may push ({@code allowed}), may not ({@code denied}), or no answer. */
  enum AuthResult { ALLOWED, DENIED, UNAVAILABLE }

  /** A parent lookup in the feed. */
  enum FeedResult { FOUND, MISSING, UNAVAILABLE }

  /** How publishing ended for one pushed snupkg. */
  enum PublishResult { AVAILABLE, FAILED }

  /** One upload being received: reports its running byte count, then ends (exactly once). */
  interface Upload {
    /** @param totalBytes every byte of the request received so far (not the increment) */
    void received(long totalBytes);

    void end();
  }

  /** Starts counting an upload in flight. */
  Upload uploadStarted(Kind kind);

  /** A push answered: {@code status} is the HTTP status, or {@code aborted} when the client went away. */
  void pushed(Kind kind, String status);

  void stage(Stage stage, long nanos);

  void authLookup(AuthResult result, LookupSource source);

  void feedLookup(FeedResult result);

  /** @param rule the bounded rule name of a validation failure */
  void validationFailed(String rule);

  void published(PublishResult result);

  void symbolDownload(int status);

  /**
   * One request to the bucket ({@code storage.type: s3}).
   *
   * @param operation a bounded S3 operation name ({@code put}, {@code upload_part}, {@code get}, ...)
   * @param result {@code ok}, {@code missing} (404) or {@code error}
   */
  void storageRequest(String operation, String result);

  /**
   * One call to the database: {@code kind} is {@code query} or {@code transaction}, {@code result} {@code ok} or
   * {@code error} (a decision that refused a push is {@code ok}: the database answered).
   */
  void databaseCall(String kind, String result);

  /** Counts nothing: for collaborators built outside a running gateway. */
  GatewayMetrics NOOP = new GatewayMetrics() {
    private final Upload noUpload = new Upload() {
      @Override
      public void received(long totalBytes) {}

      @Override
      public void end() {}
    };

    @Override
    public Upload uploadStarted(Kind kind) {
      return noUpload;
    }

    @Override
    public void pushed(Kind kind, String status) {}

    @Override
    public void stage(Stage stage, long nanos) {}

    @Override
    public void authLookup(AuthResult result, LookupSource source) {}

    @Override
    public void feedLookup(FeedResult result) {}

    @Override
    public void validationFailed(String rule) {}

    @Override
    public void published(PublishResult result) {}

    @Override
    public void symbolDownload(int status) {}

    @Override
    public void storageRequest(String operation, String result) {}

    @Override
    public void databaseCall(String kind, String result) {}
  };
}
