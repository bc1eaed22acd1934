package io.snupkg.gateway.testing;

import io.snupkg.gateway.validation.NuGetVersion;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the upstream NuGet V3 feed of proxy mode: a real HTTP server on loopback with a service index, a
 * flat container ({@code PackageBaseAddress/3.0.0}) and a push endpoint ({@code PackagePublish/2.0.0}), so tests
 * see what the gateway really sends upstream, byte for byte. Like a real feed it indexes asynchronously: a package
 * shows in the flat container only {@link #indexDelay} after it was stored. Flat-container paths must be lowercase,
 * as on nuget.org's blob storage, so a gateway that forgets to lowercase gets a 404 here too.
 *
 * <p>Pushes are read with {@link PushBody}: multipart at the byte level, then the root nuspec's id and version.
 */
public final class TestV3Feed extends LoopbackServer<TestV3Feed> {
  public static final String INVALID_KEY =
      "The specified API key is invalid, has expired, or does not have permission to access the specified package.";
  private static final String FLAT = "/v3-flatcontainer/";

  /** NORMAL by contract, ERROR_500 answers every request 500 (with Retry-After: 7), HANG never answers. */
  public enum Mode { NORMAL, ERROR_500, HANG }

  /** A PUT to the push endpoint as received: its raw body, and the status it was answered with (0 when it hung). */
  public record Push(MultiMap headers, String contentType, byte[] body, int status) {}

  private record Stored(byte[] nupkg, NuGetVersion version, long visibleAtNanos) {
    boolean visible() {
      return System.nanoTime() - visibleAtNanos >= 0;
    }
  }

  /** Lowercase id → lowercase normalized version → package. */
  private final Map<String, Map<String, Stored>> packages = new ConcurrentHashMap<>();
  private final Set<String> acceptKeys = ConcurrentHashMap.newKeySet();
  private final List<Push> pushes = new CopyOnWriteArrayList<>();
  private final Queue<Runnable> heldDownloads = new ConcurrentLinkedQueue<>();
  private final AtomicInteger serviceIndexCalls = new AtomicInteger();
  private final AtomicInteger versionListCalls = new AtomicInteger();
  private volatile Duration indexDelay = Duration.ZERO;
  private volatile String warning;
  private volatile Mode mode = Mode.NORMAL;
  private volatile boolean holdDownloads;

  private TestV3Feed(Vertx vertx) {
    super(vertx);
  }

  /** Listens on 127.0.0.1 on a free port, on {@code vertx}'s event loop; returns once it accepts connections. */
  public static TestV3Feed start(Vertx vertx) {
    return new TestV3Feed(vertx).up();
  }

  public String serviceIndexUrl() {
    return baseUrl() + "/v3/index.json";
  }

  public TestV3Feed acceptKey(String apiKey) {
    acceptKeys.add(apiKey);
    return this;
  }

  /** How long a stored package stays out of the flat container (default 0); applies to packages stored later. */
  public TestV3Feed indexDelay(Duration delay) {
    this.indexDelay = delay;
    return this;
  }

  /** Sent as {@code X-NuGet-Warning} with every later 201; null for none. */
  public TestV3Feed warning(String warning) {
    this.warning = warning;
    return this;
  }

  public TestV3Feed mode(Mode mode) {
    this.mode = mode;
    return this;
  }

  /** While true, nupkg downloads are held unanswered; setting it false answers the held ones. */
  public TestV3Feed holdDownloads(boolean hold) {
    this.holdDownloads = hold;
    if (!hold) {
      for (Runnable r; (r = heldDownloads.poll()) != null; ) {
        r.run();
      }
    }
    return this;
  }

  /** Stores a package as a push would, visible after the index delay. */
  public TestV3Feed publish(String id, String version, byte[] nupkg) {
    return store(id, version, nupkg, indexDelay);
  }

  /** Stores a package, visible at once. */
  public TestV3Feed publishNow(String id, String version, byte[] nupkg) {
    return store(id, version, nupkg, Duration.ZERO);
  }

  /** The stored nupkg (what was extracted from the push), visible or not; null if there is none. */
  public byte[] received(String id, String version) {
    Stored s = lookup(id.toLowerCase(Locale.ROOT), version);
    return s == null ? null : s.nupkg();
  }

  public List<Push> pushes() {
    return List.copyOf(pushes);
  }

  public int serviceIndexCalls() {
    return serviceIndexCalls.get();
  }

  public int versionListCalls() {
    return versionListCalls.get();
  }

  /** Zeroes the counters and forgets the recorded pushes; stored packages stay. */
  public TestV3Feed reset() {
    serviceIndexCalls.set(0);
    versionListCalls.set(0);
    pushes.clear();
    return this;
  }

  private TestV3Feed store(String id, String version, byte[] nupkg, Duration delay) {
    NuGetVersion v = NuGetVersion.parse(version).orElseThrow(() -> new IllegalArgumentException(version));
    packages.computeIfAbsent(id.toLowerCase(Locale.ROOT), k -> new ConcurrentHashMap<>())
        .put(v.lowerNormalized(), new Stored(nupkg, v, System.nanoTime() + delay.toNanos()));
    return this;
  }

  private Stored lookup(String lowerId, String version) {
    Map<String, Stored> versions = packages.get(lowerId);
    return versions == null ? null
        : NuGetVersion.parse(version).map(v -> versions.get(v.lowerNormalized())).orElse(null);
  }

  @Override
  protected void handle(HttpServerRequest req) {
    String path = req.path();
    boolean push = req.method() == HttpMethod.PUT
        && (path.equals("/api/v2/package") || path.equals("/api/v2/package/"));
    req.body().onSuccess(body -> {
      Mode m = mode;
      if (m != Mode.NORMAL) {
        if (push) {
          record(req, body.getBytes(), m == Mode.HANG ? 0 : 500);
        }
        if (m == Mode.ERROR_500) {
          req.response().setStatusCode(500).putHeader("Retry-After", "7").end();
        }
        return;
      }
      boolean read = req.method() == HttpMethod.GET || req.method() == HttpMethod.HEAD;
      String[] seg = path.startsWith(FLAT) ? path.substring(FLAT.length()).split("/", -1) : new String[0];
      if (push) {
        push(req, body.getBytes());
      } else if (read && path.equals("/v3/index.json")) {
        serviceIndexCalls.incrementAndGet();
        send(req, "application/json", new JsonObject().put("version", "3.0.0").put("resources", new JsonArray()
            .add(new JsonObject().put("@id", baseUrl() + FLAT).put("@type", "PackageBaseAddress/3.0.0"))
            .add(new JsonObject().put("@id", baseUrl() + "/api/v2/package").put("@type", "PackagePublish/2.0.0")))
            .toBuffer());
      } else if (read && seg.length == 2 && seg[1].equals("index.json")) {
        versions(req, seg[0]);
      } else if (read && seg.length == 3 && seg[2].equals(seg[0] + "." + seg[1] + ".nupkg")) {
        download(req, packages.getOrDefault(seg[0], Map.of()).get(seg[1]));
      } else {
        req.response().setStatusCode(404).end();
      }
    });
  }

  private void versions(HttpServerRequest req, String lowerId) {
    versionListCalls.incrementAndGet();
    List<NuGetVersion> visible = packages.getOrDefault(lowerId, Map.of()).values().stream().filter(Stored::visible)
        .map(Stored::version).toList();
    if (visible.isEmpty()) {
      req.response().setStatusCode(404).end();
    } else {
      List<String> versions = NuGetVersion.sorted(visible).stream().map(NuGetVersion::lowerNormalized).toList();
      send(req, "application/json", new JsonObject().put("versions", versions).toBuffer());
    }
  }

  private void download(HttpServerRequest req, Stored s) {
    if (s == null || !s.visible()) {
      req.response().setStatusCode(404).end();
    } else if (holdDownloads) {
      Context context = Vertx.currentContext();
      heldDownloads.add(() -> context.runOnContext(v -> download(req, s)));
      if (!holdDownloads) {
        holdDownloads(false); // released while this one was being queued
      }
    } else {
      send(req, "application/octet-stream", Buffer.buffer(s.nupkg()));
    }
  }

  private void push(HttpServerRequest req, byte[] raw) {
    String key = req.getHeader("X-NuGet-ApiKey");
    if (key == null || !acceptKeys.contains(key)) {
      refuse(req, raw, 403, INVALID_KEY);
      return;
    }
    byte[] nupkg = PushBody.nupkg(req.getHeader("Content-Type"), raw);
    String[] idVersion = nupkg == null ? null : PushBody.idAndVersion(nupkg);
    NuGetVersion version = idVersion == null ? null : NuGetVersion.parse(idVersion[1]).orElse(null);
    if (version == null) {
      refuse(req, raw, 400, "The package could not be read.");
      return;
    }
    String id = idVersion[0];
    Stored stored = new Stored(nupkg, version, System.nanoTime() + indexDelay.toNanos());
    if (packages.computeIfAbsent(id.toLowerCase(Locale.ROOT), k -> new ConcurrentHashMap<>())
        .putIfAbsent(version.lowerNormalized(), stored) != null) {
      refuse(req, raw, 409, "A package with ID '" + id + "' and version '" + version.normalized()
          + "' already exists and cannot be modified.");
      return;
    }
    record(req, raw, 201);
    String w = warning;
    if (w != null) {
      req.response().putHeader("X-NuGet-Warning", w);
    }
    req.response().setStatusCode(201).setStatusMessage("Created").end();
  }

  private void refuse(HttpServerRequest req, byte[] raw, int status, String reason) {
    record(req, raw, status);
    req.response().setStatusCode(status).setStatusMessage(reason).end();
  }

  private void record(HttpServerRequest req, byte[] raw, int status) {
    pushes.add(new Push(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), req.getHeader("Content-Type"), raw,
        status));
  }

  private static void send(HttpServerRequest req, String contentType, Buffer bytes) {
    req.response().putHeader("Content-Type", contentType);
    if (req.method() == HttpMethod.HEAD) {
      req.response().putHeader("Content-Length", String.valueOf(bytes.length())).end();
    } else {
      req.response().end(bytes);
    }
  }
}
