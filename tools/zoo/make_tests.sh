#!/bin/sh
# Builds the model zoo's test folders: exports every model with PyTorch (tools/zoo/export.py), then runs
# each through ONNX Runtime on seeded random inputs (see ort_env.sh: the Node.js maketest.js from
# ../shared/tools/ort when present, else ort_reference.py with onnxruntime from PyPI), giving one
# ONNX-backend-style folder per model: OUT/tests/NAME/{model.onnx,test_data_set_0/{input,output}_K.pb}.
# `cort check OUT/tests/NAME` then compares cort with ONNX Runtime (tests/models runs exactly that).
#
# Usage: sh tools/zoo/make_tests.sh [--out DIR] [--only NAME[,NAME...]] [--force]
#   --out DIR   where models/ and tests/ go (default tools/zoo/out)
#   --only      a subset of models (names as in `export.py --list`)
#   --force     re-export and re-run models whose test folder already exists
# Installs what it needs when missing (Debian python3-torch, python3-torchvision, python3-onnx; for
# ONNX Runtime, npm or pip packages into private folders under $TMPDIR).
set -eu
ZOO=$(cd "$(dirname "$0")" && pwd)
OUT=$ZOO/out
ONLY=""
FORCE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        *) echo "usage: $0 [--out DIR] [--only NAME,...] [--force]" >&2; exit 2 ;;
    esac
done
. "$ZOO/ort_env.sh"
zoo_apt_install python3-torch python3-torchvision python3-onnx
zoo_setup_ort
PY=/usr/bin/python3  # Debian's interpreter: the one python3-torch is installed for

mkdir -p "$OUT/models" "$OUT/tests"
list=$("$PY" "$ZOO/export.py" --list)
[ -n "$ONLY" ] && list=$(printf '%s\n' "$list" | awk -F'\t' -v only=",$ONLY," 'index(only, "," $1 ",")')
[ -n "$list" ] || { echo "make_tests: no model matches --only $ONLY" >&2; exit 2; }

# Export in one Python process (importing torch costs seconds), only what is missing.
printf '%s\n' "$list" | while IFS="$(printf '\t')" read -r name _; do
    if [ "$FORCE" = 1 ] || [ ! -f "$OUT/tests/$name/test_data_set_0/output_0.pb" ]; then echo "$name"; fi
done >"$OUT/.todo"
todo=$(paste -sd, "$OUT/.todo")
rm -f "$OUT/.todo"
if [ -z "$todo" ]; then echo "make_tests: all test folders exist in $OUT/tests (use --force to redo)"; exit 0; fi
"$PY" "$ZOO/export.py" --out "$OUT/models" --only "$todo" 2> "$OUT/export.log" || {
    cat "$OUT/export.log" >&2; echo "make_tests: export failed" >&2; exit 1; }

printf '%s\n' "$list" | while IFS="$(printf '\t')" read -r name opts; do
    case ",$todo," in *",$name,"*) ;; *) continue ;; esac
    dir=$OUT/tests/$name
    rm -rf "$dir"
    echo "make_tests: $name -> $dir"
    # shellcheck disable=SC2086  # opts is a list of maketest.js options
    $ORT_MAKETEST "$OUT/models/$name.onnx" "$dir" $opts
    # The test folder holds its own copy of the model; share the bytes (models reach 400 MB).
    ln -f "$dir/model.onnx" "$OUT/models/$name.onnx"
done
echo "make_tests: done; test folders in $OUT/tests"
