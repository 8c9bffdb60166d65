#!/bin/sh
# Issue 17: the outcome of every command on every hostile journal, for the figures in
# docs/journal.md ("Foreign journals"). Not part of ctest: the corpus is written by
#   LOCKRIG_HOSTILE_CORPUS_DIR=DIR build/lockrig_tests --gtest_filter='HostileJournal.*'
# and this script is then run once with the lockrig to measure:
#   tests/rig/hostile_corpus_outcomes.sh LOCKRIG DIR [SCHEMA_VERSION]
# SCHEMA_VERSION (default: leave as written) rewrites copies of the files to that user_version
# first (dropping runs.host_id for 2), so that an older lockrig reads them at all.
# Each command gets 10 s and 4 GB of address space; outcomes: ok (exit 0, or 1 from a gate that
# says FAIL), refused (another exit code with an error message), hang (killed at 10 s), crash
# (a signal, or out of memory).
set -u
lockrig=$1
dir=$2
version=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in "$dir"/*.db; do
  cp "$f" "$work/"
  if [ -n "$version" ]; then
    /usr/bin/python3 - "$work/$(basename "$f")" "$version" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
if sys.argv[2] == "2":
    try:
        c.execute("ALTER TABLE runs DROP COLUMN host_id")
    except sqlite3.Error:
        pass
c.execute("PRAGMA user_version = %d" % int(sys.argv[2]))
c.commit()
EOF
  fi
done
printf '%-24s %-10s %-10s %-10s %-10s\n' journal runs report gate check
for f in "$work"/*.db; do
  name=$(basename "$f" .db)
  line=$(printf '%-24s' "$name")
  for cmd in "runs --db $f" "report --db $f --format json" \
             "gate --db $f --baseline firmware=2.4.0 --candidate firmware=2.4.1" \
             "check --journal $f"; do
    (ulimit -v 4000000; timeout 10 "$lockrig" $cmd >/dev/null 2>"$work/err")
    rc=$?
    if [ $rc -eq 124 ]; then outcome=hang
    elif [ $rc -gt 128 ]; then outcome=crash
    elif grep -q "bad_alloc\|out of memory" "$work/err"; then outcome=crash
    elif [ $rc -eq 0 ]; then outcome=ok
    elif [ $rc -eq 1 ] && [ "${cmd%% *}" = gate ]; then outcome=ok
    else outcome=refused
    fi
    line="$line $(printf '%-10s' "$outcome")"
  done
  echo "$line"
done
