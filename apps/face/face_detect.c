/* The detectors' pre-processing and output decoding (UltraFace, YuNet) and NMS. */
#include "face_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

enum { UF_W = 320, UF_H = 240, UF_PRIORS = 4420, YN_SIDE = 640 };

float face_iou(const float a[4], const float b[4]) {
    float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]);
    float ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih;
    float area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
    float uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0;
}

static int by_score_desc(const void *pa, const void *pb) {
    float a = ((const face *)pa)->score, b = ((const face *)pb)->score;
    return (a < b) - (a > b);
}

void face_nms(face *faces, int *n, float iou) {
    if (*n < 2) return; /* also keeps a NULL list away from qsort */
    qsort(faces, (size_t)*n, sizeof *faces, by_score_desc);
    int kept = 0;
    for (int i = 0; i < *n; i++) {
        int overlaps = 0;
        for (int k = 0; k < kept && !overlaps; k++) overlaps = face_iou(faces[k].box, faces[i].box) > iou;
        if (!overlaps) faces[kept++] = faces[i];
    }
    *n = kept;
}

/* Appends a face, growing the list; -1 when out of memory. */
static int push_face(face_list *l, int *cap, const face *f) {
    if (l->n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        face *v = realloc(l->v, (size_t)nc * sizeof *v);
        if (!v) return -1;
        l->v = v;
        *cap = nc;
    }
    l->v[l->n++] = *f;
    return 0;
}

/* Clips the box to the image and drops faces left with no area. */
static void clip_faces(face_list *l, int w, int h) {
    int kept = 0;
    for (int i = 0; i < l->n; i++) {
        float *b = l->v[i].box;
        b[0] = fmaxf(b[0], 0), b[1] = fmaxf(b[1], 0);
        b[2] = fminf(b[2], (float)w), b[3] = fminf(b[3], (float)h);
        if (b[2] > b[0] && b[3] > b[1]) l->v[kept++] = l->v[i];
    }
    l->n = kept;
}

/* Scales the image by s (clamped to the model's input) for a top-left placement in it. */
static int resize_to_fit(const img *im, double s, int max_w, int max_h, img *out) {
    int w = (int)lround(im->w * s), h = (int)lround(im->h * s);
    w = w < 1 ? 1 : w > max_w ? max_w : w;
    h = h < 1 ? 1 : h > max_h ? max_h : h;
    return img_resize(im, w, h, IMG_LINEAR, out);
}

/* ------------------------------------------------------------------------------ UltraFace */

/* UltraFace is fed RGB, (x - 127) / 128, at 320x240. Upstream squeezes the whole frame to that size;
 * here the aspect ratio is kept and the rest padded with grey (0 after normalisation), because
 * squeezing a wide or tall image makes text and textures look like faces (skimage's text.png).
 * Returns the scale from image to input pixels, 0 on failure. */
static double ultraface_input(face_engine *e, const img *im) {
    static const float mean[3] = {127, 127, 127}, scale[3] = {1 / 128.f, 1 / 128.f, 1 / 128.f};
    double s = fmin((double)UF_W / im->w, (double)UF_H / im->h);
    img small = {0};
    if (resize_to_fit(im, s, UF_W, UF_H, &small)) return 0;
    int rc = img_to_chw(&small, mean, scale, IMG_RGB, e->det_input, UF_W, UF_H);
    img_free(&small);
    return rc ? 0 : s;
}

/* The graph decodes its priors already: boxes are corners in [0, 1] of the image. */
static int ultraface_decode(const float *scores, const float *boxes, float thresh, float w, float h, face_list *out) {
    int cap = 0;
    for (int i = 0; i < UF_PRIORS; i++) {
        if (!(scores[2 * i + 1] > thresh)) continue;
        face f = {0};
        const float *b = boxes + 4 * i;
        f.box[0] = b[0] * w, f.box[1] = b[1] * h;
        f.box[2] = b[2] * w, f.box[3] = b[3] * h;
        f.score = scores[2 * i + 1];
        if (push_face(out, &cap, &f)) return -1;
    }
    return 0;
}

int face_detect_ultraface(face_engine *e, const img *im, face_list *out, face_timing *t, char *err,
                          size_t errlen) {
    static const char *const names[2] = {"scores", "boxes"};
    double t0 = app_now_ms();
    double s = ultraface_input(e, im);
    if (s <= 0) {
        snprintf(err, errlen, "out of memory preparing the detector input");
        return -1;
    }
    double t1 = app_now_ms();
    cort_value *outs[2];
    if (face_run(e->det, e->det_in, e->det_input, 3, UF_H, UF_W, names, 2, outs, err, errlen)) return -1;
    const float *scores = face_output(outs[0], 2 * UF_PRIORS, names[0], err, errlen);
    const float *boxes = scores ? face_output(outs[1], 4 * UF_PRIORS, names[1], err, errlen) : NULL;
    int rc = boxes ? ultraface_decode(scores, boxes, e->opt.score_thresh, (float)(UF_W / s), (float)(UF_H / s), out) : -1;
    if (rc && boxes) snprintf(err, errlen, "out of memory decoding faces");
    cort_value_free(outs[0]);
    cort_value_free(outs[1]);
    if (rc) {
        face_list_free(out);
        return -1;
    }
    face_nms(out->v, &out->n, e->opt.nms_iou);
    clip_faces(out, im->w, im->h);
    for (int i = 0; i < out->n; i++) face_box_landmarks(&out->v[i]);
    if (t) t->pre += t1 - t0, t->detect += app_now_ms() - t1;
    return 0;
}

/* --------------------------------------------------------------------------------- YuNet */

/* YuNet's input is fixed at 640x640: the image is scaled to fit (aspect kept) and placed top-left
 * with black padding, as OpenCV's FaceDetectorYN pads bottom and right. BGR, 0..255, no scaling.
 * Returns the scale from image to input pixels, 0 on failure. */
static double yunet_input(face_engine *e, const img *im) {
    static const float mean[3] = {0, 0, 0}, scale[3] = {1, 1, 1};
    double s = fmin((double)YN_SIDE / im->w, (double)YN_SIDE / im->h);
    img small = {0};
    if (resize_to_fit(im, s, YN_SIDE, YN_SIDE, &small)) return 0;
    int rc = img_to_chw(&small, mean, scale, IMG_BGR, e->det_input, YN_SIDE, YN_SIDE);
    img_free(&small);
    return rc ? 0 : s;
}

/* The four outputs of one stride, each [1, cells, k]. */
typedef struct yunet_level {
    const float *cls, *obj, *bbox, *kps;
    int stride;
} yunet_level;

static float clamp01(float v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

/* Decodes one stride's grid as FaceDetectorYN: the score is the geometric mean of class and
 * objectness; box centres are offsets from the cell's corner in strides, sizes exp() strides. */
static int yunet_decode_level(const yunet_level *lv, float thresh, double inv_scale, face_list *out, int *cap) {
    int cols = YN_SIDE / lv->stride, rows = YN_SIDE / lv->stride;
    float st = (float)lv->stride, k = (float)inv_scale;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            int i = r * cols + c;
            float score = sqrtf(clamp01(lv->cls[i]) * clamp01(lv->obj[i]));
            if (!(score > thresh)) continue;
            const float *b = lv->bbox + 4 * i, *p = lv->kps + 10 * i;
            float cx = ((float)c + b[0]) * st, cy = ((float)r + b[1]) * st;
            float bw = expf(b[2]) * st, bh = expf(b[3]) * st;
            face f = {0};
            f.score = score;
            f.box[0] = (cx - bw / 2) * k, f.box[1] = (cy - bh / 2) * k;
            f.box[2] = (cx + bw / 2) * k, f.box[3] = (cy + bh / 2) * k;
            for (int j = 0; j < 5; j++) {
                f.lm[2 * j] = ((float)c + p[2 * j]) * st * k;
                f.lm[2 * j + 1] = ((float)r + p[2 * j + 1]) * st * k;
            }
            if (push_face(out, cap, &f)) return -1;
        }
    }
    return 0;
}

static int yunet_decode(cort_value **outs, const char *const *names, float thresh, double inv_scale, face_list *out,
                        char *err, size_t errlen) {
    int cap = 0;
    for (int l = 0; l < 3; l++) {
        yunet_level lv = {.stride = 8 << l};
        int64_t cells = (int64_t)(YN_SIDE / lv.stride) * (YN_SIDE / lv.stride);
        if (!(lv.cls = face_output(outs[l], cells, names[l], err, errlen)) ||
            !(lv.obj = face_output(outs[3 + l], cells, names[3 + l], err, errlen)) ||
            !(lv.bbox = face_output(outs[6 + l], 4 * cells, names[6 + l], err, errlen)) ||
            !(lv.kps = face_output(outs[9 + l], 10 * cells, names[9 + l], err, errlen)))
            return -1;
        if (yunet_decode_level(&lv, thresh, inv_scale, out, &cap)) {
            snprintf(err, errlen, "out of memory decoding faces");
            return -1;
        }
    }
    return 0;
}

int face_detect_yunet(face_engine *e, const img *im, face_list *out, face_timing *t, char *err, size_t errlen) {
    static const char *const names[12] = {"cls_8",  "cls_16",  "cls_32",  "obj_8", "obj_16", "obj_32",
                                          "bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16", "kps_32"};
    double t0 = app_now_ms();
    double s = yunet_input(e, im);
    if (s <= 0) {
        snprintf(err, errlen, "out of memory preparing the detector input");
        return -1;
    }
    double t1 = app_now_ms();
    cort_value *outs[12];
    if (face_run(e->det, e->det_in, e->det_input, 3, YN_SIDE, YN_SIDE, names, 12, outs, err, errlen)) return -1;
    int rc = yunet_decode(outs, names, e->opt.score_thresh, 1 / s, out, err, errlen);
    for (int i = 0; i < 12; i++) cort_value_free(outs[i]);
    if (rc) {
        face_list_free(out);
        return -1;
    }
    face_nms(out->v, &out->n, e->opt.nms_iou);
    clip_faces(out, im->w, im->h);
    if (t) t->pre += t1 - t0, t->detect += app_now_ms() - t1;
    return 0;
}
