#!/bin/sh
# Runs the demo model on every sample drawing and prints what cort predicts:
#   samples/circle.npy: predicted circle (p=0.999)
# Usage: sh demo/run_demo.sh [CORT_BINARY] [--check]
#   CORT_BINARY defaults to build/cort; --check exits 1 unless every sample's prediction matches its
#   file name (the samples are named after their true shape).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CORT=$HERE/../build/cort
CHECK=0
for a in "$@"; do
    case "$a" in
        --check) CHECK=1 ;;
        *) CORT=$a ;;
    esac
done
[ -x "$CORT" ] || { echo "run_demo: $CORT is not an executable (run 'make build' or pass its path)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
wrong=0
for f in "$HERE"/samples/*.npy; do
    name=$(basename "$f" .npy)
    rm -rf "$TMP/out"
    "$CORT" run "$HERE/shapes_cnn.onnx" --input "input=$f" --outdir "$TMP/out" --format npy >"$TMP/log" 2>&1 || {
        cat "$TMP/log" >&2; echo "run_demo: cort run failed on $f" >&2; exit 1; }
    # output_0.npy holds the probabilities, float32 [1,4], in the order of labels.txt
    label=$(python3 - "$TMP/out/output_0.npy" "$HERE/labels.txt" <<'PY'
import ast, struct, sys
raw = open(sys.argv[1], "rb").read()
if raw[:6] != b"\x93NUMPY":
    sys.exit("not a .npy file: " + sys.argv[1])
hlen = struct.unpack("<H", raw[8:10])[0] if raw[6] == 1 else struct.unpack("<I", raw[8:12])[0]
start = 10 + hlen if raw[6] == 1 else 12 + hlen
header = ast.literal_eval(raw[start - hlen:start].decode("latin1"))
if header["descr"] != "<f4":
    sys.exit("expected float32 probabilities, got " + header["descr"])
probs = struct.unpack("<%df" % ((len(raw) - start) // 4), raw[start:])
labels = open(sys.argv[2]).read().split()
best = max(range(len(probs)), key=probs.__getitem__)
print("%s %.3f" % (labels[best], probs[best]))
PY
)
    set -- $label
    echo "samples/$name.npy: predicted $1 (p=$2)"
    [ "$1" = "$name" ] || wrong=$((wrong + 1))
done
if [ "$CHECK" = 1 ] && [ "$wrong" -gt 0 ]; then
    echo "run_demo: $wrong sample(s) misclassified" >&2
    exit 1
fi
