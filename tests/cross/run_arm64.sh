#!/bin/sh
# Runs the aarch64 cross build under qemu-user: the unit tests through ctest (the toolchain file sets
# CMAKE_CROSSCOMPILING_EMULATOR), then `cort check --suite` over the ONNX backend
# suites of libonnx-testdata, printing each suite's counts and the total.
#   tests/cross/run_arm64.sh [BUILD_DIR] [NODE_ROOT]  (its parent holds the other suites)
set -eu
build=${1:-build-arm64}
root=${2:-/usr/share/libonnx-testdata/data/node}
sysroot=/usr/aarch64-linux-gnu
jobs=$(nproc)

# Tests whose command is a host shell script calling the target binary directly, or that need
# valgrind/ASan on the target, cannot run under qemu-user.
host_only='demo_shapes|install_consumer|valgrind_models|_asan$'
(cd "$build" && ctest --output-on-failure -j "$jobs" -L unit -E "$host_only")

# The whole backend suites run in well under a minute under qemu, so no subset is needed; a suite
# whose data is not installed is skipped.
data=$(dirname "$root")
total_pass=0
total_fail=0
for suite in node pytorch-converted pytorch-operator simple; do
    dir=$data/$suite
    [ "$suite" = node ] && dir=$root
    [ -d "$dir" ] || continue
    line=$(qemu-aarch64 -L "$sysroot" "$build/cort" check --suite "$dir" --jobs "$jobs" --timeout 300 \
        | tail -n 1) || true
    pass=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    fail=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    echo "arm64 $suite: ${pass:-?} passed, ${fail:-?} failed"
    total_pass=$((total_pass + ${pass:-0}))
    total_fail=$((total_fail + ${fail:-0}))
done
echo "arm64 total: $total_pass passed, $total_fail failed"
