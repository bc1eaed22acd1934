package io.snupkg.gateway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snupkg.gateway.auth.KeyFile;
import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.testing.DebianTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The manifests in {@code k8s/}: each one against the Kubernetes schema of its kind, strictly (see
 * {@link KubernetesSchemas}), and the facts that hold only across files: the ConfigMap is a configuration the
 * gateway accepts, the pod gives the shutdown drain enough time, the probes ask the management port, and the names
 * that tie the objects together agree.
 */
class KubernetesManifestsTest {
  private static final Path K8S = Path.of("k8s");
  /** Not applied by kustomization.yaml, so that an apply never replaces the real keys; validated all the same. */
  private static final String EXAMPLE_SECRET = "secret-example.yaml";
  private static final String KUSTOMIZATION = "kustomization.yaml";
  /**
   * After the drain, Main gives the verticles 5 s more to stop and Vert.x 10 s to close before it exits: the
   * grace period must cover those too.
   */
  private static final int SHUTDOWN_AFTER_DRAIN_SECONDS = 15;
  /** ManagementVerticle bounds each readiness check at 2 s: a probe that gives up sooner sees a timeout instead. */
  private static final int READINESS_CHECK_SECONDS = 2;

  private static KubernetesSchemas schemas;
  /** Every manifest but the kustomization, by file name. */
  private static Map<String, Map<String, Object>> manifests;

  @BeforeAll
  static void load() throws IOException {
    schemas = KubernetesSchemas.load();
    manifests = new TreeMap<>();
    try (Stream<Path> files = Files.list(K8S)) {
      for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).sorted().toList()) {
        List<Object> documents = new ArrayList<>();
        new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file)).forEach(documents::add);
        assertEquals(1, documents.size(), file + ": one object per file");
        if (!file.getFileName().toString().equals(KUSTOMIZATION)) {
          manifests.put(file.getFileName().toString(), map(documents.get(0)));
        }
      }
    }
    assertTrue(manifests.size() >= 9, "k8s/ has the manifests: " + manifests.keySet());
  }

  // ---- schemas ----

  @TestFactory
  Stream<DynamicTest> everyManifestMatchesTheSchemaOfItsKind() {
    return manifests.entrySet().stream().map(m -> DynamicTest.dynamicTest(m.getKey(),
        () -> assertEquals(List.of(), schemas.validate(m.getValue()), m.getKey())));
  }

  @Test
  void aMisspelledFieldIsRejected() {
    Map<String, Object> deployment = copy(manifest("Deployment"));
    Map<String, Object> podSpec = podSpec(deployment);
    podSpec.put("terminationGracePeriodSecond", podSpec.remove("terminationGracePeriodSeconds"));
    assertRejected(deployment, "terminationGracePeriodSecond");
  }

  @Test
  void aStringWhereAnIntegerBelongsIsRejected() {
    Map<String, Object> deployment = copy(manifest("Deployment"));
    map(list(container(deployment).get("ports")).get(0)).put("containerPort", "8080");
    assertRejected(deployment, "containerPort");
  }

  @Test
  void aQuantityWithAWrongUnitIsRejected() {
    Map<String, Object> deployment = copy(manifest("Deployment"));
    map(map(container(deployment).get("resources")).get("limits")).put("memory", "1GB");
    assertRejected(deployment, "memory");
  }

  @Test
  void theServiceMonitorIsCheckedAgainstThePrometheusOperatorSchemaAsStrictly() {
    Map<String, Object> monitor = copy(manifest("ServiceMonitor"));
    Map<String, Object> endpoint = map(list(map(monitor.get("spec")).get("endpoints")).get(0));
    endpoint.put("intervall", endpoint.remove("interval"));
    assertRejected(monitor, "intervall");
  }

  @Test
  void aKindWithoutASchemaIsRejectedRatherThanPassed() {
    Map<String, Object> deployment = copy(manifest("Deployment"));
    deployment.put("kind", "Deploymnet");
    assertRejected(deployment, "no schema for apps/v1 Deploymnet");
  }

  private static void assertRejected(Map<String, Object> object, String mentioned) {
    List<String> errors = schemas.validate(object);
    assertTrue(errors.stream().anyMatch(e -> e.contains(mentioned)),
        () -> "expected a complaint about " + mentioned + ", got " + errors);
  }

  // ---- the configuration ----

  @Test
  void theConfigMapIsAConfigurationTheGatewayAccepts() {
    GatewayConfig config = podConfig();
    Map<String, Object> container = container(manifest("Deployment"));
    List<String> args = strings(container.get("args"));
    assertEquals(1, args.size(), "one argument, the configuration file: " + args);
    Path configFile = Path.of(args.get(0));
    Map<String, Object> configVolume = volumeMountedAt(configFile.getParent());
    assertEquals(name(manifest("ConfigMap")), map(configVolume.get("configMap")).get("name"));
    assertTrue(map(manifest("ConfigMap").get("data")).containsKey(configFile.getFileName().toString()));

    Map<String, Object> dataVolume = volumeMountedAt(config.storage().path());
    assertEquals(name(manifest("PersistentVolumeClaim")),
        map(dataVolume.get("persistentVolumeClaim")).get("claimName"));
    assertNotEquals(true, mountAt(config.storage().path()).get("readOnly"), "the store is writable");

    Map<String, Object> keysVolume = volumeMountedAt(config.auth().file().getParent());
    Map<String, Object> secret = manifest("Secret");
    assertEquals(name(secret), map(keysVolume.get("secret")).get("secretName"));
    assertTrue(map(secret.get("stringData")).containsKey(config.auth().file().getFileName().toString()));
  }

  @Test
  void theConfigMapHasEveryKeyOfConfGatewayYaml() throws IOException {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    Set<String> contract = keys("", map(yaml.load(Files.readString(Path.of("conf/gateway.yaml")))));
    Set<String> configMap = keys("", map(yaml.load(gatewayYaml())));
    assertEquals(contract, configMap);
  }

  @Test
  void theExampleSecretIsAKeyFileWithAPlaceholderOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("api-keys.yaml");
    Files.writeString(file, String.valueOf(map(manifest("Secret").get("stringData")).get("api-keys.yaml")));
    List<KeyFile.Entry> entries = KeyFile.read(file);
    // With no key the gateway would create one on start, and the Secret's mount is read-only.
    assertFalse(entries.isEmpty());
    for (KeyFile.Entry e : entries) {
      assertEquals("0".repeat(64), e.sha256(), "the example holds no real key hash");
    }
  }

  @Test
  void serviceLinksDoNotPutUnknownSnupkgVariablesIntoThePod() {
    // Each Service in the namespace would add NAME_PORT and the like; snupkg-gateway's are SNUPKG_GATEWAY_*,
    // which the gateway refuses as unknown configuration variables.
    String linkPrefix = name(manifest("Service")).toUpperCase().replace('-', '_') + "_";
    assertTrue(linkPrefix.startsWith(ConfigLoader.ENV_PREFIX));
    assertEquals(false, podSpec(manifest("Deployment")).get("enableServiceLinks"));
  }

  // ---- shutdown, probes, security ----

  @Test
  void theGracePeriodCoversThePreStopSleepTheDrainAndTheShutdown() {
    Map<String, Object> deployment = manifest("Deployment");
    int grace = integer(podSpec(deployment).get("terminationGracePeriodSeconds"));
    Map<String, Object> preStop = map(map(container(deployment).get("lifecycle")).get("preStop"));
    int sleep = integer(map(preStop.get("sleep")).get("seconds"));
    long drain = podConfig().shutdown().drainTimeout().toSeconds();
    assertTrue(grace > sleep + drain + SHUTDOWN_AFTER_DRAIN_SECONDS,
        () -> "terminationGracePeriodSeconds " + grace + " must exceed preStop " + sleep + " s + drain " + drain
            + " s + " + SHUTDOWN_AFTER_DRAIN_SECONDS + " s");
  }

  @Test
  void theProbesAskTheManagementPortForTheHealthEndpoints() {
    GatewayConfig config = podConfig();
    Map<String, Object> container = container(manifest("Deployment"));
    Map<String, Integer> ports = containerPorts();
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

  @Test
  void thePodRunsAsNonRootOnAReadOnlyRootFilesystem() {
    Map<String, Object> podSpec = podSpec(manifest("Deployment"));
    Map<String, Object> pod = map(podSpec.get("securityContext"));
    assertEquals(true, pod.get("runAsNonRoot"));
    assertNotEquals(0, pod.get("runAsUser"));
    assertEquals("RuntimeDefault", map(pod.get("seccompProfile")).get("type"));
    Map<String, Object> container = map(container(manifest("Deployment")).get("securityContext"));
    assertEquals(true, container.get("readOnlyRootFilesystem"));
    assertEquals(false, container.get("allowPrivilegeEscalation"));
    assertEquals(List.of("ALL"), map(container.get("capabilities")).get("drop"));
    assertTrue(volumeMountedAt(Path.of("/tmp")).containsKey("emptyDir"), "a writable /tmp");
  }

  @Test
  void theImageRunsTheSameCommandAsTheSameUser() throws IOException {
    List<String> dockerfile = Files.readAllLines(Path.of("Dockerfile"));
    Map<String, Object> container = container(manifest("Deployment"));
    String entrypoint = instruction(dockerfile, "ENTRYPOINT");
    assertEquals(strings(container.get("command")), strings(new Yaml(new SafeConstructor(new LoaderOptions())).load(entrypoint)),
        "exec form, the same java command");
    String user = instruction(dockerfile, "USER").split(":")[0];
    assertEquals(String.valueOf(map(podSpec(manifest("Deployment")).get("securityContext")).get("runAsUser")), user);
    assertEquals(new TreeSet<>(containerPorts().values().stream().map(String::valueOf).toList()),
        new TreeSet<>(List.of(instruction(dockerfile, "EXPOSE").split("\\s+"))));
  }

  // ---- names that tie the objects together ----

  @Test
  void selectorsPortsAndReferencesAgree() {
    Map<String, Object> deployment = manifest("Deployment");
    Map<String, Object> podLabels = map(map(map(map(deployment.get("spec")).get("template")).get("metadata"))
        .get("labels"));
    Predicate<Map<String, Object>> selectsThePods = labels -> podLabels.entrySet().containsAll(labels.entrySet());
    Map<String, Object> service = manifest("Service");
    Map<String, Object> monitor = manifest("ServiceMonitor");
    Map<String, Object> budget = manifest("PodDisruptionBudget");
    Map<String, Object> policy = manifest("NetworkPolicy");
    Map<String, Object> autoscaler = manifest("HorizontalPodAutoscaler");

    assertTrue(selectsThePods.test(map(map(map(deployment.get("spec")).get("selector")).get("matchLabels"))));
    assertTrue(selectsThePods.test(map(map(service.get("spec")).get("selector"))));
    assertTrue(selectsThePods.test(map(map(map(budget.get("spec")).get("selector")).get("matchLabels"))));
    assertTrue(selectsThePods.test(map(map(map(policy.get("spec")).get("podSelector")).get("matchLabels"))));
    Map<String, Object> serviceLabels = map(map(service.get("metadata")).get("labels"));
    assertTrue(serviceLabels.entrySet().containsAll(
        map(map(map(monitor.get("spec")).get("selector")).get("matchLabels")).entrySet()));

    Set<String> containerPortNames = containerPorts().keySet();
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
    // One writer on the filesystem store: never a second pod, not by scaling and not during a rollout, and
    // a budget that does not block node drains.
    Map<String, Object> spec = map(deployment.get("spec"));
    assertEquals(1, integer(spec.get("replicas")));
    assertEquals("Recreate", map(spec.get("strategy")).get("type"));
    assertEquals(1, integer(map(autoscaler.get("spec")).get("maxReplicas")));
    assertEquals(1, integer(map(budget.get("spec")).get("maxUnavailable")));
    assertEquals(List.of("ReadWriteOnce"), map(manifests.get("persistentvolumeclaim.yaml").get("spec"))
        .get("accessModes"));
  }

  /** yamllint (Debian package yamllint, which scripts/test-tools.sh installs) with the repository's .yamllint. */
  @Test
  void theManifestsAndTheShippedConfigurationPassYamllint() throws IOException, InterruptedException {
    DebianTool.Result yamllint = DebianTool.run("yamllint", java.time.Duration.ofSeconds(60), "",
        "yamllint", "-s", "-f", "parsable", "k8s/", "conf/gateway.yaml");
    assertEquals(0, yamllint.exit(), yamllint.output());
  }


  @Test
  void theKustomizationAppliesEveryManifestButTheExampleSecret() throws IOException {
    Map<String, Object> kustomization = map(new Yaml(new SafeConstructor(new LoaderOptions()))
        .load(Files.readString(K8S.resolve(KUSTOMIZATION))));
    assertEquals("Kustomization", kustomization.get("kind"));
    Set<String> expected = new TreeSet<>(manifests.keySet());
    expected.remove(EXAMPLE_SECRET);
    assertEquals(expected, new TreeSet<>(strings(kustomization.get("resources"))));
  }

  // ---- helpers ----

  /** The configuration as a pod loads it: the ConfigMap's file and the container's SNUPKG_ variables. */
  private static GatewayConfig podConfig() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> var : maps(container(manifest("Deployment")).get("env"))) {
      env.put(String.valueOf(var.get("name")), String.valueOf(var.get("value")));
    }
    return ConfigLoader.fromYaml(gatewayYaml(), "k8s/configmap.yaml", env);
  }

  private static String gatewayYaml() {
    return String.valueOf(map(manifest("ConfigMap").get("data")).get("gateway.yaml"));
  }

  private static Map<String, Object> manifest(String kind) {
    List<Map<String, Object>> found = manifests.values().stream().filter(m -> kind.equals(m.get("kind"))).toList();
    assertEquals(1, found.size(), "one " + kind);
    return found.get(0);
  }

  private static Map<String, Object> podSpec(Map<String, Object> deployment) {
    return map(map(map(deployment.get("spec")).get("template")).get("spec"));
  }

  private static Map<String, Object> container(Map<String, Object> deployment) {
    List<Map<String, Object>> containers = maps(podSpec(deployment).get("containers"));
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new TreeMap<>();
    maps(container(manifest("Deployment")).get("ports"))
        .forEach(p -> ports.put(String.valueOf(p.get("name")), integer(p.get("containerPort"))));
    return ports;
  }

  private static Map<String, Object> mountAt(Path path) {
    return maps(container(manifest("Deployment")).get("volumeMounts")).stream()
        .filter(m -> Path.of(String.valueOf(m.get("mountPath"))).equals(path.normalize()))
        .findFirst().orElseGet(() -> fail("no volume mounted at " + path));
  }

  private static Map<String, Object> volumeMountedAt(Path path) {
    Object volume = mountAt(path).get("name");
    return maps(podSpec(manifest("Deployment")).get("volumes")).stream()
        .filter(v -> volume.equals(v.get("name"))).findFirst().orElseGet(() -> fail("no volume " + volume));
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
    Set<String> keys = new TreeSet<>();
    map.forEach((k, v) -> {
      if (v instanceof Map<?, ?>) {
        keys.addAll(keys(prefix + k + ".", map(v)));
      } else {
        keys.add(prefix + k);
      }
    });
    return keys;
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
