#!/usr/bin/python3
"""Emulates a SCPI bench supply with the Siglent SPD3303X command set on a pty.

Wire: ASCII lines ending in LF (a CR before it is ignored), answers ending in LF. Understood
(case-insensitive): *IDN?, CHn:VOLT <v>, CHn:VOLT?, CHn:CURR <a>, CHn:CURR?, OUTP CHn,ON|OFF,
MEAS:VOLT? CHn, MEAS:CURR? CHn, SYST:STAT? (hex word, bit 4 = CH1 output, bit 5 = CH2).
Unknown commands are ignored, as the instrument does apart from its error queue.
Read-back faults: --stuck-output (OUTP is ignored) and --volts-readback-offset V (CHn:VOLT?
answers the setting plus V, as a supply whose firmware lost or mangled the setting does).

Behaviour of real units, from code that has met them rather than from lockrig's driver: a
Siglent ignores a command that comes too soon after the previous one (--min-gap-ms, default 15,
measured from the end of the previous command or answer). libsigrok PR #75/#77 adds a quirk
because Siglent units require a "delay after sending command, otherwise unit won't respond";
geissdoerfer/python-spd3303x f952de1 spd3303x/__init__.py:114-122,139-141 sleeps 100 ms after
every write and read; PyFixate/Fixate 7cde767 src/fixate/drivers/pps/siglent_spd_3303X.py:
192-205 found "A 20ms delay ... reliable for most commands". How soon is too soon is not
measured anywhere; 15 ms lies below every pause those sources found enough.
"""

import re
import sys

from serialemu import Emulator

MODELS = {
    "spd3303x": ("SPD3303X", 32.0, 3.2),
    "spd3303x-e": ("SPD3303X-E", 32.0, 3.2),
}


class ScpiEmulator(Emulator):
    name = "SCPI bench supply"
    models = tuple(MODELS)
    default_model = "spd3303x"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--identity", help="literal *IDN? answer instead of the model's")
        parser.add_argument("--load-ohms", type=float, default=100.0,
                            help="resistance on each output, for MEAS:VOLT?/MEAS:CURR?")
        parser.add_argument("--stuck-output", action="store_true",
                            help="OUTP CHn,ON|OFF is ignored (output relay failed)")
        parser.add_argument("--volts-readback-offset", type=float, default=0.0, metavar="V",
                            help="CHn:VOLT? answers the setting plus V (setting reads back wrong)")
        parser.add_argument("--min-gap-ms", type=float, default=15.0,
                            help="ignore a command that starts sooner after the previous "
                                 "command or answer")

    def __init__(self, args):
        super().__init__(args)
        self.line = bytearray()
        idn_model, self.max_v, self.max_i = MODELS[args.model]
        self.identity = args.identity or \
            f"Siglent Technologies,{idn_model},SPD3XEMU000001,1.01.01.02.05,V3.0"
        self.vset = [0.0, 0.0]
        self.iset = [0.0, 0.0]
        self.output = [False, False]
        self.unknown = 0
        self.too_soon = 0         # commands ignored for coming too soon
        self.line_started = None  # when the first byte of the line being received came
        self.previous_end = None  # when the previous command ended
        self.min_gap_ms = None

    def on_bytes(self, data, now):
        for b in data:
            if not self.line:
                self.line_started = now
            if b == 0x0A:
                line = bytes(self.line).rstrip(b"\r")
                self.line.clear()
                previous = self.previous_end
                if self.last_sent is not None and (previous is None or self.last_sent > previous):
                    previous = self.last_sent
                self.previous_end = now
                if previous is not None:
                    gap_ms = (self.line_started - previous) * 1000.0
                    if self.min_gap_ms is None or gap_ms < self.min_gap_ms:
                        self.min_gap_ms = gap_ms
                    if gap_ms < self.args.min_gap_ms:
                        self.too_soon += 1
                        self.commands += 1
                        if self.log:
                            self.log.write(f"{now - self.started:.6f} {line.decode('latin-1')!r} "
                                           f"IGNORED after {gap_ms:.1f} ms\n")
                        self.write_state()
                        continue
                self.command(line, now, shown=repr(line.decode("latin-1")))
            else:
                self.line.append(b)

    def reading(self, ch):
        if not self.output[ch]:
            return 0.0, 0.0
        amps = self.vset[ch] / self.args.load_ohms
        if amps > self.iset[ch]:
            return self.iset[ch] * self.args.load_ohms, self.iset[ch]
        return self.vset[ch], amps

    def reply(self, text):
        self.answer(text.encode() + b"\n")

    def execute(self, frame, now):
        text = frame.decode("latin-1").strip()
        upper = text.upper()
        m = re.fullmatch(r"CH([12]):(VOLT|CURR)(?:\s+([0-9.]+)|(\?))", upper)
        if m:
            ch = int(m.group(1)) - 1
            values = self.vset if m.group(2) == "VOLT" else self.iset
            limit = self.max_v if m.group(2) == "VOLT" else self.max_i
            if m.group(4):
                offset = self.args.volts_readback_offset if m.group(2) == "VOLT" else 0.0
                self.reply(f"{values[ch] + offset:.3f}")
            else:
                values[ch] = min(float(m.group(3)), limit)
            return
        m = re.fullmatch(r"OUTP\s+CH([12]),(ON|OFF)", upper)
        if m:
            if not self.args.stuck_output:
                self.output[int(m.group(1)) - 1] = m.group(2) == "ON"
            return
        m = re.fullmatch(r"MEAS:(VOLT|CURR)\?\s+CH([12])", upper)
        if m:
            volts, amps = self.reading(int(m.group(2)) - 1)
            self.reply(f"{volts if m.group(1) == 'VOLT' else amps:.3f}")
            return
        if upper == "*IDN?":
            self.reply(self.identity)
        elif upper == "SYST:STAT?":
            word = (0x10 if self.output[0] else 0) | (0x20 if self.output[1] else 0) | 0x04
            self.reply(f"0x{word:04X}")
        else:
            self.unknown += 1

    def state(self):
        return {
            "identity": self.identity,
            "vset": self.vset,
            "iset": self.iset,
            "output": self.output,
            "vout": [self.reading(0)[0], self.reading(1)[0]],
            "iout": [self.reading(0)[1], self.reading(1)[1]],
            "unknown": self.unknown,
            "too_soon": self.too_soon,
            "min_gap_ms": self.min_gap_ms,
        }


if __name__ == "__main__":
    ScpiEmulator.main(sys.argv[1:])
