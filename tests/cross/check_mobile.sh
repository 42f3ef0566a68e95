#!/bin/sh
# Compile checks for the mobile targets on a machine without the Android NDK or the Apple SDK
# (docs/platforms.md, "Android" and "iOS"). Neither SDK's headers are here, so this is what can be
# checked, and no more:
#  - Android: the whole library (every src/ file but the x86 and wasm kernels) compiled by clang for
#    aarch64-linux-android24, so __ANDROID__, __ANDROID_API__ and the Android code paths are the real
#    ones, against the glibc aarch64 headers of Debian's cross sysroot instead of bionic's;
#  - Apple (iOS, macOS on arm64): the files with Apple code paths (base/cpu.c, base/affinity.c,
#    base/file_map.c, base/threadpool.c) and the NEON kernels, compiled for aarch64 with the Linux
#    predefines removed and __APPLE__/__MACH__ defined, against the same glibc headers plus two
#    stand-ins (tests/cross/apple_stubs) declaring the Apple calls they make (sysctlbyname,
#    pthread_set_qos_class_self_np) as the SDK does.
# Both run -fsyntax-only with the project's warnings as errors. Nothing is linked or run.
#   tests/cross/check_mobile.sh   (needs clang and Debian's libc6-dev-arm64-cross)
set -eu
cd "$(dirname "$0")/../.."
sysroot=${CORT_CROSS_SYSROOT:-/usr/aarch64-linux-gnu}
if ! command -v clang >/dev/null || [ ! -d "$sysroot/include" ]; then
    echo "check_mobile: skipped (needs clang and $sysroot/include: apt-get install clang libc6-dev-arm64-cross)"
    exit 0
fi
flags="-std=c11 -D_GNU_SOURCE -Iinclude -Isrc -Wall -Wextra -Wno-unused-parameter -Wshadow -Werror \
    -fno-math-errno -fsyntax-only --sysroot=$sysroot -idirafter $sysroot/include"
status=0

android=$(find src -name '*.c' ! -path 'src/kernels/x86/*' ! -path 'src/kernels/wasm/*' | sort)
n=0
for f in $android; do
    # shellcheck disable=SC2086
    clang --target=aarch64-linux-android24 $flags "$f" || status=1
    n=$((n + 1))
done
echo "check_mobile: android arm64-v8a (API 24): $n files"

apple="src/base/cpu.c src/base/affinity.c src/base/file_map.c src/base/threadpool.c $(ls src/kernels/arm/*.c)"
n=0
for f in $apple; do
    # shellcheck disable=SC2086
    clang --target=aarch64-linux-gnu -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -D__APPLE__ -D__MACH__ \
        -isystem tests/cross/apple_stubs $flags "$f" || status=1
    n=$((n + 1))
done
echo "check_mobile: apple arm64 (define-based): $n files"
[ $status = 0 ] && echo "check_mobile: ok" || echo "check_mobile: FAILED"
exit $status
