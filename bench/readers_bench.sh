#!/usr/bin/env bash
# The readers at report speed (issue 18), run by hand on an existing journal (make one with
# bench/report_bench.sh --attempts N --runs K --db PATH; keep big ones out of the repository,
# e.g. under /work/bench-data). In R interleaved rounds, each command start to exit:
#   report   lockrig report --baseline firmware=2.4.0 --candidate firmware=2.4.1 --format json
#   report1  lockrig report --format json (no versions given: one population)
#   gate     lockrig gate   --baseline firmware=2.4.0 --candidate firmware=2.4.1
#   slo      lockrig slo --format json
#   openm    lockrig export --format openmetrics
#   runs     lockrig runs
#   naive    the sqlite3 GROUP BY over attempts an analyst would write (as report_bench.sh)
# Prints the medians in ms, each command's ratio naive / command, and each command's peak RSS
# (GNU time's maximum resident set size, last round). With --compare BIN it also checks that
# `slo`, `export --format openmetrics` and `runs` print byte-identical output with BIN (e.g. the
# binary before issue 18). With --before BIN each round also times BIN's commands, each right
# before this binary's, and the medians and peak RSS are printed side by side (before | after).
#
# Usage: bench/readers_bench.sh --db PATH [--lockrig BIN] [--rounds R] [--compare BIN]
#                               [--before BIN]
set -euo pipefail

db=""
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lockrig="$here/build/lockrig"
rounds=5
compare=""
before=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --lockrig) lockrig="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --compare) compare="$2"; shift 2 ;;
    --before) before="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "readers_bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$db" ] || { echo "readers_bench: --db PATH: no journal at '$db'" >&2; exit 2; }
[ -x "$lockrig" ] || { echo "readers_bench: no lockrig binary at $lockrig" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "readers_bench: needs GNU time (/usr/bin/time)" >&2; exit 2; }
work="$(mktemp -d /tmp/lockrig-readers-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

naive_sql="SELECT rl.firmware, rl.material, COUNT(DISTINCT a.session_id),
  COUNT(DISTINCT CASE WHEN s.sli_success = 1 THEN a.session_id END), COUNT(*)
FROM attempts a JOIN sessions s ON s.id = a.session_id
JOIN run_locks rl ON rl.run_id = s.run_id AND rl.lock_id = s.lock_id
WHERE s.sli_eligible = 1 AND s.result <> 'rig_fault' AND rl.firmware IN ('2.4.0', '2.4.1')
GROUP BY rl.firmware, rl.material ORDER BY rl.firmware, rl.material;"

names=(report report1 gate slo openm runs naive)
[ -z "$before" ] || [ -x "$before" ] || { echo "readers_bench: no binary at $before" >&2; exit 2; }
cmd_of() {
  case "$1" in
    report) echo "$2 report --db $db --baseline firmware=2.4.0 --candidate firmware=2.4.1 --format json" ;;
    report1) echo "$2 report --db $db --format json" ;;
    gate) echo "$2 gate --db $db --baseline firmware=2.4.0 --candidate firmware=2.4.1" ;;
    slo) echo "$2 slo --db $db --format json" ;;
    openm) echo "$2 export --db $db --format openmetrics" ;;
    runs) echo "$2 runs --db $db" ;;
  esac
}
run_one() {  # name [binary] -> prints "wall_ms rss_kb"
  local n="$1" bin="${2:-$lockrig}" out="$work/out-$1" t0 t1
  [ "$bin" = "$lockrig" ] || out="$work/before-out-$1"
  # The wall time is taken right around the command with bash's EPOCHREALTIME (no process of its
  # own): timing from outside with `date` in command substitutions added 30-40 ms of forks to every
  # figure (a 30 ms `report` measured 72 ms).
  if [ "$n" = naive ]; then
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/t" sqlite3 -readonly "$db" "$naive_sql" > "$out" || true
    t1=$EPOCHREALTIME
  else
    local -a cmd
    read -ra cmd <<< "$(cmd_of "$n" "$bin")"
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/t" "${cmd[@]}" > "$out" 2>/dev/null || true
    t1=$EPOCHREALTIME
  fi
  # GNU time puts "Command exited with non-zero status N" before the figures when a command
  # fails (a gate that says FAIL exits 1): the figure is the last line.
  awk -v a="$t0" -v b="$t1" -v m="$(tail -n 1 "$work/t")" 'BEGIN{printf "%.1f %s\n", (b-a)*1000, m}'
}
[ -n "${EPOCHREALTIME:-}" ] || { echo "readers_bench: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }
declare -A times rss btimes brss
for n in "${names[@]}"; do run_one "$n" >/dev/null; done  # warm the page cache
for i in $(seq 1 "$rounds"); do
  line="  round $i:"
  for n in "${names[@]}"; do
    if [ -n "$before" ] && [ "$n" != naive ]; then
      r=$(run_one "$n" "$before"); ms="${r% *}"
      btimes[$n]="${btimes[$n]:-} $ms"; brss[$n]="${r#* }"
      line="$line $n before ${ms} ms,"
    fi
    r=$(run_one "$n"); ms="${r% *}"
    times[$n]="${times[$n]:-} $ms"; rss[$n]="${r#* }"
    line="$line $n ${ms} ms"
  done
  echo "$line"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
sqlite3 -readonly "$db" "SELECT 'journal: ' || (SELECT count(*) FROM attempts) || ' attempts in ' || (SELECT count(*) FROM runs) || ' runs, schema ' || (SELECT user_version FROM pragma_user_version)"
naive_ms=$(median ${times[naive]})
for n in "${names[@]}"; do
  m=$(median ${times[$n]})
  echo "$n: median $m ms, naive/$n $(awk -v a="$naive_ms" -v b="$m" 'BEGIN{printf "%.1f", a/b}')x, peak RSS $(( ${rss[$n]} / 1024 )) MB"
done
if [ -n "$before" ]; then
  echo
  echo "| command | before: median ms | after: median ms | before: peak RSS MB | after: peak RSS MB | naive/after |"
  echo "|---|---:|---:|---:|---:|---:|"
  for n in "${names[@]}"; do
    [ "$n" = naive ] && continue
    b=$(median ${btimes[$n]}); a=$(median ${times[$n]})
    echo "| $n | $b | $a | $(( ${brss[$n]} / 1024 )) | $(( ${rss[$n]} / 1024 )) | $(awk -v x="$naive_ms" -v y="$a" 'BEGIN{printf "%.1f", x/y}')x |"
  done
  echo "| naive sqlite3 GROUP BY | | $naive_ms | | $(( ${rss[naive]} / 1024 )) | |"
fi
if [ -n "$compare" ]; then
  for n in slo openm runs; do
    # shellcheck disable=SC2046
    $(cmd_of "$n" "$compare") > "$work/before-$n" 2>/dev/null || true
    # The time a document was generated is the one line allowed to differ.
    grep -v '"generated_at"\|^# Generated\|generated at' "$work/before-$n" > "$work/b" || true
    grep -v '"generated_at"\|^# Generated\|generated at' "$work/out-$n" > "$work/a" || true
    if cmp -s "$work/b" "$work/a"; then
      echo "byte-identical with $compare (generation time aside): $n ($(wc -c < "$work/out-$n") bytes)"
    else
      echo "DIFFERS from $compare: $n"; diff "$work/b" "$work/a" | head -5 || true
    fi
  done
fi
