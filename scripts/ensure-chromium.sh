#!/usr/bin/env bash
# Install Debian's Chromium (for the browser tests) when it is missing. Called by
# `make setup` and `.ci/run`; a no-op when /usr/bin/chromium already runs.
# Playwright's own browser download needs the network beyond the package registries, so
# the tests drive this system browser through `executable_path` instead.
set -euo pipefail
BROWSER=/usr/bin/chromium
if [[ -x "$BROWSER" ]] && "$BROWSER" --version >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is missing at $BROWSER and apt-get is not available: install Debian's" \
        "chromium package by hand" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    SUDO="sudo"
fi
echo "installing Debian's chromium for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium >&2
"$BROWSER" --version >&2
