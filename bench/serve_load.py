#!/usr/bin/python3
"""Load generator for `lockrig serve` (issue 16; figures in docs/serve.md).

Starts `lockrig serve` on 127.0.0.1:0 over a journal, then for each page sends a bounded number of
requests from N concurrent clients (threads, one keep-alive connection each) and prints p50,
p99 and max latency and the throughput per page, then the server's peak and current RSS
(VmHWM/VmRSS of /proc/PID/status). The first request of each page is timed alone first: report
and SLO pages are kept while the journal is unchanged, so that is the cost of computing one. Every response must be 200; any other status is counted and
makes the exit code 1.

Usage: serve_load.py LOCKRIG --db JOURNAL [--clients 20] [--requests 200] [--page PATH]...
Default pages: the runs page (/) and a version comparison
(/report?db=0&by=firmware&baseline=2.4.0&candidate=2.4.1). Standard library only.
"""
import argparse
import http.client
import re
import statistics
import subprocess
import sys
import threading
import time


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) / 1024
    return out


def load(port, path, clients, requests):
    latencies, errors, lock = [], [], threading.Lock()
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def client(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for _ in range(n):
            t = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            dt = time.perf_counter() - t
            with lock:
                latencies.append(dt)
                if r.status != 200:
                    errors.append(r.status)
        c.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in per_client]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies * 2 if len(latencies) == 1 else latencies, n=100,
                             method="inclusive")
    return {"n": len(latencies), "p50": q[49] * 1e3, "p99": q[98] * 1e3,
            "max": latencies[-1] * 1e3, "rps": len(latencies) / wall, "errors": errors}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lockrig")
    ap.add_argument("--db", required=True)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--page", action="append")
    a = ap.parse_args()
    pages = a.page or ["/", "/report?db=0&by=firmware&baseline=2.4.0&candidate=2.4.1"]
    srv = subprocess.Popen([a.lockrig, "serve", "--db", a.db, "--listen", "127.0.0.1:0"],
                           stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+)/", srv.stdout.readline()).group(1))
        print(f"lockrig serve pid {srv.pid} on port {port}; journal {a.db}; {a.clients} clients, "
              f"{a.requests} requests per page")
        print(f"idle RSS: {rss(srv.pid)['VmRSS']:.1f} MiB")
        bad = 0
        for path in pages:
            cold = load(port, path, 1, 1)  # the first request (nothing kept yet)
            print(f"{path}\n  first request: {cold['max']:.1f} ms")
            load(port, path, a.clients, a.clients)  # warm-up: one request per client
            r = load(port, path, a.clients, a.requests)
            bad += len(r["errors"])
            print(f"  {r['n']} requests: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                  f"max {r['max']:.1f} ms, {r['rps']:.1f} req/s, non-200: {len(r['errors'])}")
        m = rss(srv.pid)
        print(f"server RSS: peak {m['VmHWM']:.1f} MiB, now {m['VmRSS']:.1f} MiB")
        return 1 if bad else 0
    finally:
        srv.terminate()
        srv.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
