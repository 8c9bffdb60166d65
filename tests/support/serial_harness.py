#!/usr/bin/python3
"""Runs a command against emulated serial devices through the real libserialport path.

    serial_harness.py --shim libpty_modem_shim.so --state-dir DIR \\
        --device "ttyS0=lcus --model lcus-4" \\
        --device "ttyUSB0=korad --identity old" --usb ttyUSB0=0416:5011:EMU001 \\
        -- lockrig run --fixture bench.yaml ...

For every --device NAME=EMULATOR [ARGS] it starts tests/emulators/EMULATOR_emulator.py on a pty
and makes /dev/NAME that pty, in a private mount namespace so nothing outside changes:
  - the pty is bind-mounted over /dev/NAME (an overlay on /dev provides nodes that do not exist);
  - libserialport only opens ports it finds in /sys/class/tty, so missing entries are added on a
    tmpfs laid over that directory; --usb gives an entry a USB identity (vendor, product, serial,
    seen by sp_list_ports and lookups by VID:PID) and a /dev/serial/by-id/ link;
  - the command runs with LD_PRELOAD=SHIM, whose ioctl() lets the modem-line requests that ptys
    refuse (TIOCMGET/SET/BIS/BIC) succeed.

The command sees LOCKRIG_EMU_STATE_DIR=DIR. Per device, DIR holds NAME.json (the emulator's state,
rewritten after every command), NAME.log (one line per command), NAME.out (emulator stderr) and
devices.json (NAME -> device path, by-id link, emulator). SIGTERM and SIGINT sent to the harness
are passed on to the command while the emulators keep recording. The harness exits with the
command's status (128+N if a signal N killed it), 77 when not root (tests treat it as skipped),
124 on --timeout and 125 when it could not set up the devices.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATORS = os.path.join(os.path.dirname(HERE), "emulators")
PYTHON = "/usr/bin/python3"
INNER = "LOCKRIG_SERIAL_HARNESS_WORK"
SKIP = 77
SETUP_FAILED = 125


class SetupError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        usage="%(prog)s [options] --device NAME=EMULATOR [ARGS] ... -- COMMAND [ARGS...]")
    p.add_argument("--device", action="append", default=[], metavar="NAME=EMULATOR [ARGS]",
                   help="emulated device: /dev/NAME speaks EMULATOR (lcus, numato, kmtronic, "
                        "devantech, korad, scpi or a script path) with its own ARGS")
    p.add_argument("--usb", action="append", default=[], metavar="NAME=VID:PID[:SERIAL]",
                   help="give /dev/NAME this USB identity and a /dev/serial/by-id/ link")
    p.add_argument("--shim", default=os.environ.get("LOCKRIG_PTY_SHIM"),
                   help="the LD_PRELOAD modem-line shim (default: $LOCKRIG_PTY_SHIM)")
    p.add_argument("--state-dir", required=True, help="directory for state, logs and output")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="kill the command after this many seconds (exit 124)")
    if "--" not in argv:
        p.error("missing `-- COMMAND`")
    split = argv.index("--")
    args = p.parse_args(argv[:split])
    args.command = argv[split + 1:]
    if not args.command:
        p.error("missing the command after `--`")
    if not args.device:
        p.error("at least one --device is needed")
    if not args.shim or not os.path.exists(args.shim):
        p.error(f"shim not found: {args.shim!r} (give --shim or set LOCKRIG_PTY_SHIM)")
    args.devices = []
    for spec in args.device:
        name, sep, rest = spec.partition("=")
        words = shlex.split(rest)
        if not sep or not name or "/" in name or not words:
            p.error(f"--device {spec!r} is not NAME=EMULATOR [ARGS]")
        script = words[0] if "/" in words[0] else \
            os.path.join(EMULATORS, f"{words[0]}_emulator.py")
        if not os.path.exists(script):
            p.error(f"no emulator {words[0]!r} (looked for {script})")
        args.devices.append({"name": name, "emulator": words[0], "script": script,
                             "args": words[1:], "usb": None})
    names = [d["name"] for d in args.devices]
    if len(set(names)) != len(names):
        p.error("each --device NAME may appear once")
    for spec in args.usb:
        name, sep, ident = spec.partition("=")
        parts = ident.split(":")
        if not sep or name not in names or len(parts) not in (2, 3) or \
                not all(len(x) == 4 for x in parts[:2]):
            p.error(f"--usb {spec!r} is not NAME=VID:PID[:SERIAL] for a --device NAME")
        try:
            vid, pid = (int(x, 16) for x in parts[:2])
        except ValueError:
            p.error(f"--usb {spec!r}: VID and PID must be 4 hex digits")
        dev = args.devices[names.index(name)]
        dev["usb"] = {"vid": vid, "pid": pid,
                      "serial": parts[2] if len(parts) == 3 else f"EMU{names.index(name):05d}"}
    args.state_dir = os.path.abspath(args.state_dir)
    args.shim = os.path.abspath(args.shim)
    return args


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed: {result.stdout.strip()}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def submounts_of_dev():
    """Mount points below /dev, shallowest first (/dev/pts, /dev/shm, ...)."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            if point.startswith("/dev/") and point not in points:
                points.append(point)
    return sorted(points, key=lambda p: p.count("/"))


def overlay_dev(work):
    """Makes /dev writable in this namespace: an overlay whose upper layer lives in `work`."""
    keep = []
    for i, point in enumerate(submounts_of_dev()):
        if any(point.startswith(k + "/") for k, _ in keep):
            continue  # carried along by its parent's recursive bind
        holder = os.path.join(work, f"dev-keep-{i}")
        os.makedirs(holder)
        run(["mount", "--rbind", point, holder])
        keep.append((point, holder))
    upper, lower_work = os.path.join(work, "dev-upper"), os.path.join(work, "dev-work")
    os.makedirs(upper)
    os.makedirs(lower_work)
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir=/dev,upperdir={upper},workdir={lower_work}", "/dev"])
    for point, holder in keep:
        run(["mount", "--move", holder, point])


def fake_sysfs(work, devices):
    """Lays a tmpfs over /sys/class/tty holding the real entries plus the emulated ones."""
    root = os.path.join(work, "sysfs")
    class_tty = os.path.join(root, "class-tty")
    os.makedirs(class_tty)
    for entry in os.listdir("/sys/class/tty"):
        target = os.readlink(os.path.join("/sys/class/tty", entry))
        os.symlink(os.path.normpath(os.path.join("/sys/class/tty", target)),
                   os.path.join(class_tty, entry))
    for k, dev in enumerate(devices, start=1):
        name = dev["name"]
        usb = dev["usb"]
        if usb is None and os.path.exists(os.path.join("/sys/class/tty", name)):
            continue
        if usb:
            # The layout libserialport walks: <tty>/device is the port, whose ancestors hold the
            # USB descriptor files (busnum, devnum, idVendor, idProduct, strings).
            usb_dev = os.path.join(root, "devices", "pci0000:00", "0000:00:14.0", "usb1", f"1-{k}")
            port = os.path.join(usb_dev, f"1-{k}:1.0", name)
            os.makedirs(port)
            for key, value in (("busnum", "1"), ("devnum", str(k + 1)),
                               ("idVendor", f"{usb['vid']:04x}"), ("idProduct", f"{usb['pid']:04x}"),
                               ("manufacturer", "lockrig"),
                               ("product", f"emulated {dev['emulator']}"),
                               ("serial", usb["serial"])):
                write(os.path.join(usb_dev, key), value)
        else:
            # No "usb", "virtual" or "serial8250" in the path: a plain native port.
            port = os.path.join(root, "devices", "platform", f"lockrig-emulated.{k}")
            os.makedirs(port)
        tty_dir = os.path.join(port, "tty", name)
        os.makedirs(tty_dir)
        os.symlink(port, os.path.join(tty_dir, "device"))
        target = os.path.join(class_tty, name)
        if os.path.lexists(target):
            os.unlink(target)
        os.symlink(tty_dir, target)
    run(["mount", "--bind", class_tty, "/sys/class/tty"])


def start_emulators(args):
    for dev in args.devices:
        name = dev["name"]
        base = os.path.join(args.state_dir, name)
        dev["link"] = base + ".pty"
        dev["state"] = base + ".json"
        dev["log"] = base + ".log"
        for path in (dev["link"], dev["state"], dev["log"]):
            if os.path.lexists(path):
                os.unlink(path)
        out = open(base + ".out", "w")
        dev["process"] = subprocess.Popen(
            [PYTHON, dev["script"], *dev["args"], "--link", dev["link"], "--state", dev["state"],
             "--log", dev["log"]], stdout=out, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))  # keep the source tree clean
    deadline = time.monotonic() + 10
    for dev in args.devices:
        while not (os.path.islink(dev["link"]) and os.path.exists(dev["state"])):
            if dev["process"].poll() is not None:
                with open(os.path.join(args.state_dir, dev["name"] + ".out")) as f:
                    raise SetupError(f"emulator for {dev['name']} exited: {f.read().strip()}")
            if time.monotonic() > deadline:
                raise SetupError(f"emulator for {dev['name']} did not create {dev['link']}")
            time.sleep(0.01)
        dev["pty"] = os.path.realpath(dev["link"])


def stop_emulators(args):
    for dev in args.devices:
        proc = dev.get("process")
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for dev in args.devices:
        proc = dev.get("process")
        if proc:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def provision(args, work):
    devices = args.devices
    need_dev = any(d["usb"] or not os.path.exists("/dev/" + d["name"]) for d in devices)
    need_sys = any(d["usb"] or not os.path.exists("/sys/class/tty/" + d["name"])
                   for d in devices)
    run(["mount", "-t", "tmpfs", "lockrig-serial", work])
    if need_dev:
        overlay_dev(work)
    if need_sys:
        fake_sysfs(work, devices)
    for dev in devices:
        node = "/dev/" + dev["name"]
        if not os.path.exists(node):
            open(node, "w").close()
        run(["mount", "--bind", dev["pty"], node])
        dev["device"] = node
        dev["by_id"] = None
        if dev["usb"]:
            by_id = "/dev/serial/by-id"
            os.makedirs(by_id, exist_ok=True)
            link = os.path.join(by_id, f"usb-lockrig_emulated_{dev['emulator']}_"
                                       f"{dev['usb']['serial']}-if00-port0")
            os.symlink("../../" + dev["name"], link)
            dev["by_id"] = link


class SignalForwarder:
    """SIGTERM/SIGINT sent to the harness go to the command, whose safe-state handling is what a
    test wants to see; the emulators keep running to record it. A signal that arrives before the
    command has started is delivered as soon as it has."""

    def __init__(self):
        self.proc = None
        self.pending = []
        signal.signal(signal.SIGTERM, self.forward)
        signal.signal(signal.SIGINT, self.forward)

    def forward(self, signum, frame):
        if self.proc is None:
            self.pending.append(signum)
        elif self.proc.poll() is None:
            self.proc.send_signal(signum)

    def started(self, proc):
        self.proc = proc
        for signum in self.pending:
            self.forward(signum, None)


def inner(args, work):
    forwarder = SignalForwarder()
    try:
        start_emulators(args)
        provision(args, work)
    except (SetupError, OSError) as e:
        stop_emulators(args)
        print(f"serial_harness: {e}", file=sys.stderr)
        return SETUP_FAILED
    summary = {d["name"]: {k: d[k] for k in ("device", "by_id", "emulator", "args", "usb", "pty",
                                             "state", "log")} for d in args.devices}
    with open(os.path.join(args.state_dir, "devices.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    env = dict(os.environ)
    env.pop(INNER, None)
    env["LD_PRELOAD"] = " ".join(x for x in (args.shim, env.get("LD_PRELOAD")) if x)
    env["LOCKRIG_EMU_STATE_DIR"] = args.state_dir
    try:
        proc = subprocess.Popen(args.command, env=env, start_new_session=True)
    except OSError as e:
        stop_emulators(args)
        print(f"serial_harness: cannot run {args.command[0]}: {e}", file=sys.stderr)
        return SETUP_FAILED
    forwarder.started(proc)
    try:
        code = proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        print(f"serial_harness: command killed after {args.timeout:g}s", file=sys.stderr)
        code = 124
    stop_emulators(args)
    return code if code >= 0 else 128 - code


def main(argv):
    args = parse_args(argv)
    work = os.environ.get(INNER)
    if work:
        return inner(args, work)
    if os.geteuid() != 0:
        print("serial_harness: skipped: needs root for a private mount namespace", file=sys.stderr)
        return SKIP
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "true"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if probe.returncode != 0:
        print("serial_harness: cannot create a private mount namespace "
              f"({probe.stdout.strip()}); an unprivileged container lacks CAP_SYS_ADMIN",
              file=sys.stderr)
        return SETUP_FAILED
    forwarder = SignalForwarder()
    os.makedirs(args.state_dir, exist_ok=True)
    # A fixed name without letters: fake sysfs paths must not contain "usb" or "virtual" by
    # accident, as libserialport classifies ports by those words in the path.
    work = f"/tmp/lockrig-serial-{os.getpid()}"
    os.makedirs(work)
    try:
        env = dict(os.environ, **{INNER: work})
        # Its own session, so a terminal's Ctrl-C reaches the command once, through forwarding.
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--",
                                 PYTHON, os.path.abspath(__file__), *argv], env=env,
                                start_new_session=True)
        forwarder.started(proc)
        code = proc.wait()
        return code if code >= 0 else 128 - code
    finally:
        os.rmdir(work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
