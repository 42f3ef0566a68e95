/* The WebAssembly SIMD128 kernels (src/kernels/wasm) as the generic drivers call them: the SGEMM
 * micro-kernel (sgemm.c), the depthwise 3x3 / 5x5 convolution (conv_dw_wasm.c) and the vector math
 * (vecmath.c). Built only by emscripten with -msimd128 (CMakeLists.txt). */
#ifndef CORT_KERNELS_WASM_WASM_KERNELS_H
#define CORT_KERNELS_WASM_WASM_KERNELS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* Micro-tile of the SGEMM kernel: CORT_WASM_SGEMM_MR rows x CORT_WASM_SGEMM_NR columns. */
#define CORT_WASM_SGEMM_MR 4
#define CORT_WASM_SGEMM_NR 8

/* C[mc x nc] = packed A block (mr-row micro-panels, kc deep) * packed B block (nr-column micro-panels),
 * combined with C as `st` says (kernels.h: cort_sgemm_store). */
void cort_sgemm_block_wasm(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                           int64_t ldc, const cort_sgemm_store *st);

/* Depthwise 3x3 and 5x5 convolution (stride 1 or 2, dilation 1, 2-D): channels [c_begin, c_end) of
 * cort_depthwise (kernels.h), for geometries cort_wasm_depthwise_ok accepts. `work` holds
 * cort_wasm_depthwise_work_size(g) bytes (one padded channel, reused channel after channel). */
bool cort_wasm_depthwise_ok(const cort_conv_geom *g);
size_t cort_wasm_depthwise_work_size(const cort_conv_geom *g);
void cort_wasm_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                         int64_t c_begin, int64_t c_end, float *y, void *work);

/* The vector math (kernels/vecmath.h) in SIMD128. */
void cort_vexp_wasm(const float *x, float *y, int64_t n);
void cort_vsigmoid_wasm(const float *x, float *y, int64_t n);
void cort_vtanh_wasm(const float *x, float *y, int64_t n);
void cort_verf_wasm(const float *x, float *y, int64_t n);
void cort_vsilu_wasm(const float *x, float *y, int64_t n);
void cort_sgemv_rows_wasm(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);

#endif
