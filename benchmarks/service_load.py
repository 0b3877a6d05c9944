"""A bounded load test of ``nicelogic serve`` on loopback, beside the library's own latency.

Starts ``nicelogic serve`` (every built-in pack, the full OPCS-4 table) on 127.0.0.1, sends a
fixed number of requests from concurrent clients (threads, keep-alive connections) and
prints requests/s and p50/p95/p99 latency for:

- ``POST /v1/check`` with one record: realistic synthetic episodes (benchmarks/synthetic.py,
  whose Zipf-shaped mix repeats common records, as hospital data does), and one fixed record
  (its verdict cached after the first request);
- ``POST /v1/check`` with 100 of those records;
- ``POST /v1/complete`` minimal completions of a one-code record (``opcs V44.4``);

then the warm single-record check in the library (no HTTP), median of calls whose verdict
is not cached: an OPCS-4 record and a CPT claim. The clients run on the same machine as the
server and take CPU from it. Stops by itself; not a test.

    python benchmarks/service_load.py                    # 8 clients
    python benchmarks/service_load.py --clients 1 --scale 0.5
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from nicelogic import Checker  # noqa: E402

TARGETS = {"check-1": (3.0, 15.0), "complete-minimal": 300.0, "library": 1.0}  # ms, from issue 13
OPCS_RECORD = "ep1: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0"
CPT_CLAIM = "c1: cpt 22511 22512x2 77003-59"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "nicelogic.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("nicelogic serve did not become ready within 120 s")


def load(base: str, requests: int, clients: int, body: Callable[[int], tuple[str, object]]) -> tuple[float, list[float]]:
    """Send ``requests`` requests (``body(n)`` gives the path and JSON of the n-th) from
    ``clients`` threads; the wall time and each request's latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as session:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                path, payload = body(n)
                started = time.perf_counter()
                response = session.post(path, json=payload)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, wall: float, latencies: list[float], target: str) -> None:
    p50, p95, p99 = (percentile(latencies, q) for q in (0.50, 0.95, 0.99))
    print(
        f"{name:44} {len(latencies):5} req {len(latencies) / wall:8.1f} req/s   "
        f"p50 {p50:8.2f}  p95 {p95:8.2f}  p99 {p99:8.2f} ms   {target}"
    )


def library_medians() -> None:
    checker = Checker(cache_size=0)  # no verdict cache: every call grounds and solves
    checker.check_record(OPCS_RECORD)
    for text in (OPCS_RECORD, CPT_CLAIM):
        times = []
        for _ in range(100):
            started = time.perf_counter()
            checker.check_record(text)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"library, warm, verdict not cached: {text:45} median {statistics.median(times):6.2f} ms"
            f"   target <= {TARGETS['library']:g} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply every request count by this.")
    args = parser.parse_args()
    counts = {name: max(args.clients, int(n * args.scale)) for name, n in {"one": 2000, "hundred": 200, "complete": 80}.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {args.clients} clients")
    episodes = [
        f"{e.id}: opcs {' '.join(e.opcs)}; icd {' '.join(e.icd10)}"
        for e in synthetic.episodes(counts["one"] + 100 * counts["hundred"], seed=7)
    ]
    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        load(base, 50, args.clients, lambda n: ("/v1/check", episodes[n]))  # warm the connections and the code paths
        p50_target, p99_target = TARGETS["check-1"]
        target = f"target p50 <= {p50_target:g}, p99 <= {p99_target:g} ms"
        report(
            "/v1/check, 1 record (synthetic episodes)",
            *load(base, counts["one"], args.clients, lambda n: ("/v1/check", episodes[n])),
            target,
        )
        report(
            "/v1/check, 1 record (one fixed record)",
            *load(base, counts["one"], args.clients, lambda n: ("/v1/check", OPCS_RECORD)),
            target,
        )
        start = counts["one"]
        hundred = lambda n: ("/v1/check", episodes[start + 100 * n : start + 100 * (n + 1)])  # noqa: E731
        report("/v1/check, 100 records (synthetic episodes)", *load(base, counts["hundred"], args.clients, hundred), "")
        minimal = {"record": "opcs V44.4", "minimal": True}
        report(
            "/v1/complete minimal, opcs V44.4",
            *load(base, counts["complete"], args.clients, lambda n: ("/v1/complete", minimal)),
            f"target p95 <= {TARGETS['complete-minimal']:g} ms",
        )
        report(
            "/v1/complete minimal, opcs V44.4, 1 client",
            *load(base, max(10, counts["complete"] // 4), 1, lambda n: ("/v1/complete", minimal)),
            f"target p95 <= {TARGETS['complete-minimal']:g} ms",
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    library_medians()


if __name__ == "__main__":
    main()
