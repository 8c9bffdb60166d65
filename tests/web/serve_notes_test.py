#!/usr/bin/python3
"""`lockrig serve` shows triage notes (issue 16 item 6, docs/annotate.md): a night of the
simulated lab, notes written with `lockrig annotate` on the run, a lock (a mute) and a session,
each with hostile markup in its text and author. The run, lock and session pages list their notes
as text (escaped), the lock page states the mute, a session page does not show another session's
note, and a page of a journal without notes has no Notes section.

Usage: serve_notes_test.py LOCKRIG_BINARY. Standard library only.
"""
import http.client
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

HOSTILE = "<script>alert('note')</script><img src=x onerror=alert(3)>"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    lockrig = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="lockrig-serve-notes-")
    srv = None
    try:
        db = os.path.join(work, "n.db")
        p = subprocess.run([lockrig, "run", "--db", db, "--seed", "5", "--quiet", "--progress",
                            "off", "--locks", "steel-1,steel-2", "--repeat", "2"], cwd=work,
                           capture_output=True, text=True, timeout=120)
        if p.returncode not in (0, 1):
            sys.exit("FAIL lockrig run: " + p.stdout + p.stderr)
        con = sqlite3.connect(db)
        s1, s2 = [r[0] for r in con.execute(
            "SELECT id FROM sessions WHERE lock_id = 'steel-2' ORDER BY id LIMIT 2")]
        con.close()

        def annotate(*args):
            r = subprocess.run([lockrig, "annotate", "--db", db, "--author", "<b>mallory</b>"] +
                               list(args), capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                sys.exit("FAIL lockrig annotate: " + r.stdout + r.stderr)

        annotate("--run", "1", "run " + HOSTILE)
        annotate("--lock", "steel-2", "--mute-until", "2099-12-31", "lock " + HOSTILE)
        annotate("--session", f"1/{s1}", "session-one " + HOSTILE)

        srv = subprocess.Popen([lockrig, "serve", "--listen", "127.0.0.1:0", "--db", db],
                               cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", srv.stdout.readline())
        if not m:
            sys.exit("FAIL serve did not start: " + srv.stderr.read())
        port = int(m.group(1))

        def get(target):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", target)
            r = c.getresponse()
            body = r.read().decode("utf-8", "replace")
            c.close()
            return r.status, body

        escaped = "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;"
        pages = {"/run?db=0&id=1": ["run ", "session-one "],
                 "/lock?db=0&id=steel-2": ["lock ", "Muted until 2099-12-31"],
                 f"/session?db=0&id={s1}": ["session-one "]}
        for target, needles in pages.items():
            status, body = get(target)
            check(status == 200 and "<h2>Notes</h2>" in body, f"{target} has a Notes section")
            for n in needles:
                check(n in body, f"{target} shows {n!r}")
            check("<script>alert" not in body and "<img src=x" not in body and
                  "<b>mallory" not in body, f"{target}: no hostile markup survives")
            check(escaped in body and "&lt;b&gt;mallory&lt;/b&gt;" in body,
                  f"{target}: the note and its author are shown escaped")
        status, body = get(f"/session?db=0&id={s2}")
        check(status == 200 and "session-one" not in body,
              "another session's page does not show session one's note")
        status, body = get("/lock?db=0&id=steel-1")
        check(status == 200 and "<h2>Notes</h2>" not in body and "Muted until" not in body,
              "a lock without notes has no Notes section and no mute")
    finally:
        if srv:
            srv.send_signal(signal.SIGTERM)
            srv.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
