"""Run benchmarks: `python -m benchmarks [NAME ...]` (default: all but the long ones, which
run only by name: `soak`, half an hour, also `make soak`). Each prints JSON."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
LONG = frozenset({"soak"})


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(available())}")
    args = parser.parse_args()
    names = args.names or [n for n in available() if n not in LONG]
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {available()}")
    failed = 0
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        code = subprocess.call([sys.executable, "-m", f"benchmarks.bench_{name}"])
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
