// The HID relay part of `lockrig probe`: the relay boards among the HID devices present, with the
// fixture lines that select them, and (with --fixture) the `usbhid` boards a fixture configures,
// opened and identified. Reaches the boards through HidBackend (hidapi in the rig, a double in
// tests); reads the dcttech state report only, never switches a relay.
#pragma once

#include <cstdio>
#include <vector>

#include "drivers/specs.hpp"
#include "drivers/usbhid/hid_backend.hpp"

namespace lockrig::drivers::usbhid {

// Prints every recognised relay board on `out`: path, vid:pid, product and USB serial strings,
// model and relay count, the dcttech board id, and the fixture line to use. Throws RigFault
// (component "hidapi") when the HID devices cannot be listed.
void print_hid_relays(HidBackend& backend, std::FILE* out);

// Opens each `usbhid` board among `boards` as the rig would and prints its identity (model,
// board id, path) or the rig fault naming the part; returns how many failed.
int print_configured_hid_boards(const std::vector<SwitchBoardSpec>& boards, HidBackend& backend,
                                std::FILE* out);

}  // namespace lockrig::drivers::usbhid
