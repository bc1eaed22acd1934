package io.snupkg.gateway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.auth.KeyFile;
import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.config.GatewayConfig.StorageType;
import io.snupkg.gateway.testing.DebianTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The manifests in {@code k8s/}, as the two layouts that {@code kubectl apply -k} would send: the default
 * ({@code k8s/}, which is {@code k8s/base/}: three replicas on S3 and PostgreSQL) and {@code k8s/single-node/} (one
 * pod on a filesystem store, an overlay of the base), both built by {@link Kustomize} since no kustomize binary is
 * at hand. Each object against the Kubernetes schema of its kind, strictly (see {@link KubernetesSchemas}), and the
 * facts that hold only across files: the ConfigMap is a configuration the gateway accepts with the variables the
 * pod sets, the pod gives the shutdown drain enough time, the probes ask the management port, the names that tie
 * the objects together agree, and each layout runs the number of pods its store allows.
 */
class KubernetesManifestsTest {
  private static final Path K8S = Path.of("k8s");
  private static final Path BASE = K8S.resolve("base");
  private static final Path SINGLE_NODE = K8S.resolve("single-node");
  private static final String KUSTOMIZATION = "kustomization.yaml";
  /**
   * Not applied by any kustomization, so that an apply never replaces the real keys or credentials with them;
   * validated all the same.
   */
  private static final Path KEYS_SECRET = BASE.resolve("secret-keys-example.yaml");
  private static final Path BACKEND_SECRET = BASE.resolve("secret-backend-example.yaml");
  /**
   * After the drain, Main gives the verticles 5 s more to stop and Vert.x 10 s to close before it exits: the
   * grace period must cover those too.
   */
  private static final int SHUTDOWN_AFTER_DRAIN_SECONDS = 15;
  /** ManagementVerticle bounds each readiness check at 2 s: a probe that gives up sooner sees a timeout instead. */
  private static final int READINESS_CHECK_SECONDS = 2;
  /** PublishVerticle's CONCURRENCY: each publication copies its snupkg and its nupkg into storage.path/work. */
  private static final int PUBLICATIONS_PER_POD = 4;
  /** Uploads of the largest size the default layout's spool holds at once, beside those publications. */
  private static final int LARGEST_UPLOADS_PER_POD = 8;
  /** PostgreSQL's default max_connections, less its superuser_reserved_connections (3). */
  private static final int DATABASE_CONNECTIONS = 100 - 3;
  /** The environment variables of the backend's credentials: the default layout sets them, single-node none. */
  private static final Set<String> BACKEND_VARIABLES = Set.of(
      "SNUPKG_STORAGE_S3_ACCESS_KEY", "SNUPKG_STORAGE_S3_SECRET_KEY", "SNUPKG_DATABASE_PASSWORD");

  /** What one {@code kubectl apply -k DIR} sends. */
  record Layout(String name, Path dir, List<Kustomize.Resource> resources) {
    Map<String, Object> manifest(String kind) {
      List<Map<String, Object>> found = resources.stream().map(Kustomize.Resource::object)
          .filter(m -> kind.equals(m.get("kind"))).toList();
      assertEquals(1, found.size(), name + ": one " + kind);
      return found.get(0);
    }

    Optional<Map<String, Object>> optional(String kind) {
      return resources.stream().map(Kustomize.Resource::object).filter(m -> kind.equals(m.get("kind"))).findFirst();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static KubernetesSchemas schemas;
  private static Layout defaultLayout;
  private static Layout singleNode;
  private static Map<String, Object> keysSecret;
  private static Map<String, Object> backendSecret;

  @BeforeAll
  static void load() throws IOException {
    schemas = KubernetesSchemas.load();
    keysSecret = map(yaml().load(Files.readString(KEYS_SECRET)));
    backendSecret = map(yaml().load(Files.readString(BACKEND_SECRET)));
    layouts();
  }

  /** Built once; a method source may be asked before or after {@link #load}. */
  static synchronized Stream<Layout> layouts() throws IOException {
    if (defaultLayout == null) {
      defaultLayout = new Layout("default", K8S, Kustomize.build(K8S));
      singleNode = new Layout("single-node", SINGLE_NODE, Kustomize.build(SINGLE_NODE));
    }
    return Stream.of(defaultLayout, singleNode);
  }

  // ---- schemas ----

  @TestFactory
  Stream<DynamicTest> everyManifestMatchesTheSchemaOfItsKind() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Layout layout : layouts().toList()) {
      for (Kustomize.Resource r : layout.resources()) {
        String name = layout + ": " + r.object().get("kind") + " (" + r.origin() + ")";
        tests.add(DynamicTest.dynamicTest(name, () -> assertEquals(List.of(), schemas.validate(r.object()), name)));
      }
    }
    for (Path example : List.of(KEYS_SECRET, BACKEND_SECRET)) {
      Map<String, Object> secret = map(yaml().load(Files.readString(example)));
      tests.add(DynamicTest.dynamicTest(example.toString(),
          () -> assertEquals(List.of(), schemas.validate(secret), example.toString())));
    }
    return tests.stream();
  }

  @Test
  void aMisspelledFieldIsRejected() {
    Map<String, Object> deployment = copy(defaultLayout.manifest("Deployment"));
    Map<String, Object> podSpec = podSpec(deployment);
    podSpec.put("terminationGracePeriodSecond", podSpec.remove("terminationGracePeriodSeconds"));
    assertRejected(deployment, "terminationGracePeriodSecond");
  }

  @Test
  void aStringWhereAnIntegerBelongsIsRejected() {
    Map<String, Object> deployment = copy(defaultLayout.manifest("Deployment"));
    map(list(container(deployment).get("ports")).get(0)).put("containerPort", "8080");
    assertRejected(deployment, "containerPort");
  }

  @Test
  void aQuantityWithAWrongUnitIsRejected() {
    Map<String, Object> deployment = copy(defaultLayout.manifest("Deployment"));
    map(map(container(deployment).get("resources")).get("limits")).put("memory", "1GB");
    assertRejected(deployment, "memory");
  }

  @Test
  void theServiceMonitorIsCheckedAgainstThePrometheusOperatorSchemaAsStrictly() {
    Map<String, Object> monitor = copy(defaultLayout.manifest("ServiceMonitor"));
    Map<String, Object> endpoint = map(list(map(monitor.get("spec")).get("endpoints")).get(0));
    endpoint.put("intervall", endpoint.remove("interval"));
    assertRejected(monitor, "intervall");
  }

  @Test
  void aKindWithoutASchemaIsRejectedRatherThanPassed() {
    Map<String, Object> deployment = copy(defaultLayout.manifest("Deployment"));
    deployment.put("kind", "Deploymnet");
    assertRejected(deployment, "no schema for apps/v1 Deploymnet");
  }

  private static void assertRejected(Map<String, Object> object, String mentioned) {
    List<String> errors = schemas.validate(object);
    assertTrue(errors.stream().anyMatch(e -> e.contains(mentioned)),
        () -> "expected a complaint about " + mentioned + ", got " + errors);
  }

  // ---- the kustomizations ----

  @Test
  void theKustomizationsApplyEveryManifestButTheExampleSecrets() throws IOException {
    // k8s/ is the default layout and nothing else: its manifests are in base/, which single-node/ builds on.
    assertEquals(List.of("base"), strings(kustomization(K8S).get("resources")));
    Set<String> expected = yamlFiles(BASE);
    expected.removeAll(Set.of(KUSTOMIZATION, KEYS_SECRET.getFileName().toString(),
        BACKEND_SECRET.getFileName().toString()));
    assertEquals(expected, new TreeSet<>(strings(kustomization(BASE).get("resources"))));

    // Every file of the overlay is used by its kustomization, and the overlay builds on the base.
    Map<String, Object> overlay = kustomization(SINGLE_NODE);
    Set<String> used = new TreeSet<>(Set.of(KUSTOMIZATION));
    strings(overlay.get("resources")).stream().filter(r -> !r.equals("../base")).forEach(used::add);
    maps(overlay.get("patches")).forEach(p -> used.add(String.valueOf(p.get("path"))));
    maps(overlay.get("configMapGenerator")).forEach(g -> used.addAll(strings(g.get("files"))));
    assertTrue(strings(overlay.get("resources")).contains("../base"), "single-node/ is an overlay of base/");
    assertEquals(yamlFiles(SINGLE_NODE), used, "single-node/ has no file its kustomization does not use");
  }

  @Test
  void everyYamlFileIsOneDocument() throws IOException {
    try (Stream<Path> files = Files.walk(K8S)) {
      for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).sorted().toList()) {
        List<Object> documents = new ArrayList<>();
        yaml().loadAll(Files.readString(file)).forEach(documents::add);
        assertEquals(1, documents.size(), file + ": one document per file");
      }
    }
  }

  /** kustomize refuses an overlay inside the directory of its base; so does the test's build. */
  @Test
  void anOverlayInsideItsBaseIsACycle(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve(KUSTOMIZATION), kustomizationOf("resources: [configmap.yaml]"));
    Files.writeString(dir.resolve("configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    Path nested = Files.createDirectories(dir.resolve("overlay"));
    Files.writeString(nested.resolve(KUSTOMIZATION), kustomizationOf("resources: [..]"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Kustomize.build(nested));
    assertTrue(e.getMessage().startsWith("cycle detected"), e.getMessage());
  }

  /** kustomize's default load restrictor: no file from outside the kustomization's directory. */
  @Test
  void aFileOutsideTheKustomizationIsRefused(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    Path overlay = Files.createDirectories(dir.resolve("overlay"));
    Files.writeString(overlay.resolve(KUSTOMIZATION), kustomizationOf("resources: [../configmap.yaml]"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Kustomize.build(overlay));
    assertTrue(e.getMessage().contains("is not in or below"), e.getMessage());
  }

  /**
   * The overlay's patches address list entries by index and test each entry before they change it: a base whose
   * environment variables moved fails the build rather than losing the wrong variable.
   */
  @Test
  void theOverlayRefusesABaseWhoseEntriesMoved(@TempDir Path dir) throws IOException {
    Path copy = dir.resolve("k8s");
    try (Stream<Path> files = Files.walk(K8S)) {
      for (Path file : files.toList()) {
        Path target = copy.resolve(K8S.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
    assertEquals(defaultLayout.resources().size() + 1, Kustomize.build(copy.resolve("single-node")).size(),
        "the copy builds as the original does");
    Path deploymentFile = copy.resolve("base/deployment.yaml");
    Map<String, Object> deployment = map(yaml().load(Files.readString(deploymentFile)));
    @SuppressWarnings("unchecked")
    List<Object> env = (List<Object>) list(container(deployment).get("env"));
    env.add(0, env.remove(env.size() - 1));
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Files.writeString(deploymentFile, new Yaml(options).dump(deployment));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Kustomize.build(copy.resolve("single-node")));
    assertTrue(e.getMessage().contains("deployment-patch.yaml does not apply"), e.getMessage());
  }

  // ---- the configuration ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theConfigMapIsAConfigurationTheGatewayAccepts(Layout layout) {
    GatewayConfig config = podConfig(layout);
    Map<String, Object> container = container(layout.manifest("Deployment"));
    List<String> args = strings(container.get("args"));
    assertEquals(1, args.size(), "one argument, the configuration file: " + args);
    Path configFile = Path.of(args.get(0));
    Map<String, Object> configVolume = volumeMountedAt(layout, configFile.getParent());
    assertEquals(name(layout.manifest("ConfigMap")), map(configVolume.get("configMap")).get("name"));
    assertTrue(map(layout.manifest("ConfigMap").get("data")).containsKey(configFile.getFileName().toString()));

    assertNotEquals(true, mountAt(layout, config.storage().path()).get("readOnly"), "storage.path is writable");

    Map<String, Object> keysVolume = volumeMountedAt(layout, config.auth().file().getParent());
    assertEquals(name(keysSecret), map(keysVolume.get("secret")).get("secretName"));
    assertTrue(map(keysSecret.get("stringData")).containsKey(config.auth().file().getFileName().toString()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theConfigMapHasEveryKeyOfConfGatewayYaml(Layout layout) throws IOException {
    Set<String> contract = keys("", map(yaml().load(Files.readString(Path.of("conf/gateway.yaml")))));
    Set<String> configMap = keys("", map(yaml().load(gatewayYaml(layout))));
    assertEquals(contract, configMap, layout.toString());
  }

  /** Two copies of gateway.yaml, kept alike but for the backend: a limit raised in one only would go unnoticed. */
  @Test
  void theSingleNodeConfigurationDiffersFromTheDefaultOnlyInItsBackend() {
    Map<String, Object> defaults = leaves("", map(yaml().load(gatewayYaml(defaultLayout))));
    Map<String, Object> single = leaves("", map(yaml().load(gatewayYaml(singleNode))));
    Predicate<String> backend = k -> k.startsWith("storage.") || k.startsWith("database.");
    defaults.keySet().removeIf(backend);
    single.keySet().removeIf(backend);
    assertEquals(defaults, single);
    assertEquals(StorageType.S3, podConfig(defaultLayout).storage().type());
    assertEquals(StorageType.FILESYSTEM, podConfig(singleNode).storage().type());
  }

  @Test
  void theExampleKeySecretIsAKeyFileWithAPlaceholderOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, String.valueOf(map(keysSecret.get("stringData")).get("api-keys.yaml")));
    List<KeyFile.Entry> entries = KeyFile.read(file);
    // With no key the gateway would create one on start, and the Secret's mount is read-only.
    assertFalse(entries.isEmpty());
    for (KeyFile.Entry e : entries) {
      assertEquals("0".repeat(64), e.sha256(), "the example holds no real key hash");
    }
  }

  @Test
  void theExampleBackendSecretHoldsPlaceholdersOnly() {
    map(backendSecret.get("stringData")).forEach(
        (key, value) -> assertEquals("example-placeholder", value, key + ": the example holds no credential"));
  }

  /**
   * A secretKeyRef to a Secret or a key that does not exist keeps the pod from starting: each one names the backend
   * Secret and a key of its example. The default layout takes exactly the backend's credentials from it, and uses
   * every key of the example; single-node takes none, and so needs no backend Secret at all.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void everySecretReferenceNamesTheExampleSecretAndOneOfItsKeys(Layout layout) {
    Map<String, String> fromSecret = new TreeMap<>();
    for (Map<String, Object> var : maps(container(layout.manifest("Deployment")).get("env"))) {
      if (var.get("valueFrom") != null) {
        Map<String, Object> ref = map(map(var.get("valueFrom")).get("secretKeyRef"));
        assertEquals(name(backendSecret), ref.get("name"), String.valueOf(var.get("name")));
        assertTrue(map(backendSecret.get("stringData")).containsKey(String.valueOf(ref.get("key"))), ref::toString);
        assertNotEquals(true, ref.get("optional"), "a missing credential fails the start, visibly");
        fromSecret.put(String.valueOf(var.get("name")), String.valueOf(ref.get("key")));
      }
    }
    if (layout == defaultLayout) {
      assertEquals(new TreeSet<>(BACKEND_VARIABLES), fromSecret.keySet());
      assertEquals(map(backendSecret.get("stringData")).keySet(), new TreeSet<>(fromSecret.values()));
    } else {
      assertEquals(Map.of(), fromSecret);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void serviceLinksDoNotPutUnknownSnupkgVariablesIntoThePod(Layout layout) {
    // Each Service in the namespace would add NAME_PORT and the like; snupkg-gateway's are SNUPKG_GATEWAY_*,
    // which the gateway refuses as unknown configuration variables.
    String linkPrefix = name(layout.manifest("Service")).toUpperCase().replace('-', '_') + "_";
    assertTrue(linkPrefix.startsWith(ConfigLoader.ENV_PREFIX));
    assertEquals(false, podSpec(layout.manifest("Deployment")).get("enableServiceLinks"));
  }

  // ---- the two layouts ----

  /**
   * Three pods on the shared backend that a rollout, a node drain or a dead pod never takes below two: new pods
   * before old ones go, an autoscaler that never goes below what the budget needs to allow an eviction, and the
   * pods spread over nodes.
   */
  @Test
  void theDefaultLayoutRunsThreeReplicasOnTheSharedBackend() {
    GatewayConfig config = podConfig(defaultLayout);
    assertEquals(StorageType.S3, config.storage().type());
    assertTrue(config.database().url().isPresent());
    assertTrue(defaultLayout.optional("PersistentVolumeClaim").isEmpty(), "nothing of a pod outlives it");

    Map<String, Object> spec = map(defaultLayout.manifest("Deployment").get("spec"));
    int replicas = integer(spec.get("replicas"));
    assertTrue(replicas >= 3, "replicas " + replicas);
    Map<String, Object> strategy = map(spec.get("strategy"));
    assertEquals("RollingUpdate", strategy.get("type"));
    assertEquals(0, map(strategy.get("rollingUpdate")).get("maxUnavailable"));
    assertEquals(1, map(strategy.get("rollingUpdate")).get("maxSurge"));

    Map<String, Object> autoscaler = map(defaultLayout.manifest("HorizontalPodAutoscaler").get("spec"));
    Map<String, Object> budget = map(defaultLayout.manifest("PodDisruptionBudget").get("spec"));
    int min = integer(autoscaler.get("minReplicas"));
    int max = integer(autoscaler.get("maxReplicas"));
    assertEquals(List.of(3, 10), List.of(min, max), "the autoscaler's bounds");
    assertEquals(replicas, min, "each apply sets the count to replicas: the autoscaler's floor, never above it");
    assertEquals(2, budget.get("minAvailable"));
    assertNull(budget.get("maxUnavailable"), "one of minAvailable and maxUnavailable");
    assertTrue(min >= integer(budget.get("minAvailable")) + 1,
        "the budget must let a drain evict a pod even at the autoscaler's minimum");

    // Every pod, the autoscaler's last and a rollout's surge pod, holds its pool of connections at once.
    int pods = max + integer(map(strategy.get("rollingUpdate")).get("maxSurge"));
    assertTrue(pods * config.database().poolSize() <= DATABASE_CONNECTIONS,
        () -> pods + " pods x database.poolSize " + config.database().poolSize() + " > " + DATABASE_CONNECTIONS);

    List<Map<String, Object>> spread = maps(podSpec(defaultLayout.manifest("Deployment"))
        .get("topologySpreadConstraints"));
    assertTrue(spread.stream().anyMatch(c -> "kubernetes.io/hostname".equals(c.get("topologyKey"))
        && podLabels(defaultLayout).entrySet().containsAll(
            map(map(c.get("labelSelector")).get("matchLabels")).entrySet())), "the pods spread over nodes");
  }

  /**
   * The default layout's storage.path holds what a pod has in flight and nothing more: an emptyDir on the node's
   * disk, bounded, and large enough for the largest uploads beside the publications the pod runs at once (each a
   * copy of a snupkg and of its nupkg), so that the limit follows limits.maxSymbolPackageSize.
   */
  @Test
  void theDefaultSpoolIsAnEmptyDirForTheUploadsAndPublicationsOfOnePod() {
    GatewayConfig config = podConfig(defaultLayout);
    Map<String, Object> emptyDir = map(volumeMountedAt(defaultLayout, config.storage().path()).get("emptyDir"));
    assertNotEquals("Memory", emptyDir.get("medium"), "on disk: in memory it would count against the memory limit");
    long limit = quantity(String.valueOf(emptyDir.get("sizeLimit")));
    long needed = config.limits().maxSymbolPackageSize() * (LARGEST_UPLOADS_PER_POD + 2L * PUBLICATIONS_PER_POD);
    assertTrue(limit >= needed, () -> "sizeLimit " + emptyDir.get("sizeLimit") + " < " + needed + " bytes");
  }

  /** One pod at most writes to the filesystem store: never a second one, not by scaling and not in a rollout. */
  @Test
  void theSingleNodeLayoutRunsOnePodOnAFilesystemStore() {
    GatewayConfig config = podConfig(singleNode);
    assertEquals(StorageType.FILESYSTEM, config.storage().type());
    assertTrue(config.database().url().isEmpty(), "no database");

    Map<String, Object> spec = map(singleNode.manifest("Deployment").get("spec"));
    assertEquals(1, integer(spec.get("replicas")));
    assertEquals(Map.of("type", "Recreate"), spec.get("strategy"), "Recreate, and no rollingUpdate beside it");
    Map<String, Object> autoscaler = map(singleNode.manifest("HorizontalPodAutoscaler").get("spec"));
    assertEquals(List.of(1, 1), List.of(autoscaler.get("minReplicas"), autoscaler.get("maxReplicas")));
    // minAvailable 1 would block every node drain with one replica; the eviction goes through the drain instead.
    Map<String, Object> budget = map(singleNode.manifest("PodDisruptionBudget").get("spec"));
    assertEquals(1, budget.get("maxUnavailable"));
    assertNull(budget.get("minAvailable"));

    Map<String, Object> claim = singleNode.manifest("PersistentVolumeClaim");
    assertEquals(name(claim), map(volumeMountedAt(singleNode, config.storage().path()).get("persistentVolumeClaim"))
        .get("claimName"));
    assertEquals(List.of("ReadWriteOnce"), map(claim.get("spec")).get("accessModes"));

    for (Map<String, Object> var : maps(container(singleNode.manifest("Deployment")).get("env"))) {
      String name = String.valueOf(var.get("name"));
      assertFalse(name.startsWith("SNUPKG_STORAGE_S3_") || name.startsWith("SNUPKG_DATABASE_"), name);
    }
    assertFalse(egressPorts(singleNode).contains(5432), "no PostgreSQL to reach");
  }

  /** The NetworkPolicy lets the pod reach every address its configuration names, and the DNS to resolve them. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theNetworkPolicyLetsThePodReachWhatItsConfigurationNames(Layout layout) {
    GatewayConfig config = podConfig(layout);
    Set<Integer> needed = new TreeSet<>();
    if (config.storage().type() == StorageType.S3) {
      needed.add(port(config.storage().s3().endpoint().orElse("https://s3.amazonaws.com"), 443));
      needed.add(port(config.database().url().orElseThrow(), 5432));
    }
    config.auth().url().ifPresent(u -> needed.add(port(u, 443)));
    config.feed().url().ifPresent(u -> needed.add(port(u, 443)));
    Set<Integer> allowed = egressPorts(layout);
    assertTrue(allowed.containsAll(needed), () -> layout + ": egress " + allowed + " lacks some of " + needed);
    List<Map<String, Object>> dns = maps(map(layout.manifest("NetworkPolicy").get("spec")).get("egress")).stream()
        .flatMap(rule -> maps(rule.get("ports")).stream()).filter(p -> Integer.valueOf(53).equals(p.get("port")))
        .toList();
    assertEquals(Set.of("UDP", "TCP"), dns.stream().map(p -> p.get("protocol")).collect(Collectors.toSet()));
  }

  // ---- shutdown, probes, security ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theGracePeriodCoversThePreStopSleepTheDrainAndTheShutdown(Layout layout) {
    Map<String, Object> deployment = layout.manifest("Deployment");
    int grace = integer(podSpec(deployment).get("terminationGracePeriodSeconds"));
    Map<String, Object> preStop = map(map(container(deployment).get("lifecycle")).get("preStop"));
    int sleep = integer(map(preStop.get("sleep")).get("seconds"));
    long drain = podConfig(layout).shutdown().drainTimeout().toSeconds();
    assertTrue(grace > sleep + drain + SHUTDOWN_AFTER_DRAIN_SECONDS,
        () -> "terminationGracePeriodSeconds " + grace + " must exceed preStop " + sleep + " s + drain " + drain
            + " s + " + SHUTDOWN_AFTER_DRAIN_SECONDS + " s");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theProbesAskTheManagementPortForTheHealthEndpoints(Layout layout) {
    GatewayConfig config = podConfig(layout);
    Map<String, Object> container = container(layout.manifest("Deployment"));
    Map<String, Integer> ports = containerPorts(layout);
    assertEquals(config.http().port(), ports.get("http"));
    assertEquals(config.management().port(), ports.get("mgmt"));
    Map<String, String> paths = Map.of(
        "startupProbe", "/health/ready", "readinessProbe", "/health/ready", "livenessProbe", "/health/live");
    paths.forEach((probe, path) -> {
      Map<String, Object> p = map(container.get(probe));
      Map<String, Object> httpGet = map(p.get("httpGet"));
      assertEquals(path, httpGet.get("path"), probe);
      Object port = httpGet.get("port");
      assertEquals(config.management().port(), port instanceof String n ? ports.get(n) : port, probe);
      assertTrue(integer(p.get("timeoutSeconds")) > READINESS_CHECK_SECONDS, probe + ".timeoutSeconds");
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void thePodRunsAsNonRootOnAReadOnlyRootFilesystem(Layout layout) {
    Map<String, Object> podSpec = podSpec(layout.manifest("Deployment"));
    Map<String, Object> pod = map(podSpec.get("securityContext"));
    assertEquals(true, pod.get("runAsNonRoot"));
    assertNotEquals(0, pod.get("runAsUser"));
    assertEquals("RuntimeDefault", map(pod.get("seccompProfile")).get("type"));
    Map<String, Object> container = map(container(layout.manifest("Deployment")).get("securityContext"));
    assertEquals(true, container.get("readOnlyRootFilesystem"));
    assertEquals(false, container.get("allowPrivilegeEscalation"));
    assertEquals(List.of("ALL"), map(container.get("capabilities")).get("drop"));
    assertTrue(volumeMountedAt(layout, Path.of("/tmp")).containsKey("emptyDir"), "a writable /tmp");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void theImageRunsTheSameCommandAsTheSameUser(Layout layout) throws IOException {
    List<String> dockerfile = Files.readAllLines(Path.of("Dockerfile"));
    Map<String, Object> container = container(layout.manifest("Deployment"));
    String entrypoint = instruction(dockerfile, "ENTRYPOINT");
    assertEquals(strings(container.get("command")), strings(yaml().load(entrypoint)),
        "exec form, the same java command");
    String user = instruction(dockerfile, "USER").split(":")[0];
    assertEquals(String.valueOf(map(podSpec(layout.manifest("Deployment")).get("securityContext")).get("runAsUser")),
        user);
    assertEquals(new TreeSet<>(containerPorts(layout).values().stream().map(String::valueOf).toList()),
        new TreeSet<>(List.of(instruction(dockerfile, "EXPOSE").split("\\s+"))));
  }

  // ---- names that tie the objects together ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void selectorsPortsAndReferencesAgree(Layout layout) {
    Map<String, Object> deployment = layout.manifest("Deployment");
    Map<String, Object> labels = podLabels(layout);
    Predicate<Map<String, Object>> selectsThePods = l -> labels.entrySet().containsAll(l.entrySet());
    Map<String, Object> service = layout.manifest("Service");
    Map<String, Object> monitor = layout.manifest("ServiceMonitor");
    Map<String, Object> budget = layout.manifest("PodDisruptionBudget");
    Map<String, Object> policy = layout.manifest("NetworkPolicy");
    Map<String, Object> autoscaler = layout.manifest("HorizontalPodAutoscaler");

    assertTrue(selectsThePods.test(map(map(map(deployment.get("spec")).get("selector")).get("matchLabels"))));
    assertTrue(selectsThePods.test(map(map(service.get("spec")).get("selector"))));
    assertTrue(selectsThePods.test(map(map(map(budget.get("spec")).get("selector")).get("matchLabels"))));
    assertTrue(selectsThePods.test(map(map(map(policy.get("spec")).get("podSelector")).get("matchLabels"))));
    Map<String, Object> serviceLabels = map(map(service.get("metadata")).get("labels"));
    assertTrue(serviceLabels.entrySet().containsAll(
        map(map(map(monitor.get("spec")).get("selector")).get("matchLabels")).entrySet()));

    Set<String> containerPortNames = containerPorts(layout).keySet();
    List<Map<String, Object>> servicePorts = maps(map(service.get("spec")).get("ports"));
    servicePorts.forEach(p -> assertTrue(containerPortNames.contains(p.get("targetPort")), p::toString));
    Set<Object> servicePortNames = servicePorts.stream().map(p -> p.get("name")).collect(Collectors.toSet());
    maps(map(monitor.get("spec")).get("endpoints")).forEach(e -> {
      assertTrue(servicePortNames.contains(e.get("port")), e::toString);
      assertEquals("/metrics", e.get("path"));
    });
    for (Map<String, Object> rule : maps(map(policy.get("spec")).get("ingress"))) {
      maps(rule.get("ports")).forEach(p -> assertTrue(containerPortNames.contains(p.get("port")), p::toString));
    }

    Map<String, Object> target = map(map(autoscaler.get("spec")).get("scaleTargetRef"));
    assertEquals(List.of(deployment.get("apiVersion"), deployment.get("kind"), name(deployment)),
        List.of(target.get("apiVersion"), target.get("kind"), target.get("name")));
  }

  /** yamllint (Debian package yamllint, which scripts/test-tools.sh installs) with the repository's .yamllint. */
  @Test
  void theManifestsAndTheShippedConfigurationPassYamllint() throws IOException, InterruptedException {
    // k8s/ recursively: both layouts, the patches, and single-node/gateway.yaml.
    DebianTool.Result yamllint = DebianTool.run("yamllint", java.time.Duration.ofSeconds(60), "",
        "yamllint", "-s", "-f", "parsable", "k8s/", "conf/gateway.yaml");
    assertEquals(0, yamllint.exit(), yamllint.output());
  }

  // ---- helpers ----

  /**
   * The configuration as a pod loads it: the ConfigMap's file and the container's SNUPKG_ variables. A variable
   * from a Secret gets a placeholder: only its name matters here, since an unknown name stops the gateway.
   */
  private static GatewayConfig podConfig(Layout layout) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> var : maps(container(layout.manifest("Deployment")).get("env"))) {
      env.put(String.valueOf(var.get("name")),
          var.containsKey("valueFrom") ? "placeholder-from-secret" : String.valueOf(var.get("value")));
    }
    return ConfigLoader.fromYaml(gatewayYaml(layout), layout + " ConfigMap", env);
  }

  private static String gatewayYaml(Layout layout) {
    return String.valueOf(map(layout.manifest("ConfigMap").get("data")).get("gateway.yaml"));
  }

  private static Map<String, Object> kustomization(Path dir) throws IOException {
    Map<String, Object> kustomization = map(yaml().load(Files.readString(dir.resolve(KUSTOMIZATION))));
    assertEquals("Kustomization", kustomization.get("kind"));
    return kustomization;
  }

  private static String kustomizationOf(String body) {
    return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + body + "\n";
  }

  /** The YAML files directly in {@code dir}, by name. */
  private static Set<String> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.matches(".*\\.ya?ml"))
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<Integer> egressPorts(Layout layout) {
    return maps(map(layout.manifest("NetworkPolicy").get("spec")).get("egress")).stream()
        .flatMap(rule -> maps(rule.get("ports")).stream())
        .filter(p -> "TCP".equals(p.get("protocol")))
        .map(p -> integer(p.get("port")))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The port of an http, https or postgresql URL, or the scheme's own. */
  private static int port(String url, int otherwise) {
    URI uri = URI.create(url);
    if (uri.getPort() > 0) {
      return uri.getPort();
    }
    return "http".equals(uri.getScheme()) ? 80 : otherwise;
  }

  /** A Kubernetes quantity in bytes: a number, then a binary or decimal suffix. */
  private static long quantity(String text) {
    Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(text);
    if (!m.matches()) {
      return fail("not a quantity of bytes: " + text);
    }
    long unit = switch (m.group(2) == null ? "" : m.group(2)) {
      case "Ki" -> 1L << 10;
      case "Mi" -> 1L << 20;
      case "Gi" -> 1L << 30;
      case "Ti" -> 1L << 40;
      case "k" -> 1_000L;
      case "M" -> 1_000_000L;
      case "G" -> 1_000_000_000L;
      case "T" -> 1_000_000_000_000L;
      default -> 1L;
    };
    return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).longValueExact();
  }

  private static Map<String, Object> podSpec(Map<String, Object> deployment) {
    return map(map(map(deployment.get("spec")).get("template")).get("spec"));
  }

  private static Map<String, Object> podLabels(Layout layout) {
    return map(map(map(map(layout.manifest("Deployment").get("spec")).get("template")).get("metadata"))
        .get("labels"));
  }

  private static Map<String, Object> container(Map<String, Object> deployment) {
    List<Map<String, Object>> containers = maps(podSpec(deployment).get("containers"));
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  private static Map<String, Integer> containerPorts(Layout layout) {
    Map<String, Integer> ports = new TreeMap<>();
    maps(container(layout.manifest("Deployment")).get("ports"))
        .forEach(p -> ports.put(String.valueOf(p.get("name")), integer(p.get("containerPort"))));
    return ports;
  }

  private static Map<String, Object> mountAt(Layout layout, Path path) {
    return maps(container(layout.manifest("Deployment")).get("volumeMounts")).stream()
        .filter(m -> Path.of(String.valueOf(m.get("mountPath"))).equals(path.normalize()))
        .findFirst().orElseGet(() -> fail(layout + ": no volume mounted at " + path));
  }

  private static Map<String, Object> volumeMountedAt(Layout layout, Path path) {
    Object volume = mountAt(layout, path).get("name");
    return maps(podSpec(layout.manifest("Deployment")).get("volumes")).stream()
        .filter(v -> volume.equals(v.get("name"))).findFirst()
        .orElseGet(() -> fail(layout + ": no volume " + volume));
  }

  private static String name(Map<String, Object> object) {
    return String.valueOf(map(object.get("metadata")).get("name"));
  }

  private static String instruction(List<String> dockerfile, String keyword) {
    List<String> found = dockerfile.stream().filter(l -> l.startsWith(keyword + " "))
        .map(l -> l.substring(keyword.length() + 1).trim()).toList();
    assertEquals(1, found.size(), "one " + keyword + " in the Dockerfile");
    return found.get(0);
  }

  /** The dotted paths of the leaves, as ConfigLoader names keys. */
  private static Set<String> keys(String prefix, Map<String, Object> map) {
    return new TreeSet<>(leaves(prefix, map).keySet());
  }

  /** The leaves by dotted path, with their values. */
  private static Map<String, Object> leaves(String prefix, Map<String, Object> map) {
    Map<String, Object> leaves = new TreeMap<>();
    map.forEach((k, v) -> {
      if (v instanceof Map<?, ?>) {
        leaves.putAll(leaves(prefix + k + ".", map(v)));
      } else {
        leaves.put(prefix + k, v);
      }
    });
    return leaves;
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  /** A deep copy, to break in one test without touching the others. */
  private static Map<String, Object> copy(Map<String, Object> object) {
    return map(deepCopy(object));
  }

  private static Object deepCopy(Object node) {
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(String.valueOf(k), deepCopy(v)));
      return copy;
    }
    if (node instanceof List<?> l) {
      return new ArrayList<>(l.stream().map(KubernetesManifestsTest::deepCopy).toList());
    }
    return node;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node) {
    if (!(node instanceof Map)) {
      fail("expected a mapping, found " + node);
    }
    return (Map<String, Object>) node;
  }

  private static int integer(Object node) {
    if (!(node instanceof Integer i)) {
      return fail("expected a whole number, found " + node);
    }
    return i;
  }

  private static List<?> list(Object node) {
    if (!(node instanceof List<?> l)) {
      return fail("expected a list, found " + node);
    }
    return l;
  }

  private static List<Map<String, Object>> maps(Object node) {
    return list(node).stream().map(KubernetesManifestsTest::map).toList();
  }

  private static List<String> strings(Object node) {
    return list(node).stream().map(String::valueOf).toList();
  }
}
