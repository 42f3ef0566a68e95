/* Unit tests of the OCR pipeline's pieces that need no model: geometry, DB boxes, keys, CTC. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "ocr_internal.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void test_min_area_rect(void) {
    /* Points filling a rotated 40 x 10 rectangle centred at (50, 30), 30 degrees from the x axis. */
    double c = cos(M_PI / 6), s = sin(M_PI / 6), pts[2 * 41 * 11];
    int n = 0;
    for (int i = 0; i <= 40; i++)
        for (int j = 0; j <= 10; j++) {
            double u = i - 20.0, v = j - 5.0;
            pts[2 * n] = 50 + u * c - v * s, pts[2 * n + 1] = 30 + u * s + v * c, n++;
        }
    ocr_rect r;
    CHECK(ocr_min_area_rect(pts, n, &r) == 0);
    double w = fmax(r.w, r.h), h = fmin(r.w, r.h);
    CHECK(near(w, 40, 1e-6) && near(h, 10, 1e-6) && near(r.cx, 50, 1e-6) && near(r.cy, 30, 1e-6));
    CHECK(near(fabs(r.ux * c + r.uy * s), r.w > r.h ? 1 : 0, 1e-6)); /* the long side follows the slope */

    /* Corners come as top-left, top-right, bottom-right, bottom-left. */
    ocr_rect axis = {.cx = 20, .cy = 10, .ux = 1, .uy = 0, .w = 30, .h = 8};
    double q[8];
    ocr_rect_corners(&axis, q);
    const double want[8] = {5, 6, 35, 6, 35, 14, 5, 14};
    for (int i = 0; i < 8; i++) CHECK(near(q[i], want[i], 1e-9));

    /* A single point and a segment are degenerate but well defined. */
    const double one[2] = {3, 4}, seg[4] = {0, 0, 10, 0};
    CHECK(ocr_min_area_rect(one, 1, &r) == 0 && r.w == 0 && r.h == 0 && r.cx == 3);
    CHECK(ocr_min_area_rect(seg, 2, &r) == 0 && near(fmax(r.w, r.h), 10, 1e-9) && near(fmin(r.w, r.h), 0, 1e-9));
    CHECK(ocr_min_area_rect(one, 0, &r) != 0);
}

static void test_unclip(void) {
    ocr_rect r = {.cx = 0, .cy = 0, .ux = 1, .uy = 0, .w = 100, .h = 10};
    ocr_rect g = ocr_unclip(&r, 1.5);
    double d = 100.0 * 10 * 1.5 / 220; /* area * ratio / perimeter */
    CHECK(near(g.w, 100 + 2 * d, 1e-9) && near(g.h, 10 + 2 * d, 1e-9) && g.cx == 0 && g.ux == 1);
}

static void test_det_input_size(void) {
    int w, h;
    ocr_det_input_size(384, 191, 960, &w, &h);
    CHECK(w == 384 && h == 192);
    ocr_det_input_size(2000, 1000, 960, &w, &h);
    CHECK(w == 960 && h == 480);
    ocr_det_input_size(10, 3, 960, &w, &h);
    CHECK(w == 32 && h == 32);
}

static void set_bar(float *p, int w, int x0, int y0, int x1, int y1, float v) {
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) p[y * w + x] = v;
}

static void test_db_boxes(void) {
    enum { W = 120, H = 60 };
    float *p = calloc(W * H, sizeof(float));
    CHECK(p != NULL);
    if (!p) return;
    set_bar(p, W, 10, 10, 89, 15, 0.95f);  /* a confident line */
    set_bar(p, W, 20, 30, 99, 35, 0.45f);  /* text-ish but under the box threshold */
    set_bar(p, W, 5, 50, 6, 51, 0.99f);    /* a speck, too small */
    set_bar(p, W, 100, 45, 115, 52, 0.9f); /* a second, smaller line */
    p[0] = NAN;                            /* never text */
    ocr_options opt;
    ocr_default_options(&opt);
    ocr_det_box *boxes = NULL;
    int n = -1;
    CHECK(ocr_db_boxes(p, W, H, &opt, &boxes, &n) == 0);
    CHECK(n == 2);
    if (n == 2) {
        /* Found in raster order; each box is its bar grown by area * 1.5 / perimeter per side. */
        const ocr_det_box *b = &boxes[0];
        double d = 79.0 * 5 * 1.5 / (2 * (79 + 5));
        CHECK(near(b->quad[0], 10 - d, 1e-6) && near(b->quad[1], 10 - d, 1e-6));
        CHECK(near(b->quad[4], 89 + d, 1e-6) && near(b->quad[5], 15 + d, 1e-6));
        CHECK(near(b->score, 0.95, 1e-6));
        CHECK(boxes[1].quad[0] < 100 && boxes[1].quad[4] > 115);
    }
    free(boxes);
    free(p);
}

static void test_keys_and_ctc(void) {
    char path[] = "/tmp/cort_ocr_keysXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fputs("a\r\nb\n\xe4\xb8\xad", f); /* CRLF, then a final line with no newline (a CJK character) */
    fclose(f);
    ocr_keys keys;
    char err[256];
    CHECK(ocr_keys_load(path, &keys, err, sizeof err) == 0);
    remove(path);
    CHECK(keys.n == 4 && !strcmp(keys.keys[0], "a") && !strcmp(keys.keys[2], "\xe4\xb8\xad") && !strcmp(keys.keys[3], " "));
    ocr_keys_free(&keys);
    CHECK(ocr_keys_load("/nonexistent/keys.txt", &keys, err, sizeof err) != 0 && strstr(err, "/nonexistent/keys.txt"));

    const char *list[4] = {"a", "b", "\xe4\xb8\xad", " "};
    ocr_keys k = {(char **)list, 4, NULL};
    /* Classes: 0 blank, 1 a, 2 b, 3 CJK, 4 space. Steps: a a _ a b b 4 3 -> "aab 中". */
    const int best[8] = {1, 1, 0, 1, 2, 2, 4, 3};
    float probs[8 * 5];
    for (int t = 0; t < 8; t++)
        for (int c = 0; c < 5; c++) probs[t * 5 + c] = c == best[t] ? 0.8f : 0.05f;
    probs[0 * 5 + 1] = 0.6f;
    char *text = NULL;
    float score = 0;
    CHECK(ocr_ctc_decode(probs, 8, 5, &k, &text, &score) == 0);
    CHECK(text && !strcmp(text, "aab \xe4\xb8\xad"));
    CHECK(near(score, (0.6 + 0.8 * 4) / 5, 1e-6)); /* the mean over the kept steps */
    free(text);
    CHECK(ocr_ctc_decode(probs, 0, 5, &k, &text, &score) == 0 && text[0] == 0 && score == 0);
    free(text);
}

static void test_rec_geometry(void) {
    CHECK(ocr_rec_scaled_width(100, 20) == 240 && ocr_rec_scaled_width(101, 20) == 243);
    CHECK(ocr_rec_scaled_width(1, 1000) == 1 && ocr_rec_scaled_width(1 << 20, 1) == IMG_MAX_SIDE);

    img im, strip;
    CHECK(img_alloc(&im, 50, 40) == 0);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++) im.px[3 * (y * 50 + x)] = (uint8_t)(x * 5), im.px[3 * (y * 50 + x) + 1] = (uint8_t)(y * 5);
    /* An axis-aligned box is cut out as it is. */
    const double box[8] = {10, 5, 40, 5, 40, 15, 10, 15};
    CHECK(ocr_rectify(&im, box, &strip) == 0 && strip.w == 30 && strip.h == 10);
    CHECK(strip.px[0] == 50 && strip.px[1] == 25 && strip.px[3 * (9 * 30 + 29)] == 195);
    img_free(&strip);
    /* A tall box is turned a quarter counter-clockwise: its top-right corner lands top-left. */
    const double tall[8] = {10, 2, 20, 2, 20, 32, 10, 32};
    CHECK(ocr_rectify(&im, tall, &strip) == 0 && strip.w == 30 && strip.h == 10);
    CHECK(strip.px[0] == 100 && strip.px[1] == 10);
    img_free(&strip);
    const double flat[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(ocr_rectify(&im, flat, &strip) != 0);
    img_free(&im);
}

int main(void) {
    test_min_area_rect();
    test_unclip();
    test_det_input_size();
    test_db_boxes();
    test_keys_and_ctc();
    test_rec_geometry();
    return check_report("ocr_parts_test");
}
