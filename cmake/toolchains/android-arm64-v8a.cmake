# Android arm64-v8a (API level 24 or later) with the Android NDK: sets the ABI and platform, then hands
# over to the NDK's own toolchain file (build/cmake/android.toolchain.cmake, NDK r21 or later).
#   export ANDROID_NDK=$HOME/Android/Sdk/ndk/26.1.10909125        # or -DANDROID_NDK=...
#   cmake -S . -B build-android -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/android-arm64-v8a.cmake \
#         -DCORT_BUILD_APPS=OFF [-DANDROID_PLATFORM=android-28]
# See docs/platforms.md ("Android") for running the CLI and the tests on a device with adb.
if(NOT ANDROID_NDK)
  foreach(var ANDROID_NDK ANDROID_NDK_HOME ANDROID_NDK_ROOT)
    if(DEFINED ENV{${var}} AND NOT ANDROID_NDK)
      set(ANDROID_NDK "$ENV{${var}}")
    endif()
  endforeach()
endif()
set(CORT_NDK_TOOLCHAIN "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
if(NOT ANDROID_NDK OR NOT EXISTS "${CORT_NDK_TOOLCHAIN}")
  message(FATAL_ERROR "android-arm64-v8a.cmake: set ANDROID_NDK (environment or -DANDROID_NDK=) to an Android "
                      "NDK directory holding build/cmake/android.toolchain.cmake (got '${ANDROID_NDK}')")
endif()
# try_compile projects load this file again: pass the NDK on to them
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ANDROID_NDK)

set(ANDROID_ABI arm64-v8a)
# API 24 (Android 7.0) is the floor (what the runtime calls: getauxval from API 18, sched_setaffinity,
# mmap, is older)
if(NOT ANDROID_PLATFORM)
  set(ANDROID_PLATFORM android-24)
endif()
string(REGEX MATCH "[0-9]+" CORT_ANDROID_API "${ANDROID_PLATFORM}")
if(CORT_ANDROID_API AND CORT_ANDROID_API LESS 24)
  message(FATAL_ERROR "android-arm64-v8a.cmake: ANDROID_PLATFORM ${ANDROID_PLATFORM} is below android-24")
endif()
# the C++ SDK header's tests link the NDK's static libc++ (no libc++_shared.so to ship)
if(NOT ANDROID_STL)
  set(ANDROID_STL c++_static)
endif()
include("${CORT_NDK_TOOLCHAIN}")
