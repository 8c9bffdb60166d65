#!/usr/bin/python3
"""The HTML report, opened in headless Chromium (Debian's `chromium`).

Journals a run of the simulated lab whose run label and one lock model are hostile markup,
renders `lockrig report --format html`, loads the file in headless Chromium twice (--dump-dom for
the DOM after load, --screenshot for a PNG) and checks that:
  - Chromium exits 0 and the page renders: title, <h1>, the section headings;
  - the three inline SVG charts (forest plot, latency CDFs, per-lock dot plot) are in the DOM with
    drawn content, and their colours are actually painted in the screenshot;
  - no script ran (document.title is unchanged, no <script>/<img> element exists, no marker
    attribute was set) and each hostile label is shown verbatim as text;
  - nothing but the file itself was loaded (no external assets);
  - printed (issue 16 item 4): on a second lab whose wood-2 jams (so it is flagged WORSE against
    wood-1), the report with its @media print rules applied, in a window as wide as an A4 page's
    printable area, has no table wider than the page or scrolling inside itself, the WORSE cell
    is visible inside the page with its row's highlight and print-color-adjust: exact, the
    verdict keeps its colour, the section links are hidden, headings avoid a break after them;
    and `chromium --print-to-pdf` writes a PDF.

Usage: report_html_browser_test.py LOCKRIG_BINARY [--chromium PATH] [--keep DIR]
A missing Chromium is a FAILURE, not a skip (install Debian's `chromium`, see scripts/deps.sh).
Standard library only, run with Debian's /usr/bin/python3.
"""
import argparse
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

# Each payload would change document.title (or set a marker attribute) if it ever executed.
HOSTILE_LABEL = ("<script>document.title='pwned'</script>"
                 "<img src=x onerror=\"document.title='pwned';"
                 "document.documentElement.setAttribute('data-pwned','1')\">")
HOSTILE_MODEL = "<svg onload=\"document.title='pwned'\">Acme</svg>"

EXPECTED_H2 = ["Verdict", "SLI per version", "Comparison: candidate vs baseline", "Release gate (non-inferiority)",
               "Locks", "Failure causes", "Latency", "Assertions", "Rig faults", "Selection"]
# Tall enough for the whole report of the simulated lab, charts included.
SCREEN = (1280, 6400)
DRAWN = {"line", "circle", "path", "rect", "polyline", "polygon"}
# Fill/stroke colours of the charts (render_html.cpp arm_colour): baseline blue, candidate orange.
CHART_COLOURS = {"baseline #0969da": (0x09, 0x69, 0xda), "candidate #d4680f": (0xd4, 0x68, 0x0f)}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def die(msg):
    print("FAIL " + msg)
    sys.exit(1)


def run(cmd, timeout, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    print(f"  $ {' '.join(cmd)[:160]}  -> exit {p.returncode} in {time.monotonic() - t0:.1f}s")
    return p


def find_chromium(explicit):
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    env = os.environ.get("LOCKRIG_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Dom(html.parser.HTMLParser):
    """Elements, attributes and text of the dumped DOM; per-<svg> counts of drawn elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.attrs = []  # (tag, name, value)
        self.svgs = []  # per top-level svg: {tag: count}
        self.svg_depth = 0
        self.stack = []
        self.title = None
        self.h1 = []
        self.h2 = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == "svg":
            if self.svg_depth == 0:
                self.svgs.append({})
            self.svg_depth += 1
        elif self.svg_depth:
            self.svgs[-1][tag] = self.svgs[-1].get(tag, 0) + 1
        if tag not in ("meta", "link", "br", "img", "input", "hr") and tag not in DRAWN:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += [(tag, k, v) for k, v in attrs]
        if self.svg_depth:
            self.svgs[-1][tag] = self.svgs[-1].get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.svg_depth:
            self.svg_depth -= 1
        if tag in self.stack:  # void/drawn elements were never pushed
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        top = self.stack[-1] if self.stack else None
        if top == "title" and "svg" not in self.stack:
            self.title = (self.title or "") + data
        elif top == "h1":
            self.h1.append(data.strip())
        elif top == "h2":
            self.h2.append(data.strip())


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA non-interlaced PNG, stdlib only."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lockrig")
    ap.add_argument("--chromium")
    ap.add_argument("--keep", help="copy the journal, HTML, DOM and PNG here")
    args = ap.parse_args()
    started = time.monotonic()

    lockrig = os.path.abspath(args.lockrig)
    if not os.access(lockrig, os.X_OK):
        die(f"lockrig binary not found or not executable: {lockrig}")
    chromium = find_chromium(args.chromium)
    if not chromium:
        die("headless Chromium not found (looked for --chromium, $LOCKRIG_CHROMIUM, chromium, "
            "chromium-browser on PATH). This test needs it and does not skip: install Debian's "
            "package with `apt-get install chromium fonts-liberation` (scripts/deps.sh).")

    work = tempfile.mkdtemp(prefix="lockrig-html-browser-")
    try:
        # --- the journal: the simulated lab with a hostile lock model, and a hostile label
        src = sim_lab_fixture()
        fixture = os.path.join(work, "hostile-lab.yaml")
        with open(fixture, "w") as f:
            f.write(src.replace("model: Acme Bolt 3, material: steel,",
                            "model: '" + HOSTILE_MODEL.replace("'", "''") + "', material: steel,"))
        db = os.path.join(work, "journal.db")
        p = run([lockrig, "run", "--fixture", fixture, "--db", db, "--seed", "7", "--quiet",
                 "--progress", "off", "--label", "app=5.3.0", "--label", "note=" + HOSTILE_LABEL],
                timeout=60, cwd=work)
        if not check(p.returncode == 0, "lockrig run on the simulated lab exits 0"):
            die(p.stdout + p.stderr)

        # --- the report
        report = os.path.join(work, "report.html")
        p = run([lockrig, "report", "--db", db, "--baseline", "firmware=2.4.0",
                 "--candidate", "firmware=2.4.1", "--format", "html", "--output", report],
                timeout=60, cwd=work)
        if not check(p.returncode == 0 and os.path.getsize(report) > 0,
                     "lockrig report --format html exits 0 and writes the file"):
            die(p.stdout + p.stderr)
        with open(report, encoding="utf-8") as f:
            source = f.read()
        check("<script" not in source.lower(), "the HTML source contains no <script")
        check(HOSTILE_LABEL not in source, "the hostile label is not in the source unescaped")

        # --- Chromium: the DOM after load, and a screenshot
        profile = os.path.join(work, "profile")
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=%d,%d" % SCREEN]
        url = "file://" + report
        p = run(base + ["--dump-dom", url], timeout=45, cwd=work)
        if not check(p.returncode == 0 and "<html" in p.stdout,
                     "chromium --headless --dump-dom exits 0 with a DOM"):
            die("chromium stderr:\n" + p.stderr[-3000:])
        dom_text = p.stdout
        png = os.path.join(work, "report.png")
        p = run(base + ["--screenshot=" + png, url], timeout=45, cwd=work)
        check(p.returncode == 0 and os.path.exists(png), "chromium --screenshot exits 0 with a PNG")
        if p.returncode != 0:
            print(p.stderr[-3000:])
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for name in ("journal.db", "report.html", "report.png", "hostile-lab.yaml"):
                if os.path.exists(os.path.join(work, name)):
                    shutil.copy(os.path.join(work, name), args.keep)
            with open(os.path.join(args.keep, "dom.html"), "w") as f:
                f.write(dom_text)

        # --- it renders
        dom = Dom()
        dom.feed(dom_text)
        title = (dom.title or "").strip()
        check(title.startswith("lockrig report: candidate firmware=2.4.1 vs baseline "
                               "firmware=2.4.0"), f"document title is the report's ({title!r})")
        check(dom.h1 == ["lockrig report"], f"<h1> is 'lockrig report' ({dom.h1})")
        for h in EXPECTED_H2:
            check(h in dom.h2, f"section heading <h2>{h}</h2> is present")

        # --- the charts are present and drawn
        check(len(dom.svgs) >= 3, f"at least 3 inline <svg> charts in the DOM ({len(dom.svgs)})")
        for i, svg in enumerate(dom.svgs):
            drawn = sum(n for t, n in svg.items() if t in DRAWN)
            check(drawn >= 3 and svg.get("text", 0) >= 2,
                  f"svg #{i + 1} has drawn content ({drawn} shapes, {svg.get('text', 0)} texts)")
        labels = [v for t, k, v in dom.attrs if t == "svg" and k == "aria-label"]
        for chart in ("Forest plot", "Latency CDF", "per lock"):
            check(any(chart.lower() in (v or "").lower() for v in labels),
                  f"a chart whose aria-label mentions {chart!r} ({labels})")
        check(sum(svg.get("circle", 0) for svg in dom.svgs) >= 8,
              "the per-lock dot plot has a dot per lock (>= 8 circles)")

        # --- nothing executed, hostile labels are text
        check("pwned" not in title, "document.title was not changed by a script")
        check(not any(k == "data-pwned" for _, k, _ in dom.attrs), "no marker attribute was set")
        check("script" not in dom.tags, "no <script> element in the DOM")
        check("img" not in dom.tags, "no <img> element in the DOM")
        check(not any(k.startswith("on") for _, k, _ in dom.attrs), "no on* handler attribute")
        text = "".join(dom.text)
        check(HOSTILE_LABEL in text, "the hostile run label is shown verbatim as text")
        check(HOSTILE_MODEL in text, "the hostile lock model is shown verbatim as text")
        check(dom.tags.get("svg", 0) == len(dom.svgs) and all(
            "svg" not in svg for svg in dom.svgs), "the hostile <svg> model made no element")
        # no external assets: every src/href in the DOM is a same-document anchor
        ext = [(t, k, v) for t, k, v in dom.attrs if k in ("src", "href", "xlink:href")
               and v and not v.startswith("#")]
        check(not ext, f"no external asset references ({ext[:3]})")

        # --- the screenshot is non-trivial and shows the charts' colours
        if os.path.exists(png):
            size = os.path.getsize(png)
            check(size > 50_000, f"screenshot PNG is non-trivial ({size} bytes)")
            try:
                w, h, bpp, rows = png_pixels(png)
                check((w, h) == SCREEN, f"screenshot is {SCREEN[0]}x{SCREEN[1]} ({w}x{h})")
                seen = {name: 0 for name in CHART_COLOURS}
                for row in rows:
                    for x in range(0, w * bpp, bpp):
                        px = (row[x], row[x + 1], row[x + 2])
                        for name, c in CHART_COLOURS.items():
                            if all(abs(px[j] - c[j]) <= 8 for j in range(3)):
                                seen[name] += 1
                for name, n in seen.items():
                    check(n >= 200, f"{name} is painted in the screenshot ({n} pixels)")
            except (ValueError, TypeError, zlib.error) as e:
                check(False, f"screenshot PNG decodes ({e})")
        check_print(lockrig, chromium, base, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failure(s) in "
          f"{time.monotonic() - started:.1f}s")
    return 1 if failures else 0


# A4 is 210 mm wide; less the 12 mm margins of the print rules (@page) that leaves 186 mm, at CSS's
# 96 px per inch 703 px (Letter leaves 725 px, so A4 is the narrower).
A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)

# Run in the print-emulating copy only: measures what the print rules did and writes it into the
# DOM, which --dump-dom then returns.
MEASURE_SCRIPT = """<script>
(function () {
  var W = document.documentElement.clientWidth, tables = [], worse = [];
  document.querySelectorAll('table').forEach(function (t, i) {
    var r = t.getBoundingClientRect();
    tables.push({i: i, left: r.left, right: r.right, scroll: t.scrollWidth, client: t.clientWidth,
                 cols: t.rows.length ? t.rows[0].cells.length : 0,
                 head: t.rows.length ? t.rows[0].textContent.slice(0, 60) : ''});
  });
  document.querySelectorAll('td').forEach(function (td) {
    if (td.textContent !== 'WORSE') return;
    var r = td.getBoundingClientRect(), cs = getComputedStyle(td);
    worse.push({left: r.left, right: r.right, width: r.width, visibility: cs.visibility,
                display: cs.display, bg: cs.backgroundColor,
                adjust: cs.printColorAdjust || cs.webkitPrintColorAdjust || ''});
  });
  var verdict = document.querySelector('.verdict.fail, .verdict.pass, .verdict.inconclusive');
  var m = {W: W, docScroll: document.documentElement.scrollWidth, tables: tables, worse: worse,
           nav: getComputedStyle(document.querySelector('nav')).display,
           verdictBg: verdict ? getComputedStyle(verdict).backgroundColor : '',
           h2BreakAfter: getComputedStyle(document.querySelector('h2')).breakAfter};
  var pre = document.createElement('pre');
  pre.id = 'print-measure';
  pre.textContent = 'MEASURE' + JSON.stringify(m) + 'END';
  document.body.appendChild(pre);
})();
</script>"""


def check_print(lockrig, chromium, base, work):
    """The report as printed: the @media print rules applied at an A4 page's width."""
    import json
    import re
    src = sim_lab_fixture()
    jammed = src.replace("slot: A2, driver: sim, settings: {firmware: 2.4.1}}",
                         "slot: A2, driver: sim, settings: {firmware: 2.4.0, jam_rate: 0.3}}")
    if not check(jammed != src, "the print lab's fixture gives wood-2 a jamming bolt"):
        return
    fixture = os.path.join(work, "jammed-lab.yaml")
    with open(fixture, "w") as f:
        f.write(jammed)
    db = os.path.join(work, "print.db")
    p = run([lockrig, "run", "--fixture", fixture, "--db", db, "--seed", "7", "--quiet",
             "--progress", "off"], timeout=120, cwd=work)
    if not check(p.returncode in (0, 1), "lockrig run on the jammed lab finishes"):
        print(p.stdout + p.stderr)
        return
    report = os.path.join(work, "print.html")
    p = run([lockrig, "report", "--db", db, "--baseline", "firmware=2.4.0",
             "--candidate", "firmware=2.4.1", "--format", "html", "--output", report],
            timeout=60, cwd=work)
    if not check(p.returncode == 0, "lockrig report --format html on the jammed lab exits 0"):
        print(p.stdout + p.stderr)
        return
    with open(report, encoding="utf-8") as f:
        source = f.read()
    check("<td>WORSE</td>" in source, "the jammed lock is flagged WORSE in the report")
    check("@media print{" in source, "the report has @media print rules")
    # The print rules applied on screen: what a browser does when it prints, minus the paper.
    emulated = os.path.join(work, "print-emulated.html")
    with open(emulated, "w", encoding="utf-8") as f:
        f.write(source.replace("@media print{", "@media all{").replace(
            "</body>", MEASURE_SCRIPT + "\n</body>"))
    argv = [a for a in base if not a.startswith("--window-size=")]
    argv.append("--window-size=%d,4000" % A4_PRINTABLE_PX)
    p = run(argv + ["--dump-dom", "file://" + emulated], timeout=45, cwd=work)
    found = re.search(r'id="print-measure">MEASURE(.*?)END</pre>', p.stdout, re.S)
    if not check(p.returncode == 0 and found, "chromium measured the report with its print rules"):
        print(p.stderr[-2000:])
        return
    m = json.loads(html.unescape(found.group(1)))
    page = m["W"]
    check(page == A4_PRINTABLE_PX, f"the page is {A4_PRINTABLE_PX} px wide ({page})")
    check(len(m["tables"]) >= 8, f"the report's tables were measured ({len(m['tables'])})")
    for t in m["tables"]:
        check(t["left"] >= -0.5 and t["right"] <= page + 0.5 and t["scroll"] <= t["client"] + 1,
              f"table {t['i']} ({t['cols']} columns: {t['head'][:40]!r}) fits the page: "
              f"{t['left']:.0f}..{t['right']:.0f} px, content {t['scroll']} in {t['client']} px")
    check(m["docScroll"] <= page + 1, f"nothing overflows the page ({m['docScroll']} px)")
    check(len(m["worse"]) >= 1, f"the WORSE flag is in a table cell ({len(m['worse'])})")
    for w in m["worse"]:
        check(w["display"] != "none" and w["visibility"] == "visible" and w["width"] > 10
              and w["right"] <= page + 0.5,
              f"the WORSE cell is shown inside the page ({w['left']:.0f}..{w['right']:.0f} px)")
        check(w["bg"] not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"),
              f"the WORSE row keeps its highlight ({w['bg']})")
        check(w["adjust"] == "exact", f"print-color-adjust is exact ({w['adjust']!r})")
    check(m["verdictBg"] not in ("", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"),
          f"the verdict keeps its colour ({m['verdictBg']})")
    check(m["nav"] == "none", f"the section links are not printed (nav {m['nav']})")
    check(m["h2BreakAfter"] == "avoid", f"headings avoid a page break after them "
                                        f"({m['h2BreakAfter']})")
    pdf = os.path.join(work, "print.pdf")
    p = run(argv + ["--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + report],
            timeout=60, cwd=work)
    ok = p.returncode == 0 and os.path.exists(pdf)
    if ok:
        with open(pdf, "rb") as f:
            head = f.read(5)
        ok = head == b"%PDF-" and os.path.getsize(pdf) > 10_000
    check(ok, "chromium --print-to-pdf prints the report")


def sim_lab_fixture():
    """The built-in simulated lab, as `lockrig` embeds it (readable as '<embedded>/...')."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "fixtures", "sim-lab.yaml")
    with open(path, encoding="utf-8") as f:
        return f.read()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.TimeoutExpired as e:
        die(f"timed out: {' '.join(map(str, e.cmd))[:200]}")
