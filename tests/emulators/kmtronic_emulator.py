#!/usr/bin/python3
"""Emulates a KMTronic USB relay board (1, 2, 4 or 8 relays) on a pty.

Wire: three-byte frames FF <relay> 01 (on) / FF <relay> 00 (off). The 1- and 2-relay boards
answer FF <relay> 03 with FF <relay> <state>; the 4- and 8-relay boards answer FF 09 00 with one
byte per relay (01 on, 00 off). Bytes that cannot start a frame are skipped.

Behaviours of real boards, from code that has met them rather than from lockrig's driver
(tiiuae/ci-test-automation 30a3b21):
  - A status request that comes while the board is still processing a switch gets no answer
    (--busy-ms after the switch, default 50). Robot-Framework/lib/KMTronicLibrary.py:78 sleeps
    0.1 s after switching ("Wait for the command to process") and KMTronic/
    kmtronic_4ch_control.py:37 keeps a "Small delay between commands"; how long the board is
    really busy is not measured anywhere, so the default is half the pause they found enough.
  - --miss-status N: the first N status requests get no answer, as the short and missing
    answers KMTronicLibrary.py:100-114 retries after.
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

    @classmethod
    def add_arguments(cls, parser):
        super().add_arguments(parser)
        parser.add_argument("--busy-ms", type=float, default=50.0,
                            help="a status request this soon after a switch gets no answer")
        parser.add_argument("--miss-status", type=int, default=0, metavar="N",
                            help="the first N status requests get no answer")

    def __init__(self, args):
        super().__init__(args)
        self.busy_until = None
        self.unanswered = 0  # status requests that got no answer

    def status_answered(self, now):
        if self.busy_until is not None and now < self.busy_until:
            self.unanswered += 1
            return False
        if self.args.miss_status > 0:
            self.args.miss_status -= 1
            self.unanswered += 1
            return False
        return True

    def execute(self, frame, now):
        _, relay, op = frame
        whole_board = self.channels >= 4
        if whole_board and relay == 0x09 and op == 0x00:
            if self.status_answered(now):
                self.answer(bytes(1 if on else 0 for on in self.relays))
        elif 1 <= relay <= self.channels and op in (0x00, 0x01):
            self.switch(relay, op == 0x01)
            self.busy_until = now + self.args.busy_ms / 1000.0
        elif not whole_board and 1 <= relay <= self.channels and op == 0x03:
            if self.status_answered(now):
                self.answer(bytes([0xFF, relay, 1 if self.relay(relay) else 0]))
        else:
            self.garbled += 1

    def state(self):
        data = super().state()
        data["unanswered_status"] = self.unanswered
        return data


if __name__ == "__main__":
    KmtronicEmulator.main(sys.argv[1:])
