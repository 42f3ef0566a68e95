/* Stride-1 2-D convolution through a zero-bordered copy of the image. Computed on a grid as wide as
 * the padded image, output (oy, ox) is grid column j = oy * wp + ox, and for every kernel tap the
 * column-matrix row it reads is one contiguous run of the padded plane starting at the tap's offset:
 * the GEMM's B panels are then plain copies, with none of the per-row bounds work of im2col, which
 * dominates for small images. The grid's wp - ow extra columns per row are computed and dropped. */
#include <string.h>

#include "kernels/kernels.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

bool cort_conv_padded_ok(const cort_conv_geom *g) {
    if (g->spatial != 2) return false;
    for (int d = 0; d < 2; d++)
        if (g->stride[d] != 1 || g->out[d] < 1) return false;
    int64_t extra = (g->kernel[1] - 1) * g->dilation[1];
    /* a wider grid computes too many dropped columns; on wide images im2col's rows are long enough
     * (sgemm_bench conv: from about 56 columns the gather is as fast) */
    return g->out[1] <= 32 && extra * 10 <= g->out[1] * 4 && g->out[0] <= (INT64_C(1) << 30) / (g->out[1] + extra);
}

void cort_conv_padded_dims(const cort_conv_geom *g, int64_t *hp, int64_t *wp, int64_t *grid) {
    *wp = g->out[1] + (g->kernel[1] - 1) * g->dilation[1];
    *hp = g->out[0] + (g->kernel[0] - 1) * g->dilation[0];
    *grid = (g->out[0] - 1) * *wp + g->out[1];
}

void cort_conv_pad_image(const cort_conv_geom *g, const float *x, int64_t channels, float *padded) {
    int64_t hp, wp, grid;
    cort_conv_padded_dims(g, &hp, &wp, &grid);
    int64_t ih_n = g->in[0], iw_n = g->in[1], pt = g->pad_begin[0], pl = g->pad_begin[1];
    int64_t j_lo = max64(0, pl), j_hi = min64(wp, pl + iw_n);
    for (int64_t c = 0; c < channels; c++) {
        const float *xc = x + c * ih_n * iw_n;
        float *pc = padded + c * hp * wp;
        for (int64_t i = 0; i < hp; i++) {
            float *row = pc + i * wp;
            int64_t ih = i - pt;
            if (ih < 0 || ih >= ih_n || j_hi <= j_lo) {
                memset(row, 0, sizeof(float) * (size_t)wp);
                continue;
            }
            memset(row, 0, sizeof(float) * (size_t)j_lo);
            memcpy(row + j_lo, xc + ih * iw_n + (j_lo - pl), sizeof(float) * (size_t)(j_hi - j_lo));
            memset(row + j_hi, 0, sizeof(float) * (size_t)(wp - j_hi));
        }
    }
}

void cort_conv_padded_pack(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out) {
    const cort_conv_padded_source *s = src;
    const cort_conv_geom *g = s->geom;
    int64_t kh = g->kernel[0], kw = g->kernel[1], ksize = kh * kw, plane = s->hp * s->wp;
    for (int64_t p = 0; p < kc; p++) {
        int64_t r = p0 + p, c = r / ksize, k = r % ksize;
        const float *row = s->padded + c * plane + (k / kw) * g->dilation[0] * s->wp + (k % kw) * g->dilation[1] + j0;
        for (int64_t jr = 0; jr < nc; jr += nr) {
            float *dst = out + jr * kc + p * nr;
            int64_t cols = min64(nr, nc - jr);
            for (int64_t j = 0; j < cols; j++) dst[j] = row[jr + j]; /* short runs: a loop beats memcpy */
            for (int64_t j = cols; j < nr; j++) dst[j] = 0;
        }
    }
}
