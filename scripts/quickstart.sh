#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install dependencies, build, and run the nightly
# campaign on the built-in simulated rig (journal: ./lockrig.db). Extra arguments go to
# `lockrig run`, e.g. scripts/quickstart.sh --label app=5.3.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/deps.sh"
"$here/build.sh" lockrig
exec "$here/../build/lockrig" run "$@"
