#!/usr/bin/env python3
"""The soak of issue 13 (driven by bench/soak.sh): one gateway under steady mixed load for SOAK_MINUTES.

The load, from SOAK_WORKERS threads, each op chosen at random by weight:
  valid pushes (distinct 64 KiB snupkgs of a BenchPackages set, their parents pushed first), refused pushes
  (no key 401, a bad key 403, no parent 404, declared too large 413), aborted uploads (half a body, then FIN or
  RST), SSQP downloads of published PDBs, snupkg downloads, and Prometheus scrapes and readiness probes.
Every SOAK_SAMPLE seconds: heap after a full GC (jcmd GC.run, then jvm_memory_used_bytes{area="heap"}), RSS
and open files of the process (/proc). None may trend upward: the verdict compares the median of the last third
of the run with the median of the second sixth (after warm-up), within a tolerance, and reports the slope of a
least-squares line over everything after warm-up.

Writes bench/results/soak-<stamp>/: samples.csv, summary.md (the table), soak.svg (the plot), log.txt, the
gateway's log without its key. Exit status 1 if a measure trends upward or the load saw a 5xx or a wrong answer.
"""
import csv
import json
import os
import random
import re
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

LIB = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LIB)
from bodyset import http_put, read_response  # noqa: E402
from run import CFG, Ctx, Gateway, ROOT, body_set, env  # noqa: E402

MINUTES = env("SOAK_MINUTES", 30.0, float)
SAMPLE = env("SOAK_SAMPLE", 10.0, float)
WORKERS = env("SOAK_WORKERS", 8, int)
RATE = env("SOAK_RATE", 60.0, float)        # operations per second, all workers together (a steady load, not max)
SIZE = 64 * 1024
# op -> weight; valid pushes are a quarter of the operations
WEIGHTS = {"push": 25, "refused": 15, "abort": 10, "ssqp": 25, "snupkg": 10, "scrape": 10, "ready": 5}
# tolerance of "does not trend upward": last third vs. second sixth of the run
TOLERANCE = {"heap_mib": (1.15, 16.0), "rss_mib": (1.10, 48.0), "open_files": (1.10, 20.0)}


class Load:
    """The mixed load; counts answers by op and status."""

    def __init__(self, gw, bs, first):
        self.gw, self.bs = gw, bs
        self.host = gw.url.split("//", 1)[1]
        self.port = int(self.host.split(":")[1])
        self.next_body = first
        self.lock = threading.Lock()
        self.counts = {}
        self.wrong = []
        self.published = []   # (id, version) pushed with 201
        self.ssqp = []        # SSQP paths of published PDBs, from the store
        self.stop = threading.Event()

    def count(self, op, status, ok):
        with self.lock:
            k = "%s %s" % (op, status)
            self.counts[k] = self.counts.get(k, 0) + 1
            if not ok and len(self.wrong) < 50:
                self.wrong.append(k)

    def conn(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def put(self, body, headers, declared=None):
        s = self.conn()
        try:
            if declared is None:
                return http_put(s, self.host, "/api/v2/symbolpackage/", headers + ["Content-Type: "
                                                                                   + self.bs.content_type], body)
            head = "PUT /api/v2/symbolpackage/ HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n" % (
                self.host, declared, "".join(h + "\r\n" for h in headers))
            s.sendall(head.encode("latin1"))
            return read_response(s)[0]
        finally:
            s.close()

    def get(self, path):
        s = self.conn()
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, self.host)).encode())
            return read_response(s)[0]
        finally:
            s.close()

    def op_push(self):
        with self.lock:
            i = self.next_body
            self.next_body += 1
        if i >= self.bs.count - 200:  # used up (the last 200 are the refused pushes' parentless bodies)
            return self.op_ssqp()
        st = self.put(self.bs.body(i), self.gw.headers())
        self.count("push", st, st == 201)
        if st == 201:
            with self.lock:
                self.published.append(self.bs.ident(i))

    def op_refused(self):
        kind = random.choice(["nokey", "badkey", "noparent", "toolarge"])
        i = random.randrange(self.bs.count)
        if kind == "nokey":
            st, want = self.put(self.bs.body(i), []), 401
        elif kind == "badkey":
            st, want = self.put(self.bs.body(i), ["X-NuGet-ApiKey: not-a-key-" + str(i)]), 403
        elif kind == "noparent":
            # a body whose parent was never pushed: the set's last bodies are kept unseeded for this
            j = self.bs.count - 1 - random.randrange(200)
            st, want = self.put(self.bs.body(j), self.gw.headers()), 404
        else:
            st, want = self.put(b"", self.gw.headers(), declared=1 << 40), 413
        self.count("refused-" + kind, st, st == want)

    def op_abort(self):
        i = random.randrange(self.bs.count)
        body = self.bs.body(i)
        s = self.conn()
        try:
            head = "PUT /api/v2/symbolpackage/ HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nContent-Type: %s\r\n%s\r\n" % (
                self.host, len(body), self.bs.content_type, "".join(h + "\r\n" for h in self.gw.headers()))
            s.sendall(head.encode("latin1") + body[:len(body) // 2])
            time.sleep(0.02)
            reset = random.random() < 0.5
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            s.close()
        self.count("abort-" + ("rst" if reset else "fin"), "-", True)

    def op_ssqp(self):
        with self.lock:
            path = random.choice(self.ssqp) if self.ssqp else None
        if path is None:
            return self.op_scrape()
        st = self.get("/download/symbols/" + path)
        self.count("ssqp", st, st == 200)

    def op_snupkg(self):
        with self.lock:
            pv = random.choice(self.published) if self.published else None
        if pv is None:
            return self.op_scrape()
        st = self.get("/api/v2/symbolpackage/%s/%s" % pv)
        self.count("snupkg", st, st in (200, 404))  # 404 while its publication is still pending

    def op_scrape(self):
        with urllib.request.urlopen(self.gw.murl, timeout=30) as r:
            r.read()
            self.count("scrape", r.status, r.status == 200)

    def op_ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % self.gw.mport, timeout=30) as r:
                st = r.status
        except urllib.error.HTTPError as e:
            st = e.code
        self.count("ready", st, st == 200)

    def worker(self, seed):
        rnd = random.Random(seed)
        ops = [k for k, w in WEIGHTS.items() for _ in range(w)]
        pause = WORKERS / RATE
        while not self.stop.is_set():
            t0 = time.time()
            op = rnd.choice(ops)
            try:
                getattr(self, "op_" + op)()
            except (OSError, ConnectionError) as e:
                self.count(op, type(e).__name__, op == "abort")
            left = pause - (time.time() - t0)
            if left > 0:
                self.stop.wait(left)

    def refresh_ssqp(self):
        """The SSQP paths of what publishing has indexed so far: ssqp/<file>/<key>/<file> in the store."""
        root = os.path.join(self.gw.data, "ssqp")
        found = []
        if os.path.isdir(root):
            for f in os.listdir(root):
                for k in os.listdir(os.path.join(root, f)):
                    found.append("%s/%s/%s" % (f, k, f))
        with self.lock:
            self.ssqp = found


def heap_after_gc(gw):
    subprocess.run(["jcmd", str(gw.pid()), "GC.run"], check=True, stdout=subprocess.DEVNULL, timeout=60)
    return sum(v for _, labels, v in gw.series("jvm_memory_used_bytes") if labels.get("area") == "heap")


def open_files(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def slope_per_hour(xs, ys):
    if len(xs) < 3:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600


def svg(samples, path):
    """Three panels (heap after GC, RSS, open files) over time; hand-written SVG, no plotting library needed."""
    measures = [("heap_mib", "heap after GC (MiB)"), ("rss_mib", "RSS (MiB)"), ("open_files", "open files")]
    w, ph, left, top = 900, 200, 70, 30
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (w, top + len(measures) * (ph + 40))]
    t_end = max(s["t"] for s in samples) or 1
    for n, (key, title) in enumerate(measures):
        y0 = top + n * (ph + 40)
        vals = [s[key] for s in samples]
        lo, hi = 0, max(vals) * 1.15 or 1
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (left, y0 - 8, title))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (
            left, y0, w - left - 20, ph))
        for frac in (0, 0.5, 1):
            v = lo + (hi - lo) * frac
            y = y0 + ph - ph * frac
            out.append('<text x="%d" y="%.1f" text-anchor="end">%.0f</text>' % (left - 6, y + 4, v))
        pts = " ".join("%.1f,%.1f" % (left + (w - left - 20) * s["t"] / t_end,
                                      y0 + ph - ph * (s[key] - lo) / (hi - lo)) for s in samples)
        out.append('<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="%s"/>' % pts)
        out.append('<text x="%d" y="%d" text-anchor="end">%.0f min</text>' % (w - 20, y0 + ph + 16, t_end / 60))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ctx = Ctx(os.environ.get("SOAK_STAMP") or "soak-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    ctx.say("soak: %.0f minutes, %d workers, %.0f ops/s, sample every %.0f s (results in %s)" % (
        MINUTES, WORKERS, RATE, SAMPLE, os.path.relpath(ctx.res, ROOT)))
    pushes = int(MINUTES * 60 * RATE * WEIGHTS["push"] / sum(WEIGHTS.values()) * 1.2) + 1000
    bs = body_set(ctx, "soak", SIZE, pushes)
    gw = Gateway(ctx, "soak", CFG["BASE_PORT"] + 90)
    status = 0
    try:
        gw.start()
        gw.seed(bs, bs.count - 200)  # the last 200 stay without a parent: the 404s of the refused pushes
        load = Load(gw, bs, 0)
        threads = [threading.Thread(target=load.worker, args=(n,), daemon=True) for n in range(WORKERS)]
        t0 = time.time()
        for t in threads:
            t.start()
        samples = []
        with open(os.path.join(ctx.res, "samples.csv"), "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["t_s", "heap_mib", "rss_mib", "open_files", "pushes_201", "answers"])
            while time.time() - t0 < MINUTES * 60:
                time.sleep(SAMPLE - (time.time() - t0) % SAMPLE)
                load.refresh_ssqp()
                s = {"t": round(time.time() - t0), "heap_mib": heap_after_gc(gw) / (1 << 20),
                     "rss_mib": gw.rss_kb() / 1024, "open_files": open_files(gw.pid()),
                     "pushes": load.counts.get("push 201", 0), "answers": sum(load.counts.values())}
                samples.append(s)
                out.writerow([s["t"], "%.1f" % s["heap_mib"], "%.1f" % s["rss_mib"], s["open_files"],
                              s["pushes"], s["answers"]])
                f.flush()
                ctx.say("  %5d s  heap %6.1f MiB  rss %6.1f MiB  files %4d  pushes %6d  answers %7d" % (
                    s["t"], s["heap_mib"], s["rss_mib"], s["open_files"], s["pushes"], s["answers"]))
        load.stop.set()
        for t in threads:
            t.join(120)
        svg(samples, os.path.join(ctx.res, "soak.svg"))
        n = len(samples)
        rows = []
        for key, (ratio, slack) in TOLERANCE.items():
            warm = [s[key] for s in samples[n // 6:n // 3]] or [samples[0][key]]
            last = [s[key] for s in samples[2 * n // 3:]] or [samples[-1][key]]
            after = samples[n // 6:]
            slope = slope_per_hour([s["t"] for s in after], [s[key] for s in after])
            ok = statistics.median(last) <= max(statistics.median(warm) * ratio, statistics.median(warm) + slack)
            status |= 0 if ok else 1
            rows.append((key, statistics.median(warm), statistics.median(last), min(s[key] for s in samples),
                         max(s[key] for s in samples), slope, "PASS" if ok else "FAIL"))
        wrong = {k: v for k, v in load.counts.items() if k in set(load.wrong)}
        fivexx = {k: v for k, v in load.counts.items() if re.search(r" 5\d\d$", k)}
        if wrong or fivexx:
            status = 1
        table = ["| measure | median, 2nd sixth | median, last third | min | max | slope per hour | result |",
                 "|---|---|---|---|---|---|---|"]
        for r in rows:
            table.append("| %s | %.1f | %.1f | %.1f | %.1f | %+.1f | %s |" % r)
        answers = ", ".join("%s: %d" % kv for kv in sorted(load.counts.items()))
        summary = "\n".join(table) + "\n\nAnswers (op status: count): %s\n\nWrong answers: %s; 5xx: %s\n" % (
            answers, json.dumps(wrong) if wrong else "none", json.dumps(fivexx) if fivexx else "none")
        ctx.say("\n" + summary)
        with open(os.path.join(ctx.res, "summary.md"), "w") as f:
            f.write("# soak %s\n\n%.0f minutes, %d workers, %.0f ops/s, a sample every %.0f s; %d samples. "
                    "Plot: soak.svg.\n\n%s" % (ctx.stamp, MINUTES, WORKERS, RATE, SAMPLE, n, summary))
    finally:
        gw.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
