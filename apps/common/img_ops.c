/* Image memory, cropping, flipping, colour conversion and tensor filling. */
#include "img_internal.h"

#include <stdlib.h>
#include <string.h>

static int side_ok(int s) { return s >= 1 && s <= IMG_MAX_SIDE; }

int img_alloc(img *im, int w, int h) {
    if (!im) return -1;
    im->w = im->h = 0;
    im->px = NULL;
    if (!side_ok(w) || !side_ok(h)) return -1;
    im->px = calloc((size_t)w * (size_t)h, 3);
    if (!im->px) return -1;
    im->w = w;
    im->h = h;
    return 0;
}

void img_free(img *im) {
    if (!im) return;
    free(im->px);
    im->px = NULL;
    im->w = im->h = 0;
}

int img_valid(const img *im) { return im && im->px && side_ok(im->w) && side_ok(im->h); }

int img_crop(const img *src, int x, int y, int w, int h, img *dst) {
    if (!img_valid(src) || !dst || img_alloc(dst, w, h) != 0) return -1;
    /* Copy only the rows and columns that overlap the source; the rest stays black. */
    int x0 = x < 0 ? 0 : x, x1 = x + w > src->w ? src->w : x + w;
    int y0 = y < 0 ? 0 : y, y1 = y + h > src->h ? src->h : y + h;
    if (x0 >= x1 || y0 >= y1) return 0;
    for (int sy = y0; sy < y1; sy++)
        memcpy(dst->px + 3 * ((size_t)(sy - y) * (size_t)w + (size_t)(x0 - x)),
               src->px + 3 * ((size_t)sy * (size_t)src->w + (size_t)x0), 3 * (size_t)(x1 - x0));
    return 0;
}

void img_flip_h(img *im) {
    if (!img_valid(im)) return;
    for (int y = 0; y < im->h; y++) {
        uint8_t *row = im->px + 3 * (size_t)y * (size_t)im->w;
        for (int l = 0, r = im->w - 1; l < r; l++, r--)
            for (int c = 0; c < 3; c++) {
                uint8_t t = row[3 * l + c];
                row[3 * l + c] = row[3 * r + c];
                row[3 * r + c] = t;
            }
    }
}

int img_from_gray(const uint8_t *gray, int w, int h, img *dst) {
    if (!gray || !dst || img_alloc(dst, w, h) != 0) return -1;
    for (size_t i = 0, n = (size_t)w * (size_t)h; i < n; i++)
        dst->px[3 * i] = dst->px[3 * i + 1] = dst->px[3 * i + 2] = gray[i];
    return 0;
}

void img_to_gray(const img *im, uint8_t *gray) {
    if (!img_valid(im) || !gray) return;
    for (size_t i = 0, n = (size_t)im->w * (size_t)im->h; i < n; i++) {
        const uint8_t *p = im->px + 3 * i;
        gray[i] = (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
    }
}

int img_to_chw(const img *im, const float mean[3], const float scale[3], img_order order, float *out,
               int out_w, int out_h) {
    if (!img_valid(im) || !mean || !scale || !out || im->w > out_w || im->h > out_h) return -1;
    size_t plane = (size_t)out_w * (size_t)out_h;
    memset(out, 0, 3 * plane * sizeof(float));
    for (int c = 0; c < 3; c++) {
        int src_c = order == IMG_BGR ? 2 - c : c;
        float *dst = out + (size_t)c * plane;
        for (int y = 0; y < im->h; y++) {
            const uint8_t *row = im->px + 3 * (size_t)y * (size_t)im->w;
            float *drow = dst + (size_t)y * (size_t)out_w;
            for (int x = 0; x < im->w; x++) drow[x] = (row[3 * x + src_c] - mean[c]) * scale[c];
        }
    }
    return 0;
}
