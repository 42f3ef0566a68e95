#!/bin/sh
# Runs the CLI under valgrind's memcheck on a few models that exercise the loader, the planner, control
# flow, recurrent ops and convolutions; any invalid access or definite leak fails the test.
set -eu
CORT=$1
SRC=$2
DATA=/usr/share/libonnx-testdata/data/node
if ! command -v valgrind >/dev/null; then echo "valgrind is not installed"; exit 77; fi
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
$VG "$CORT" run "$SRC/demo/shapes_cnn.onnx" --input "input=$SRC/demo/samples/circle.npy" >/dev/null
$VG "$CORT" info "$SRC/demo/shapes_cnn.onnx" >/dev/null
if [ -d "$DATA" ]; then
    for t in test_conv_with_strides_padding test_lstm_defaults test_loop11 test_if_seq test_resize_upsample_scales_linear \
             test_reshape_reordered_all_dims test_nonzero_example test_scan9_sum test_gather_0; do
        $VG "$CORT" check "$DATA/$t" >/dev/null
    done
fi
$VG "$CORT" bench "$SRC/demo/shapes_cnn.onnx" --runs 3 --warmup 1 >/dev/null
echo "valgrind: clean"
