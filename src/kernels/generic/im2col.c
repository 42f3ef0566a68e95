/* im2col / col2im over N spatial dimensions (depthwise convolution is in depthwise.c). Each works a row of
 * the last spatial dimension at a time: the positions of that row that fall inside the image form
 * one contiguous range of outputs, so the inner loops carry no bounds tests. */
#include <string.h>

#include "kernels/generic/conv_rows.h"
#include "kernels/kernels.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include "kernels/x86/sgemm_x86.h"
#define CORT_DW_X86 1
#endif

static int64_t product(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

int64_t cort_conv_in_size(const cort_conv_geom *g) { return product(g->in, g->spatial); }
int64_t cort_conv_out_size(const cort_conv_geom *g) { return product(g->out, g->spatial); }
int64_t cort_conv_kernel_size(const cort_conv_geom *g) { return product(g->kernel, g->spatial); }

void cort_im2col(const cort_conv_geom *g, const float *x, int64_t row_begin, int64_t row_end, float *col) {
    int last = g->spatial - 1;
    int64_t ksize = cort_conv_kernel_size(g), isize = cort_conv_in_size(g), osize = cort_conv_out_size(g);
    int64_t width = g->out[last], lead_rows = osize / (width ? width : 1);
    int64_t kidx[CORT_CONV_MAX_SPATIAL];
    for (int64_t r = row_begin; r < row_end; r++) {
        const float *xc = x + (r / ksize) * isize;
        float *dst = col + r * osize;
        kernel_index(g, r % ksize, kidx);
        row_span s = last_dim_span(g, kidx[last]);
        for (int64_t lead = 0; lead < lead_rows; lead++, dst += width) {
            int64_t src = row_source(g, kidx, lead);
            if (src < 0) {
                memset(dst, 0, sizeof(float) * (size_t)width);
                continue;
            }
            const float *xr = xc + src + s.start;
            for (int64_t o = 0; o < s.lo; o++) dst[o] = 0;
            if (s.stride == 1) {
                memcpy(dst + s.lo, xr + s.lo, sizeof(float) * (size_t)(s.hi - s.lo));
            } else {
                for (int64_t o = s.lo; o < s.hi; o++) dst[o] = xr[o * s.stride];
            }
            for (int64_t o = s.hi; o < width; o++) dst[o] = 0;
        }
    }
}

static int64_t min3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Copies outputs [o, o + len) of one output row of the column matrix (source row xr, or padding when
 * xr is NULL) to dst. */
static inline void gather_run(const row_span *sp, const float *restrict xr, int64_t o, int64_t len,
                              float *restrict dst) {
    int64_t lo = o > sp->lo ? o : sp->lo, hi = o + len < sp->hi ? o + len : sp->hi;
    if (!xr || hi < lo) lo = hi = o;
    for (int64_t q = o; q < lo; q++) dst[q - o] = 0;
    if (sp->stride == 1) { /* runs are at most nr long: a loop beats a memcpy call */
        for (int64_t q = lo; q < hi; q++) dst[q - o] = xr[q];
    } else {
        for (int64_t q = lo; q < hi; q++) dst[q - o] = xr[q * sp->stride];
    }
    for (int64_t q = hi; q < o + len; q++) dst[q - o] = 0;
}

/* (the clones live on a static function: clang emits the dispatcher only for calls it sees) */
CORT_SIMD_CLONES static void im2col_pack(const cort_im2col_source *s, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                         int64_t nr, float *out) {
    const cort_conv_geom *g = s->geom;
    int last = g->spatial - 1;
    int64_t ksize = cort_conv_kernel_size(g), isize = cort_conv_in_size(g), width = g->out[last];
    int64_t padded = (nc + nr - 1) / nr * nr;
    int64_t kidx[CORT_CONV_MAX_SPATIAL];
    for (int64_t p = 0; p < kc; p++) {
        int64_t r = p0 + p;
        const float *xc = s->x + (r / ksize) * isize;
        kernel_index(g, r % ksize, kidx);
        row_span sp = last_dim_span(g, kidx[last]);
        int64_t lead = j0 / width, o = j0 % width, at = row_source(g, kidx, lead);
        for (int64_t jj = 0; jj < nc;) {
            int64_t within = jj % nr, len = min3(width - o, nr - within, nc - jj);
            float *dst = out + (jj / nr) * nr * kc + p * nr + within;
            gather_run(&sp, at < 0 ? NULL : xc + at + sp.start, o, len, dst);
            jj += len;
            o += len;
            if (o == width && jj < nc) {
                o = 0;
                at = row_source(g, kidx, ++lead);
            }
        }
        for (int64_t jj = nc; jj < padded; jj++) out[(jj / nr) * nr * kc + p * nr + jj % nr] = 0;
    }
}

void cort_im2col_pack(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out) {
    im2col_pack(src, p0, kc, j0, nc, nr, out);
}

void cort_col2im_add(const cort_conv_geom *g, const float *col, int64_t row_begin, int64_t row_end, float *y) {
    int last = g->spatial - 1;
    int64_t ksize = cort_conv_kernel_size(g), isize = cort_conv_in_size(g), osize = cort_conv_out_size(g);
    int64_t width = g->out[last], lead_rows = osize / (width ? width : 1);
    int64_t kidx[CORT_CONV_MAX_SPATIAL];
    for (int64_t r = row_begin; r < row_end; r++) {
        float *yc = y + (r / ksize) * isize;
        const float *src_row = col + r * osize;
        kernel_index(g, r % ksize, kidx);
        row_span s = last_dim_span(g, kidx[last]);
        for (int64_t lead = 0; lead < lead_rows; lead++, src_row += width) {
            int64_t dst = row_source(g, kidx, lead);
            if (dst < 0) continue;
            float *yr = yc + dst + s.start;
            for (int64_t o = s.lo; o < s.hi; o++) yr[o * s.stride] += src_row[o];
        }
    }
}
