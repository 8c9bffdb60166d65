#!/usr/bin/env bash
# Prints a journal as SQL with what differs between two identical runs blanked: the run's uuid,
# start/end wall-clock time and campaign seconds, the command line (which names the journal) and
# the `campaign` label of --until-decided runs (a uuid).
# Used to show that a refactor journals byte-for-byte the same rows for a given seed:
#   scripts/journal-dump.sh before.db > a.sql; scripts/journal-dump.sh after.db > b.sql; diff a.sql b.sql
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 JOURNAL" >&2; exit 2; }
tmp=$(mktemp --suffix=.db)
trap 'rm -f "$tmp" "$tmp-wal" "$tmp-shm"' EXIT
cp "$1" "$tmp"
[ -f "$1-wal" ] && cp "$1-wal" "$tmp-wal"
sqlite3 "$tmp" "UPDATE runs SET uuid = 'run-' || id, started_at = '-', ended_at = '-',
                campaign_seconds = 0, command_line = '-';
                UPDATE run_labels SET value = '-' WHERE key = 'campaign';"
sqlite3 "$tmp" .dump
