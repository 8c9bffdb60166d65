#include "rig/engine/bench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>

#include "drivers/rig_fault.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

namespace {
std::string key(std::string_view lock, std::string_view name) {
  std::string k(lock);
  k += '\0';
  k += name;
  return k;
}

std::string volts_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fV", v);
  return buf;
}
std::string amps_text(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fA", a);
  return buf;
}
}  // namespace

Bench::Bench(const Fixture& fixture, const drivers::DriverRegistry& registry, Clock& clock,
             std::uint64_t seed) {
  drivers::DriverContext ctx{clock, this, seed};
  try {
    for (const auto& b : fixture.switches) {
      auto board = std::make_unique<Board>();
      board->spec = &b;
      board->driver = registry.switch_driver(b.driver, b.where).create(b, ctx);
      // Registered before its channels are checked: an opened board is made safe on any error.
      const std::size_t index = boards_.size();
      boards_.push_back(std::move(board));
      const int count = boards_.back()->driver->channel_count();
      for (const auto& c : b.channels) {
        if (c.channel > count)
          throw ConfigError(c.where, "board " + quote(b.id) + " has " + std::to_string(count) +
                                         " channels; channel " + std::to_string(c.channel) +
                                         " does not exist");
        channels_.push_back(Channel{&c, index, std::nullopt});
        for (const auto& l : c.locks) channel_index_[key(l, c.name)] = channels_.size() - 1;
      }
    }
    for (const auto& s : fixture.supplies) {
      auto sup = std::make_unique<Supply>();
      sup->spec = &s;
      sup->driver = registry.supply_driver(s.driver, s.where).create(s, ctx);
      sup->commanded = drivers::SupplyReading{s.nominal_volts, s.nominal_amps, true};
      for (const auto& l : s.locks) supply_by_lock_[l] = supplies_.size();
      supplies_.push_back(std::move(sup));
    }
    // RF attenuators (issue 14): the device must cover the fixture's range and step.
    for (const auto& a : fixture.attenuators) {
      auto att = std::make_unique<Atten>();
      att->spec = &a;
      att->driver = registry.attenuator_driver(a.driver, a.where).create(a, ctx);
      att->commanded_db = a.safe_db;
      attenuators_.push_back(std::move(att));
      const drivers::AttenuatorLimits lim = attenuators_.back()->driver->limits();
      attenuators_.back()->tolerance_db = std::max(1e-6, lim.step_db / 2);
      if (a.min_db < lim.min_db - 1e-9 || a.max_db > lim.max_db + 1e-9)
        throw ConfigError(a.where, "attenuator " + quote(a.id) + " covers " +
                                       format_number(lim.min_db) + "dB.." +
                                       format_number(lim.max_db) + "dB; the fixture's range " +
                                       format_number(a.min_db) + "dB.." +
                                       format_number(a.max_db) + "dB does not fit");
    }
  } catch (const drivers::RigFault& e) {
    // What a board left behind (a battery cut by a run killed with -9) must not stay that way
    // because another part of the rig is missing.
    throw drivers::RigFault(e.component(), e.message() + make_opened_parts_safe());
  } catch (const ConfigError& e) {
    const std::string note = make_opened_parts_safe();
    if (!safe_) throw drivers::RigFault("bench", std::string(e.what()) + note);
    throw ConfigError(e.where(), e.message() + note);
  } catch (const std::exception& e) {
    const std::string note = make_opened_parts_safe();
    if (!safe_) throw drivers::RigFault("bench", std::string(e.what()) + note);
    throw;
  }
}

std::string Bench::make_opened_parts_safe() {
  // Over nothing opened this is vacuously safe, so a configuration mistake in the first part
  // stays a configuration error (exit 2), not a rig fault.
  const std::vector<BenchEvent> events = restore_safe_state();
  if (boards_.empty() && supplies_.empty() && attenuators_.empty())
    return "; nothing had been opened before it";
  std::vector<std::string> opened, failed;
  for (const auto& b : boards_) opened.push_back("board " + quote(b->spec->id));
  for (const auto& s : supplies_) opened.push_back("supply " + quote(s->spec->id));
  for (const auto& a : attenuators_) opened.push_back("attenuator " + quote(a->spec->id));
  for (const auto& e : events)
    if (e.detail.rfind("FAILED", 0) == 0) failed.push_back(e.target + " (" + e.detail + ")");
  if (failed.empty())
    return "; already opened and put into their safe state: " + join(opened, ", ");
  return "; already opened: " + join(opened, ", ") +
         "; could NOT be put into the safe state: " + join(failed, "; ");
}

Bench::~Bench() = default;

BenchEvent Bench::switch_channel(Channel& ch, bool on) {
  Board& board = *boards_[ch.board];
  const bool energized = on != ch.spec->invert;
  {
    std::lock_guard io(board.io);
    board.driver->set(ch.spec->channel, energized);
  }
  {
    std::lock_guard lk(state_);
    ch.logical = on;
  }
  return BenchEvent{EventKind::set_switch,
                    board.spec->id + "/ch" + std::to_string(ch.spec->channel) + " " + ch.spec->name,
                    on ? "on" : "off", energized ? "relay energized" : "relay released"};
}

BenchEvent Bench::set_channel(const std::string& lock_id, const std::string& name, bool on) {
  auto it = channel_index_.find(key(lock_id, name));
  if (it == channel_index_.end())
    throw std::logic_error("lock " + lock_id + " has no channel " + name);  // planner filters these
  return switch_channel(channels_[it->second], on);
}

BenchEvent Bench::set_supply(const std::string& lock_id, const std::string& name,
                             std::optional<double> volts, std::optional<double> amps,
                             std::optional<bool> output) {
  auto it = supply_by_lock_.find(lock_id);
  if (it == supply_by_lock_.end() || supplies_[it->second]->spec->name != name)
    throw std::logic_error("lock " + lock_id + " has no supply " + name);
  Supply& s = *supplies_[it->second];
  // The fixture's limits protect the lock: refuse before anything reaches the supply.
  if (volts && *volts > s.spec->max_volts)
    throw ConfigError(s.spec->where, "refusing " + volts_text(*volts) + " on supply " +
                                         quote(s.spec->id) + ": limit " + volts_text(s.spec->max_volts));
  if (amps && *amps > s.spec->max_amps)
    throw ConfigError(s.spec->where, "refusing " + amps_text(*amps) + " on supply " +
                                         quote(s.spec->id) + ": limit " + amps_text(s.spec->max_amps));
  drivers::SupplyReading measured;
  {
    std::lock_guard io(s.io);
    if (volts) s.driver->set_voltage(*volts);
    if (amps) s.driver->set_current_limit(*amps);
    if (output) s.driver->set_output(*output);
    measured = s.driver->measure();
  }
  std::string value;
  {
    std::lock_guard lk(state_);
    if (volts) s.commanded.volts = *volts;
    if (amps) s.commanded.amps = *amps;
    if (output) s.commanded.output_on = *output;
    value = volts_text(s.commanded.volts) + " " + amps_text(s.commanded.amps) +
            (s.commanded.output_on ? " output on" : " output off");
  }
  return BenchEvent{EventKind::set_supply, s.spec->id + "/out" + std::to_string(s.spec->output) + " " + name,
                    value,
                    "measured " + volts_text(measured.volts) + " " + amps_text(measured.amps)};
}

BenchEvent Bench::apply_attenuation(Atten& a, double db) {
  const auto& spec = *a.spec;
  const std::string part = "attenuator " + spec.id + " (" + spec.name + ")";
  std::optional<double> read;
  {
    std::lock_guard io(a.io);
    a.driver->set_db(db);
    read = a.driver->read_db();
  }
  {
    // The lock sees what was set even when the device then disagrees: the fault stops the item.
    std::lock_guard lk(state_);
    a.commanded_db = db;
  }
  if (read && std::abs(*read - db) > a.tolerance_db)
    throw drivers::RigFault(part, "read back " + format_number(*read) + "dB after setting " +
                                      format_number(db) + "dB");
  return BenchEvent{EventKind::set_attenuator, spec.id + " " + spec.name, format_number(db) + "dB",
                    read ? "read back " + format_number(*read) + "dB" : "no read-back"};
}

double Bench::safe_attenuation(const std::string& lock_id, const std::string& name) const {
  for (const auto& a : attenuators_)
    if (a->spec->name == name &&
        std::find(a->spec->locks.begin(), a->spec->locks.end(), lock_id) != a->spec->locks.end())
      return a->spec->safe_db;
  throw std::logic_error("lock " + lock_id + " has no attenuator " + name);  // planner filters these
}

BenchEvent Bench::set_attenuation(const std::string& lock_id, const std::string& name, double db) {
  for (auto& a : attenuators_) {
    const auto& spec = *a->spec;
    if (spec.name != name ||
        std::find(spec.locks.begin(), spec.locks.end(), lock_id) == spec.locks.end())
      continue;
    // The scenario parser checks levels against every attenuator of that name; this guards the
    // hardware against any other caller.
    if (!attenuation_level_allowed(spec, db))
      throw ConfigError(spec.where, "refusing " + format_number(db) + "dB on attenuator " +
                                        quote(spec.id) + ": allowed " + attenuation_range_text(spec));
    return apply_attenuation(*a, db);
  }
  throw std::logic_error("lock " + lock_id + " has no attenuator " + name);  // planner filters these
}

template <typename Pred>
bool Bench::restore(Pred wanted, std::vector<BenchEvent>& events) {
  bool all_ok = true;
  // Making the bench safe is worth a second try: a relay board or supply that garbled or missed
  // one command (a glitch on the line, a slow reply) usually takes the next. A part that fails
  // twice is taken for dead: its other channels get one try each, so a silent board costs one
  // timeout per channel, not two. The journal keeps the first failure next to the outcome.
  std::set<const void*> dead;
  auto attempt = [&](const void* part, auto&& act) -> std::optional<std::string> {
    const int tries = dead.count(part) ? 1 : 2;
    std::string first;
    for (int i = 0; i < tries; ++i) {
      try {
        act();
        return i == 0 ? std::nullopt : std::optional<std::string>(first);
      } catch (const std::exception& ex) {
        if (i == 0) first = ex.what();
        if (i + 1 == tries) {
          dead.insert(part);
          throw;
        }
      }
    }
    return std::nullopt;
  };
  auto retried = [](const std::optional<std::string>& first) {
    return first ? "; took a second try, the first failed: " + *first : std::string();
  };
  for (auto& ch : channels_) {
    if (!wanted(ch.spec->locks)) continue;
    try {
      BenchEvent e;
      const auto first = attempt(boards_[ch.board].get(),
                                 [&] { e = switch_channel(ch, ch.spec->safe_on); });
      e.kind = EventKind::safe_state;
      e.detail += retried(first);
      events.push_back(std::move(e));
    } catch (const std::exception& ex) {
      all_ok = false;
      events.push_back(BenchEvent{EventKind::safe_state,
                                  boards_[ch.board]->spec->id + "/ch" +
                                      std::to_string(ch.spec->channel) + " " + ch.spec->name,
                                  ch.spec->safe_on ? "on" : "off",
                                  std::string("FAILED: ") + ex.what()});
    }
  }
  for (auto& s : supplies_) {
    const auto* spec = s->spec;
    if (!wanted(spec->locks)) continue;
    try {
      const auto first = attempt(s.get(), [&] {
        std::lock_guard io(s->io);
        s->driver->set_voltage(spec->nominal_volts);
        s->driver->set_current_limit(spec->nominal_amps);
        s->driver->set_output(true);
      });
      {
        std::lock_guard lk(state_);
        s->commanded = drivers::SupplyReading{spec->nominal_volts, spec->nominal_amps, true};
      }
      events.push_back(BenchEvent{EventKind::safe_state, spec->id + "/out" + std::to_string(spec->output) +
                                                    " " + spec->name,
                                  volts_text(spec->nominal_volts) + " " +
                                      amps_text(spec->nominal_amps) + " output on",
                                  "nominal" + retried(first)});
    } catch (const std::exception& ex) {
      all_ok = false;
      events.push_back(BenchEvent{EventKind::safe_state, spec->id + " " + spec->name, "nominal",
                                  std::string("FAILED: ") + ex.what()});
    }
  }
  for (auto& a : attenuators_) {
    if (!wanted(a->spec->locks)) continue;
    try {
      BenchEvent e;
      const auto first = attempt(a.get(), [&] { e = apply_attenuation(*a, a->spec->safe_db); });
      e.kind = EventKind::safe_state;
      e.detail += retried(first);
      events.push_back(std::move(e));
    } catch (const std::exception& ex) {
      all_ok = false;
      events.push_back(BenchEvent{EventKind::safe_state, a->spec->id + " " + a->spec->name,
                                  format_number(a->spec->safe_db) + "dB",
                                  std::string("FAILED: ") + ex.what()});
    }
  }
  return all_ok;
}

std::vector<BenchEvent> Bench::restore_safe_state() {
  std::vector<BenchEvent> events;
  const bool all_ok = restore([](const std::vector<std::string>&) { return true; }, events);
  std::lock_guard lk(state_);
  safe_ = all_ok;
  return events;
}

std::vector<BenchEvent> Bench::restore_safe_state_of(const std::vector<std::string>& lock_ids) {
  std::vector<BenchEvent> events;
  restore(
      [&](const std::vector<std::string>& wired) {
        return std::any_of(wired.begin(), wired.end(), [&](const std::string& l) {
          return std::find(lock_ids.begin(), lock_ids.end(), l) != lock_ids.end();
        });
      },
      events);
  return events;
}

bool Bench::safe() const {
  std::lock_guard lk(state_);
  return safe_;
}

std::optional<bool> Bench::channel_state(std::string_view lock_id, std::string_view name) const {
  auto it = channel_index_.find(key(lock_id, name));
  if (it == channel_index_.end()) return std::nullopt;
  std::lock_guard lk(state_);
  const Channel& ch = channels_[it->second];
  // Before anything was commanded the bench is assumed to sit in its declared safe state.
  return ch.logical.value_or(ch.spec->safe_on);
}

std::optional<drivers::SupplyReading> Bench::supply_state(std::string_view lock_id) const {
  auto it = supply_by_lock_.find(lock_id);
  if (it == supply_by_lock_.end()) return std::nullopt;
  std::lock_guard lk(state_);
  return supplies_[it->second]->commanded;
}

std::optional<double> Bench::attenuation_db(std::string_view lock_id) const {
  std::optional<double> total;
  std::lock_guard lk(state_);
  for (const auto& a : attenuators_) {
    const auto& locks = a->spec->locks;
    if (std::find(locks.begin(), locks.end(), lock_id) != locks.end())
      total = total.value_or(0.0) + a->commanded_db;
  }
  return total;
}

}  // namespace lockrig
