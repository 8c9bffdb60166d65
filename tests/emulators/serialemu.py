"""Shared machinery of lockrig's serial device emulators.

Each emulator owns one pty pair, speaks one device's exact wire protocol on the master side and
points a symlink (--link) at the slave side, which the test harness bind-mounts over a /dev/tty*
node. With --tcp PORT it listens on 127.0.0.1 instead (a network instrument's raw socket), one
client at a time; --port-file tells a test which port it got with --tcp 0. Common fault knobs let a test turn the device silent, garbled, slow or unplugged after a
number of commands, and --state keeps a JSON picture of the emulated device that tests read.
Standard library only; run with /usr/bin/python3.
"""

import argparse
import json
import os
import select
import signal
import socket
import struct
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
        self.listener = None   # --tcp: the listening socket
        self.conn = None       # --tcp: the connected client
        self.connections = 0

    # ----- command line -------------------------------------------------------------------------

    @classmethod
    def parser(cls):
        p = argparse.ArgumentParser(
            description=f"Emulates a {cls.name} on a pty, byte for byte.",
            epilog="Faults count complete commands: with --stop-after 3 the first three commands "
                   "work and the device is silent from the fourth on.")
        p.add_argument("--link",
                       help="symlink to create, pointing at the pty's slave side")
        p.add_argument("--tcp", type=int, metavar="PORT",
                       help="listen on 127.0.0.1:PORT instead of a pty (0: any free port)")
        p.add_argument("--port-file", help="with --tcp: file to write the port listened on to")
        p.add_argument("--reset-on", type=int, metavar="N",
                       help="with --tcp: reset the connection (RST) when command N arrives, "
                            "instead of acting on it")
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
        parser = cls.parser()
        args = parser.parse_args(argv)
        if (args.link is None) == (args.tcp is None):
            parser.error("give exactly one of --link and --tcp")
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
        if self.conn is not None and self.args.reset_on == self.commands + 1:
            self.commands += 1
            self.reset_connection()
            self.write_state()
            return
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
        if self.master is None:
            return
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.master, view)
                view = view[n:]
        except (BrokenPipeError, ConnectionResetError):
            self.drop_connection()
            return
        self.last_sent = time.monotonic()

    # ----- TCP mode -----------------------------------------------------------------------------

    def open_listener(self):
        # Loopback only: an emulator is never reachable from another machine.
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.args.tcp))
        self.listener.listen(1)
        if self.args.port_file:
            tmp = self.args.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{self.listener.getsockname()[1]}\n")
            os.replace(tmp, self.args.port_file)

    def accept(self):
        self.conn, _ = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.master = self.conn.fileno()
        self.connections += 1
        self.outbox.clear()

    def drop_connection(self):
        """The client went away: wait for the next one, as an instrument does."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.master = None
        self.outbox.clear()

    def reset_connection(self):
        """Closes with RST, as an instrument that reboots mid-command does."""
        if self.conn is not None:
            self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.drop_connection()

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
        if self.args.tcp is not None:
            data["connections"] = self.connections
        data.update(self.state())
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.args.state)

    def vanish(self):
        if self.args.tcp is not None:
            # Gone from the network: reset the connection and refuse new ones.
            self.reset_connection()
            self.listener.close()
            self.write_state(vanished=True)
            sys.exit(0)
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
        if self.args.tcp is not None:
            self.open_listener()
        else:
            self.open_pty()
        self.write_state()
        while True:
            deadlines = [d for d in (self.next_deadline(), self.vanish_at,
                                     self.outbox[0][0] if self.outbox else None) if d is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 0.5
            watch = self.master if self.master is not None else self.listener.fileno()
            ready, _, _ = select.select([watch], [], [], timeout)
            now = time.monotonic()
            if ready and self.master is None:
                self.accept()
                self.write_state()
            elif ready:
                try:
                    data = os.read(self.master, 4096)
                except ConnectionResetError:
                    data = b""
                if data:
                    self.on_bytes(data, now)
                elif self.conn is not None:
                    self.drop_connection()
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
