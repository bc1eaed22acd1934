#!/usr/bin/env python3
"""Stand-ins for proxy mode (B5): the auth service and a V3 feed, on one loopback port.

    standin.py PORT FEED_DIR ALLOWED_KEY_FILE

Auth service (the contract in README, "Fronting a feed"):
    POST /v1/check {"apiKey", "action", "packageId", "packageVersion"}
      -> 200 {"allowed": true, "subject": "bench", "cacheSeconds": 60}   for the key in ALLOWED_KEY_FILE
      -> 200 {"allowed": false, "reason": "invalid"}                      for any other key
V3 feed (read only; parents are files, laid out as the gateway's local feed lays them out):
    GET /v3/index.json                           PackageBaseAddress/3.0.0 -> /flat/, PackagePublish/2.0.0 -> /push
    GET /flat/{id}/index.json                    {"versions": [...]} from FEED_DIR/{id}/*/
    GET /flat/{id}/{version}/{id}.{version}.nupkg  FEED_DIR/{id}/{version}/{id}.{version}.nupkg
Counters: GET /stats -> {"auth_calls": n, "auth_allowed": n, "auth_denied": n, "auth_admission": n,
    "auth_scope": n, "feed_calls": n}; POST /reset zeroes them.  Keys are never printed.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, FEED, KEY_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(KEY_FILE) as f:
    ALLOWED = f.read().strip()
LOCK = threading.Lock()
STATS = {}


def count(*names):
    with LOCK:
        for n in names:
            STATS[n] = STATS.get(n, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real service

    def log_message(self, fmt, *args):  # quiet: no per-request log lines (and no keys anywhere)
        pass

    def reply(self, status, body=b"", ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.path == "/reset":
            with LOCK:
                STATS.clear()
            return self.reply(200, {})
        if self.path != "/v1/check":
            return self.reply(404, {})
        try:
            req = json.loads(raw)
            key = req["apiKey"]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"error": "bad request"})
        kind = "auth_admission" if req.get("packageId") is None else "auth_scope"
        if key == ALLOWED:
            count("auth_calls", "auth_allowed", kind)
            return self.reply(200, {"allowed": True, "subject": "bench", "cacheSeconds": 60})
        count("auth_calls", "auth_denied", kind)
        return self.reply(200, {"allowed": False, "reason": "invalid"})

    def do_GET(self):
        base = "http://127.0.0.1:%d" % PORT
        if self.path == "/stats":
            with LOCK:
                return self.reply(200, dict(STATS))
        count("feed_calls")
        if self.path == "/v3/index.json":
            return self.reply(200, {"version": "3.0.0", "resources": [
                {"@id": base + "/flat/", "@type": "PackageBaseAddress/3.0.0"},
                {"@id": base + "/push", "@type": "PackagePublish/2.0.0"}]})
        parts = self.path.split("/")
        if len(parts) == 4 and parts[1] == "flat" and parts[3] == "index.json":
            d = os.path.join(FEED, os.path.basename(parts[2]))
            if not os.path.isdir(d):
                return self.reply(404, {})
            return self.reply(200, {"versions": sorted(os.listdir(d))})
        if len(parts) == 5 and parts[1] == "flat":
            p = os.path.join(FEED, *(os.path.basename(x) for x in parts[2:5]))
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    return self.reply(200, f.read(), "application/octet-stream")
        return self.reply(404, {})


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    srv.daemon_threads = True
    print("stand-in listening on 127.0.0.1:%d (feed %s)" % (PORT, FEED), flush=True)
    srv.serve_forever()
