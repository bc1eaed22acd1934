#!/usr/bin/env python3
"""A set of distinct, valid push bodies written by BenchPackages (src/test/java/io/snupkg/gateway/bench).

Body i = pre[i] + shared + suf[i]; every prefix has pre_len bytes, every suffix suf_len, so pre.bin and suf.bin
are arrays. parents.bin holds the parent nupkgs (multipart-wrapped, parent_len bytes each), ids.txt "id version"
per line. The gateway answers a byte-identical re-push of a stored snupkg 201 without storing it again, so a
throughput run must never send a body twice to the same gateway: callers keep a cursor.

    bodyset.py DIR                       print the set's meta data
    bodyset.py DIR seed URL FROM TO [CONC]   push parents FROM..TO-1 (PUT, X-NuGet-ApiKey from $KEY_FILE)
"""
import json
import mmap
import os
import socket
import sys
import threading
import time
from urllib.parse import urlsplit


class BodySet:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "meta.json")) as f:
            self.meta = json.load(f)
        m = self.meta
        self.count, self.size = m["count"], m["size"]
        self.content_type = m["content_type"]
        self.pre_len, self.suf_len, self.shared_len = m["pre_len"], m["suf_len"], m["shared_len"]
        self.parent_len = m["parent_len"]
        self.shared_path = os.path.join(d, "shared.bin")
        self._maps = {}

    def _map(self, name):
        if name not in self._maps:
            with open(os.path.join(self.dir, name), "rb") as f:
                self._maps[name] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return self._maps[name]

    def pre(self, i):
        return self._map("pre.bin")[i * self.pre_len:(i + 1) * self.pre_len]

    def suf(self, i):
        return self._map("suf.bin")[i * self.suf_len:(i + 1) * self.suf_len]

    def shared(self):
        return self._map("shared.bin")[:]

    def parent(self, i):
        return self._map("parents.bin")[i * self.parent_len:(i + 1) * self.parent_len]

    def body(self, i):
        return self.pre(i) + self.shared() + self.suf(i)

    def ident(self, i):
        """(id, version) of body i; ids are fixed-width, see BenchPackages.id."""
        with open(os.path.join(self.dir, "ids.txt"), "rb") as f:
            line_len = len(f.readline())
            f.seek(i * line_len)
            ident, version = f.readline().decode().split()
        return ident, version


def read_headers(path):
    """Extra request headers from a file (one 'Name: value' a line): keeps API keys off command lines."""
    if not path:
        return []
    with open(path) as f:
        return [ln.rstrip("\r\n") for ln in f if ln.strip()]


def http_put(sock, host, path, headers, body):
    """One PUT on a keep-alive socket; returns the status. Minimal client, enough for 201/4xx answers."""
    head = "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n" % (
        path, host, len(body), "".join(h + "\r\n" for h in headers))
    sock.sendall(head.encode("latin1") + body)
    return read_response(sock)[0]


def read_response(s):
    """Reads one response (head and body) from a keep-alive socket; returns (status, server closes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed before response head")
        buf += d
    headp, rest = buf.split(b"\r\n\r\n", 1)
    lines = headp.decode("latin1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    h = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        h[k.strip().lower()] = v.strip()
    close = h.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0")
    if "content-length" in h:
        need = int(h["content-length"]) - len(rest)
        while need > 0:
            d = s.recv(min(need, 1 << 20))
            if not d:
                raise ConnectionError("closed in response body")
            need -= len(d)
    elif "chunked" in h.get("transfer-encoding", "").lower():
        while not rest.endswith(b"0\r\n\r\n"):  # good enough for small responses
            d = s.recv(65536)
            if not d:
                raise ConnectionError("closed in chunked response")
            rest += d
    elif status >= 200 and status not in (204, 304):
        while s.recv(65536):
            pass
        close = True
    return status, close


def seed(bs, url, first, last, conc=8, headers=()):
    """Push parents first..last-1 to url (the gateway's /api/v2/package/); returns {status: count}."""
    u = urlsplit(url)
    lock = threading.Lock()
    nxt = [first]
    codes = {}

    def worker():
        s = socket.create_connection((u.hostname, u.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        hs = ["Content-Type: " + bs.content_type] + list(headers)
        while True:
            with lock:
                i = nxt[0]
                if i >= last:
                    break
                nxt[0] += 1
            st = http_put(s, u.netloc, u.path, hs, bs.parent(i))
            with lock:
                codes[st] = codes.get(st, 0) + 1
        s.close()

    ths = [threading.Thread(target=worker) for _ in range(max(1, min(conc, last - first)))]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return codes


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    b = BodySet(sys.argv[1])
    if len(sys.argv) == 2:
        print(json.dumps(b.meta))
    elif sys.argv[2] == "seed":
        t0 = time.time()
        c = seed(b, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                 int(sys.argv[6]) if len(sys.argv) > 6 else 8, read_headers(os.environ.get("HEADER_FILE")))
        print("seeded %s in %.1f s: %s" % (sys.argv[4:6], time.time() - t0, c))
    else:
        sys.exit(__doc__)
