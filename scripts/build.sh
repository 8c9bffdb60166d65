#!/usr/bin/env bash
# Configures and builds lockrig into ./build (Release with debug info, warnings as errors).
# Arguments name targets to build (default: everything, tests included), e.g. scripts/build.sh lockrig
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCKRIG_WERROR=ON >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
