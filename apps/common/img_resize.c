/* Resizing with bilinear or bicubic interpolation, pixel centres aligned as OpenCV's resize. */
#include "img_internal.h"

#include <math.h>
#include <stdlib.h>

void img_cubic_weights(double t, double w[4]) {
    /* Keys' cubic convolution kernel with a = -0.5 (Catmull-Rom), evaluated at distances 1+t,
     * t, 1-t and 2-t. */
    double t2 = t * t, t3 = t2 * t;
    w[0] = -0.5 * t3 + t2 - 0.5 * t;
    w[1] = 1.5 * t3 - 2.5 * t2 + 1;
    w[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
    w[3] = 0.5 * t3 - 0.5 * t2;
}

/* For each destination index along one axis: four source indices (clamped to the edge) and their
 * weights. Bilinear uses the middle two taps. */
typedef struct taps {
    int (*idx)[4];
    float (*wgt)[4];
} taps;

static int clamp_index(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

static int make_taps(int src_n, int dst_n, img_interp interp, taps *t) {
    t->idx = malloc(sizeof *t->idx * (size_t)dst_n);
    t->wgt = malloc(sizeof *t->wgt * (size_t)dst_n);
    if (!t->idx || !t->wgt) return -1;
    double ratio = (double)src_n / dst_n;
    for (int d = 0; d < dst_n; d++) {
        double s = (d + 0.5) * ratio - 0.5;
        if (interp == IMG_LINEAR && s < 0) s = 0; /* OpenCV clamps bilinear positions at the edge */
        double fl = floor(s), f = s - fl, w[4] = {0, 1 - f, f, 0};
        if (interp == IMG_CUBIC) img_cubic_weights(f, w);
        for (int k = 0; k < 4; k++) {
            t->idx[d][k] = clamp_index((int)fl - 1 + k, src_n);
            t->wgt[d][k] = (float)w[k];
        }
    }
    return 0;
}

static void free_taps(taps *t) {
    free(t->idx);
    free(t->wgt);
}

static uint8_t to_u8(float v) { return (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5f); }

/* One output row: the bilinear case touches 2 x 2 taps, the bicubic one 4 x 4. */
static void resize_row(const img *src, const taps *tx, const int *ys, const float *wy, int first, int last,
                       uint8_t *out, int w) {
    for (int x = 0; x < w; x++) {
        float acc[3] = {0, 0, 0};
        for (int j = first; j <= last; j++) {
            const uint8_t *row = src->px + 3 * (size_t)ys[j] * (size_t)src->w;
            for (int i = first; i <= last; i++) {
                const uint8_t *p = row + 3 * tx->idx[x][i];
                float wgt = wy[j] * tx->wgt[x][i];
                acc[0] += wgt * p[0], acc[1] += wgt * p[1], acc[2] += wgt * p[2];
            }
        }
        for (int c = 0; c < 3; c++) out[3 * x + c] = to_u8(acc[c]);
    }
}

int img_resize(const img *src, int w, int h, img_interp interp, img *dst) {
    if (!img_valid(src) || !dst || img_alloc(dst, w, h) != 0) return -1;
    taps tx = {0}, ty = {0};
    if (make_taps(src->w, w, interp, &tx) != 0 || make_taps(src->h, h, interp, &ty) != 0) {
        free_taps(&tx);
        free_taps(&ty);
        img_free(dst);
        return -1;
    }
    int first = interp == IMG_CUBIC ? 0 : 1, last = interp == IMG_CUBIC ? 3 : 2;
    for (int y = 0; y < h; y++)
        resize_row(src, &tx, ty.idx[y], ty.wgt[y], first, last, dst->px + 3 * (size_t)y * (size_t)w, w);
    free_taps(&tx);
    free_taps(&ty);
    return 0;
}
