#!/bin/sh
# Checks run_conformance.py itself with a stand-in for cort: it must pass when the failures are exactly
# the listed ones, fail on an unlisted failure and on a listed test that passes (unless [random]), skip
# when the suite is missing, and --update must rewrite the list keeping reasons.
# Usage: selftest.sh PYTHON
set -eu
PY=${1:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/data/demo"
# The stand-in prints whatever $T/results holds, as `cort check --suite` would.
cat >"$T/cort" <<EOS
#!/bin/sh
cat "$T/results"
grep -q ': FAIL' "$T/results" && exit 1
exit 0
EOS
chmod +x "$T/cort"
run() { "$PY" "$HERE/run_conformance.py" --cort "$T/cort" --suite demo --data "$T/data" --known "$T/known" --ort /dev/null "$@" >"$T/out" 2>&1; }
expect() { # expect STATUS WHAT [ARGS]
    want=$1; what=$2; shift 2
    if run "$@"; then got=0; else got=$?; fi
    [ "$got" = "$want" ] || { cat "$T/out"; echo "selftest: $what: exit $got, expected $want"; exit 1; }
    echo "ok: $what"
}
printf 'test_a: PASS\ntest_b: FAIL: wrong\ntest_c: PASS\n2 passed, 1 failed\n' >"$T/results"

printf '# header\ndemo/test_b  a reason\n' >"$T/known"
expect 0 "failures are exactly the listed ones"

printf '# header\n' >"$T/known"
expect 1 "an unlisted failure fails"
grep -q 'demo/test_b' "$T/out" || { echo "selftest: the unlisted failure is not named"; exit 1; }

printf '# header\ndemo/test_b  a reason\ndemo/test_c  another\n' >"$T/known"
expect 1 "a listed test that passes fails"
grep -q 'PASSING NOW' "$T/out" || { echo "selftest: the passing test is not reported"; exit 1; }

printf '# header\ndemo/test_b  a reason\ndemo/test_c  [random] may pass\n' >"$T/known"
expect 0 "a [random] entry may pass"

printf '# header\ndemo/test_b  a reason\ndemo/test_gone  old\n' >"$T/known"
expect 1 "an entry for a test not in the suite fails"

printf 'test_a: PASS\ntest_b: FAIL: wrong\ntest_c: FAIL: new\n1 passed, 2 failed\n' >"$T/results"
printf '# header\ndemo/test_b  a reason\ndemo/test_gone  old\nother/test_x  kept\n' >"$T/known"
expect 0 "--update" --update
printf '# header\ndemo/test_b  a reason\ndemo/test_c  TODO: not yet implemented (cort: new)\nother/test_x  kept\n' >"$T/want"
diff "$T/want" "$T/known" || { echo "selftest: --update wrote the list above (diff: expected, got)"; exit 1; }
expect 0 "the updated list matches the run"

printf '1 passed, 0 failed\n' >"$T/results"
expect 1 "a run without result lines fails"

rm -rf "$T/data/demo"
expect 77 "a missing suite is skipped"
