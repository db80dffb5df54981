#!/usr/bin/env bash
# Install Debian's PostgreSQL server (for the state-database tests) when it is missing.
# Called by `make setup` and `.ci/run`; a no-op when initdb and pg_ctl are already there.
# The tests start their own throwaway server (initdb + pg_ctl in a temporary folder on a
# free loopback port); nothing here starts or enables a system service.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is missing and apt-get is not available: install Debian's postgresql" \
        "package (or put initdb and pg_ctl on PATH) by hand" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    SUDO="sudo"
fi
echo "installing Debian's postgresql for the state-database tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
ls /usr/lib/postgresql/*/bin/pg_ctl >&2
