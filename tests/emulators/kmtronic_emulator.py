#!/usr/bin/python3
"""Emulates a KMTronic USB relay board (1, 2, 4 or 8 relays) on a pty.

Wire: three-byte frames FF <relay> 01 (on) / FF <relay> 00 (off). The 1- and 2-relay boards
answer FF <relay> 03 with FF <relay> <state>; the 4- and 8-relay boards answer FF 09 00 with one
byte per relay (01 on, 00 off). Bytes that cannot start a frame are skipped.
"""

import sys

from serialemu import FixedFrameRelayEmulator


class KmtronicEmulator(FixedFrameRelayEmulator):
    name = "KMTronic USB relay board"
    channel_counts = {"kmtronic-1": 1, "kmtronic-2": 2, "kmtronic-4": 4, "kmtronic-8": 8}
    models = tuple(channel_counts)
    default_model = "kmtronic-2"

    frame_start = 0xFF
    frame_length = 3

    def execute(self, frame, now):
        _, relay, op = frame
        whole_board = self.channels >= 4
        if whole_board and relay == 0x09 and op == 0x00:
            self.answer(bytes(1 if on else 0 for on in self.relays))
        elif 1 <= relay <= self.channels and op in (0x00, 0x01):
            self.switch(relay, op == 0x01)
        elif not whole_board and 1 <= relay <= self.channels and op == 0x03:
            self.answer(bytes([0xFF, relay, 1 if self.relay(relay) else 0]))
        else:
            self.garbled += 1


if __name__ == "__main__":
    KmtronicEmulator.main(sys.argv[1:])
