#!/usr/bin/python3
"""Emulates a Korad/Tenma KA-series bench supply (KA3005P style) on a pty.

Wire: bare ASCII commands and answers with no terminator. Like the real firmware, the emulator
only knows a command has ended when the line goes quiet (--frame-quiet-ms), so two commands sent
back to back merge into one it cannot parse. It also measures the pause before every command,
from the end of the previous command or answer, and drops commands that come sooner than
--min-gap-ms: the state file reports min_gap_ms and gap_violations.

Understood: *IDN?, VSET1:<v>, VSET1?, ISET1:<a>, ISET1?, VOUT1?, IOUT1?, STATUS?, OUT1, OUT0.
The output drives a resistive load (--load-ohms), limited by the current setting.

Behaviours of real units, from code that has met them rather than from lockrig's driver:
  - ISET1? answers a sixth byte once *IDN? has been sent (on by default; --no-sixth-byte):
    libsigrok korad-kaxxxxp protocol.c:387-389 and its commit 8abdf006 ("To get the sixth byte,
    the *IDN? command has to be issued before ISET?"); py-korad-serial koradserial.py:159-162
    ("a 6th character of previous output"). Which character is not documented; the emulator
    repeats one of its previous answer (see sixth_byte()).
  - --id-trailer HEX: the identity ends in a stray 0x01 or 0xBC, as some KA3005P firmware does
    (libsigrok api.c:60-61 KORAD_QUIRK_ID_TRAILING, api.c:178-194).
  - --nul-terminate: every answer ends in a NUL, as py-korad-serial found
    ("returns zero-terminated strings", koradserial.py:256-272).
  - --slow: after a setting or STATUS? the unit needs 450 ms more before it executes the next
    command, and drops one that comes sooner, as Velleman's PS3005D V1.3 does (libsigrok
    api.c:77-78, protocol.c:24-25,169-185; libsigrok PR #210: "Failing to respect this delay
    means the new command will NOT be executed").
"""

import re
import statistics
import sys

from serialemu import Emulator

IDENTITIES = {
    "old": "KORAD{model}V2.0",
    "new": "KORAD {model} V5.8 SN:03379314",
}
LIMITS = {"ka3005p": (30.0, 5.0), "ka3003p": (30.0, 3.0), "ka3010p": (30.0, 10.0),
          "ka6003p": (60.0, 3.0), "kd3005p": (30.0, 5.0), "kd6005p": (60.0, 5.0)}
SLOW_EXTRA_MS = 450.0  # libsigrok protocol.c:25 EXTRA_PROCESSING_TIME_MS


class KoradEmulator(Emulator):
    name = "Korad KA-series supply"
    models = tuple(LIMITS)
    default_model = "ka3005p"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--identity", default="new",
                            help="*IDN? answer: 'old' (KORADKA3005PV2.0), 'new' "
                                 "(KORAD KA3005P V5.8 SN:...) or the literal text")
        parser.add_argument("--min-gap-ms", type=float, default=80.0,
                            help="drop commands that follow the previous exchange sooner")
        # The emulator timestamps bytes when select() wakes it, late by however long the
        # scheduler made it wait; a gap measured this much short is still the host keeping it.
        # A real KA3005P times the line with its own microcontroller and never wakes late. Here
        # a wake-up can be late by 20 ms even under SCHED_FIFO on a loaded 2-vCPU VM (measured
        # with tests/emulators/wake_latency.py: p99.9 4.9 ms, max 21.3 ms at load 10), and a
        # late read of one command shortens the next command's measured pause by as much; 10 ms
        # dropped an 80 ms-paced command once in a 944-test CI run. A driver that does not pace
        # at all still measures ~0 ms; median_gap_ms in the state is the precise figure.
        parser.add_argument("--gap-tolerance-ms", type=float, default=30.0,
                            help="how much shorter than --min-gap-ms a pause may measure")
        parser.add_argument("--frame-quiet-ms", type=float, default=10.0,
                            help="silence that ends a command")
        parser.add_argument("--load-ohms", type=float, default=100.0,
                            help="resistance on the output, for VOUT1?/IOUT1?")
        parser.add_argument("--stuck-output", action="store_true",
                            help="OUT1/OUT0 are ignored (output relay failed)")
        parser.add_argument("--no-sixth-byte", dest="sixth_byte", action="store_false",
                            help="ISET1? answers five bytes even after *IDN? (as after a power "
                                 "cycle with no *IDN?)")
        parser.add_argument("--id-trailer", metavar="HEX",
                            help="end the *IDN? answer with this byte (01 or bc on real units)")
        parser.add_argument("--nul-terminate", action="store_true",
                            help="end every answer with a NUL byte")
        parser.add_argument("--slow", action="store_true",
                            help="need 450 ms more after a setting or STATUS? (PS3005D V1.3)")

    def __init__(self, args):
        super().__init__(args)
        self.buffer = bytearray()
        self.first_byte = None
        self.last_byte = None
        self.previous_end = None  # end of the previous command or answer
        self.min_gap_ms = None
        self.gaps_ms = []  # every measured pause, for median_gap_ms
        self.gap_violations = 0
        self.identified = False       # *IDN? answered since power-on: ISET1? grows a sixth byte
        self.previous_answer = b""
        self.previous_long = False    # the previous command was a setting or STATUS?
        self.vset = 0.0
        self.iset = 0.0
        self.output = False
        self.max_v, self.max_i = LIMITS[args.model]
        token = args.model.upper()
        self.identity = IDENTITIES.get(args.identity, args.identity).format(model=token)
        self.id_trailer = bytes([int(args.id_trailer, 16)]) if args.id_trailer else b""

    def on_bytes(self, data, now):
        if not self.buffer:
            self.first_byte = now
        self.buffer += data
        self.last_byte = now

    def next_deadline(self):
        return self.last_byte + self.args.frame_quiet_ms / 1000.0 if self.buffer else None

    def on_tick(self, now):
        if not self.buffer or now - self.last_byte < self.args.frame_quiet_ms / 1000.0:
            return
        frame = bytes(self.buffer)
        self.buffer.clear()
        previous = self.previous_end
        if self.last_sent is not None and (previous is None or self.last_sent > previous):
            previous = self.last_sent
        self.previous_end = self.last_byte
        if previous is not None:
            gap_ms = (self.first_byte - previous) * 1000.0
            if self.min_gap_ms is None or gap_ms < self.min_gap_ms:
                self.min_gap_ms = gap_ms
            self.gaps_ms.append(gap_ms)
            needed = self.args.min_gap_ms
            if self.args.slow and self.previous_long:
                needed += SLOW_EXTRA_MS
            if gap_ms < needed - self.args.gap_tolerance_ms:
                self.gap_violations += 1
                self.command(frame, now, shown=f"{frame!r} DROPPED after {gap_ms:.1f} ms")
                return
        self.command(frame, now, shown=repr(frame))

    def command(self, frame, now, shown=None):
        if shown and "DROPPED" in shown:
            # Counted and logged, but the firmware never saw a valid command.
            self.commands += 1
            if self.log:
                self.log.write(f"{now - self.started:.6f} {shown}\n")
            self.write_state()
            return
        super().command(frame, now, shown)

    def reply(self, data):
        data = bytes(data) + (b"\0" if self.args.nul_terminate else b"")
        self.previous_answer = data
        self.answer(data)

    def sixth_byte(self):
        # "a 6th character of previous output" (koradserial.py:159): the sixth of the previous
        # answer if it had one, else its last.
        previous = self.previous_answer or b"0"
        return previous[5:6] if len(previous) > 5 else previous[-1:]

    def reading(self):
        if not self.output:
            return 0.0, 0.0
        amps = self.vset / self.args.load_ohms
        if amps > self.iset:
            return self.iset * self.args.load_ohms, self.iset
        return self.vset, amps

    def execute(self, frame, now):
        text = frame.decode("latin-1")
        self.previous_long = text == "STATUS?" or ":" in text or text in ("OUT1", "OUT0")
        m = re.fullmatch(r"([VI])SET1:(\d+(?:\.\d*)?)", text)
        if m:
            value = float(m.group(2))
            if m.group(1) == "V":
                self.vset = min(value, self.max_v)
            else:
                self.iset = min(value, self.max_i)
        elif text == "*IDN?":
            self.identified = True
            self.reply(self.identity.encode() + self.id_trailer)
        elif text == "VSET1?":
            self.reply(f"{self.vset:05.2f}".encode())
        elif text == "ISET1?":
            sixth = self.sixth_byte() if self.args.sixth_byte and self.identified else b""
            self.reply(f"{self.iset:.3f}".encode() + sixth)
        elif text == "VOUT1?":
            self.reply(f"{self.reading()[0]:05.2f}".encode())
        elif text == "IOUT1?":
            self.reply(f"{self.reading()[1]:.3f}".encode())
        elif text == "STATUS?":
            cv = self.reading()[1] < self.iset or not self.output
            self.reply(bytes([(0x40 if self.output else 0) | (0x01 if cv else 0)]))
        elif text in ("OUT1", "OUT0"):
            if not self.args.stuck_output:
                self.output = text == "OUT1"
        else:
            self.garbled += 1

    def state(self):
        volts, amps = self.reading()
        return {
            "identity": self.identity,
            "vset": self.vset,
            "iset": self.iset,
            "output": self.output,
            "vout": volts,
            "iout": amps,
            "min_gap_ms": self.min_gap_ms,
            # Robust to the odd late wake-up that min_gap_ms is not.
            "median_gap_ms": statistics.median(self.gaps_ms) if self.gaps_ms else None,
            "gap_violations": self.gap_violations,
        }


if __name__ == "__main__":
    KoradEmulator.main(sys.argv[1:])
