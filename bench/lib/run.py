#!/usr/bin/env python3
"""The benchmark of issue 8: the gateway against nginx on this machine (driven by bench/run.sh).

    run.py [B1 B2 B3 B4 B5 B6 B7]        (default: all)

Starts one nginx (dav PUT to disk, bench/nginx-peer.sh) and, per scenario, a gateway with a fresh storage
directory on the same filesystem; runs the scenarios; prints one table (scenario, measure, gateway, nginx,
ratio, goal, result) and writes everything to bench/results/<timestamp>/. Settings come from the
environment; see bench/README.md. Every process started here is stopped on exit (also on Ctrl-C).
"""
import glob
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

LIB = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(LIB)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, LIB)
from bodyset import BodySet, seed as seed_parents  # noqa: E402
from loadgen import tree_cpu  # noqa: E402

MiB = 1 << 20


def env(name, default, conv=str):
    v = os.environ.get(name)
    return default if v in (None, "") else conv(v)


def size_arg(s):
    s = str(s).strip().lower()
    for suf, m in (("g", 1 << 30), ("m", MiB), ("k", 1 << 10)):
        if s.endswith(suf):
            return int(float(s[:-1]) * m)
    return int(s)


CFG = {
    "DURATION": env("DURATION", 10.0, float),       # seconds per measured run
    "ROUNDS": env("ROUNDS", 3, int),                 # ABBA rounds per side where a ratio is asked for
    "WARMUP": env("WARMUP", 30.0, float),            # uncounted seconds per side first (JIT; 5 s was too short)
    "SETTLE": env("SETTLE", 2.0, float),             # pause after sync before each run
    "CONC": env("CONC", 16, int),                    # connections for B1, B2, B6
    "WAIT_QUIET": env("WAIT_QUIET", 0.0, float),     # loadgen: wait until the machine is less busy than this %
    "MIN_FREE_GB": env("MIN_FREE_GB", 10.0, float),  # loadgen disk guard
    "PUBLISH_WAIT": env("PUBLISH_WAIT", 120.0, float),   # longest wait for a run's publish backlog
    "BASE_PORT": env("BASE_PORT", 18280, int),
    "LIMIT": env("LIMIT", "250m"),                   # both servers' body limit (gateway: symbol packages)
    "GW_JAVA_OPTS": env("GW_JAVA_OPTS", "-Xmx600m -XX:MaxDirectMemorySize=128m -XX:+ExitOnOutOfMemoryError"),
    "B1_SIZE": env("B1_SIZE", "16m"), "B1_COUNT": env("B1_COUNT", 6000, int),
    "B2_SIZE": env("B2_SIZE", "64k"), "B2_COUNT": env("B2_COUNT", 100000, int),
    "B3_SIZE": env("B3_SIZE", "64m"), "B3_CONC": env("B3_CONC", 64, int), "B3_XMX": env("B3_XMX", "64m"),
    "B4_N": env("B4_N", 200, int), "B4_WARMUP_N": env("B4_WARMUP_N", 5000, int), "B4_CL": env("B4_CL", 2 << 30, int),
    "B5_PUSHES": env("B5_PUSHES", 1000, int), "B5_CONC": env("B5_CONC", 16, int),
    "B6_SIZE": env("B6_SIZE", "64m"),
    "B7_SIZE": env("B7_SIZE", "64k"), "B7_CONCS": env("B7_CONCS", "1 16 64 256"),
    "B7_PREFILL": env("B7_PREFILL", 10000, int), "B7_COUNT": env("B7_COUNT", 60000, int),
    "B7_FLAT": env("B7_FLAT", 1.5, float),
    "B7_WARMUP": env("B7_WARMUP", 15.0, float),  # B7's warm-up re-pushes one body: long, it stores nothing
    # the shared backend (storage.type s3): S3Proxy + PostgreSQL on this machine (B8, B3s)
    "B8_SIZES": env("B8_SIZES", "64k 16m"), "B8_COUNTS": env("B8_COUNTS", "100000 6000"),
    "B8_CONC": env("B8_CONC", 16, int), "B8_REPLICAS": env("B8_REPLICAS", 3, int),
    "B8_IDLE": env("B8_IDLE", 10.0, float),         # seconds of idle counting (publish polls) per s3 setup
    "S3_PART_SIZE": env("S3_PART_SIZE", "16MiB"), "DB_POOL": env("DB_POOL", 8, int),
    "S3PROXY_XMX": env("S3PROXY_XMX", "256m"),
    "PG_STATEMENTS": env("PG_STATEMENTS", 1, int),  # count PostgreSQL's statements too (pg_stat_statements)
}
ALL = ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]   # issue 8, against nginx
EXTRA = ["B8", "B3S"]                              # the shared backend: only when named (PostgreSQL, S3Proxy)
NAMES = {"B3S": "B3s"}


# ---------------------------------------------------------------- context: dirs, log, processes
class Ctx:
    def __init__(self, stamp):
        self.stamp = stamp
        self.run = os.path.join(BENCH, "run", stamp)          # servers' data, logs with keys: never committed
        self.res = os.path.join(BENCH, "results", stamp)      # what a reader needs: no keys
        os.makedirs(self.run)
        os.makedirs(self.res)
        self.jsonl = os.path.join(self.res, "runs.jsonl")
        self.procs = []
        self.rows = []
        self.log = open(os.path.join(self.res, "log.txt"), "a")
        self.nginx = None
        self.shared = None

    def say(self, msg=""):
        print(msg, flush=True)
        self.log.write(msg + "\n")
        self.log.flush()

    def track(self, proc, what):
        self.procs.append((proc, what))
        self.track_pid(proc.pid, what)

    def track_pid(self, pid, what):
        with open(os.path.join(self.run, "pids"), "a") as f:  # run.sh's trap kills what is left
            f.write("%d %s\n" % (pid, what))

    def shared_servers(self):
        """S3Proxy and PostgreSQL, started on first use (B8, B3s)."""
        if self.shared is None:
            self.shared = Shared(self)
            self.shared.start()
        return self.shared

    def row(self, scen, measure, gw, ng, ratio, goal, ok, note=""):
        r = {"scenario": scen, "measure": measure, "gateway": gw, "nginx": ng, "ratio": ratio, "goal": goal,
             "result": "-" if ok is None else ("PASS" if ok else "FAIL"), "note": note}
        self.rows.append(r)
        with open(os.path.join(self.res, "rows.jsonl"), "a") as f:
            f.write(json.dumps(r) + "\n")


def stop_proc(proc, what, grace=45):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        print("  %s did not stop within %d s; killing it" % (what, grace), flush=True)
        proc.kill()
        proc.wait(10)


def sync_settle(ctx):
    subprocess.run(["sync"], check=False)
    time.sleep(CFG["SETTLE"])


# ---------------------------------------------------------------- body sets
def body_set(ctx, name, size, count):
    """The cached set (bench/.cache/sets/NAME-SIZE-COUNT), written by BenchPackages if missing."""
    d = os.path.join(BENCH, ".cache", "sets", "%s-%d-%d" % (name, size, count))
    if not os.path.exists(os.path.join(d, "meta.json")):
        ctx.say("  generating body set %s: %d bodies of %d bytes" % (os.path.basename(d), count, size))
        cp = os.path.join(ROOT, "target", "test-classes") + ":" + os.path.join(ROOT, "target", "snupkg-gateway.jar")
        subprocess.run(["java", "-Xmx1g", "-cp", cp, "io.snupkg.gateway.bench.BenchPackages", d, str(size), str(count),
                        name], check=True, stdout=subprocess.DEVNULL)
    return BodySet(d)


# ---------------------------------------------------------------- nginx
class Nginx:
    def __init__(self, ctx, port):
        self.ctx, self.port = ctx, port
        self.dir = os.path.join(ctx.run, "nginx")
        self.script = os.path.join(BENCH, "nginx-peer.sh")
        self.url = "http://127.0.0.1:%d" % port

    def _sh(self, cmd, quiet=True):
        e = dict(os.environ, NGINX_MAX_BODY=CFG["LIMIT"])
        p = subprocess.run([self.script, cmd, str(self.port), self.dir], env=e, check=True, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not quiet:
            self.ctx.say("  " + p.stdout.strip())
        return p.stdout.strip()

    def start(self):
        self._sh("start", quiet=False)
        shutil.copy(os.path.join(self.dir, "conf", "nginx.conf"), os.path.join(self.ctx.res, "nginx.conf"))

    def stop(self):
        self._sh("stop")

    def clean(self):
        self._sh("clean")

    def pids(self):
        return self._sh("pids")

    def data(self):
        return os.path.join(self.dir, "data")


# ---------------------------------------------------------------- the gateway
class Gateway:
    def __init__(self, ctx, name, port, java_opts=None, auth_url=None, feed_url=None, store=None, key_from=None):
        """store: a Store (bucket + database on ctx's S3Proxy and PostgreSQL) for storage.type s3; key_from: a
        started Gateway whose key file this one shares (replicas of one store accept the same key)."""
        self.ctx, self.name, self.port, self.mport = ctx, name, port, port + 1
        self.store, self.key_from = store, key_from
        self.dir = os.path.join(ctx.run, "gateway-" + name)
        self.data = os.path.join(self.dir, "data")
        self.url = "http://127.0.0.1:%d" % port
        self.murl = "http://127.0.0.1:%d/metrics" % self.mport
        self.java_opts = (java_opts or CFG["GW_JAVA_OPTS"]).split()
        self.auth_url, self.feed_url = auth_url, feed_url
        self.header_file = os.path.join(self.dir, "key-header")
        self.proc = None
        self.seeded = {}  # set dir -> parents pushed so far (0..n-1)
        self.repushes = 0  # 201s for byte-identical re-pushes: counted as pushes, never published

    def start(self):
        os.makedirs(self.dir)
        lines = ["http:", "  host: 127.0.0.1", "  port: %d" % self.port,
                 "management:", "  host: 127.0.0.1", "  port: %d" % self.mport,
                 "storage:", "  path: %s" % self.data]
        if self.store:
            lines += self.store.yaml()
        lines += ["limits:", "  maxSymbolPackageSize: %dMiB" % (size_arg(CFG["LIMIT"]) // MiB),
                 "  maxPackageSize: %dMiB" % (size_arg(CFG["LIMIT"]) // MiB)]
        if self.auth_url:
            lines += ["auth:", "  type: upstream", "  url: %s" % self.auth_url]
        else:
            lines += ["auth:", "  file: %s" % (self.key_from.key_file() if self.key_from else self.key_file())]
        if self.feed_url:
            lines += ["feed:", "  type: upstream", "  url: %s" % self.feed_url]
        conf = os.path.join(self.dir, "gateway.yaml")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        shutil.copy(conf, os.path.join(self.ctx.res, "gateway-%s.yaml" % self.name))
        self.log_path = os.path.join(self.dir, "gateway.log")
        jar = os.path.join(ROOT, "target", "snupkg-gateway.jar")
        # SNUPKG_* overrides from the caller's environment would change the setup silently: drop them
        e = {k: v for k, v in os.environ.items() if not k.startswith("SNUPKG_")}
        if self.store:  # S3Proxy's throwaway credential, kept out of the yaml the results keep anyway
            e["SNUPKG_STORAGE_S3_SECRET_KEY"] = S3_CREDENTIAL
        self.proc = subprocess.Popen(["java"] + self.java_opts + ["-jar", jar, conf], cwd=self.dir, env=e,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.ctx.track(self.proc, "gateway-" + self.name)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError("gateway %s exited at start; see %s" % (self.name, self.log_path))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % self.mport, timeout=1) as r:
                    if r.status == 200:
                        break
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("gateway %s not ready after 60 s" % self.name)
        if self.key_from:
            shutil.copy(self.key_from.header_file, self.header_file)
        elif not self.auth_url:
            with open(self.log_path) as f:
                m = re.search(r"^\s*API key: (\S+)", f.read(), re.M)
            if not m:
                raise RuntimeError("no 'API key:' line in " + self.log_path)
            self.write_key(m.group(1))
        self.ctx.say("  gateway %s started: pid %d, %s, java %s" % (self.name, self.proc.pid, self.url,
                                                                    " ".join(self.java_opts)))

    def key_file(self):
        return os.path.join(self.dir, "api-keys.yaml")

    def write_key(self, key):
        fd = os.open(self.header_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("X-NuGet-ApiKey: %s\n" % key)

    def headers(self):
        with open(self.header_file) as f:
            return [ln.strip() for ln in f if ln.strip()]

    def pid(self):
        return self.proc.pid

    # the interface GatewaySide uses, which a Cluster of replicas has too
    def gateways(self):
        return [self]

    def extra_urls(self):
        return []

    def server_pids(self):
        """The processes a run's server CPU counts: the gateway, and the stores of storage.type s3."""
        return " ".join([str(self.pid())] + (self.ctx.shared.pids() if self.store else []))

    def cpu_groups(self):
        return self.ctx.shared.cpu_groups([self]) if self.store else ""

    def snapshot(self):
        """Counters for the cost of a push: the gateway's S3 requests and database calls, PostgreSQL's
        statements in the store's database, and the 201s."""
        return snapshot(self.gateways(), self.store)

    def rss_kb(self, field="VmRSS"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith(field + ":"):
                    return int(ln.split()[1])
        return 0

    def metrics(self):
        with urllib.request.urlopen(self.murl, timeout=5) as r:
            return r.read().decode()

    def series(self, *names):
        """[(name, {label: value}, value)] of the series of NAMES."""
        out = []
        for ln in self.metrics().splitlines():
            m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", ln)
            if m and m.group(1) in names:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
                out.append((m.group(1), labels, float(m.group(3))))
        return out

    def metric(self, name, **labels):
        """Sum of the series of NAME whose labels include LABELS."""
        total = 0.0
        for ln in self.metrics().splitlines():
            if ln.startswith(name + "{") or ln.startswith(name + " "):
                if all('%s="%s"' % kv in ln for kv in labels.items()):
                    total += float(ln.rsplit(" ", 1)[1])
        return total

    def seed(self, bs, upto, conc=8):
        """Push the parent nupkgs of bodies 0..upto-1 that are not there yet (untimed setup)."""
        have = self.seeded.get(bs.dir, 0)
        upto = min(upto, bs.count)
        if upto <= have:
            return
        t0 = time.time()
        codes = seed_parents(bs, self.url + "/api/v2/package/", have, upto, conc, self.headers())
        if set(codes) - {201, 409}:
            raise RuntimeError("seeding parents %d..%d of %s: %s" % (have, upto, bs.dir, codes))
        self.seeded[bs.dir] = upto
        self.ctx.say("  seeded parents %d..%d in %.1f s" % (have, upto - 1, time.time() - t0))

    def put(self, path, body, headers=None, ctype=None):
        u = self.url.split("//", 1)[1]
        host, port = u.split(":")
        s = socket.create_connection((host, int(port)))
        try:
            hs = (self.headers() if headers is None else headers) + ["Content-Type: " + ctype]
            from bodyset import http_put
            return http_put(s, u, path, hs, body)
        finally:
            s.close()

    def status(self, ident, version):
        try:
            with urllib.request.urlopen("%s/api/v2/symbolpackage/%s/%s/status" % (self.url, ident, version),
                                        timeout=5) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return {"state": "http %d" % e.code}

    def check(self, bs, i=0, timeout=120, via=None, seen_by=None):
        """Pushes body i (its parent first, unless proxy mode) and waits for its publication: proof that the
        set's bodies are valid end to end. Returns (push status, final state). Replicas: the parent goes to
        this one, the push to VIA and the status comes from SEEN_BY (other replicas of the same store)."""
        via, seen_by = via or self, seen_by or self
        if not self.feed_url:
            self.seed(bs, i + 1)
        st = via.put("/api/v2/symbolpackage/", bs.body(i), ctype=bs.content_type)
        ident, version = bs.ident(i)
        state = None
        t_end = time.time() + timeout
        while time.time() < t_end:
            state = seen_by.status(ident, version).get("state")
            if state not in ("pending", None):
                break
            time.sleep(0.2)
        where = "" if via is self and seen_by is self else " (parent to %s, push to %s, status from %s)" % (
            self.name, via.name, seen_by.name)
        self.ctx.say("  check: body %d of %s (%s %s, %d bytes)%s: push %s, then %s" % (
            i, os.path.basename(bs.dir), ident, version, bs.size, where, st, state))
        return st, state

    def publish_backlog(self):
        stored = self.metric("snupkg_push_total", kind="symbols", status="201") - self.repushes
        done = self.metric("snupkg_publish_total")
        return stored - done

    def wait_published(self):
        """Waits until every push answered 201 has been published (or failed): the background work of one
        run must not run into the next (nginx's) run. Returns the seconds waited."""
        t0 = time.time()
        while self.publish_backlog() > 0:
            if time.time() - t0 > CFG["PUBLISH_WAIT"]:
                self.ctx.say("  WARNING: %d pushes still unpublished after %.0f s" % (
                    self.publish_backlog(), CFG["PUBLISH_WAIT"]))
                break
            time.sleep(0.25)
        return time.time() - t0

    def trim(self):
        """Frees the disk that big published pushes hold without deleting inodes (see clean-dir.sh): truncates
        stored snupkgs and SSQP PDBs to 0 bytes. Call only after wait_published: the files stay, their
        records stay, the gateway never reads them again in these runs."""
        if self.store:  # the objects are S3Proxy's files
            self.store.trim()
            return
        for sub in ("symbols", "ssqp"):
            d = os.path.join(self.data, sub)
            if os.path.isdir(d):
                subprocess.run(["find", d, "-type", "f", "-size", "+1M", "-exec", "truncate", "-s", "0", "{}", "+"],
                               check=False)

    def stop(self):
        if self.proc:
            stop_proc(self.proc, "gateway " + self.name)
            # the log has the first-start key in it: keep a copy without it next to the results
            with open(self.log_path) as f, open(os.path.join(self.ctx.res, "gateway-%s.log" % self.name), "w") as o:
                for ln in f:
                    if "API key:" in ln or "-ApiKey" in ln:
                        ln = re.sub(r"(API key: |-ApiKey )\S+", r"\1<redacted>", ln)
                    o.write(ln)
            # empty the storage the way clean-dir.sh does (truncate, move aside): no mass inode deletion
            subprocess.run([os.path.join(BENCH, "clean-dir.sh"), self.data], check=False)
            self.proc = None


# ---------------------------------------------------------------- the shared backend: S3Proxy, PostgreSQL
S3_IDENTITY, S3_CREDENTIAL, S3_REGION = "local-identity", "local-credential", "us-east-1"


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: its commands then run as the postgres user Debian's package makes."""
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + cmd


class Shared:
    """S3Proxy (its filesystem backend) and PostgreSQL on this machine, for storage.type s3: started on first use,
    one of each per harness run, stopped at the end. Every store (Store) is a bucket and a database of its own.
    PostgreSQL keeps its defaults for durability (fsync on, synchronous_commit on), as the gateway's filesystem
    backend fsyncs what it stores; S3Proxy writes its objects to the same disk (see README)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = os.path.join(ctx.run, "shared")
        self.blobs = os.path.join(self.dir, "s3-blobs")
        self.pg_dir = os.path.join(self.dir, "postgres")
        self.s3_port, self.pg_port = CFG["BASE_PORT"] + 2, CFG["BASE_PORT"] + 3
        self.endpoint = "http://127.0.0.1:%d" % self.s3_port
        self.s3 = None
        self.pg_pid = None
        self.pg_bin = None

    def start(self):
        os.makedirs(self.blobs)
        jar = os.path.join(ROOT, "target", "test-servers", "s3proxy.jar")
        if not os.path.isfile(jar):
            raise RuntimeError("no %s: bench/run.sh copies it (mvn dependency:copy@test-servers)" % jar)
        conf = os.path.join(self.dir, "s3proxy.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "s3proxy.endpoint=" + self.endpoint, "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + S3_IDENTITY, "s3proxy.credential=" + S3_CREDENTIAL,
                "s3proxy.ignore-unknown-headers=true",  # else 501 to the x-amz-* headers the SDK sends
                "jclouds.provider=filesystem", "jclouds.filesystem.basedir=" + self.blobs, ""]))
        self.s3 = subprocess.Popen(["java", "-Xmx" + CFG["S3PROXY_XMX"], "-jar", jar, "--properties", conf],
                                   cwd=self.dir, stdout=open(os.path.join(self.dir, "s3proxy.log"), "w"),
                                   stderr=subprocess.STDOUT)
        self.ctx.track(self.s3, "s3proxy")
        for _ in range(300):
            if self.s3.poll() is not None:
                raise RuntimeError("S3Proxy exited at start; see %s/s3proxy.log" % self.dir)
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=1).read()
                break
            except urllib.error.HTTPError:  # 403 to an unsigned request: it is up
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("S3Proxy not answering after 60 s")
        self.ctx.say("  S3Proxy started: pid %d, %s, java -Xmx%s, filesystem backend in %s" % (
            self.s3.pid, self.endpoint, CFG["S3PROXY_XMX"], os.path.relpath(self.blobs, ROOT)))
        self._pg_start()

    def _pg_start(self):
        bins = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): bench/run.sh "
                               "installs Debian's postgresql")
        self.pg_bin = os.path.dirname(max(bins, key=lambda b: int(re.sub(r"\D", "", b.split("/")[4]) or 0)))
        os.makedirs(self.pg_dir)
        os.chmod(self.pg_dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.pg_dir, "postgres", "postgres")
            if subprocess.run(as_postgres(["test", "-w", self.pg_dir])).returncode != 0:
                raise RuntimeError("user postgres cannot reach %s (a parent folder is not traversable)" % self.pg_dir)
        data = os.path.join(self.pg_dir, "data")

        def pg(*cmd):
            subprocess.run(as_postgres([os.path.join(self.pg_bin, cmd[0])] + list(cmd[1:])), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        pg("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8")
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200" % (self.pg_port, self.pg_dir)
        if CFG["PG_STATEMENTS"]:
            opts += " -c shared_preload_libraries=pg_stat_statements"
        pg("pg_ctl", "-D", data, "-l", os.path.join(self.pg_dir, "log"), "-w", "-t", "60", "-o", opts, "start")
        with open(os.path.join(data, "postmaster.pid")) as f:
            self.pg_pid = int(f.readline())
        self.ctx.track_pid(self.pg_pid, "postgres")
        if CFG["PG_STATEMENTS"]:
            self.psql("postgres", "CREATE EXTENSION pg_stat_statements")
        ver = self.psql("postgres", "SHOW server_version")
        dur = self.psql("postgres", "SELECT current_setting('fsync') || '/' || current_setting('synchronous_commit')")
        self.ctx.say("  PostgreSQL %s started: pid %d, 127.0.0.1:%d, fsync/synchronous_commit %s%s" % (
            ver.split()[0], self.pg_pid, self.pg_port, dur,
            ", pg_stat_statements on" if CFG["PG_STATEMENTS"] else ""))

    def psql(self, db, sql):
        p = subprocess.run([os.path.join(self.pg_bin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                            "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", db, "-c", sql],
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (sql, p.stdout.strip()))
        return p.stdout.strip()

    def pids(self):
        return [str(self.s3.pid), str(self.pg_pid)]

    def cpu_groups(self, gws):
        return "gateway=%s;s3proxy=%d;postgres=%d" % (" ".join(str(g.pid()) for g in gws), self.s3.pid, self.pg_pid)

    def stop(self):
        if self.s3:
            stop_proc(self.s3, "S3Proxy", 10)
        if self.pg_pid:
            subprocess.run(as_postgres([os.path.join(self.pg_bin, "pg_ctl"), "-D", os.path.join(self.pg_dir, "data"),
                                        "-m", "fast", "-w", "stop"]), stdout=subprocess.DEVNULL,
                           stderr=subprocess.STDOUT)
            self.pg_pid = None


class Store:
    """One bucket and one database on the Shared servers: what the replicas of one deployment share."""

    def __init__(self, shared, name):
        self.shared, self.bucket, self.database = shared, name, name.replace("-", "_")
        self.dir = os.path.join(shared.blobs, self.bucket)
        os.makedirs(self.dir)  # S3Proxy's filesystem backend: a bucket is a folder (the gateway does not create it)
        shared.psql("postgres", "CREATE DATABASE " + self.database)

    def yaml(self):
        """The lines under storage: (after path:) and the database section; the secret key goes in the environment."""
        return ["  type: s3", "  s3:", "    endpoint: " + self.shared.endpoint, "    region: " + S3_REGION,
                "    bucket: " + self.bucket, "    pathStyle: true", "    accessKey: " + S3_IDENTITY,
                "    partSize: " + CFG["S3_PART_SIZE"],
                "database:", "  url: postgresql://postgres@127.0.0.1:%d/%s" % (self.shared.pg_port, self.database),
                "  poolSize: %d" % CFG["DB_POOL"]]

    def statements(self):
        """Statements PostgreSQL ran in this database (pg_stat_statements: BEGIN, COMMIT and each statement of a
        transaction count one each), or None."""
        if not CFG["PG_STATEMENTS"]:
            return None
        return float(self.shared.psql("postgres", "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE "
                                      "dbid = (SELECT oid FROM pg_database WHERE datname = '%s')" % self.database))

    def trim(self):
        """Like Gateway.trim, for the objects S3Proxy keeps as files: big ones truncated to 0 bytes."""
        subprocess.run(["find", self.dir, "-type", "f", "-size", "+1M", "-exec", "truncate", "-s", "0", "{}", "+"],
                       check=False)

    def clean(self):
        """Empties the bucket as clean-dir.sh does, with the trash outside S3Proxy's folder (it would be a bucket)."""
        if os.path.isdir(self.dir):
            subprocess.run([os.path.join(BENCH, "clean-dir.sh"), self.dir,
                            os.path.join(self.shared.dir, "s3-trash", self.bucket)], check=False)


def snapshot(gws, store):
    """The counters of the cost of pushes, summed over replicas: S3 requests (s3_<operation>[_<result>]), database
    calls (db_query, db_transaction [_error]), answers (push_<kind>_<status>), PostgreSQL's statements, and CPU
    seconds of the gateways, S3Proxy and PostgreSQL (cpu_<process>)."""
    snap = {"t": time.time()}
    groups = {"gateway": [g.pid() for g in gws]}
    if store:
        groups.update(s3proxy=[store.shared.s3.pid], postgres=[store.shared.pg_pid])
    for k, pids in groups.items():
        snap["cpu_" + k] = tree_cpu(pids)
    for gw in gws:
        for name, lb, v in gw.series("snupkg_database_calls_total", "snupkg_storage_requests_total",
                                     "snupkg_push_total"):
            if name == "snupkg_database_calls_total":
                k = "db_" + lb.get("kind", "?") + ("" if lb.get("result") == "ok" else "_" + lb.get("result", "?"))
            elif name == "snupkg_storage_requests_total":
                k = "s3_" + lb.get("operation", "?") + ("" if lb.get("result") == "ok" else "_" + lb.get("result", "?"))
            else:
                k = "push_%s_%s" % (lb.get("kind"), lb.get("status"))
            snap[k] = snap.get(k, 0.0) + v
    if store:
        snap["pg_statements"] = store.statements()
    return snap


def delta(a, b):
    d = {k: b[k] - a.get(k, 0.0) for k in b if k != "t" and b[k] is not None and b[k] - a.get(k, 0.0)}
    d["window_s"] = round(b["t"] - a["t"], 2)
    return d


class Cluster:
    """Replicas of one store, as GatewaySide sees one gateway. Load: the load generator's connection k goes to
    replica k mod n, as a Kubernetes Service balances connections (not requests) over pods; parents are pushed to
    the first replica (the feed index is in the database: every replica sees them)."""

    def __init__(self, ctx, gws, store):
        self.ctx, self.gws, self.store = ctx, gws, store
        self.url, self.header_file = gws[0].url, gws[0].header_file
        self.repushes = 0

    def gateways(self):
        return self.gws

    def extra_urls(self):
        return [g.url for g in self.gws[1:]]

    def pid(self):
        return self.gws[0].pid()

    def server_pids(self):
        return " ".join([str(g.pid()) for g in self.gws] + self.ctx.shared.pids())

    def cpu_groups(self):
        return self.ctx.shared.cpu_groups(self.gws)

    def seed(self, bs, upto, conc=8):
        self.gws[0].seed(bs, upto, conc)

    def check(self, bs, i=0):
        return self.gws[0].check(bs, i, via=self.gws[1 % len(self.gws)], seen_by=self.gws[-1])

    def publish_backlog(self):
        # a push on one replica may be published by another: only the sums match
        stored = sum(g.metric("snupkg_push_total", kind="symbols", status="201") for g in self.gws) - self.repushes
        return stored - sum(g.metric("snupkg_publish_total") for g in self.gws)

    wait_published = Gateway.wait_published

    def trim(self):
        self.store.trim()

    def snapshot(self):
        return snapshot(self.gws, self.store)

    def stop(self):
        for g in self.gws:
            g.stop()


# ---------------------------------------------------------------- load runs
def load(ctx, scen, label, url, conc, duration, bs=None, start=0, limit=None, wrap=False, header_file="",
         pids="", engine="auto", method="PUT", heap_url="", requests=0, extra=None, urls=(), cpu_groups=""):
    args = [sys.executable, os.path.join(LIB, "loadgen.py"), url, "-", str(conc), str(duration),
            "--engine", engine, "--method", method, "--min-free-gb", str(CFG["MIN_FREE_GB"]),
            "--guard-path", BENCH, "--wait-quiet", str(CFG["WAIT_QUIET"]), "--label", "%s %s" % (scen, label),
            "--jsonl", ctx.jsonl]
    if bs is not None:
        args += ["--set", bs.dir, "--start", str(start)]
        if limit is not None:
            args += ["--limit", str(limit)]
        if wrap:
            args.append("--wrap")
    if header_file:
        args += ["--header-file", header_file]
    if pids:
        args += ["--server-pids", pids]
    if heap_url:
        args += ["--heap-url", heap_url]
    if requests:
        args += ["--requests", str(requests)]
    if urls:
        args += ["--urls", ",".join(urls)]
    if cpu_groups:
        args += ["--cpu-groups", cpu_groups]
    args += extra or []
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for ln in p.stdout.splitlines():
        if not ln.startswith("RESULT "):
            ctx.say("    [%s %s] %s" % (scen, label, ln))
    if p.returncode != 0:
        raise RuntimeError("loadgen failed (%s %s)" % (scen, label))
    with open(ctx.jsonl) as f:
        res = json.loads(f.read().splitlines()[-1])
    res["scenario"], res["side"] = scen, label
    return res


class GatewaySide:
    """Runs loads against one gateway with distinct bodies: a cursor into the set, parents seeded ahead."""

    def __init__(self, ctx, gw, bs, conc, engine="auto", account=False):
        """gw: a Gateway or a Cluster. account: count each run's S3 requests, database calls and statements, from
        just before the load to the end of its publishing (counters.jsonl, r["counts"])."""
        self.ctx, self.gw, self.bs, self.conc, self.engine, self.account = ctx, gw, bs, conc, engine, account
        self.cursor = 1  # body 0 went through check()
        # a first guess of pushes per second; every run refines it (from the 201s in its elapsed time)
        self.rate = 100.0 if bs.size <= MiB else 20.0

    def run(self, scen, label, duration, conc=None):
        conc = conc or self.conc
        budget = int(math.ceil(self.rate * duration * 2)) + 4 * conc
        budget = min(budget, self.bs.count - self.cursor)
        if budget < conc:
            raise RuntimeError("body set %s used up: raise its COUNT" % self.bs.dir)
        self.gw.seed(self.bs, self.cursor + budget)
        waited = self.gw.wait_published()
        if waited > 1:
            self.ctx.say("  publish backlog of the previous run drained in %.1f s" % waited)
        if self.bs.size >= MiB:
            self.gw.trim()
        sync_settle(self.ctx)
        before = self.gw.snapshot() if self.account else None
        r = load(self.ctx, scen, label, self.gw.url + "/api/v2/symbolpackage/", conc, duration, bs=self.bs,
                 start=self.cursor, limit=budget, header_file=self.gw.header_file, pids=self.gw.server_pids(),
                 engine=self.engine, urls=[u + "/api/v2/symbolpackage/" for u in self.gw.extra_urls()],
                 cpu_groups=self.gw.cpu_groups())
        if self.account:
            # the publishing of this run's pushes is part of their cost: counted until it has finished
            r["publish_drain_s"] = round(self.gw.wait_published(), 2)
            r["counts"] = delta(before, self.gw.snapshot())
            with open(os.path.join(self.ctx.res, "counters.jsonl"), "a") as f:
                f.write(json.dumps({"label": "%s %s" % (scen, label), "ok": r["ok"], "elapsed_s": r["elapsed_s"],
                                    "publish_drain_s": r["publish_drain_s"], "counts": r["counts"]}) + "\n")
            per = per_push(r["counts"], r["ok"])
            self.ctx.say("    [%s %s] per push (incl. its publishing, %.1f s after the run): %s" % (
                scen, label, r["publish_drain_s"], cost_text(per) or "no S3 or database calls"))
        self.cursor = r["next"]
        if r["ok"] and r["elapsed_s"]:
            # the highest rate seen: rates grow with connections and as the JIT warms up, and a budget too
            # small ends a run early (flagged), while one too big only seeds parents that wait for the next
            self.rate = max(self.rate, r["ok"] / r["elapsed_s"])
        if r.get("exhausted"):
            self.ctx.say("  note: the run used all %d bodies seeded for it and ended after %.1f s" % (
                budget, r["elapsed_s"]))
        return r


def nginx_run(ctx, ng, scen, label, bs, conc, duration, engine="auto"):
    ng.clean()
    sync_settle(ctx)
    # nginx stores whatever it gets, so the set may repeat; held to 20000 bodies (wrk keeps its share in memory)
    return load(ctx, scen, label, ng.url + "/api/v2/symbolpackage", conc, duration, bs=bs, start=0,
                limit=min(bs.count, 20000), wrap=True, pids=ng.pids(), engine=engine)


def abba(ctx, scen, run_gw, run_ng):
    """Rounds in the order G N N G G N ... (ABBA), after one uncounted warm-up per side."""
    if CFG["WARMUP"] > 0:
        ctx.say("  warm-up, %g s per side (not counted)" % CFG["WARMUP"])
        run_gw("warmup", CFG["WARMUP"])
        run_ng("warmup", CFG["WARMUP"])
    g, n = [], []
    order = []
    for i in range(CFG["ROUNDS"]):
        order += ["g", "n"] if i % 2 == 0 else ["n", "g"]
    for k, side in enumerate(order):
        rnd = "r%d" % (k // 2 + 1)
        if side == "g":
            g.append(run_gw(rnd, CFG["DURATION"]))
        else:
            n.append(run_ng(rnd, CFG["DURATION"]))
    return g, n


def med(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None


def human(n):
    for unit, div in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= div and n % div == 0:
            return "%d %s" % (n // div, unit)
    return "%d B" % n


def fmt(x, f="%.1f"):
    return "-" if x is None else f % x


def pair_note(g, n, key):
    pr = ["%.2f" % (b[key] / a[key]) for a, b in zip(n, g) if a.get(key)]
    bad = sum(r["non2xx"] + r["sock_errors"] for r in g + n)
    exh = sum(1 for r in g if r.get("exhausted"))
    note = "per-pair ratios " + " ".join(pr)
    if bad:
        note += "; %d non-2xx/socket errors (see runs.jsonl)" % bad
    if exh:
        note += "; %d gateway run(s) ended early, set used up" % exh
    return note


# ---------------------------------------------------------------- scenarios
def b1(ctx, ports):
    """16 MiB valid snupkgs, 16 connections: MB/s ratio."""
    return _throughput(ctx, "B1", ports, size_arg(CFG["B1_SIZE"]), CFG["B1_COUNT"], "MBps", "MB/s", 0.9)


def b2(ctx, ports):
    """64 KiB valid snupkgs, 16 connections: req/s ratio."""
    return _throughput(ctx, "B2", ports, size_arg(CFG["B2_SIZE"]), CFG["B2_COUNT"], "rps", "req/s", 0.7)


def _throughput(ctx, scen, ports, size, count, key, unit, goal):
    bs = body_set(ctx, scen.lower(), size, count)
    gw = Gateway(ctx, scen, ports)
    gw.start()
    try:
        st, state = gw.check(bs)
        side = GatewaySide(ctx, gw, bs, CFG["CONC"])
        g, n = abba(ctx, scen,
                    lambda rnd, d: side.run(scen, "gateway " + rnd, d),
                    lambda rnd, d: nginx_run(ctx, ctx.nginx, scen, "nginx " + rnd, bs, CFG["CONC"], d))
        drain = gw.wait_published()
    finally:
        gw.stop()
    mg, mn = med(g, key), med(n, key)
    ratio = mg / mn if mg is not None and mn else None
    what = "%s, %s pushes, %d conns, median of %d" % (unit, human(size), CFG["CONC"], len(g))
    ctx.row(scen, what, fmt(mg), fmt(mn), fmt(ratio, "%.3f"), ">= %g" % goal,
            ratio is not None and ratio >= goal and st == 201,
            pair_note(g, n, key) + "; check push %s/%s; last publish drain %.1f s" % (st, state, drain))
    ctx.row(scen, "p50 / p99 latency ms", "%s / %s" % (fmt(med(g, "p50_ms")), fmt(med(g, "p99_ms"))),
            "%s / %s" % (fmt(med(n, "p50_ms")), fmt(med(n, "p99_ms"))), "-", "-", None)
    ctx.row(scen, "server CPU s per GB", fmt(med(g, "server_cpu_s_per_GB"), "%.2f"),
            fmt(med(n, "server_cpu_s_per_GB"), "%.2f"), "-", "-", None)


def b3(ctx, ports):
    """-Xmx64m, 64 concurrent 64 MiB valid snupkgs: all 201; RSS and heap."""
    _b3(ctx, ports, "B3")


def b3s(ctx, ports):
    """B3 on the shared backend (storage.type s3, S3Proxy + PostgreSQL): -Xmx64m, 64 concurrent 64 MiB valid
    snupkgs: all 201; RSS and heap."""
    _b3(ctx, ports, "B3s", Store(ctx.shared_servers(), "b3s"))


def _b3(ctx, ports, scen, store=None):
    size, conc = size_arg(CFG["B3_SIZE"]), CFG["B3_CONC"]
    bs = body_set(ctx, "b3", size, conc + 1)
    opts = re.sub(r"-Xmx\S+", "", CFG["GW_JAVA_OPTS"]).split() + ["-Xmx" + CFG["B3_XMX"]]
    gw = Gateway(ctx, scen, ports, java_opts=" ".join(opts), store=store)
    gw.start()
    try:
        gw.seed(bs, conc + 1)
        st, state = gw.check(bs)
        gw.wait_published()
        gw.trim()
        sync_settle(ctx)
        time.sleep(2)
        idle_kb = gw.rss_kb()
        idle_heap = gw.metric("jvm_memory_used_bytes", area="heap")
        ctx.say("  idle: RSS %.1f MiB, heap used %.1f MiB" % (idle_kb / 1024, idle_heap / MiB))
        before = gw.snapshot() if store else None
        # the RSS figures are the gateway's (server pids); S3Proxy and PostgreSQL are reported beside them
        r = load(ctx, scen, "gateway", gw.url + "/api/v2/symbolpackage/", conc, 1, bs=bs, start=1, limit=conc,
                 header_file=gw.header_file, pids=str(gw.pid()), engine="py", heap_url=gw.murl,
                 cpu_groups=gw.cpu_groups())
        hwm_kb = gw.rss_kb("VmHWM")
        peak_kb = max(hwm_kb, r["server_rss_peak_MB"] * 1e6 / 1024)
        drain = gw.wait_published()
        failed = gw.metric("snupkg_publish_total", result="failed")
        cost = cost_text(per_push(delta(before, gw.snapshot()), r["ok"])) if store else ""
        idle_after_kb, hwm_after_kb = gw.rss_kb(), gw.rss_kb("VmHWM")
    finally:
        gw.stop()
        if store:
            store.clean()
    n = None
    if not store:
        ctx.nginx.clean()
        sync_settle(ctx)
        n = load(ctx, "B3", "nginx", ctx.nginx.url + "/api/v2/symbolpackage", conc, 1, bs=bs, start=1, limit=conc,
                 pids=ctx.nginx.pids(), engine="py")
    all201 = r["codes"] == "201:%d" % conc and r["sock_errors"] == 0
    if n:
        note = "%.1f s for all (nginx %.1f s)" % (r["elapsed_s"], n["elapsed_s"])
    else:
        note = "%.1f s for all; S3Proxy CPU %.1f s, PostgreSQL %.1f s, gateway %.1f s; per push: %s" % (
            r["elapsed_s"], r["server_cpu_by"]["s3proxy"], r["server_cpu_by"]["postgres"],
            r["server_cpu_by"]["gateway"], cost)
    ctx.row(scen, "answers to %d concurrent %d MiB pushes, -Xmx%s" % (conc, size // MiB, CFG["B3_XMX"]),
            r["codes"], n["codes"] if n else "-", "-", "all 201", all201,
            note + "; publish drain %.1f s, %d failed; check push %s/%s" % (drain, failed, st, state))
    grow = (peak_kb - idle_kb) / 1024
    ctx.row(scen, "peak RSS MiB (idle -> peak, VmHWM)", "%.0f -> %.0f (+%.0f)" % (idle_kb / 1024, peak_kb / 1024, grow),
            "%.0f" % (n["server_rss_peak_MB"] * 1e6 / MiB) if n else "-", "-", "<= idle + 64 MiB", grow <= 64,
            "" if n else "the peak is of the load (the answers), as in B3; with the publishing after it: VmHWM %.0f "
            "(+%.0f), RSS %.0f when done; peak RSS of S3Proxy (-Xmx%s) %.0f MiB, PostgreSQL %.0f MiB (all its "
            "processes, shared memory counted in each)" % (
                hwm_after_kb / 1024, (hwm_after_kb - idle_kb) / 1024, idle_after_kb / 1024, CFG["S3PROXY_XMX"],
                r["server_rss_peak_MB_by"]["s3proxy"] * 1e6 / MiB, r["server_rss_peak_MB_by"]["postgres"] * 1e6 / MiB))
    ctx.row(scen, "peak heap used MiB (/metrics every 0.5 s)", "%.1f (idle %.1f)" % (
        r.get("heap_peak_MB", 0) * 1e6 / MiB, idle_heap / MiB), "-", "-", "reported", None)


def b4(ctx, ports):
    """Time to 413 for an oversize Content-Length, and bytes read before the 413 of a chunked body."""
    gw = Gateway(ctx, "B4", ports)
    gw.start()
    limit = size_arg(CFG["LIMIT"])
    out = os.path.join(ctx.res, "reject.jsonl")
    probe = os.path.join(LIB, "reject_probe.py")

    def run_probe(side, url, probes, n, extra_env):
        e = dict(os.environ, PROBES=probes, JSON_OUT=out, **extra_env)
        p = subprocess.run([sys.executable, probe, url, str(CFG["B4_CL"]), str(n)], env=e, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
        for ln in p.stdout.splitlines():
            ctx.say("    [B4 %s] %s" % (side, ln))
        with open(out) as f:
            return json.loads(f.read().splitlines()[-1])

    try:
        gw_env = {"HEADER_FILE": gw.header_file, "METRICS_URL": gw.murl}
        sides = {"g": ("gateway", gw.url + "/api/v2/symbolpackage/", gw_env),
                 "n": ("nginx", ctx.nginx.url + "/api/v2/symbolpackage", {})}
        # warm-up (JIT): not counted; a gateway in service has answered thousands of requests before
        run_probe("gateway warm-up", sides["g"][1], "headers-only", CFG["B4_WARMUP_N"], gw_env)
        res = {"g": [], "n": []}
        order = []
        for i in range(CFG["ROUNDS"]):
            order += ["g", "n"] if i % 2 == 0 else ["n", "g"]
        for s in order:
            name, url, e = sides[s]
            res[s].append(run_probe(name, url, "headers-only", CFG["B4_N"], e)["headers-only"])
        ctx.nginx.clean()
        chunk = {s: run_probe(sides[s][0], sides[s][1], "chunked-paced chunked streaming", 1, sides[s][2])
                 for s in ("g", "n")}
        ctx.nginx.clean()
    finally:
        gw.stop()
    for pk in ("p50_ms", "p99_ms"):
        a = statistics.median(r[pk] for r in res["g"])
        b = statistics.median(r[pk] for r in res["n"])
        codes_ok = all(set(r["status"]) == {413} for r in res["g"])
        ctx.row("B4", "ms to 413, Content-Length %d GiB, %s, n=%d, median of %d" % (
            CFG["B4_CL"] >> 30, pk[:3], CFG["B4_N"], len(res["g"])), "%.3f" % a, "%.3f" % b,
            "%.2f" % (a / b), "<= 3", codes_ok and a <= 3 * b,
            "gateway answers %s" % res["g"][0]["status"])
    pg, pn = chunk["g"]["chunked-paced"], chunk["n"]["chunked-paced"]
    cg, cn = chunk["g"]["chunked"], chunk["n"]["chunked"]
    step = pg["step"]
    ctx.row("B4", "chunked over the limit: MiB the server read before its 413",
            "%.2f" % (pg["body_bytes_pushed"] / MiB), "%.2f" % (pn["body_bytes_pushed"] / MiB), "-",
            "<= limit + 1 MiB = %d" % (limit // MiB + 1),
            pg["status"] == 413 and pg["body_bytes_pushed"] - step <= limit + MiB,
            "paced client (each %d KiB read before the next: figures exact to one step); answers %s / %s after "
            "%.0f / %.0f ms; gateway's own count %s MiB. Unpaced client pushed %.1f / %.1f MiB (socket buffers "
            "included) and got %s / %s after %.0f / %.0f ms" % (
                step >> 10, pg["status"], pn["status"], pg["ms"], pn["ms"],
                fmt(None if pg.get("server_read_bytes") is None else pg["server_read_bytes"] / MiB, "%.2f"),
                cg["body_bytes_pushed"] / MiB, cn["body_bytes_pushed"] / MiB, cg["status"], cn["status"],
                cg["ms"], cn["ms"]))
    sg, sn = chunk["g"]["streaming"], chunk["n"]["streaming"]
    ctx.row("B4", "2 GiB Content-Length, streaming client: ms to the 413",
            "%.1f" % sg["ms"], "%.1f" % sn["ms"], "-", "reported", None,
            "answers %s / %s; client pushed %.1f / %.1f MiB meanwhile (socket buffers)" % (
                sg["status"], sn["status"], sg["body_bytes_pushed"] / MiB, sn["body_bytes_pushed"] / MiB))


def b5(ctx, ports):
    """Proxy mode: auth-service calls for many pushes with one key, and the cached-403 p99."""
    port = ports + 5
    bs = body_set(ctx, "b5", 64 << 10, 1)
    feed = os.path.join(ctx.run, "standin-feed")
    ident, version = bs.ident(0)
    d = os.path.join(feed, ident.lower(), version)
    os.makedirs(d)
    parent = bytes(bs.parent(0))  # multipart-wrapped: the stand-in serves the bare nupkg
    start = parent.index(b"\r\n\r\n") + 4
    end = parent.rindex(b"\r\n--")
    with open(os.path.join(d, "%s.%s.nupkg" % (ident.lower(), version)), "wb") as f:
        f.write(parent[start:end])
    key_file = os.path.join(ctx.run, "standin-key")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("bench-" + os.urandom(16).hex() + "\n")
    si = subprocess.Popen([sys.executable, os.path.join(LIB, "standin.py"), str(port), feed, key_file],
                          stdout=open(os.path.join(ctx.run, "standin.log"), "w"), stderr=subprocess.STDOUT)
    ctx.track(si, "standin")
    base = "http://127.0.0.1:%d" % port
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/stats", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)

    def stats():
        with urllib.request.urlopen(base + "/stats", timeout=5) as r:
            return json.loads(r.read())

    gw = Gateway(ctx, "B5", ports, auth_url=base + "/v1/check", feed_url=base + "/v3/index.json")
    try:
        gw.start()
        with open(key_file) as f:
            gw.write_key(f.read().strip())
        urllib.request.urlopen(urllib.request.Request(base + "/reset", data=b"", method="POST")).read()
        n = CFG["B5_PUSHES"]
        # the same snupkg every time, on purpose: one id and version, so one admission and one scope lookup
        # can serve all of them (the first push stores it, the others are byte-identical re-pushes)
        a = load(ctx, "B5", "allowed", gw.url + "/api/v2/symbolpackage/", CFG["B5_CONC"], 3600, bs=bs, start=0,
                 limit=1, wrap=True, header_file=gw.header_file, pids=str(gw.pid()), engine="py", requests=n)
        s_allowed = stats()
        bad, warm = os.path.join(gw.dir, "bad-key-header"), os.path.join(gw.dir, "warm-key-header")
        for path in (bad, warm):
            with open(path, "w") as f:
                f.write("X-NuGet-ApiKey: bench-unknown-%s\n" % os.urandom(8).hex())
        # the refusal path warmed up (JIT) with another unknown key, not counted: the allowed pushes above
        # never took it, and a gateway in service has refused keys before
        load(ctx, "B5", "denied warm-up", gw.url + "/api/v2/symbolpackage/", 1, 3600, bs=bs, start=0, limit=1,
             wrap=True, header_file=warm, pids=str(gw.pid()), engine="py", requests=n)
        urllib.request.urlopen(urllib.request.Request(base + "/reset", data=b"", method="POST")).read()
        dn = load(ctx, "B5", "denied", gw.url + "/api/v2/symbolpackage/", 1, 3600, bs=bs, start=0, limit=1,
                  wrap=True, header_file=bad, pids=str(gw.pid()), engine="py", requests=n)
        s_denied = stats()
        src = {s: gw.metric("snupkg_auth_lookups_total", source=s) for s in ("cache", "upstream", "coalesced")}
    finally:
        gw.stop()
        stop_proc(si, "stand-in", 5)
    calls = s_allowed.get("auth_calls", 0)
    ctx.row("B5", "auth calls, %d pushes with one allowed key, %d conns" % (n, CFG["B5_CONC"]),
            str(calls), "-", "-", "<= 2", calls <= 2 and a["codes"] == "201:%d" % n,
            "answers %s; admission %d, scope %d calls; gateway lookups by source: %s" % (
                a["codes"], s_allowed.get("auth_admission", 0), s_allowed.get("auth_scope", 0),
                ", ".join("%s %d" % (k, v) for k, v in src.items())))
    ctx.row("B5", "cached 403, %d pushes, unknown key, 1 conn: p50/p99 ms" % n,
            "%.2f / %.2f" % (dn["p50_ms"], dn["p99_ms"]), "-", "-", "p99 <= 2 ms",
            dn["p99_ms"] <= 2 and dn["codes"] == "403:%d" % n,
            "answers %s; auth-service calls %d" % (dn["codes"], s_denied.get("auth_calls", 0)))


def b6(ctx, ports):
    """SSQP download of one large PDB: gateway (sendFile) against nginx serving the same file."""
    size = size_arg(CFG["B6_SIZE"])
    bs = body_set(ctx, "b6", size, 1)
    gw = Gateway(ctx, "B6", ports)
    gw.start()
    try:
        st, state = gw.check(bs)
        pdbs = []
        for dp, _, fs in os.walk(os.path.join(gw.data, "ssqp")):
            pdbs += [os.path.join(dp, f) for f in fs]
        if st != 201 or state != "available" or len(pdbs) != 1:
            raise RuntimeError("B6: the PDB was not published (%s/%s, %d files)" % (st, state, len(pdbs)))
        rel = os.path.relpath(pdbs[0], os.path.join(gw.data, "ssqp"))
        path = "/download/symbols/" + rel
        pdb_size = os.path.getsize(pdbs[0])

        def link():  # the same inode under nginx's root: same bytes, same page cache
            target = os.path.join(ctx.nginx.data(), "download", "symbols", rel)
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(pdbs[0], target)

        link()
        ctx.say("  PDB %s (%d bytes) served by both at %s" % (rel, pdb_size, path))

        def run_gw(rnd, d):
            sync_settle(ctx)
            return load(ctx, "B6", "gateway " + rnd, gw.url + path, CFG["CONC"], d, method="GET",
                        pids=str(gw.pid()))

        def run_ng(rnd, d):
            link()
            sync_settle(ctx)
            return load(ctx, "B6", "nginx " + rnd, ctx.nginx.url + path, CFG["CONC"], d, method="GET",
                        pids=ctx.nginx.pids())

        g, n = abba(ctx, "B6", run_gw, run_ng)
    finally:
        gw.stop()
    ctx.nginx.clean()
    mg, mn = med(g, "MBps"), med(n, "MBps")
    ratio = mg / mn if mn else None
    ctx.row("B6", "SSQP GET MB/s, %d MiB PDB, %d conns, median of %d" % (pdb_size // MiB, CFG["CONC"], len(g)),
            fmt(mg), fmt(mn), fmt(ratio, "%.3f"), ">= 0.8", ratio is not None and ratio >= 0.8,
            pair_note(g, n, "MBps"))


def b7(ctx, ports):
    """Time per push at 1, 16, 64, 256 connections, with few and with B7_PREFILL more packages stored."""
    size = size_arg(CFG["B7_SIZE"])
    concs = [int(c) for c in CFG["B7_CONCS"].split()]
    bs = body_set(ctx, "b7", size, CFG["B7_COUNT"])
    gw = Gateway(ctx, "B7", ports)
    gw.start()
    t = {}

    def stored():
        return int(gw.metric("snupkg_push_total", kind="symbols", status="201")) - gw.repushes

    try:
        st, state = gw.check(bs)
        side = GatewaySide(ctx, gw, bs, 16, engine="py")
        if CFG["B7_WARMUP"] > 0:
            # JIT warm-up that stores nothing: body 0 again and again (byte-identical re-pushes are received,
            # hashed and validated, then answered 201 without a second copy), so "few" stays few
            r = load(ctx, "B7", "gateway warmup (re-pushes of body 0)", gw.url + "/api/v2/symbolpackage/", 16,
                     CFG["B7_WARMUP"], bs=bs, start=0, limit=1, wrap=True, header_file=gw.header_file, engine="py")
            gw.repushes += r["ok"]
        for phase in ("few", "many"):
            if phase == "many" and CFG["B7_PREFILL"] > 0:
                t0 = time.time()
                todo = min(CFG["B7_PREFILL"], bs.count - side.cursor)
                gw.seed(bs, side.cursor + todo)
                r = load(ctx, "B7", "gateway prefill", gw.url + "/api/v2/symbolpackage/", 16, 3600, bs=bs,
                         start=side.cursor, limit=todo, header_file=gw.header_file, engine="py")
                side.cursor = r["next"]
                ctx.say("  prefill: %d more pushes stored in %.0f s" % (r["ok"], time.time() - t0))
            for c in concs:
                before = stored()
                r = side.run("B7", "gateway %s c=%d" % (phase, c), CFG["DURATION"], conc=c)
                t[(phase, c)] = (1000.0 * r["elapsed_s"] / r["ok"] if r["ok"] else None, r, before)
    finally:
        gw.stop()
    ng = {}
    for c in concs:
        ng[c] = nginx_run(ctx, ctx.nginx, "B7", "nginx c=%d" % c, bs, c, CFG["DURATION"], engine="py")
    ctx.nginx.clean()
    for c in concs:
        few, many = t[("few", c)], t[("many", c)]
        n = ng[c]
        tn = 1000.0 * n["elapsed_s"] / n["ok"] if n["ok"] else None
        ctx.row("B7", "ms per push (p50 ms), c=%d, %d -> %d stored" % (c, few[2], many[2]),
                "%s -> %s (%s -> %s)" % (fmt(few[0], "%.2f"), fmt(many[0], "%.2f"), fmt(few[1]["p50_ms"]),
                                         fmt(many[1]["p50_ms"])),
                "%s (%s)" % (fmt(tn, "%.3f"), fmt(n["p50_ms"], "%.2f")),
                fmt(many[0] / tn if many[0] and tn else None, "%.1f"), "info", None,
                "%s pushes; answers %s / %s%s" % (human(size), few[1]["codes"], many[1]["codes"],
                                                   "; a run ended early (set used up)" if few[1].get("exhausted")
                                                   or many[1].get("exhausted") else ""))
    # The issue asks for no cost that grows with the uploads in flight: the largest rise of the time per push
    # from fewer to more connections, within one phase (the phases differ in JIT warm-up, see README).
    rises = [t[(p, hi)][0] / t[(p, lo)][0] for p in ("few", "many") for i, lo in enumerate(concs)
             for hi in concs[i + 1:] if t[(p, lo)][0] and t[(p, hi)][0]]
    flat = max(rises) if rises else None
    ctx.row("B7", "flat over conns: max rise of ms/push, fewer -> more conns",
            fmt(flat, "%.2f"), "-", "-", "<= %g" % CFG["B7_FLAT"], flat is not None and flat <= CFG["B7_FLAT"])
    growth = [t[("many", c)][0] / t[("few", c)][0] for c in concs if t[("many", c)][0] and t[("few", c)][0]]
    g = max(growth) if growth else None
    ctx.row("B7", "flat over stored: max over c of ms/push many / few", fmt(g, "%.2f"), "-", "-",
            "<= %g" % CFG["B7_FLAT"], g is not None and g <= CFG["B7_FLAT"])


def per_push(counts, ok):
    """Counts of one or more runs (delta) divided by their 201s: S3 requests, database calls, statements."""
    if not ok:
        return {}
    return {k: v / ok for k, v in counts.items() if k.startswith(("db_", "s3_", "pg_", "cpu_"))}


def cost_text(per):
    db = {k[3:]: v for k, v in per.items() if k.startswith("db_")}
    s3 = {k[3:]: v for k, v in per.items() if k.startswith("s3_")}
    out = []
    if db:
        out.append("database calls %.2f (%s)" % (sum(db.values()), " + ".join(
            "%s %.2f" % kv for kv in sorted(db.items()))))
    if per.get("pg_statements") is not None and "pg_statements" in per:
        out.append("PostgreSQL statements %.2f" % per["pg_statements"])
    if s3:
        out.append("S3 requests %.2f (%s)" % (sum(s3.values()), ", ".join("%s %.2f" % kv for kv in sorted(s3.items()))))
    cpu = cpu_text(per)
    if cpu:
        out.append("CPU ms " + cpu)
    return "; ".join(out)


def cpu_text(per):
    """CPU ms per push by process, from per_push: 'total (gw a + S3Proxy b + PG c)'."""
    short = {"gateway": "gw", "s3proxy": "S3Proxy", "postgres": "PG"}
    cpu = [(k[4:], 1000 * v) for k, v in per.items() if k.startswith("cpu_")]
    cpu.sort(key=lambda kv: list(short).index(kv[0]) if kv[0] in short else 9)
    return "%.1f (%s)" % (sum(v for _, v in cpu), " + ".join("%s %.1f" % (short.get(k, k), v) for k, v in cpu)) \
        if cpu else ""


def rotate(ctx, scen, sides):
    """ABBA for more than two sides: one uncounted warm-up each, then rounds in the order A B C, C B A, A B C ...
    sides: {name: run(round, duration)}; returns {name: [results]}."""
    names = list(sides)
    if CFG["WARMUP"] > 0:
        ctx.say("  warm-up, %g s per side (not counted)" % CFG["WARMUP"])
        for k in names:
            sides[k]("warmup", CFG["WARMUP"])
    out = {k: [] for k in names}
    for i in range(CFG["ROUNDS"]):
        for k in (names if i % 2 == 0 else names[::-1]):
            out[k].append(sides[k]("r%d" % (i + 1), CFG["DURATION"]))
    return out


def cores_note(runs):
    """Where the two cores went during the runs: cores used by each server process and the client."""
    el = sum(r["elapsed_s"] for r in runs)
    if not el:
        return ""
    by = {}
    for r in runs:
        for k, v in (r.get("server_cpu_by") or {"gateway": r.get("server_cpu_s") or 0.0}).items():
            by[k] = by.get(k, 0.0) + v
    by["client"] = sum(r["client_cpu_s"] for r in runs)
    return "cores used: %s; machine busy %s %%, iowait %s %%, busy before %s %%" % (
        " + ".join("%s %.2f" % (k, v / el) for k, v in by.items()),
        fmt(med(runs, "sys_busy_pct"), "%.0f"), fmt(med(runs, "sys_iowait_pct"), "%.0f"),
        fmt(max((r["bg_busy_pct"] for r in runs if r.get("bg_busy_pct") is not None), default=None), "%.0f"))


def b8(ctx, ports):
    """The shared backend (storage.type s3, S3Proxy + PostgreSQL): pushes/s and MB/s, 1 and 3 replicas, beside the
    filesystem backend; S3 requests and database round trips per push."""
    sizes = [size_arg(x) for x in CFG["B8_SIZES"].split()]
    counts = [int(x) for x in CFG["B8_COUNTS"].split()]
    if len(counts) != len(sizes):
        raise ValueError("B8_COUNTS needs one count per size of B8_SIZES")
    if not 1 <= CFG["B8_REPLICAS"] <= 3:
        raise ValueError("B8_REPLICAS: 1 to 3 (a scenario has 10 ports: 2 gateways + the replicas, 2 ports each)")
    sh = ctx.shared_servers()
    for size, count in zip(sizes, counts):
        _b8(ctx, ports, sh, size, count, CFG["B8_REPLICAS"])


def _b8(ctx, ports, sh, size, count, n):
    tag = human(size).replace(" ", "").lower()
    ctx.say("  -- %s pushes: filesystem x1, s3 x1, s3 x%d" % (human(size), n))
    bs = body_set(ctx, "b8", size, count)
    st1, stn = Store(sh, "b8-%s-x1" % tag), Store(sh, "b8-%s-x%d" % (tag, n))
    fs = Gateway(ctx, "B8-%s-fs" % tag, ports)
    one = Gateway(ctx, "B8-%s-s3x1" % tag, ports + 2, store=st1)
    reps = []
    names = ["fs", "s3x1", "s3x%d" % n]
    try:
        fs.start()
        one.start()
        for k in range(n):
            reps.append(Gateway(ctx, "B8-%s-s3x%d-%d" % (tag, n, k + 1), ports + 4 + 2 * k, store=stn,
                                key_from=reps[0] if reps else None))
            reps[-1].start()
        targets = dict(zip(names, [fs, one, Cluster(ctx, reps, stn)]))
        checks = {k: t.check(bs) for k, t in targets.items()}
        for k, (st, state) in checks.items():
            if st != 201 or state != "available":
                raise RuntimeError("B8 %s %s: the check push was not published (%s/%s)" % (tag, k, st, state))
        idle = {}
        for k in names[1:]:  # what the replicas do unasked (publish polls): counted in every window below
            t = targets[k]
            a = t.snapshot()
            time.sleep(CFG["B8_IDLE"])
            d = delta(a, t.snapshot())
            idle[k] = sum(v for c, v in d.items() if c.startswith("db_")) / d["window_s"]
            ctx.say("  idle %s, %.0f s: %.2f database calls/s; in all: %s" % (k, d["window_s"], idle[k], cost_text(
                {c: v for c, v in d.items() if c.startswith(("db_", "s3_", "pg_", "cpu_"))}) or "nothing"))
        sides = {k: GatewaySide(ctx, t, bs, CFG["B8_CONC"], engine="py", account=True) for k, t in targets.items()}
        res = rotate(ctx, "B8", {k: (lambda k: lambda rnd, d: sides[k].run(
            "B8", "%s %s %s" % (tag, k, rnd), d))(k) for k in names})
    finally:
        for g in [fs, one] + reps:
            g.stop()
        st1.clean()
        stn.clean()
    _b8_rows(ctx, size, n, names, res, idle)


def _b8_rows(ctx, size, n, names, res, idle):
    hs = human(size)
    fs, x1, xn = names
    rounds = len(res[fs])
    md = {k: (med(res[k], "rps"), med(res[k], "MBps")) for k in names}

    def cell(k):
        return "%s %s (%s MB/s)" % (k, fmt(md[k][0]), fmt(md[k][1]))

    def ratio(a, b):
        return md[a][0] / md[b][0] if md[a][0] and md[b][0] else None

    def note(a, b):
        pr = " ".join("%.2f" % (x["rps"] / y["rps"]) for x, y in zip(res[a], res[b]) if y["rps"])
        bad = sum(r["non2xx"] + r["sock_errors"] for r in res[a] + res[b])
        codes = "; answers %s" % " | ".join(sorted({r["codes"] for r in res[a]}))
        out = "per-round ratios " + pr + codes
        if bad:
            out += "; %d non-2xx/socket errors (see runs.jsonl)" % bad
        if any(r.get("exhausted") for r in res[a] + res[b]):
            out += "; a run ended early (set used up)"
        return out + "; " + cores_note(res[a])

    what = "pushes/s (MB/s), %s, %d conns, median of %d: " % (hs, CFG["B8_CONC"], rounds)
    ctx.row("B8", what + "%s / %s" % (x1, fs), cell(x1), cell(fs), fmt(ratio(x1, fs), "%.3f"), "reported",
            None, note(x1, fs) + "; filesystem: " + cores_note(res[fs]))
    ctx.row("B8", what + "%s / %s" % (xn, x1), cell(xn), cell(x1), fmt(ratio(xn, x1), "%.3f"), "reported", None,
            note(xn, x1) + "; connection k to replica k mod %d" % n)
    # A 201 comes before the publishing, which then runs on for seconds: over a longer load the rate would fall
    # toward what the machine can also publish. This counts each run's 201s over the run and its publish drain.
    sus = {k: [r["ok"] / (r["elapsed_s"] + r.get("publish_drain_s", 0.0)) for r in res[k]] for k in names}
    sm = {k: statistics.median(v) if v else None for k, v in sus.items()}
    drains = {k: "/".join("%.0f" % r.get("publish_drain_s", 0.0) for r in res[k]) for k in names}
    ctx.row("B8", "pushes/s with their publishing, %s: %s / %s; %s / %s" % (hs, x1, fs, xn, x1),
            "%s %s; %s %s" % (x1, fmt(sm[x1]), xn, fmt(sm[xn])), "%s %s" % (fs, fmt(sm[fs])),
            "%s; %s" % (fmt(sm[x1] / sm[fs] if sm[x1] and sm[fs] else None, "%.3f"),
                        fmt(sm[xn] / sm[x1] if sm[xn] and sm[x1] else None, "%.3f")), "reported", None,
            "201s / (run + its publish drain), median of %d; drains s: %s" % (
                rounds, ", ".join("%s %s" % (k, drains[k]) for k in names)))
    ctx.row("B8", "p50 / p99 ms, %s" % hs, "; ".join("%s %s / %s" % (k, fmt(med(res[k], "p50_ms")),
                                                                     fmt(med(res[k], "p99_ms"))) for k in (x1, xn)),
            "%s %s / %s" % (fs, fmt(med(res[fs], "p50_ms")), fmt(med(res[fs], "p99_ms"))), "-", "-", None)
    tots, pers = {}, {}
    for k in names:
        tot = {}
        for r in res[k]:
            for c, v in r.get("counts", {}).items():
                tot[c] = tot.get(c, 0.0) + v
        tots[k], pers[k] = tot, per_push(tot, sum(r["ok"] for r in res[k]))
    ctx.row("B8", "server CPU ms per push, %s, with its publishing" % hs,
            "; ".join("%s %s" % (k, cpu_text(pers[k])) for k in (x1, xn)), "%s %s" % (fs, cpu_text(pers[fs])),
            "-", "-", None, "gateways + S3Proxy + PostgreSQL, from before each run to the end of its publishing")
    for k in (x1, xn):
        ok = sum(r["ok"] for r in res[k])
        tot, per = tots[k], pers[k]
        db = {c[3:]: v for c, v in per.items() if c.startswith("db_")}
        s3 = {c[3:]: v for c, v in per.items() if c.startswith("s3_")}
        polls = idle.get(k, 0.0) * tot.get("window_s", 0.0) / ok if ok else 0.0
        errs = {c: v for c, v in tot.items() if c.endswith("_error") or (c.startswith("push_symbols_")
                                                                         and not c.endswith("_201"))}
        if tot.get("push_symbols_201", 0) != ok:
            errs["201s counted by the gateways"] = tot.get("push_symbols_201", 0)
        ctx.row("B8", "DB calls per push, %s, %s: queries + tx (PG statements)" % (hs, k),
                "%s = %s (%s)" % (" + ".join("%.2f" % db.get(x, 0.0) for x in ("query", "transaction")),
                                  "%.2f" % sum(db.values()), fmt(per.get("pg_statements"), "%.2f")),
                "-", "-", "reported", None,
                "%d pushes in %d runs, from before each run to the end of its publishing (%.0f s in all); of them "
                "%.2f per push are idle publish polls (%.2f calls/s); %s" % (
                    ok, len(res[k]), tot.get("window_s", 0.0), polls, idle.get(k, 0.0),
                    "errors: %s" % errs if errs else "no errors"))
        ctx.row("B8", "S3 requests per push, %s, %s" % (hs, k),
                "%.2f: %s" % (sum(s3.values()), ", ".join("%s %.2f" % kv for kv in sorted(s3.items()))),
                "-", "-", "reported", None, "the same window")


SCEN = {"B1": b1, "B2": b2, "B3": b3, "B4": b4, "B5": b5, "B6": b6, "B7": b7, "B8": b8, "B3S": b3s}


# ---------------------------------------------------------------- the table
def table(rows):
    cols = ["scenario", "measure", "gateway", "nginx", "ratio", "goal", "result"]
    w = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols} if rows else {c: len(c) for c in cols}
    w["measure"] = min(w["measure"], 64)
    lines = ["  ".join(c.ljust(w[c]) for c in cols)]
    lines.append("  ".join("-" * w[c] for c in cols))
    for r in rows:
        lines.append("  ".join(str(r[c])[:w[c]].ljust(w[c]) for c in cols))
    return "\n".join(lines)


def markdown(rows):
    out = ["| scenario | measure | gateway | nginx | ratio | goal | result | notes |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| " + " | ".join(str(r[c]).replace("|", "/") for c in (
            "scenario", "measure", "gateway", "nginx", "ratio", "goal", "result", "note")) + " |")
    return "\n".join(out)


def machine():
    def cmd(c):
        try:
            return subprocess.run(c, shell=True, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
        except OSError:
            return ""
    return {
        "cpus": os.cpu_count(), "kernel": cmd("uname -r"), "java": cmd("java -version 2>&1 | head -1"),
        "nginx": cmd("nginx -v 2>&1"), "wrk": cmd("wrk -v 2>&1 | head -1"),
        "git": cmd("git -C %s rev-parse --short HEAD" % ROOT) + (" (dirty)" if cmd("git -C %s status --porcelain -uno" % ROOT) else ""),
        "disk": cmd("df -h %s | tail -1" % BENCH), "mem": cmd("free -m | sed -n 2p"),
        "loadavg": cmd("cat /proc/loadavg"),
        "postgres": cmd('"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version'),
        "s3proxy": cmd("unzip -p %s META-INF/maven/org.gaul/s3proxy/pom.properties 2>/dev/null | grep ^version"
                       % os.path.join(ROOT, "target", "test-servers", "s3proxy.jar")),
    }


def main():
    chosen = [a.upper() for a in sys.argv[1:]] or ALL
    for a in chosen:
        if a not in SCEN:
            sys.exit("unknown scenario %s (choose from %s)" % (a, " ".join(NAMES.get(x, x) for x in ALL + EXTRA)))
    ctx = Ctx(os.environ.get("BENCH_STAMP") or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    info = machine()
    with open(os.path.join(ctx.res, "settings.json"), "w") as f:
        json.dump({"scenarios": chosen, "settings": CFG, "machine": info}, f, indent=1)
    ctx.say("bench: %s  (results in %s)" % (" ".join(NAMES.get(s, s) for s in chosen), os.path.relpath(ctx.res, ROOT)))
    ctx.say("  DURATION=%g ROUNDS=%d WARMUP=%g CONC=%d  machine: %s cpus, load %s, git %s" % (
        CFG["DURATION"], CFG["ROUNDS"], CFG["WARMUP"], CFG["CONC"], info["cpus"], info["loadavg"], info["git"]))
    t0 = time.time()
    failed = []
    try:
        ctx.nginx = Nginx(ctx, CFG["BASE_PORT"])
        ctx.nginx.start()
        for i, s in enumerate(chosen):
            ctx.say("\n== %s: %s" % (NAMES.get(s, s), " ".join(SCEN[s].__doc__.split())))
            ts = time.time()
            try:
                SCEN[s](ctx, CFG["BASE_PORT"] + 10 * (i + 1))
            except (RuntimeError, subprocess.CalledProcessError, OSError, KeyError, ValueError) as e:
                failed.append(s)
                ctx.say("  %s FAILED to run: %s" % (NAMES.get(s, s), e))
                ctx.row(NAMES.get(s, s), "scenario did not complete", "-", "-", "-", "-", False, str(e)[:200])
            ctx.nginx.clean()  # leave no uploads behind (truncated and moved aside, see clean-dir.sh)
            ctx.say("  (%s took %.0f s)" % (NAMES.get(s, s), time.time() - ts))
    except KeyboardInterrupt as e:
        ctx.say("\ninterrupted (%s): stopping what was started" % e)
    finally:
        for proc, what in ctx.procs:
            if what.startswith("gateway"):  # before their stores
                stop_proc(proc, what, 45)
        if ctx.shared:
            ctx.shared.stop()
        for proc, what in ctx.procs:
            stop_proc(proc, what, 5)
        if ctx.nginx:
            try:
                ctx.nginx.stop()
            except subprocess.CalledProcessError:
                pass
    ctx.say("\n" + table(ctx.rows))
    ctx.say("\n%d of %d checks passed; %.0f s in all. Raw results: %s" % (
        sum(1 for r in ctx.rows if r["result"] == "PASS"), sum(1 for r in ctx.rows if r["result"] != "-"),
        time.time() - t0, os.path.relpath(ctx.res, ROOT)))
    with open(os.path.join(ctx.res, "summary.md"), "w") as f:
        f.write("# bench %s\n\nScenarios %s; settings in settings.json.\n\n%s\n" % (
            ctx.stamp, " ".join(NAMES.get(s, s) for s in chosen), markdown(ctx.rows)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
