#!/usr/bin/env bash
# Installs the Debian 12 packages lockrig needs to build and to run its whole test suite.
# Idempotent: does nothing when everything is already installed. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev libboost-program-options-dev libboost-math-dev libyaml-cpp-dev
  libsdbus-c++-dev libserialport-dev libhidapi-dev
  # tests
  libgtest-dev sqlite3 e2fsprogs python3 util-linux mount
  dbus python3-dbusmock            # BlueZ mocked on a private D-Bus
  r-base-core r-cran-metafor r-cran-rpact r-cran-mass python3-statsmodels python3-scipy  # statistics references
  python3-mpmath                   # 50-digit reference for P(candidate worse) (tests/reports/bayes_mpmath_check.py)
  chromium fonts-liberation        # the HTML report opened in headless Chromium
  python3-prometheus-client        # parses `lockrig export --format openmetrics` in the tests
  systemd                          # systemd-analyze verify of packaging/systemd (no running systemd needed)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "lockrig: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
