// The network-instrument part of `lockrig probe --fixture F` (see scpi_probe.hpp).
#include "drivers/scpi/scpi_probe.hpp"

#include <string>

#include "drivers/rig_fault.hpp"
#include "drivers/scpi/scpi_supply.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::scpi {

int print_configured_instruments(const std::vector<SupplySpec>& supplies, std::FILE* out) {
  std::vector<const SupplySpec*> mine;
  for (const SupplySpec& s : supplies)
    if (reached_by_address(s)) mine.push_back(&s);
  std::fprintf(out, "network instruments in the fixture (%zu):\n", mine.size());
  if (mine.empty())
    std::fprintf(out, "  none (no supply has a tcp:// or usbtmc: port)\n");
  int failed = 0;
  for (const SupplySpec* spec : mine) {
    try {
      const InstrumentIdentity found = identify_instrument(*spec);
      const Identity& id = found.identity;
      std::fprintf(out, "  %-10s %s at %s: *IDN? %s\n", spec->id.c_str(),
                   std::string(found.model->title).c_str(), found.address.c_str(),
                   quote(id.manufacturer + "," + id.model + "," + id.serial + "," + id.firmware)
                       .c_str());
    } catch (const RigFault& e) {
      ++failed;
      std::fprintf(out, "  %-10s rig fault: %s\n", spec->id.c_str(), e.what());
    }
  }
  return failed;
}

}  // namespace lockrig::drivers::scpi
