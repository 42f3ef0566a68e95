/* The face engine: loads the models and runs them through cort's public API. */
#include "face_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

void face_default_options(face_options *opt) {
    opt->detector = FACE_DET_YUNET;
    opt->with_embedder = 0;
    opt->score_thresh = 0;
    opt->nms_iou = 0.3f;
    /* MobileFaceNet cosines: the same person under flips, crops and lighting stays above 0.5 in the
     * tests, different people fall below 0.2; 0.4 leaves room on both sides. */
    opt->match_thresh = 0.4f;
    opt->threads = 0;
}

int face_take_status(cort_status *st, const char *what, char *err, size_t errlen) {
    if (!st) return 0;
    snprintf(err, errlen, "%s: %s", what, cort_status_message(st));
    cort_status_free(st);
    return -1;
}

/* Opens one model and records the name of its first input. */
static int open_model(const char *dir, const char *name, int threads, cort_session **s, const char **in,
                      char *err, size_t errlen) {
    char path[4096], why[4096 + 256];
    if (app_find_model(dir, name, path, sizeof path, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s\n%s", why, FACE_MODELS_SOURCE);
        return -1;
    }
    cort_session_options *so = NULL;
    cort_status *st = cort_session_options_create(&so);
    if (!st) st = cort_session_options_set_threads(so, threads);
    if (!st) st = cort_session_create(NULL, path, so, s);
    cort_session_options_free(so);
    if (face_take_status(st, path, err, errlen)) return -1;
    cort_io_info ii;
    if (face_take_status(cort_session_input_info(*s, 0, &ii), path, err, errlen)) return -1;
    *in = ii.name;
    return 0;
}

static int open_embedder(const char *dir, face_engine *e, char *err, size_t errlen) {
    if (open_model(dir, FACE_EMBED_MODEL, e->opt.threads, &e->emb, &e->emb_in, err, errlen)) return -1;
    cort_io_info oi;
    if (face_take_status(cort_session_output_info(e->emb, 0, &oi), FACE_EMBED_MODEL, err, errlen)) return -1;
    e->emb_out = oi.name;
    return 0;
}

int face_engine_create(const char *models_dir, const face_options *opt, face_engine **out, char *err,
                       size_t errlen) {
    *out = NULL;
    face_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (opt) e->opt = *opt;
    else face_default_options(&e->opt);
    /* UltraFace's upstream default; for YuNet lower than OpenCV's 0.9, which misses faces in
     * profile (skimage's camera-man scores 0.87). */
    if (e->opt.score_thresh <= 0) e->opt.score_thresh = 0.7f;
    const char *det_name = e->opt.detector == FACE_DET_YUNET ? FACE_YUNET_MODEL : FACE_ULTRAFACE_MODEL;
    size_t det_floats = e->opt.detector == FACE_DET_YUNET ? 3 * 640 * 640 : 3 * 240 * 320;
    e->det_input = malloc(det_floats * sizeof(float));
    int bad = !e->det_input;
    if (bad) snprintf(err, errlen, "out of memory");
    if (!bad) bad = open_model(models_dir, det_name, e->opt.threads, &e->det, &e->det_in, err, errlen);
    if (!bad && e->opt.with_embedder) bad = open_embedder(models_dir, e, err, errlen);
    if (bad) {
        face_engine_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void face_engine_free(face_engine *eng) {
    if (!eng) return;
    cort_session_free(eng->det);
    cort_session_free(eng->emb);
    free(eng->det_input);
    free(eng);
}

const face_options *face_engine_options(const face_engine *eng) { return &eng->opt; }

int face_run(cort_session *s, const char *in_name, float *data, int c, int h, int w, const char *const *out_names,
             size_t n_out, cort_value **outs, char *err, size_t errlen) {
    int64_t dims[4] = {1, c, h, w};
    cort_value *in = NULL;
    size_t bytes = (size_t)c * (size_t)h * (size_t)w * sizeof(float);
    cort_status *st = cort_tensor_create_view(CORT_FLOAT, dims, 4, data, bytes, &in);
    for (size_t i = 0; i < n_out; i++) outs[i] = NULL;
    if (!st) st = cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, out_names, n_out, outs);
    cort_value_free(in);
    return face_take_status(st, "running the model", err, errlen);
}

const float *face_output(cort_value *v, int64_t count, const char *name, char *err, size_t errlen) {
    if (!v || cort_value_kind(v) != 1 || cort_tensor_elem_type(v) != CORT_FLOAT ||
        cort_tensor_element_count(v) < count) {
        snprintf(err, errlen, "model output %s is not a float tensor of at least %lld elements", name,
                 (long long)count);
        return NULL;
    }
    return cort_tensor_data(v);
}

int face_detect(face_engine *eng, const img *image, face_list *out, face_timing *t, char *err, size_t errlen) {
    out->v = NULL;
    out->n = 0;
    if (!image || !image->px || image->w < 1 || image->h < 1) {
        snprintf(err, errlen, "empty image");
        return -1;
    }
    if (eng->opt.detector == FACE_DET_YUNET) return face_detect_yunet(eng, image, out, t, err, errlen);
    return face_detect_ultraface(eng, image, out, t, err, errlen);
}

void face_list_free(face_list *l) {
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int face_embed(face_engine *eng, const img *aligned, float emb[FACE_EMBED_DIM], char *err, size_t errlen) {
    enum { S = FACE_ALIGNED_SIDE };
    static const float mean[3] = {127.5f, 127.5f, 127.5f}, scale[3] = {1 / 128.f, 1 / 128.f, 1 / 128.f};
    if (!eng->emb) {
        snprintf(err, errlen, "the engine was created without the embedder");
        return -1;
    }
    if (aligned->w != S || aligned->h != S) {
        snprintf(err, errlen, "aligned face is %dx%d, not %dx%d", aligned->w, aligned->h, S, S);
        return -1;
    }
    img_to_chw(aligned, mean, scale, IMG_RGB, eng->emb_input, S, S);
    cort_value *outv = NULL;
    if (face_run(eng->emb, eng->emb_in, eng->emb_input, 3, S, S, &eng->emb_out, 1, &outv, err, errlen)) return -1;
    const float *o = face_output(outv, FACE_EMBED_DIM, eng->emb_out, err, errlen);
    if (!o) {
        cort_value_free(outv);
        return -1;
    }
    double ss = 0;
    for (int i = 0; i < FACE_EMBED_DIM; i++) ss += (double)o[i] * o[i];
    /* Normalised here so a gallery holds unit vectors and matching is a dot product. */
    float inv = ss > 0 ? (float)(1 / sqrt(ss)) : 0;
    for (int i = 0; i < FACE_EMBED_DIM; i++) emb[i] = o[i] * inv;
    cort_value_free(outv);
    return 0;
}
