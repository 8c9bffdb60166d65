#!/usr/bin/env bash
# Merge speed (issue 18), run by hand on existing journals (make them with bench/report_bench.sh
# and bench/make_big_journal.sh; keep them out of the repository, e.g. under /work/bench-data).
#
# In R interleaved rounds, each binary merges the same inputs into a new journal:
#   lockrig merge IN1.db [IN2.db ...] -o OUT.db
# and the script prints, per round and binary: wall seconds, seconds per million attempts copied
# (the attempts of the output journal), the longest write transaction the merge reports (what a
# run writing the same journal may wait at most), and the peak RSS (GNU time). Then the medians
# and, with --compare, the ratio OTHER / lockrig of the medians. With --check, each output
# journal is checked with `lockrig check --journal` (aggregates recomputed from the rows).
#
# Usage: bench/merge_bench.sh --in A.db [--in B.db ...] [--lockrig BIN] [--compare OTHER]
#                             [--rounds R] [--work DIR] [--check]
#   --work DIR   where the outputs go (default: a temp dir under /tmp, removed after); a 10 M
#                output is about 2 GB
# The inputs must be journals both binaries can read (an older binary refuses a newer schema).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lockrig="$here/build/lockrig"
compare=""
rounds=1
work=""
check=0
inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --in) inputs+=("$2"); shift 2 ;;
    --lockrig) lockrig="$2"; shift 2 ;;
    --compare) compare="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "merge_bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#inputs[@]} -gt 0 ] || { echo "merge_bench: give at least one --in JOURNAL" >&2; exit 2; }
for f in "${inputs[@]}"; do
  [ -f "$f" ] || { echo "merge_bench: --in: no journal at '$f'" >&2; exit 2; }
done
[ -x "$lockrig" ] || { echo "merge_bench: no lockrig binary at $lockrig" >&2; exit 2; }
[ -z "$compare" ] || [ -x "$compare" ] || { echo "merge_bench: no binary at '$compare'" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "merge_bench: needs GNU time (/usr/bin/time)" >&2; exit 2; }
if [ -z "$work" ]; then
  work="$(mktemp -d /tmp/lockrig-merge-bench.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

bins=("$lockrig")
[ -z "$compare" ] || bins+=("$compare")
declare -A per_m
for r in $(seq 1 "$rounds"); do
  for i in "${!bins[@]}"; do
    bin="${bins[$i]}"
    out="$work/merged-$i.db"
    rm -f "$out" "$out-wal" "$out-shm"
    log="$work/merge-$i.log"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss-$i" "$bin" merge "${inputs[@]}" -o "$out" > "$log"
    end=$(date +%s.%N)
    attempts=$(sqlite3 "$out" "SELECT count(*) FROM attempts")
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    spm=$(awk -v s="$secs" -v n="$attempts" 'BEGIN { print s / (n / 1000000) }')
    longest=$(sed -n 's/.*the longest \([0-9]*\) ms.*/\1/p' "$log")
    printf 'round %d  %-40s %8.1f s  %7.2f s per M attempts (%d attempts)  longest transaction %s ms  peak RSS %d MB\n' \
      "$r" "$bin" "$secs" "$spm" "$attempts" "${longest:-?}" $(( $(cat "$work/rss-$i") / 1024 ))
    per_m[$i]+="$spm "
    if [ "$check" = 1 ]; then
      "$lockrig" check --journal "$out" > /dev/null || { echo "merge_bench: check --journal failed on $out" >&2; exit 1; }
    fi
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
m0=$(echo "${per_m[0]}" | median)
printf 'median: %s %.2f s per M attempts\n' "$lockrig" "$m0"
if [ -n "$compare" ]; then
  m1=$(echo "${per_m[1]}" | median)
  printf 'median: %s %.2f s per M attempts\n' "$compare" "$m1"
  printf 'ratio %s / %s: %.2fx\n' "$(basename "$compare")" "$(basename "$lockrig")" "$(awk -v a="$m1" -v b="$m0" 'BEGIN { print a / b }')"
fi
