#!/usr/bin/python3
"""Emulates a SCPI bench supply on a pty, or on 127.0.0.1 with --tcp PORT (a LAN instrument's
raw socket, port 5025 on the real ones).

Wire: ASCII lines ending in LF (a CR before it is ignored), answers ending in LF. Each model
speaks its vendor's dialect, and commands of another dialect are ignored and counted as unknown,
as an instrument does apart from its error queue:
  - Siglent SPD3303X/-E: *IDN?, CHn:VOLT <v>, CHn:VOLT?, CHn:CURR <a>, CHn:CURR?,
    OUTP CHn,ON|OFF, MEAS:VOLT? CHn, MEAS:CURR? CHn, SYST:STAT? (hex word, bit 4 = CH1 output,
    bit 5 = CH2). geissdoerfer/python-spd3303x f952de1 spd3303x/__init__.py:43-66; labgrid
    power/siglent.py (SYST:STAT? as hex).
  - Rigol DP832 and R&S HMC8043 and Keysight E36312A: the output is chosen with INST:NSEL n,
    then [SOUR:]VOLT, [SOUR:]CURR (and their queries), OUTP ON|OFF (Keysight OUTP:STAT),
    OUTP? (Rigol answers ON/OFF, the others 1/0), MEAS:VOLT?, MEAS:CURR?; a leading colon is
    optional. Over-voltage protection: Rigol OUTP:OVP:VAL/OUTP:OVP ON, R&S VOLT:PROT:LEV/
    VOLT:PROT:STAT ON, Keysight VOLT:PROT (always armed); over-current: Rigol OUTP:OCP:VAL/
    OUTP:OCP:STAT ON. An armed level below the setting trips the output off. libsigrok 883c2ac
    src/hardware/scpi-pps/profiles.c:760-791, :1543-1566, :1255-1281. Keysight answers numbers
    in exponent form (+2.80000000E+00); which of ON/OFF or 1/0 each vendor answers is not in
    these sources, so both forms are exercised.
Read-back faults: --stuck-output (output switching is ignored) and --volts-readback-offset V (the
voltage query answers the setting plus V, as a supply whose firmware lost the setting does).

Behaviour of real Siglent units, from code that has met them rather than from lockrig's driver:
a Siglent ignores a command that comes too soon after the previous one (--min-gap-ms, default 15
for Siglent models and 0 for the others, measured from the end of the previous command or
answer). libsigrok PR #75/#77 adds a quirk because Siglent units require a "delay after sending
command, otherwise unit won't respond"; python-spd3303x spd3303x/__init__.py:114-122,139-141
sleeps 100 ms after every write and read; PyFixate/Fixate 7cde767
src/fixate/drivers/pps/siglent_spd_3303X.py:192-205 found "A 20ms delay ... reliable for most
commands". How soon is too soon is not measured anywhere; 15 ms lies below every pause those
sources found enough.
"""

import re
import sys

from serialemu import Emulator

MODELS = {
    "spd3303x": ("siglent", "Siglent Technologies,SPD3303X,SPD3XEMU000001,1.01.01.02.05,V3.0",
                 [(32.0, 3.2), (32.0, 3.2)]),
    "spd3303x-e": ("siglent", "Siglent Technologies,SPD3303X-E,SPD3XEMU000002,1.01.01.02.07,V3.0",
                   [(32.0, 3.2), (32.0, 3.2)]),
    "dp832": ("rigol", "RIGOL TECHNOLOGIES,DP832,DP8EMU000001,00.01.16",
              [(30.0, 3.0), (30.0, 3.0), (5.0, 3.0)]),
    "hmc8043": ("rs", "Rohde&Schwarz,HMC8043,EMU0000001,HW50020001/SW02.113",
                [(32.05, 3.0)] * 3),
    "e36312a": ("keysight", "Keysight Technologies,E36312A,MY5EMU0001,2.1.0-1.0.4-1.12",
                [(6.18, 5.15), (25.75, 1.03), (25.75, 1.03)]),
}

VALUE = r"\s+([+-]?[0-9.]+(?:E[+-]?[0-9]+)?)"


class ScpiEmulator(Emulator):
    name = "SCPI bench supply"
    models = tuple(MODELS)
    default_model = "spd3303x"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--identity", help="literal *IDN? answer instead of the model's")
        parser.add_argument("--load-ohms", type=float, default=100.0,
                            help="resistance on each output, for the measurements")
        parser.add_argument("--stuck-output", action="store_true",
                            help="output switching is ignored (output relay failed)")
        parser.add_argument("--volts-readback-offset", type=float, default=0.0, metavar="V",
                            help="the voltage query answers the setting plus V")
        parser.add_argument("--min-gap-ms", type=float,
                            help="ignore a command that starts sooner after the previous "
                                 "command or answer (default: 15 for Siglent, 0 otherwise)")

    def __init__(self, args):
        super().__init__(args)
        self.line = bytearray()
        self.dialect, identity, self.limits = MODELS[args.model]
        self.identity = args.identity or identity
        n = len(self.limits)
        self.vset = [0.0] * n
        self.iset = [0.0] * n
        self.output = [False] * n
        self.ovp_level = [0.0] * n
        self.ovp_on = [self.dialect == "keysight"] * n
        self.ocp_level = [0.0] * n
        self.ocp_on = [False] * n
        self.selected = 0
        self.unknown = 0
        self.too_soon = 0         # commands ignored for coming too soon
        self.line_started = None  # when the first byte of the line being received came
        self.previous_end = None  # when the previous command ended
        self.min_gap_ms = None
        if args.min_gap_ms is None:
            args.min_gap_ms = 15.0 if self.dialect == "siglent" else 0.0

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

    def number(self, value):
        self.reply(f"{value:+.8E}" if self.dialect == "keysight" else f"{value:.3f}")

    def protect(self, ch):
        # An armed protection level below what the output would reach trips it off.
        volts, amps = self.reading(ch)
        if self.ovp_on[ch] and self.ovp_level[ch] > 0 and self.vset[ch] > self.ovp_level[ch]:
            self.output[ch] = False
        if self.ocp_on[ch] and self.ocp_level[ch] > 0 and amps > self.ocp_level[ch]:
            self.output[ch] = False

    def set_output(self, ch, on):
        if not self.args.stuck_output:
            self.output[ch] = on
            self.protect(ch)

    def execute(self, frame, now):
        text = frame.decode("latin-1").strip().upper()
        if text == "*IDN?":
            self.reply(self.identity)
        elif self.dialect == "siglent":
            self.siglent(text)
        else:
            self.selected_output(text)

    def siglent(self, upper):
        m = re.fullmatch(r"CH([12]):(VOLT|CURR)(?:\s+([0-9.]+)|(\?))", upper)
        if m:
            ch = int(m.group(1)) - 1
            values = self.vset if m.group(2) == "VOLT" else self.iset
            limit = self.limits[ch][0 if m.group(2) == "VOLT" else 1]
            if m.group(4):
                offset = self.args.volts_readback_offset if m.group(2) == "VOLT" else 0.0
                self.reply(f"{values[ch] + offset:.3f}")
            else:
                values[ch] = min(float(m.group(3)), limit)
            return
        m = re.fullmatch(r"OUTP\s+CH([12]),(ON|OFF)", upper)
        if m:
            self.set_output(int(m.group(1)) - 1, m.group(2) == "ON")
            return
        m = re.fullmatch(r"MEAS:(VOLT|CURR)\?\s+CH([12])", upper)
        if m:
            volts, amps = self.reading(int(m.group(2)) - 1)
            self.reply(f"{volts if m.group(1) == 'VOLT' else amps:.3f}")
            return
        if upper == "SYST:STAT?":
            word = (0x10 if self.output[0] else 0) | (0x20 if self.output[1] else 0) | 0x04
            self.reply(f"0x{word:04X}")
        else:
            self.unknown += 1

    def selected_output(self, upper):
        text = upper.lstrip(":")
        ch = self.selected
        d = self.dialect
        m = re.fullmatch(r"INST(?:RUMENT)?:NSEL(?:ECT)?\s+([0-9]+)", text)
        if m:
            n = int(m.group(1))
            if 1 <= n <= len(self.limits):
                self.selected = n - 1
            else:
                self.unknown += 1
            return
        text = re.sub(r"^SOUR(?:CE)?:", "", text)
        m = re.fullmatch(r"(VOLT|CURR)(?:" + VALUE + r"|(\?))", text)
        if m:
            volts = m.group(1) == "VOLT"
            values = self.vset if volts else self.iset
            if m.group(3):
                offset = self.args.volts_readback_offset if volts else 0.0
                self.number(values[ch] + offset)
            else:
                values[ch] = min(float(m.group(2)), self.limits[ch][0 if volts else 1])
                self.protect(ch)
            return
        output = r"OUTP:STAT" if d == "keysight" else r"OUTP"
        m = re.fullmatch(output + r"(?:\s+(ON|OFF|1|0)|(\?))", text)
        if m:
            if m.group(2):
                on = self.output[ch]
                self.reply(("ON" if on else "OFF") if d == "rigol" else ("1" if on else "0"))
            else:
                self.set_output(ch, m.group(1) in ("ON", "1"))
            return
        m = re.fullmatch(r"MEAS:(VOLT|CURR)\?", text)
        if m:
            volts, amps = self.reading(ch)
            self.number(volts if m.group(1) == "VOLT" else amps)
            return
        ovp = {"rigol": r"OUTP:OVP:VAL", "rs": r"VOLT:PROT:LEV", "keysight": r"VOLT:PROT"}[d]
        m = re.fullmatch(ovp + r"(?:" + VALUE + r"|(\?))", text)
        if m:
            if m.group(2):
                self.number(self.ovp_level[ch])
            else:
                self.ovp_level[ch] = float(m.group(1))
                self.protect(ch)
            return
        if (d == "rigol" and text == "OUTP:OVP ON") or (d == "rs" and text == "VOLT:PROT:STAT ON"):
            self.ovp_on[ch] = True
            self.protect(ch)
            return
        if d == "rigol":
            m = re.fullmatch(r"OUTP:OCP:VAL(?:" + VALUE + r"|(\?))", text)
            if m:
                if m.group(2):
                    self.number(self.ocp_level[ch])
                else:
                    self.ocp_level[ch] = float(m.group(1))
                return
            if text == "OUTP:OCP:STAT ON":
                self.ocp_on[ch] = True
                return
        self.unknown += 1

    def state(self):
        n = len(self.limits)
        return {
            "identity": self.identity,
            "vset": self.vset,
            "iset": self.iset,
            "output": self.output,
            "vout": [self.reading(ch)[0] for ch in range(n)],
            "iout": [self.reading(ch)[1] for ch in range(n)],
            "ovp_level": self.ovp_level,
            "ovp_on": self.ovp_on,
            "ocp_level": self.ocp_level,
            "ocp_on": self.ocp_on,
            "unknown": self.unknown,
            "too_soon": self.too_soon,
            "min_gap_ms": self.min_gap_ms,
        }


if __name__ == "__main__":
    ScpiEmulator.main(sys.argv[1:])
