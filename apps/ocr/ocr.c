/* The OCR engine: loads the two models and runs detection, then recognition of every line. */
#include "ocr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cort/cort.h>

#include "app.h"

struct ocr_engine {
    cort_session *det, *rec;
    const char *det_in, *det_out, *rec_in, *rec_out; /* owned by the sessions */
    ocr_keys keys;
    ocr_options opt;
    double load_ms;
};

/* PaddleOCR feeds its models OpenCV's BGR images, so tensor channel 0 is blue; the detector
 * normalises with ImageNet's statistics (listed in that channel order), the recogniser to [-1, 1]. */
static const float DET_MEAN[3] = {0.485f * 255, 0.456f * 255, 0.406f * 255};
static const float DET_SCALE[3] = {1 / (0.229f * 255), 1 / (0.224f * 255), 1 / (0.225f * 255)};
static const float REC_MEAN[3] = {127.5f, 127.5f, 127.5f};
static const float REC_SCALE[3] = {1 / 127.5f, 1 / 127.5f, 1 / 127.5f};
/* The recogniser's input height and narrowest input (PaddleOCR pads to 320 columns at least), and
 * lines per run. PaddleOCR batches 6 lines padded to the widest, but padding changes what the model
 * reads (a short line padded to a long one's width lost a gap between words in the demo image) and
 * costs compute, so each line runs alone at its own width. */
enum { REC_HEIGHT = 48, REC_MIN_WIDTH = 320, REC_BATCH = 1 };

void ocr_default_options(ocr_options *opt) {
    opt->limit_side = 960;
    opt->thresh = 0.3f;
    opt->box_thresh = 0.6f;
    opt->unclip_ratio = 1.5f;
    opt->drop_score = 0.5f;
    opt->threads = 0;
}

/* Copies a cort status into err and frees it; returns -1 if there was one. */
static int take_status(cort_status *st, const char *what, char *err, size_t errlen) {
    if (!st) return 0;
    snprintf(err, errlen, "%s: %s", what, cort_status_message(st));
    cort_status_free(st);
    return -1;
}

/* Opens one model and records the names of its first input and output. */
static int open_model(const char *dir, const char *name, const ocr_options *opt, cort_session **s,
                      const char **in, const char **out, char *err, size_t errlen) {
    char path[4096], why[4096 + 256];
    if (app_find_model(dir, name, path, sizeof path, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s\nthe OCR models come from %s", why, OCR_MODELS_SOURCE);
        return -1;
    }
    cort_session_options *so = NULL;
    cort_status *st = cort_session_options_create(&so);
    if (!st) st = cort_session_options_set_threads(so, opt->threads);
    if (!st) st = cort_session_create(NULL, path, so, s);
    cort_session_options_free(so);
    if (take_status(st, path, err, errlen)) return -1;
    cort_io_info ii, oi;
    if (take_status(cort_session_input_info(*s, 0, &ii), path, err, errlen) ||
        take_status(cort_session_output_info(*s, 0, &oi), path, err, errlen))
        return -1;
    *in = ii.name;
    *out = oi.name;
    return 0;
}

int ocr_engine_create(const char *models_dir, const ocr_options *opt, ocr_engine **out, char *err, size_t errlen) {
    *out = NULL;
    ocr_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double t0 = app_now_ms();
    if (opt) e->opt = *opt;
    else ocr_default_options(&e->opt);
    char keys_path[4096], why[4096 + 256];
    if (open_model(models_dir, OCR_DET_MODEL, &e->opt, &e->det, &e->det_in, &e->det_out, err, errlen) ||
        open_model(models_dir, OCR_REC_MODEL, &e->opt, &e->rec, &e->rec_in, &e->rec_out, err, errlen)) {
        ocr_engine_free(e);
        return -1;
    }
    if (app_find_model(models_dir, OCR_KEYS_FILE, keys_path, sizeof keys_path, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s\nthe OCR models come from %s", why, OCR_MODELS_SOURCE);
        ocr_engine_free(e);
        return -1;
    }
    if (ocr_keys_load(keys_path, &e->keys, err, errlen) != 0) {
        ocr_engine_free(e);
        return -1;
    }
    e->load_ms = app_now_ms() - t0;
    *out = e;
    return 0;
}

void ocr_engine_free(ocr_engine *e) {
    if (!e) return;
    cort_session_free(e->det);
    cort_session_free(e->rec);
    ocr_keys_free(&e->keys);
    free(e);
}

double ocr_engine_load_ms(const ocr_engine *e) { return e ? e->load_ms : 0; }

void ocr_result_free(ocr_result *res) {
    if (!res) return;
    for (int i = 0; i < res->n; i++) free(res->lines[i].text);
    free(res->lines);
    memset(res, 0, sizeof *res);
}

/* Runs a one-input, one-output model on a float NCHW tensor; checks the output's rank. */
static int run_model(cort_session *s, const char *in, const char *out, float *data, const int64_t dims[4],
                     int out_rank, cort_value **result, char *err, size_t errlen) {
    cort_value *x = NULL;
    size_t bytes = (size_t)(dims[0] * dims[1] * dims[2] * dims[3]) * sizeof(float);
    cort_status *st = cort_tensor_create_view(CORT_FLOAT, dims, 4, data, bytes, &x);
    const cort_value *inputs[1] = {x};
    *result = NULL;
    if (!st) st = cort_session_run(s, NULL, &in, inputs, 1, &out, 1, result);
    cort_value_free(x);
    if (take_status(st, "inference", err, errlen)) return -1;
    if (cort_tensor_elem_type(*result) != CORT_FLOAT || (int)cort_tensor_rank(*result) != out_rank) {
        snprintf(err, errlen, "model output %s is not a float tensor of rank %d", out, out_rank);
        cort_value_free(*result);
        *result = NULL;
        return -1;
    }
    return 0;
}

/* Scales a box from the probability map to the image, clips it, and fills in its bounding box. */
static void box_to_image(const ocr_det_box *b, double sx, double sy, int w, int h, ocr_line *line) {
    double xmin = INFINITY, ymin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double x = fmin(fmax(b->quad[2 * i] * sx, 0), w - 1), y = fmin(fmax(b->quad[2 * i + 1] * sy, 0), h - 1);
        line->quad[2 * i] = x, line->quad[2 * i + 1] = y;
        xmin = fmin(xmin, x), xmax = fmax(xmax, x), ymin = fmin(ymin, y), ymax = fmax(ymax, y);
    }
    line->box[0] = (int)floor(xmin), line->box[1] = (int)floor(ymin);
    line->box[2] = (int)ceil(xmax), line->box[3] = (int)ceil(ymax);
    line->det_score = b->score;
}

/* Detection: the detector's input, its run and DB post-processing, mapped to image pixels. */
static int detect(ocr_engine *e, const img *image, ocr_result *res, char *err, size_t errlen) {
    double t0 = app_now_ms();
    int dw, dh;
    ocr_det_input_size(image->w, image->h, e->opt.limit_side, &dw, &dh);
    img scaled = {0};
    float *x = malloc(sizeof(float) * 3 * (size_t)dw * (size_t)dh);
    if (!x || img_resize(image, dw, dh, IMG_LINEAR, &scaled) != 0 ||
        img_to_chw(&scaled, DET_MEAN, DET_SCALE, IMG_BGR, x, dw, dh) != 0) {
        free(x);
        img_free(&scaled);
        snprintf(err, errlen, "out of memory preparing a %dx%d detector input", dw, dh);
        return -1;
    }
    img_free(&scaled);
    double t1 = app_now_ms();
    res->ms_pre = t1 - t0;
    const int64_t dims[4] = {1, 3, dh, dw};
    cort_value *y = NULL;
    int rc = run_model(e->det, e->det_in, e->det_out, x, dims, 4, &y, err, errlen);
    free(x);
    if (rc) return -1;
    const int64_t *yd = cort_tensor_dims(y);
    if (yd[0] != 1 || yd[1] != 1 || yd[2] != dh || yd[3] != dw) {
        snprintf(err, errlen, "detector output has shape [%lld,%lld,%lld,%lld], expected [1,1,%d,%d]",
                 (long long)yd[0], (long long)yd[1], (long long)yd[2], (long long)yd[3], dh, dw);
        cort_value_free(y);
        return -1;
    }
    ocr_det_box *boxes = NULL;
    int n = 0;
    rc = ocr_db_boxes(cort_tensor_data(y), dw, dh, &e->opt, &boxes, &n);
    cort_value_free(y);
    res->lines = rc == 0 ? calloc((size_t)n + 1, sizeof(ocr_line)) : NULL;
    if (!res->lines) {
        free(boxes);
        snprintf(err, errlen, "out of memory in detection post-processing");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        ocr_line *line = &res->lines[res->n];
        box_to_image(&boxes[i], (double)image->w / dw, (double)image->h / dh, image->w, image->h, line);
        /* PaddleOCR drops boxes 3 pixels or less across once they are in image pixels. */
        double bw = hypot(line->quad[2] - line->quad[0], line->quad[3] - line->quad[1]);
        double bh = hypot(line->quad[6] - line->quad[0], line->quad[7] - line->quad[1]);
        if ((int)bw > 3 && (int)bh > 3) res->n++;
    }
    free(boxes);
    res->ms_det = app_now_ms() - t1;
    return 0;
}

/* Each line rectified and scaled to the recogniser's height, ready to batch. */
typedef struct rec_strip {
    int line;
    img px;
} rec_strip;

static int cmp_strip_width(const void *a, const void *b) {
    const rec_strip *p = a, *q = b;
    return (p->px.w > q->px.w) - (p->px.w < q->px.w);
}

/* Rectifies every line and scales it to height 48; lines whose box is degenerate get no strip.
 * Returns the number of strips, sorted by width so that batches pad little, or -1. */
static int make_strips(const img *image, const ocr_result *res, rec_strip *strips) {
    int n = 0;
    for (int i = 0; i < res->n; i++) {
        img crop = {0};
        if (ocr_rectify(image, res->lines[i].quad, &crop) != 0) continue; /* nothing to read */
        int rc = img_resize(&crop, ocr_rec_scaled_width(crop.w, crop.h), REC_HEIGHT, IMG_CUBIC, &strips[n].px);
        img_free(&crop);
        if (rc != 0) return -1;
        strips[n++].line = i;
    }
    qsort(strips, (size_t)n, sizeof *strips, cmp_strip_width);
    return n;
}

/* Runs one batch of strips, padded to the widest (at least REC_MIN_WIDTH, as PaddleOCR pads), and
 * decodes each line's text. */
static int recognise_batch(ocr_engine *e, rec_strip *strips, int count, ocr_result *res, char *err, size_t errlen) {
    int width = REC_MIN_WIDTH;
    for (int k = 0; k < count; k++) width = strips[k].px.w > width ? strips[k].px.w : width;
    size_t item = 3 * REC_HEIGHT * (size_t)width;
    float *x = malloc(sizeof(float) * item * (size_t)count);
    if (!x) {
        snprintf(err, errlen, "out of memory preparing %d lines of width %d for the recogniser", count, width);
        return -1;
    }
    for (int k = 0; k < count; k++)
        img_to_chw(&strips[k].px, REC_MEAN, REC_SCALE, IMG_BGR, x + item * (size_t)k, width, REC_HEIGHT);
    const int64_t dims[4] = {count, 3, REC_HEIGHT, width};
    cort_value *y = NULL;
    int rc = run_model(e->rec, e->rec_in, e->rec_out, x, dims, 3, &y, err, errlen);
    free(x);
    if (rc) return -1;
    const int64_t *yd = cort_tensor_dims(y);
    if (yd[0] != count || yd[1] < 0 || yd[1] > width || yd[2] != e->keys.n + 1) {
        snprintf(err, errlen, "recogniser output has shape [%lld,%lld,%lld]; expected %d lines and %d classes "
                 "(the keys of %s and a blank): do the model and key list match?",
                 (long long)yd[0], (long long)yd[1], (long long)yd[2], count, e->keys.n + 1, OCR_KEYS_FILE);
        cort_value_free(y);
        return -1;
    }
    const float *probs = cort_tensor_data(y);
    for (int k = 0; k < count && rc == 0; k++) {
        ocr_line *line = &res->lines[strips[k].line];
        rc = ocr_ctc_decode(probs + (size_t)k * (size_t)(yd[1] * yd[2]), (int)yd[1], (int)yd[2], &e->keys,
                            &line->text, &line->score);
        if (rc) snprintf(err, errlen, "out of memory decoding a line");
    }
    cort_value_free(y);
    return rc;
}

/* Recognition of every detected line, in batches of lines of similar width. */
static int recognise(ocr_engine *e, const img *image, ocr_result *res, char *err, size_t errlen) {
    rec_strip *strips = calloc((size_t)res->n + 1, sizeof *strips);
    int n = strips ? make_strips(image, res, strips) : -1, rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "out of memory rectifying the text lines");
        rc = -1;
    }
    for (int b = 0; rc == 0 && b < n; b += REC_BATCH)
        rc = recognise_batch(e, strips + b, n - b < REC_BATCH ? n - b : REC_BATCH, res, err, errlen);
    for (int i = 0; strips && i < res->n; i++) img_free(&strips[i].px);
    free(strips);
    return rc;
}

static double box_height(const ocr_line *l) { return l->box[3] - l->box[1]; }

/* Reading order: by top edge, then boxes on one row (tops closer than half the smaller box's
 * height) left to right, the order PaddleOCR's sorted_boxes gives with a size-aware tolerance. */
static int cmp_top(const void *a, const void *b) {
    const ocr_line *p = a, *q = b;
    if (p->quad[1] != q->quad[1]) return p->quad[1] < q->quad[1] ? -1 : 1;
    return (p->quad[0] > q->quad[0]) - (p->quad[0] < q->quad[0]);
}

static void sort_reading_order(ocr_line *lines, int n) {
    qsort(lines, (size_t)n, sizeof *lines, cmp_top);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            ocr_line *a = &lines[j - 1], *b = &lines[j];
            double tol = 0.5 * fmin(box_height(a), box_height(b));
            if (!(fabs(b->quad[1] - a->quad[1]) < tol && b->quad[0] < a->quad[0])) break;
            ocr_line t = *a;
            *a = *b;
            *b = t;
        }
}

/* Drops lines with no text or a confidence under the threshold, keeping the order. */
static void drop_weak_lines(ocr_result *res, float drop_score) {
    int kept = 0;
    for (int i = 0; i < res->n; i++) {
        ocr_line *l = &res->lines[i];
        if (l->text && l->text[0] && l->score >= drop_score) res->lines[kept++] = *l;
        else free(l->text);
    }
    res->n = kept;
}

int ocr_run(ocr_engine *e, const img *image, ocr_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (!e || !image || !image->px) {
        snprintf(err, errlen, "no engine or no image");
        return -1;
    }
    double t0 = app_now_ms();
    if (detect(e, image, res, err, errlen) != 0) {
        ocr_result_free(res);
        return -1;
    }
    double t1 = app_now_ms();
    if (recognise(e, image, res, err, errlen) != 0) {
        ocr_result_free(res);
        return -1;
    }
    drop_weak_lines(res, e->opt.drop_score);
    sort_reading_order(res->lines, res->n);
    double t2 = app_now_ms();
    res->ms_rec = t2 - t1;
    res->ms_total = t2 - t0;
    return 0;
}
