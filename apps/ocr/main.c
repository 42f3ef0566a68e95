/* cort-ocr: reads the text in an image with PaddleOCR's PP-OCRv4 models on cort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "img.h"
#include "ocr.h"

static const char USAGE[] =
    "usage: cort-ocr IMAGE [--json] [--models DIR] [-o OUT.png] [--threads N] [--runs N]\n"
    "\n"
    "Finds the lines of text in IMAGE (PNG, JPEG, BMP, ...) and reads them with PaddleOCR's PP-OCRv4\n"
    "detection and recognition models, printing each line in reading order with its box (x1, y1,\n"
    "x2, y2 in image pixels) and confidence, then the time each stage took.\n"
    "\n"
    "  --json          print only {\"lines\": [{\"text\": ..., \"box\": [x1, y1, x2, y2], \"score\": s}, ...]}\n"
    "  --models DIR    folder holding " OCR_DET_MODEL ", " OCR_REC_MODEL "\n"
    "                  and " OCR_KEYS_FILE " (default: $" APP_MODELS_ENV ", else ~/" APP_MODELS_CACHE ",\n"
    "                  where `make demo-ocr` puts them)\n"
    "  -o OUT.png      also write the image with the boxes and their text drawn on it\n"
    "  --threads N     intra-op threads (default 0: one per core)\n"
    "  --runs N        read the image N times and report the last run's timings (warm caches)\n";

typedef struct args {
    const char *image, *models, *out_png;
    int json, threads, runs;
} args;

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Returns 0 on success, 2 (usage error) otherwise, or 1 when help was asked for. */
static int parse_args(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    a->runs = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        if (!strcmp(s, "--json")) a->json = 1;
        else if (!strcmp(s, "--models") && has_value) a->models = argv[++i];
        else if (!strcmp(s, "-o") && has_value) a->out_png = argv[++i];
        else if (!strcmp(s, "--threads") && has_value) {
            if (parse_int(argv[++i], 0, 1024, &a->threads)) return 2;
        } else if (!strcmp(s, "--runs") && has_value) {
            if (parse_int(argv[++i], 1, 1000, &a->runs)) return 2;
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "cort-ocr: unknown option or missing value: %s\n", s);
            return 2;
        } else if (!a->image) a->image = s;
        else {
            fprintf(stderr, "cort-ocr: more than one image given: %s\n", s);
            return 2;
        }
    }
    return a->image ? 0 : 2;
}

static void print_json(const ocr_result *r) {
    printf("{\"lines\": [");
    for (int i = 0; i < r->n; i++) {
        const ocr_line *l = &r->lines[i];
        printf("%s{\"text\": ", i ? ", " : "");
        app_json_string(stdout, l->text);
        printf(", \"box\": [%d, %d, %d, %d], \"score\": %.4f}", l->box[0], l->box[1], l->box[2], l->box[3],
               (double)l->score);
    }
    printf("]}\n");
}

static void print_text(const char *path, const img *im, const ocr_result *r, double load_ms) {
    printf("%s: %dx%d, %d line%s of text\n", path, im->w, im->h, r->n, r->n == 1 ? "" : "s");
    for (int i = 0; i < r->n; i++) {
        const ocr_line *l = &r->lines[i];
        char box[64];
        snprintf(box, sizeof box, "[%d, %d, %d, %d]", l->box[0], l->box[1], l->box[2], l->box[3]);
        printf("%3d  %-22s %.3f  %s\n", i + 1, box, (double)l->score, l->text);
    }
    printf("timings: pre-process %.1f ms, detection %.1f ms, recognition %.1f ms (%d line%s), total %.1f ms"
           " (models loaded in %.1f ms)\n",
           r->ms_pre, r->ms_det, r->ms_rec, r->n, r->n == 1 ? "" : "s", r->ms_total, load_ms);
}

/* The image with each line's quadrilateral and its text (ASCII; other characters show as '?'). */
static int write_annotated(const img *im, const ocr_result *r, const char *path) {
    img out;
    if (img_crop(im, 0, 0, im->w, im->h, &out) != 0) return -1;
    const img_color box = {230, 40, 40}, fg = {255, 255, 255}, bg = {30, 90, 200};
    int scale = im->w >= 1200 ? 2 : 1;
    for (int i = 0; i < r->n; i++) {
        const ocr_line *l = &r->lines[i];
        img_draw_polygon(&out, l->quad, 4, box, scale + 1);
        int ty = l->box[1] - img_text_height(scale) - 2 * scale;
        img_draw_label(&out, l->box[0], ty < 0 ? l->box[3] + 1 : ty, l->text, fg, bg, scale);
    }
    int rc = img_write_png(&out, path);
    img_free(&out);
    return rc;
}

int main(int argc, char **argv) {
    args a;
    int pr = parse_args(argc, argv, &a);
    if (pr) {
        fputs(USAGE, pr == 1 ? stdout : stderr);
        return pr == 1 ? 0 : 2;
    }
    char err[8192];
    img im;
    if (img_load(a.image, &im, err, sizeof err) != 0) {
        fprintf(stderr, "cort-ocr: %s\n", err);
        return 1;
    }
    ocr_options opt;
    ocr_default_options(&opt);
    opt.threads = a.threads;
    ocr_engine *eng = NULL;
    if (ocr_engine_create(a.models, &opt, &eng, err, sizeof err) != 0) {
        fprintf(stderr, "cort-ocr: %s\n", err);
        img_free(&im);
        return 1;
    }
    ocr_result res = {0};
    int rc = 0;
    for (int run = 0; run < a.runs && rc == 0; run++) {
        ocr_result_free(&res);
        rc = ocr_run(eng, &im, &res, err, sizeof err);
    }
    if (rc) fprintf(stderr, "cort-ocr: %s: %s\n", a.image, err);
    else if (a.json) print_json(&res);
    else print_text(a.image, &im, &res, ocr_engine_load_ms(eng));
    if (rc == 0 && a.out_png && write_annotated(&im, &res, a.out_png) != 0) {
        fprintf(stderr, "cort-ocr: cannot write %s\n", a.out_png);
        rc = 1;
    }
    ocr_result_free(&res);
    ocr_engine_free(eng);
    img_free(&im);
    return rc ? 1 : 0;
}
