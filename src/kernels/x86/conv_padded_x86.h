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

/* Small images (rows under 32 columns) are computed in units of one panel of CORT_PADDED_DIRECT_MR
 * channels by 32 columns of the padded grid, `panels` x `tiles` of them. Deep filters go panel by
 * panel (a panel of weights stays in L1 while the image streams from L2), shallow ones tile by tile
 * (a tile's rows of the image stay in L1 for every panel); threads take contiguous runs of units. */
static inline void cort_padded_direct_unit(int64_t u, int64_t kdim, int64_t panels, int64_t tiles, int64_t *panel,
                                           int64_t *tile) {
    bool panel_outer = kdim > 256;
    *panel = panel_outer ? u / tiles : u % panels;
    *tile = panel_outer ? u % tiles : u / panels;
}

/* Output rows [r0, r1) of all m channels of y (NCHW planes of g->out), from the phase planes of
 * cort_conv_pad_image (hq x wq each) and weights packed in panels of CORT_PADDED_DIRECT_MR channels,
 * kdim k-major; adds bias (NULL: none) and clamps to [lo, hi] when `clamp`. `off` holds each k row's
 * offset in `padded`. */
void cort_x86_conv_padded_direct_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                                        const float *padded, int64_t wq, const float *wpk, const float *bias,
                                        bool clamp, float lo, float hi, int64_t r0, int64_t r1, float *y);
/* Small images (g->out[1] < 32): units [u0, u1) of cort_padded_direct_unit over the whole grid
 * ((out[0] - 1) * wq + out[1] columns), arguments otherwise as above. */
void cort_x86_conv_padded_direct_units_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                                              const float *padded, int64_t wq, const float *wpk, const float *bias,
                                              bool clamp, float lo, float hi, int64_t u0, int64_t u1, float *y);

/* Output channels in the lanes (conv_oc_avx512.c): units [u0, u1) of (group of nv * 16 channels,
 * output row, chunk of at most 14 (nv 2) or 7 (nv 4) columns), group-major; weights in panels of 16
 * channels, kdim-major, zero-padded to a multiple of 64 channels; `off` and `padded` as above. */
void cort_x86_conv_oc_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                             const float *padded, int64_t wq, const float *wpk, const float *bias, bool clamp,
                             float lo, float hi, int nv, int64_t u0, int64_t u1, float *y);

#endif
