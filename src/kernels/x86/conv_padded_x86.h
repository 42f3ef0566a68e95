/* The x86 kernel of the direct padded-image convolution (conv_padded_avx512.c); the dispatch and the
 * weight layout live in src/kernels/generic/conv_padded.c. */
#ifndef CORT_KERNELS_X86_CONV_PADDED_X86_H
#define CORT_KERNELS_X86_CONV_PADDED_X86_H
#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* Output channels per weight panel of the direct kernel (the panel layout of
 * cort_conv_padded_direct_pack_weights). */
enum { CORT_PADDED_DIRECT_MR = 8 };

/* Output rows [r0, r1) of all m channels of y (NCHW planes of g->out), from the phase planes of
 * cort_conv_pad_image (hq x wq each) and weights packed in panels of CORT_PADDED_DIRECT_MR channels,
 * kdim k-major; adds bias (NULL: none) and clamps to [lo, hi] when `clamp`. `off` holds each k row's
 * offset in `padded`. */
void cort_x86_conv_padded_direct_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                                        const float *padded, int64_t wq, const float *wpk, const float *bias,
                                        bool clamp, float lo, float hi, int64_t r0, int64_t r1, float *y);

#endif
