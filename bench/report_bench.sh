#!/usr/bin/env bash
# Benchmark of `lockrig report` (issue 5), run by hand, not in CI.
#
# Generates (or reuses) a journal of about N attempts from the simulated rig: 32 locks, 4 door
# materials x 2 firmware builds x 4 locks, several scenarios (SLI unlocks per session and over a
# kept link, battery-pull and RF-shield assertions), journaled over several runs. Then times, side
# by side in the same loop, R times each, process start to exit:
#   report: lockrig report --baseline firmware=2.4.0 --candidate firmware=2.4.1 --format json
#           (reads the journal's aggregate tables, schema version 2)
#   naive : the sqlite3 GROUP BY over the attempts table an analyst would write, giving the same
#           per-version / per-material counts (SLI sessions, successes, first-attempt successes)
# and prints the medians, the ratio naive / report, and checks the counts agree.
#
# Usage: bench/report_bench.sh [--attempts N] [--db PATH] [--lockrig BIN] [--runs K] [--repeat R]
#   --attempts N   attempts to journal (default 10000000; took 48 min here with other builds running)
#   --db PATH      journal to use; reused as is if it exists (default: a temp dir, removed after).
#                  Keep big journals out of the repository, e.g. /tmp/lockrig-10M.db
#   --lockrig BIN  binary (default: build/lockrig, then lockrig on PATH)
#   --runs K       split the generation into K runs (default 4)
#   --repeat R     timing repeats; the medians are reported (default 7)
# Needs: sqlite3 (Debian package sqlite3), python3 (to read the report's JSON for the cross-check).
set -euo pipefail

attempts=10000000
db=""
lockrig=""
runs=4
repeat=7
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --attempts) attempts="$2"; shift 2 ;;
    --db) db="$2"; shift 2 ;;
    --lockrig) lockrig="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --repeat|--best-of) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "report_bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$lockrig" ]; then
  if [ -x "$here/build/lockrig" ]; then lockrig="$here/build/lockrig"; else lockrig="$(command -v lockrig || true)"; fi
fi
[ -n "$lockrig" ] && [ -x "$lockrig" ] || { echo "report_bench: no lockrig binary (use --lockrig)" >&2; exit 2; }
"$lockrig" report --help >/dev/null 2>&1 || { echo "report_bench: $lockrig has no 'report' command" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "report_bench: sqlite3 not found (apt-get install sqlite3)" >&2; exit 2; }

work="$(mktemp -d /tmp/lockrig-report-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
if [ -z "$db" ]; then db="$work/journal.db"; fi

materials=(wood glass aluminium steel)
per_arm=4      # locks per material and firmware
nlocks=$(( ${#materials[@]} * 2 * per_arm ))

write_fixture() {
  local f="$1" m fw k id n=0
  {
    echo "rig: bench-lab"
    echo "description: Simulated ${nlocks}-lock bench (${#materials[@]} materials x 2 firmware x ${per_arm})"
    echo "on_rig_fault: quarantine"
    echo "drivers:"
    echo "  sim:"
    echo "    firmware_profiles:"
    echo "      \"2.4.0\": {drop_rate: 0.002, motor_ms: 450}"
    echo "      \"2.4.1\": {drop_rate: 0.0035, motor_ms: 430}"
    echo "locks:"
    for m in "${materials[@]}"; do
      for fw in 2.4.0 2.4.1; do
        for k in $(seq 1 $per_arm); do
          n=$((n + 1))
          echo "  - {id: ${m}-${fw//./}-${k}, model: Acme Bolt 3, material: ${m}, slot: S${n}, driver: sim, settings: {firmware: ${fw}}}"
        done
      done
    done
    # One relay board per lock (battery + RF shield channels), so that every lock runs in parallel.
    echo "switches:"
    for m in "${materials[@]}"; do
      for fw in 2.4.0 2.4.1; do
        for k in $(seq 1 $per_arm); do
          id="${m}-${fw//./}-${k}"
          echo "  - id: relays-${id}"
          echo "    driver: sim"
          echo "    settings: {channels: 2}"
          echo "    channels:"
          echo "      - {name: battery, channel: 1, locks: [${id}], safe: on}"
          echo "      - {name: rf_shield, channel: 2, locks: [${id}], safe: off}"
        done
      done
    done
  } > "$f"
}

write_suite() {  # per-lock attempts of one run -> repeats
  local f="$1" per_lock="$2"
  local daily=$(( per_lock * 70 / 100 )) keep=$(( per_lock * 27 / 100 )) checks=$(( per_lock / 100 ))
  [ "$checks" -ge 1 ] || checks=1
  cat > "$f" <<EOF
suite: report-bench
description: Report benchmark mix
scenarios:
  - name: daily-unlock
    repeat: ${daily}
    steps:
      - unlock: {expect: success, within: 8s, retry: {attempts: 3, backoff: 500ms}, connection: per_session}
  - name: stay-connected
    repeat: ${keep}
    steps:
      - unlock: {expect: success, within: 5s, retry: {attempts: 2, backoff: 250ms}, connection: keep}
  - name: battery-pull
    repeat: ${checks}
    steps:
      - switch: battery off
      - wait: 2s
      - unlock: {expect: not_found, within: 6s}
      - switch: battery on
      - wait_until: {condition: advertising, timeout: 30s, poll: 1s}
      - unlock: {expect: success, within: 30s, retry: {attempts: 5, backoff: 2s}, sli: false}
  - name: shield-check
    repeat: ${checks}
    steps:
      - switch: rf_shield on
      - unlock: {expect: not_found, within: 6s}
      - switch: rf_shield off
      - wait_until: {condition: advertising, timeout: 10s}
      - unlock: {expect: success, within: 20s, retry: {attempts: 3, backoff: 1s}, sli: false}
EOF
}

now() { date +%s.%N; }

if [ -f "$db" ]; then
  echo "journal: reusing $db"
else
  write_fixture "$work/bench-lab.yaml"
  per_lock_run=$(( attempts / nlocks / runs ))
  [ "$per_lock_run" -ge 10 ] || { echo "report_bench: --attempts too small" >&2; exit 2; }
  write_suite "$work/bench-suite.yaml" "$per_lock_run"
  echo "journal: generating ~${attempts} attempts in $runs runs on $nlocks simulated locks -> $db"
  t0=$(now)
  for r in $(seq 1 "$runs"); do
    "$lockrig" run --fixture "$work/bench-lab.yaml" --scenario "$work/bench-suite.yaml" \
      --db "$db" --seed "$r" --label "bench=report" --label "night=$r" --progress off --quiet \
      || { rc=$?; [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] || { echo "lockrig run failed ($rc)" >&2; exit 1; }; }
    echo "  run $r/$runs done, $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.0f", b-a}') s"
  done
  t1=$(now)
  echo "  generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
fi

sqlite3 "$db" "SELECT 'journal: ' || (SELECT count(*) FROM attempts) || ' attempts, ' ||
  (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM runs) || ' runs, ' ||
  (SELECT count(DISTINCT lock_id) FROM run_locks) || ' locks, ' ||
  (SELECT count(DISTINCT material) FROM run_locks) || ' materials, ' ||
  (SELECT count(DISTINCT scenario) FROM sessions) || ' scenarios, ' ||
  (SELECT printf('%.0f MB', page_count * page_size / 1e6) FROM pragma_page_count, pragma_page_size) ||
  ', schema version ' || (SELECT user_version FROM pragma_user_version) ||
  CASE WHEN (SELECT user_version FROM pragma_user_version) >= 2 THEN
    ', ' || (SELECT count(*) FROM agg_sessions) || ' session groups, ' ||
    (SELECT count(*) FROM agg_latency) || ' latency buckets' ELSE '' END;"

# The naive alternative: per version and per material, straight from the attempts table.
naive_sql="
SELECT rl.firmware, rl.material,
       COUNT(DISTINCT a.session_id)                                              AS sli_sessions,
       COUNT(DISTINCT CASE WHEN s.sli_success = 1 THEN a.session_id END)         AS successes,
       COUNT(DISTINCT CASE WHEN s.first_attempt_success = 1 THEN a.session_id END) AS first_attempt,
       COUNT(*)                                                                  AS attempts
FROM attempts a
JOIN sessions s   ON s.id = a.session_id
JOIN run_locks rl ON rl.run_id = s.run_id AND rl.lock_id = s.lock_id
WHERE s.sli_eligible = 1 AND s.result <> 'rig_fault' AND rl.firmware IN ('2.4.0', '2.4.1')
GROUP BY rl.firmware, rl.material
ORDER BY rl.firmware, rl.material;"

report_out="$work/report.json"
report_cmd=("$lockrig" report --db "$db" --baseline firmware=2.4.0 --candidate firmware=2.4.1
            --format json --output "$report_out")

# Warm the page cache once for both, then alternate them R times; the medians are reported.
"${report_cmd[@]}" >/dev/null
sqlite3 -readonly "$db" "$naive_sql" > "$work/naive.txt"
report_times=(); naive_times=()
for i in $(seq 1 "$repeat"); do
  t0=$(now); "${report_cmd[@]}" >/dev/null; t1=$(now)
  sqlite3 -readonly "$db" "$naive_sql" > "$work/naive.txt"; t2=$(now)
  r=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')
  n=$(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.4f", b-a}')
  echo "  pass $i: report ${r} s, naive ${n} s"
  report_times+=("$r"); naive_times+=("$n")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
med_report=$(median "${report_times[@]}")
med_naive=$(median "${naive_times[@]}")

echo "naive query result (firmware|material|sli_sessions|successes|first_attempt|attempts):"
sed 's/^/  /' "$work/naive.txt"

# Cross-check: the report's per-version SLI session counts equal the naive query's.
python3 - "$report_out" "$work/naive.txt" <<'PY' || echo "  (cross-check could not be completed)"
import json, sys
rep = json.load(open(sys.argv[1]))
naive = {}
for line in open(sys.argv[2]):
    fw, mat, n, s, f, a = line.strip().split("|")
    t = naive.setdefault(fw, [0, 0])
    t[0] += int(n); t[1] += int(s)
found = []
def walk(x, path=""):
    if isinstance(x, dict):
        if "trials" in x and "successes" in x:
            found.append((path, x["trials"], x["successes"]))
        for k, v in x.items():
            walk(v, path + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            walk(v, path + f"[{i}]")
walk(rep)
want = {(n, s) for n, s in naive.values()}
hits = [p for p, n, s in found if (n, s) in want]
print("cross-check: naive per-version SLI (sessions, successes):",
      {k: tuple(v) for k, v in naive.items()},
      "- found in the report JSON at:", hits[:4] if hits else "NOWHERE")
PY

ratio=$(awk -v r="$med_report" -v n="$med_naive" 'BEGIN{printf "%.1f", n/r}')
echo
echo "median of $repeat: lockrig report $(awk -v x="$med_report" 'BEGIN{printf "%.0f", x*1000}') ms," \
     "naive sqlite3 GROUP BY $(awk -v x="$med_naive" 'BEGIN{printf "%.0f", x*1000}') ms"
echo "ratio naive/report: ${ratio}x  (issue 5 target: report < 200 ms and >= 20x)"
