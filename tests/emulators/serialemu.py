"""Shared machinery of lockrig's serial device emulators.

Each emulator owns one pty pair, speaks one device's exact wire protocol on the master side and
points a symlink (--link) at the slave side, which the test harness bind-mounts over a /dev/tty*
node. Common fault knobs let a test turn the device silent, garbled, slow or unplugged after a
number of commands, and --state keeps a JSON picture of the emulated device that tests read.
Standard library only; run with /usr/bin/python3.
"""

import argparse
import json
import os
import select
import signal
import sys
import time
import tty

# Valid in none of the emulated protocols: no prompt, no terminator, no digits, no frame start.
GARBAGE = bytes([0x7F, 0xFE, 0x13, 0x37, 0x00, 0x80, 0x7F])


class Emulator:
    """Base class: the pty, the event loop, the fault knobs and the state file."""

    name = "device"
    models = ()
    default_model = None

    def __init__(self, args):
        self.args = args
        self.commands = 0      # complete commands received
        self.ignored = 0       # received while silent (--stop-after)
        self.garbled = 0       # frames that did not parse
        self.answered_garbage = 0
        self.master = None
        self.slave = None
        self.outbox = []       # [(due, bytes)], sent in order once due
        self.last_sent = None  # monotonic time the last byte left for the host
        self.vanish_at = None      # monotonic time of the hang-up, once it is due
        self.started = time.monotonic()
        self.log = open(args.log, "a", buffering=1) if args.log else None

    # ----- command line -------------------------------------------------------------------------

    @classmethod
    def parser(cls):
        p = argparse.ArgumentParser(
            description=f"Emulates a {cls.name} on a pty, byte for byte.",
            epilog="Faults count complete commands: with --stop-after 3 the first three commands "
                   "work and the device is silent from the fourth on.")
        p.add_argument("--link", required=True,
                       help="symlink to create, pointing at the pty's slave side")
        p.add_argument("--model", default=cls.default_model, choices=cls.models)
        p.add_argument("--state", help="JSON file rewritten after every command")
        p.add_argument("--log", help="file to append one line per command to")
        p.add_argument("--stop-after", type=int, metavar="N",
                       help="answer nothing and act on nothing after N commands (hung device)")
        p.add_argument("--garbage-after", type=int, metavar="N",
                       help="answer garbage and act on nothing after N commands")
        p.add_argument("--vanish-after", type=int, metavar="N",
                       help="hang up the pty and exit after N commands (unplugged device)")
        p.add_argument("--vanish-delay-ms", type=float, default=100.0,
                       help="how long after the last answer the hang-up comes; meanwhile the "
                            "device is silent")
        p.add_argument("--delay-ms", type=float, default=0.0,
                       help="delay every answer by this much (slow device)")
        cls.add_arguments(p)
        return p

    @classmethod
    def add_arguments(cls, parser):
        pass

    @classmethod
    def main(cls, argv=None):
        args = cls.parser().parse_args(argv)
        emulator = cls(args)
        emulator.run()

    # ----- what subclasses implement ------------------------------------------------------------

    def on_bytes(self, data, now):
        """Frames incoming bytes; calls self.command(frame) for every complete command."""
        raise NotImplementedError

    def execute(self, frame, now):
        """Acts on one complete command and queues its answer with self.answer()."""
        raise NotImplementedError

    def state(self):
        """The device-specific part of the state file."""
        return {}

    def on_tick(self, now):
        """Called after every wake-up; for protocols framed by silence."""

    def next_deadline(self):
        """Monotonic time on_tick needs to run by, or None."""
        return None

    # ----- helpers for subclasses ---------------------------------------------------------------

    def vanishing(self):
        return self.args.vanish_after is not None and self.commands >= self.args.vanish_after

    def silent(self):
        return self.vanishing() or \
            (self.args.stop_after is not None and self.commands >= self.args.stop_after)

    def garbling(self):
        return self.args.garbage_after is not None and self.commands >= self.args.garbage_after

    def command(self, frame, now, shown=None):
        """Counts a complete command and applies the fault knobs before executing it."""
        if self.log:
            text = shown if shown is not None else frame.hex(" ").upper()
            self.log.write(f"{now - self.started:.6f} {text}\n")
        if self.silent():
            self.ignored += 1
        elif self.garbling():
            self.answered_garbage += 1
            self.answer(GARBAGE)
        else:
            self.execute(frame, now)
        self.commands += 1
        self.write_state()

    def answer(self, data):
        """Queues bytes for the host after --delay-ms."""
        self.outbox.append((time.monotonic() + self.args.delay_ms / 1000.0, bytes(data)))

    def send_now(self, data):
        """Sends bytes at once (echo), unless the device is silent."""
        if not self.silent():
            self.write_all(bytes(data))

    # ----- machinery ----------------------------------------------------------------------------

    def write_all(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]
        self.last_sent = time.monotonic()

    def open_pty(self):
        self.master, self.slave = os.openpty()
        # Raw from the start: a cooked slave would echo our own answers back to us before the
        # driver opens the port and sets raw mode itself.
        tty.setraw(self.slave)
        tmp = self.args.link + ".tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.args.link)

    def write_state(self, vanished=False):
        if not self.args.state:
            return
        data = {
            "emulator": self.name,
            "model": self.args.model,
            "pid": os.getpid(),
            "commands": self.commands,
            "ignored": self.ignored,
            "garbled": self.garbled,
            "answered_garbage": self.answered_garbage,
            "vanished": vanished,
        }
        data.update(self.state())
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.args.state)

    def vanish(self):
        # Closing the master hangs the slave up, as unplugging a USB adapter does.
        os.close(self.master)
        os.close(self.slave)
        try:
            os.unlink(self.args.link)
        except FileNotFoundError:
            pass
        self.write_state(vanished=True)
        sys.exit(0)

    def flush_outbox(self):
        now = time.monotonic()
        while self.outbox and self.outbox[0][0] <= now:
            _, data = self.outbox.pop(0)
            self.write_all(data)

    def prefer_cpu(self):
        # Timestamps and answer latency are only as good as the emulator's wake-up delay; on a
        # loaded CI machine a normal process can wake tens of milliseconds late, enough to fake a
        # too-short pause before a Korad command. The emulator sleeps in select() nearly all the
        # time, so a low real-time priority costs the machine nothing. Not root: carry on.
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except (OSError, AttributeError):
            try:
                os.nice(-10)
            except OSError:
                pass

    def run(self):
        def stop(signum, frame):
            self.write_state()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.prefer_cpu()
        self.open_pty()
        self.write_state()
        while True:
            deadlines = [d for d in (self.next_deadline(), self.vanish_at,
                                     self.outbox[0][0] if self.outbox else None) if d is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 0.5
            ready, _, _ = select.select([self.master], [], [], timeout)
            now = time.monotonic()
            if ready:
                data = os.read(self.master, 4096)
                if data:
                    self.on_bytes(data, now)
            self.on_tick(time.monotonic())
            self.flush_outbox()
            if self.vanishing() and not self.outbox:
                # Hang up a little after the last answer, as an unplug between commands does:
                # closing at once would make the kernel discard the answer before the host reads it.
                if self.vanish_at is None:
                    self.vanish_at = time.monotonic() + self.args.vanish_delay_ms / 1000.0
                elif time.monotonic() >= self.vanish_at:
                    self.vanish()


class RelayEmulator(Emulator):
    """A relay board: a row of relays, some of which can be made to stick."""

    channel_counts = {}

    def __init__(self, args):
        super().__init__(args)
        self.channels = self.channel_counts[args.model]
        self.relays = [False] * self.channels
        for channel in args.energized or []:
            if not 1 <= channel <= self.channels:
                raise SystemExit(f"--energized {channel}: the board has {self.channels} relays")
            self.relays[channel - 1] = True
        self.stuck = set(args.stuck or [])

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--stuck", type=int, action="append", metavar="CH",
                            help="relay CH (1-based) ignores switching (welded contact)")
        parser.add_argument("--energized", type=int, action="append", metavar="CH",
                            help="relay CH (1-based) starts energized (what an earlier run left)")

    def switch(self, channel, energized):
        if 1 <= channel <= self.channels and channel not in self.stuck:
            self.relays[channel - 1] = energized

    def relay(self, channel):
        return self.relays[channel - 1]

    def state(self):
        return {
            "channels": self.channels,
            "relays": self.relays,
            "energized": [i + 1 for i, on in enumerate(self.relays) if on],
        }


class FixedFrameRelayEmulator(RelayEmulator):
    """A relay board whose commands are binary frames of frame_length bytes starting with
    frame_start; bytes before a frame start are counted as garbled and dropped."""

    frame_start = None
    frame_length = None

    def __init__(self, args):
        super().__init__(args)
        self.buffer = bytearray()

    def on_bytes(self, data, now):
        self.buffer += data
        while self.buffer:
            if self.buffer[0] != self.frame_start:
                del self.buffer[0]
                self.garbled += 1
                continue
            if len(self.buffer) < self.frame_length:
                return
            frame = bytes(self.buffer[:self.frame_length])
            del self.buffer[:self.frame_length]
            self.command(frame, now)
