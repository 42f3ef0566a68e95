#!/bin/sh
# Tests the aarch64 cross build under qemu-user, and fails on any difference from x86-64:
#  1. the unit tests through ctest (the toolchain file sets CMAKE_CROSSCOMPILING_EMULATOR, so every
#     test whose command is a target runs under qemu), NEON kernels included;
#  2. all four ONNX backend suites of libonnx-testdata (node, pytorch-converted, pytorch-operator,
#     simple: 1072 tests, every kernel file) through tests/conformance/run_conformance.py with the
#     aarch64 `cort` as its executable: the run fails on any test that fails and is not in
#     tests/conformance/known_failures.txt, which is x86-64's list (the x86 conformance ctests hold it
#     exact), and on any listed test that passes. So ARM64's pass/fail list must equal x86-64's.
# The whole suites take under a minute under qemu on 2 cores, so no subset is needed.
#   tests/cross/run_arm64.sh [BUILD_DIR] [DATA_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build-arm64}" && pwd)
data=${2:-/usr/share/libonnx-testdata/data}
sysroot=${CORT_CROSS_SYSROOT:-/usr/aarch64-linux-gnu}
jobs=$(nproc)
start=$(date +%s)

# Tests whose command is a host shell script calling the target binary directly, or that need
# valgrind/ASan on the target, cannot run under qemu-user.
host_only='demo_shapes|install_consumer|valgrind_models|_asan$'
(cd "$build" && ctest --output-on-failure -j "$jobs" -L unit -E "$host_only")
echo "arm64 unit tests: $(( $(date +%s) - start )) s"

# run_conformance.py starts `cort` itself: give it one that runs under qemu.
wrapper=$build/cort-qemu.sh
printf '#!/bin/sh\nexec qemu-aarch64 -L "%s" "%s/cort" "$@"\n' "$sysroot" "$build" > "$wrapper"
chmod +x "$wrapper"

status=0
for suite in node pytorch-converted pytorch-operator simple; do
    rc=0
    python3 "$here/../conformance/run_conformance.py" --cort "$wrapper" --suite "$suite" --data "$data" \
        --jobs "$jobs" --timeout 300 || rc=$?
    case $rc in
    0) ;;
    77) echo "arm64 $suite: skipped (no test data)" ;;
    *) echo "arm64 $suite: DIFFERS from x86-64 (tests/conformance/known_failures.txt)"; status=1 ;;
    esac
done
echo "arm64: $(( $(date +%s) - start )) s in all; $([ $status = 0 ] && echo 'conformance equals x86-64' || echo FAILED)"
exit $status
