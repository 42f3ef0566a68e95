/* 2-D convolution through a zero-bordered, phase-split copy of the image. With strides (sh, sw) the
 * padded image P splits into sh * sw phase planes, phase (r, c) holding P[sh * u + r][sw * v + c];
 * output (oy, ox) at kernel tap (a, b) = (kh * dh, kw * dw) reads P[sh * oy + a][sw * ox + b], which
 * is phase (a % sh, b % sw) at (oy + a / sh, ox + b / sw). Computed on a grid as wide as a phase
 * plane (wq), output (oy, ox) is grid column j = oy * wq + ox, and for every tap the column-matrix row
 * it reads is one contiguous run of a phase plane starting at the tap's offset: the GEMM's B panels
 * are plain copies, with none of the per-row bounds and stride work of im2col, which dominates for
 * small images and strided convolutions. The grid's wq - ow extra columns per row are computed and
 * dropped. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/generic/conv_rows.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define HAVE_X86_DIRECT 1
#include "kernels/x86/conv_padded_x86.h"
#endif

/* Output channels per panel of the direct path's packed weights. */
enum { DIRECT_MR = 8 };
#ifdef HAVE_X86_DIRECT
_Static_assert((int)DIRECT_MR == (int)CORT_PADDED_DIRECT_MR, "the x86 kernel reads the panels packed here");
#endif

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The direct kernels (x86/conv_padded_avx512.c, conv_oc_avx512.c) need AVX-512F at run time. */
static bool have_direct_kernels(void) {
#ifdef HAVE_X86_DIRECT
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

void cort_conv_padded_dims(const cort_conv_geom *g, int64_t *hq, int64_t *wq, int64_t *grid) {
    *wq = g->out[1] + (g->kernel[1] - 1) * g->dilation[1] / g->stride[1];
    *hq = g->out[0] + (g->kernel[0] - 1) * g->dilation[0] / g->stride[0];
    *grid = (g->out[0] - 1) * *wq + g->out[1];
}

bool cort_conv_padded_ok(const cort_conv_geom *g) {
    if (g->spatial != 2) return false;
    for (int d = 0; d < 2; d++)
        if (g->stride[d] < 1 || g->stride[d] > 4 || g->out[d] < 1 || g->out[d] > (INT64_C(1) << 20) ||
            g->kernel[d] > 64 || g->dilation[d] > 64)
            return false;
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    /* a wider grid computes too many dropped columns (sgemm_bench conv: 1.1-1.5x im2col's rate on
     * every 2-D shape measured, 7x7/2 to 416x416) */
    return (wq - g->out[1]) * 10 <= g->out[1] * 4;
}

size_t cort_conv_padded_floats(const cort_conv_geom *g, int64_t channels) {
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    return (size_t)(channels * g->stride[0] * g->stride[1] * hq * wq);
}

/* Columns v of a phase row with 0 <= sw * v + c - pad < w: [*lo, *hi), within [0, wq); `first` is
 * the image column of v = 0. */
static inline void phase_span(const cort_conv_geom *g, int64_t c, int64_t wq, int64_t *first, int64_t *lo, int64_t *hi) {
    int64_t sw = g->stride[1], w = g->in[1];
    *first = c - g->pad_begin[1];
    *lo = *first >= 0 ? 0 : (-*first + sw - 1) / sw;
    *hi = *first >= w ? 0 : (w - *first + sw - 1) / sw;
    *hi = min64(*hi, wq);
    if (*lo > *hi) *lo = *hi;
}

/* Row u of phase (r, c) of one channel plane xc. */
static inline void phase_row(const cort_conv_geom *g, const float *xc, int64_t u, int64_t r, int64_t c, int64_t wq,
                             float *dst) {
    int64_t sh = g->stride[0], sw = g->stride[1], ih = sh * u + r - g->pad_begin[0], w = g->in[1];
    if (ih < 0 || ih >= g->in[0]) {
        memset(dst, 0, sizeof(float) * (size_t)wq);
        return;
    }
    const float *src = xc + ih * w;
    int64_t first, lo, hi;
    phase_span(g, c, wq, &first, &lo, &hi);
    for (int64_t v = 0; v < lo; v++) dst[v] = 0;
    if (sw == 1) {
        memcpy(dst + lo, src + lo + first, sizeof(float) * (size_t)(hi - lo));
    } else if (sw == 2) { /* a constant stride the compiler vectorises */
        for (int64_t v = lo; v < hi; v++) dst[v] = src[2 * v + first];
    } else {
        for (int64_t v = lo; v < hi; v++) dst[v] = src[sw * v + first];
    }
    for (int64_t v = hi; v < wq; v++) dst[v] = 0;
}

/* Row u of both column phases of a stride-2 row, the image row read once: the columns both phases
 * hold split even/odd in one vectorised pass (a row per phase read the image twice, a scalar
 * gather each time: an eighth of a 3x3/2 convolution's time). */
static inline void phase_row_pair(const cort_conv_geom *g, const float *xc, int64_t u, int64_t r, int64_t wq,
                                  float *restrict d0, float *restrict d1) {
    int64_t ih = g->stride[0] * u + r - g->pad_begin[0];
    if (ih < 0 || ih >= g->in[0]) {
        memset(d0, 0, sizeof(float) * (size_t)wq);
        memset(d1, 0, sizeof(float) * (size_t)wq);
        return;
    }
    const float *src = xc + ih * g->in[1];
    int64_t f0, lo0, hi0, f1, lo1, hi1;
    phase_span(g, 0, wq, &f0, &lo0, &hi0);
    phase_span(g, 1, wq, &f1, &lo1, &hi1);
    int64_t lo = lo0 > lo1 ? lo0 : lo1, hi = min64(hi0, hi1);
    if (hi < lo) hi = lo;
    const float *restrict s0 = src + f0; /* s0[2v] is phase 0's column v, s0[2v + 1] phase 1's */
    for (int64_t v = lo; v < hi; v++) {
        d0[v] = s0[2 * v];
        d1[v] = s0[2 * v + 1];
    }
    for (int64_t v = 0; v < lo; v++) {
        d0[v] = v >= lo0 && v < hi0 ? src[2 * v + f0] : 0;
        d1[v] = v >= lo1 && v < hi1 ? src[2 * v + f1] : 0;
    }
    for (int64_t v = hi; v < wq; v++) {
        d0[v] = v >= lo0 && v < hi0 ? src[2 * v + f0] : 0;
        d1[v] = v >= lo1 && v < hi1 ? src[2 * v + f1] : 0;
    }
}

/* Whether some kernel tap of dimension d reads phase `phase` (a 1x1 stride-2 kernel reads only one). */
static bool phase_read(const cort_conv_geom *g, int d, int64_t phase) {
    for (int64_t k = 0; k < g->kernel[d] && k < g->stride[d]; k++)
        if ((k * g->dilation[d]) % g->stride[d] == phase) return true;
    return false;
}

/* Rows [u0, u1) of every phase plane of `channels` channels. */
CORT_SIMD_CLONES static void pad_image(const cort_conv_geom *g, const float *x, int64_t channels, int64_t u0, int64_t u1,
                                       float *padded) {
    int64_t hq, wq, grid, sh = g->stride[0], sw = g->stride[1];
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    if (u1 > hq) u1 = hq;
    for (int64_t ch = 0; ch < channels; ch++) {
        const float *xc = x + ch * g->in[0] * g->in[1];
        bool pair = sw == 2 && phase_read(g, 1, 0) && phase_read(g, 1, 1);
        for (int64_t r = 0; r < sh; r++) {
            if (!phase_read(g, 0, r)) continue;
            if (pair) {
                float *p0 = padded + (ch * sh + r) * sw * hq * wq, *p1 = p0 + hq * wq;
                for (int64_t u = u0; u < u1; u++) phase_row_pair(g, xc, u, r, wq, p0 + u * wq, p1 + u * wq);
                continue;
            }
            for (int64_t c = 0; c < sw; c++) {
                if (!phase_read(g, 1, c)) continue;
                float *plane = padded + ((ch * sh + r) * sw + c) * hq * wq;
                for (int64_t u = u0; u < u1; u++) phase_row(g, xc, u, r, c, wq, plane + u * wq);
            }
        }
    }
}

void cort_conv_pad_image(const cort_conv_geom *g, const float *x, int64_t channels, float *padded) {
    pad_image(g, x, channels, 0, INT64_MAX, padded);
}

void cort_conv_pad_image_rows(const cort_conv_geom *g, const float *x, int64_t channels, int64_t u0, int64_t u1,
                              float *padded) {
    pad_image(g, x, channels, u0, u1, padded);
}

/* One k row of B into the micro-panels: nc columns from `row`, panel by panel (nr floats each,
 * panels kc * nr apart), the last zero-padded. Full panels of the AVX-512 and AVX2 widths copy a
 * constant size, which compiles to a few vector moves (the per-row loop with its alias checks and
 * remainder handling was ~30% of a 14x14 3x3 convolution's time). */
static inline void pack_row(const float *restrict row, int64_t nc, int64_t nr, int64_t panel, float *restrict dst) {
    int64_t jr = 0;
    if (nr == 32)
        for (; jr + 32 <= nc; jr += 32, dst += panel) memcpy(dst, row + jr, 32 * sizeof(float));
    else if (nr == 16)
        for (; jr + 16 <= nc; jr += 16, dst += panel) memcpy(dst, row + jr, 16 * sizeof(float));
    for (; jr < nc; jr += nr, dst += panel) {
        int64_t cols = min64(nr, nc - jr);
        for (int64_t j = 0; j < cols; j++) dst[j] = row[jr + j];
        for (int64_t j = cols; j < nr; j++) dst[j] = 0;
    }
}

/* (the clones live on a static function: clang emits the dispatcher only for calls it sees) */
CORT_SIMD_CLONES static void padded_pack(const cort_conv_padded_source *s, int64_t p0, int64_t kc, int64_t j0,
                                         int64_t nc, int64_t nr, float *out) {
    const cort_conv_geom *g = s->geom;
    int64_t kw = g->kernel[1], ksize = g->kernel[0] * kw, sh = g->stride[0], sw = g->stride[1];
    int64_t plane = s->hp * s->wp;
    /* the tap (ch, ki, kj) of row p0 + p, advanced row by row instead of divided out */
    int64_t ch = p0 / ksize, ki = (p0 % ksize) / kw, kj = p0 % kw;
    for (int64_t p = 0; p < kc; p++) {
        int64_t a = ki * g->dilation[0], b = kj * g->dilation[1];
        const float *row = s->padded + ((ch * sh + a % sh) * sw + b % sw) * plane + (a / sh) * s->wp + b / sw + s->col0 + j0;
        pack_row(row, nc, nr, kc * nr, out + p * nr);
        if (++kj == kw) {
            kj = 0;
            if (++ki == g->kernel[0]) ki = 0, ch++;
        }
    }
}

void cort_conv_padded_pack(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out) {
    padded_pack(src, p0, kc, j0, nc, nr, out);
}

bool cort_conv_padded_direct_ok(const cort_conv_geom *g, int64_t m, int64_t kdim) {
    if (kdim < 1 || kdim > CORT_CONV_PADDED_DIRECT_MAX_K || m < 1 || !cort_conv_padded_ok(g)) return false;
    /* measured against the GEMM path: 3x3 128 -> 32 at 14x14 0.098 -> 0.082 ms; 3x3/2 64 -> 128 at
     * 28x28 2% slower, so deep filters only with few channels */
    if (kdim > 192 && (m > 64 || g->out[1] >= 32)) return false;
    return have_direct_kernels();
}

size_t cort_conv_padded_direct_floats(int64_t m, int64_t kdim) {
    return (size_t)((m + DIRECT_MR - 1) / DIRECT_MR * DIRECT_MR * kdim);
}

/* Panels of DIRECT_MR channels, k-major, the last zero-padded. */
void cort_conv_padded_direct_pack(int64_t m, int64_t kdim, const float *w, float *packed) {
    for (int64_t mb = 0; mb < m; mb += DIRECT_MR)
        for (int64_t p = 0; p < kdim; p++)
            for (int64_t i = 0; i < DIRECT_MR; i++)
                *packed++ = mb + i < m ? w[(mb + i) * kdim + p] : 0.0f;
}

/* Each k row's tap (channel, ki, kj) as an offset into the phase planes, as padded_pack reads it, with
 * the divisions by the strides done once per kernel row and column (kernels are at most 64 wide). */
void cort_conv_padded_direct_offsets(const cort_conv_geom *g, int64_t kdim, int64_t *off) {
    int64_t hq, wq, grid, kh = g->kernel[0], kw = g->kernel[1], sh = g->stride[0], sw = g->stride[1];
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    int64_t plane = hq * wq, row_at[64], col_at[64];
    for (int64_t ki = 0; ki < kh; ki++) {
        int64_t a = ki * g->dilation[0];
        row_at[ki] = (a % sh) * sw * plane + (a / sh) * wq;
    }
    for (int64_t kj = 0; kj < kw; kj++) {
        int64_t b = kj * g->dilation[1];
        col_at[kj] = (b % sw) * plane + b / sw;
    }
    int64_t p = 0;
    for (int64_t ch = 0; p < kdim; ch++)
        for (int64_t ki = 0; ki < kh && p < kdim; ki++)
            for (int64_t kj = 0; kj < kw && p < kdim; kj++) off[p++] = ch * sh * sw * plane + row_at[ki] + col_at[kj];
}

#ifdef HAVE_X86_DIRECT
typedef struct direct_act {
    cort_activation act;
    bool clamp;
    float lo, hi;
} direct_act;

static direct_act direct_act_of(const cort_sgemm_epilogue *ep) {
    direct_act d;
    d.act = ep ? ep->act : CORT_ACT_NONE;
    d.clamp = d.act == CORT_ACT_RELU || d.act == CORT_ACT_CLIP;
    d.lo = d.act == CORT_ACT_CLIP ? ep->lo : 0.0f;
    d.hi = d.act == CORT_ACT_CLIP ? ep->hi : INFINITY;
    return d;
}

/* The activations the kernel does not clamp in registers, over one unit's outputs while they are in
 * cache: channels [mb, mb + rows) at grid columns [j, j1), row by row of the output. */
static void activate_unit(const cort_sgemm_epilogue *ep, const cort_conv_geom *g, int64_t wq, int64_t mb, int64_t rows,
                          int64_t j, int64_t j1, float *y) {
    int64_t ow = g->out[1], plane = g->out[0] * ow;
    for (int64_t oy = j / wq; oy * wq < j1; oy++) {
        int64_t c0 = j - oy * wq > 0 ? j - oy * wq : 0, c1 = min64(j1 - oy * wq, ow);
        if (c1 <= c0) continue;
        for (int64_t c = mb; c < mb + rows; c++) cort_activation_apply(ep, y + c * plane + oy * ow + c0, c1 - c0);
    }
}
#endif

int64_t cort_conv_padded_direct_units(const cort_conv_geom *g, int64_t m) {
    if (g->out[1] >= 32) return g->out[0];
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    return (m + DIRECT_MR - 1) / DIRECT_MR * ((grid + 31) / 32);
}

void cort_conv_padded_direct_part(const cort_conv_geom *g, int64_t m, int64_t kdim, const int64_t *off,
                                  const float *padded, const float *packed, const cort_sgemm_epilogue *ep, int64_t u0,
                                  int64_t u1, float *y) {
#ifdef HAVE_X86_DIRECT
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    direct_act d = direct_act_of(ep);
    const float *bias = ep ? ep->bias : NULL;
    if (g->out[1] >= 32) { /* units are output rows */
        cort_x86_conv_padded_direct_avx512(g, kdim, off, m, padded, wq, packed, bias, d.clamp, d.lo, d.hi, u0, u1, y);
        if (d.clamp || d.act == CORT_ACT_NONE) return;
        int64_t ow = g->out[1], plane = g->out[0] * ow;
        for (int64_t c = 0; c < m; c++) cort_activation_apply(ep, y + c * plane + u0 * ow, (u1 - u0) * ow);
        return;
    }
    cort_x86_conv_padded_direct_units_avx512(g, kdim, off, m, padded, wq, packed, bias, d.clamp, d.lo, d.hi, u0, u1, y);
    if (d.clamp || d.act == CORT_ACT_NONE) return;
    int64_t panels = (m + DIRECT_MR - 1) / DIRECT_MR, tiles = (grid + 31) / 32;
    for (int64_t u = u0; u < u1; u++) {
        int64_t panel, tile;
        cort_padded_direct_unit(u, kdim, panels, tiles, &panel, &tile);
        int64_t mb = panel * DIRECT_MR;
        activate_unit(ep, g, wq, mb, min64(DIRECT_MR, m - mb), tile * 32, min64(tile * 32 + 32, grid), y);
    }
#else
    (void)g, (void)m, (void)kdim, (void)off, (void)padded, (void)packed, (void)ep, (void)u0, (void)u1, (void)y;
#endif
}

void cort_conv_padded_direct(const cort_conv_geom *g, int64_t m, int64_t kdim, const float *padded,
                             const float *packed, const cort_sgemm_epilogue *ep, int64_t r0, int64_t r1, float *y) {
#ifdef HAVE_X86_DIRECT
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    int64_t off[CORT_CONV_PADDED_DIRECT_MAX_K];
    cort_conv_padded_direct_offsets(g, min64(kdim, CORT_CONV_PADDED_DIRECT_MAX_K), off);
    direct_act d = direct_act_of(ep);
    cort_x86_conv_padded_direct_avx512(g, kdim, off, m, padded, wq, packed, ep ? ep->bias : NULL, d.clamp, d.lo, d.hi,
                                       r0, r1, y);
    if (d.clamp || d.act == CORT_ACT_NONE) return;
    /* the other activations over each channel's rows, while they are still in cache */
    int64_t ow = g->out[1], plane = g->out[0] * ow;
    for (int64_t c = 0; c < m; c++) cort_activation_apply(ep, y + c * plane + r0 * ow, (r1 - r0) * ow);
#else
    (void)g, (void)m, (void)kdim, (void)padded, (void)packed, (void)ep, (void)r0, (void)r1, (void)y;
#endif
}

/* ---- output channels in the lanes (conv_oc_avx512.c) */

enum { OC_PANEL = 16, OC_ROUND = 64 };

bool cort_conv_oc_ok(const cort_conv_geom *g, int64_t kdim) {
    if (kdim < 1 || kdim > CORT_CONV_OC_MAX_K || !cort_conv_padded_ok(g)) return false;
    return have_direct_kernels();
}

size_t cort_conv_oc_floats(int64_t m, int64_t kdim) { return (size_t)((m + OC_ROUND - 1) / OC_ROUND * OC_ROUND * kdim); }

void cort_conv_oc_pack(int64_t m, int64_t kdim, const float *w, float *packed) {
    int64_t mp = (m + OC_ROUND - 1) / OC_ROUND * OC_ROUND;
    for (int64_t mb = 0; mb < mp; mb += OC_PANEL)
        for (int64_t p = 0; p < kdim; p++)
            for (int64_t i = 0; i < OC_PANEL; i++) *packed++ = mb + i < m ? w[(mb + i) * kdim + p] : 0.0f;
}

/* 16-channel panels per tile: 4 where rows are short (7 columns: 4 x 7 accumulators) and a tile's
 * weights (64 channels x kdim) stay in L2 with room to spare, else 2. */
static int oc_panels(const cort_conv_geom *g, int64_t m, int64_t kdim) {
    return g->out[1] <= 7 && m > 32 && kdim <= 3072 ? 4 : 2;
}

int64_t cort_conv_oc_units(const cort_conv_geom *g, int64_t m, int64_t kdim) {
    int nv = oc_panels(g, m, kdim);
    int64_t maxp = nv == 4 ? 7 : 14, group = nv * OC_PANEL;
    return (m + group - 1) / group * g->out[0] * ((g->out[1] + maxp - 1) / maxp);
}

void cort_conv_oc_part(const cort_conv_geom *g, int64_t m, int64_t kdim, const int64_t *off, const float *padded,
                       const float *packed, const cort_sgemm_epilogue *ep, int64_t u0, int64_t u1, float *y) {
#ifdef HAVE_X86_DIRECT
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    direct_act d = direct_act_of(ep);
    int nv = oc_panels(g, m, kdim);
    cort_x86_conv_oc_avx512(g, kdim, off, m, padded, wq, packed, ep ? ep->bias : NULL, d.clamp, d.lo, d.hi, nv, u0, u1,
                            y);
    if (d.clamp || d.act == CORT_ACT_NONE) return;
    int64_t maxp = nv == 4 ? 7 : 14, chunks = (g->out[1] + maxp - 1) / maxp, per_group = g->out[0] * chunks;
    int64_t ow = g->out[1], plane = g->out[0] * ow;
    for (int64_t u = u0; u < u1; u++) { /* the other activations over each tile's outputs */
        int64_t grp = u / per_group, oy = (u % per_group) / chunks, ch = u % chunks;
        int64_t x0 = ch * ow / chunks, x1 = (ch + 1) * ow / chunks, mb = grp * nv * OC_PANEL;
        for (int64_t c = mb; c < m && c < mb + nv * OC_PANEL; c++)
            cort_activation_apply(ep, y + c * plane + oy * ow + x0, x1 - x0);
    }
#else
    (void)g, (void)m, (void)kdim, (void)off, (void)padded, (void)packed, (void)ep, (void)u0, (void)u1, (void)y;
#endif
}
