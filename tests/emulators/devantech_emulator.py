#!/usr/bin/python3
"""Emulates a Devantech USB-RLY02/08/16/16L relay module on a pty.

Wire: one-byte commands. 5A answers module id and firmware version; 5B answers one byte, bit n
set when relay n+1 is energized; 5C takes the next byte as the new relay states; 5D answers the
supply voltage in tenths of a volt; 64/6E switch every relay on/off; 65.. and 6F.. switch relay
1.. on and off.

Module ids (first byte of the 5A answer): 8 for the USB-RLY08 is reported by several sources;
q-depot/Cinder-USBRelay 78c15fe src/USBRelay.h:12,17 quotes the USB-RLY16L documentation, "the
Module ID which is 9". No source was found for the USB-RLY02's 10, kept from lockrig's first
table; --module-id makes any module report another id.
"""

import sys

from serialemu import RelayEmulator

MODULE_IDS = {"usb-rly02": 10, "usb-rly08": 8, "usb-rly16": 9, "usb-rly16l": 9}
FIRMWARE = 4


class DevantechEmulator(RelayEmulator):
    name = "Devantech USB-RLY module"
    channel_counts = {"usb-rly02": 2, "usb-rly08": 8, "usb-rly16": 8, "usb-rly16l": 8}
    models = tuple(channel_counts)
    default_model = "usb-rly08"

    @classmethod
    def add_arguments(cls, parser):
        super().add_arguments(parser)
        parser.add_argument("--module-id", type=int,
                            help="answer 5A with this module id instead of the model's")

    def __init__(self, args):
        super().__init__(args)
        self.awaiting_mask = False

    def on_bytes(self, data, now):
        for b in data:
            if self.awaiting_mask:
                self.awaiting_mask = False
                self.command(bytes([0x5C, b]), now)
            elif b == 0x5C:
                self.awaiting_mask = True
            else:
                self.command(bytes([b]), now)

    def execute(self, frame, now):
        op = frame[0]
        n = self.channels
        if op == 0x5A:
            module = self.args.module_id if self.args.module_id is not None \
                else MODULE_IDS[self.args.model]
            self.answer(bytes([module, FIRMWARE]))
        elif op == 0x5B:
            self.answer(bytes([sum(1 << i for i, on in enumerate(self.relays) if on)]))
        elif op == 0x5C:
            for ch in range(1, n + 1):
                self.switch(ch, bool(frame[1] >> (ch - 1) & 1))
        elif op == 0x5D:
            self.answer(bytes([120]))
        elif op in (0x64, 0x6E):
            for ch in range(1, n + 1):
                self.switch(ch, op == 0x64)
        elif 0x65 <= op < 0x65 + n:
            self.switch(op - 0x64, True)
        elif 0x6F <= op < 0x6F + n:
            self.switch(op - 0x6E, False)
        else:
            self.garbled += 1


if __name__ == "__main__":
    DevantechEmulator.main(sys.argv[1:])
