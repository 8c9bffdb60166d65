#!/bin/sh
# A scripted stand-in for an app harness (the program a `command` lock runs), for the command
# link tests. The first argument picks the behaviour.
mode=$1
shift
case "$mode" in
  success) echo '{"outcome": "success", "latency_ms": 812.5, "detail": "unlocked via app"}' ;;
  rejected) echo '{"outcome": "rejected", "latency_ms": 430, "detail": "app shows: access denied"}' ;;
  no-latency) sleep 0.2; echo '{"outcome": "success"}' ;;
  echo-args) printf '{"outcome": "success", "detail": "%s|%s|%s"}\n' "$1" "$2" "$3" ;;
  noise)
    i=0
    while [ $i -lt 200 ]; do echo "adb: log line $i from the device" >&2; i=$((i + 1)); done
    echo '{"outcome": "success", "latency_ms": 90}'
    ;;
  hang) sleep 300 & echo $! > "$1"; wait ;;
  ignore-term) trap '' TERM; sleep 300 & echo $! > "$1"; while :; do sleep 1; done ;;
  crash) echo 'about to crash' >&2; kill -SEGV $$ ;;
  malformed) echo 'unlocked!' ;;
  two-lines) echo '{"outcome": "success"}'; echo '{"outcome": "success"}' ;;
  unknown-outcome) echo '{"outcome": "jammed", "detail": "bolt stuck"}' ;;
  fail-silently) echo 'error: no device connected' >&2; exit 3 ;;
  fail-with-result) echo '{"outcome": "timeout", "detail": "app spinner never stopped"}'; exit 1 ;;
  version) echo "  4.12.0 (build 881)  "; echo "second line" ;;
  env-to) env > "$1"; echo '{"outcome": "success"}' ;;
  # Issue 15: a harness that prints a lock key it read from a file, on stderr and in its detail.
  leak-key)
    key=$(cat "$1")
    echo "debug: using session key $key" >&2
    printf '{"outcome": "rejected", "latency_ms": 120, "detail": "bad key %s"}\n' "$key"
    ;;
  # Issue 15: stand-ins for --capture programs. capture-write FILE writes to FILE until stopped;
  # capture-stubborn PIDFILE ignores SIGINT and SIGTERM (a hanging capture).
  capture-write) trap 'echo "capture stopped" >> "$1"; exit 0' INT; echo "capture started" > "$1"; while :; do sleep 0.1; done ;;
  capture-stubborn) trap '' INT TERM; echo $$ > "$1"; while :; do sleep 0.1; done ;;
  # What a harness of the same user could read of the rig that started it (issue 17 item 6).
  parent-env-to) tr '\0' '\n' < /proc/$PPID/environ > "$1" 2>/dev/null; echo '{"outcome": "success"}' ;;
  abort-parent) kill -ABRT $PPID; sleep 2; echo '{"outcome": "success"}' ;;
  present) exit 0 ;;
  absent) exit 1 ;;
  *) echo "fake_unlock_app: unknown mode $mode" >&2; exit 64 ;;
esac
