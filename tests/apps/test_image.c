/* Unit tests of apps/common's image library: memory, resize, crop, warps, tensors, drawing, PNG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "img.h"

static uint8_t *at(const img *im, int x, int y) { return im->px + 3 * ((size_t)y * im->w + x); }

/* An image whose pixel (x, y) is (x * 10, y * 10, 7): easy to recognise after moves. */
static void make_ramp(img *im, int w, int h) {
    CHECK(img_alloc(im, w, h) == 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) at(im, x, y)[0] = (uint8_t)(x * 10), at(im, x, y)[1] = (uint8_t)(y * 10), at(im, x, y)[2] = 7;
}

static int same(const img *a, const img *b) {
    return a->w == b->w && a->h == b->h && !memcmp(a->px, b->px, (size_t)a->w * a->h * 3);
}

static int count_colour(const img *im, img_color c) {
    int n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) n += at(im, x, y)[0] == c.r && at(im, x, y)[1] == c.g && at(im, x, y)[2] == c.b;
    return n;
}

static void test_alloc(void) {
    img im;
    CHECK(img_alloc(&im, 0, 5) != 0 && im.px == NULL);
    CHECK(img_alloc(&im, 5, -1) != 0);
    CHECK(img_alloc(&im, IMG_MAX_SIDE + 1, 1) != 0);
    CHECK(img_alloc(&im, 3, 2) == 0 && im.w == 3 && im.h == 2 && at(&im, 2, 1)[2] == 0);
    img_free(&im);
    CHECK(im.px == NULL && im.w == 0);
    img_free(&im); /* freeing twice is harmless */
}

static void test_resize(void) {
    img src, dst;
    CHECK(img_alloc(&src, 2, 1) == 0);
    at(&src, 1, 0)[0] = 255;
    /* Half-pixel centres: destination samples sit at source x = -0.25 (clamped), 0.25, 0.75, 1.25. */
    CHECK(img_resize(&src, 4, 1, IMG_LINEAR, &dst) == 0);
    CHECK(at(&dst, 0, 0)[0] == 0 && at(&dst, 1, 0)[0] == 64 && at(&dst, 2, 0)[0] == 191 && at(&dst, 3, 0)[0] == 255);
    img_free(&dst);
    img_free(&src);

    make_ramp(&src, 9, 7);
    for (int interp = IMG_LINEAR; interp <= IMG_CUBIC; interp++) {
        CHECK(img_resize(&src, 9, 7, (img_interp)interp, &dst) == 0); /* same size: unchanged */
        CHECK(same(&src, &dst));
        img_free(&dst);
        CHECK(img_resize(&src, 4, 3, (img_interp)interp, &dst) == 0 && dst.w == 4 && dst.h == 3);
        /* Shrinking a linear ramp keeps it linear: the centre of dst pixel 1 is source x 2.875. */
        CHECK(abs(at(&dst, 1, 1)[0] - 29) <= 1 && at(&dst, 2, 2)[2] == 7);
        img_free(&dst);
    }
    /* Bicubic overshoot is clamped, never wrapped: a hard edge stays within 0..255. */
    img edge;
    CHECK(img_alloc(&edge, 4, 1) == 0);
    memset(edge.px + 6, 255, 6);
    CHECK(img_resize(&edge, 16, 1, IMG_CUBIC, &dst) == 0);
    CHECK(at(&dst, 0, 0)[0] == 0 && at(&dst, 5, 0)[0] == 0 && at(&dst, 10, 0)[0] == 255 && at(&dst, 15, 0)[0] == 255);
    CHECK(at(&dst, 7, 0)[0] > 60 && at(&dst, 7, 0)[0] < 128); /* the edge lies between samples 7 and 8 */
    img_free(&dst);
    img_free(&edge);
    CHECK(img_resize(&src, 0, 3, IMG_LINEAR, &dst) != 0);
    img_free(&src);
}

static void test_crop_flip_gray(void) {
    img src, dst;
    make_ramp(&src, 6, 5);
    CHECK(img_crop(&src, 2, 1, 3, 2, &dst) == 0 && dst.w == 3 && dst.h == 2);
    CHECK(at(&dst, 0, 0)[0] == 20 && at(&dst, 0, 0)[1] == 10 && at(&dst, 2, 1)[0] == 40 && at(&dst, 2, 1)[1] == 20);
    img_free(&dst);
    /* Partly outside: the outside is black, the inside copied. */
    CHECK(img_crop(&src, -2, 3, 4, 4, &dst) == 0);
    CHECK(at(&dst, 0, 0)[2] == 0 && at(&dst, 2, 0)[2] == 7 && at(&dst, 2, 0)[1] == 30 && at(&dst, 3, 3)[2] == 0);
    img_free(&dst);
    CHECK(img_crop(&src, 100, 100, 2, 2, &dst) == 0 && at(&dst, 1, 1)[2] == 0);
    img_free(&dst);

    img_flip_h(&src);
    CHECK(at(&src, 0, 0)[0] == 50 && at(&src, 5, 4)[0] == 0 && at(&src, 5, 4)[1] == 40);

    uint8_t gray[30];
    img_to_gray(&src, gray);
    CHECK(gray[0] == (299 * 50 + 587 * 0 + 114 * 7 + 500) / 1000);
    CHECK(img_from_gray(gray, 6, 5, &dst) == 0 && at(&dst, 0, 0)[0] == gray[0] && at(&dst, 0, 0)[2] == gray[0]);
    img_free(&dst);
    img_free(&src);
}

static void test_to_chw(void) {
    img im;
    make_ramp(&im, 2, 2);
    float t[3 * 3 * 4];
    const float mean[3] = {10, 0, 0}, scale[3] = {0.5f, 1, 2};
    CHECK(img_to_chw(&im, mean, scale, IMG_BGR, t, 4, 3) == 0);
    /* BGR: channel 0 is blue (7), channel 2 red (x * 10); the padding is zero. */
    CHECK(t[0] == (7 - 10) * 0.5f);
    CHECK(t[2 * 12 + 1] == 10 * 2.0f);           /* red of (1, 0) */
    CHECK(t[1 * 12 + 4] == 10);                  /* green of (0, 1) */
    CHECK(t[3] == 0 && t[2 * 12 + 11] == 0);     /* padding */
    CHECK(img_to_chw(&im, mean, scale, IMG_RGB, t, 4, 3) == 0 && t[2 * 12] == (7 * 2.0f));
    CHECK(img_to_chw(&im, mean, scale, IMG_RGB, t, 1, 3) != 0); /* tensor narrower than the image */
    img_free(&im);
}

static void test_warps(void) {
    img src, dst;
    make_ramp(&src, 8, 6);
    const double identity[6] = {1, 0, 0, 0, 1, 0};
    for (int interp = IMG_LINEAR; interp <= IMG_CUBIC; interp++) {
        CHECK(img_warp_affine(&src, identity, 8, 6, (img_interp)interp, IMG_BORDER_CONSTANT, &dst) == 0);
        CHECK(same(&src, &dst));
        img_free(&dst);
    }
    /* A shift right by 2 and down by 1: source (x, y) lands at (x + 2, y + 1). */
    const double shift[6] = {1, 0, 2, 0, 1, 1};
    CHECK(img_warp_affine(&src, shift, 8, 6, IMG_LINEAR, IMG_BORDER_CONSTANT, &dst) == 0);
    CHECK(at(&dst, 5, 4)[0] == 30 && at(&dst, 5, 4)[1] == 30 && at(&dst, 0, 0)[2] == 0);
    img_free(&dst);
    CHECK(img_warp_affine(&src, shift, 8, 6, IMG_LINEAR, IMG_BORDER_REPLICATE, &dst) == 0);
    CHECK(at(&dst, 0, 0)[0] == 0 && at(&dst, 0, 0)[2] == 7);
    img_free(&dst);
    const double singular[6] = {1, 2, 0, 2, 4, 0};
    CHECK(img_warp_affine(&src, singular, 8, 6, IMG_LINEAR, IMG_BORDER_CONSTANT, &dst) != 0);

    double inv[6], m[6] = {0.8, -0.6, 3, 0.6, 0.8, -2};
    CHECK(img_affine_invert(m, inv) == 0);
    double x = 5, y = 7, u = m[0] * x + m[1] * y + m[2], v = m[3] * x + m[4] * y + m[5];
    CHECK(fabs(inv[0] * u + inv[1] * v + inv[2] - x) < 1e-9 && fabs(inv[3] * u + inv[4] * v + inv[5] - y) < 1e-9);

    /* The perspective map of a quad onto a rectangle sends each corner to its target. */
    const double quad[8] = {10, 12, 90, 20, 85, 60, 5, 50}, rect[8] = {0, 0, 100, 0, 100, 40, 0, 40};
    double hm[9];
    CHECK(img_perspective_from_quads(quad, rect, hm) == 0);
    for (int i = 0; i < 4; i++) {
        double px = quad[2 * i], py = quad[2 * i + 1], z = hm[6] * px + hm[7] * py + hm[8];
        CHECK(fabs((hm[0] * px + hm[1] * py + hm[2]) / z - rect[2 * i]) < 1e-6);
        CHECK(fabs((hm[3] * px + hm[4] * py + hm[5]) / z - rect[2 * i + 1]) < 1e-6);
    }
    const double line[8] = {0, 0, 1, 1, 2, 2, 3, 3};
    CHECK(img_perspective_from_quads(line, rect, hm) != 0);

    /* The similarity estimate recovers a known rotation, scale and shift exactly. */
    double a = 1.5 * cos(0.5), b = 1.5 * sin(0.5), pts[10], moved[10], sim[6];
    const double base[10] = {30, 50, 70, 50, 50, 70, 35, 90, 65, 90};
    for (int i = 0; i < 5; i++) {
        pts[2 * i] = base[2 * i], pts[2 * i + 1] = base[2 * i + 1];
        moved[2 * i] = a * base[2 * i] - b * base[2 * i + 1] + 4;
        moved[2 * i + 1] = b * base[2 * i] + a * base[2 * i + 1] - 9;
    }
    CHECK(img_similarity_from_points(pts, moved, 5, sim) == 0);
    CHECK(fabs(sim[0] - a) < 1e-9 && fabs(sim[1] + b) < 1e-9 && fabs(sim[2] - 4) < 1e-9);
    CHECK(fabs(sim[3] - b) < 1e-9 && fabs(sim[4] - a) < 1e-9 && fabs(sim[5] + 9) < 1e-9);
    CHECK(img_similarity_from_points(pts, moved, 1, sim) != 0);
    img_free(&src);
}

static void test_draw(void) {
    img im;
    CHECK(img_alloc(&im, 40, 30) == 0);
    const img_color red = {255, 0, 0}, white = {255, 255, 255}, blue = {0, 0, 255};
    img_draw_rect(&im, 5, 5, 14, 9, red, 1);
    CHECK(count_colour(&im, red) == 2 * 10 + 2 * 3);
    CHECK(at(&im, 5, 5)[0] == 255 && at(&im, 14, 9)[0] == 255 && at(&im, 9, 7)[0] == 0);
    img_fill_rect(&im, -100, -100, 1000, 2, blue); /* clipped, no out-of-bounds writes */
    CHECK(count_colour(&im, blue) == 40 * 3);
    memset(im.px, 0, 40 * 30 * 3);
    img_draw_line(&im, 0, 0, 29, 29, white, 1);
    CHECK(count_colour(&im, white) == 30 && at(&im, 17, 17)[1] == 255);
    img_draw_line(&im, -1e9, 5, 1e9, 5, white, 1); /* far endpoints are bounded, not looped over */
    img_draw_line(&im, NAN, 0, 3, 3, white, 1);
    memset(im.px, 0, 40 * 30 * 3);
    const double tri[6] = {2, 2, 30, 2, 2, 20};
    img_draw_polygon(&im, tri, 3, red, 2);
    CHECK(at(&im, 16, 2)[0] == 255 && at(&im, 2, 11)[0] == 255 && at(&im, 16, 11)[0] == 255 && at(&im, 8, 8)[0] == 0);

    /* Text: ink only inside the box the measuring functions give; odd characters are drawn as '?'. */
    memset(im.px, 0, 40 * 30 * 3);
    int w = img_text_width("Hi\x01\xc3", 1), h = img_text_height(1);
    CHECK(w > 8 && w < 30 && h == 12);
    img_draw_text(&im, 3, 4, "Hi\x01\xc3", white, 1);
    int ink = 0, outside = 0;
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            if (at(&im, x, y)[0]) ink++, outside += x < 3 || x >= 3 + w || y < 4 || y >= 4 + h;
    CHECK(ink > 20 && outside == 0);
    img_draw_text(&im, -50, 25, "clipped at every edge", white, 3);
    img_draw_label(&im, 30, 25, "ok", white, blue, 2);
    CHECK(at(&im, 31, 26)[2] == 255 || at(&im, 31, 26)[0] == 255);
    CHECK(img_text_width("x", 3) == 3 * img_text_width("x", 1));
    img_free(&im);
}

static void test_png(const char *dir) {
    img src, back;
    make_ramp(&src, 13, 7);
    char path[1024], err[1200];
    snprintf(path, sizeof path, "%s/test_image_roundtrip.png", dir);
    CHECK(img_write_png(&src, path) == 0);
    CHECK(img_load(path, &back, err, sizeof err) == 0 && same(&src, &back));
    img_free(&back);
    /* Errors name the file and do not crash on garbage. */
    snprintf(path, sizeof path, "%s/no_such_image.png", dir);
    CHECK(img_load(path, &back, err, sizeof err) != 0 && strstr(err, "no_such_image.png") && back.px == NULL);
    snprintf(path, sizeof path, "%s/test_image_garbage.png", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("\x89PNG\r\n\x1a\n but not really a PNG", f);
        fclose(f);
    }
    CHECK(img_load(path, &back, err, sizeof err) != 0 && strstr(err, "garbage"));
    CHECK(img_load_memory("abc", 3, &back, err, sizeof err) != 0);
    img_free(&src);
}

int main(int argc, char **argv) {
    test_alloc();
    test_resize();
    test_crop_flip_gray();
    test_to_chw();
    test_warps();
    test_draw();
    test_png(argc > 1 ? argv[1] : ".");
    return check_report("test_image");
}
