// Bluetooth UUIDs as BlueZ spells them: fixtures may write the 16-bit short form ("fff0", "0x180a")
// or the full 128-bit form; BlueZ always reports lowercase 128-bit strings, so everything is
// compared in that form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lockrig::drivers::bluez {

// "fff0", "0xFFF0", "0000fff0", "0000FFF0-0000-1000-8000-00805F9B34FB" → lowercase 128-bit form;
// nullopt for anything else.
std::optional<std::string> normalize_uuid(std::string_view text);

// The 16-bit form for UUIDs on the Bluetooth base ("0000180a-0000-1000-8000-00805f9b34fb" →
// "180a"), the full form otherwise; for messages.
std::string display_uuid(const std::string& uuid);

// Well-known UUIDs the driver reads for identity (Device Information Service).
inline constexpr char kDeviceInformationService[] = "0000180a-0000-1000-8000-00805f9b34fb";
inline constexpr char kFirmwareRevision[] = "00002a26-0000-1000-8000-00805f9b34fb";
inline constexpr char kModelNumber[] = "00002a24-0000-1000-8000-00805f9b34fb";
inline constexpr char kManufacturerName[] = "00002a29-0000-1000-8000-00805f9b34fb";

}  // namespace lockrig::drivers::bluez
