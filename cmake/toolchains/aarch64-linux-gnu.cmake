# Cross build for 64-bit ARM Linux with Debian's gcc-aarch64-linux-gnu; binaries run here under qemu-user.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DCORT_BUILD_APPS=OFF
# Packages: gcc-aarch64-linux-gnu qemu-user (see docs/platforms.md and `make test-arm64`).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CORT_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${CORT_CROSS_TRIPLE}-gcc)
# C++ only matters for the SDK's C++ tests; they are skipped when g++-aarch64-linux-gnu is absent.
find_program(CORT_CROSS_CXX ${CORT_CROSS_TRIPLE}-g++)
if(CORT_CROSS_CXX)
  set(CMAKE_CXX_COMPILER ${CORT_CROSS_CXX})
else()
  # defined but false: check_language(CXX) must not pick the host's c++
  set(CMAKE_CXX_COMPILER CMAKE_CXX_COMPILER-NOTFOUND)
endif()

# Debian installs the target's headers and libraries under /usr/aarch64-linux-gnu.
set(CORT_CROSS_SYSROOT /usr/${CORT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${CORT_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest (and add_test commands naming a target) run the aarch64 binaries through qemu.
find_program(CORT_QEMU_AARCH64 qemu-aarch64)
if(CORT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CORT_QEMU_AARCH64} -L ${CORT_CROSS_SYSROOT})
endif()
