#!/bin/sh
# Installs the build into a temporary prefix, then builds a program against it twice: with pkg-config
# (shared library) and with CMake's find_package(cort) (static library), and runs both on a model.
set -eu
BUILD=$1
SRC=$(cd "$(dirname "$0")" && pwd)
MODEL=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
PKG_CONFIG_PATH=$(find "$TMP/prefix" -name cort.pc -exec dirname {} \;)
export PKG_CONFIG_PATH
cc -std=c11 -Wall -Wextra -Werror "$SRC/consumer/main.c" -o "$TMP/pc_consumer" $(pkg-config --cflags --libs cort) \
    -Wl,-rpath,"$(pkg-config --variable=libdir cort)"
"$TMP/pc_consumer" "$MODEL"
cmake -S "$SRC/consumer" -B "$TMP/cmake_build" -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null
cmake --build "$TMP/cmake_build" >/dev/null
"$TMP/cmake_build/consumer" "$MODEL"
test -f "$TMP/prefix/include/cort/cort.h"
