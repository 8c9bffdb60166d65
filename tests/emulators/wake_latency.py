#!/usr/bin/python3
"""Measures how late this machine wakes an emulator-like process from select().

The serial emulators timestamp bytes when select() returns, so their pause measurements are only
as good as this delay. Run it beside the load you care about (e.g. `ctest -j2`):
    tests/emulators/wake_latency.py --seconds 30
Like serialemu.py it asks for SCHED_FIFO (root) and says whether it got it.
"""

import argparse
import os
import select
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--sleep-ms", type=float, default=5.0, help="select() timeout per sample")
    args = p.parse_args()
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        policy = "SCHED_FIFO"
    except (OSError, AttributeError):
        policy = "normal priority"
    late = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        t = time.monotonic()
        select.select([], [], [], args.sleep_ms / 1000.0)
        late.append((time.monotonic() - t) * 1000.0 - args.sleep_ms)
    late.sort()
    n = len(late)
    q = lambda f: late[min(n - 1, int(n * f))]  # noqa: E731
    print(f"{policy}, {n} wake-ups, load {os.getloadavg()[0]:.1f}: late by p50 {q(0.5):.2f} ms, "
          f"p99 {q(0.99):.2f} ms, p99.9 {q(0.999):.2f} ms, max {late[-1]:.2f} ms; "
          f"{sum(v > 10 for v in late)} over 10 ms, {sum(v > 30 for v in late)} over 30 ms")


if __name__ == "__main__":
    main()
