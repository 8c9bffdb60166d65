#!/usr/bin/python3
"""Self-test of korad_emulator.py's pause rule, fed synthetic byte timestamps (no pty, no clock).

The emulator can only timestamp bytes when the scheduler wakes it, so its clock reads late by
that wake-up delay; a late read of one command shortens the next command's measured pause by the
same amount. The rule must still drop a command a driver sends without pausing, and must not drop
one that followed an 80 ms pause of the host (libsigrok korad-kaxxxxp protocol.c pauses 80 ms,
DEVICE_PROCESSING_TIME_MS) just because the emulator woke up late for the command before it.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from korad_emulator import KoradEmulator  # noqa: E402


def emulator(*argv):
    args = KoradEmulator.parser().parse_args(["--link", "/nonexistent", *argv])
    emu = KoradEmulator(args)
    emu.answer = lambda data: None  # no pty: answers go nowhere, the pause rule is what is tested
    return emu


def feed(emu, command, sent_at, read_late_ms=0.0):
    """The host writes `command` at sent_at (s); the emulator reads it read_late_ms later."""
    now = sent_at + read_late_ms / 1000.0
    emu.on_bytes(command, now)
    emu.on_tick(now + 1.5 * emu.args.frame_quiet_ms / 1000.0)  # after the frame's quiet time


class PauseRule(unittest.TestCase):
    def test_a_late_wake_up_before_a_paced_command_does_not_drop_it(self):
        # The CI failure "no answer within 1s (waiting for the voltage setting (VSET1?))": the
        # emulator read VSET1:2.80 late and measured the 80 ms pause before VSET1? as too short.
        emu = emulator()
        feed(emu, b"VSET1:2.80", 0.0, read_late_ms=25.0)
        feed(emu, b"VSET1?", 0.080)
        self.assertEqual(emu.gap_violations, 0)
        self.assertAlmostEqual(emu.vset, 2.80)
        self.assertAlmostEqual(emu.min_gap_ms, 55.0, places=6)

    def test_a_command_sent_without_a_pause_is_dropped(self):
        emu = emulator()
        feed(emu, b"VSET1:2.80", 0.0)
        feed(emu, b"VSET1:3.30", 0.016)  # right after the frame's quiet time: no pause kept
        self.assertEqual(emu.gap_violations, 1)
        self.assertAlmostEqual(emu.vset, 2.80)

    def test_a_pause_well_short_of_the_minimum_is_dropped(self):
        emu = emulator("--min-gap-ms", "200")
        feed(emu, b"VSET1:2.80", 0.0)
        feed(emu, b"VSET1:3.30", 0.080)
        self.assertEqual(emu.gap_violations, 1)
        self.assertAlmostEqual(emu.vset, 2.80)

    def test_the_median_pause_ignores_one_late_wake_up(self):
        emu = emulator()
        t = 0.0
        for i, late in enumerate((0.0, 0.0, 25.0, 0.0, 0.0)):
            feed(emu, b"VSET1:%.2f" % (1 + i), t, read_late_ms=late)
            t += 0.080
        state = emu.state()
        self.assertAlmostEqual(state["median_gap_ms"], 80.0, places=6)
        self.assertAlmostEqual(state["min_gap_ms"], 55.0, places=6)


if __name__ == "__main__":
    unittest.main()
