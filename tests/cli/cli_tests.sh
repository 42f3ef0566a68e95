#!/bin/sh
# Shell-driven tests of the `cort` command-line tool, one case per ctest.
# usage: cli_tests.sh CORT_BINARY CASE [NODE_TEST_ROOT]
# Exit 0 pass, 1 fail, 77 skip (the ONNX backend test data is not installed).
set -u

CORT=$1
CASE=$2
NODE=${3:-/usr/share/libonnx-testdata/data/node}

fail() {
    echo "FAILED [$CASE]: $*" >&2
    exit 1
}

need_data() {
    for t in "$@"; do
        [ -f "$NODE/$t/model.onnx" ] || { echo "skip: $NODE/$t not found"; exit 77; }
    done
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cort_cli_test.XXXXXX") || fail "mktemp"
trap 'rm -rf "$TMP"' EXIT INT TERM

# expect_exit CODE COMMAND...: runs the command (stdout to $TMP/out, stderr to $TMP/err).
expect_exit() {
    want=$1
    shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
}

expect_stdout() {
    [ "$(cat "$TMP/out")" = "$1" ] || fail "stdout was '$(cat "$TMP/out")', expected '$1'"
}

expect_grep() {
    grep -q -- "$1" "$2" || fail "'$1' not found in $(basename "$2"): $(cat "$2")"
}

# A copy of a node test whose expected output is its input: wrong wherever abs(x) != x.
make_broken_abs() {
    cp -r "$NODE/test_abs" "$1"
    chmod -R u+w "$1"
    cp "$NODE/test_abs/test_data_set_0/input_0.pb" "$1/test_data_set_0/output_0.pb"
}

case $CASE in
check_node)
    need_data test_abs test_add test_relu
    for t in test_abs test_add test_relu; do
        expect_exit 0 "$CORT" check "$NODE/$t"
        expect_stdout "PASS"
        expect_exit 0 "$CORT" check --no-fork "$NODE/$t"
        expect_stdout "PASS"
    done
    ;;
check_broken)
    need_data test_abs
    make_broken_abs "$TMP/broken"
    expect_exit 1 "$CORT" check "$TMP/broken"
    expect_grep "^FAIL: test_data_set_0: output 0 'y': index \[" "$TMP/out"
    # a truncated model is a load failure, reported the same way
    make_broken_abs "$TMP/truncated"
    head -c 20 "$NODE/test_abs/model.onnx" >"$TMP/truncated/model.onnx"
    expect_exit 1 "$CORT" check "$TMP/truncated"
    expect_grep "^FAIL: load: " "$TMP/out"
    # a missing expected output file
    make_broken_abs "$TMP/nooutput"
    rm "$TMP/nooutput/test_data_set_0/output_0.pb"
    expect_exit 1 "$CORT" check "$TMP/nooutput"
    expect_grep "^FAIL: " "$TMP/out"
    # a tolerance wide enough accepts the wrong answer
    expect_exit 0 "$CORT" check --atol 10 "$TMP/broken"
    expect_stdout "PASS"
    expect_exit 1 "$CORT" check "$TMP/does_not_exist"
    expect_grep "^FAIL: " "$TMP/out"
    ;;
check_suite)
    need_data test_abs test_relu
    mkdir -p "$TMP/suite/group"
    cp -r "$NODE/test_abs" "$TMP/suite/test_abs"
    cp -r "$NODE/test_relu" "$TMP/suite/group/test_relu"
    make_broken_abs "$TMP/suite/test_broken"
    expect_exit 1 "$CORT" check --suite --jobs 2 --timeout 30 "$TMP/suite"
    expect_stdout "group/test_relu: PASS
test_abs: PASS
test_broken: FAIL: $(sed -n 's/^test_broken: FAIL: //p' "$TMP/out")
2 passed, 1 failed"
    expect_grep "^test_broken: FAIL: test_data_set_0: output 0 'y'" "$TMP/out"
    rm -rf "$TMP/suite/test_broken"
    expect_exit 0 "$CORT" check --suite "$TMP/suite"
    expect_grep "^2 passed, 0 failed$" "$TMP/out"
    expect_exit 0 "$CORT" check --suite --filter relu "$TMP/suite"
    expect_stdout "group/test_relu: PASS
1 passed, 0 failed"
    ;;
check_timeout)
    # tests/cli/data/test_infinite_loop: a Loop whose condition stays true, so its run never ends
    DATA=$(cd "$(dirname "$0")" && pwd)/data
    need_data test_abs
    mkdir -p "$TMP/suite"
    cp -r "$DATA/test_infinite_loop" "$TMP/suite/"
    cp -r "$NODE/test_abs" "$TMP/suite/"
    expect_exit 1 "$CORT" check --suite --timeout 1 --jobs 2 "$TMP/suite"
    expect_stdout "test_abs: PASS
test_infinite_loop: FAIL: timed out after 1 s
1 passed, 1 failed"
    # a single check runs in a child too, so it also ends with a verdict
    expect_exit 1 "$CORT" check --timeout 1 "$DATA/test_infinite_loop"
    expect_stdout "FAIL: timed out after 1 s"
    # a child killed by a signal (here SIGXCPU from a CPU-time limit) is that test's failure only
    expect_exit 1 sh -c "ulimit -t 1 && exec \"\$0\" check --suite --timeout 60 \"\$1\"" "$CORT" "$TMP/suite"
    expect_grep "^test_infinite_loop: FAIL: crashed with signal [0-9]" "$TMP/out"
    expect_grep "^test_abs: PASS$" "$TMP/out"
    expect_grep "^1 passed, 1 failed$" "$TMP/out"
    ;;
dynamic)
    # tests/cli/data/dynamic.onnx: y = Relu(x + w), ids_out = Identity(ids); x is [batch,3], ids [batch]
    M=$(cd "$(dirname "$0")" && pwd)/data/dynamic.onnx
    expect_exit 0 "$CORT" info "$M"
    expect_grep "^  x  *tensor(float)\[batch,3\]$" "$TMP/out"
    expect_grep "^  ids  *tensor(int64)\[batch\]$" "$TMP/out"
    expect_grep "^inputs (2):$" "$TMP/out"
    expect_grep "^parameters: *3$" "$TMP/out"
    expect_grep "^nodes: *3$" "$TMP/out"
    expect_grep "^producer: *cort-cli-tests 1$" "$TMP/out"
    # symbolic dims default to 1
    expect_exit 0 "$CORT" run "$M"
    expect_grep "^output 0 'y': float\[1,3\] min=" "$TMP/out"
    expect_grep "^output 1 'ids_out': int64\[1\] min=" "$TMP/out"
    expect_exit 0 "$CORT" run "$M" --shape x=4x3 --shape ids=4 --outdir "$TMP/a" --format npy
    expect_grep "^output 0 'y': float\[4,3\] min=0" "$TMP/out"
    expect_grep "^output 1 'ids_out': int64\[4\] min=[01] max=[01] " "$TMP/out"
    # .npy files feed back in: the int64 ids come out unchanged
    expect_exit 0 "$CORT" run "$M" --input "x=$TMP/a/output_0.npy" --input "ids=$TMP/a/output_1.npy" --outdir "$TMP/b" \
        --format npy
    cmp -s "$TMP/a/output_1.npy" "$TMP/b/output_1.npy" || fail "ids changed on the way through .npy"
    expect_exit 0 "$CORT" bench "$M" --shape x=2x3 --shape ids=2 --json --runs 3
    expect_grep '^{"load_ms":' "$TMP/out"
    expect_exit 1 "$CORT" run "$M" --shape x=2x3x4
    expect_grep "rank 3" "$TMP/err"
    ;;
run_outputs)
    need_data test_abs
    in0="$NODE/test_abs/test_data_set_0/input_0.pb"
    # .npy out, fed back in (abs is idempotent), .pb out, then checked against the expected output
    expect_exit 0 "$CORT" run "$NODE/test_abs/model.onnx" --input "x=$in0" --outdir "$TMP/npy" --format npy
    expect_grep "^output 0 'y': float\[3,4,5\] min=" "$TMP/out"
    [ -s "$TMP/npy/output_0.npy" ] || fail "no output_0.npy"
    expect_exit 0 "$CORT" run "$NODE/test_abs/model.onnx" --input "x=$TMP/npy/output_0.npy" --outdir "$TMP/pb"
    [ -s "$TMP/pb/output_0.pb" ] || fail "no output_0.pb"
    mkdir -p "$TMP/rebuilt/test_data_set_0"
    cp "$NODE/test_abs/model.onnx" "$TMP/rebuilt/"
    cp "$in0" "$TMP/rebuilt/test_data_set_0/input_0.pb"
    cp "$TMP/pb/output_0.pb" "$TMP/rebuilt/test_data_set_0/output_0.pb"
    expect_exit 0 "$CORT" check "$TMP/rebuilt"
    expect_stdout "PASS"
    if python3 -c "import numpy" 2>/dev/null; then
        python3 -c "
import numpy as np, sys
a = np.load(sys.argv[1])
assert a.shape == (3, 4, 5) and a.dtype == np.float32 and (a >= 0).all(), (a.shape, a.dtype)
" "$TMP/npy/output_0.npy" || fail "numpy could not read output_0.npy"
    fi
    # random inputs, seeded: the same seed gives the same summary
    expect_exit 0 "$CORT" run "$NODE/test_abs/model.onnx" --seed 7
    cp "$TMP/out" "$TMP/first"
    expect_exit 0 "$CORT" run "$NODE/test_abs/model.onnx" --seed 7
    cmp -s "$TMP/out" "$TMP/first" || fail "same seed, different outputs"
    ;;
run_sequences)
    # sequence and optional outputs written as SequenceProto / OptionalProto read back in `cort check`
    need_data test_sequence_insert_at_back test_identity_opt
    for spec in "test_sequence_insert_at_back sequence tensor" "test_identity_opt opt_in"; do
        set -- $spec
        t=$1
        shift
        mkdir -p "$TMP/$t/test_data_set_0"
        cp "$NODE/$t/model.onnx" "$TMP/$t/"
        cp "$NODE/$t"/test_data_set_0/input_*.pb "$TMP/$t/test_data_set_0/"
        k=0
        inputs=""
        for name in "$@"; do
            inputs="$inputs --input $name=$NODE/$t/test_data_set_0/input_$k.pb"
            k=$((k + 1))
        done
        # shellcheck disable=SC2086
        expect_exit 0 "$CORT" run "$NODE/$t/model.onnx" $inputs --outdir "$TMP/$t/test_data_set_0"
        expect_grep "^output 0 '[a-z_]*': seq(" "$TMP/out"
        expect_exit 0 "$CORT" check "$TMP/$t"
        expect_stdout "PASS"
    done
    # .npy holds tensors only
    expect_exit 1 "$CORT" run "$NODE/test_identity_opt/model.onnx" \
        --input "opt_in=$NODE/test_identity_opt/test_data_set_0/input_0.pb" --outdir "$TMP/npy" --format npy
    expect_grep "not a tensor" "$TMP/err"
    ;;
info)
    need_data test_abs
    expect_exit 0 "$CORT" info "$NODE/test_abs/model.onnx"
    expect_grep "^ir_version: *[0-9]" "$TMP/out"
    expect_grep "^opsets: *ai.onnx [0-9]" "$TMP/out"
    expect_grep "^  x  *tensor(float)\[3,4,5\]" "$TMP/out"
    expect_grep "^  y  *tensor(float)\[3,4,5\]" "$TMP/out"
    expect_grep "^nodes: *1$" "$TMP/out"
    expect_grep "^parameters: *0$" "$TMP/out"
    expect_grep "^  Abs  *1$" "$TMP/out"
    head -c 30 "$NODE/test_abs/model.onnx" >"$TMP/bad.onnx"
    expect_exit 1 "$CORT" info "$TMP/bad.onnx"
    expect_grep "cort info: error: " "$TMP/err"
    ;;
bench_json)
    need_data test_add
    expect_exit 0 "$CORT" bench "$NODE/test_add/model.onnx" --json --warmup 1 --runs 5 --threads 1
    [ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "--json printed more than one line"
    python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).read())
keys = ['load_ms', 'first_run_ms', 'min_ms', 'median_ms', 'p90_ms', 'arena_bytes', 'peak_rss_bytes']
assert list(d) == keys, list(d)
assert 0 <= d['min_ms'] <= d['median_ms'] <= d['p90_ms'], d
assert d['peak_rss_bytes'] > 0 and d['arena_bytes'] >= 0, d
" "$TMP/out" || fail "bad JSON: $(cat "$TMP/out")"
    expect_exit 0 "$CORT" bench "$NODE/test_add/model.onnx" --runs 2 --shape x=3x4x5
    expect_grep "^latency: " "$TMP/out"
    expect_grep "^peak RSS: " "$TMP/out"
    ;;
bench_profile)
    need_data test_conv_with_strides_padding
    M=$NODE/test_conv_with_strides_padding/model.onnx
    expect_exit 0 "$CORT" bench "$M" --runs 3 --warmup 1 --top 1 --profile "$TMP/trace.json"
    expect_grep "^top 1 nodes" "$TMP/out"
    expect_grep " Conv " "$TMP/out"
    python3 -c "
import json, sys
events = json.load(open(sys.argv[1]))
assert len(events) == 5, len(events)   # first run + 1 warmup + 3 timed, one node each
assert all(e['ph'] == 'X' and e['args']['op_name'] == 'Conv' and e['dur'] >= 0 for e in events), events
" "$TMP/trace.json" || fail "bad trace: $(cat "$TMP/trace.json")"
    expect_exit 0 "$CORT" bench "$M" --runs 2 --json --top 3
    [ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "--json with --top printed more than one line on stdout"
    ;;
optimize)
    need_data test_add
    printf 'import onnx\nfrom onnx import helper as h, TensorProto as T\n' >"$TMP/mk.py"
    printf 'c = h.make_node("Constant", [], ["c"], value=h.make_tensor("v", T.FLOAT, [2], [1.0, 2.0]))\n' >>"$TMP/mk.py"
    printf 'g = h.make_graph([c, h.make_node("Mul", ["c", "c"], ["d"]), h.make_node("Identity", ["x"], ["i"]),\n' >>"$TMP/mk.py"
    printf '    h.make_node("Add", ["i", "d"], ["y"])], "g", [h.make_tensor_value_info("x", T.FLOAT, [2])],\n' >>"$TMP/mk.py"
    printf '    [h.make_tensor_value_info("y", T.FLOAT, [2])])\n' >>"$TMP/mk.py"
    printf 'onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), "%s")\n' "$TMP/in.onnx" >>"$TMP/mk.py"
    if ! python3 -c "import onnx" 2>/dev/null; then echo "skip: python3 onnx not installed"; exit 77; fi
    python3 "$TMP/mk.py" || fail "could not build the test model"
    expect_exit 0 "$CORT" optimize "$TMP/in.onnx" -o "$TMP/out.onnx" --level 1
    expect_exit 0 "$CORT" info "$TMP/out.onnx"
    expect_grep "^nodes: *1$" "$TMP/out"
    expect_grep "^  Add  *1$" "$TMP/out"
    expect_exit 0 "$CORT" optimize "$TMP/in.onnx" -o "$TMP/same.onnx" --level 0
    expect_exit 0 "$CORT" info "$TMP/same.onnx"
    expect_grep "^nodes: *4$" "$TMP/out"
    expect_exit 2 "$CORT" optimize "$TMP/in.onnx"
    expect_exit 2 "$CORT" optimize "$TMP/in.onnx" -o "$TMP/x.onnx" --level 5
    ;;
usage)
    expect_exit 0 "$CORT" --version
    expect_grep "^cort [0-9]" "$TMP/out"
    expect_exit 0 "$CORT" help
    expect_grep "bench" "$TMP/out"
    for cmd in info run check bench optimize; do
        expect_exit 0 "$CORT" "$cmd" --help
        expect_grep "^usage: cort $cmd" "$TMP/out"
    done
    expect_exit 2 "$CORT"
    expect_exit 2 "$CORT" frobnicate
    expect_exit 2 "$CORT" help frobnicate
    expect_exit 2 "$CORT" run
    expect_exit 2 "$CORT" run model.onnx --bogus
    expect_grep "unknown option '--bogus'" "$TMP/err"
    expect_exit 2 "$CORT" run model.onnx --threads
    expect_exit 2 "$CORT" run model.onnx --threads abc
    expect_exit 2 "$CORT" run model.onnx --format txt
    expect_exit 2 "$CORT" run model.onnx --input novalue
    expect_exit 2 "$CORT" check
    expect_exit 2 "$CORT" check --rtol -1 dir
    expect_exit 2 "$CORT" check a b
    expect_exit 2 "$CORT" bench model.onnx --runs 0
    expect_exit 2 "$CORT" info a b
    expect_exit 1 "$CORT" run "$TMP/missing.onnx"
    expect_grep "cort run: error: " "$TMP/err"
    expect_exit 1 "$CORT" bench "$TMP/missing.onnx" --json
    expect_exit 1 "$CORT" info "$TMP/missing.onnx"
    expect_exit 1 "$CORT" check --suite "$TMP/empty_suite_root"
    if [ -f "$NODE/test_abs/model.onnx" ]; then
        expect_exit 1 "$CORT" run "$NODE/test_abs/model.onnx" --input "nosuch=$TMP/x.npy"
        expect_grep "no input named 'nosuch'" "$TMP/err"
        expect_exit 1 "$CORT" run "$NODE/test_abs/model.onnx" --input "x=$TMP/missing.npy"
        printf 'garbage' >"$TMP/garbage.npy"
        expect_exit 1 "$CORT" run "$NODE/test_abs/model.onnx" --input "x=$TMP/garbage.npy"
        expect_exit 1 "$CORT" run "$NODE/test_abs/model.onnx" --shape x=3x4
        expect_grep "rank" "$TMP/err"
    fi
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
