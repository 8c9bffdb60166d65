#!/usr/bin/python3
"""Emulates a Numato Lab USB relay module (1-32 channels) on a pty.

Wire: ASCII commands ending in CR. Every character is echoed as it arrives, the CR as LF CR;
then comes the answer, if any, followed by LF CR, and the prompt '>'. Relays are numbered from
0, one character each: 0-9 then A-V. Understood: relay on|off|read N, relay readall,
relay writeall XX, ver, id get. Anything else is answered with the prompt alone.
"""

import sys

from serialemu import RelayEmulator

VERSION = "00000008"


class NumatoEmulator(RelayEmulator):
    name = "Numato USB relay module"
    channel_counts = {f"numato-{n}": n for n in (1, 2, 4, 8, 16, 32)}
    models = tuple(channel_counts)
    default_model = "numato-8"

    def __init__(self, args):
        super().__init__(args)
        self.line = bytearray()
        self.unknown = 0

    def on_bytes(self, data, now):
        for b in data:
            if b == 0x0D:
                if not self.silent() and not self.garbling():
                    self.send_now(b"\n\r")
                line = bytes(self.line)
                self.line.clear()
                self.command(line, now, shown=repr(line.decode("latin-1")))
            else:
                self.line.append(b)
                if not self.garbling():
                    self.send_now(bytes([b]))

    def index(self, token):
        if len(token) != 1:
            return None
        c = token.upper()
        i = ord(c) - ord("0") if c.isdigit() else ord(c) - ord("A") + 10 if "A" <= c <= "V" else -1
        return i + 1 if 0 <= i < self.channels else None

    def mask_digits(self):
        return 2 if self.channels <= 8 else (self.channels + 3) // 4

    def execute(self, frame, now):
        words = frame.decode("latin-1").split()
        answer = None
        if len(words) == 3 and words[0] == "relay" and words[1] in ("on", "off", "read"):
            channel = self.index(words[2])
            if channel is None:
                self.unknown += 1
            elif words[1] == "read":
                answer = "on" if self.relay(channel) else "off"
            else:
                self.switch(channel, words[1] == "on")
        elif words == ["relay", "readall"]:
            mask = sum(1 << i for i, on in enumerate(self.relays) if on)
            answer = f"{mask:0{self.mask_digits()}X}"
        elif len(words) == 3 and words[:2] == ["relay", "writeall"]:
            try:
                mask = int(words[2], 16)
                for ch in range(1, self.channels + 1):
                    self.switch(ch, bool(mask >> (ch - 1) & 1))
            except ValueError:
                self.unknown += 1
        elif words == ["ver"]:
            answer = VERSION
        elif words == ["id", "get"]:
            answer = "00000000"
        elif words:
            self.unknown += 1
        out = b"" if answer is None else answer.encode() + b"\n\r"
        self.answer(out + b">")

    def state(self):
        s = super().state()
        s["unknown"] = self.unknown
        return s


if __name__ == "__main__":
    NumatoEmulator.main(sys.argv[1:])
