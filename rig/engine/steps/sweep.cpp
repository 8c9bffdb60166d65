// `sweep` (issue 14): a block of steps repeated over levels of one RF attenuator, to measure
// unlock success against attenuation (the range margin; docs/range.md "Sweeps").
//   - sweep:
//       part: rf_path
//       levels: 0dB..44dB step 4dB        # or a list [20dB, 30dB, 40dB]
//       design: grid                      # every level x `sessions`
//       sessions: 10
//       steps:
//         - unlock: {within: 8s}
//   - sweep: {part: rf_path, levels: 0dB..60dB step 2dB, design: staircase, sessions: 60,
//             start: 20dB, step: 4dB, down: 3, reversals: 12, steps: [unlock: {within: 8s}]}
//   - sweep: {part: rf_path, levels: 0dB..48dB step 2dB, design: quantile, target: 99%,
//             sessions: 4000, width: 2dB, steps: [unlock: {within: 8s}]}
// The block holds exactly one unlock step (the sweep's measurement) and no attenuate or sweep.
// Every session of the block is journaled with `sweep` (the level the bench set and read back),
// expect = kSweepExpect and sli_eligible = false: it measures range, it is neither an SLI
// session nor an assertion. The attenuator goes back to its safe level when the sweep ends.
// Step fields: target (the attenuator's name), sweep.
#include <algorithm>
#include <cmath>

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/quantile_design.hpp"
#include "rig/engine/staircase.hpp"
#include "rig/engine/steps/step_kind.hpp"
#include "rig/journal/records.hpp"

namespace lockrig::steps {

namespace {

std::string db_text(double db) { return format_number(db) + "dB"; }

std::string levels_text(const std::vector<double>& levels) {
  std::vector<std::string> words;
  for (double l : levels) words.push_back(db_text(l));
  return join(words, ", ");
}

int bounded_int(const YAML::Node& n, const std::string& file, const std::string& what, long long lo,
                long long hi) {
  const long long v = yaml::as_int(n, file, what);
  if (v < lo || v > hi)
    throw ConfigError(yaml::location(n, file), what + " must be between " + std::to_string(lo) +
                                                   " and " + std::to_string(hi) + ", got " +
                                                   quote(n.Scalar()));
  return static_cast<int>(v);
}

// An adaptive design walks a ladder of evenly spaced levels; its start must be on it and its
// step a whole number of rungs (Levitt's fixed step size). `what` names the design in errors.
void check_ladder(const YAML::Node& v, const std::string& file, SweepSpec& sw,
                  const std::string& what) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  std::vector<double> sorted = sw.levels;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](double a, double b) { return std::abs(a - b) < 1e-9; }),
               sorted.end());
  if (sorted.size() < 2)
    throw ConfigError(at(v["levels"]), "a " + what + " sweep needs at least two levels, got " +
                                           levels_text(sw.levels));
  const double spacing = sorted[1] - sorted[0];
  for (std::size_t i = 2; i < sorted.size(); ++i)
    if (std::abs(sorted[i] - sorted[i - 1] - spacing) > 1e-6)
      throw ConfigError(at(v["levels"]), "a " + what + " sweep needs evenly spaced levels, got " +
                                             levels_text(sorted));
  const std::string ladder =
      db_text(sorted.front()) + ".." + db_text(sorted.back()) + " step " + db_text(spacing);
  if (std::none_of(sorted.begin(), sorted.end(),
                   [&](double l) { return std::abs(l - sw.start_db) < 1e-6; }))
    throw ConfigError(sw.start_where, what + " start " + db_text(sw.start_db) +
                                          " is not one of the sweep's levels " + ladder);
  const double rungs = sw.step_db / spacing;
  if (!(sw.step_db > 0) || std::abs(rungs - std::round(rungs)) > 1e-6 ||
      sw.step_db > sorted.back() - sorted.front() + 1e-9)
    throw ConfigError(sw.step_where, what + " step " + db_text(sw.step_db) +
                                         " must be a positive multiple of the levels' spacing " +
                                         db_text(spacing) + " no wider than " + ladder);
  sw.levels = std::move(sorted);
  sw.level_where.assign(sw.levels.size(), at(v["levels"]));
}

// A probability written as 0.99 or 99%, strictly between `lo` and `hi`.
double parse_rate(const YAML::Node& n, const std::string& file, const std::string& what, double lo,
                  double hi) {
  const std::string text = yaml::as_string(n, file, what);
  const bool percent = !text.empty() && text.back() == '%';
  double v = 0;
  try {
    std::size_t used = 0;
    const std::string number = percent ? text.substr(0, text.size() - 1) : text;
    v = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw ConfigError(yaml::location(n, file),
                      what + " must be a rate such as 0.99 or 99%, got " + quote(text));
  }
  if (percent) v /= 100;
  if (!(v > lo && v < hi))
    throw ConfigError(yaml::location(n, file), what + " must be above " + format_number(lo) +
                                                   " and below " + format_number(hi) + ", got " +
                                                   quote(text));
  return v;
}

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  yaml::check_mapping(v, file,
                      {"name", "part", "levels", "design", "sessions", "start", "step", "down",
                       "reversals", "target", "width", "steps"},
                      "a sweep step");
  yaml::require_keys(v, file, {"part", "levels", "sessions", "steps"}, "a sweep step");
  auto sw = std::make_shared<SweepSpec>();
  if (v["name"]) {
    sw->name = yaml::as_bounded_string(v["name"], file, "sweep name", kMaxNameLength);
    if (!is_identifier(sw->name))
      throw ConfigError(at(v["name"]), "sweep name " + quote(sw->name) +
                                           " may only contain letters, digits, '-', '_' and '.'");
  }
  s.target = yaml::as_string(v["part"], file, "part");
  sw->levels = parse_db_levels(v["levels"], file, "sweep levels");
  if (v["levels"].IsSequence())
    for (const auto& n : v["levels"]) sw->level_where.push_back(at(n));
  else
    sw->level_where.assign(sw->levels.size(), at(v["levels"]));
  if (v["design"]) {
    static constexpr NameTable<SweepDesign, 3> kDesigns{{{SweepDesign::grid, "grid"},
                                                        {SweepDesign::staircase, "staircase"},
                                                        {SweepDesign::quantile, "quantile"}}};
    sw->design = yaml::as_choice(v["design"], file, "sweep design", kDesigns);
  }
  sw->sessions = bounded_int(v["sessions"], file, "sweep sessions", 1, 100000);
  const bool staircase = sw->design == SweepDesign::staircase;
  const bool quantile = sw->design == SweepDesign::quantile;
  const std::string design_name = staircase ? "staircase" : quantile ? "quantile" : "grid";
  for (const char* key : {"start", "step"})
    if (v[key] && !staircase && !quantile)
      throw ConfigError(at(v[key]), std::string("sweep ") + key +
                                        " is a setting of design: staircase or quantile, not of "
                                        "a grid");
  for (const char* key : {"down", "reversals"})
    if (v[key] && !staircase)
      throw ConfigError(at(v[key]), std::string("sweep ") + key +
                                        " is a setting of design: staircase, not of a " +
                                        design_name);
  for (const char* key : {"target", "width"})
    if (v[key] && !quantile)
      throw ConfigError(at(v[key]), std::string("sweep ") + key +
                                        " is a setting of design: quantile, not of a " +
                                        design_name);
  if (staircase) {
    yaml::require_keys(v, file, {"start", "step"}, "a staircase sweep");
    sw->start_db = parse_db(v["start"], file, "staircase start");
    sw->start_where = at(v["start"]);
    sw->step_db = parse_db(v["step"], file, "staircase step");
    sw->step_where = at(v["step"]);
    if (v["down"]) sw->down = bounded_int(v["down"], file, "staircase down", 1, 10);
    if (v["reversals"])
      sw->reversals = bounded_int(v["reversals"], file, "staircase reversals", 1, 1000);
    check_ladder(v, file, *sw, "staircase");
  }
  if (quantile) {
    // Defaults: start at the easiest (lowest) level, one rung per start-up step.
    std::vector<double> sorted = sw->levels;
    std::sort(sorted.begin(), sorted.end());
    sw->start_db = sorted.front();
    sw->start_where = at(v["levels"]);
    sw->step_db = sorted.size() >= 2 ? sorted[1] - sorted[0] : 0;
    sw->step_where = at(v["levels"]);
    if (v["start"]) {
      sw->start_db = parse_db(v["start"], file, "quantile start");
      sw->start_where = at(v["start"]);
    }
    if (v["step"]) {
      sw->step_db = parse_db(v["step"], file, "quantile step");
      sw->step_where = at(v["step"]);
    }
    // Above 50%: the range margin is a high success rate (the start-up climbs from the easy end);
    // below 99.9%: a k-down start-up for 99.9% already needs 693 successes per step.
    if (v["target"]) sw->target = parse_rate(v["target"], file, "quantile target", 0.5, 0.999);
    if (v["width"]) {
      sw->width_db = parse_db(v["width"], file, "quantile width");
      if (!(sw->width_db > 0))
        throw ConfigError(at(v["width"]), "quantile width must be above 0dB, got " +
                                              quote(v["width"].Scalar()));
    }
    check_ladder(v, file, *sw, "quantile");
  }
  const YAML::Node steps = v["steps"];
  if (!steps.IsSequence() || steps.size() == 0)
    throw ConfigError(at(steps), "sweep steps must be a non-empty list with one unlock step");
  int unlocks = 0;
  for (const auto& n : steps) {
    Step b = parse_step(n, file);
    if (b.kind == Step::Kind::sweep || b.kind == Step::Kind::attenuate)
      throw ConfigError(b.where, "a sweep's steps cannot " +
                                     std::string(b.kind == Step::Kind::sweep
                                                     ? "hold another sweep"
                                                     : "set an attenuator (the sweep sets it)"));
    if (b.kind == Step::Kind::unlock) {
      ++unlocks;
      if (!b.unlock.expect.expects_success())
        throw ConfigError(b.where, "a sweep measures unlock success against attenuation: its "
                                   "unlock step must expect success, got " +
                                       quote(b.unlock.expect.name()));
    }
    sw->steps.push_back(std::move(b));
  }
  if (unlocks != 1)
    throw ConfigError(at(steps), "a sweep's steps must hold exactly one unlock step, got " +
                                     std::to_string(unlocks));
  s.sweep = std::move(sw);
}

std::string describe(const Step& s) {
  const SweepSpec& sw = *s.sweep;
  const double lo = *std::min_element(sw.levels.begin(), sw.levels.end());
  const double hi = *std::max_element(sw.levels.begin(), sw.levels.end());
  std::string out = "sweep " + s.target + " " + db_text(lo) + ".." + db_text(hi) + " (" +
                    std::to_string(sw.levels.size()) + " levels) ";
  if (sw.design == SweepDesign::grid)
    return out + "grid x " + std::to_string(sw.sessions) + " sessions";
  if (sw.design == SweepDesign::quantile)
    return out + "quantile (Wu 1985) at " + format_number(sw.target * 100) + "% from " +
           db_text(sw.start_db) + " step " + db_text(sw.step_db) + ", " +
           (sw.width_db > 0 ? "+-" + db_text(sw.width_db) + " or " : std::string()) +
           std::to_string(sw.sessions) + " sessions";
  return out + "staircase " + std::to_string(sw.down) + "-down/1-up from " + db_text(sw.start_db) +
         " step " + db_text(sw.step_db) + ", " + std::to_string(sw.reversals) +
         " reversals or " + std::to_string(sw.sessions) + " sessions";
}

// Between the block's unlock step and the run: marks each session as a sweep session at its level
// and notes whether it succeeded (the staircase's input).
class SweepSink final : public StepSink {
 public:
  SweepSink(StepSink& outer, const Step& step) : outer_(outer), step_(step) {}

  void at(double level, int ordinal) {
    level_ = level;
    ordinal_ = ordinal;
    succeeded_.reset();
  }
  std::optional<bool> succeeded() const { return succeeded_; }

  void event(EventKind kind, std::string target, std::string value, std::string detail) override {
    outer_.event(kind, std::move(target), std::move(value), std::move(detail));
  }
  void assertion_failed() override { outer_.assertion_failed(); }
  bool session(SessionRecord s) override {
    s.expect = std::string(kSweepExpect);
    s.sli_eligible = false;
    s.sli_success = false;
    // The run numbers it among the item's sessions (runner.cpp ItemSink): the ordinal rides here.
    s.step_index = ordinal_;
    // The journal's word for the design (schema v5's CHECK: grid, staircase, quantile).
    const SweepDesign d = step_.sweep->design;
    s.sweep = SweepLevel{step_.sweep->name, step_.target, level_,
                         d == SweepDesign::grid        ? "grid"
                         : d == SweepDesign::staircase ? "staircase"
                                                       : "quantile"};
    succeeded_ = s.result == SessionResult::pass && s.outcome == "success";
    return outer_.session(std::move(s));
  }

 private:
  StepSink& outer_;
  const Step& step_;
  double level_ = 0;
  int ordinal_ = 0;
  std::optional<bool> succeeded_;
};

StepEnd execute(const Step& s, StepContext& ctx) {
  const SweepSpec& sw = *s.sweep;
  SweepSink sink(ctx.sink, s);
  StepContext inner{ctx.bench, ctx.link, ctx.clock, ctx.halt, ctx.lock_id, sink};
  std::optional<double> set;  // the level the attenuator is at, once the sweep set it
  int ordinal = 0;
  // One pass of the block at `level`; nullopt: the item ends here.
  auto trial = [&](double level) -> std::optional<bool> {
    if (!set || std::abs(*set - level) > 1e-9) {
      // Throws RigFault when the part reads back another level: the session never runs.
      BenchEvent e = ctx.bench.set_attenuation(ctx.lock_id, s.target, level);
      ctx.sink.event(e.kind, e.target, e.value, e.detail);
      set = level;
    }
    sink.at(level, ordinal++);
    for (const Step& b : sw.steps) {
      if (ctx.halt) return std::nullopt;
      if (b.kind->execute(b, inner) == StepEnd::end_item) return std::nullopt;
    }
    return sink.succeeded().value_or(false);
  };
  bool ended = false;
  if (sw.design == SweepDesign::grid) {
    for (double level : sw.levels)
      for (int k = 0; k < sw.sessions && !ended; ++k) ended = !trial(level);
  } else if (sw.design == SweepDesign::quantile) {
    QuantileDesign q({sw.levels, sw.target, sw.start_db, sw.step_db, sw.sessions, sw.width_db});
    while (!q.done() && !ended) {
      const auto ok = trial(q.level());
      if (!ok) {
        ended = true;
      } else {
        q.record(*ok);
      }
    }
  } else {
    Staircase stair({sw.start_db, sw.step_db, sw.levels.front(), sw.levels.back(), sw.down,
                     sw.reversals, sw.sessions});
    while (!stair.done() && !ended) {
      const auto ok = trial(stair.level());
      if (!ok) {
        ended = true;
      } else {
        stair.record(*ok);
      }
    }
  }
  if (ended) return StepEnd::end_item;  // the bench's safe state at the run's end covers it
  BenchEvent e = ctx.bench.set_attenuation(ctx.lock_id, s.target,
                                           ctx.bench.safe_attenuation(ctx.lock_id, s.target));
  ctx.sink.event(e.kind, e.target, e.value, e.detail + "; sweep over, back to the safe level");
  return StepEnd::next;
}

}  // namespace

extern const StepKind kSweepStep;  // a row of the step table (step_table.cpp)
const StepKind kSweepStep{"sweep", parse, describe, execute};

}  // namespace lockrig::steps
