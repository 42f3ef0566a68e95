#!/bin/sh
# Every graph optimization level computes what level 0 computes: the model runs on its zoo test inputs
# at level 0, those outputs become the reference of a backend-style test folder, and `cort check`
# runs it at levels 1, 2, 3 and 99 with a tolerance of 1e-4; so does the model `cort optimize` saves at
# level 99, loaded again without optimization.
# Usage: check_levels.sh CORT TESTDIR. Exit status 77 (ctest's skip code here) when TESTDIR is missing.
set -u
CORT=$1
DIR=$2
if [ ! -f "$DIR/model.onnx" ] || [ ! -f "$DIR/test_data_set_0/input_0.pb" ]; then
    echo "SKIP: $DIR not generated; run 'make test-zoo' or 'sh tools/zoo/make_tests.sh' (needs PyTorch and ONNX Runtime)"
    exit 77
fi
DIR=$(cd "$DIR" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cort-levels.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
ln -s "$DIR/model.onnx" "$TMP/model.onnx"
mkdir "$TMP/test_data_set_0" || exit 1
# the model's inputs in order (cort info lists them indented under "inputs (N):"), fed input_K.pb
names=$("$CORT" info "$DIR/model.onnx" | awk '/^inputs \(/ { on = 1; next } on && /^  / { print $1; next } on { exit }')
set --
k=0
for name in $names; do
    f="$DIR/test_data_set_0/input_$k.pb"
    [ -f "$f" ] || break
    ln -s "$f" "$TMP/test_data_set_0/input_$k.pb"
    set -- "$@" --input "$name=$f"
    k=$((k + 1))
done
echo "+ $CORT run --opt 0 $DIR/model.onnx $* --outdir (reference)"
"$CORT" run --opt 0 "$DIR/model.onnx" "$@" --outdir "$TMP/test_data_set_0" >/dev/null || exit 1
for level in 1 2 3 99; do
    echo "+ $CORT check --opt $level --atol 1e-4 --rtol 1e-4 (against level 0)"
    "$CORT" check --opt $level --atol 1e-4 --rtol 1e-4 "$TMP" || exit 1
done
# the optimized graph as `cort optimize` saves it (com.cort operators included) reloads and computes the same
mkdir "$TMP/saved" || exit 1
ln -s "$TMP/test_data_set_0" "$TMP/saved/test_data_set_0"
echo "+ $CORT optimize $DIR/model.onnx -o saved/model.onnx --level 99, then check --opt 0"
"$CORT" optimize "$DIR/model.onnx" -o "$TMP/saved/model.onnx" --level 99 >/dev/null || exit 1
"$CORT" check --opt 0 --atol 1e-4 --rtol 1e-4 "$TMP/saved" || exit 1
