#!/usr/bin/python3
"""A large journal for bench/serve_load.py, quickly: one night of the simulated lab
(`lockrig run --repeat R`, virtual clock) replicated as further nights through SQL, so the journal's
own triggers keep the aggregate tables exactly as the writer would (each copy of a run gets a new
id, uuid, start date one day later, its locks, labels, sessions, attempts and events).

Usage: serve_journal.py LOCKRIG OUT.db [--repeat 400] [--nights 46]
With the defaults: 46 nights of 21,600 sessions and ~22,000 attempts each, ~1.01 M attempts.
(bench/campaign_bench journals at ~1,200 sessions/s on a loaded 2-core machine and deletes its
journal at the end; this takes a minute or two.) Standard library only.
"""
import argparse
import datetime
import os
import sqlite3
import subprocess
import sys
import uuid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lockrig")
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=400)
    ap.add_argument("--nights", type=int, default=46)
    a = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(a.out + suffix):
            os.unlink(a.out + suffix)
    subprocess.run([a.lockrig, "run", "--db", a.out, "--seed", "11", "--repeat", str(a.repeat),
                    "--quiet", "--progress", "off", "--label", "app=5.3.0"], check=True)
    c = sqlite3.connect(a.out)
    cols = lambda t: [r[1] for r in c.execute(f"PRAGMA table_info({t})")]
    run_cols = [x for x in cols("runs") if x not in ("id", "uuid", "started_at", "ended_at")]
    step = c.execute("SELECT max(id) FROM sessions").fetchone()[0]
    started, ended = c.execute("SELECT started_at, ended_at FROM runs WHERE id = 1").fetchone()
    t0 = datetime.datetime.fromisoformat(started.replace("Z", "+00:00"))
    t1 = datetime.datetime.fromisoformat(ended.replace("Z", "+00:00"))
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    s_cols = [x for x in cols("sessions") if x not in ("id", "run_id")]
    a_cols = [x for x in cols("attempts") if x != "session_id"]
    e_cols = [x for x in cols("events") if x not in ("id", "run_id")]
    for k in range(1, a.nights):
        day = datetime.timedelta(days=-k)  # earlier nights, so run 1 stays the latest date
        c.execute("BEGIN")
        cur = c.execute(f"INSERT INTO runs (uuid, started_at, ended_at, {', '.join(run_cols)}) "
                        f"SELECT ?, ?, ?, {', '.join(run_cols)} FROM runs WHERE id = 1",
                        (str(uuid.uuid4()), iso(t0 + day), iso(t1 + day)))
        rid = cur.lastrowid
        for t in ("run_labels", "run_scenarios", "run_locks"):
            tc = [x for x in cols(t) if x != "run_id"]
            c.execute(f"INSERT INTO {t} (run_id, {', '.join(tc)}) SELECT ?, {', '.join(tc)} "
                      f"FROM {t} WHERE run_id = 1", (rid,))
        off = k * step
        c.execute(f"INSERT INTO sessions (id, run_id, {', '.join(s_cols)}) SELECT id + ?, ?, "
                  f"{', '.join(s_cols)} FROM sessions WHERE run_id = 1", (off, rid))
        c.execute(f"INSERT INTO attempts (session_id, {', '.join(a_cols)}) SELECT session_id + ?, "
                  f"{', '.join(a_cols)} FROM attempts WHERE session_id <= ?", (off, step))
        c.execute(f"INSERT INTO events (run_id, {', '.join(e_cols)}) SELECT ?, {', '.join(e_cols)} "
                  f"FROM events WHERE run_id = 1", (rid,))
        c.execute("COMMIT")
    n = [c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
         for t in ("runs", "sessions", "attempts", "events")]
    c.close()
    print(f"{a.out}: {n[0]} runs, {n[1]:,} sessions, {n[2]:,} attempts, {n[3]:,} events, "
          f"{os.path.getsize(a.out) / 2**20:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
