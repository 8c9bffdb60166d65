// The network-instrument part of `lockrig probe --fixture F`: each SCPI supply the fixture reaches
// by address (`port: tcp://HOST:PORT` or `port: usbtmc:/dev/usbtmcN`), asked `*IDN?`.
#pragma once

#include <cstdio>
#include <vector>

#include "drivers/specs.hpp"

namespace lockrig::drivers::scpi {

// Prints each such supply's identity, or the rig fault naming the part and its address (refused,
// reset, silent, not the configured model), on `out`; returns how many failed.
int print_configured_instruments(const std::vector<SupplySpec>& supplies, std::FILE* out);

}  // namespace lockrig::drivers::scpi
