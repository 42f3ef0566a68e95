#!/bin/sh
# Times cort and ONNX Runtime on the zoo's models in one run, as BASELINES.md asks (absolute times vary
# between machines and runs; the ratio is what to compare). Prints a Markdown table.
# Usage: sh tools/zoo/bench_zoo.sh [--cort BIN] [--threads N] [--runs R] [--warmup W] [--only A,B] [--out DIR]
#   defaults: build/cort, 1 thread, 10 runs, 2 warmup, every folder in tools/zoo/out/tests.
# Needs the Node.js ONNX Runtime tools (../shared/tools/ort: bench.js) and make_tests.sh's folders.
set -eu
ZOO=$(cd "$(dirname "$0")" && pwd)
CORT=$ZOO/../../build/cort
OUT=$ZOO/out
THREADS=1
RUNS=10
WARMUP=2
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cort) CORT=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: $0 [--cort BIN] [--threads N] [--runs R] [--warmup W] [--only A,B] [--out DIR]" >&2; exit 2 ;;
    esac
done
[ -x "$CORT" ] || { echo "bench_zoo: $CORT is not an executable" >&2; exit 2; }
. "$ZOO/ort_env.sh"
zoo_setup_ort_node

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for dir in "$OUT"/tests/*/; do
    name=$(basename "$dir")
    if [ -n "$ONLY" ]; then case ",$ONLY," in *",$name,"*) ;; *) continue ;; esac; fi
    [ -f "$dir/model.onnx" ] || continue
    if "$CORT" bench --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" --json "$dir/model.onnx" >"$TMP/$name.cort" 2>"$TMP/$name.cort.err"; then :; else
        echo "{\"error\": \"$(head -c 200 "$TMP/$name.cort.err" | tr '"\n' "' ")\"}" >"$TMP/$name.cort"; fi
    if node "$ORT_DIR/bench.js" "$dir/model.onnx" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" --json >"$TMP/$name.ort" 2>"$TMP/$name.ort.err"; then :; else
        echo "{\"error\": \"ONNX Runtime failed\"}" >"$TMP/$name.ort"; fi
    echo "$name" >>"$TMP/names"
done
[ -f "$TMP/names" ] || { echo "bench_zoo: no test folders in $OUT/tests (run make_tests.sh)" >&2; exit 1; }
python3 - "$TMP" "$THREADS" <<'PY'
import json, os, sys
tmp, threads = sys.argv[1], sys.argv[2]
def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"error": str(e)}
print(f"cort and ONNX Runtime, {threads} thread(s), median of the timed runs:\n")
print("| model | cort load ms | ORT create ms | cort median ms | ORT median ms | cort/ORT | cort peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for name in open(os.path.join(tmp, "names")).read().split():
    c, o = load(os.path.join(tmp, name + ".cort")), load(os.path.join(tmp, name + ".ort"))
    if "error" in c:
        print(f"| {name} | cort failed: {c['error']} | | | | | |")
        continue
    om = o.get("median_ms")
    ratio = f"{c['median_ms'] / om:.2f}" if om else "-"
    rss = c.get("peak_rss_bytes")
    print(f"| {name} | {c.get('load_ms', 0):.0f} | {o.get('session_create_ms', float('nan')):.0f} | "
          f"{c['median_ms']:.2f} | {om if om is None else f'{om:.2f}'} | {ratio} | "
          f"{'-' if rss is None else f'{rss / 1e6:.0f}'} |")
PY
