#!/bin/sh
# One model-zoo test: cort's outputs against ONNX Runtime's (cort check), then a short benchmark.
# Usage: check_model.sh CORT TESTDIR
# Exit status 77 (ctest's skip code here) when TESTDIR has not been generated yet.
set -u
CORT=$1
DIR=$2
if [ ! -f "$DIR/model.onnx" ] || [ ! -f "$DIR/test_data_set_0/output_0.pb" ]; then
    echo "SKIP: $DIR not generated; run 'make test-zoo' or 'sh tools/zoo/make_tests.sh' (needs PyTorch and ONNX Runtime)"
    exit 77
fi
echo "+ $CORT check --atol 1e-4 --rtol 1e-4 $DIR"
"$CORT" check --atol 1e-4 --rtol 1e-4 "$DIR" || exit 1
echo "+ $CORT bench --runs 2 --warmup 1 --json $DIR/model.onnx"
"$CORT" bench --runs 2 --warmup 1 --json "$DIR/model.onnx" || exit 1
