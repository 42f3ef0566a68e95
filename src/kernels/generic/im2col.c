/* im2col / col2im and direct per-channel convolution over N spatial dimensions. Each works a row of
 * the last spatial dimension at a time: the positions of that row that fall inside the image form
 * one contiguous range of outputs, so the inner loops carry no bounds tests. */
#include <string.h>

#include "kernels/kernels.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include "kernels/x86/sgemm_x86.h"
#define CORT_DW_X86 1
#endif

/* Hot loops get an AVX2 clone picked at load by the dynamic linker (ifunc), where that exists. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
#define CORT_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CORT_SIMD_CLONES
#endif

static int64_t product(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

int64_t cort_conv_in_size(const cort_conv_geom *g) { return product(g->in, g->spatial); }
int64_t cort_conv_out_size(const cort_conv_geom *g) { return product(g->out, g->spatial); }
int64_t cort_conv_kernel_size(const cort_conv_geom *g) { return product(g->kernel, g->spatial); }

/* Splits a kernel offset into per-dimension kernel indices. */
static void kernel_index(const cort_conv_geom *g, int64_t koff, int64_t *kidx) {
    for (int d = g->spatial - 1; d >= 0; d--) {
        kidx[d] = koff % g->kernel[d];
        koff /= g->kernel[d];
    }
}

/* Offset in the image of the start of the input row read by output row `lead` (a linear index over
 * all output dimensions but the last) at kernel position kidx, or -1 if that row lies in the padding. */
static int64_t row_source(const cort_conv_geom *g, const int64_t *kidx, int64_t lead) {
    int last = g->spatial - 1;
    int64_t offset = 0, scale = g->in[last];
    for (int d = last - 1; d >= 0; d--) {
        int64_t o = lead % g->out[d];
        lead /= g->out[d];
        int64_t i = o * g->stride[d] - g->pad_begin[d] + kidx[d] * g->dilation[d];
        if (i < 0 || i >= g->in[d]) return -1;
        offset += i * scale;
        scale *= g->in[d];
    }
    return offset;
}

/* Along the last dimension, output o reads input start + o * stride; outputs [lo, hi) are inside. */
typedef struct row_span {
    int64_t start, stride, lo, hi;
} row_span;

static row_span last_dim_span(const cort_conv_geom *g, int64_t k) {
    int last = g->spatial - 1;
    row_span s;
    s.stride = g->stride[last];
    s.start = k * g->dilation[last] - g->pad_begin[last];
    s.lo = s.start >= 0 ? 0 : (-s.start + s.stride - 1) / s.stride;
    int64_t room = g->in[last] - s.start; /* outputs o with start + o * stride < in */
    s.hi = room <= 0 ? 0 : (room + s.stride - 1) / s.stride;
    if (s.hi > g->out[last]) s.hi = g->out[last];
    if (s.lo > s.hi) s.lo = s.hi;
    return s;
}

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

enum { DW_MAX_KW = 16 };

/* 2-D depthwise: each output row accumulates kernel_h * kernel_w shifted input rows; the in-image
 * span of each kernel column is computed once. */
CORT_SIMD_CLONES static void direct_channel_2d(const cort_conv_geom *g, const float *restrict x,
                                               const float *restrict w, float bias, float *restrict y) {
    int64_t h = g->in[0], width = g->in[1], oh = g->out[0], ow = g->out[1], kh = g->kernel[0], kw = g->kernel[1];
    row_span spans[DW_MAX_KW];
    for (int64_t j = 0; j < kw; j++) spans[j] = last_dim_span(g, j);
    for (int64_t i = 0; i < oh; i++) {
        float *yr = y + i * ow;
        for (int64_t o = 0; o < ow; o++) yr[o] = bias;
        for (int64_t r = 0; r < kh; r++) {
            int64_t ih = i * g->stride[0] - g->pad_begin[0] + r * g->dilation[0];
            if (ih < 0 || ih >= h) continue;
            const float *xr = x + ih * width;
            for (int64_t j = 0; j < kw; j++) {
                float wk = w[r * kw + j];
                row_span s = spans[j];
                const float *xs = xr + s.start;
                if (s.stride == 1) {
                    for (int64_t o = s.lo; o < s.hi; o++) yr[o] += wk * xs[o];
                } else if (s.stride == 2) {
                    for (int64_t o = s.lo; o < s.hi; o++) yr[o] += wk * xs[2 * o];
                } else {
                    for (int64_t o = s.lo; o < s.hi; o++) yr[o] += wk * xs[o * s.stride];
                }
            }
        }
    }
}

/* With equal strides in both dims, the zero-padded image (width wp) read on an output grid of width
 * wp makes each kernel tap one long contiguous loop: grid point j reads padded[stride * j + tap offset].
 * Grid columns past the real output width are computed and dropped; that beats starting a short loop
 * per output row and tap on small planes. */
static bool flat_ok(const cort_conv_geom *g) {
    if (g->spatial != 2 || g->stride[0] != g->stride[1] || g->stride[0] > 16) return false;
    /* keep the padded copy small: at most 2^28 floats */
    int64_t limit = (int64_t)1 << 28;
    for (int d = 0; d < 2; d++)
        if (g->out[d] > limit / 16 || g->in[d] + g->pad_begin[d] > limit || g->dilation[d] > 64 ||
            g->kernel[d] > limit / 64)
            return false;
    int64_t hp = g->stride[0] * g->out[0] + (g->kernel[0] - 1) * g->dilation[0] + 1 + g->pad_begin[0] + g->in[0];
    int64_t wp = g->stride[0] * g->out[1] + (g->kernel[1] - 1) * g->dilation[1] + 1 + g->pad_begin[1] + g->in[1];
    return hp <= limit / wp;
}

static void flat_dims(const cort_conv_geom *g, int64_t *hp, int64_t *wp) {
    int64_t s = g->stride[0];
    *wp = (g->out[1] - 1) * s + (g->kernel[1] - 1) * g->dilation[1] + 1;
    *hp = s * g->out[0] + (g->kernel[0] - 1) * g->dilation[0] + 1;
    if (*wp < g->pad_begin[1] + g->in[1]) *wp = g->pad_begin[1] + g->in[1];
    if (*hp < g->pad_begin[0] + g->in[0]) *hp = g->pad_begin[0] + g->in[0];
}

#ifdef CORT_DW_X86
/* The AVX-512 3x3 path, where the CPU and geometry allow it. */
static bool use_x86_depthwise(const cort_conv_geom *g) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && cort_x86_depthwise_ok(g);
}
#endif

size_t cort_conv_direct_work_size(const cort_conv_geom *g) {
#ifdef CORT_DW_X86
    if (use_x86_depthwise(g)) return cort_x86_depthwise_work_size(g);
#endif
    if (!flat_ok(g)) return 0;
    int64_t hp, wp;
    flat_dims(g, &hp, &wp);
    return (size_t)(hp * wp + g->out[0] * wp + 16) * sizeof(float);
}

CORT_SIMD_CLONES static void direct_channel_flat(const cort_conv_geom *g, const float *restrict x,
                                                 const float *restrict w, float bias, float *restrict y,
                                                 float *restrict work) {
    int64_t hp, wp, s = g->stride[0];
    flat_dims(g, &hp, &wp);
    float *restrict pad = work, *restrict grid = work + hp * wp;
    int64_t h = g->in[0], width = g->in[1], oh = g->out[0], ow = g->out[1];
    memset(pad, 0, sizeof(float) * (size_t)(hp * wp));
    for (int64_t r = 0; r < h; r++)
        memcpy(pad + (r + g->pad_begin[0]) * wp + g->pad_begin[1], x + r * width, sizeof(float) * (size_t)width);
    /* the last grid row stops at the output width so every read stays inside the padded image */
    int64_t n = (oh - 1) * wp + ow;
    for (int64_t j = 0; j < n; j++) grid[j] = bias;
    for (int64_t r = 0; r < g->kernel[0]; r++)
        for (int64_t c = 0; c < g->kernel[1]; c++) {
            float wk = w[r * g->kernel[1] + c];
            const float *src = pad + r * g->dilation[0] * wp + c * g->dilation[1];
            if (s == 1) {
                for (int64_t j = 0; j < n; j++) grid[j] += wk * src[j];
            } else if (s == 2) {
                for (int64_t j = 0; j < n; j++) grid[j] += wk * src[2 * j];
            } else {
                for (int64_t j = 0; j < n; j++) grid[j] += wk * src[s * j];
            }
        }
    for (int64_t i = 0; i < oh; i++) memcpy(y + i * ow, grid + i * wp, sizeof(float) * (size_t)ow);
}

void cort_conv_direct_channel(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y,
                              void *work) {
#ifdef CORT_DW_X86
    if (work && use_x86_depthwise(g)) {
        cort_x86_depthwise3x3_avx512(g, x, w, bias, y, work);
        return;
    }
#endif
    if (work && flat_ok(g)) {
        direct_channel_flat(g, x, w, bias, y, work);
        return;
    }
    if (g->spatial == 2 && g->kernel[1] <= DW_MAX_KW) {
        direct_channel_2d(g, x, w, bias, y);
        return;
    }
    int last = g->spatial - 1;
    int64_t ksize = cort_conv_kernel_size(g), osize = cort_conv_out_size(g);
    int64_t width = g->out[last], lead_rows = osize / (width ? width : 1);
    int64_t kidx[CORT_CONV_MAX_SPATIAL];
    for (int64_t o = 0; o < osize; o++) y[o] = bias;
    for (int64_t koff = 0; koff < ksize; koff++) {
        float wk = w[koff];
        kernel_index(g, koff, kidx);
        row_span s = last_dim_span(g, kidx[last]);
        float *yr = y;
        for (int64_t lead = 0; lead < lead_rows; lead++, yr += width) {
            int64_t src = row_source(g, kidx, lead);
            if (src < 0) continue;
            const float *xr = x + src + s.start;
            if (s.stride == 1) {
                for (int64_t o = s.lo; o < s.hi; o++) yr[o] += wk * xr[o];
            } else {
                for (int64_t o = s.lo; o < s.hi; o++) yr[o] += wk * xr[o * s.stride];
            }
        }
    }
}
