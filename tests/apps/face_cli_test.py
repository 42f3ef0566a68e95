#!/usr/bin/env python3
"""End-to-end tests of the cort-face command line on real models and Debian's skimage images.

Usage: face_cli_test.py CASE CORT_FACE FRAMES_TOOL SOURCE_DIR
CASE is one of detect_json, identify, video_y4m, video_png, missing_models. FRAMES_TOOL is the
pipeline test executable, whose `frames DIR` mode writes the test frames (PNGs and a .y4m). Models
come from $CORT_MODELS or SOURCE_DIR/../shared/models. Exits 0 on success, 1 on failure and 77
(ctest's "skipped") when the models or images are absent.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MODEL_FILES = ["ultraface_rfb320.onnx", "yunet_2023mar_640.onnx", "mobilefacenet.onnx"]
DATA = "/usr/lib/python3/dist-packages/skimage/data/"
# Measured by eye (x1, y1, x2, y2): hairline to chin, cheek to cheek.
ASTRONAUT_FACE = (175, 70, 272, 180)
CAMERAMAN_FACE = (195, 105, 262, 200)


def skip(why):
    print("SKIPPED: " + why)
    sys.exit(77)


def fail(why):
    print("FAILED: " + why)
    sys.exit(1)


def models_dir(source_dir):
    d = os.environ.get("CORT_MODELS") or os.path.join(source_dir, "..", "shared", "models")
    if not all(os.path.isfile(os.path.join(d, f)) for f in MODEL_FILES):
        skip("the face models are not in %s (set CORT_MODELS)" % d)
    if not all(os.path.isfile(DATA + f) for f in ("astronaut.png", "camera.png", "text.png")):
        skip("Debian's skimage images are missing (apt-get install python3-skimage)")
    return d


def run(exe, *args, env=None, expect=0):
    p = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=240)
    if expect is not None and p.returncode != expect:
        fail("%s %s exited %d (wanted %d):\n%s%s" % (exe, " ".join(args), p.returncode, expect, p.stdout, p.stderr))
    return p


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def faces_json(exe, *args):
    out = run(exe, *args).stdout
    try:
        doc = json.loads(out)
    except ValueError as e:
        fail("--json output does not parse (%s): %r" % (e, out))
    if set(doc) != {"faces"} or not isinstance(doc["faces"], list):
        fail("--json output is not one {\"faces\": [...]} object: %r" % out)
    for f in doc["faces"]:
        if set(f) != {"box", "score", "name"} or len(f["box"]) != 4:
            fail("bad face entry %r" % f)
    return doc["faces"]


def case_detect_json(exe, models, tmp):
    for det in ("yunet", "ultraface"):
        out_png = os.path.join(tmp, det + ".png")
        faces = faces_json(exe, "detect", DATA + "astronaut.png", "--json", "--detector", det, "--models", models,
                           "-o", out_png)
        if len(faces) != 1 or iou(faces[0]["box"], ASTRONAUT_FACE) < 0.6 or faces[0]["name"] is not None:
            fail("%s on astronaut.png: %r" % (det, faces))
        if not os.path.getsize(out_png):
            fail("no drawing written")
        faces = faces_json(exe, "detect", DATA + "camera.png", "--json", "--detector", det, "--models", models)
        if len(faces) != 1 or iou(faces[0]["box"], CAMERAMAN_FACE) < 0.6:
            fail("%s on camera.png: %r" % (det, faces))
        for empty in ("text.png", "page.png"):
            faces = faces_json(exe, "detect", DATA + empty, "--json", "--detector", det, "--models", models)
            if faces:
                fail("%s found faces in %s: %r" % (det, empty, faces))


def case_identify(exe, models, tmp, frames):
    db = os.path.join(tmp, "gallery.txt")
    # Enrolled from the mirror image and a dimmed copy, identified on the original.
    run(exe, "enroll", "Eileen Collins", frames[1], frames[2], "--db", db, "--models", models)
    faces = faces_json(exe, "identify", DATA + "astronaut.png", "--db", db, "--json", "--models", models,
                       "-o", os.path.join(tmp, "id.png"))
    if len(faces) != 1 or faces[0]["name"] != "Eileen Collins":
        fail("astronaut not identified: %r" % faces)
    faces = faces_json(exe, "identify", DATA + "camera.png", "--db", db, "--json", "--models", models)
    if len(faces) != 1 or faces[0]["name"] is not None:
        fail("the camera-man was taken for someone enrolled: %r" % faces)
    run(exe, "enroll", "camera man", DATA + "camera.png", "--db", db, "--models", models)
    faces = faces_json(exe, "identify", DATA + "camera.png", "--db", db, "--json", "--models", models)
    if len(faces) != 1 or faces[0]["name"] != "camera man":
        fail("camera-man not identified after enrolling: %r" % faces)
    p = run(exe, "enroll", "nobody", DATA + "text.png", "--db", db, "--models", models, expect=1)
    if "no face" not in p.stderr:
        fail("enrolling a faceless image: %r" % p.stderr)


def check_video(exe, models, source, frame_names):
    for det in ("yunet", "ultraface"):
        out = run(exe, "video", source, "--detector", det, "--models", models).stdout
        counts = [int(n) for n in re.findall(r"^frame \d+: (\d+) face", out, re.M)]
        if counts != frame_names:
            fail("%s: faces per frame %r, wanted %r:\n%s" % (det, counts, frame_names, out))
        for stage in ("pre-process", "detect", "align", "embed", "match"):
            if stage + " " not in out:
                fail("no %s timing:\n%s" % (stage, out))
        if not re.search(r"^fps: \d+\.\d+", out, re.M):
            fail("no frames per second:\n%s" % out)


# Faces in the frames the tool writes: astronaut, mirrored, dimmed, camera-man, sky, astronaut.
FRAME_FACES = [1, 1, 1, 1, 0, 1]


def case_missing_models(exe, tmp):
    env = dict(os.environ, CORT_MODELS=tmp)
    p = run(exe, "detect", DATA + "astronaut.png", env=env, expect=1)
    for want in ("yunet_2023mar_640.onnx", "shared/models", "libfacedetection"):
        if want not in p.stderr:
            fail("missing-model message lacks %r: %r" % (want, p.stderr))
    env.pop("CORT_MODELS")
    p = run(exe, "detect", DATA + "astronaut.png", env=env, expect=1)
    if "--models" not in p.stderr or "CORT_MODELS" not in p.stderr or "shared/models" not in p.stderr:
        fail("no-model-folder message: %r" % p.stderr)
    p = run(exe, "identify", DATA + "astronaut.png", "--db", os.path.join(tmp, "none"), env=env, expect=1)
    if "none" not in p.stderr:
        fail("a missing gallery is not named: %r" % p.stderr)
    run(exe, "detect", env=env, expect=2)
    run(exe, "detect", DATA + "astronaut.png", "--detector", "haar", env=env, expect=2)


def main():
    if len(sys.argv) != 5:
        fail(__doc__)
    case, exe, tool, source_dir = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        if case == "missing_models":
            return case_missing_models(exe, tmp)
        models = models_dir(source_dir)
        subprocess.run([tool, source_dir, "frames", tmp], check=True)
        frames = sorted(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".png"))
        if case == "detect_json":
            case_detect_json(exe, models, tmp)
        elif case == "identify":
            case_identify(exe, models, tmp, frames)
        elif case == "video_y4m":
            check_video(exe, models, os.path.join(tmp, "frames.y4m"), FRAME_FACES)
        elif case == "video_png":
            os.remove(os.path.join(tmp, "frames.y4m"))
            check_video(exe, models, tmp, FRAME_FACES)
        else:
            fail("unknown case " + case)
    print("PASSED: " + case)


if __name__ == "__main__":
    main()
