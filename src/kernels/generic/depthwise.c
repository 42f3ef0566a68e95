/* Depthwise convolution: each channel convolved with its own filter, then bias and activation. The
 * SIMD kernels (x86: conv_dw_avx512.c, conv_dw_avx2.c; WebAssembly: wasm/conv_dw_wasm.c) take the
 * common 2-D shapes; the plain C paths here take everything and stay the reference for other targets. */
#include <string.h>

#include "kernels/generic/conv_rows.h"
#include "kernels/kernels.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include "kernels/x86/conv_dw_x86.h"
#define CORT_DW_X86 1
#endif
#if defined(__wasm_simd128__)
#include "kernels/wasm/wasm_kernels.h" /* SIMD128 is chosen at compile time (-msimd128) */
#define CORT_DW_WASM 1
#endif
#if defined(__aarch64__)
#include "kernels/arm/neon.h" /* NEON is part of every AArch64 CPU: no run-time test */
#define CORT_DW_NEON 1
#endif

typedef void (*depthwise_fn)(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                             int64_t c_begin, int64_t c_end, float *y, void *work);

/* The SIMD kernel of `variant` (1 AVX2+FMA, NEON or SIMD128, 2 AVX-512; 3 the widest this CPU runs) for
 * this geometry, or NULL where the CPU, the build or the geometry rules it out. */
static depthwise_fn simd_kernel(int variant, const cort_conv_geom *g) {
#ifdef CORT_DW_X86
    if (!cort_x86_depthwise_ok(g)) return NULL;
    __builtin_cpu_init();
    bool avx512 = __builtin_cpu_supports("avx512f");
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if ((variant == 2 || variant == 3) && avx512) return cort_x86_depthwise_avx512;
    if ((variant == 1 || variant == 3) && avx2) return cort_x86_depthwise_avx2;
#elif defined(CORT_DW_NEON)
    if ((variant == 1 || variant == 3) && cort_neon_depthwise_ok(g)) return cort_neon_depthwise;
#elif defined(CORT_DW_WASM)
    if ((variant == 1 || variant == 3) && cort_wasm_depthwise_ok(g)) return cort_wasm_depthwise;
#else
    (void)variant;
    (void)g;
#endif
    return NULL;
}

/* ---------------------------------------------------------------- generic paths */

/* y[o] += wk * xs[o * stride] over the in-image outputs of a row */
static inline void row_axpy(const row_span *s, float wk, const float *restrict xs, float *restrict yr) {
    if (s->stride == 1) {
        for (int64_t o = s->lo; o < s->hi; o++) yr[o] += wk * xs[o];
    } else if (s->stride == 2) {
        for (int64_t o = s->lo; o < s->hi; o++) yr[o] += wk * xs[2 * o];
    } else {
        for (int64_t o = s->lo; o < s->hi; o++) yr[o] += wk * xs[o * s->stride];
    }
}

enum { DW_MAX_KW = 16 };

/* 2-D: each output row accumulates kernel_h * kernel_w shifted input rows; the in-image span of each
 * kernel column is computed once. */
CORT_SIMD_CLONES static void channel_2d(const cort_conv_geom *g, const float *restrict x, const float *restrict w,
                                        float bias, float *restrict y) {
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
            for (int64_t j = 0; j < kw; j++) row_axpy(&spans[j], w[r * kw + j], xr + spans[j].start, yr);
        }
    }
}

/* Any rank: for every kernel offset, each output row (a linear index over all output dimensions but
 * the last) adds the input row it reads, unless that row lies in the padding. */
static void channel_nd(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y) {
    int last = g->spatial - 1;
    int64_t ksize = cort_conv_kernel_size(g), osize = cort_conv_out_size(g);
    int64_t width = g->out[last], lead_rows = osize / (width ? width : 1);
    for (int64_t o = 0; o < osize; o++) y[o] = bias;
    for (int64_t koff = 0; koff < ksize; koff++) {
        int64_t kidx[CORT_CONV_MAX_SPATIAL];
        kernel_index(g, koff, kidx);
        row_span s = last_dim_span(g, kidx[last]);
        for (int64_t lead = 0; lead < lead_rows; lead++) {
            int64_t offset = row_source(g, kidx, lead);
            if (offset >= 0) row_axpy(&s, w[koff], x + offset + s.start, y + lead * width);
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
        if (g->pad_begin[d] < 0 || g->out[d] > limit / 16 || g->in[d] + g->pad_begin[d] > limit || g->dilation[d] > 64 ||
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

static size_t flat_work_size(const cort_conv_geom *g) {
    if (!flat_ok(g)) return 0;
    int64_t hp, wp;
    flat_dims(g, &hp, &wp);
    return (size_t)(hp * wp + g->out[0] * wp + 16) * sizeof(float);
}

CORT_SIMD_CLONES static void channel_flat(const cort_conv_geom *g, const float *restrict x, const float *restrict w,
                                          float bias, float *restrict y, float *restrict work) {
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

/* One channel by the best plain C path the geometry and scratch allow. */
static void generic_channel(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y,
                            void *work) {
    if (work && flat_ok(g)) channel_flat(g, x, w, bias, y, work);
    else if (g->spatial == 2 && g->kernel[1] <= DW_MAX_KW) channel_2d(g, x, w, bias, y);
    else channel_nd(g, x, w, bias, y);
}

static void generic_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                              int64_t c_begin, int64_t c_end, float *y, void *work) {
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    for (int64_t c = c_begin; c < c_end; c++) {
        float *yc = y + c * osize;
        generic_channel(g, x + c * isize, w + c * ksize, ep && ep->bias ? ep->bias[c] : 0.0f, yc, work);
        if (ep && ep->act != CORT_ACT_NONE) cort_activation_apply(ep, yc, osize);
    }
}

/* ---------------------------------------------------------------- entry points */

size_t cort_depthwise_work_size(const cort_conv_geom *g) {
    size_t bytes = flat_work_size(g);
#ifdef CORT_DW_X86
    if (cort_x86_depthwise_ok(g) && cort_x86_depthwise_work_size(g) > bytes) bytes = cort_x86_depthwise_work_size(g);
#endif
#ifdef CORT_DW_NEON
    if (cort_neon_depthwise_ok(g) && cort_neon_depthwise_work_size(g) > bytes) bytes = cort_neon_depthwise_work_size(g);
#endif
#ifdef CORT_DW_WASM
    if (cort_wasm_depthwise_ok(g) && cort_wasm_depthwise_work_size(g) > bytes) bytes = cort_wasm_depthwise_work_size(g);
#endif
    return bytes;
}

void cort_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                    int64_t c_begin, int64_t c_end, float *y, void *work) {
    depthwise_fn simd = work ? simd_kernel(3, g) : NULL;
    if (simd) simd(g, x, w, ep, c_begin, c_end, y, work);
    else generic_depthwise(g, x, w, ep, c_begin, c_end, y, work);
}

bool cort_depthwise_variant(int variant, const cort_conv_geom *g, const float *x, const float *w,
                            const cort_sgemm_epilogue *ep, int64_t c_begin, int64_t c_end, float *y, void *work) {
    if (variant == 0) {
        generic_depthwise(g, x, w, ep, c_begin, c_end, y, work);
        return true;
    }
    depthwise_fn simd = work && variant != 3 ? simd_kernel(variant, g) : NULL;
    if (simd) simd(g, x, w, ep, c_begin, c_end, y, work);
    return simd != NULL;
}

size_t cort_conv_direct_work_size(const cort_conv_geom *g) { return cort_depthwise_work_size(g); }

void cort_conv_direct_channel(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y,
                              void *work) {
    cort_sgemm_epilogue ep;
    memset(&ep, 0, sizeof ep);
    ep.bias = &bias;
    cort_depthwise(g, x, w, &ep, 0, 1, y, work);
}
