package io.snupkg.gateway.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The key file of the embedded authority ({@code auth.type: file}). Keys are stored only as the SHA-256 of the
 * key, so the file can be read by operators without exposing a key:
 *
 * <pre>
 * keys:
 *   - subject: ci-bot
 *     sha256: 5e88...
 *     scopes: ["Contoso.*"]
 *     expires: 2027-01-01T00:00:00Z   # optional
 * </pre>
 *
 * Blocking file I/O: used at start, by the {@code keys add} command and on the worker pool for reloads.
 */
public final class KeyFile {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String HEADER = """
      # API keys of the embedded key authority (auth.type: file).
      # Each key is stored as the lowercase hex SHA-256 of the key; the key itself is never stored.
      # Add keys with: java -jar target/snupkg-gateway.jar keys add --subject NAME --scope 'Contoso.*'
      keys:
      """;

  private KeyFile() {}

  /** One key: who holds it, which package ids it may push (globs), and until when. */
  public record Entry(String subject, String sha256, List<IdGlob> scopes, Optional<Instant> expires) {
    public boolean expiredAt(Instant now) {
      return expires.map(now::isAfter).orElse(false);
    }

    public boolean allows(String packageId) {
      return scopes.stream().anyMatch(g -> g.matches(packageId));
    }
  }

  /** Thrown for a key file that cannot be used; the message names the file and the entry. */
  public static final class KeyFileException extends Exception {
    public KeyFileException(String message) {
      super(message, null, false, false);
    }
  }

  public static List<Entry> read(Path file) throws KeyFileException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new KeyFileException(file + ": cannot read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  static List<Entry> parse(String text, String source) throws KeyFileException {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new KeyFileException(source + ": not valid YAML: " + e.getMessage().replaceAll("\\s+", " "));
    }
    if (root == null) {
      return List.of();
    }
    if (!(root instanceof Map<?, ?> map) || !map.keySet().stream().allMatch("keys"::equals)) {
      throw new KeyFileException(source + ": expected a mapping with the single key 'keys'");
    }
    Object keys = map.get("keys");
    if (keys == null) {
      return List.of();
    }
    if (!(keys instanceof List<?> list)) {
      throw new KeyFileException(source + ": 'keys' must be a list");
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      entries.add(entry(list.get(i), source + ": keys[" + i + "]"));
    }
    return List.copyOf(entries);
  }

  private static Entry entry(Object node, String where) throws KeyFileException {
    if (!(node instanceof Map<?, ?> m)) {
      throw new KeyFileException(where + ": expected a mapping with subject, sha256, scopes");
    }
    for (Object k : m.keySet()) {
      if (!List.of("subject", "sha256", "scopes", "expires").contains(String.valueOf(k))) {
        throw new KeyFileException(where + ": unknown key '" + k + "'");
      }
    }
    Object subject = m.get("subject");
    if (!(subject instanceof String s) || s.isBlank()) {
      throw new KeyFileException(where + ".subject: required");
    }
    Object sha = m.get("sha256");
    if (!(sha instanceof String h) || !SHA256.matcher(h).matches()) {
      throw new KeyFileException(where + ".sha256: must be 64 lowercase hex digits (the SHA-256 of the key)");
    }
    Object scopes = m.get("scopes");
    if (!(scopes instanceof List<?> sl) || sl.isEmpty()) {
      throw new KeyFileException(where + ".scopes: required, a list of package-id globs such as [\"Contoso.*\"]");
    }
    List<IdGlob> globs = new ArrayList<>();
    for (Object g : sl) {
      try {
        globs.add(IdGlob.of(String.valueOf(g)));
      } catch (IllegalArgumentException e) {
        throw new KeyFileException(where + ".scopes: " + e.getMessage());
      }
    }
    return new Entry(((String) subject).trim(), (String) sha, List.copyOf(globs), expires(m.get("expires"), where));
  }

  private static Optional<Instant> expires(Object value, String where) throws KeyFileException {
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Date d) { // SnakeYAML reads an unquoted timestamp as a Date
      return Optional.of(d.toInstant());
    }
    try {
      return Optional.of(Instant.parse(String.valueOf(value)));
    } catch (DateTimeParseException e) {
      throw new KeyFileException(where + ".expires: '" + value + "' is not a UTC timestamp like 2027-01-01T00:00:00Z");
    }
  }

  /** A new random key: 32 bytes from SecureRandom, URL-safe base64, with a prefix that makes leaks greppable. */
  public static String newKey() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "snupkg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * Adds a key for {@code subject} and returns it; the file keeps only its hash. Appends to the file so that an
   * operator's comments and layout survive; a file whose layout does not allow appending is rewritten.
   */
  public static String add(Path file, String subject, List<String> scopes, Optional<Instant> expires)
      throws KeyFileException {
    String key = newKey();
    StringBuilder block = new StringBuilder();
    block.append("  - subject: ").append(quote(subject)).append('\n');
    block.append("    sha256: ").append(ApiKey.sha256Hex(key)).append('\n');
    block.append("    scopes: [");
    for (int i = 0; i < scopes.size(); i++) {
      block.append(i > 0 ? ", " : "").append(quote(scopes.get(i)));
    }
    block.append("]\n");
    expires.ifPresent(e -> block.append("    expires: ").append(e).append('\n'));
    // Validate the new entry the same way a load would.
    parse("keys:\n" + block, "new key");

    try {
      List<Entry> existing = Files.exists(file) ? read(file) : List.of();
      String current = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      String appended = existing.isEmpty()
          ? HEADER + block
          : current + (current.endsWith("\n") ? "" : "\n") + block;
      List<Entry> after;
      try {
        after = parse(appended, file.toString());
      } catch (KeyFileException e) {
        after = List.of();
      }
      if (after.size() != existing.size() + 1) {
        // The 'keys' list is not the last thing in the file (or is in flow style): rewrite it whole.
        StringBuilder all = new StringBuilder(HEADER);
        for (Entry e : existing) {
          all.append("  - subject: ").append(quote(e.subject())).append('\n')
              .append("    sha256: ").append(e.sha256()).append('\n')
              .append("    scopes: [")
              .append(String.join(", ", e.scopes().stream().map(g -> quote(g.toString())).toList()))
              .append("]\n");
          e.expires().ifPresent(x -> all.append("    expires: ").append(x).append('\n'));
        }
        appended = all.append(block).toString();
      }
      writeAtomically(file, appended);
    } catch (IOException e) {
      throw new KeyFileException(file + ": cannot write: " + e.getMessage());
    }
    return key;
  }

  /**
   * On a first start (no key file, or one without keys) creates a key that may push every id, so that the
   * first {@code nuget push} works; returns it so that it can be printed once. Empty if keys exist.
   */
  public static Optional<String> bootstrap(Path file) throws KeyFileException {
    if (Files.exists(file) && !read(file).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(add(file, "admin", List.of("*"), Optional.empty()));
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".api-keys", ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
