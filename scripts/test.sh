#!/usr/bin/env bash
# The full test suite: installs what is missing, builds, and runs every ctest label
# (unit, cli, serial, ble, reference). Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/deps.sh"
"$here/build.sh"
cd "$here/../build"
ctest --output-on-failure -j 2 --timeout 600 "$@"
