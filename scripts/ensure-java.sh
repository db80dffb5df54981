#!/usr/bin/env bash
# Install Debian's OpenJDK (the JVM local Spark runs on, for `build --target spark` and its
# tests) when no Java 17 or newer is on PATH. Called by `make setup` and `.ci/run`.
set -euo pipefail
java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}
if command -v java >/dev/null 2>&1 && [[ "$(java_major)" -ge 17 ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Java 17 or newer is missing and apt-get is not available: install Debian's" \
        "default-jre-headless package by hand (Spark needs it)" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    SUDO="sudo"
fi
echo "installing Debian's OpenJDK for local Spark" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >&2
java -version >&2
