package io.snupkg.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.auth.KeyFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as an operator uses it: --help, keys add, and a start that stops on bad configuration. */
class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
  }

  @Test
  void helpPrintsUsage() {
    assertEquals(0, run(Map.of(), "--help"));
    assertTrue(out.toString().contains("keys add --subject NAME --scope GLOB"), out.toString());
  }

  @Test
  void keysAddStoresOnlyTheHashAndPrintsTheKeyOnce(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys.yaml");
    assertEquals(0, run(Map.of(), "keys", "add", "--subject", "ci-bot", "--scope", "Contoso.*",
        "--expires", "2030-01-01T00:00:00Z", "--file", file.toString()));
    String key = out.toString().trim();
    assertTrue(key.startsWith("snupkg_") && !key.contains("\n"), key);
    String stored = Files.readString(file);
    assertFalse(stored.contains(key), "the key itself must not be stored");
    KeyFile.Entry entry = KeyFile.read(file).get(0);
    assertEquals(ApiKey.of(key).sha256Hex(), entry.sha256());
    assertEquals("ci-bot", entry.subject());
    assertTrue(entry.allows("contoso.lib") && !entry.allows("Fabrikam.Lib"));
    assertFalse(err.toString().contains(key), "the key goes to stdout only");
  }

  @Test
  void keysAddWithoutAScopeIsAUsageError(@TempDir Path dir) {
    assertEquals(2, run(Map.of(), "keys", "add", "--subject", "x", "--file", dir.resolve("k.yaml").toString()));
    assertTrue(err.toString().contains("--scope"), err.toString());
  }

  @Test
  void badConfigurationStopsTheStartWithOneLineNamingTheKey(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("gateway.yaml"), "limits:\n  maxSymbolPackageSize: lots\n");
    assertEquals(1, run(Map.of(), config.toString()));
    String message = err.toString().trim();
    assertTrue(message.contains("limits.maxSymbolPackageSize") && !message.contains("\n"), message);

    assertEquals(1, run(Map.of("SNUPKG_HTTP_PROT", "1"), config.toString().replace("gateway", "missing")));
    assertTrue(err.toString().contains("does not exist"), err.toString());
  }
}
