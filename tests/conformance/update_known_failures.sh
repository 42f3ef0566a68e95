#!/bin/sh
# Regenerates tests/conformance/known_failures.txt from a run of cort on the ONNX backend suites:
# tests that pass are removed, reasons of tests that still fail are kept, new failures are added with
# "TODO: not yet implemented" (plus cort's message, and whether ONNX Runtime fails them too).
# Usage: sh tests/conformance/update_known_failures.sh [CORT_BINARY] [SUITE...]
#   CORT_BINARY defaults to build/cort; SUITE to all four (node pytorch-converted pytorch-operator simple).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CORT=${1:-$ROOT/build/cort}
[ $# -gt 0 ] && shift
[ -x "$CORT" ] || { echo "update_known_failures: $CORT is not an executable (build first, or pass its path)" >&2; exit 2; }
SUITES=${*:-node pytorch-converted pytorch-operator simple}
JOBS=$(nproc 2>/dev/null || echo 2)
for s in $SUITES; do
    python3 "$HERE/run_conformance.py" --cort "$CORT" --suite "$s" --jobs "$JOBS" --update
done
