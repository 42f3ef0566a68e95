# iOS on arm64 (devices; the simulator with -DCORT_IOS_SIMULATOR=ON), as a static library. Needs macOS
# with Xcode; CMake 3.14+ knows CMAKE_SYSTEM_NAME iOS and finds the SDK through xcrun.
#   cmake -S . -B build-ios -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/ios-arm64.cmake \
#         -DCORT_BUILD_APPS=OFF -DCORT_BUILD_TESTS=OFF
#   cmake --build build-ios --target cort_static          # build-ios/libcort.a
# docs/platforms.md ("iOS") combines device and simulator builds into cort.xcframework.
set(CMAKE_SYSTEM_NAME iOS)
set(CMAKE_OSX_ARCHITECTURES arm64 CACHE STRING "iOS architectures")
set(CMAKE_OSX_DEPLOYMENT_TARGET 13.0 CACHE STRING "Oldest iOS version to run on")
option(CORT_IOS_SIMULATOR "Build for the iOS simulator (arm64, Apple silicon Macs) instead of devices" OFF)
if(CORT_IOS_SIMULATOR)
  set(CMAKE_OSX_SYSROOT iphonesimulator)
else()
  set(CMAKE_OSX_SYSROOT iphoneos)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CORT_IOS_SIMULATOR)
# iOS executables need code signing to run; CMake's compiler checks only need to compile and archive
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
