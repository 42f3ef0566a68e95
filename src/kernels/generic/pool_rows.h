/* Window geometry the 2-D pooling kernels share (generic/pool.c, x86/pool_avx512.c, x86/pool_avx2.c).
 * Every kernel works an output row at a time, separably: the window's input rows are first reduced
 * column by column into a row of `cols` floats whose left padding and right tail hold the reduction's
 * identity (-inf for max, 0 for sums), so that output j then reduces entries [j * stride_w, + k_w) of
 * that row with no bounds tests at all. Plain C, internal to src/kernels. */
#ifndef CORT_KERNELS_GENERIC_POOL_ROWS_H
#define CORT_KERNELS_GENERIC_POOL_ROWS_H
#include <stdint.h>

#include "kernels/kernels.h"

/* Floats past `cols` that the vector kernels' loads may reach (two 16-float vectors' worth). */
enum { CORT_POOL2D_SLACK = 64 };

/* Width of the padded row of column reductions: the image after its left padding, or as far as the
 * last window reaches, whichever is more. */
static inline int64_t cort_pool2d_cols(const cort_pool2d *p) {
    int64_t image = p->pad_left + p->in_w, reach = (p->out_w - 1) * p->stride_w + p->k_w;
    return image > reach ? image : reach;
}

/* Count of positions [start, start + k) inside [0, in) and inside the padded extent [-pad_begin, in +
 * pad_end) (start is never before -pad_begin). */
static inline int64_t cort_pool2d_inside(int64_t start, int64_t k, int64_t in) {
    int64_t lo = start > 0 ? start : 0, hi = start + k < in ? start + k : in;
    return hi > lo ? hi - lo : 0;
}
static inline int64_t cort_pool2d_inside_padded(int64_t start, int64_t k, int64_t in, int64_t pad_end) {
    int64_t end = in + pad_end - start;
    return end <= 0 ? 0 : end < k ? end : k;
}

/* Output row i's input rows [*lo, *hi) and, for average, the factor its sums take from the rows
 * (1 / rows counted, 0 when none are). */
static inline void cort_pool2d_row(const cort_pool2d *p, int64_t i, int64_t *lo, int64_t *hi, float *scale) {
    int64_t start = i * p->stride_h - p->pad_top;
    *lo = start > 0 ? start : 0;
    *hi = start + p->k_h < p->in_h ? start + p->k_h : p->in_h;
    if (*hi < *lo) *hi = *lo;
    int64_t count = p->count_include_pad ? cort_pool2d_inside_padded(start, p->k_h, p->in_h, p->pad_bottom)
                                         : *hi - *lo;
    *scale = count > 0 ? 1.0f / (float)count : 0.0f;
}

/* Output column j's share of the average's divisor (1 / columns counted, 0 when none are). */
static inline float cort_pool2d_col_scale(const cort_pool2d *p, int64_t j) {
    int64_t start = j * p->stride_w - p->pad_left;
    int64_t count = p->count_include_pad ? cort_pool2d_inside_padded(start, p->k_w, p->in_w, p->pad_right)
                                         : cort_pool2d_inside(start, p->k_w, p->in_w);
    return count > 0 ? 1.0f / (float)count : 0.0f;
}

/* The x86 kernels (the caller checks the CPU and cort_pool2d_ok). */
void cort_x86_pool2d_avx512(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1);
void cort_x86_pool2d_avx2(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1);
#endif
