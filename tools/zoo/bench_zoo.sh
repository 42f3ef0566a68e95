#!/bin/sh
# Times cort and ONNX Runtime on the zoo's models side by side. Kept for its old command line; the
# benchmark itself is bench/compare (alternated runs in long-lived workers, latency, session creation,
# peak RSS, geometric means): see bench/README.md.
# Usage: sh tools/zoo/bench_zoo.sh [--build DIR] [--threads 1,2] [--only A,B] [--budget S] [--repeat R]
#                                 [--out FILE] [...any other bench/compare option]
set -eu
ZOO=$(cd "$(dirname "$0")" && pwd)
exec python3 "$ZOO/../../bench/compare" "$@"
