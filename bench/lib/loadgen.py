#!/usr/bin/env python3
"""Upload (PUT) and download (GET) load generator (driver for load.sh and run.py).

    loadgen.py URL SIZE CONC DURATION [options]

Sends multipart/form-data bodies as fast as possible on CONC keep-alive
connections for DURATION seconds, then prints a summary and one
machine-readable "RESULT k=v ..." line.  The bodies are either
  * one body of exactly SIZE bytes, built once by mkbody.py and sent again and
    again (fine for nginx, NOT for the gateway: it answers a byte-identical
    re-push of a stored snupkg 201 without storing it, a shortcut), or
  * --set DIR: distinct valid snupkgs written by BenchPackages (see bodyset.py);
    body i is sent at most once (from --start, at most --limit bodies), and the
    run ends early when the set is used up ("exhausted"), unless --wrap.
--method GET downloads URL instead (wrk + lib/get.lua): MB/s of response bytes.

Engines
  wrk  wrk + lib/upload.lua: the request (head + body) is built once per wrk
       thread in memory and written with write(2).  Low client CPU per request;
       best for small/medium bodies.  Requests still in flight when DURATION
       ends are abandoned and not counted; latency percentiles come from wrk's
       histogram, which wrk "corrects" for coordinated omission.
  py   python threads, one blocking socket per connection, body sent from the
       page cache with sendfile(2) in SEND_CHUNK pieces (checks between pieces
       whether the server already answered, e.g. an early 413).  After DURATION
       no new request is started but in-flight uploads finish (drain), so huge
       bodies are counted fully; elapsed time includes the drain.  Exact
       latency percentiles.  Costs ~50-100 us of python per request, so it is
       the wrong tool for thousands of small requests per second on 2 cores.
  auto wrk if SIZE <= --wrk-max (default 16 MiB), else py.

Metrics: rps = 2xx responses / elapsed; MB/s = 2xx responses * SIZE / elapsed
(10^6 bytes); latency = first byte of the request written -> complete response.
Optional: --server-pids "PID ..." adds the server's CPU seconds (process and
children) consumed during the run, CPU-seconds per GB uploaded, and peak RSS
(sampled sum, and VmHWM of each root pid); --cpu-groups "NAME=PID ...;NAME=..."
splits CPU seconds and peak RSS by process (gateways, S3Proxy, PostgreSQL);
--heap-url URL samples a gateway's jvm_memory_used_bytes{area="heap"} (summed)
from its /metrics every 0.5 s.  --urls URL,URL (py engine) spreads the
connections over more servers: connection k goes to URL k mod n, URL first,
as an L4 balancer (a Kubernetes Service) spreads connections over replicas.
"""
import argparse
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkbody  # noqa: E402
from bodyset import BodySet, read_headers, read_response  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- /proc probes
def descendants(pids):
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime
    except (OSError, IndexError):
        return 0.0


def proc_cpu_reaped(pid):
    """CPU seconds of the process's children that have exited and been waited for (cutime + cstime)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / CLK
    except (OSError, IndexError):
        return 0.0


def tree_cpu(pids):
    """CPU seconds of the process trees under PIDS: the live processes', and what their exited children used
    (PostgreSQL's backends come and go; a backend that exits would otherwise take its CPU out of the sum)."""
    return sum(proc_cpu(p) + proc_cpu_reaped(p) for p in descendants(pids))


def proc_rss(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError):
        return 0


def proc_hwm(pid):
    """Peak resident set size of the process (VmHWM), bytes."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1]) * 1024
    except OSError:
        pass
    return 0


def heap_used(url):
    """Sum of jvm_memory_used_bytes{area="heap",...} from a Prometheus text endpoint, bytes (None if down)."""
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines()
               if ln.startswith("jvm_memory_used_bytes{") and 'area="heap"' in ln)


class HeapSampler(threading.Thread):
    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.peak, self.halt = url, 0.0, threading.Event()

    def run(self):
        while True:
            v = heap_used(self.url)
            if v is not None:
                self.peak = max(self.peak, v)
            if self.halt.wait(0.5):
                break


def sys_cpu():
    """(total, idle+iowait, iowait, steal) jiffies over all cpus."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return sum(v), v[3] + v[4], v[4], v[7]


def background_busy(seconds):
    """CPU busy % of the whole machine while we do nothing (other tenants)."""
    a = sys_cpu()
    time.sleep(seconds)
    b = sys_cpu()
    tot = b[0] - a[0]
    return round(100.0 * (tot - (b[1] - a[1])) / tot, 1) if tot else 0.0


class Sampler(threading.Thread):
    """Samples server RSS and the disk guard every 0.2 s; accounts CPU."""

    def __init__(self, server_pids, guard_path, min_free_gb, on_guard, groups=None):
        super().__init__(daemon=True)
        self.roots = server_pids
        self.groups = groups or {}  # name -> root pids: CPU and peak RSS by process
        self.group_rss = {g: 0 for g in self.groups}
        self.guard_path, self.min_free = guard_path, min_free_gb * 1e9
        self.on_guard = on_guard
        self.halt = threading.Event()
        self.rss_peak = 0
        self.rss_samples = []
        self.guard_tripped = None
        self.min_free_seen = None

    def cpu_now(self):
        return tree_cpu(self.roots)

    def group_cpu(self):
        return {g: tree_cpu(pids) for g, pids in self.groups.items()}

    def begin(self):
        self.c0, self.s0 = self.cpu_now(), sys_cpu()
        self.g0 = self.group_cpu()
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.start()

    def run(self):
        while not self.halt.wait(0.2):
            if self.roots:
                rss = sum(proc_rss(p) for p in descendants(self.roots))
                self.rss_peak = max(self.rss_peak, rss)
                self.rss_samples.append(rss)
            for g, pids in self.groups.items():
                self.group_rss[g] = max(self.group_rss[g], sum(proc_rss(p) for p in descendants(pids)))
            if self.guard_path:
                st = os.statvfs(self.guard_path)
                free = st.f_bavail * st.f_frsize
                self.min_free_seen = free if self.min_free_seen is None else min(self.min_free_seen, free)
                if free < self.min_free and not self.guard_tripped:
                    self.guard_tripped = "free space on %s fell to %.1f GB" % (self.guard_path, free / 1e9)
                    self.on_guard()

    def end(self):
        self.halt.set()
        c1, s1 = self.cpu_now(), sys_cpu()
        g1 = self.group_cpu()
        tot, idle, iow, steal = (s1[i] - self.s0[i] for i in range(4))
        by = {}
        if self.groups:
            by = {"server_cpu_by": {g: round(g1[g] - self.g0[g], 3) for g in self.groups},
                  "server_rss_peak_MB_by": {g: round(v / 1e6, 1) for g, v in self.group_rss.items()}}
        return dict(by, **{
            "sys_steal_pct": round(100.0 * steal / tot, 1) if tot else None,
            "server_cpu_s": round(c1 - self.c0, 3) if self.roots else None,
            "server_rss_peak_MB": round(self.rss_peak / 1e6, 1) if self.roots else None,
            "server_hwm_MB": round(sum(proc_hwm(p) for p in self.roots) / 1e6, 1) if self.roots else None,
            "sys_busy_pct": round(100.0 * (tot - idle) / tot, 1) if tot else None,
            "sys_iowait_pct": round(100.0 * iow / tot, 1) if tot else None,
        })


# ---------------------------------------------------------------- engine: wrk
def run_wrk(a, wrk_args, script, sampler, stop_cb):
    threads = max(1, min(a.threads or os.cpu_count(), a.conc))
    cmd = (["stdbuf", "-oL"] if shutil.which("stdbuf") else []) + [
        "wrk", "-t", str(threads), "-c", str(a.conc), "-d", "%ds" % a.duration,
        "--timeout", "%ds" % a.timeout, "-s", os.path.join(HERE, script), a.url, "--"] + [str(x) for x in wrk_args(threads)]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stop_cb.append(lambda: p.send_signal(signal.SIGINT))
    out, started = [], False
    t_cpu_client0 = 0.0
    for line in p.stdout:
        out.append(line)
        if a.verbose:
            sys.stderr.write("  wrk| " + line)
        if not started and line.startswith("Running"):
            started = True
            t_cpu_client0 = proc_cpu(p.pid)
            sampler.begin()
    p.wait()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not started:
        sys.exit("wrk failed:\n" + "".join(out))
    srv = sampler.end()
    m = re.search(r"^WRK_RESULT (.*)$", "".join(out), re.M)
    if not m:
        sys.exit("wrk gave no WRK_RESULT line:\n" + "".join(out))
    w = dict(kv.split("=", 1) for kv in m.group(1).split())
    n = int(w["requests"]) - int(w.get("exhausted_requests", 0))
    non2xx = int(w["non2xx"])
    elapsed = int(w["duration_us"]) / 1e6
    client_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) - t_cpu_client0
    errs = sum(int(w[k]) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    res = {
        "engine": "wrk", "threads": threads, "elapsed_s": round(elapsed, 3),
        "requests": n, "ok": int(w.get("ok", n - non2xx)), "non2xx": non2xx, "sock_errors": errs,
        "err_detail": "connect:%s,read:%s,write:%s,timeout:%s" % (
            w["err_connect"], w["err_read"], w["err_write"], w["err_timeout"]),
        "codes": w["codes"],
        "p50_ms": int(w["lat_p50_us"]) / 1e3, "p90_ms": int(w["lat_p90_us"]) / 1e3,
        "p99_ms": int(w["lat_p99_us"]) / 1e3, "max_ms": int(w["lat_max_us"]) / 1e3,
        "client_cpu_s": round(client_cpu, 3),
        "bytes_read": int(w["bytes_read"]),
    }
    if "issued" in w:  # set mode: bodies handed out (sent at least in part), and whether the set ran out
        res["issued"] = int(w["issued"])
        res["exhausted"] = w.get("exhausted") == "1"
    res.update(srv)
    return res


# ---------------------------------------------------------------- engine: py
class PyEngine:
    SEND_CHUNK = 4 << 20

    def __init__(self, a, body, ctype, bodyset=None, headers=()):
        self.a, self.body, self.set = a, body, bodyset
        self.blen = bodyset.size if bodyset else os.path.getsize(body)
        te = ("Transfer-Encoding: chunked" if a.mode == "chunked" else "Content-Length: %d" % self.blen)
        # (address, request head) per server; connection k uses target k mod n (--urls)
        self.targets = []
        for url in [a.url] + [x for x in a.urls.split(",") if x]:
            u = urlsplit(url)
            path = u.path or "/"
            if u.query:
                path += "?" + u.query
            head = ("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%s\r\n%s"
                    "User-Agent: bench-load/py\r\n\r\n" % (path, u.netloc, ctype, te,
                                                           "".join(h + "\r\n" for h in headers))).encode("latin1")
            self.targets.append(((u.hostname, u.port or 80), head))
        self.stop_new = threading.Event()
        self.abort = threading.Event()
        self.lock = threading.Lock()
        self.lat, self.codes = [], {}
        self.errors = {"connect": 0, "send": 0, "recv": 0}
        self.early = 0
        self.socks = set()
        # set mode: the next body to hand out, and the first one past what this run may use
        self.next = a.start
        self.end = None
        self.exhausted = False
        self.started = 0  # requests begun, for --requests
        if bodyset:
            self.end = bodyset.count if a.limit is None else min(bodyset.count, a.start + a.limit)
            # small bodies are joined in memory (one sendall); big ones send the shared padding by sendfile
            self.small = bodyset.size <= (1 << 20)
            self.shared = bodyset.shared() if self.small else None

    def take(self):
        """Index of the next body (set mode), or None when the set is used up."""
        with self.lock:
            i = self.next
            if i >= self.end:
                if not self.a.wrap:
                    self.exhausted = True
                    return None
                i = self.next = self.a.start if self.a.start < self.end else 0
            self.next += 1
            return i

    def connect(self, addr):
        s = socket.create_connection(addr, timeout=self.a.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.socks.add(s)
        return s

    def drop(self, s):
        with self.lock:
            self.socks.discard(s)
        try:
            s.close()
        except OSError:
            pass

    def send_file_range(self, s, f, off, end):
        """sendfile off..end of f; True when the server answered early (e.g. 413) before all was sent."""
        while off < end:
            n = min(self.SEND_CHUNK, end - off)
            off += s.sendfile(f, off, n)
            if off < end and select.select([s], [], [], 0)[0]:
                return True
        return False

    def send_body(self, s, f, i, head):
        if self.set is None:
            s.sendall(head, socket.MSG_MORE)
            return self.send_file_range(s, f, 0, self.blen)
        if self.small:
            s.sendall(b"".join((head, self.set.pre(i), self.shared, self.set.suf(i))))
            return False
        s.sendall(head + self.set.pre(i), socket.MSG_MORE)
        if self.send_file_range(s, f, 0, self.set.shared_len):
            return True
        s.sendall(self.set.suf(i))
        return False

    def worker(self, barrier, k):
        addr, head = self.targets[k % len(self.targets)]
        f = open(self.set.shared_path if self.set else self.body, "rb")
        barrier.wait()
        s = None
        while not self.stop_new.is_set() and not self.abort.is_set():
            if self.a.requests:
                with self.lock:
                    if self.started >= self.a.requests:
                        break
                    self.started += 1
            i = None
            if self.set is not None:
                i = self.take()
                if i is None:
                    break
            if s is None:
                try:
                    s = self.connect(addr)
                except OSError:
                    with self.lock:
                        self.errors["connect"] += 1
                    time.sleep(0.01)
                    continue
            t0 = time.perf_counter()
            stage = "send"
            try:
                early = self.send_body(s, f, i, head)
                stage = "recv"
                status, close = read_response(s)
            except (OSError, ValueError, IndexError):
                if not self.abort.is_set():
                    with self.lock:
                        self.errors[stage] += 1
                self.drop(s)
                s = None
                continue
            t1 = time.perf_counter()
            with self.lock:
                self.lat.append((t1, t1 - t0, status))
                self.codes[status] = self.codes.get(status, 0) + 1
                if early:
                    self.early += 1
            if close or early:
                self.drop(s)
                s = None
        if s is not None:
            self.drop(s)
        f.close()

    def run(self, sampler, stop_cb):
        a = self.a
        barrier = threading.Barrier(a.conc + 1)
        ths = [threading.Thread(target=self.worker, args=(barrier, k), daemon=True) for k in range(a.conc)]
        for t in ths:
            t.start()
        stop_cb.append(self.kill)
        sampler.begin()
        barrier.wait()
        t0 = time.perf_counter()
        deadline = t0 + a.duration
        while time.perf_counter() < deadline and not self.abort.is_set():
            if not any(t.is_alive() for t in ths):  # set used up
                break
            time.sleep(0.02)
        self.stop_new.set()
        drain_deadline = time.perf_counter() + (a.drain_max if a.drain else 0)
        for t in ths:
            t.join(max(0.0, drain_deadline - time.perf_counter()))
            if t.is_alive() and not self.abort.is_set():
                self.kill()
                t.join(5)
        t1 = time.perf_counter()
        srv = sampler.end()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        elapsed = t1 - t0
        lat = sorted(x[1] for x in self.lat)
        ok = sum(v for k, v in self.codes.items() if 200 <= k <= 299)
        n = len(lat)

        def pct(p):
            return round(1000 * lat[min(n - 1, int(p / 100.0 * n))], 3) if n else None

        res = {
            "engine": "py", "threads": a.conc, "targets": len(self.targets), "elapsed_s": round(elapsed, 3),
            "requests": n, "ok": ok, "non2xx": n - ok,
            "sock_errors": sum(self.errors.values()),
            "err_detail": ",".join("%s:%d" % kv for kv in self.errors.items()),
            "codes": ",".join("%d:%d" % kv for kv in sorted(self.codes.items())) or "-",
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "max_ms": round(1000 * lat[-1], 3) if n else None,
            "client_cpu_s": round(ru.ru_utime + ru.ru_stime - sampler.r0.ru_utime - sampler.r0.ru_stime, 3),
            "early_responses": self.early,
            "drained_s": round(max(0.0, elapsed - a.duration), 3),
        }
        if self.set is not None:
            res["issued"] = self.next - a.start
            res["exhausted"] = self.exhausted
        res.update(srv)
        return res

    def kill(self):
        self.abort.set()
        self.stop_new.set()
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("size", help="body bytes, suffixes k/m/g = KiB/MiB/GiB ('-' with --set or --method GET)")
    ap.add_argument("conc", type=int)
    ap.add_argument("duration", type=float)
    ap.add_argument("--set", default="", help="body set directory (BenchPackages): distinct valid snupkgs")
    ap.add_argument("--start", type=int, default=0, help="--set: first body index")
    ap.add_argument("--limit", type=int, default=None, help="--set: at most this many bodies")
    ap.add_argument("--wrap", action="store_true", help="--set: start over when the set is used up (nginx only)")
    ap.add_argument("--header-file", default="", help="extra request headers, one 'Name: value' a line")
    ap.add_argument("--requests", type=int, default=0, help="py engine: stop after this many requests")
    ap.add_argument("--method", default="PUT", choices=["PUT", "GET"])
    ap.add_argument("--heap-url", default="", help="sample a JVM's heap from this /metrics URL")
    ap.add_argument("--mode", default="length", choices=["length", "chunked"])
    ap.add_argument("--engine", default="auto", choices=["auto", "wrk", "py"])
    ap.add_argument("--wrk-max", default="16m")
    ap.add_argument("--threads", type=int, default=0, help="wrk threads (default: min(cpus, conc))")
    ap.add_argument("--timeout", type=int, default=300, help="socket/request timeout, s")
    ap.add_argument("--no-drain", dest="drain", action="store_false")
    ap.add_argument("--drain-max", type=float, default=300)
    ap.add_argument("--chunk", default="64k", help="chunk size for --mode chunked")
    ap.add_argument("--server-pids", default="")
    ap.add_argument("--cpu-groups", default="", help="'NAME=PID PID;NAME=PID': CPU and peak RSS by process")
    ap.add_argument("--urls", default="", help="py engine: more servers, comma-separated; connection k -> k mod n")
    ap.add_argument("--guard-path", default="/tmp")
    ap.add_argument("--min-free-gb", type=float, default=10)
    ap.add_argument("--cache", default=os.path.join(os.path.dirname(HERE), ".cache"))
    ap.add_argument("--precheck", type=float, default=1.0,
                    help="seconds of idle CPU sampling before the run (background load)")
    ap.add_argument("--wait-quiet", type=float, default=0,
                    help="before starting, wait until the machine's busy %% (1 s samples) is below this")
    ap.add_argument("--wait-quiet-max", type=float, default=120)
    ap.add_argument("--label", default="")
    ap.add_argument("--jsonl", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    headers = read_headers(a.header_file)
    bodyset = BodySet(a.set) if a.set else None
    if a.method == "GET":
        size, engine = 0, "wrk"
    elif bodyset:
        if a.mode != "length":
            sys.exit("--set sends Content-Length bodies only")
        size = bodyset.size
        engine = a.engine if a.engine != "auto" else ("wrk" if size <= (1 << 20) else "py")
    else:
        size = mkbody.parse_size(a.size)
        engine = a.engine if a.engine != "auto" else ("wrk" if size <= mkbody.parse_size(a.wrk_max) else "py")
    if a.duration < 1:
        sys.exit("DURATION must be >= 1 s")
    if engine == "wrk":
        a.duration = int(round(a.duration))
    body, ctype = None, mkbody.CONTENT_TYPE
    if bodyset:
        ctype = bodyset.content_type
        warm = [bodyset.shared_path]
    elif a.method == "PUT":
        body = mkbody.ensure(size, a.mode, a.cache, mkbody.parse_size(a.chunk))
        warm = [body]
    else:
        warm = []
    for path in warm:  # warm the page cache
        with open(path, "rb") as f:
            while f.read(8 << 20):
                pass

    pids = [int(x) for x in a.server_pids.split()]
    groups = {}
    for part in a.cpu_groups.split(";"):
        if part.strip():
            name, _, ps = part.partition("=")
            groups[name.strip()] = [int(x) for x in ps.split()]
    if a.urls and (engine != "py" or a.method != "PUT"):
        sys.exit("--urls needs the py engine (PUT)")
    stop_cb = []
    sampler = Sampler(pids, a.guard_path, a.min_free_gb, lambda: [cb() for cb in stop_cb], groups)
    st = os.statvfs(a.guard_path)
    if st.f_bavail * st.f_frsize < a.min_free_gb * 1e9:
        sys.exit("refusing to start: less than %.0f GB free on %s" % (a.min_free_gb, a.guard_path))

    waited = 0.0
    if a.wait_quiet > 0:
        t_w = time.perf_counter()
        while background_busy(1.0) > a.wait_quiet and time.perf_counter() - t_w < a.wait_quiet_max:
            pass
        waited = time.perf_counter() - t_w
    bg = background_busy(a.precheck) if a.precheck > 0 else None
    what = ("GET" if a.method == "GET" else "body=%d B (%s, %s)" % (
        size, a.mode, "set %s from #%d" % (os.path.basename(a.set), a.start) if bodyset else "one body"))
    print("load: %s %s%s %s conc=%d duration=%ss engine=%s%s" % (
        a.method, a.url, " (+%s)" % a.urls if a.urls else "", what, a.conc, a.duration, engine,
        "" if bg is None else "  [machine busy before start: %.1f%%]" % bg), flush=True)
    heap = HeapSampler(a.heap_url) if a.heap_url else None
    if heap:
        heap.start()
    hfile = a.header_file or "-"
    if a.method == "GET":
        res = run_wrk(a, lambda t: [hfile], "get.lua", sampler, stop_cb)
    elif engine == "wrk" and bodyset:
        limit = bodyset.count - a.start if a.limit is None else a.limit
        res = run_wrk(a, lambda t: [a.set, ctype, hfile, a.start, limit, 1 if a.wrap else 0, t],
                      "upload-set.lua", sampler, stop_cb)
    elif engine == "wrk":
        if headers:
            sys.exit("--header-file needs --set or the py engine")
        res = run_wrk(a, lambda t: [body, ctype, a.mode], "upload.lua", sampler, stop_cb)
    else:
        res = PyEngine(a, body, ctype, bodyset, headers).run(sampler, stop_cb)
    if heap:
        heap.halt.set()
        heap.join(3)
        res["heap_peak_MB"] = round(heap.peak / 1e6, 1)

    el = res["elapsed_s"]
    res.update({
        "label": a.label, "url": a.url, "mode": a.mode, "size": size, "conc": a.conc,
        "duration_s": a.duration, "method": a.method,
        "rps": round(res["ok"] / el, 2) if el else 0.0,
        "MBps": round((res["bytes_read"] if a.method == "GET" else res["ok"] * size) / el / 1e6, 1) if el else 0.0,
        "guard": sampler.guard_tripped or "",
        "bg_busy_pct": bg,
        "waited_quiet_s": round(waited, 1),
    })
    if bodyset:
        res["set"] = os.path.basename(os.path.normpath(a.set))
        res["start"] = a.start
        res["next"] = a.start + res["issued"]
    gb = (res["bytes_read"] if a.method == "GET" else res["ok"] * size) / 1e9
    if res.get("server_cpu_s") is not None and gb > 0:
        res["server_cpu_s_per_GB"] = round(res["server_cpu_s"] / gb, 3)
    res["client_cpu_s_per_GB"] = round(res["client_cpu_s"] / gb, 3) if gb > 0 else None

    def f(x, fmt="%.2f"):
        return "n/a" if x is None else fmt % x

    print("  requests/s %s   MB/s %s   (%d ok of %d responses in %.2f s%s%s)" % (
        f(res["rps"]), f(res["MBps"], "%.1f"), res["ok"], res["requests"], el,
        ", incl. %.2f s drain" % res["drained_s"] if res.get("drained_s") else "",
        ", stopped when all %d bodies of its range were sent" % res["issued"] if res.get("exhausted") else ""))
    print("  latency ms  p50 %s  p90 %s  p99 %s  max %s" % (
        f(res["p50_ms"]), f(res["p90_ms"]), f(res["p99_ms"]), f(res["max_ms"])))
    print("  non-2xx %d  socket errors %d (%s)  status codes %s" % (
        res["non2xx"], res["sock_errors"], res["err_detail"], res["codes"]))
    line = "  client cpu %.2f s" % res["client_cpu_s"]
    if res.get("server_cpu_s") is not None:
        line += "   server cpu %.2f s (%s s/GB)  server peak RSS %.1f MB (VmHWM %s MB)" % (
            res["server_cpu_s"], f(res.get("server_cpu_s_per_GB"), "%.3f"), res["server_rss_peak_MB"],
            res.get("server_hwm_MB"))
    if res.get("heap_peak_MB") is not None:
        line += "  heap peak %.1f MB" % res["heap_peak_MB"]
    line += "   machine busy %s%% (iowait %s%%, steal %s%%)" % (
        res["sys_busy_pct"], res["sys_iowait_pct"], res["sys_steal_pct"])
    print(line)
    if res.get("server_cpu_by"):
        print("  server cpu by process: %s   peak RSS MB: %s" % (
            ", ".join("%s %.2f s" % kv for kv in res["server_cpu_by"].items()),
            ", ".join("%s %.1f" % kv for kv in res["server_rss_peak_MB_by"].items())))
    if res["guard"]:
        print("  STOPPED EARLY by disk guard: " + res["guard"])
    keys = ["label", "engine", "method", "mode", "size", "conc", "duration_s", "elapsed_s", "requests", "ok",
            "non2xx", "sock_errors", "rps", "MBps", "p50_ms", "p90_ms", "p99_ms", "max_ms",
            "client_cpu_s", "server_cpu_s", "server_cpu_s_per_GB", "server_rss_peak_MB", "heap_peak_MB",
            "sys_busy_pct", "sys_iowait_pct", "sys_steal_pct", "bg_busy_pct", "codes", "next", "exhausted"]
    print("RESULT " + " ".join("%s=%s" % (k, (res.get(k) if res.get(k) not in (None, "") else "-")) for k in keys))
    if a.jsonl:
        with open(a.jsonl, "a") as fo:
            fo.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
