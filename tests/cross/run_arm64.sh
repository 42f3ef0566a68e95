#!/bin/sh
# Tests the aarch64 cross build under qemu-user, and fails on any difference from x86-64:
#  1. the unit tests through ctest (the toolchain file sets CMAKE_CROSSCOMPILING_EMULATOR, so every
#     test whose command is a target runs under qemu), NEON kernels included;
#  1b. CPU feature detection under qemu's models of three CPUs (ARMv8.0 Cortex-A53, ARMv8.2 Neoverse N1,
#     A64FX with SVE), and the kernel tests on the ARMv8.0 one;
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

# qemu's default CPU model has every feature. Feature detection must name exactly what each emulated CPU
# has, and the NEON kernels must need no more than ARMv8.0 (Cortex-A53: no fp16, no dot product).
status=0
for spec in "cortex-a53:neon" "neoverse-n1:neon fp16 dotprod" "a64fx:neon fp16 sve"; do
    cpu=${spec%%:*}
    tests=test_cpu
    [ "$cpu" = cortex-a53 ] && tests="test_cpu test_cpu_dispatch test_gemm_kernel test_gemm_epilogue test_vecmath \
        test_depthwise_variants test_conv_depthwise"
    for t in $tests; do
        if ! QEMU_CPU=$cpu CORT_TEST_CPU_FEATURES=${spec#*:} qemu-aarch64 -L "$sysroot" "$build/tests/$t" \
            > "$build/$t.$cpu.log" 2>&1; then
            echo "arm64 $t on $cpu: FAILED"; cat "$build/$t.$cpu.log"; status=1
        fi
    done
    echo "arm64 on $cpu: $(grep '^cpu:' "$build/test_cpu.$cpu.log") ($tests)" | tr -s ' '
done

# run_conformance.py starts `cort` itself: give it one that runs under qemu.
wrapper=$build/cort-qemu.sh
printf '#!/bin/sh\nexec qemu-aarch64 -L "%s" "%s/cort" "$@"\n' "$sysroot" "$build" > "$wrapper"
chmod +x "$wrapper"

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
