#!/usr/bin/python3
"""`lockrig serve` /history (issue 16 item 2): three simulated nights, one firmware build each, the
third jamming a quarter of its unlocks. The page must be the document `lockrig report --history
firmware --format html` writes (compared byte for byte, generation time masked), name the third
build, link from every page's navigation, refuse bad parameters with 400 naming the value, and
leave the journal byte-identical.

Usage: serve_history_test.py LOCKRIG_BINARY. Standard library only.
"""
import hashlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def get(port, target):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", target)
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, body


def mask_time(html):
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME", html)


def main():
    lockrig = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="lockrig-serve-history-")
    srv = None
    try:
        with open(os.path.join(here, "..", "..", "fixtures", "sim-sequential.yaml")) as f:
            base = f.read()
        profiles = ('      "2.4.0": {jam_rate: 0.005}\n      "2.4.0-rebuild": {jam_rate: 0.005}\n'
                    '      "2.4.1": {jam_rate: 0.010}\n')
        if profiles not in base:
            sys.exit("FAIL sim-sequential.yaml changed: its firmware profiles are not as expected")
        base = base.replace(profiles, "      fw-a: {jam_rate: 0.005}\n      fw-b: {jam_rate: 0.005}\n"
                                      "      fw-c: {jam_rate: 0.25}\n")
        db = os.path.join(work, "n.db")
        for seed, build in enumerate(["fw-a", "fw-b", "fw-c"], start=21):
            fixture = os.path.join(work, build + ".yaml")
            with open(fixture, "w") as f:
                f.write(base.replace("settings: {firmware: 2.4.0}", "settings: {firmware: %s}" % build))
            p = subprocess.run([lockrig, "run", "--fixture", fixture, "--scenario",
                                os.path.join(here, "..", "..", "scenarios", "door-materials.yaml"),
                                "--repeat", "25", "--seed", str(seed), "--db", db, "--progress",
                                "off", "-q"], cwd=work, capture_output=True, text=True, timeout=120)
            if p.returncode not in (0, 1):
                sys.exit("FAIL lockrig run: " + p.stdout + p.stderr)
        before = hashlib.sha256(open(db, "rb").read()).hexdigest()

        proc = subprocess.Popen([lockrig, "serve", "--listen", "127.0.0.1:0", "--db", db],
                                cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        srv = proc
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())
        if not m:
            proc.kill()
            sys.exit("FAIL serve did not say where it listens: " + proc.stderr.read())
        port = int(m.group(1))

        status, page = get(port, "/history")
        check(status == 200, "/history answers 200 (%d)" % status)
        check("firmware fw-c is the first build whose SLI is significantly below" in page,
              "/history names fw-c as the change point")
        check("<svg" in page and 'class="build change-point"' in page,
              "/history draws the chart with the change point marked")
        cli = subprocess.run([lockrig, "report", "--db", db, "--history", "firmware", "--format",
                              "html"], cwd=work, capture_output=True, text=True, timeout=60)
        check(cli.returncode == 0 and mask_time(cli.stdout) == mask_time(page),
              "/history is the document `report --history firmware --format html` writes")
        status, runs = get(port, "/")
        check(status == 200 and 'href="/history"' in runs, "the navigation links /history")
        status, body = get(port, "/history?by=firmwear")
        check(status == 400 and ("&quot;firmwear&quot;" in body or '"firmwear"' in body),
              "an unknown attribute is 400 with the value quoted (%d)" % status)
        status, body = get(port, "/history?by=Bad%21")
        check(status == 400 and "by" in body, "a malformed attribute is 400 (%d)" % status)
        status, body = get(port, "/history?nonsense=1")
        check(status == 400, "an unknown parameter is 400 (%d)" % status)
        status, body = get(port, "/history?last=2")
        check(status == 200 and "fw-b" in body and "fw-a" not in body,
              "last=2 keeps only the last two nights")
        after = hashlib.sha256(open(db, "rb").read()).hexdigest()
        check(before == after, "the journal is byte-identical after the requests")
    finally:
        if srv is not None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=20)
            except subprocess.TimeoutExpired:
                srv.kill()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
