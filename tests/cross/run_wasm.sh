#!/bin/sh
# Tests the WebAssembly build (emscripten) under node, and fails on any difference from x86-64:
#  1. the kernel unit tests (SGEMM and its epilogue, depthwise and direct convolution, vector math:
#     every file of src/kernels/wasm against the generic C paths), compiled here against the build's
#     libcort.a and run under node;
#  2. all four ONNX backend suites of libonnx-testdata (node, pytorch-converted, pytorch-operator,
#     simple: 1072 tests) through tests/conformance/run_conformance.py with the build's cort.js as its
#     executable: the run fails on any test that fails and is not in
#     tests/conformance/known_failures.txt (x86-64's list, which the x86 conformance ctests hold
#     exact), and on any listed test that passes. The suites run in-process under node (no fork() in
#     WebAssembly: tools/cli/cli_suite.c) in well under a minute, so no subset is needed.
# A threaded build (-DCORT_WASM_THREADS=ON: cort.worker.js next to cort.js) runs the same on its
# threads (the CLI's default: one per core), and the unit tests are compiled with -pthread.
#   tests/cross/run_wasm.sh [BUILD_DIR] [DATA_DIR]
# Compiling needs NODE_PATH=/usr/share/nodejs with Debian's emscripten 3.1.6 (its optimizer uses acorn).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-build-wasm}" && pwd)
data=${2:-/usr/share/libonnx-testdata/data}
# node's fetch would otherwise be picked over emscripten's file reading for the .wasm
node="node --no-experimental-fetch"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
start=$(date +%s)
threads=
[ -f "$build/cort.worker.js" ] && threads=-pthread

result=$($node "$build/cort.js" check "$data/node/test_abs")
echo "wasm test_abs: $result"
[ "$result" = PASS ]

status=0
unit="$build/wasm-unit"
mkdir -p "$unit"
for t in test_gemm_kernel test_gemm_epilogue test_vecmath test_depthwise_variants test_conv_depthwise \
    test_conv_kernels; do
    [ -f "$src/tests/unit/$t.c" ] || continue
    # shellcheck disable=SC2086 # $threads is one flag or none
    emcc -O2 -msimd128 $threads -std=c11 -D_GNU_SOURCE -DCORT_SOURCE_DIR="\"$src\"" -I"$src/include" \
        -I"$src/src" -I"$src/tests/unit" "$src/tests/unit/$t.c" "$build/libcort.a" -o "$unit/$t.js" \
        -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sEXIT_RUNTIME=1 ${threads:+-sPTHREAD_POOL_SIZE=4 -Wno-pthreads-mem-growth}
    if $node "$unit/$t.js" >"$unit/$t.log" 2>&1; then
        echo "wasm unit $t: passed"
    else
        echo "wasm unit $t: FAILED"; tail -n 20 "$unit/$t.log"; status=1
    fi
done
echo "wasm unit tests: $(( $(date +%s) - start )) s"

# run_conformance.py starts `cort` itself: give it one that runs under node.
wrapper=$build/cort-node.sh
printf '#!/bin/sh\nexec node --no-experimental-fetch "%s/cort.js" "$@"\n' "$build" > "$wrapper"
chmod +x "$wrapper"

for suite in node pytorch-converted pytorch-operator simple; do
    rc=0
    python3 "$here/../conformance/run_conformance.py" --cort "$wrapper" --suite "$suite" --data "$data" \
        --timeout 600 || rc=$?
    case $rc in
    0) ;;
    77) echo "wasm $suite: skipped (no test data)" ;;
    *) echo "wasm $suite: DIFFERS from x86-64 (tests/conformance/known_failures.txt)"; status=1 ;;
    esac
done
echo "wasm: $(( $(date +%s) - start )) s in all; $([ $status = 0 ] && echo 'conformance equals x86-64' || echo FAILED)"
exit $status
