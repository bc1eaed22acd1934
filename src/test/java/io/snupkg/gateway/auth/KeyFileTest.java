package io.snupkg.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.auth.KeyFile.Entry;
import io.snupkg.gateway.auth.KeyFile.KeyFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {
  private static final String SHA_A = ApiKey.sha256Hex("a");
  private static final String SHA_B = ApiKey.sha256Hex("b");

  @TempDir
  Path dir;

  private static List<String> hashes(List<Entry> entries) {
    return entries.stream().map(Entry::sha256).toList();
  }

  private static KeyFileException parseError(String yaml) {
    return assertThrows(KeyFileException.class, () -> KeyFile.parse(yaml, "keys.yaml"));
  }

  // ---- add ----

  @Test
  void addCreatesAMissingFile() throws Exception {
    Path file = dir.resolve("conf/api-keys.yaml");
    String key = KeyFile.add(file, "ci-bot", List.of("Contoso.*", "Lab.Sample"), Optional.empty());
    assertTrue(Files.isRegularFile(file));
    List<Entry> entries = KeyFile.read(file);
    assertEquals(1, entries.size());
    Entry e = entries.get(0);
    assertEquals("ci-bot", e.subject());
    assertEquals(ApiKey.of(key).sha256Hex(), e.sha256());
    assertEquals(List.of("Contoso.*", "Lab.Sample"), e.scopes().stream().map(IdGlob::toString).toList());
    assertEquals(Optional.empty(), e.expires());
    assertFalse(Files.readString(file).contains(key), "the key itself is never stored");
  }

  @Test
  void addWithExpiry() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Instant expires = Instant.parse("2027-01-01T00:00:00Z");
    KeyFile.add(file, "temp", List.of("*"), Optional.of(expires));
    assertEquals(Optional.of(expires), KeyFile.read(file).get(0).expires());
  }

  @Test
  void addQuotesTheSubject() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    KeyFile.add(file, "team: \"build\" #1", List.of("*"), Optional.empty());
    assertEquals("team: \"build\" #1", KeyFile.read(file).get(0).subject());
  }

  @Test
  void secondAddAppendsAndKeepsComments() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    String first = KeyFile.add(file, "first", List.of("A.*"), Optional.empty());
    String withComment = Files.readString(file).replace("keys:\n", "keys:\n  # rotated 2025-01-01, ask ops\n");
    Files.writeString(file, withComment);
    String second = KeyFile.add(file, "second", List.of("B.*"), Optional.empty());
    assertNotEquals(first, second);
    List<Entry> entries = KeyFile.read(file);
    assertEquals(List.of(ApiKey.sha256Hex(first), ApiKey.sha256Hex(second)), hashes(entries));
    assertEquals(List.of("first", "second"), entries.stream().map(Entry::subject).toList());
    String text = Files.readString(file);
    assertTrue(text.contains("# rotated 2025-01-01, ask ops"), text);
    assertTrue(text.startsWith(withComment), "the earlier content is kept as it was:\n" + text);
  }

  @Test
  void addToAHandWrittenFileWithoutTrailingNewline() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, "# operator's notes\nkeys:\n  - subject: old\n    sha256: " + SHA_A
        + "\n    scopes: [\"*\"]");
    String key = KeyFile.add(file, "new", List.of("*"), Optional.empty());
    assertEquals(List.of(SHA_A, ApiKey.sha256Hex(key)), hashes(KeyFile.read(file)));
    assertTrue(Files.readString(file).startsWith("# operator's notes\n"));
  }

  @Test
  void addRewritesAFlowStyleList() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, "keys: [{subject: old, sha256: " + SHA_A + ", scopes: [\"X.*\"], "
        + "expires: \"2030-01-01T00:00:00Z\"}]\n");
    String key = KeyFile.add(file, "new", List.of("*"), Optional.empty());
    List<Entry> entries = KeyFile.read(file);
    assertEquals(List.of(SHA_A, ApiKey.sha256Hex(key)), hashes(entries));
    assertEquals(Optional.of(Instant.parse("2030-01-01T00:00:00Z")), entries.get(0).expires());
    assertEquals("X.*", entries.get(0).scopes().get(0).toString());
  }

  @Test
  void addRejectsAnEmptyScopeAndLeavesTheFileAlone() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    assertThrows(KeyFileException.class, () -> KeyFile.add(file, "x", List.of(), Optional.empty()));
    assertThrows(KeyFileException.class, () -> KeyFile.add(file, "x", List.of(" "), Optional.empty()));
    assertFalse(Files.exists(file));
  }

  @Test
  void addLeavesNoTemporaryFiles() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    KeyFile.add(file, "a", List.of("*"), Optional.empty());
    KeyFile.add(file, "b", List.of("*"), Optional.empty());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
  }

  // ---- bootstrap ----

  @Test
  void bootstrapOnAMissingFileCreatesOneKeyForEveryId() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    String key = KeyFile.bootstrap(file).orElseThrow();
    List<Entry> entries = KeyFile.read(file);
    assertEquals(1, entries.size());
    assertEquals(ApiKey.sha256Hex(key), entries.get(0).sha256());
    assertEquals(List.of("*"), entries.get(0).scopes().stream().map(IdGlob::toString).toList());
    assertTrue(entries.get(0).allows("Any.Package"));
  }

  @Test
  void bootstrapOnAFileWithoutKeys() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, "keys: []\n");
    String key = KeyFile.bootstrap(file).orElseThrow();
    assertEquals(List.of(ApiKey.sha256Hex(key)), hashes(KeyFile.read(file)));
  }

  @Test
  void bootstrapOnAnEmptyFile() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, "");
    assertTrue(KeyFile.bootstrap(file).isPresent());
    assertEquals(1, KeyFile.read(file).size());
  }

  @Test
  void bootstrapDoesNothingWhenKeysExist() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    String text = "keys:\n  - subject: ops\n    sha256: " + SHA_A + "\n    scopes: [\"*\"]\n";
    Files.writeString(file, text);
    assertEquals(Optional.empty(), KeyFile.bootstrap(file));
    assertEquals(text, Files.readString(file));
  }

  @Test
  void bootstrapDoesNotOverwriteABrokenFile() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    String text = "keys:\n  - subject: ops\n    sha256: nothex\n    scopes: [\"*\"]\n";
    Files.writeString(file, text);
    assertThrows(KeyFileException.class, () -> KeyFile.bootstrap(file));
    assertEquals(text, Files.readString(file));
  }

  // ---- read / parse ----

  @Test
  void readsEntries() throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, "# comment\nkeys:\n"
        + "  - subject: ci-bot\n    sha256: " + SHA_A + "\n    scopes: [\"Contoso.*\", \"Lab.?\"]\n"
        + "  - subject: \" spaced \"\n    sha256: " + SHA_B + "\n    scopes:\n      - \"*\"\n",
        StandardCharsets.UTF_8);
    List<Entry> entries = KeyFile.read(file);
    assertEquals(2, entries.size());
    assertEquals("ci-bot", entries.get(0).subject());
    assertTrue(entries.get(0).allows("contoso.lib"));
    assertTrue(entries.get(0).allows("Lab.X"));
    assertFalse(entries.get(0).allows("Lab.XY"));
    assertEquals("spaced", entries.get(1).subject());
    assertTrue(entries.get(1).allows("Anything"));
  }

  @Test
  void emptyOrNullKeysGiveNoEntries() throws Exception {
    assertEquals(List.of(), KeyFile.parse("", "keys.yaml"));
    assertEquals(List.of(), KeyFile.parse("# only a comment\n", "keys.yaml"));
    assertEquals(List.of(), KeyFile.parse("keys:\n", "keys.yaml"));
    assertEquals(List.of(), KeyFile.parse("keys: []\n", "keys.yaml"));
  }

  @Test
  void readOfAMissingFileNamesTheFile() {
    Path missing = dir.resolve("none.yaml");
    KeyFileException e = assertThrows(KeyFileException.class, () -> KeyFile.read(missing));
    assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
  }

  @Test
  void badShaNamesTheEntry() {
    KeyFileException e = parseError("keys:\n"
        + "  - subject: ok\n    sha256: " + SHA_A + "\n    scopes: [\"*\"]\n"
        + "  - subject: bad\n    sha256: " + SHA_B.toUpperCase() + "\n    scopes: [\"*\"]\n");
    assertTrue(e.getMessage().startsWith("keys.yaml"), e.getMessage());
    assertTrue(e.getMessage().contains("keys[1].sha256"), e.getMessage());
  }

  @Test
  void shortShaIsRejected() {
    KeyFileException e = parseError("keys:\n  - subject: x\n    sha256: abc\n    scopes: [\"*\"]\n");
    assertTrue(e.getMessage().contains("keys[0].sha256"), e.getMessage());
  }

  @Test
  void missingScopesNamesTheEntry() {
    KeyFileException e = parseError("keys:\n  - subject: x\n    sha256: " + SHA_A + "\n");
    assertTrue(e.getMessage().contains("keys[0].scopes"), e.getMessage());
    KeyFileException empty = parseError("keys:\n  - subject: x\n    sha256: " + SHA_A + "\n    scopes: []\n");
    assertTrue(empty.getMessage().contains("keys[0].scopes"), empty.getMessage());
    KeyFileException blank = parseError("keys:\n  - subject: x\n    sha256: " + SHA_A + "\n    scopes: [\"\"]\n");
    assertTrue(blank.getMessage().contains("keys[0].scopes"), blank.getMessage());
  }

  @Test
  void missingSubjectNamesTheEntry() {
    KeyFileException e = parseError("keys:\n  - sha256: " + SHA_A + "\n    scopes: [\"*\"]\n");
    assertTrue(e.getMessage().contains("keys[0].subject"), e.getMessage());
  }

  @Test
  void badExpiresNamesTheEntry() {
    KeyFileException e = parseError("keys:\n  - subject: x\n    sha256: " + SHA_A
        + "\n    scopes: [\"*\"]\n    expires: next tuesday\n");
    assertTrue(e.getMessage().contains("keys[0].expires"), e.getMessage());
    assertTrue(e.getMessage().contains("next tuesday"), e.getMessage());
  }

  @Test
  void unknownFieldIsNamed() {
    KeyFileException e = parseError("keys:\n  - subject: x\n    sha256: " + SHA_A
        + "\n    scopes: [\"*\"]\n    scope: [\"*\"]\n");
    assertTrue(e.getMessage().contains("keys[0]"), e.getMessage());
    assertTrue(e.getMessage().contains("'scope'"), e.getMessage());
  }

  @Test
  void wrongShapes() {
    assertTrue(parseError("- a\n- b\n").getMessage().contains("keys"));
    assertTrue(parseError("keys: []\nusers: []\n").getMessage().contains("keys"));
    assertTrue(parseError("keys: nope\n").getMessage().contains("list"));
    assertTrue(parseError("keys:\n  - just a string\n").getMessage().contains("keys[0]"));
    assertTrue(parseError("keys: [\n").getMessage().contains("not valid YAML"));
  }

  @Test
  void expiresAsUnquotedTimestampAndAsQuotedString() throws Exception {
    Instant expected = Instant.parse("2027-01-01T00:00:00Z");
    String base = "keys:\n  - subject: x\n    sha256: " + SHA_A + "\n    scopes: [\"*\"]\n    expires: ";
    assertEquals(Optional.of(expected), KeyFile.parse(base + "2027-01-01T00:00:00Z\n", "k").get(0).expires());
    assertEquals(Optional.of(expected), KeyFile.parse(base + "\"2027-01-01T00:00:00Z\"\n", "k").get(0).expires());
    assertEquals(Optional.of(expected), KeyFile.parse(base + "'2027-01-01T00:00:00Z'\n", "k").get(0).expires());
    assertEquals(Optional.of(Instant.parse("2026-06-30T12:34:56Z")),
        KeyFile.parse(base + "2026-06-30T14:34:56+02:00\n", "k").get(0).expires());
  }

  // ---- entries ----

  @Test
  void expiredAt() {
    Instant at = Instant.parse("2027-01-01T00:00:00Z");
    Entry e = new Entry("x", SHA_A, List.of(IdGlob.of("*")), Optional.of(at));
    assertFalse(e.expiredAt(at.minusSeconds(1)));
    assertFalse(e.expiredAt(at));
    assertTrue(e.expiredAt(at.plusMillis(1)));
    Entry forever = new Entry("x", SHA_A, List.of(IdGlob.of("*")), Optional.empty());
    assertFalse(forever.expiredAt(Instant.parse("9999-12-31T23:59:59Z")));
  }

  @Test
  void allowsChecksEveryScope() {
    Entry e = new Entry("x", SHA_A, List.of(IdGlob.of("A.*"), IdGlob.of("B")), Optional.empty());
    assertTrue(e.allows("a.core"));
    assertTrue(e.allows("b"));
    assertFalse(e.allows("B.Core"));
    assertFalse(e.allows("C"));
  }

  // ---- new keys ----

  @Test
  void newKeysAreUniqueLongAndUrlSafe() {
    Pattern shape = Pattern.compile("snupkg_[A-Za-z0-9_-]{43}");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String key = KeyFile.newKey();
      assertTrue(shape.matcher(key).matches(), key);
      assertTrue(seen.add(key), "duplicate key " + key);
    }
  }
}
