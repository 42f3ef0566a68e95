/* The AArch64 NEON kernels as the generic drivers call them: the SGEMM micro-kernel (sgemm_neon.c),
 * the depthwise 3x3 / 5x5 convolution (conv_dw_neon.c) and the vector math (vec_neon.c). NEON is part of
 * every AArch64 CPU, so these are chosen at compile time (under __aarch64__), not by CPU tests. */
#ifndef CORT_KERNELS_ARM_NEON_H
#define CORT_KERNELS_ARM_NEON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* SGEMM micro-kernel tile: 12 rows of A by 8 columns of B (24 of the 32 vector registers hold the
 * tile). For a packed A block (mc rows as 12-row micro-panels, kc deep) and a packed B block (nc
 * columns as 8-column micro-panels), C[mc x nc] = A * B combined with C as `st` (kernels.h) says. */
enum { CORT_NEON_SGEMM_MR = 12, CORT_NEON_SGEMM_NR = 8 };
void cort_sgemm_block_neon(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                           int64_t ldc, const cort_sgemm_store *st);

/* Depthwise convolution (cort_depthwise, kernels.h) of channels [c_begin, c_end): 2-D, square 3x3 or
 * 5x5, equal strides of 1 or 2, no dilation, padding smaller than the kernel, as
 * cort_neon_depthwise_ok says; `work` holds cort_neon_depthwise_work_size(g) bytes. */
bool cort_neon_depthwise_ok(const cort_conv_geom *g);
size_t cort_neon_depthwise_work_size(const cort_conv_geom *g);
void cort_neon_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                         int64_t c_begin, int64_t c_end, float *y, void *work);

/* The vector math variant (vecmath.h's cort_vecmath_impl entries). */
void cort_vexp_neon(const float *x, float *y, int64_t n);
void cort_vsigmoid_neon(const float *x, float *y, int64_t n);
void cort_vtanh_neon(const float *x, float *y, int64_t n);
void cort_verf_neon(const float *x, float *y, int64_t n);
void cort_vsilu_neon(const float *x, float *y, int64_t n);
void cort_sgemv_rows_neon(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);

#endif
