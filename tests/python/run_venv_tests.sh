#!/bin/sh
# The Python package as a user gets it: `pip install ./python` into a fresh virtual environment (numpy,
# pytest, onnxruntime, onnx from PyPI), pytest; then a wheel from `pip wheel ./python` installed into a
# second fresh environment, pytest again.
#   run_venv_tests.sh SOURCE_DIR WORK_DIR
set -eu
SRC=$1
WORK=$2
PY=${PYTHON:-python3}
TEST_DEPS="numpy pytest onnxruntime onnx"

rm -rf "$WORK"
mkdir -p "$WORK"
# pip builds in the source folder; leftovers of an older build there would be reused
rm -rf "$SRC/python/build" "$SRC/python/cort.egg-info"

echo "== venv 1: pip install ./python"
"$PY" -m venv "$WORK/venv1"
"$WORK/venv1/bin/pip" install -q $TEST_DEPS
"$WORK/venv1/bin/pip" install -q "$SRC/python"
# run from outside the source tree, so `import cort` finds the installed package
cd "$WORK"
"$WORK/venv1/bin/python" -m pytest -q -p no:cacheprovider "$SRC/tests/python"

echo "== venv 2: pip wheel ./python, install the wheel"
"$WORK/venv1/bin/pip" wheel -q --no-deps "$SRC/python" -w "$WORK/wheels"
"$PY" -m venv "$WORK/venv2"
"$WORK/venv2/bin/pip" install -q $TEST_DEPS
"$WORK/venv2/bin/pip" install -q "$WORK"/wheels/cort-*.whl
"$WORK/venv2/bin/python" -c "import cort, os; assert '/venv2/' in cort.__file__, cort.__file__; print('wheel:', cort.__file__)"
"$WORK/venv2/bin/python" -m pytest -q -p no:cacheprovider "$SRC/tests/python"
rm -rf "$SRC/python/build" "$SRC/python/cort.egg-info"
