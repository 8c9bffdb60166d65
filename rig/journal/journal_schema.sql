-- lockrig journal, schema version 6 (PRAGMA user_version = 6, application_id = 0x4C4B5247).
-- Version 1 is everything above the "@@ version 2" line; opening a version-1 journal for writing
-- runs the rest of this file and fills the aggregates from the existing rows (rig/journal/journal.cpp).
-- Version 3 (issue 18) writes each CHECK (x IN (...)) of versions 1 and 2 as x = ... OR x = ...:
-- the same rule, without the IN list SQLite builds for every single-row insert; a version-2
-- journal is rewritten in place (kV3CheckRewrites in rig/journal/journal.cpp).
-- Times: *_ns are monotonic nanoseconds since the run started on the run's clock (virtual or
-- real); *_at are ISO 8601 UTC wall-clock strings.
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  uuid               TEXT NOT NULL UNIQUE,
  host               TEXT NOT NULL,
  rig                TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  ended_at           TEXT,
  status             TEXT NOT NULL CHECK (status = 'running' OR status = 'completed' OR status = 'aborted' OR status = 'rig_fault'),
  exit_code          INTEGER,
  clock              TEXT NOT NULL CHECK (clock = 'virtual' OR clock = 'real'),
  seed               INTEGER NOT NULL,
  fixture_source     TEXT NOT NULL,
  fixture_sha256     TEXT NOT NULL,
  scenarios_sha256   TEXT NOT NULL,
  controller_version TEXT NOT NULL,
  command_line       TEXT NOT NULL,
  sessions_planned   INTEGER NOT NULL,
  campaign_seconds   REAL
);
CREATE TABLE run_labels (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE run_scenarios (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  name    TEXT NOT NULL,
  source  TEXT NOT NULL,
  sha256  TEXT NOT NULL,
  repeat  INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE run_locks (
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  lock_id        TEXT NOT NULL,
  model          TEXT NOT NULL,
  material       TEXT NOT NULL,
  slot           TEXT NOT NULL,
  driver         TEXT NOT NULL,
  firmware       TEXT,  -- read from the lock (NULL if it could not be read)
  reported_model TEXT,
  manufacturer   TEXT,
  PRIMARY KEY (run_id, lock_id)
) WITHOUT ROWID;
CREATE TABLE sessions (
  id                    INTEGER PRIMARY KEY,
  run_id                INTEGER NOT NULL REFERENCES runs(id),
  lock_id               TEXT NOT NULL,
  scenario              TEXT NOT NULL,
  repetition            INTEGER NOT NULL,
  step                  INTEGER NOT NULL,  -- 0-based index of the unlock step in the scenario
  expect                TEXT NOT NULL,
  within_ms             REAL NOT NULL,
  started_ns            INTEGER NOT NULL,
  ended_ns              INTEGER NOT NULL,
  result                TEXT NOT NULL CHECK (result = 'pass' OR result = 'fail' OR result = 'rig_fault'),
  outcome               TEXT NOT NULL,
  attempts              INTEGER NOT NULL,
  sli_eligible          INTEGER NOT NULL CHECK (sli_eligible = 0 OR sli_eligible = 1),
  sli_success           INTEGER NOT NULL CHECK (sli_success = 0 OR sli_success = 1),
  first_attempt_success INTEGER NOT NULL CHECK (first_attempt_success = 0 OR first_attempt_success = 1),
  UNIQUE (run_id, lock_id, scenario, repetition, step)
);
CREATE TABLE attempts (
  session_id INTEGER NOT NULL REFERENCES sessions(id),
  attempt    INTEGER NOT NULL,
  started_ns INTEGER NOT NULL,
  ended_ns   INTEGER NOT NULL,
  latency_ms REAL,
  rssi_dbm   INTEGER,
  outcome    TEXT NOT NULL,
  class      TEXT NOT NULL CHECK (class = 'lock' OR class = 'expected' OR class = 'rig_fault'),
  phase      TEXT NOT NULL,
  detail     TEXT NOT NULL,
  PRIMARY KEY (session_id, attempt)
) WITHOUT ROWID;
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  lock_id TEXT,
  t_ns    INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  target  TEXT NOT NULL,
  value   TEXT NOT NULL,
  detail  TEXT NOT NULL
);

-- One row per session with everything an analyst filters on.
CREATE VIEW v_sessions AS
SELECT s.id AS session_id, r.id AS run_id, r.uuid AS run_uuid, r.rig, s.lock_id,
       l.model, l.material, l.slot, l.firmware,
       (SELECT value FROM run_labels WHERE run_id = r.id AND key = 'app') AS app,
       s.scenario, s.repetition, s.step, s.expect, s.within_ms,
       strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at, printf('+%.3f seconds', s.started_ns / 1e9)) AS started_at,
       (s.ended_ns - s.started_ns) / 1e6 AS duration_ms,
       s.result, s.outcome, s.attempts, s.sli_eligible, s.sli_success, s.first_attempt_success
FROM sessions s
JOIN runs r ON r.id = s.run_id
JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = s.lock_id;

-- The SLI population: sessions that count toward the unlock success rate.
CREATE VIEW v_sli_sessions AS
SELECT * FROM v_sessions WHERE sli_eligible = 1;

CREATE VIEW v_attempts AS
SELECT a.session_id, v.run_id, v.run_uuid, v.lock_id, v.material, v.firmware, v.app, v.scenario,
       v.repetition, a.attempt, a.started_ns, a.ended_ns, a.latency_ms, a.rssi_dbm, a.outcome,
       a.class, a.phase, a.detail
FROM attempts a JOIN v_sessions v ON v.session_id = a.session_id;

CREATE VIEW v_run_summary AS
SELECT r.id AS run_id, r.uuid, r.rig, r.started_at, r.ended_at, r.status, r.exit_code,
       COUNT(s.id) AS sessions,
       COALESCE(SUM(s.sli_eligible), 0) AS sli_sessions,
       COALESCE(SUM(s.sli_success), 0) AS sli_successes,
       CASE WHEN SUM(s.sli_eligible) > 0 THEN 1.0 * SUM(s.sli_success) / SUM(s.sli_eligible) END AS sli,
       COALESCE(SUM(s.result = 'rig_fault'), 0) AS rig_fault_sessions,
       COALESCE(SUM(s.sli_eligible = 0 AND s.result = 'fail'), 0) AS failed_assertions
FROM runs r LEFT JOIN sessions s ON s.run_id = r.id
GROUP BY r.id;

-- @@ version 2: aggregates kept by triggers --------------------------------------------------
-- Everything `lockrig report` and `lockrig gate` need, kept up to date by the triggers below in
-- the transaction that writes each session and attempt, so the aggregates cannot disagree with
-- the raw rows (whoever writes them, even after a crash). A report then reads a few thousand
-- group rows instead of every session. `lockrig check --journal` recomputes them and compares.

-- Sessions per group. Every column of sessions a report groups or filters by is part of the key;
-- duration_ns is the sum of ended_ns - started_ns over the group (exact mean latency).
CREATE TABLE agg_sessions (
  run_id                INTEGER NOT NULL,
  lock_id               TEXT NOT NULL,
  scenario              TEXT NOT NULL,
  step                  INTEGER NOT NULL,
  expect                TEXT NOT NULL,
  result                TEXT NOT NULL,
  outcome               TEXT NOT NULL,
  attempts              INTEGER NOT NULL,  -- attempts per session (the key, not a sum)
  sli_eligible          INTEGER NOT NULL,
  sli_success           INTEGER NOT NULL,
  first_attempt_success INTEGER NOT NULL,
  sessions              INTEGER NOT NULL,
  duration_ns           INTEGER NOT NULL,
  PRIMARY KEY (run_id, lock_id, scenario, step, expect, result, outcome, attempts, sli_eligible,
               sli_success, first_attempt_success)
) WITHOUT ROWID;

-- Latency histogram of the successful SLI sessions (sli_eligible = 1, sli_success = 1, not a rig
-- fault), whose duration is the report's unlock latency. bucket_ns is the duration in ns with
-- all but its 8 most significant bits cleared: exact below 256 ns, then 128 buckets per doubling,
-- each at most 1/128 (0.78 %) of its lower edge wide. A bucket stands for the midpoint of the
-- durations it holds, bucket_ns + (width - 1) / 2, within 1/256 (0.39 %) of each.
CREATE TABLE agg_latency (
  run_id    INTEGER NOT NULL,
  lock_id   TEXT NOT NULL,
  scenario  TEXT NOT NULL,
  bucket_ns INTEGER NOT NULL,
  sessions  INTEGER NOT NULL,
  PRIMARY KEY (run_id, lock_id, scenario, bucket_ns)
) WITHOUT ROWID;

-- Attempts per group: failure causes by class ('lock', 'expected', 'rig_fault') and outcome.
CREATE TABLE agg_attempts (
  run_id   INTEGER NOT NULL,
  lock_id  TEXT NOT NULL,
  scenario TEXT NOT NULL,
  class    TEXT NOT NULL,
  outcome  TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  PRIMARY KEY (run_id, lock_id, scenario, class, outcome)
) WITHOUT ROWID;

-- The rig-fault and quarantine events every report reads, without scanning every switch and
-- wait event: a partial index, so the other events cost nothing to index.
CREATE INDEX events_faults ON events(run_id, id) WHERE kind IN ('rig_fault', 'quarantine');

-- The latency bucket of each successful SLI session (see agg_latency; d is the duration in ns).
CREATE VIEW v_session_latency AS
SELECT id AS session_id, run_id, lock_id, scenario, d AS duration_ns,
       CASE WHEN d < 256 THEN max(d, 0)
            WHEN d < 512 THEN d & -2
            WHEN d < 1024 THEN d & -4
            WHEN d < 2048 THEN d & -8
            WHEN d < 4096 THEN d & -16
            WHEN d < 8192 THEN d & -32
            WHEN d < 16384 THEN d & -64
            WHEN d < 32768 THEN d & -128
            WHEN d < 65536 THEN d & -256
            WHEN d < 131072 THEN d & -512
            WHEN d < 262144 THEN d & -1024
            WHEN d < 524288 THEN d & -2048
            WHEN d < 1048576 THEN d & -4096
            WHEN d < 2097152 THEN d & -8192
            WHEN d < 4194304 THEN d & -16384
            WHEN d < 8388608 THEN d & -32768
            WHEN d < 16777216 THEN d & -65536
            WHEN d < 33554432 THEN d & -131072
            WHEN d < 67108864 THEN d & -262144
            WHEN d < 134217728 THEN d & -524288
            WHEN d < 268435456 THEN d & -1048576
            WHEN d < 536870912 THEN d & -2097152
            WHEN d < 1073741824 THEN d & -4194304
            WHEN d < 2147483648 THEN d & -8388608
            WHEN d < 4294967296 THEN d & -16777216
            WHEN d < 8589934592 THEN d & -33554432
            WHEN d < 17179869184 THEN d & -67108864
            WHEN d < 34359738368 THEN d & -134217728
            WHEN d < 68719476736 THEN d & -268435456
            WHEN d < 137438953472 THEN d & -536870912
            WHEN d < 274877906944 THEN d & -1073741824
            WHEN d < 549755813888 THEN d & -2147483648
            WHEN d < 1099511627776 THEN d & -4294967296
            WHEN d < 2199023255552 THEN d & -8589934592
            WHEN d < 4398046511104 THEN d & -17179869184
            WHEN d < 8796093022208 THEN d & -34359738368
            WHEN d < 17592186044416 THEN d & -68719476736
            WHEN d < 35184372088832 THEN d & -137438953472
            WHEN d < 70368744177664 THEN d & -274877906944
            WHEN d < 140737488355328 THEN d & -549755813888
            WHEN d < 281474976710656 THEN d & -1099511627776
            WHEN d < 562949953421312 THEN d & -2199023255552
            WHEN d < 1125899906842624 THEN d & -4398046511104
            WHEN d < 2251799813685248 THEN d & -8796093022208
            WHEN d < 4503599627370496 THEN d & -17592186044416
            WHEN d < 9007199254740992 THEN d & -35184372088832
            WHEN d < 18014398509481984 THEN d & -70368744177664
            WHEN d < 36028797018963968 THEN d & -140737488355328
            WHEN d < 72057594037927936 THEN d & -281474976710656
            WHEN d < 144115188075855872 THEN d & -562949953421312
            WHEN d < 288230376151711744 THEN d & -1125899906842624
            WHEN d < 576460752303423488 THEN d & -2251799813685248
            WHEN d < 1152921504606846976 THEN d & -4503599627370496
            WHEN d < 2305843009213693952 THEN d & -9007199254740992
            WHEN d < 4611686018427387904 THEN d & -18014398509481984
            ELSE d & -36028797018963968 END AS bucket_ns
FROM (SELECT id, run_id, lock_id, scenario, ended_ns - started_ns AS d FROM sessions
      WHERE sli_eligible = 1 AND sli_success = 1 AND result <> 'rig_fault');

-- The aggregates recomputed from the raw rows: what the upgrade from version 1 fills them with
-- and what `lockrig check --journal` compares them with.
CREATE VIEW v_agg_sessions_recomputed AS
SELECT run_id, lock_id, scenario, step, expect, result, outcome, attempts, sli_eligible,
       sli_success, first_attempt_success, count(*) AS sessions,
       sum(ended_ns - started_ns) AS duration_ns
FROM sessions
GROUP BY run_id, lock_id, scenario, step, expect, result, outcome, attempts, sli_eligible,
         sli_success, first_attempt_success;
CREATE VIEW v_agg_latency_recomputed AS
SELECT run_id, lock_id, scenario, bucket_ns, count(*) AS sessions
FROM v_session_latency GROUP BY run_id, lock_id, scenario, bucket_ns;
CREATE VIEW v_agg_attempts_recomputed AS
SELECT s.run_id, s.lock_id, s.scenario, a.class, a.outcome, count(*) AS attempts
FROM attempts a JOIN sessions s ON s.id = a.session_id
GROUP BY s.run_id, s.lock_id, s.scenario, a.class, a.outcome;

CREATE TRIGGER agg_session_insert AFTER INSERT ON sessions BEGIN
  INSERT INTO agg_sessions VALUES (NEW.run_id, NEW.lock_id, NEW.scenario, NEW.step, NEW.expect,
    NEW.result, NEW.outcome, NEW.attempts, NEW.sli_eligible, NEW.sli_success,
    NEW.first_attempt_success, 1, NEW.ended_ns - NEW.started_ns)
  ON CONFLICT DO UPDATE SET sessions = sessions + 1,
                            duration_ns = duration_ns + excluded.duration_ns;
  INSERT INTO agg_latency
  SELECT run_id, lock_id, scenario, bucket_ns, 1 FROM v_session_latency WHERE session_id = NEW.id
  ON CONFLICT DO UPDATE SET sessions = sessions + 1;
END;

-- Sessions are never deleted or changed by lockrig; these keep the aggregates right if someone
-- does it by hand. BEFORE: the latency bucket is read from the row while it still exists.
CREATE TRIGGER agg_session_delete BEFORE DELETE ON sessions BEGIN
  UPDATE agg_sessions SET sessions = sessions - 1, duration_ns = duration_ns - (OLD.ended_ns - OLD.started_ns)
  WHERE run_id = OLD.run_id AND lock_id = OLD.lock_id AND scenario = OLD.scenario
    AND step = OLD.step AND expect = OLD.expect AND result = OLD.result
    AND outcome = OLD.outcome AND attempts = OLD.attempts AND sli_eligible = OLD.sli_eligible
    AND sli_success = OLD.sli_success AND first_attempt_success = OLD.first_attempt_success;
  UPDATE agg_latency SET sessions = sessions - 1
  WHERE (run_id, lock_id, scenario, bucket_ns) =
        (SELECT run_id, lock_id, scenario, bucket_ns FROM v_session_latency
         WHERE session_id = OLD.id);
  DELETE FROM agg_sessions WHERE sessions = 0 AND run_id = OLD.run_id AND lock_id = OLD.lock_id;
  DELETE FROM agg_latency WHERE sessions = 0 AND run_id = OLD.run_id AND lock_id = OLD.lock_id;
END;
CREATE TRIGGER agg_session_update BEFORE UPDATE ON sessions BEGIN
  SELECT RAISE(ABORT, 'sessions are the raw record and are not updated; delete and insert instead');
END;

CREATE TRIGGER agg_attempt_insert AFTER INSERT ON attempts BEGIN
  INSERT INTO agg_attempts
  SELECT run_id, lock_id, scenario, NEW.class, NEW.outcome, 1 FROM sessions WHERE id = NEW.session_id
  ON CONFLICT DO UPDATE SET attempts = attempts + 1;
END;
CREATE TRIGGER agg_attempt_delete AFTER DELETE ON attempts BEGIN
  UPDATE agg_attempts SET attempts = attempts - 1
  WHERE (run_id, lock_id, scenario, class, outcome) =
        (SELECT run_id, lock_id, scenario, OLD.class, OLD.outcome FROM sessions
         WHERE id = OLD.session_id);
  DELETE FROM agg_attempts WHERE attempts = 0;
END;
CREATE TRIGGER agg_attempt_update BEFORE UPDATE ON attempts BEGIN
  SELECT RAISE(ABORT, 'attempts are the raw record and are not updated; delete and insert instead');
END;

-- @@ version 3 -------------------------------------------------------------------------------
-- Issue 18 rewrote every CHECK (x IN (...)) above as an OR chain (see the top of this file).
-- Issue 17: runs belong to their rig.
-- The machine a run ran on: /etc/machine-id (else the host name), written when the run starts.
-- A `running` run whose host_id is not this machine's is `running elsewhere` (a merged journal):
-- `lockrig runs` does not call it interrupted and `run --resume` refuses it. NULL for runs
-- journaled before version 3, which are told apart by `host` instead.
ALTER TABLE runs ADD COLUMN host_id TEXT;

-- Issue 15: session evidence.
-- A session's transcript (what the drivers exchanged with boards, supplies and programs, and the
-- bench events), kept per --keep-evidence and written in the session's own transaction.
-- `transcript` is zlib-compressed text, one entry a line: t_ns TAB mark TAB who TAB text, with
-- backslash, tab, CR and LF escaped as \\ \t \r \n; mark is '>' (to the device), '<' (from it)
-- or '-' (a note). Lock secrets are redacted before anything is recorded. docs/evidence.md.
CREATE TABLE session_evidence (
  session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
  encoding   TEXT NOT NULL CHECK (encoding = 'zlib-lines-1'),
  entries    INTEGER NOT NULL,  -- lines kept
  dropped    INTEGER NOT NULL,  -- older lines the bounded recorder dropped
  raw_bytes  INTEGER NOT NULL,  -- size before compression
  transcript BLOB NOT NULL
);

-- @@ version 4 -------------------------------------------------------------------------------
-- Issue 18: readers at report speed however many runs a journal holds.
-- agg_latency has a row per run, lock, scenario and latency bucket: 530,870 rows at 10 M
-- attempts in 40 runs, which every report read (and checked) row by row. A run's histograms,
-- once the run is over, are kept here as one row per (run, lock, scenario): the same buckets
-- and counts, `hist` holding them as pairs of unsigned LEB128 varints (the bucket minus the
-- previous pair's bucket, starting from 0; then the sessions), buckets strictly increasing.
-- `buckets` is the number of pairs and `sessions` their sum. Readers use a run's rows here when
-- it has any and its agg_latency rows otherwise, so this table is only ever a copy:
-- - lockrig's writer (whose connection runs without triggers) deletes its run's rows in every
--   transaction that adds sessions, and packs the run again when it ends;
-- - any other change to agg_latency (a hand insert or delete in sessions, merge) goes through
--   the triggers below, which drop the whole run's packed rows;
-- - `lockrig check --journal` compares every packed row with agg_latency.
CREATE TABLE agg_latency_hist (
  run_id   INTEGER NOT NULL,
  lock_id  TEXT NOT NULL,
  scenario TEXT NOT NULL,
  buckets  INTEGER NOT NULL,
  sessions INTEGER NOT NULL,
  hist     BLOB NOT NULL,
  PRIMARY KEY (run_id, lock_id, scenario)
) WITHOUT ROWID;
CREATE TRIGGER agg_latency_hist_stale_insert AFTER INSERT ON agg_latency BEGIN
  DELETE FROM agg_latency_hist WHERE run_id = NEW.run_id;
END;
CREATE TRIGGER agg_latency_hist_stale_update AFTER UPDATE ON agg_latency BEGIN
  DELETE FROM agg_latency_hist WHERE run_id = OLD.run_id OR run_id = NEW.run_id;
END;
CREATE TRIGGER agg_latency_hist_stale_delete AFTER DELETE ON agg_latency BEGIN
  DELETE FROM agg_latency_hist WHERE run_id = OLD.run_id;
END;

-- Every per-run read of events (merge, serve, resume, the runs list) without a scan of all of
-- them (704k rows at 10 M attempts).
CREATE INDEX events_run ON events(run_id, id);

-- @@ version 5 -------------------------------------------------------------------------------
-- Issue 14: range sweeps. A sweep session is an ordinary row of `sessions` (attempts, aggregates
-- and evidence as any other) with sli_eligible = 0 - it measures range, not daily reliability -
-- and one row here naming the attenuator and the level it ran at. Range analysis counts a
-- session as a success when result = 'pass' and leaves rig faults out.
CREATE TABLE sweep_sessions (
  session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
  sweep      TEXT NOT NULL,  -- the sweep's name (the scenario's unless the scenario names it)
  part       TEXT NOT NULL,  -- the attenuator, as the fixture names it
  level_db   REAL NOT NULL,  -- attenuation during the session, dB (set and read back)
  design     TEXT NOT NULL CHECK (design = 'grid' OR design = 'staircase' OR design = 'quantile')
);

-- Issue 16: triage notes (`lockrig annotate`). A note is about a run, a lock (in one run, or in
-- every run when run_uuid is NULL) or a session (run_uuid, lock_id, scenario, repetition and step
-- all set). Natural keys rather than ids, because merge renumbers sessions and runs; merge copies
-- notes by uuid, so merging the same journal twice adds each note once. mute_until
-- ('YYYY-MM-DD', inclusive) mutes the lock: still measured, listed apart from the verdict.
CREATE TABLE annotations (
  id          INTEGER PRIMARY KEY,
  uuid        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  author      TEXT NOT NULL,
  run_uuid    TEXT,
  lock_id     TEXT,
  scenario    TEXT,
  repetition  INTEGER,
  step        INTEGER,
  mute_until  TEXT,
  text        TEXT NOT NULL
);

-- A sweep session (expect 'range') is a measurement, not an assertion: a failed unlock at 80 dB
-- is no failed check.
DROP VIEW v_run_summary;
CREATE VIEW v_run_summary AS
SELECT r.id AS run_id, r.uuid, r.rig, r.started_at, r.ended_at, r.status, r.exit_code,
       COUNT(s.id) AS sessions,
       COALESCE(SUM(s.sli_eligible), 0) AS sli_sessions,
       COALESCE(SUM(s.sli_success), 0) AS sli_successes,
       CASE WHEN SUM(s.sli_eligible) > 0 THEN 1.0 * SUM(s.sli_success) / SUM(s.sli_eligible) END AS sli,
       COALESCE(SUM(s.result = 'rig_fault'), 0) AS rig_fault_sessions,
       COALESCE(SUM(s.sli_eligible = 0 AND s.expect <> 'range' AND s.result = 'fail'), 0) AS failed_assertions
FROM runs r LEFT JOIN sessions s ON s.run_id = r.id
GROUP BY r.id;

-- Version 4's agg_latency_hist_stale_update deleted `WHERE run_id = OLD.run_id OR run_id =
-- NEW.run_id`: SQLite turns that OR into an IN list and builds a temporary b-tree for it on every
-- firing, that is on every session a trigger-driven writer adds (merge into an existing journal,
-- hand inserts). Measured on a 100,000-session merge into a live journal: most of the time was
-- that b-tree's allocation and release. Two plain deletes keep the same rule.
DROP TRIGGER agg_latency_hist_stale_update;
CREATE TRIGGER agg_latency_hist_stale_update AFTER UPDATE ON agg_latency BEGIN
  DELETE FROM agg_latency_hist WHERE run_id = OLD.run_id;
  DELETE FROM agg_latency_hist WHERE run_id = NEW.run_id AND NEW.run_id <> OLD.run_id;
END;

-- The runs list (`lockrig runs`, serve's runs page) counts each run's rig faults and timed-out
-- wait_until steps. Without an index for the second it read every event (15.8 M rows, 6.7 s at
-- 10 M attempts in 460 runs); both counts now come from partial indexes a few rows long.
CREATE INDEX events_wait_timeouts ON events(run_id) WHERE kind = 'wait_until' AND value = 'timeout';

-- @@ version 6 -------------------------------------------------------------------------------
-- Issue 18 item 3, a report whose cost does not grow with the number of runs. Runs that agree on
-- everything a report can tell a lock entry by except the run itself (the run's rig and labels;
-- the lock's id, model, material, slot and firmware) are one *configuration*; a nightly rig
-- repeats a handful of them for months. The rollup_* tables hold agg_sessions and agg_latency
-- summed over the runs of each configuration, so a report over every run reads a few rows per
-- configuration instead of a few per run and lock (rig/journal/rollup.hpp).
-- - `first_run` is the lowest run id among a row's sessions: rows read in (first_run, lock_id, ...)
--   order meet every value in the order a read of agg_sessions in (run_id, lock_id, ...) order
--   meets it. `rep_run` is the lowest run id of the configuration, whose lock entry stands for
--   all of them. A rig-fault group, and a lock its run never recorded, are never summed across
--   runs (rep_run = first_run = its own run): a report counts rig faults per run.
-- - Like agg_latency_hist they are only ever a copy. They are valid while rollup_state has its
--   row: lockrig's writer (triggers off) deletes it in every transaction that changes what they
--   sum and builds them again when a run ends; merge builds them at its end; any other change
--   goes through the triggers below, which delete it. Readers without it read per run, as
--   before; `lockrig check --journal` compares them with a recomputation.
CREATE TABLE rollup_sessions (
  first_run             INTEGER NOT NULL,
  lock_id               TEXT NOT NULL,
  scenario              TEXT NOT NULL,
  step                  INTEGER NOT NULL,
  expect                TEXT NOT NULL,
  result                TEXT NOT NULL,
  outcome               TEXT NOT NULL,
  attempts              INTEGER NOT NULL,
  sli_eligible          INTEGER NOT NULL,
  sli_success           INTEGER NOT NULL,
  first_attempt_success INTEGER NOT NULL,
  rep_run               INTEGER NOT NULL,
  sessions              INTEGER NOT NULL,
  duration_ns           INTEGER NOT NULL,
  PRIMARY KEY (first_run, lock_id, scenario, step, expect, result, outcome, attempts,
               sli_eligible, sli_success, first_attempt_success)
) WITHOUT ROWID;
-- The latency histograms of rollup_sessions' SLI successes, packed as agg_latency_hist packs
-- them, summed per configuration and scenario (sweep scenarios left out, as readers leave them).
CREATE TABLE rollup_latency (
  first_run INTEGER NOT NULL,
  lock_id   TEXT NOT NULL,
  scenario  TEXT NOT NULL,
  rep_run   INTEGER NOT NULL,
  buckets   INTEGER NOT NULL,
  sessions  INTEGER NOT NULL,
  hist      BLOB NOT NULL,
  PRIMARY KEY (first_run, lock_id, scenario)
) WITHOUT ROWID;
-- Sessions per run and scenario as a report counts them (sweeps left out): a report lists each
-- run with its sessions.
CREATE TABLE rollup_runs (
  run_id   INTEGER NOT NULL,
  scenario TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  PRIMARY KEY (run_id, scenario)
) WITHOUT ROWID;
-- One row while the rollup_* tables are a copy of what they sum.
CREATE TABLE rollup_state (
  valid INTEGER PRIMARY KEY CHECK (valid = 1)
);
CREATE TRIGGER rollup_stale_sessions_insert AFTER INSERT ON agg_sessions BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_sessions_update AFTER UPDATE ON agg_sessions BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_sessions_delete AFTER DELETE ON agg_sessions BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_latency_insert AFTER INSERT ON agg_latency BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_latency_update AFTER UPDATE ON agg_latency BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_latency_delete AFTER DELETE ON agg_latency BEGIN
  DELETE FROM rollup_state;
END;
-- The rollup reads a finished run's histograms from agg_latency_hist: a change there (which
-- lockrig makes only just before it builds the rollup again) marks it stale as well.
CREATE TRIGGER rollup_stale_hist_insert AFTER INSERT ON agg_latency_hist BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_hist_update AFTER UPDATE ON agg_latency_hist BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_hist_delete AFTER DELETE ON agg_latency_hist BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_runs_insert AFTER INSERT ON runs BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_runs_update AFTER UPDATE OF id, rig ON runs BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_runs_delete AFTER DELETE ON runs BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_labels_insert AFTER INSERT ON run_labels BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_labels_update AFTER UPDATE ON run_labels BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_labels_delete AFTER DELETE ON run_labels BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_locks_insert AFTER INSERT ON run_locks BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_locks_update AFTER UPDATE ON run_locks BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_locks_delete AFTER DELETE ON run_locks BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_sweeps_insert AFTER INSERT ON sweep_sessions BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_sweeps_update AFTER UPDATE ON sweep_sessions BEGIN
  DELETE FROM rollup_state;
END;
CREATE TRIGGER rollup_stale_sweeps_delete AFTER DELETE ON sweep_sessions BEGIN
  DELETE FROM rollup_state;
END;
