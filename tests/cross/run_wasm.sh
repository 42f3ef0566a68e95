#!/bin/sh
# Runs the WebAssembly build's CLI (cort.js + cort.wasm, built with -sNODERAWFS so it reads the host's
# files) under node: one node test must PASS, then `cort check --suite` over the ONNX backend suites of
# libonnx-testdata, printing each suite's counts and the total. Without fork() in WebAssembly the
# suite runs its tests in-process, one after another (tools/cli/cli_suite.c).
#   tests/cross/run_wasm.sh [BUILD_DIR] [DATA_ROOT]
set -eu
build=${1:-build-wasm}
data=${2:-/usr/share/libonnx-testdata/data}
# node's fetch would otherwise be picked over emscripten's file reading for the .wasm
node="node --no-experimental-fetch"

result=$($node "$build/cort.js" check "$data/node/test_abs")
echo "wasm test_abs: $result"
[ "$result" = PASS ]

total_pass=0
total_fail=0
for suite in node pytorch-converted pytorch-operator simple; do
    [ -d "$data/$suite" ] || continue
    line=$($node "$build/cort.js" check --suite "$data/$suite" 2>/dev/null | tail -n 1) || true
    pass=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    fail=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    echo "wasm $suite: ${pass:-?} passed, ${fail:-?} failed"
    total_pass=$((total_pass + ${pass:-0}))
    total_fail=$((total_fail + ${fail:-0}))
done
echo "wasm total: $total_pass passed, $total_fail failed"
