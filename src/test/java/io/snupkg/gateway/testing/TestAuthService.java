package io.snupkg.gateway.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A stand-in for the upstream auth service that proxy mode asks whether an API key may push. It is a real HTTP
 * server on loopback, not a stub of a gateway class, so tests exercise the gateway's own client: its JSON, its
 * bearer token, its cache (through the counters), and its behaviour when the service answers 500, hangs, is slow
 * or refuses connections. The contract:
 *
 * <pre>
 * POST /v1/check  {"apiKey": "...", "action": "symbols.push", "packageId": "Contoso.Lib" | null,
 *                  "packageVersion": "1.2.3" | null}
 * 200 {"allowed": true, "subject": "ci-bot-7", "cacheSeconds": 60}
 * 200 {"allowed": false, "reason": "invalid" | "expired" | "revoked" | "scope"}
 * </pre>
 *
 * A request without an {@code apiKey} string, with another action, or that is not JSON gets 400. Everything runs
 * on the server's event loop without blocking: delays are timers, a hung request is simply never answered.
 */
public final class TestAuthService extends LoopbackServer<TestAuthService> {
  public static final String PATH = "/v1/check";
  public static final String ACTION = "symbols.push";

  /** How the service answers: NORMAL by contract, ERROR_500 always 500, HANG never, SLOW after {@link #delay}. */
  public enum Mode { NORMAL, ERROR_500, HANG, SLOW }

  private enum State { VALID, EXPIRED, REVOKED }

  private record Key(String subject, State state, List<Pattern> scopes) {}

  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger admissionCalls = new AtomicInteger();
  private final AtomicInteger scopeCalls = new AtomicInteger();
  private volatile int cacheSeconds = 60;
  private volatile String bearer;
  private volatile Mode mode = Mode.NORMAL;
  private volatile Duration delay = Duration.ofSeconds(1);
  private volatile MultiMap lastHeaders;
  private volatile JsonObject lastRequest;

  private TestAuthService(Vertx vertx) {
    super(vertx);
  }

  /** Listens on 127.0.0.1 on a free port, on {@code vertx}'s event loop; returns once it accepts connections. */
  public static TestAuthService start(Vertx vertx) {
    return new TestAuthService(vertx).up();
  }

  /** The check endpoint; it stays the same across {@link #down()} and {@link #up()}. */
  public String url() {
    return baseUrl() + PATH;
  }

  /** A valid key that may push ids matching any of the globs ({@code *}, {@code Contoso.*}; case-insensitive). */
  public TestAuthService key(String apiKey, String subject, String... idGlobs) {
    keys.put(apiKey, new Key(subject, State.VALID, Arrays.stream(idGlobs).map(TestAuthService::glob).toList()));
    return this;
  }

  public TestAuthService expired(String apiKey, String subject) {
    keys.put(apiKey, new Key(subject, State.EXPIRED, List.of()));
    return this;
  }

  public TestAuthService revoked(String apiKey, String subject) {
    keys.put(apiKey, new Key(subject, State.REVOKED, List.of()));
    return this;
  }

  /** What an allowed answer says the gateway may cache it for (default 60). */
  /** What allowed answers say; a negative value leaves {@code cacheSeconds} out of them. */
  public TestAuthService cacheSeconds(int seconds) {
    this.cacheSeconds = seconds;
    return this;
  }

  /** From now on, requests without {@code Authorization: Bearer token} get 401; null turns the check off. */
  public TestAuthService requireBearer(String token) {
    this.bearer = token;
    return this;
  }

  /** Requests already hung stay hung: switching back to NORMAL affects only later requests. */
  public TestAuthService mode(Mode mode) {
    this.mode = mode;
    return this;
  }

  /** How long SLOW waits before answering (default 1 s). */
  public TestAuthService delay(Duration delay) {
    this.delay = delay;
    return this;
  }

  /** Every POST received, whatever was answered. */
  public int calls() {
    return calls.get();
  }

  /** Well-formed checks without a package id: the admission check made before the body is read. */
  public int admissionCalls() {
    return admissionCalls.get();
  }

  /** Well-formed checks with a package id: the scope check made once the nuspec has been read. */
  public int scopeCalls() {
    return scopeCalls.get();
  }

  public TestAuthService reset() {
    calls.set(0);
    admissionCalls.set(0);
    scopeCalls.set(0);
    return this;
  }

  /** The headers of the last POST, or null if none came yet. */
  public MultiMap lastHeaders() {
    return lastHeaders;
  }

  /** The body of the last well-formed POST, or null. */
  public JsonObject lastRequest() {
    return lastRequest;
  }

  @Override
  protected void handle(HttpServerRequest req) {
    if (!PATH.equals(req.path())) {
      req.response().setStatusCode(404).end();
      return;
    }
    if (req.method() != HttpMethod.POST) {
      req.response().setStatusCode(405).putHeader("Allow", "POST").end();
      return;
    }
    calls.incrementAndGet();
    lastHeaders = MultiMap.caseInsensitiveMultiMap().addAll(req.headers());
    req.body().onSuccess(body -> answer(req, body));
  }

  private void answer(HttpServerRequest req, Buffer body) {
    JsonObject json = parse(body);
    if (json != null) {
      lastRequest = json;
      (json.getValue("packageId") == null ? admissionCalls : scopeCalls).incrementAndGet();
    }
    Mode m = mode;
    if (m == Mode.HANG) {
      return; // never answered: the connection stays open until the client gives up or down() drops it
    }
    if (m == Mode.ERROR_500) {
      json(req, 500, new JsonObject().put("error", "injected failure"));
      return;
    }
    String token = bearer;
    if (token != null && !("Bearer " + token).equals(req.getHeader("Authorization"))) {
      req.response().putHeader("WWW-Authenticate", "Bearer");
      json(req, 401, new JsonObject().put("error", "missing or wrong bearer token"));
      return;
    }
    if (json == null) {
      json(req, 400, new JsonObject().put("error", "malformed check request"));
      return;
    }
    JsonObject verdict = decide(json.getString("apiKey"), json.getString("packageId"));
    if (m == Mode.SLOW) {
      vertx.setTimer(Math.max(1, delay.toMillis()), t -> json(req, 200, verdict));
    } else {
      json(req, 200, verdict);
    }
  }

  private JsonObject decide(String apiKey, String packageId) {
    Key key = keys.get(apiKey);
    if (key == null) {
      return denied("invalid");
    }
    if (key.state() != State.VALID) {
      return denied(key.state() == State.EXPIRED ? "expired" : "revoked");
    }
    if (packageId != null && key.scopes().stream().noneMatch(p -> p.matcher(packageId).matches())) {
      return denied("scope");
    }
    JsonObject allowed = new JsonObject().put("allowed", true).put("subject", key.subject());
    return cacheSeconds < 0 ? allowed : allowed.put("cacheSeconds", cacheSeconds); // < 0: leave it out
  }

  private static JsonObject denied(String reason) {
    return new JsonObject().put("allowed", false).put("reason", reason);
  }

  /** The request if it keeps to the contract, else null (answered 400). */
  private static JsonObject parse(Buffer body) {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
    boolean ok = json.getValue("apiKey") instanceof String && ACTION.equals(json.getValue("action"))
        && (json.getValue("packageId") == null || json.getValue("packageId") instanceof String)
        && (json.getValue("packageVersion") == null || json.getValue("packageVersion") instanceof String);
    return ok ? json : null;
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static Pattern glob(String glob) {
    return Pattern.compile(Arrays.stream(glob.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*")),
        Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
  }
}
