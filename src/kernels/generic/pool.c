/* 2-D MaxPool and AveragePool of one plane, separably (see pool_rows.h): per output row, the window's
 * input rows are reduced column by column into a padded row (a loop compilers vectorise), then each
 * output reduces its k_w entries of that row: k_h + k_w operations per output instead of k_h * k_w, and
 * no bounds tests. The x86 kernels (x86/pool_avx512.c, x86/pool_avx2.c) do the same with vectors for
 * the second step too; this plain C one is the reference and serves every other target. */
#include <math.h>

#include "kernels/generic/pool_rows.h"
#include "kernels/kernels.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define CORT_POOL_X86 1
#endif

typedef void (*pool2d_fn)(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1);

bool cort_pool2d_ok(const cort_pool2d *p) {
    if (p->in_h < 1 || p->in_w < 1 || p->out_h < 1 || p->out_w < 1 || p->k_h < 1 || p->k_w < 1)
        return false;
    if (p->stride_h < 1 || p->stride_w < 1 || p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 ||
        p->pad_right < 0)
        return false;
    if (p->k_w > CORT_POOL2D_MAX_COLS || p->pad_left > CORT_POOL2D_MAX_COLS || p->in_w > CORT_POOL2D_MAX_COLS ||
        p->out_w > CORT_POOL2D_MAX_COLS || p->stride_w > CORT_POOL2D_MAX_COLS)
        return false;
    return cort_pool2d_cols(p) <= CORT_POOL2D_MAX_COLS;
}

/* Max skips NaN, as `v > m ? v : m` from -inf does. */
static void reduce_rows(const cort_pool2d *p, const float *x, int64_t lo, int64_t hi, float *col) {
    int64_t w = p->in_w;
    if (p->is_max) {
        for (int64_t c = 0; c < w; c++) col[c] = -INFINITY;
        for (int64_t r = lo; r < hi; r++) {
            const float *row = x + r * w;
            for (int64_t c = 0; c < w; c++) col[c] = row[c] > col[c] ? row[c] : col[c];
        }
    } else {
        for (int64_t c = 0; c < w; c++) col[c] = 0.0f;
        for (int64_t r = lo; r < hi; r++) {
            const float *row = x + r * w;
            for (int64_t c = 0; c < w; c++) col[c] += row[c];
        }
    }
}

static void generic_pool2d(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1) {
    float buf[CORT_POOL2D_MAX_COLS];
    int64_t cols = cort_pool2d_cols(p), kw = p->k_w, sw = p->stride_w;
    float init = p->is_max ? -INFINITY : 0.0f;
    for (int64_t c = 0; c < p->pad_left; c++) buf[c] = init;
    for (int64_t c = p->pad_left + p->in_w; c < cols; c++) buf[c] = init;
    for (int64_t i = r0; i < r1; i++) {
        int64_t lo, hi;
        float row_scale;
        cort_pool2d_row(p, i, &lo, &hi, &row_scale);
        reduce_rows(p, x, lo, hi, buf + p->pad_left);
        float *out = y + i * p->out_w;
        for (int64_t j = 0; j < p->out_w; j++) {
            const float *c = buf + j * sw;
            if (p->is_max) {
                float m = c[0]; /* the row holds no NaN: the column maxima skipped them */
                for (int64_t t = 1; t < kw; t++) m = c[t] > m ? c[t] : m;
                out[j] = m;
            } else {
                float s = 0.0f;
                for (int64_t t = 0; t < kw; t++) s += c[t];
                out[j] = s * row_scale * cort_pool2d_col_scale(p, j);
            }
        }
    }
}

/* The SIMD kernel of `variant` (1 AVX2, 2 AVX-512, 3 the widest this CPU runs), or NULL. */
static pool2d_fn simd_kernel(int variant) {
#ifdef CORT_POOL_X86
    __builtin_cpu_init();
    if ((variant == 2 || variant == 3) && __builtin_cpu_supports("avx512f")) return cort_x86_pool2d_avx512;
    if ((variant == 1 || variant == 3) && __builtin_cpu_supports("avx2")) return cort_x86_pool2d_avx2;
#else
    (void)variant;
#endif
    return NULL;
}

void cort_pool2d_rows(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1) {
    pool2d_fn simd = simd_kernel(3);
    if (simd) simd(p, x, y, r0, r1);
    else generic_pool2d(p, x, y, r0, r1);
}

bool cort_pool2d_rows_variant(int variant, const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1) {
    if (variant == 0) {
        generic_pool2d(p, x, y, r0, r1);
        return true;
    }
    pool2d_fn simd = variant == 3 ? NULL : simd_kernel(variant);
    if (simd) simd(p, x, y, r0, r1);
    return simd != NULL;
}

/* Sixteen float partial sums (which compilers keep in one vector register) per block of a few
 * thousand elements, the blocks added in double: vector speed, and the error of a short float sum. */
enum { SUM_LANES = 16, SUM_BLOCK = 4096 };

double cort_plane_sum(const float *x, int64_t size) {
    double total = 0;
    for (int64_t b = 0; b < size; b += SUM_BLOCK) {
        int64_t end = b + SUM_BLOCK < size ? b + SUM_BLOCK : size, i = b;
        float acc[SUM_LANES] = {0};
        for (; i + SUM_LANES <= end; i += SUM_LANES)
            for (int q = 0; q < SUM_LANES; q++) acc[q] += x[i + q];
        float s = 0;
        for (; i < end; i++) s += x[i];
        for (int q = 0; q < SUM_LANES; q++) s += acc[q];
        total += s;
    }
    return total;
}
