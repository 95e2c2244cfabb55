#!/usr/bin/env python3
"""Idle and slowloris connections beside a normal client (issue 13's fourth load target).

    bench/serve/slow_clients.py http://127.0.0.1:4001 [--idle 500] [--slow 64] [--seconds 15]

Opens IDLE keep-alive connections (one request each, then silence) and SLOW connections that
send one header byte per second, then times sequential GET /db/query requests on a fresh
connection for SECONDS. Prints the normal client's p50/p99/max latency and how many slow
connections the server closed (and after how long): with `sluice serve --request-deadline MS`
they must be cut at MS.
"""
import argparse, socket, statistics, threading, time, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("--idle", type=int, default=500)
ap.add_argument("--slow", type=int, default=64)
ap.add_argument("--seconds", type=float, default=15)
a = ap.parse_args()
u = urllib.parse.urlparse(a.url)
addr = (u.hostname, u.port)
REQ = b"GET /db/query?q=SELECT%201 HTTP/1.1\r\nHost: x\r\n\r\n"

def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < length:
        body += s.recv(65536)

idle = []
for _ in range(a.idle):
    s = socket.create_connection(addr)
    s.sendall(REQ)
    read_response(s)
    idle.append(s)

cut = []
def slowloris():
    s = socket.create_connection(addr)
    s.settimeout(1.0)
    start = time.monotonic()
    for b in b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000:
        try:
            s.send(bytes([b]))
            if s.recv(1) == b"":
                cut.append(time.monotonic() - start)
                return
        except socket.timeout:
            continue
        except OSError:
            cut.append(time.monotonic() - start)
            return
        if time.monotonic() - start > a.seconds + 5:
            return
threads = [threading.Thread(target=slowloris, daemon=True) for _ in range(a.slow)]
for t in threads:
    t.start()

lat = []
s = socket.create_connection(addr)
end = time.monotonic() + a.seconds
while time.monotonic() < end:
    t0 = time.monotonic()
    s.sendall(REQ)
    read_response(s)
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(0.01)
for t in threads:
    t.join(timeout=6)
lat.sort()
print(f"{a.idle} idle + {a.slow} slowloris connections; normal client: {len(lat)} requests, "
      f"p50 {statistics.median(lat):.2f} ms, p99 {lat[int(len(lat) * 0.99)]:.2f} ms, max {lat[-1]:.2f} ms")
print(f"slow connections cut by the server: {len(cut)}/{a.slow}" +
      (f", after {min(cut):.1f}-{max(cut):.1f} s" if cut else ""))
