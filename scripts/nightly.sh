#!/bin/sh
# The nightly campaign as lockrig-nightly.service runs it (docs/operations.md):
#   1. resume the latest interrupted run in the journal (crash, kill -9, power loss), if any;
#   2. otherwise start the night's run;
#   3. write the JUnit report of the night;
#   4. export the night's sessions and attempts as NDJSON (for a warehouse) and the metrics as an
#      OpenMetrics textfile (for node_exporter's textfile collector), if configured.
# Configuration comes from the environment (packaging/lockrig.env.example). Exit status: that of
# the run (0 ok, 1 assertions failed, 2 configuration error, 3 rig fault, 75 the rig is busy),
# or the report's if the run succeeded and the report could not be written, or that of
# `lockrig runs` if the journal could not be read (then nothing runs).
set -eu

LOCKRIG=${LOCKRIG:-lockrig}
LOCKRIG_DB=${LOCKRIG_DB:-lockrig.db}
LOCKRIG_LOCK_FILE=${LOCKRIG_LOCK_FILE:-}
LOCKRIG_FIXTURE=${LOCKRIG_FIXTURE:-}
LOCKRIG_SCENARIOS=${LOCKRIG_SCENARIOS:-}
LOCKRIG_RUN_ARGS=${LOCKRIG_RUN_ARGS:-}
LOCKRIG_JUNIT=${LOCKRIG_JUNIT:-nightly-junit.xml}
LOCKRIG_REPORT_ARGS=${LOCKRIG_REPORT_ARGS:---last 1}
LOCKRIG_TEXTFILE=${LOCKRIG_TEXTFILE:-}        # e.g. /var/lib/node_exporter/textfile/lockrig.prom
LOCKRIG_METRICS_WINDOW=${LOCKRIG_METRICS_WINDOW:-28d}
LOCKRIG_EXPORT_DIR=${LOCKRIG_EXPORT_DIR:-}    # NDJSON files per night, e.g. /var/lib/lockrig/exports

# Syslog priorities as "<N>" prefixes when stderr goes to the journal (systemd sets JOURNAL_STREAM;
# lockrig itself checks that it names stderr), plain lines otherwise.
log() {
  if [ -n "${JOURNAL_STREAM:-}" ]; then printf '<%s>nightly: %s\n' "$1" "$2" >&2
  else printf 'nightly: %s\n' "$2" >&2; fi
}

lock_opt=""
[ -n "$LOCKRIG_LOCK_FILE" ] && lock_opt="--lock-file=$LOCKRIG_LOCK_FILE"

status=0
interrupted=""
if [ -e "$LOCKRIG_DB" ]; then
  # Not in a pipeline: a `lockrig runs` that fails (journal locked, unreadable...) must stop the
  # night rather than read as "nothing to resume" and start a new run beside an interrupted one.
  ids=$("$LOCKRIG" runs --db "$LOCKRIG_DB" --interrupted) || {
    status=$?
    log 3 "lockrig runs exited $status: cannot tell whether a run in $LOCKRIG_DB needs resuming; nothing started"
    exit "$status"
  }
  interrupted=$(printf '%s\n' "$ids" | tail -n 1)
fi
if [ -n "$interrupted" ]; then
  log 5 "resuming interrupted run $interrupted in $LOCKRIG_DB"
  # shellcheck disable=SC2086 # $lock_opt is one word or none
  "$LOCKRIG" run --resume="$interrupted" --db "$LOCKRIG_DB" --progress lines $lock_opt || status=$?
else
  set --
  [ -n "$LOCKRIG_FIXTURE" ] && set -- "$@" --fixture "$LOCKRIG_FIXTURE"
  for s in $LOCKRIG_SCENARIOS; do set -- "$@" --scenario "$s"; done
  log 6 "starting the nightly run in $LOCKRIG_DB"
  # shellcheck disable=SC2086 # $LOCKRIG_RUN_ARGS is a list of options
  "$LOCKRIG" run "$@" --db "$LOCKRIG_DB" --progress lines $lock_opt $LOCKRIG_RUN_ARGS || status=$?
fi

case $status in
  0 | 1) ;;
  75) log 4 "another lockrig run holds the rig; nothing done"; exit 75 ;;
  2)
    if [ -n "$interrupted" ]; then
      log 3 "run $interrupted could not be resumed (exit 2, see above): restore its files, or give up on it with: $LOCKRIG runs --db $LOCKRIG_DB --abandon $interrupted"
    else
      log 3 "configuration error (exit 2); no report written"
    fi
    exit 2 ;;
  *) log 3 "run ended with exit $status" ;;
esac

# The report covers what the journal holds, also after a rig fault.
report=0
# shellcheck disable=SC2086 # $LOCKRIG_REPORT_ARGS is a list of options
"$LOCKRIG" report --db "$LOCKRIG_DB" --format junit --output "$LOCKRIG_JUNIT" $LOCKRIG_REPORT_ARGS || report=$?
if [ "$report" -ne 0 ]; then
  log 3 "lockrig report exited $report; $LOCKRIG_JUNIT not updated"
  [ "$status" -eq 0 ] && status=$report
else
  log 6 "JUnit report written to $LOCKRIG_JUNIT"
fi

# Exports: failures are logged and reflected in the exit status, never fatal to the rest.
export_failed() {
  log 3 "$1"
  [ "$status" -eq 0 ] && status=1
  return 0
}
if [ -n "$LOCKRIG_TEXTFILE" ]; then
  "$LOCKRIG" export --db "$LOCKRIG_DB" --format openmetrics --since "$LOCKRIG_METRICS_WINDOW" \
    -o "$LOCKRIG_TEXTFILE" || export_failed "OpenMetrics export to $LOCKRIG_TEXTFILE failed"
fi
if [ -n "$LOCKRIG_EXPORT_DIR" ]; then
  night=$(date -u +%F)
  mkdir -p "$LOCKRIG_EXPORT_DIR"
  for table in sessions attempts; do
    "$LOCKRIG" export --db "$LOCKRIG_DB" --format ndjson --last 1 --table "$table" \
      -o "$LOCKRIG_EXPORT_DIR/$table-$night.ndjson" ||
      export_failed "NDJSON export of $table to $LOCKRIG_EXPORT_DIR failed"
  done
fi
exit "$status"
