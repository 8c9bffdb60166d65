#!/usr/bin/env bash
# Builds a big benchmark journal from a small one in SQL, in minutes instead of hours of
# simulated runs (issue 18). Run by hand; keep the output out of the repository (e.g. under
# /work/bench-data).
#
#   bench/make_big_journal.sh --from SMALL.db --to BIG.db --times K --mode runs|sessions
#
#   --mode runs      K copies of every run (new uuids "<uuid>-<k>", same rig, labels, locks,
#                    sessions, attempts and events): K times the runs, e.g. 4 -> 40 runs
#   --mode sessions  the same runs, each with K copies of its sessions (repetitions shifted by
#                    k x 1,000,000, so every session keeps its own natural key): K times the
#                    sessions per run, e.g. 4 runs of 2.5 M attempts
# The copies are inserted with the aggregate triggers dropped, the aggregates are then rebuilt
# from the rows with the journal's own v_agg_*_recomputed views, and the triggers recreated from
# the file's own definitions; `lockrig check --journal BIG.db` confirms the result.
# Session evidence (session_evidence) is not copied; the copies have none. sqlite3 runs with
# -bail, so a schema this script does not know stops it instead of leaving a half-made journal.
set -euo pipefail
from=""; to=""; times=10; mode=runs
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --times) times="$2"; shift 2 ;;
    --mode) mode="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "make_big_journal: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$from" ] || { echo "make_big_journal: --from: no journal at '$from'" >&2; exit 2; }
[ -n "$to" ] && [ ! -e "$to" ] || { echo "make_big_journal: --to must name a new file" >&2; exit 2; }
case "$mode" in runs|sessions) ;; *) echo "make_big_journal: --mode runs|sessions" >&2; exit 2 ;; esac
[ "$times" -ge 2 ] || { echo "make_big_journal: --times must be at least 2" >&2; exit 2; }

sqlite3 "$from" ".backup '$to'"
triggers="$(sqlite3 "$to" "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger'")"
# The runs columns other than id and uuid, read from the journal (they grow with the schema).
run_cols="$(sqlite3 "$to" "SELECT group_concat(name, ', ') FROM pragma_table_info('runs') WHERE name NOT IN ('id', 'uuid')")"
run_vals="$(sqlite3 "$to" "SELECT group_concat('r.' || name, ', ') FROM pragma_table_info('runs') WHERE name NOT IN ('id', 'uuid')")"
drops="$(sqlite3 "$to" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master WHERE type = 'trigger'")"
{
  echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; BEGIN;"
  echo "$drops"
  for k in $(seq 1 $((times - 1))); do
    if [ "$mode" = runs ]; then
      cat <<EOF
CREATE TEMP TABLE run_map AS SELECT id AS old, id + (SELECT max(id) FROM runs) AS new FROM runs WHERE id <= (SELECT max(id) FROM runs) AND uuid NOT LIKE '%-copy';
INSERT INTO runs (id, uuid, $run_cols) SELECT m.new, r.uuid || '-$k-copy', $run_vals FROM runs r JOIN temp.run_map m ON m.old = r.id;
INSERT INTO run_labels SELECT m.new, key, value FROM run_labels JOIN temp.run_map m ON m.old = run_id;
INSERT INTO run_scenarios SELECT m.new, name, source, sha256, repeat FROM run_scenarios JOIN temp.run_map m ON m.old = run_id;
INSERT INTO run_locks SELECT m.new, lock_id, model, material, slot, driver, firmware, reported_model, manufacturer FROM run_locks JOIN temp.run_map m ON m.old = run_id;
CREATE TEMP TABLE off AS SELECT (SELECT max(id) FROM sessions) AS s, (SELECT max(id) FROM events) AS e;
INSERT INTO sessions SELECT s.id + (SELECT s FROM temp.off), m.new, lock_id, scenario, repetition, step, expect, within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, sli_success, first_attempt_success FROM sessions s JOIN temp.run_map m ON m.old = s.run_id WHERE s.id <= (SELECT s FROM temp.off) ORDER BY s.id;
INSERT INTO attempts SELECT a.session_id + (SELECT s FROM temp.off), a.attempt, a.started_ns, a.ended_ns, a.latency_ms, a.rssi_dbm, a.outcome, a.class, a.phase, a.detail FROM attempts a JOIN sessions s ON s.id = a.session_id JOIN temp.run_map m ON m.old = s.run_id WHERE a.session_id <= (SELECT s FROM temp.off);
INSERT INTO events SELECT e.id + (SELECT e FROM temp.off), m.new, lock_id, t_ns, kind, target, value, detail FROM events e JOIN temp.run_map m ON m.old = e.run_id WHERE e.id <= (SELECT e FROM temp.off) ORDER BY e.id;
DROP TABLE temp.run_map; DROP TABLE temp.off;
EOF
    else
      cat <<EOF
CREATE TEMP TABLE off AS SELECT (SELECT max(id) FROM sessions) AS s;
INSERT INTO sessions SELECT id + (SELECT s FROM temp.off), run_id, lock_id, scenario, repetition + $k * 1000000, step, expect, within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, sli_success, first_attempt_success FROM sessions WHERE id <= (SELECT s FROM temp.off) AND repetition < 1000000 ORDER BY id;
INSERT INTO attempts SELECT a.session_id + (SELECT s FROM temp.off), a.attempt, a.started_ns, a.ended_ns, a.latency_ms, a.rssi_dbm, a.outcome, a.class, a.phase, a.detail FROM attempts a JOIN sessions s ON s.id = a.session_id WHERE s.repetition < 1000000;
DROP TABLE temp.off;
EOF
    fi
  done
  echo "DELETE FROM agg_sessions; DELETE FROM agg_latency; DELETE FROM agg_attempts;"
  echo "INSERT INTO agg_sessions SELECT * FROM v_agg_sessions_recomputed;"
  echo "INSERT INTO agg_latency SELECT * FROM v_agg_latency_recomputed;"
  echo "INSERT INTO agg_attempts SELECT * FROM v_agg_attempts_recomputed;"
  # Packed latency histograms (schema version 4+) describe the runs before they were copied:
  # dropped, so the runs read as unpacked and `lockrig check --journal` agrees (a merge packs them).
  if [ "$(sqlite3 "$from" 'PRAGMA user_version')" -ge 4 ]; then
    echo "DELETE FROM agg_latency_hist;"
  fi
  echo "$triggers"
  echo "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);"
} | sqlite3 -bail "$to"
sqlite3 "$to" "SELECT 'make_big_journal: ' || (SELECT count(*) FROM runs) || ' runs, ' || (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM attempts) || ' attempts'"
