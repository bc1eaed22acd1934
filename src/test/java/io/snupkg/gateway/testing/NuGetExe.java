package io.snupkg.gateway.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real NuGet client: nuget.exe 5.8.0 under mono, installed by {@code scripts/test-tools.sh} (the README's
 * test command runs it). Each run gets its own HOME, so the NuGet.Config it writes and any mono crash report
 * stay in the test's directory.
 */
public final class NuGetExe {
  private final Path exe;
  private final Path home;

  public NuGetExe(Path workDir) {
    String configured = System.getProperty("snupkg.test.nugetExe", ".cache/test-tools/node_modules/nuget-exe/nuget-5.8.0.exe");
    this.exe = Path.of(configured).toAbsolutePath();
    if (!Files.isRegularFile(exe)) {
      throw new IllegalStateException("nuget.exe not found at " + exe + ": run scripts/test-tools.sh first "
          + "(the README's test command does)");
    }
    this.home = workDir;
  }

  /** What the client printed (stdout and stderr together) and its exit code. */
  public record Run(int exit, String output) {
    public boolean printed(String text) {
      return output.contains(text);
    }
  }

  public Run push(Path file, String source, String apiKey, String... extra) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("mono", exe.toString(), "push", file.toString(), "-Source", source,
        "-NonInteractive", "-ForceEnglishOutput"));
    if (apiKey != null) {
      command.addAll(List.of("-ApiKey", apiKey));
    }
    command.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
    pb.environment().put("HOME", home.toString());
    Path log = Files.createTempFile(home, "nuget", ".txt");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("nuget.exe did not finish in 120 s:\n" + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
