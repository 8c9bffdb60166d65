#!/usr/bin/env bash
# Journaling throughput of `lockrig run` against the raw SQLite floor (issue 18), run by hand.
#
# In R interleaved rounds, each round runs, one after the other:
#   floor    : build/journal_floor --attempts N (the rows lockrig writes, one transaction per
#              session, WAL, synchronous=NORMAL; no triggers, no CHECKs)
#   lockrig  : lockrig run on the built-in simulated rig (fixtures/sim-lab.yaml) with a one-step
#              unlock scenario repeated to about N attempts, into a fresh journal; attempts/s is
#              the journal's attempts over the process's wall time (start to exit)
#   campaign : build/campaign_bench --attempts N (the same path in-process, no start-up)
# and prints each round, the medians, and the ratio lockrig / floor (issue 18 target: >= 2.0).
#
# Usage: bench/journal_speed.sh [--attempts N] [--rounds R] [--build DIR] [--lockrig BIN]
#   --attempts N   attempts per measurement (default 200000)
#   --rounds R     interleaved rounds; medians are reported (default 3)
#   --build DIR    where journal_floor and campaign_bench are (default: build)
#   --lockrig BIN  the lockrig binary to measure (default: DIR/lockrig)
# Needs: sqlite3 (to count the attempts journaled).
set -euo pipefail

attempts=200000
rounds=3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build"
lockrig=""
while [ $# -gt 0 ]; do
  case "$1" in
    --attempts) attempts="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --lockrig) lockrig="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "journal_speed: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$lockrig" ] || lockrig="$build/lockrig"
for b in "$lockrig" "$build/journal_floor" "$build/campaign_bench"; do
  [ -x "$b" ] || { echo "journal_speed: $b not built" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "journal_speed: sqlite3 not found" >&2; exit 2; }

work="$(mktemp -d /tmp/lockrig-journal-speed.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cat > "$work/unlock.yaml" <<'EOF'
name: bench-unlock
repeat: 1
steps:
  - unlock: {expect: success, within: 8s, retry: {attempts: 3, backoff: 500ms}}
EOF
locks=$(grep -c "^  - {id: " "$here/fixtures/sim-lab.yaml" || true)
[ "$locks" -ge 1 ] || locks=4
repeat=$(( attempts / locks + 1 ))

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
floor_r=(); run_r=(); camp_r=()
echo "lockrig: $("$lockrig" --version)"
for i in $(seq 1 "$rounds"); do
  f=$("$build/journal_floor" --attempts "$attempts" --db "$work/floor.db" | sed -n 's/.* \([0-9]*\) attempts\/s$/\1/p')
  rm -f "$work/run.db"*
  t0=$(now)
  "$lockrig" run --scenario "$work/unlock.yaml" --repeat "$repeat" --seed "$i" --db "$work/run.db" \
    --progress off -q || { rc=$?; [ "$rc" -eq 1 ] || { echo "lockrig run failed ($rc)" >&2; exit 1; }; }
  t1=$(now)
  n=$(sqlite3 "$work/run.db" "SELECT count(*) FROM attempts")
  r=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}')
  c=$("$build/campaign_bench" --attempts "$attempts" --db "$work/camp.db" | sed -n 's/^campaign_bench: \([0-9]*\) attempts\/s.*/\1/p')
  echo "  round $i: floor $f attempts/s, lockrig run $r attempts/s ($n attempts), campaign_bench $c attempts/s"
  floor_r+=("$f"); run_r+=("$r"); camp_r+=("$c")
done
mf=$(median "${floor_r[@]}"); mr=$(median "${run_r[@]}"); mc=$(median "${camp_r[@]}")
echo "median of $rounds: floor $mf, lockrig run $mr, campaign_bench $mc attempts/s"
echo "ratio lockrig run / floor: $(awk -v r="$mr" -v f="$mf" 'BEGIN{printf "%.2f", r/f}') (issue 18 target >= 2.0)"
echo "campaign_bench: $mc attempts/s (issue 18 target >= 50000)"
