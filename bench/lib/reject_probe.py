#!/usr/bin/env python3
"""How fast, and after how many body bytes, does a server reject an oversize upload?

Usage: reject_probe.py URL [CONTENT_LENGTH] [N]
  URL             http://127.0.0.1:PORT/path   (PUT target)
  CONTENT_LENGTH  announced body size, default 2147483648 (2 GiB)
  N               iterations for the header-only probes, default 200

Probes (each on a fresh connection):
  headers-only  send only the request head with a huge Content-Length, never any
                body byte; time from the last header byte to the complete status
                line.  A server that waits for (or reads) the body cannot answer.
  expect-100    same with "Expect: 100-continue": expect a final 413, not 100.
  streaming     send the head, then push body bytes as fast as possible until the
                response arrives; report the time and how many body bytes the
                client managed to push before the rejection came back (bounded by
                the socket buffers if the server answers from the headers).
  chunked       Transfer-Encoding: chunked, no Content-Length: the server can only
                reject after it has counted more than its limit; bytes pushed
                before the 413 show where the check happens (capped at CONTENT_LENGTH);
                they include what sat in the socket buffers (here up to 4 MiB sent + 32 MiB
                received), so they overstate what the server read.
  chunked-paced the same, but each 256 KiB step (PACE_STEP) is sent only once the server has read
                everything before it (our SIOCOUTQ and the server socket's receive queue in
                /proc/net/tcp both empty): the bytes the server READ before answering, to one step.
Env: PROBES="headers-only expect-100 streaming chunked" to choose; TIMEOUT (s, default 30);
     HEADER_FILE (extra request headers, one "Name: value" a line, e.g. the gateway's API key: without
     one the gateway answers 401 before it looks at the length); METRICS_URL (a gateway's /metrics:
     the streaming probes then also report the gateway's own count, snupkg_push_bytes_total, which
     counts body bytes as they reach its size check, up to where it fails, and not what it reads afterwards); JSON_OUT (append the results as one JSON object).
"""
import fcntl
import json
import struct
import termios
import urllib.request
import os
import select
import socket
import statistics
import sys
import time
from urllib.parse import urlsplit

TIMEOUT = float(os.environ.get("TIMEOUT", "30"))
CT = "multipart/form-data; boundary=----benchBoundary7d1f3c9a2b5e"
EXTRA = []
if os.environ.get("HEADER_FILE"):
    with open(os.environ["HEADER_FILE"]) as _f:
        EXTRA = [ln.rstrip("\r\n") for ln in _f if ln.strip()]
METRICS_URL = os.environ.get("METRICS_URL", "")


def push_bytes():
    """snupkg_push_bytes_total summed over kinds, or None without METRICS_URL."""
    if not METRICS_URL:
        return None
    with urllib.request.urlopen(METRICS_URL, timeout=5) as r:
        text = r.read().decode()
    return int(sum(float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines()
                   if ln.startswith("snupkg_push_bytes_total")))


def head(host, path, extra):
    lines = ["PUT %s HTTP/1.1" % path, "Host: %s" % host, "Content-Type: %s" % CT] + extra + EXTRA
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_status(sock, deadline):
    """Read until the end of the response head; return (status, head_text)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None, buf.decode("latin1")
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            return None, buf.decode("latin1")
        except ConnectionError as e:
            return None, "connection error: %s" % e
        if not d:
            return None, buf.decode("latin1") or "closed without response"
        buf += d
    text = buf.split(b"\r\n\r\n", 1)[0].decode("latin1")
    try:
        return int(text.split(" ", 2)[1]), text
    except (IndexError, ValueError):
        return None, text


def headers_only(addr, host, path, cl, n, expect):
    lat, codes = [], {}
    extra = ["Content-Length: %d" % cl] + (["Expect: 100-continue"] if expect else [])
    req = head(host, path, extra)
    for _ in range(n):
        s = socket.create_connection(addr, timeout=TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter()
        s.sendall(req)
        st, _ = read_status(s, t0 + TIMEOUT)
        lat.append(time.perf_counter() - t0)
        codes[st] = codes.get(st, 0) + 1
        s.close()
    lat.sort()
    return {
        "status": codes,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "max_ms": 1000 * lat[-1],
    }


def streaming(addr, host, path, cl, chunked):
    extra = ["Transfer-Encoding: chunked"] if chunked else ["Content-Length: %d" % cl]
    s = socket.create_connection(addr, timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    block = os.urandom(1 << 20)
    payload = (b"%x\r\n" % len(block)) + block + b"\r\n" if chunked else block
    # the body opens like a real push (a multipart part head), so a server that parses the multipart
    # framing counts the bytes toward its limit instead of refusing a body without a boundary
    part = (b"--" + CT.split("boundary=", 1)[1].encode() + b"\r\nContent-Disposition: form-data; name=package; "
            b"filename=package.snupkg\r\nContent-Type: application/octet-stream\r\n\r\n")
    read0 = push_bytes()
    t0 = time.perf_counter()
    s.sendall(head(host, path, extra) + ((b"%x\r\n" % len(part)) + part + b"\r\n" if chunked else part))
    s.setblocking(False)
    sent_body, out, pos = len(part), payload, 0
    status, why = None, ""
    while True:
        if time.perf_counter() - t0 > TIMEOUT:
            why = "timeout"
            break
        r, w, _ = select.select([s], [s] if sent_body < cl else [], [], 1.0)
        if r:
            s.setblocking(True)
            status, _ = read_status(s, time.perf_counter() + TIMEOUT)
            why = "response"
            break
        if w:
            try:
                k = s.send(out[pos:pos + (1 << 20)])
            except (BrokenPipeError, ConnectionResetError) as e:
                why = "send failed: %s" % e.__class__.__name__
                break
            pos += k
            # count payload bytes only (chunk framing excluded, approximately)
            sent_body += k
            if pos >= len(out):
                pos = 0
    dt = time.perf_counter() - t0
    read1 = push_bytes()
    s.close()
    return {"status": status, "ms": 1000 * dt, "body_bytes_pushed": sent_body, "ended_by": why,
            "server_read_bytes": None if read0 is None else read1 - read0}


def rx_queue(local_port, remote_port):
    """Bytes the server has received but its application has not read yet (the server side of our
    loopback connection, from /proc/net/tcp), or None if the socket is gone."""
    with open("/proc/net/tcp") as f:
        next(f)
        for ln in f:
            fs = ln.split()
            if int(fs[1].split(":")[1], 16) == local_port and int(fs[2].split(":")[1], 16) == remote_port:
                return int(fs[4].split(":")[1], 16)
    return None


def out_queue(sock):
    """Bytes we wrote that the peer's kernel has not acknowledged yet (SIOCOUTQ)."""
    buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def paced(addr, host, path, cl, step):
    """Chunked upload that sends the next STEP bytes only when the server has read everything before them
    (our send queue empty and the server socket's receive queue empty). Socket buffers (here up to 32 MiB
    on loopback) then hold nothing: when the answer comes, the server's application has read between
    body_bytes_pushed - STEP and body_bytes_pushed body bytes. Slower than a real client, but exact."""
    s = socket.create_connection(addr, timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    me = s.getsockname()[1]
    part = (b"--" + CT.split("boundary=", 1)[1].encode() + b"\r\nContent-Disposition: form-data; name=package; "
            b"filename=package.snupkg\r\nContent-Type: application/octet-stream\r\n\r\n")
    block = os.urandom(step)
    chunk = (b"%x\r\n" % len(block)) + block + b"\r\n"
    read0 = push_bytes()
    t0 = time.perf_counter()
    s.sendall(head(host, path, ["Transfer-Encoding: chunked"]) + (b"%x\r\n" % len(part)) + part + b"\r\n")
    sent, status, why = len(part), None, ""
    while True:
        if time.perf_counter() - t0 > TIMEOUT:
            why = "timeout"
            break
        # wait until the server has read all we sent, or answered
        answered = False
        while True:
            if select.select([s], [], [], 0)[0]:
                answered = True
                break
            rq = rx_queue(addr[1], me)
            if out_queue(s) == 0 and (rq is None or rq == 0):
                break
            if time.perf_counter() - t0 > TIMEOUT:
                break
            time.sleep(0.0002)
        if answered:
            status, _ = read_status(s, time.perf_counter() + TIMEOUT)
            why = "response"
            break
        if sent >= cl:
            why = "limit of the probe reached"
            break
        try:
            s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError) as e:
            why = "send failed: %s" % e.__class__.__name__
            break
        sent += step
    dt = time.perf_counter() - t0
    read1 = push_bytes()
    s.close()
    return {"status": status, "ms": 1000 * dt, "body_bytes_pushed": sent, "step": step, "ended_by": why,
            "server_read_bytes": None if read0 is None else read1 - read0}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    u = urlsplit(sys.argv[1])
    cl = int(sys.argv[2]) if len(sys.argv) > 2 else 2 << 30
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    addr = (u.hostname, u.port or 80)
    host = u.netloc
    path = u.path or "/"
    probes = os.environ.get("PROBES", "headers-only expect-100 streaming chunked").split()
    print("target %s  announced Content-Length %d (%.2f GiB)" % (sys.argv[1], cl, cl / 2**30))
    out = {"url": sys.argv[1], "content_length": cl, "n": n}
    for p in probes:
        if p == "headers-only":
            r = out[p] = headers_only(addr, host, path, cl, n, False)
            print("headers-only  n=%d status=%s time-to-status p50=%.3f ms p99=%.3f ms max=%.3f ms" % (
                n, r["status"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
        elif p == "expect-100":
            r = out[p] = headers_only(addr, host, path, cl, n, True)
            print("expect-100    n=%d status=%s time-to-status p50=%.3f ms p99=%.3f ms max=%.3f ms" % (
                n, r["status"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
        elif p == "chunked-paced":
            step = int(os.environ.get("PACE_STEP", str(256 << 10)))
            r = out[p] = paced(addr, host, path, cl, step)
            print("%-13s status=%s after %.1f ms, body bytes read by the server before the answer: %.1f-%.1f MiB "
                  "(pushed %d in %d KiB steps, each read before the next), ended by %s%s" % (
                      p, r["status"], r["ms"], (r["body_bytes_pushed"] - step) / 2**20, r["body_bytes_pushed"] / 2**20,
                      r["body_bytes_pushed"], step >> 10, r["ended_by"],
                      "" if r["server_read_bytes"] is None else
                      "; gateway's own count: %d (%.1f MiB)" % (r["server_read_bytes"], r["server_read_bytes"] / 2**20)))
        elif p in ("streaming", "chunked"):
            r = out[p] = streaming(addr, host, path, cl, p == "chunked")
            print("%-13s status=%s after %.1f ms, body bytes pushed by client before the answer: %d (%.1f MiB), ended by %s%s" % (
                p, r["status"], r["ms"], r["body_bytes_pushed"], r["body_bytes_pushed"] / 2**20, r["ended_by"],
                "" if r["server_read_bytes"] is None else
                "; read by the gateway: %d (%.1f MiB)" % (r["server_read_bytes"], r["server_read_bytes"] / 2**20)))
        else:
            sys.exit("unknown probe " + p)
    if os.environ.get("JSON_OUT"):
        with open(os.environ["JSON_OUT"], "a") as f:
            f.write(json.dumps(out, default=str) + "\n")


if __name__ == "__main__":
    main()
