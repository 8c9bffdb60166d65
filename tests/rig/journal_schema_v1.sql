-- Test fixture: rig/journal/journal_schema.sql of schema version 1 (git show f17e444:rig/journal/journal_schema.sql),
-- verbatim below this comment, to build version-1 journals for the upgrade tests.
-- lockrig journal, schema version 1 (PRAGMA user_version = 1, application_id = 0x4C4B5247).
-- Times: *_ns are monotonic nanoseconds since the run started on the run's clock (virtual or
-- real); *_at are ISO 8601 UTC wall-clock strings.
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  uuid               TEXT NOT NULL UNIQUE,
  host               TEXT NOT NULL,
  rig                TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  ended_at           TEXT,
  status             TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted', 'rig_fault')),
  exit_code          INTEGER,
  clock              TEXT NOT NULL CHECK (clock IN ('virtual', 'real')),
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
  result                TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'rig_fault')),
  outcome               TEXT NOT NULL,
  attempts              INTEGER NOT NULL,
  sli_eligible          INTEGER NOT NULL CHECK (sli_eligible IN (0, 1)),
  sli_success           INTEGER NOT NULL CHECK (sli_success IN (0, 1)),
  first_attempt_success INTEGER NOT NULL CHECK (first_attempt_success IN (0, 1)),
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
  class      TEXT NOT NULL CHECK (class IN ('lock', 'expected', 'rig_fault')),
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
