package io.snupkg.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A checker from a Debian package that scripts/test-tools.sh installs (promtool, yamllint), run once with its
 * input on stdin: its exit status and everything it printed. A missing tool fails the test with the command that
 * installs it, never skips it.
 */
public final class DebianTool {
  private DebianTool() {}

  public record Result(int exit, String output) {}

  /**
   * @param debianPackage the package that provides {@code command[0]}, named in the failure when it is missing
   * @param stdin what the tool reads (empty for none)
   */
  public static Result run(String debianPackage, Duration timeout, String stdin, String... command)
      throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " is not installed: run scripts/test-tools.sh (Debian package "
          + debianPackage + ")", e);
    }
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String output;
    try (InputStream out = process.getInputStream()) {
      output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command[0] + " did not finish within " + timeout);
    }
    return new Result(process.exitValue(), output);
  }
}
