/* Row kernels of the transformer blocks: GELU (the erf form and the tanh approximation) in one pass,
 * LayerNormalization of rows and the softmax of attention score rows. Each entry picks, per call, the
 * widest variant this CPU runs (AVX-512 on x86-64, else the portable one); the variants agree to a few
 * float ulp. x may equal y (in-place use). */
#ifndef CORT_KERNELS_TRANSFORMER_H
#define CORT_KERNELS_TRANSFORMER_H
#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* y[i] = x[i] * 0.5 * (1 + erf(x[i] / sqrt 2)) */
void cort_gelu(const float *x, float *y, int64_t n);
/* y[i] = x[i] * 0.5 * (1 + tanh(sqrt(2 / pi) * (x[i] + 0.044715 x[i]^3))) */
void cort_fast_gelu(const float *x, float *y, int64_t n);
/* For each of `rows` rows of n values (consecutive): y = GELU(y + bias), the tanh approximation when
 * `tanh_form`; bias (n values) may be NULL. A GEMM's bias and activation in one pass over its output. */
void cort_bias_gelu_rows(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form);
/* For each of `rows` rows of n values (consecutive): y = (x - mean) / sqrt(variance + epsilon) * scale
 * + bias, the mean and (biased) variance over the row; bias may be NULL. */
void cort_layernorm_rows(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                         int64_t n, float *y);
/* Each of `rows` rows of n values, ld apart, becomes its softmax, in place. With inv_sum (rows values)
 * the rows are left as e^(x - row max) and inv_sum[r] receives 1 / the sum of row r, for a caller that
 * scales fewer values later (attention: the rows of scores x V). */
void cort_softmax_rows(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum);

/* A per-column epilogue of a GEMM (a projection's bias, then optionally GELU), applied by the thread
 * that computed each block of C while the block is still in its cache: C = act(A * op(B) + bias[col]). */
typedef struct cort_sgemm_col_epilogue {
    const float *bias; /* one value per column of C (n values), or NULL */
    bool gelu;         /* apply GELU after the bias */
    bool tanh_form;    /* GELU's tanh approximation (FastGelu) instead of its erf form */
} cort_sgemm_col_epilogue;
/* C = act(A * op(B) + bias) for a plain row-major A (m x k, lda), B packed beforehand by
 * cort_sgemm_pack_b (packed_b) or a plain B (b, ldb, trans_b; packed_b NULL), C overwritten (beta 0).
 * `work`: cort_sgemm_col_ep_mt_work_size(m, n, k, threads, packed_b != NULL) bytes. */
size_t cort_sgemm_col_ep_mt_work_size(int64_t m, int64_t n, int64_t k, int threads, bool b_packed);
void cort_sgemm_col_ep_mt(const cort_threads *th, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                          const float *packed_b, bool trans_b, const float *b, int64_t ldb, float *c, int64_t ldc,
                          const cort_sgemm_col_epilogue *ep, void *work);

/* One variant of every entry, for the dispatcher and for tests that compare variants. */
typedef struct cort_transformer_impl {
    const char *name;
    void (*gelu)(const float *x, float *y, int64_t n);
    void (*fast_gelu)(const float *x, float *y, int64_t n);
    void (*bias_gelu_rows)(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form);
    void (*layernorm_rows)(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                           int64_t n, float *y);
    void (*softmax_rows)(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum);
} cort_transformer_impl;
/* The variants this CPU runs, widest first, ending with the portable one; returns their count. */
int cort_transformer_impls(const cort_transformer_impl **out, int max);
#endif
