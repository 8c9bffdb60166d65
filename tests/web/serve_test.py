#!/usr/bin/python3
"""`lockrig serve` black-box (issue 16): start it on an ephemeral port of 127.0.0.1 against
journals of the simulated lab and check every route with http.client.

  - the runs page, a night, a lock, a session, the report, the SLO and /api/runs answer 200, over
    two journals (db=0, db=1);
  - the comparison page is the same document as `lockrig report --format html` (figures
    identical: the two are compared byte for byte, only the generation time masked); /slo likewise
    with `lockrig slo --format html`;
  - a hostile run label and lock model are shown as text, never as markup;
  - unknown route 404, malformed or unknown parameter 400 naming it, path traversal refused (400),
    POST/PUT/DELETE 405;
  - the journal file is byte-identical after every route was hit (and serve works on a file
    without write permission);
  - a report page kept for an unchanged journal is recomputed once a run wrote it;
  - /api/runs counts what the journal holds (counted here with Python's sqlite3) and advances
    while a real-clock run writes the journal, which is not blocked by the readers;
  - --listen on a non-loopback address without --token is refused (exit 2); with --token, a
    request without it is 401.

Usage: serve_test.py LOCKRIG_BINARY [--keep DIR]. Standard library only.
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HOSTILE_LABEL = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
HOSTILE_MODEL = "<svg onload=alert(2)>Acme</svg>"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def die(msg):
    print("FAIL " + msg)
    sys.exit(1)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Server:
    def __init__(self, lockrig, args, cwd):
        self.p = subprocess.Popen([lockrig, "serve", "--listen", "127.0.0.1:0"] + args, cwd=cwd,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.p.kill()
            die("serve did not say where it listens: " + line + self.p.stderr.read())
        self.port = int(m.group(1))

    def get(self, target, method="GET", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, body, dict(r.getheaders())

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return -1


def mask_time(html):
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME", html)


def main():
    lockrig = os.path.abspath(sys.argv[1])
    keep = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--keep" else None
    work = tempfile.mkdtemp(prefix="lockrig-serve-")
    here = os.path.dirname(os.path.abspath(__file__))
    servers = []
    try:
        with open(os.path.join(here, "..", "..", "fixtures", "sim-lab.yaml")) as f:
            src = f.read()
        fixture = os.path.join(work, "hostile-lab.yaml")
        with open(fixture, "w") as f:
            f.write(src.replace("model: Acme Bolt 3, material: steel,",
                                "model: '" + HOSTILE_MODEL + "', material: steel,"))
        a = os.path.join(work, "a.db")
        b = os.path.join(work, "b.db")
        for db, extra in ((a, ["--fixture", fixture, "--label", "note=" + HOSTILE_LABEL]),
                          (b, ["--locks", "wood-1,wood-2", "--repeat", "3"])):
            p = subprocess.run([lockrig, "run", "--db", db, "--seed", "7", "--quiet", "--progress",
                                "off", "--label", "app=5.3.0"] + extra, cwd=work,
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                die("lockrig run: " + p.stdout + p.stderr)
        os.chmod(a, 0o444)  # serve must not need to write it
        before = sha256(a)

        srv = Server(lockrig, ["--db", a, "--db", b], work)
        servers.append(srv)
        con = sqlite3.connect("file:" + a + "?mode=ro", uri=True)
        sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
        sli = con.execute("SELECT count(*), sum(sli_success) FROM sessions WHERE sli_eligible")\
            .fetchone()
        failed_id = con.execute("SELECT id FROM sessions WHERE result <> 'pass' LIMIT 1")\
            .fetchone()
        any_id = con.execute("SELECT id FROM sessions ORDER BY id LIMIT 1").fetchone()[0]
        con.close()
        session_id = failed_id[0] if failed_id else any_id

        # --- every page answers
        pages = {
            "/": "Runs", "/api/runs": '"runs"', "/run?db=0&id=1": "Locks",
            "/run?db=1&id=1": "wood-1", "/lock?db=0&id=steel-1": "Lock steel-1",
            f"/session?db=0&id={session_id}": "Attempts",
            "/report?db=0&by=firmware&baseline=2.4.0&candidate=2.4.1": "lockrig report",
            "/report?db=0&run=" : None,  # filled below
            "/slo?db=0": "SLO", "/slo?db=1&target=99%25&by=lock": "SLO",
            "/static/live.js": "api/runs",
        }
        del pages["/report?db=0&run="]
        bodies = {}
        for target, needle in pages.items():
            status, body, headers = srv.get(target)
            bodies[target] = body
            check(status == 200 and needle in body, f"GET {target} -> {status}, has {needle!r}")
        status, _, headers = srv.get("/", method="HEAD")
        check(status == 200, f"HEAD / -> {status}")
        check("script-src 'self'" in headers.get("Content-Security-Policy", ""),
              "pages carry a Content-Security-Policy without inline scripts")

        # --- the runs JSON counts what the journal holds
        doc = json.loads(bodies["/api/runs"])
        run_a = [r for r in doc["runs"] if r["db"] == 0][0]
        check(run_a["done"] == sessions, f"/api/runs done {run_a['done']} = sessions in the "
                                         f"journal {sessions}")
        check(run_a["sli_sessions"] == sli[0] and run_a["sli_success"] == sli[1],
              f"/api/runs SLI {run_a['sli_success']}/{run_a['sli_sessions']} = journal "
              f"{sli[1]}/{sli[0]}")
        check(run_a["planned"] == sessions and run_a["status"] == "completed",
              f"a finished run: planned {run_a['planned']}, status {run_a['status']}")
        check(len([r for r in doc["runs"] if r["db"] == 1]) == 1, "the second journal's run is listed")

        # --- the comparison page and the SLO page are the command-line documents
        for target, cmd in (
                ("/report?db=0&by=firmware&baseline=2.4.0&candidate=2.4.1",
                 ["report", "--db", a, "--baseline", "firmware=2.4.0", "--candidate",
                  "firmware=2.4.1", "--format", "html"]),
                ("/slo?db=0", ["slo", "--db", a, "--format", "html"])):
            p = subprocess.run([lockrig] + cmd, capture_output=True, text=True, timeout=60, cwd=work)
            same = mask_time(p.stdout) == mask_time(bodies[target])
            check(p.returncode == 0 and same,
                  f"{target} is `lockrig {' '.join(cmd[:1])} --format html` byte for byte "
                  f"(generation time masked)")
        pcts = re.findall(r"\d+\.\d\d%", bodies["/report?db=0&by=firmware&baseline=2.4.0&"
                                                "candidate=2.4.1"])
        check(len(pcts) > 5, f"the comparison page shows figures ({len(pcts)} percentages)")

        # --- hostile labels are text
        for target in ("/", "/run?db=0&id=1", "/lock?db=0&id=steel-1"):
            body = bodies.get(target) or srv.get(target)[1]
            check("<script>document.title" not in body and "<svg onload" not in body and
                  "<img src=x" not in body, f"{target}: no hostile markup survives")
        check("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in bodies["/"],
              "the hostile label is shown escaped on the runs page")
        check("&lt;svg onload=alert(2)&gt;Acme&lt;/svg&gt;" in srv.get("/lock?db=0&id=steel-1")[1],
              "the hostile lock model is shown escaped on the lock page")

        # --- bad input
        bad = [
            ("/nope", 404, "no page"),
            ("/run?db=0&id=999", 404, "no run 999"),
            ("/lock?db=0&id=no-such-lock", 404, "no lock"),
            ("/session?db=0&id=99999999", 404, "no session"),
            ("/run?db=0&id=abc", 400, "parameter id must be a whole number"),
            ("/run?db=0&id=1&id=2", 400, "given twice"),
            ("/run?db=0&id=1&colour=red", 400, "unknown parameter"),
            ("/run?db=5&id=1", 400, "parameter db"),
            ("/run?db=0&id=%zz", 400, "malformed percent-escape"),
            ("/lock?db=0&id=..%2F..%2Fetc%2Fpasswd", 400, "path separators"),
            ("/lock?db=0&id=..", 400, "path separators"),
            ("/../../etc/passwd", 400, "path traversal refused"),
            ("/static/..%2F..%2Fetc%2Fpasswd", 400, "path traversal refused"),
            ("/report?db=0&baseline=2.4.0", 400, "both baseline and candidate"),
            ("/report?db=0&baseline=-x&candidate=2.4.1", 400, "starts with"),
            ("/report?db=0&by=Firm%20ware&baseline=1&candidate=2", 400, "attribute name"),
            ("/slo?db=0&target=150%25", 400, "--target"),
        ]
        for target, want, needle in bad:
            status, body, _ = srv.get(target)
            check(status == want and needle in body,
                  f"GET {target} -> {status} (want {want}) naming {needle!r}")
        for method in ("POST", "PUT", "DELETE"):
            status, _, headers = srv.get("/run?db=0&id=1", method=method)
            check(status == 405 and headers.get("Allow") == "GET, HEAD", f"{method} -> {status}")

        check(sha256(a) == before, "the journal file is byte-identical after every route")

        check(srv.get("/report?db=1")[0] == 200, "the report of the second journal (kept)")

        # --- live: a real-clock run appends to b.db while serve reads it
        live = subprocess.Popen([lockrig, "run", "--db", b, "--clock", "real", "--locks", "wood-1",
                                 "--repeat", "1000", "--progress", "off", "--quiet",
                                 "--label", "build=live"], cwd=work,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(seen)) < 3:
            doc = json.loads(srv.get("/api/runs")[1])
            mine = [r for r in doc["runs"] if r["db"] == 1 and r["id"] == 2]
            if mine and mine[0]["status"] == "running":
                seen.append(mine[0]["done"])
                planned = mine[0]["planned"]
            # Readers in parallel with the writer: the night page too.
            srv.get("/run?db=1&id=2")
            time.sleep(0.3)
        check(len(set(seen)) >= 3 and seen == sorted(seen),
              f"the live run's done count advances while it writes ({sorted(set(seen))[:6]}...)")
        check(bool(seen) and planned > max(seen), "the live run shows its planned total")
        status, body, _ = srv.get("/")
        check('id="r1-2-eta"' in body and "running" in body, "the runs page shows the running night")
        live.send_signal(signal.SIGINT)
        rc = live.wait(timeout=60)
        check(rc == 130, f"the run was never blocked and stops on SIGINT as usual (exit {rc})")
        doc = json.loads(srv.get("/api/runs")[1])
        mine = [r for r in doc["runs"] if r["db"] == 1 and r["id"] == 2][0]
        check(mine["status"] == "aborted", f"after SIGINT the night is {mine['status']}")
        # The report page of b.db was computed (and kept) before the live run; after it, the
        # page must be the CLI's again, not the kept one.
        p = subprocess.run([lockrig, "report", "--db", b, "--format", "html"], capture_output=True,
                           text=True, timeout=60, cwd=work)
        check(mask_time(srv.get("/report?db=1")[1]) == mask_time(p.stdout),
              "a kept report page is recomputed once the journal changed")
        check(srv.stop() == 0, "serve stops on SIGTERM with exit 0")

        # --- listening beyond loopback
        p = subprocess.run([lockrig, "serve", "--db", b, "--listen", "0.0.0.0:0"],
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 2 and "--token" in p.stderr,
              f"--listen 0.0.0.0 without --token is refused (exit {p.returncode})")
        p = subprocess.run([lockrig, "serve", "--db", os.path.join(work, "missing.db"), "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=20)
        check(p.returncode == 2 and "missing.db" in p.stderr,
              f"a missing journal is an error at start naming it (exit {p.returncode})")
        p = subprocess.run([lockrig, "serve", "--db", b, "--listen", "localhost:99999"],
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 2 and "99999" in p.stderr, "a bad --listen is refused naming it")
        tok = Server(lockrig, ["--db", b, "--token", "s3cret"], work)
        servers.append(tok)
        check(tok.get("/")[0] == 401, "with --token, a request without it is 401")
        check(tok.get("/", headers={"Authorization": "Bearer wrong"})[0] == 401, "a wrong token is 401")
        check(tok.get("/", headers={"Authorization": "Bearer s3cret"})[0] == 200,
              "the bearer token is accepted")
        status, _, headers = tok.get("/?token=s3cret")
        check(status == 200 and "lockrig_token=s3cret" in headers.get("Set-Cookie", ""),
              "?token= once sets the cookie")
        check(tok.get("/run?db=0&id=1", headers={"Cookie": "lockrig_token=s3cret"})[0] == 200,
              "the cookie is accepted")
        tok.stop()
    finally:
        for s in servers:
            if s.p.poll() is None:
                s.p.kill()
        if keep:
            shutil.copytree(work, keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
