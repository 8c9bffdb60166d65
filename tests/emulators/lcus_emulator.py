#!/usr/bin/python3
"""Emulates an LC Technology LCUS-1/2/4/8 USB relay module on a pty.

Wire: four-byte frames A0 <channel> <op> <sum>, sum = (A0 + channel + op) & FF, op 01 energizes
and 00 releases. The module never answers. Bytes that cannot start a frame are skipped, as the
module's firmware does, and frames with a wrong checksum are ignored (counted as garbled).
"""

import sys

from serialemu import FixedFrameRelayEmulator


class LcusEmulator(FixedFrameRelayEmulator):
    name = "LCUS relay module"
    channel_counts = {"lcus-1": 1, "lcus-2": 2, "lcus-4": 4, "lcus-8": 8}
    models = tuple(channel_counts)
    default_model = "lcus-4"

    frame_start = 0xA0
    frame_length = 4

    def execute(self, frame, now):
        _, channel, op, checksum = frame
        if checksum != (0xA0 + channel + op) & 0xFF or op not in (0, 1) \
                or not 1 <= channel <= self.channels:
            self.garbled += 1
            return
        self.switch(channel, op == 1)


if __name__ == "__main__":
    LcusEmulator.main(sys.argv[1:])
