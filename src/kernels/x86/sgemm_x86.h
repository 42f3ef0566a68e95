/* The x86 SGEMM micro-kernels (sgemm_avx512.c, sgemm_avx2.c) as sgemm.c drives them, and the x86
 * depthwise convolution (conv_dw_avx512.c). Each block function computes, for a packed A block
 * (mc rows as mr-row micro-panels, kc deep) and a packed B block (nc columns as nr-column
 * micro-panels), C[mc x nc] = A * B combined with C as `st` (kernels.h) says. Callers check the CPU first. */
#ifndef CORT_KERNELS_X86_SGEMM_X86_H
#define CORT_KERNELS_X86_SGEMM_X86_H
#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"


void cort_sgemm_block_avx512(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                             int64_t ldc, const cort_sgemm_store *st);
/* The same with B read in place: row p of the block's B at b + p * ldb (nc columns, any nc); `edge`
 * is scratch of kc * nr floats for the last, narrower column panel. */
void cort_sgemm_block_direct_avx512(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *b,
                                    int64_t ldb, float *c, int64_t ldc, const cort_sgemm_store *st, float *edge);
/* One 12-row micro-panel of alpha * A (A not transposed, `rows` <= 12 of it, the rest zero), kc deep. */
void cort_sgemm_pack_a_avx512(const float *a, int64_t lda, int64_t rows, int64_t kc, float alpha, float *out);
void cort_sgemm_block_avx2(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                           int64_t ldc, const cort_sgemm_store *st);
void cort_sgemm_block_direct_avx2(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *b, int64_t ldb,
                                  float *c, int64_t ldc, const cort_sgemm_store *st, float *edge);

#endif
