package io.snupkg.gateway.metrics;

import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.Set;
import java.util.UUID;

/**
 * A Vert.x instance whose own meters (HTTP server and client, pools, event bus) and the JVM and process
 * binders report to a Prometheus registry that the gateway also registers its domain meters on.
 */
public final class Prometheus {
  private Prometheus() {}

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new FileDescriptorMetrics().bindTo(registry); // process_files_open_files: uploads hold spool files open
    return registry;
  }

  public static Vertx vertx(PrometheusMeterRegistry registry) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setDisabledMetricsCategories(Set.of(MetricsDomain.DATAGRAM_SOCKET.name(), MetricsDomain.VERTICLES.name()))
        // Vert.x keeps registries in a static map by name: a name of its own, so that several gateways in one
        // JVM (tests) never share one.
        .setRegistryName("snupkg-" + UUID.randomUUID());
    // Every path the gateway opens is an absolute path on disk: Vert.x's class-path lookup and file cache would
    // only cost a canonical-path resolution per file operation (4 % of the CPU of small pushes, bench/RESULTS.md)
    // and a cache folder in the working directory.
    FileSystemOptions files = new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false);
    return Vertx.builder().with(new VertxOptions().setMetricsOptions(metrics).setFileSystemOptions(files))
        .withMetrics(new MicrometerMetricsFactory(registry)).build();
  }
}
