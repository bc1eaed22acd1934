package io.snupkg.gateway.testing;

import io.snupkg.gateway.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway as a process of its own ({@link Main}, with the test's class path), for what only a process shows:
 * {@code kill -9} (nothing runs after it), SIGTERM's drain, a restart. It listens on loopback on ports of its
 * choosing, found in its log; the configuration is YAML by section, as {@link SharedStores#yaml()} gives it.
 */
public final class GatewayProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(management 127\\.0\\.0\\.1:(\\d+)\\)");

  private final Process process;
  private final Path log;
  private final int port;
  private final int managementPort;

  private GatewayProcess(Process process, Path log, int port, int managementPort) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.managementPort = managementPort;
  }

  /**
   * Starts a gateway in {@code dir} (its storage.path, config and log live there) and waits until it listens.
   *
   * @param sections YAML lines by section, merged with loopback ports and the storage path
   */
  public static GatewayProcess start(Path dir, Map<String, List<String>> sections) {
    return start(dir, sections, List.of());
  }

  /**
   * As {@link #start(Path, Map)}, with {@code java} run by {@code wrapper} (a command that ends by exec'ing its
   * arguments, so that the process is the JVM: {@code unshare}, say).
   */
  public static GatewayProcess start(Path dir, Map<String, List<String>> sections, List<String> wrapper) {
    try {
      Files.createDirectories(dir);
      // Loopback on ports of its choosing, the storage path in dir; a section given twice in YAML would replace the
      // first, so the caller's lines are merged into these.
      Map<String, List<String>> merged = new java.util.LinkedHashMap<>();
      merged.put("http", new java.util.ArrayList<>(List.of("host: 127.0.0.1", "port: 0")));
      merged.put("management", new java.util.ArrayList<>(List.of("host: 127.0.0.1", "port: 0")));
      merged.put("storage", new java.util.ArrayList<>(List.of("path: '" + dir.resolve("data") + "'")));
      sections.forEach((section, lines) -> merged.computeIfAbsent(section, x -> new java.util.ArrayList<>())
          .addAll(lines));
      StringBuilder yaml = new StringBuilder();
      merged.forEach((section, lines) -> {
        yaml.append(section).append(":\n");
        lines.forEach(l -> yaml.append("  ").append(l).append('\n'));
      });
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(config, yaml);
      Path log = dir.resolve("gateway-" + System.nanoTime() + ".log");
      List<String> command = new java.util.ArrayList<>(wrapper);
      command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx160m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), config.toString()));
      Process p = new ProcessBuilder(command)
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        String text = Files.readString(log);
        Matcher m = LISTENING.matcher(text);
        if (m.find()) {
          return new GatewayProcess(p, log, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        if (!p.isAlive()) {
          throw new IllegalStateException("the gateway exited " + p.exitValue() + ":\n" + text);
        }
        Thread.sleep(50);
      }
      p.destroyForcibly();
      throw new IllegalStateException("the gateway did not listen within 60 s:\n" + Files.readString(log));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public int managementPort() {
    return managementPort;
  }

  public long pid() {
    return process.pid();
  }

  /** The process's open file descriptors, from {@code /proc}. */
  public int openFiles() {
    try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid()), "fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The process's resident set, in KiB, from {@code /proc}. */
  public long rssKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D+", ""));
        }
      }
      throw new IllegalStateException("no VmRSS in /proc/" + pid() + "/status");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A path as the process sees it: through {@code /proc/PID/root}, which shows the mounts of its namespace. */
  public Path seen(Path path) {
    return Path.of("/proc", String.valueOf(pid()), "root").resolve(path.toAbsolutePath().toString().substring(1));
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** {@code kill -9}: nothing of the gateway runs after it. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, as Kubernetes sends it; the gateway drains and exits by itself. */
  public void terminate() {
    process.destroy();
  }

  /** Waits for the process to exit; its exit status, or -1 if it is still running after {@code seconds}. */
  public int awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
