// Rig faults: the rig's own hardware failing is not the lock's failure. Sessions it voids never
// count toward the SLI, and the fixture's on_rig_fault policy decides how much of the run stops.
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";
const std::string kBatteryRemoved = "scenarios/battery-removed.yaml";
const std::string kDoorMaterials = "scenarios/door-materials.yaml";

TEST(LockrigRigFault, RelayBoardThatStopsAnsweringAbortsTheRunWithExit3) {
  TempDir tmp;
  // The battery relay board answers the run-start safe-state commands (one per channel) and
  // then only `spare` more before it goes silent.
  const Fixture shipped = load_fixture(source_path(kFixture));
  const auto board = std::find_if(shipped.switches.begin(), shipped.switches.end(),
                                  [](const auto& b) { return b.id == "battery-relays"; });
  ASSERT_NE(board, shipped.switches.end());
  const long long spare = 4;
  const long long stop_after = static_cast<long long>(board->channels.size()) + spare;
  std::string text = read_file(source_path(kFixture));
  text = replace_once(text, "on_rig_fault: quarantine", "on_rig_fault: abort");
  text =
      replace_once(text, "settings: {channels: 8}\n    channels:\n      - {name: battery",
                   "settings: {channels: 8, stop_answering_after: " + std::to_string(stop_after) +
                       "}\n    channels:\n      - {name: battery");
  const std::string fx = tmp.write("dying-relays.yaml", text);
  const std::string db_path = tmp.file("journal.db");
  const Result r =
      lockrig({"run", "--fixture", fx, "--scenario", source_path(kBatteryRemoved), "--repeat", "5",
               "--seed", "2", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("rig fault"), std::string::npos) << r.describe();

  const Fixture f = load_fixture(fx);
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), "3");
  EXPECT_LT(db.integer("SELECT count(*) FROM sessions"),
            db.integer("SELECT sessions_planned FROM runs"));
  EXPECT_GE(db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault' AND detail LIKE "
                       "'%battery-relays%'"),
            1);
  // Nothing that the silent board did not do is journaled as done.
  EXPECT_LE(
      db.integer(
          "SELECT count(*) FROM events WHERE kind = 'switch' AND target LIKE 'battery-relays/%'"),
      spare);
  // A lock failure is never blamed for the board: no session failed because of it.
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM sessions WHERE result = 'rig_fault' AND sli_eligible != 0"),
      0);
  // The silent board cannot be made safe, and the journal says so; every other part is safe.
  expect_run_ends_in_safe_state(db, f, {"battery-relays"});
  EXPECT_GT(db.integer("SELECT count(*) FROM events WHERE kind = 'safe_state' AND target LIKE "
                       "'battery-relays/%' "
                       "AND detail LIKE 'FAILED%' AND id > (SELECT max(id) FROM events WHERE kind "
                       "= 'rig_fault')"),
            0);
  expect_journal_invariants(db);
}

const char* kTwoBoardFixture =
    "rig: fault-lab\n"
    "on_rig_fault: quarantine\n"
    "locks:\n"
    "  - {id: a-1, material: wood, driver: sim}\n"
    "  - {id: a-2, material: glass, driver: sim}\n"
    "  - {id: b-1, material: steel, driver: sim}\n"
    "  - {id: b-2, material: pvc, driver: sim}\n"
    "switches:\n"
    "  - id: flaky-relays\n"  // one battery line shared by a-1 and a-2: one group
    "    driver: sim\n"
    "    settings: {channels: 1, stop_answering_after: 3}\n"
    "    channels:\n"
    "      - {name: battery, channel: 1, locks: [a-1, a-2], safe: on}\n"
    "  - id: good-relays\n"
    "    driver: sim\n"
    "    settings: {channels: 2}\n"
    "    channels:\n"
    "      - {name: battery, channel: 1, locks: [b-1], safe: on}\n"
    "      - {name: battery, channel: 2, locks: [b-2], safe: on}\n";

TEST(LockrigRigFault, QuarantineStopsOnlyTheLocksSharingTheFaultyBoard) {
  TempDir tmp;
  const std::string fx = tmp.write("fault-lab.yaml", kTwoBoardFixture);
  const std::string db_path = tmp.file("journal.db");
  const int repeat = 3;
  const Result r =
      lockrig({"run", "--fixture", fx, "--scenario", source_path(kBatteryRemoved), "--repeat",
               std::to_string(repeat), "--seed", "4", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();

  const Fixture f = load_fixture(fx);
  const auto scenarios = load_scenarios(source_path(kBatteryRemoved));
  const long long per_lock = static_cast<long long>(repeat) * scenarios[0].unlock_steps();
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  for (const std::string lock : {"b-1", "b-2"}) {
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = " + sql_quote(lock)),
              per_lock)
        << lock << " shares nothing with the faulty board and should finish";
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE result = 'rig_fault' AND lock_id = " +
                         sql_quote(lock)),
              0);
  }
  EXPECT_LT(db.integer("SELECT count(*) FROM sessions WHERE lock_id IN ('a-1', 'a-2')"),
            2 * per_lock)
      << "the quarantined locks should have skipped the rest of the run";
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'quarantine' AND target LIKE "
                       "'%a-1%' AND target LIKE '%a-2%'"),
            1);
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM events WHERE kind = 'quarantine' AND target LIKE '%b-%'"),
      0);
  expect_run_ends_in_safe_state(db, f, {"flaky-relays"});
  expect_journal_invariants(db);
}

// a-1's shield box answers the run-start safe state and then goes silent; its battery relay and
// its supply are healthy parts that the scenario has already moved (battery cut, 2.5 V) when the
// shield fails. b-1 shares no channel or supply with a-1 (only the relay board).
const char* kQuarantineRestoreFixture =
    "rig: quarantine-lab\n"
    "on_rig_fault: quarantine\n"
    "locks:\n"
    "  - {id: a-1, material: wood, driver: sim}\n"
    "  - {id: b-1, material: steel, driver: sim}\n"
    "switches:\n"
    "  - id: shield-a\n"
    "    driver: sim\n"
    "    settings: {channels: 1, stop_answering_after: 1}\n"
    "    channels:\n"
    "      - {name: rf_shield, channel: 1, locks: [a-1], safe: off}\n"
    "  - id: relays\n"
    "    driver: sim\n"
    "    settings: {channels: 3}\n"
    "    channels:\n"
    "      - {name: battery, channel: 1, locks: [a-1], safe: on}\n"
    "      - {name: battery, channel: 2, locks: [b-1], safe: on}\n"
    "      - {name: rf_shield, channel: 3, locks: [b-1], safe: off}\n"
    "supplies:\n"
    "  - {id: psu-a, name: vbat, driver: sim, nominal: {volts: 3.0, amps: 0.5}, limits: {volts: "
    "3.6, amps: 1.0}, locks: [a-1]}\n"
    "  - {id: psu-b, name: vbat, driver: sim, nominal: {volts: 3.0, amps: 0.5}, limits: {volts: "
    "3.6, amps: 1.0}, locks: [b-1]}\n";

const char* kShieldedBrownout =
    "name: shielded-brownout\n"
    "steps:\n"
    "  - supply: {name: vbat, volts: 2.5}\n"
    "  - switch: battery off\n"
    "  - switch: rf_shield on\n"
    "  - unlock: {expect: not_found, within: 5s}\n"
    "  - switch: rf_shield off\n"
    "  - switch: battery on\n"
    "  - supply: {name: vbat, volts: 3.0}\n"
    "  - unlock:\n";

TEST(LockrigRigFault, AQuarantinedGroupsHardwareIsMadeSafeAtTheQuarantineNotAtTheEnd) {
  TempDir tmp;
  const std::string fx = tmp.write("quarantine-lab.yaml", kQuarantineRestoreFixture);
  const std::string sc = tmp.write("shielded-brownout.yaml", kShieldedBrownout);
  const std::string db_path = tmp.file("journal.db");
  // One worker: a-1's group runs first, then b-1's, so "before b-1's sessions" is well defined.
  const Result r = lockrig({"run", "--fixture", fx, "--scenario", sc, "--repeat", "3", "--jobs",
                            "1", "--seed", "3", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();

  Db db(db_path);
  const std::string events = db.text(
      "SELECT group_concat(id || ' ' || COALESCE(lock_id, '-') || ' ' || kind || ' ' || target || "
      "' ' || value || ' ' || detail, char(10)) FROM events");
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  const long long quarantine =
      db.integer("SELECT COALESCE(min(id), 0) FROM events WHERE kind = 'quarantine'");
  ASSERT_GT(quarantine, 0) << events;
  EXPECT_EQ(db.text("SELECT target FROM events WHERE id = " + std::to_string(quarantine)), "a-1");
  // Right after the quarantine: a-1's battery relay and supply back to safe, the silent shield
  // box tried and its failure recorded. Nothing else in between.
  const std::string after_quarantine =
      "SELECT lock_id, kind, target, value, detail LIKE 'FAILED%' FROM events WHERE id > " +
      std::to_string(quarantine) + " ORDER BY id LIMIT 3";
  EXPECT_EQ(db.table(after_quarantine),
            (std::vector<std::vector<std::string>>{
                {"a-1", "safe_state", "shield-a/ch1 rf_shield", "off", "1"},
                {"a-1", "safe_state", "relays/ch1 battery", "on", "0"},
                {"a-1", "safe_state", "psu-a/out1 vbat", "3.000V 0.500A output on", "0"}}))
      << events;
  // ... long before the run ends: b-1's whole campaign comes after it.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'b-1'"), 3 * 2);
  EXPECT_GT(db.integer("SELECT min(id) FROM events WHERE lock_id = 'b-1'"), quarantine + 3)
      << events;
  // b-1's hardware was not touched by a-1's quarantine.
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'safe_state' AND lock_id IS NOT "
                       "NULL AND (target LIKE '%psu-b%' OR target LIKE 'relays/ch2%' OR target "
                       "LIKE 'relays/ch3%')"),
            0)
      << events;
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'a-1'"), 0);
  const Fixture f = load_fixture(fx);
  expect_run_ends_in_safe_state(db, f, {"shield-a"});
  expect_journal_invariants(db);
}

// Under `continue` a rig fault still ends the plan item it happened in: the shield box never
// closed, so the item's `expect: not_found` unlock would find the lock and fail as if the lock
// were at fault. The run goes on with the next item and ends as a rig fault.
TEST(LockrigRigFault, ContinueAbandonsTheRestOfTheFaultedItemInsteadOfBlamingTheLock) {
  TempDir tmp;
  const std::string text =
      replace_once(kQuarantineRestoreFixture, "on_rig_fault: quarantine", "on_rig_fault: continue");
  const std::string fx = tmp.write("continue-lab.yaml", text);
  const std::string sc = tmp.write("shielded.yaml",
                                   "name: shielded\n"
                                   "steps:\n"
                                   "  - switch: rf_shield on\n"
                                   "  - unlock: {expect: not_found, within: 5s}\n"
                                   "  - switch: rf_shield off\n"
                                   "  - unlock:\n");
  const std::string db_path = tmp.file("journal.db");
  const int repeat = 3;
  const Result r =
      lockrig({"run", "--fixture", fx, "--scenario", sc, "--repeat", std::to_string(repeat),
               "--seed", "3", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("on_rig_fault: continue"), std::string::npos) << r.describe();

  Db db(db_path);
  const std::string events = db.text(
      "SELECT group_concat(id || ' ' || COALESCE(lock_id, '-') || ' ' || kind || ' ' || target || "
      "' ' || value || ' ' || detail, char(10)) FROM events");
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), "3");
  // No lock is blamed: a-1 ran no session behind the shield that did not close.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'a-1'"), 0) << events;
  // Every repetition was tried (the run went on), each abandoned at its fault, and says why.
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault' AND lock_id = 'a-1'"),
            repeat)
      << events;
  EXPECT_EQ(db.column("SELECT target || ' ' || value FROM events WHERE kind = 'item_abandoned' "
                      "AND lock_id = 'a-1' ORDER BY id"),
            (std::vector<std::string>{"shielded#1 rig_fault", "shielded#2 rig_fault",
                                      "shielded#3 rig_fault"}))
      << events;
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'item_abandoned' AND detail LIKE "
                       "'%remaining 3 step(s)%2 unlock session(s)%'"),
            repeat)
      << events;
  // The healthy lock ran everything (its own results are data: a simulated lock fails now and
  // then).
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'b-1' AND result != "
                       "'rig_fault'"),
            2 * repeat);
  expect_run_ends_in_safe_state(db, load_fixture(fx), {"shield-a"});
  expect_journal_invariants(db);
}

// A `command` lock whose version_command fails: the run cannot get its `app` label, so the
// identity phase's rig fault goes through on_rig_fault like any other, with a warning naming the
// lock, instead of a run that passes (exit 0) silently unlabelled.
const char* kAppFixture =
    "rig: app-lab\n"
    "on_rig_fault: POLICY\n"
    "locks:\n"
    "  - id: phone-1\n"
    "    material: wood\n"
    "    driver: command\n"
    "    settings:\n"
    "      program: [FAKE, success]\n"
    "      version_command: [FAKE, absent]\n"
    "  - {id: sim-1, material: steel, driver: sim}\n";

std::string app_fixture(const TempDir& tmp, const std::string& policy) {
  const std::string fake = source_path("tests/drivers/fake_unlock_app.sh");
  std::string text = replace_once(kAppFixture, "POLICY", policy);
  text = replace_once(text, "program: [FAKE", "program: [" + fake);
  text = replace_once(text, "version_command: [FAKE", "version_command: [" + fake);
  return tmp.write("app-" + policy + ".yaml", text);
}

struct AppRun {
  Result r;
  std::string db_path;
};

AppRun run_app_lab(const TempDir& tmp, const std::string& policy) {
  AppRun a;
  a.db_path = tmp.file(policy + ".db");
  a.r = lockrig({"run", "--fixture", app_fixture(tmp, policy), "--scenario",
                 source_path(kDoorMaterials), "--repeat", "2", "--seed", "1", "--db", a.db_path,
                 "--progress", "off", "-q"});
  return a;
}

void expect_identity_fault(const AppRun& a) {
  ASSERT_TRUE(a.r.exited) << a.r.describe();
  EXPECT_EQ(a.r.exit_code, 3) << a.r.describe();
  EXPECT_NE(a.r.err.find("warning: lock phone-1: its identity could not be read"),
            std::string::npos)
      << a.r.describe();
  Db db(a.db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  EXPECT_EQ(db.integer("SELECT count(*) FROM run_labels WHERE key = 'app'"), 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault' AND lock_id = "
                       "'phone-1' AND value = 'identity'"),
            1);
  expect_journal_invariants(db);
}

TEST(LockrigRigFault, AFailingVersionCommandUnderAbortAbortsTheRun) {
  TempDir tmp;
  const AppRun a = run_app_lab(tmp, "abort");
  expect_identity_fault(a);
  Db db(a.db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), 0);
}

TEST(LockrigRigFault, AFailingVersionCommandUnderQuarantineQuarantinesThatLock) {
  TempDir tmp;
  const AppRun a = run_app_lab(tmp, "quarantine");
  expect_identity_fault(a);
  Db db(a.db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'phone-1'"), 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'sim-1'"), 2);
  EXPECT_EQ(db.text("SELECT target FROM events WHERE kind = 'quarantine'"), "phone-1");
}

TEST(LockrigRigFault, AFailingVersionCommandUnderContinueRunsEverythingButExits3) {
  TempDir tmp;
  const AppRun a = run_app_lab(tmp, "continue");
  expect_identity_fault(a);
  Db db(a.db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'phone-1' AND result = "
                       "'pass'"),
            2);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'sim-1'"), 2);
}

const char* kAdapterFixture =
    "rig: adapter-lab\n"
    "on_rig_fault: POLICY\n"
    "locks:\n"
    "  - {id: flaky, material: wood, driver: sim, settings: {adapter_fault_rate: 1}}\n"
    "  - {id: sound, material: steel, driver: sim}\n";

std::string adapter_fixture(const TempDir& tmp, const std::string& policy) {
  return tmp.write("adapter-" + policy + ".yaml", replace_once(kAdapterFixture, "POLICY", policy));
}

TEST(LockrigRigFault, AdapterFaultSessionsAreRigFaultsAndNeverCountTowardTheSli) {
  TempDir tmp;
  const std::string fx = adapter_fixture(tmp, "continue");
  const std::string db_path = tmp.file("journal.db");
  const int repeat = 4;
  const Result r =
      lockrig({"run", "--fixture", fx, "--scenario", source_path(kDoorMaterials), "--repeat",
               std::to_string(repeat), "--seed", "6", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited && r.exit_code != 2) << r.describe();

  Db db(db_path);
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), std::to_string(r.exit_code));
  // `continue`: every planned session of the faulty lock is journaled, as a rig fault.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'flaky'"), repeat);
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'flaky' AND result = 'rig_fault' "
                 "AND sli_eligible = 0 AND sli_success = 0"),
      repeat);
  EXPECT_EQ(db.integer("SELECT count(*) FROM attempts a JOIN sessions s ON s.id = a.session_id "
                       "WHERE s.lock_id = 'flaky' AND a.class != 'rig_fault'"),
            0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sli_sessions WHERE lock_id = 'flaky'"), 0);
  EXPECT_EQ(db.integer("SELECT rig_fault_sessions FROM v_run_summary"), repeat);
  // The healthy lock is unaffected and is the whole SLI population.
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'sound' AND result != 'rig_fault'"),
      repeat);
  EXPECT_EQ(
      db.integer("SELECT sli_sessions FROM v_run_summary"),
      db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'sound' AND sli_eligible = 1"));
  expect_journal_invariants(db);
}

TEST(LockrigRigFault, AdapterFaultUnderAbortPolicyStopsAfterTheFirstFaultySession) {
  TempDir tmp;
  const std::string fx = adapter_fixture(tmp, "abort");
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--fixture", fx, "--scenario", source_path(kDoorMaterials),
                            "--locks", "flaky", "--repeat", "5", "--seed", "6", "--db", db_path,
                            "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "rig_fault");
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), "3");
  EXPECT_EQ(db.table("SELECT repetition, result, sli_eligible, sli_success FROM sessions"),
            (std::vector<std::vector<std::string>>{{"1", "rig_fault", "0", "0"}}));
  EXPECT_EQ(db.column("SELECT DISTINCT class FROM attempts"),
            std::vector<std::string>{"rig_fault"});
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault' AND lock_id = 'flaky'"), 1);
  expect_journal_invariants(db);
}


// The journal's own storage failing mid-run (disk full) is the rig's fault: exit 3, the bench is
// still returned to its safe state, the sessions already committed are kept, and the run can be
// resumed once there is space. The file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes
// the write-ahead log fail to grow as a full disk would, without root or a small filesystem.
TEST(LockrigRigFault, AJournalThatFailsMidRunIsARigFaultAndTheRunCanBeResumed) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig_in_bash(
      "trap '' XFSZ; ulimit -f 600; exec \"$0\" run --db \"$1\" --seed 1 --repeat 100 "
      "--progress off -q",
      db_path);
  ASSERT_TRUE(r.exited) << "lockrig died instead of handling the journal failure\n" << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("journal failed during the run"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("returned to its safe state"), std::string::npos) << r.describe();

  long long kept = 0;
  {
    Db db(db_path);
    EXPECT_EQ(db.text("SELECT status FROM runs"), "running");  // shown as interrupted
    kept = db.integer("SELECT count(*) FROM sessions");
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, db.integer("SELECT sessions_planned FROM runs"));
    expect_journal_invariants(db);
  }
  const Result runs = lockrig({"runs", "--db", db_path});
  EXPECT_NE(runs.out.find("interrupted"), std::string::npos) << runs.describe();

  // With space again, the run continues from where the journal stopped.
  const Result resumed = lockrig({"run", "--resume", "--db", db_path, "--progress", "off", "-q"},
                                 Spawn{"", "", 120s});
  ASSERT_TRUE(resumed.exited) << resumed.describe();
  EXPECT_EQ(resumed.exit_code, 0) << resumed.describe();
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"),
            db.integer("SELECT sessions_planned FROM runs"));
  expect_journal_invariants(db);
}


// The app build a run compares is the one the app reports. A --label app=X that disagrees is
// kept (the user said so) but warned about, and the run is labelled with the first lock's
// version when no label was given.
TEST(LockrigRun, AnAppLabelThatDisagreesWithTheReportedVersionIsWarnedAbout) {
  TempDir tmp;
  const std::string fake = source_path("tests/drivers/fake_unlock_app.sh");
  const std::string fx = tmp.write("app.yaml", "rig: app-lab\n"
                                               "locks:\n"
                                               "  - id: phone-1\n"
                                               "    material: wood\n"
                                               "    driver: command\n"
                                               "    settings:\n"
                                               "      program: [" + fake + ", success]\n"
                                               "      version_command: [" + fake + ", version]\n");
  const std::string sc = tmp.write("one.yaml", "name: one\nrepeat: 1\nsteps:\n  - unlock:\n");
  auto run = [&](const std::string& db, std::vector<std::string> extra) {
    std::vector<std::string> args{"run", "--fixture", fx, "--scenario", sc, "--db", db,
                                  "--progress", "off", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return lockrig(args);
  };
  const Result labelled = run(tmp.file("a.db"), {"--label", "app=9.9.9"});
  EXPECT_EQ(labelled.exit_code, 0) << labelled.describe();
  EXPECT_NE(labelled.err.find("lock phone-1 reports app version \"4.12.0 (build 881)\" but the "
                              "run is labelled app=\"9.9.9\""),
            std::string::npos)
      << labelled.describe();
  EXPECT_EQ(Db(tmp.file("a.db")).text("SELECT value FROM run_labels WHERE key = 'app'"), "9.9.9");

  const Result plain = run(tmp.file("b.db"), {});
  EXPECT_EQ(plain.exit_code, 0) << plain.describe();
  EXPECT_EQ(plain.err.find("warning"), std::string::npos) << plain.describe();
  EXPECT_EQ(Db(tmp.file("b.db")).text("SELECT value FROM run_labels WHERE key = 'app'"),
            "4.12.0 (build 881)");
}

}  // namespace
}  // namespace lockrig::cli_test
