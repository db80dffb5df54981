#!/usr/bin/env bash
# Create (once) a separate environment with GrowthBook's gbstats, for cross-check tests only.
# gbstats needs numpy 1.26 and pandas 1.5, so it cannot live in the product environment.
# Prints the environment's python on stdout. GBSTATS_ENV overrides the location and
# GBSTATS_BASE_PYTHON the interpreter it is built from (default: any Python 3.11).
set -euo pipefail
ENV_DIR="${GBSTATS_ENV:-${TMPDIR:-/tmp}/rastup-gbstats-env}"
GBSTATS_VERSION="${GBSTATS_VERSION:-0.8.0}"
PY="$ENV_DIR/bin/python"
if [[ -x "$PY" ]] && "$PY" -c "import gbstats" >/dev/null 2>&1; then
    echo "$PY"
    exit 0
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV="$(command -v uv || true)"
if [[ -z "$UV" && -x "$ROOT/.tools/bin/uv" ]]; then
    UV="$ROOT/.tools/bin/uv"
fi
if [[ -z "$UV" ]]; then
    echo "uv is required: run 'make setup' or 'pip install uv'" >&2
    exit 1
fi
"$UV" venv --quiet --python "${GBSTATS_BASE_PYTHON:-3.11}" "$ENV_DIR" >&2
"$UV" pip install --quiet --python "$PY" "gbstats==$GBSTATS_VERSION" >&2
echo "$PY"
