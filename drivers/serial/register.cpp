// The serial drivers' entries, in one explicit table.
#include "drivers/serial/register.hpp"

#include "drivers/devantech/devantech_board.hpp"
#include "drivers/kmtronic/kmtronic_board.hpp"
#include "drivers/korad/korad_supply.hpp"
#include "drivers/lcus/lcus_board.hpp"
#include "drivers/numato/numato_board.hpp"
#include "drivers/scpi/scpi_supply.hpp"
#include "drivers/usbhid/usbhid_board.hpp"

namespace lockrig::drivers {

void register_serial_drivers(DriverRegistry& registry) {
  registry.add(lcus::lcus_driver());
  registry.add(numato::numato_driver());
  registry.add(kmtronic::kmtronic_driver());
  registry.add(devantech::devantech_driver());
  registry.add(usbhid::usbhid_driver());
  registry.add(korad::korad_driver());
  registry.add(scpi::scpi_driver());
}

}  // namespace lockrig::drivers
