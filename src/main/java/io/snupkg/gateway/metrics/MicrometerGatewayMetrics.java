package io.snupkg.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

/**
 * The domain meters on a Micrometer registry, under the names of DESIGN "Interfaces" (Prometheus adds
 * {@code _total}, {@code _seconds} and {@code _bucket}). The series whose label values are known in advance are
 * registered at start, at zero, so that {@code rate()} and alerts see them before the first event.
 */
public final class MicrometerGatewayMetrics implements GatewayMetrics {
  /** Histogram buckets from a cached auth answer (ms) to a large upload (minutes): 16 series per stage. */
  private static final Duration[] STAGE_BUCKETS = LongStream.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000,
      10_000, 30_000, 60_000, 120_000, 300_000).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

  private final MeterRegistry registry;
  private final AtomicLong uploadsInFlight = new AtomicLong();
  private final AtomicLong bytesInFlight = new AtomicLong();
  private final Map<Kind, Counter> bytes = new EnumMap<>(Kind.class);
  private final Map<Stage, Timer> stages = new EnumMap<>(Stage.class);

  /** @param rules every validation rule name, so that each has its series from the start */
  public MicrometerGatewayMetrics(MeterRegistry registry, List<String> rules) {
    this.registry = registry;
    Gauge.builder("snupkg.uploads.in.flight", uploadsInFlight, AtomicLong::get)
        .description("Pushes under way, from the request head to the answer").register(registry);
    // No base unit: Prometheus would append "_bytes" to the contract's name.
    Gauge.builder("snupkg.upload.bytes.in.flight", bytesInFlight, AtomicLong::get)
        .description("Bytes received so far by the pushes being received").register(registry);
    for (Kind kind : Kind.values()) {
      bytes.put(kind, Counter.builder("snupkg.push.bytes").baseUnit("bytes").tag("kind", label(kind))
          .description("Push body bytes received, counted as they arrive").register(registry));
    }
    for (Stage stage : Stage.values()) {
      stages.put(stage, Timer.builder("snupkg.push.stage").tag("stage", label(stage))
          .description("Time a push spends in each stage")
          .serviceLevelObjectives(STAGE_BUCKETS).register(registry));
    }
    for (AuthResult result : AuthResult.values()) {
      for (LookupSource source : LookupSource.values()) {
        authLookups(result, source);
      }
    }
    for (FeedResult result : FeedResult.values()) {
      feedLookups(result);
    }
    for (PublishResult result : PublishResult.values()) {
      publishes(result);
    }
    rules.forEach(this::validationFailures);
  }

  @Override
  public Upload uploadStarted(Kind kind) {
    uploadsInFlight.incrementAndGet();
    Counter counter = bytes.get(kind);
    // Confined to the request's event loop: only the shared totals need to be atomic.
    return new Upload() {
      private long counted;
      private boolean ended;

      @Override
      public void received(long totalBytes) {
        long increment = totalBytes - counted;
        if (ended || increment <= 0) {
          return;
        }
        counted = totalBytes;
        bytesInFlight.addAndGet(increment);
        counter.increment(increment);
      }

      @Override
      public void end() {
        if (!ended) {
          ended = true;
          bytesInFlight.addAndGet(-counted);
          uploadsInFlight.decrementAndGet();
        }
      }
    };
  }

  @Override
  public void pushed(Kind kind, String status) {
    Counter.builder("snupkg.push").tag("kind", label(kind)).tag("status", status)
        .description("Pushes answered, by HTTP status (aborted: the client went away)").register(registry)
        .increment();
  }

  @Override
  public void stage(Stage stage, long nanos) {
    stages.get(stage).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void authLookup(AuthResult result, LookupSource source) {
    authLookups(result, source).increment();
  }

  @Override
  public void feedLookup(FeedResult result) {
    feedLookups(result).increment();
  }

  @Override
  public void validationFailed(String rule) {
    validationFailures(rule).increment();
  }

  private Counter validationFailures(String rule) {
    return Counter.builder("snupkg.validation.failures").tag("rule", rule)
        .description("Packages refused by validation, by rule").register(registry);
  }

  @Override
  public void published(PublishResult result) {
    publishes(result).increment();
  }

  @Override
  public void symbolDownload(int status) {
    Counter.builder("snupkg.symbol.downloads").tag("status", String.valueOf(status))
        .description("SSQP symbol file requests, by HTTP status").register(registry).increment();
  }

  @Override
  public void storageRequest(String operation, String result) {
    Counter.builder("snupkg.storage.requests").tag("operation", operation).tag("result", result)
        .description("Requests to the S3 bucket, by operation and result").register(registry).increment();
  }

  @Override
  public void databaseCall(String kind, String result) {
    Counter.builder("snupkg.database.calls").tag("kind", kind).tag("result", result)
        .description("Statements and transactions sent to PostgreSQL, by result").register(registry).increment();
  }

  private Counter authLookups(AuthResult result, LookupSource source) {
    return Counter.builder("snupkg.auth.lookups").tag("result", label(result)).tag("source", label(source))
        .description("Key lookups against the auth service, by answer and by where the answer came from")
        .register(registry);
  }

  private Counter feedLookups(FeedResult result) {
    return Counter.builder("snupkg.feed.lookups").tag("result", label(result))
        .description("Parent package lookups in the feed").register(registry);
  }

  private Counter publishes(PublishResult result) {
    return Counter.builder("snupkg.publish").tag("result", label(result))
        .description("Pushed symbol packages whose publishing ended").register(registry);
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
