#!/usr/bin/env python3
"""Runs one ONNX backend test suite through `cort check --suite` and compares the result with the
manifest of known failures (tests/conformance/known_failures.txt, lines "<suite>/<test>  <reason>").

The run fails when a test fails that the manifest does not list (a regression, or a new test), and
when a listed test now passes (so the list only shrinks: remove its line). Both lists are printed.

    run_conformance.py --cort BUILD/cort --suite node [--data DIR] [--known FILE] [--jobs N]
    run_conformance.py ... --update   # rewrite this suite's entries in FILE from the run instead

--update keeps the reasons of tests that still fail, drops tests that pass (except [random] ones, whose
outcome varies) and adds new failures with
the reason "TODO: not yet implemented", followed by cort's message and whether ONNX Runtime fails the
test too (from tests/conformance/ort_results.txt). Python standard library only.
Exit status: 0 as expected, 1 mismatch or cort could not run the suite, 77 the suite's data is missing.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_SKIP = 77
TODO_REASON = "TODO: not yet implemented"
RESULT_LINE = re.compile(r"^(?P<name>\S+): (?P<verdict>PASS|FAIL)(?:: (?P<msg>.*))?$")
SUMMARY_LINE = re.compile(r"^(\d+) passed, (\d+) failed$")


def is_random(reason):
    """"[random]" entries draw random numbers: they may match the expected data by chance, so passing
    is not reported and --update keeps them."""
    return reason.startswith("[random]")


def read_manifest(path):
    """Returns (entries, order): entries maps "suite/test" to its reason; other lines are kept as is."""
    entries, lines = {}, []
    if not os.path.exists(path):
        return entries, lines
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                lines.append(("text", line))
                continue
            key, _, reason = stripped.partition(" ")
            entries[key] = reason.strip()
            lines.append(("entry", key))
    return entries, lines


def read_ort_results(path):
    """Maps "suite/test" to ONNX Runtime's verdict line, from tools/zoo/ort_conformance.sh's output."""
    verdicts = {}
    if not os.path.exists(path):
        return verdicts
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(PASS|FAIL|ERROR|SKIP) (\S+?):?(?: (.*))?$", line.rstrip("\n"))
            if m:
                verdicts[m.group(2)] = m.group(1)
    return verdicts


def run_suite(args, suite_dir):
    """Runs cort on the suite; returns {test: (verdict, message)} or exits when cort cannot run it."""
    cmd = [args.cort, "check", "--suite", suite_dir, "--jobs", str(args.jobs), "--timeout", str(args.timeout)]
    print("+ " + " ".join(cmd), flush=True)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as e:
        sys.exit(f"conformance: cannot run {args.cort}: {e}")
    results, summary = {}, None
    for line in proc.stdout.splitlines():
        m = RESULT_LINE.match(line)
        if m:
            results[m.group("name")] = (m.group("verdict"), m.group("msg") or "")
        elif SUMMARY_LINE.match(line):
            summary = line
    if args.verbose:
        sys.stdout.write(proc.stdout)
    if proc.returncode not in (0, 1) or summary is None or not results:
        sys.stdout.write(proc.stdout[-4000:])
        sys.stderr.write(proc.stderr[-4000:])
        print(f"conformance: `cort check --suite` did not complete (exit status {proc.returncode})")
        sys.exit(1)
    return results


def write_manifest(path, suite, entries, lines, results, ort):
    """Rewrites this suite's entries from results, keeping other suites' entries, comments and reasons."""
    failing = {f"{suite}/{t}": msg for t, (v, msg) in results.items() if v == "FAIL"}
    out, seen = [], set()
    for kind, value in lines:
        if kind == "text":
            out.append(value)
        elif not value.startswith(suite + "/"):
            out.append(f"{value}  {entries[value]}")
        elif value in failing or is_random(entries[value]):
            out.append(f"{value}  {entries[value]}")
            seen.add(value)
    for key in sorted(k for k in failing if k not in seen):
        reason = TODO_REASON
        if ort.get(key, "PASS") != "PASS":
            reason += "; ONNX Runtime fails it too"
        msg = failing[key].replace("\t", " ")
        if msg:
            reason += f" (cort: {msg[:140]})"
        out.append(f"{key}  {reason}")
    out = sort_entries(out)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
    added = sum(1 for k in failing if k not in seen)
    removed = sum(1 for k in entries if k.startswith(suite + "/") and k not in seen)
    print(f"{path}: {suite}: {len(seen) + added} entries ({added} added, {removed} removed)")


def sort_entries(lines):
    """Keeps the leading comment block in place and sorts the entries after it by suite, then test."""
    head = []
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        head.append(lines.pop(0))
    body = [l for l in lines if l.strip() and not l.lstrip().startswith("#")]
    return head + sorted(body, key=lambda l: l.split()[0])


def compare(suite, results, entries, ort):
    failing = {f"{suite}/{t}" for t, (v, _) in results.items() if v == "FAIL"}
    known = {k for k in entries if k.startswith(suite + "/")}
    ran = {f"{suite}/{t}" for t in results}
    unexpected = sorted(failing - known)
    # "[random]" entries draw random numbers: they may match the expected data by chance
    fixed = sorted(k for k in (known & ran) - failing if not is_random(entries[k]))
    stale = sorted(known - ran)
    passed = len(results) - len(failing)
    print(f"{suite}: {passed} passed, {len(failing)} failed of {len(results)} "
          f"({len(failing & known)} known failures)")
    if unexpected:
        print(f"\nFAILING BUT NOT IN known_failures.txt ({len(unexpected)}):")
        for k in unexpected:
            note = " [ONNX Runtime fails it too]" if ort.get(k, "PASS") != "PASS" else ""
            print(f"  {k}: {results[k[len(suite) + 1:]][1]}{note}")
    if fixed:
        print(f"\nPASSING NOW, remove from known_failures.txt ({len(fixed)}):")
        for k in fixed:
            print(f"  {k}")
    if stale:
        print(f"\nLISTED IN known_failures.txt BUT NOT IN THE SUITE ({len(stale)}):")
        for k in stale:
            print(f"  {k}")
    if unexpected or fixed or stale:
        print("\n(tests/conformance/update_known_failures.sh rewrites the list from a run)")
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cort", required=True, help="the cort executable")
    ap.add_argument("--suite", required=True, help="node, pytorch-converted, pytorch-operator or simple")
    ap.add_argument("--data", default=os.environ.get("ONNX_TESTDATA", "/usr/share/libonnx-testdata/data"))
    ap.add_argument("--known", default=os.path.join(HERE, "known_failures.txt"))
    ap.add_argument("--ort", default=os.path.join(HERE, "ort_results.txt"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per test")
    ap.add_argument("--update", action="store_true", help="rewrite the manifest for this suite")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every test's line")
    args = ap.parse_args()

    suite_dir = os.path.join(args.data, args.suite)
    if not os.path.isdir(suite_dir):
        print(f"SKIP: ONNX test data {suite_dir} is missing (apt-get install libonnx-testdata)")
        return EXIT_SKIP
    entries, lines = read_manifest(args.known)
    ort = read_ort_results(args.ort)
    results = run_suite(args, suite_dir)
    if args.update:
        write_manifest(args.known, args.suite, entries, lines, results, ort)
        return 0
    return compare(args.suite, results, entries, ort)


if __name__ == "__main__":
    sys.exit(main())
