// Korad/Tenma KA-series supply driver (see korad_supply.hpp).
#include "drivers/korad/korad_supply.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <thread>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::korad {

namespace {

using std::chrono::milliseconds;

// Replies carry no terminator either: a reply is complete when the line has been quiet this
// long. At 9600 baud a byte takes about 1 ms, so 20 ms of silence ends any reply.
constexpr Duration kReplyQuiet = milliseconds(20);
constexpr std::size_t kMaxNumberReply = 8;
constexpr std::size_t kMaxStatusReply = 8;
constexpr std::size_t kMaxIdentityReply = 64;

struct Parsed {
  serial::SerialSettings settings;
  const KoradModel* model;
};

Parsed parse(const SupplySpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout"}, "korad settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "korad", "ka3005p"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "korad");
  serial::check_supply_range(spec, 1, p.model->max_volts, p.model->max_amps,
                             std::string(p.model->title));
  return p;
}

std::string number(double v, const char* unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g %s", v, unit);
  return buf;
}

void refuse_out_of_range(double value, double max, const char* unit, const std::string& title) {
  if (!std::isfinite(value) || value < 0 || value > max)
    throw ConfigError(number(value, unit) + " is beyond the " + title + "'s range 0.." +
                      number(max, unit));
}

bool same_setting(double a, double b, double step) {
  return std::fabs(a - b) < step / 2;
}

}  // namespace

KoradSupply::KoradSupply(const SupplySpec& spec, const KoradModel& model,
                         const serial::SerialSettings& settings)
    : model_(model),
      timeout_(settings.timeout),
      port_(settings.port, model.framing, spec.id, std::string(model.title)),
      // Whoever had the port before us may have sent a command just now; pause before ours.
      last_exchange_(std::chrono::steady_clock::now()) {
  const serial::Bytes reply = query(kIdentify, kMaxIdentityReply, "the identity (*IDN?)", false);
  ParsedIdentity parsed;
  try {
    parsed = parse_identity(reply);
  } catch (const serial::ProtocolError& e) {
    port_.fault(std::string("garbled answer to *IDN?: ") + e.what());
  }
  identity_ = parsed.text;
  const std::optional<unsigned> quirks = identity_quirks(model_, identity_);
  if (!quirks)
    port_.fault("answers *IDN? with " + quote(identity_) + ", which is not a " +
                std::string(model_.title) + "; check `model:` and `port:`");
  if (parsed.trailer && !(*quirks & kIdTrailer))
    port_.fault("answers *IDN? with " + quote(identity_) + " followed by byte " +
                serial::to_hex(std::array{*parsed.trailer}) +
                ", which only some KA3005P firmware sends; is something else on `port:`?");
  quirks_ = *quirks;
}

void KoradSupply::pace() {
  // A wall-clock wait, not the run's Clock: a stop request must not cut the gap short, or the
  // safe-state commands sent on the way out would merge and be dropped.
  std::this_thread::sleep_until(last_exchange_ + next_gap_);
}

void KoradSupply::send(std::string_view command, bool long_command) {
  pace();
  port_.discard_input();
  port_.write(command, timeout_);
  port_.drain(timeout_);
  last_exchange_ = std::chrono::steady_clock::now();
  next_gap_ = gap_after(quirks_, long_command);
}

serial::Bytes KoradSupply::query(std::string_view command, std::size_t max,
                                 std::string_view waiting_for, bool long_command) {
  send(command, long_command);
  serial::Bytes reply = port_.read_burst(max, timeout_, kReplyQuiet, waiting_for);
  last_exchange_ = std::chrono::steady_clock::now();
  return reply;
}

double KoradSupply::query_number(std::string_view command, std::string_view waiting_for) {
  const serial::Bytes reply = query(command, kMaxNumberReply, waiting_for, false);
  try {
    // Only ISET1? carries the sixth byte (see kNumberChars); elsewhere a sixth is garbage.
    return command == kQuerySetCurrent ? parse_current_setting(reply) : parse_number(reply);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled answer to " + std::string(command) + ": " + e.what());
  }
}

bool KoradSupply::query_output_on() {
  const serial::Bytes reply = query(kStatus, kMaxStatusReply, "the status byte (STATUS?)", true);
  try {
    return output_on(reply);
  } catch (const serial::ProtocolError& e) {
    port_.fault(std::string("garbled answer to STATUS?: ") + e.what());
  }
}

void KoradSupply::set_voltage(double volts) {
  refuse_out_of_range(volts, model_.max_volts, "V", std::string(model_.title));
  std::lock_guard lock(mutex_);
  send(encode_set_voltage(volts), true);
  const double readback = query_number(kQuerySetVoltage, "the voltage setting (VSET1?)");
  if (!same_setting(readback, round_volts(volts), 0.01))
    port_.fault("voltage setting reads back " + number(readback, "V") + " after setting " +
                number(round_volts(volts), "V"));
}

void KoradSupply::set_current_limit(double amps) {
  refuse_out_of_range(amps, model_.max_amps, "A", std::string(model_.title));
  std::lock_guard lock(mutex_);
  send(encode_set_current(amps), true);
  const double readback = query_number(kQuerySetCurrent, "the current limit (ISET1?)");
  if (!same_setting(readback, round_amps(amps), 0.001))
    port_.fault("current limit reads back " + number(readback, "A") + " after setting " +
                number(round_amps(amps), "A"));
}

void KoradSupply::set_output(bool on) {
  std::lock_guard lock(mutex_);
  send(encode_output(on), true);
  if (query_output_on() != on)
    port_.fault(std::string("output reads back ") + (on ? "off" : "on") + " after switching it " +
                (on ? "on" : "off"));
}

SupplyReading KoradSupply::measure() {
  std::lock_guard lock(mutex_);
  SupplyReading r;
  r.volts = query_number(kMeasureVoltage, "the measured voltage (VOUT1?)");
  r.amps = query_number(kMeasureCurrent, "the measured current (IOUT1?)");
  r.output_on = query_output_on();
  return r;
}

SupplyDriver korad_driver() {
  SupplyDriver d;
  d.name = "korad";
  d.summary = "Korad/Tenma KA3005P-style bench supply (identity checked, settings read back)";
  d.simulated = false;
  d.validate = [](const SupplySpec& spec) { parse(spec); };
  d.create = [](const SupplySpec& spec, const DriverContext&) -> std::unique_ptr<PowerSupply> {
    Parsed p = parse(spec);
    return std::make_unique<KoradSupply>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::korad
