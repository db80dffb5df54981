#!/usr/bin/env bash
# Install Debian's prometheus package (for `promtool`, which checks and unit-tests the exported
# alert rules) when promtool is missing. Called by `make setup` and `.ci/run`; a no-op when
# promtool already runs.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && promtool --version >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool is missing and apt-get is not available: install Debian's prometheus" \
        "package (or any promtool ≥ 2.40) by hand" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    SUDO="sudo"
fi
echo "installing Debian's prometheus package for promtool (alert rule tests)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# Only the binaries: the package's service is not started in containers without systemd.
$SUDO apt-get install -y -qq --no-install-recommends prometheus >&2
promtool --version >&2
