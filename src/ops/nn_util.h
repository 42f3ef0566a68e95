/* Helpers the neural-network op families (conv, gemm, pool, norm) share: inputs, float views of
 * float-family tensors through scratch memory, integer-list attributes, the kernel library's threads. */
#ifndef CORT_OPS_NN_UTIL_H
#define CORT_OPS_NN_UTIL_H
#include "kernels/kernels.h"
#include "ops/op.h"

/* The session's threads as the kernel library takes them. */
cort_threads cort_nn_threads(cort_kctx *ctx);
/* Input i as a tensor, or an error naming it. */
cort_status *cort_nn_input(const cort_kctx *ctx, int i, const char *name, const cort_tensor **t);
/* Scratch memory of `bytes` (at least 1), or an error. */
cort_status *cort_nn_scratch(cort_kctx *ctx, size_t bytes, void **out);
/* Scratch for n floats; refuses counts beyond CORT_MAX_ELEMENTS. */
cort_status *cort_nn_scratch_f32(cort_kctx *ctx, int64_t n, float **out);
/* The elements of a float-family tensor as float: its own data for float, else a converted copy. */
cort_status *cort_nn_as_f32(cort_kctx *ctx, const cort_tensor *t, const float **out);
/* Where to compute a float-family output: its own data for float, else scratch (see cort_nn_finish_f32). */
cort_status *cort_nn_output_f32(cort_kctx *ctx, cort_tensor *y, float **out);
/* Stores a float result computed by cort_nn_output_f32 into a non-float float-family y. */
void cort_nn_finish_f32(cort_tensor *y, const float *buf);
typedef enum cort_auto_pad { CORT_PAD_NOTSET, CORT_PAD_SAME_UPPER, CORT_PAD_SAME_LOWER, CORT_PAD_VALID } cort_auto_pad;

/* Bound on window attributes that keeps every position computation inside int64. */
#define CORT_NN_ATTR_MAX (INT64_C(1) << 31)

/* A sliding window's attributes (Conv, ConvTranspose, the pools): auto_pad, and kernel_shape, strides,
 * dilations (each at most CORT_CONV_MAX_SPATIAL values, count -1 when absent) and pads (twice that),
 * each value checked against CORT_NN_ATTR_MAX. */
typedef struct cort_nn_window {
    cort_auto_pad pad_mode;
    int n_kernel, n_strides, n_dilations, n_pads;
    int64_t kernel[CORT_CONV_MAX_SPATIAL], strides[CORT_CONV_MAX_SPATIAL], dilations[CORT_CONV_MAX_SPATIAL];
    int64_t pads[2 * CORT_CONV_MAX_SPATIAL];
} cort_nn_window;
cort_status *cort_nn_read_window(const cort_node *node, cort_nn_window *w);

/* An ints attribute of at most `max` values into dst; *n = -1 when absent. */
cort_status *cort_nn_read_ints(const cort_node *node, const char *name, int max, int64_t *dst, int *n);
#endif
