#!/usr/bin/python3
"""Emulates an LC Technology LCUS-1/2/4/8 USB relay module on a pty.

Wire: four-byte frames A0 <channel> <op> <sum>, sum = (A0 + channel + op) & FF, op 01 energizes
and 00 releases; a switch is never confirmed. Bytes that cannot start a frame are skipped, as
the module's firmware does, and frames with a wrong checksum are ignored (counted as garbled).

Behaviours of real modules, from code that has met them rather than from lockrig's driver:
  - LCUS-2/4/8 answer a single FF byte with one line per relay, "CH1: ON \\r\\nCH2: OFF\\r\\n"
    (Brasme/usb_ch340_4x_relay_control cc51013 ch340_relay.py:18,83-88; Brian Rzycki's LCUS
    relay class shows the padded "ON "). No source shows an LCUS-1 answering: it stays silent.
  - The first status answer after a switch may still show the state before it; Rzycki's class
    reads twice because "Testing often showed stale status after a single read"
    (--no-stale-status turns this off).
  - The board handles one command at a time: a command that arrives while it is still busy with
    a switch (--busy-ms after the switch frame) is lost (ch340_relay.py:62-63,70-71, which sleeps
    100 ms after every switch). How long the board is busy is not measured anywhere; Rzycki
    sends status requests right after an answer without trouble, so only switches make it busy,
    and the default of 50 ms is half the pause Brasme found enough.
"""

import sys

from serialemu import FixedFrameRelayEmulator

STATUS_REQUEST = 0xFF


class LcusEmulator(FixedFrameRelayEmulator):
    name = "LCUS relay module"
    channel_counts = {"lcus-1": 1, "lcus-2": 2, "lcus-4": 4, "lcus-8": 8}
    models = tuple(channel_counts)
    default_model = "lcus-4"

    frame_start = 0xA0
    frame_length = 4

    @classmethod
    def add_arguments(cls, parser):
        super().add_arguments(parser)
        parser.add_argument("--busy-ms", type=float, default=50.0,
                            help="after a switch frame, commands arriving sooner are lost")
        parser.add_argument("--no-stale-status", dest="stale_status", action="store_false",
                            help="the first status answer after a switch is already current")

    def __init__(self, args):
        super().__init__(args)
        self.answers_status = self.channels > 1
        self.busy_until = None    # monotonic time the last switch is done
        self.stale = None         # relay states the next status answer shows, if stale
        self.dropped = 0          # commands lost because the board was busy
        self.status_requests = 0

    def on_bytes(self, data, now):
        for b in data:
            # A lone FF at a frame boundary is a status request; inside a frame it is data.
            if not self.buffer and b == STATUS_REQUEST:
                self.command(bytes([b]), now)
            else:
                super().on_bytes(bytes([b]), now)

    def command(self, frame, now, shown=None):
        if self.busy_until is not None and now < self.busy_until:
            self.dropped += 1
            self.commands += 1
            if self.log:
                self.log.write(f"{now - self.started:.6f} {frame.hex(' ').upper()} DROPPED "
                               f"(busy for {1000 * (self.busy_until - now):.1f} ms more)\n")
            self.write_state()
            return
        super().command(frame, now, shown)

    def execute(self, frame, now):
        if frame == bytes([STATUS_REQUEST]):
            self.status_requests += 1
            if self.answers_status:
                shown = self.stale if self.stale is not None else self.relays
                self.stale = None
                self.answer("".join(f"CH{i + 1}: {'ON ' if on else 'OFF'}\r\n"
                                    for i, on in enumerate(shown)).encode())
            return
        _, channel, op, checksum = frame
        if checksum != (0xA0 + channel + op) & 0xFF or op not in (0, 1) \
                or not 1 <= channel <= self.channels:
            self.garbled += 1
            return
        if self.args.stale_status:
            self.stale = list(self.relays)
        self.switch(channel, op == 1)
        self.busy_until = now + self.args.busy_ms / 1000.0

    def state(self):
        data = super().state()
        data.update({"dropped": self.dropped, "status_requests": self.status_requests})
        return data


if __name__ == "__main__":
    LcusEmulator.main(sys.argv[1:])
