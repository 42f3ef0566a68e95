/* The kernel library: math on raw buffers. Kernels know nothing of graphs, nodes or tensors; the
 * operator layer (src/ops) validates shapes and hands them plain pointers, sizes and strides.
 * Matrices are row-major with an explicit leading dimension (elements between rows). */
#ifndef CORT_KERNELS_KERNELS_H
#define CORT_KERNELS_KERNELS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cort/cort.h"

/* ------------------------------------------------------------- conversion
 * Element conversion between float and the other floating types (CORT_FLOAT, CORT_DOUBLE,
 * CORT_FLOAT16, CORT_BFLOAT16), so kernels written for float serve them all. Return false, converting
 * nothing, for any other type. */
bool cort_convert_to_f32(int32_t type, const void *src, int64_t n, float *dst);
bool cort_convert_from_f32(int32_t type, const float *src, int64_t n, void *dst);
static inline bool cort_is_float_type(int32_t type) {
    return type == CORT_FLOAT || type == CORT_DOUBLE || type == CORT_FLOAT16 || type == CORT_BFLOAT16;
}

/* ------------------------------------------------------------------ threads
 * Kernels that split their work take this small interface instead of a thread pool: `parallel_for`
 * calls fn(arg, begin, end) over disjoint chunks covering [0, n) and returns when all are done (it may
 * run them serially). `count` is how many threads may run at once (>= 1). */
typedef void (*cort_task_fn)(void *arg, int64_t begin, int64_t end);
typedef struct cort_threads {
    void (*parallel_for)(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg);
    void *self;
    int count;
} cort_threads;

/* ------------------------------------------------------------------ SGEMM
 * C[m x n] = alpha * op(A) * op(B) + beta * C, where op(A) is m x k (A is k x m when trans_a) and
 * op(B) is k x n (B is n x k when trans_b). When beta == 0, C is only written, never read, so it may
 * be uninitialised. `work` is scratch of at least cort_sgemm_work_size(m, n, k) bytes, 64-byte aligned
 * preferred. */
size_t cort_sgemm_work_size(int64_t m, int64_t n, int64_t k);
void cort_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work);

/* cort_sgemm with micro-kernel `variant` (0 portable C, 1 AVX2+FMA, 2 AVX-512), so tests can cover
 * every variant the CPU runs; false, computing nothing, when this CPU or build lacks it. */
bool cort_sgemm_variant(int variant, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                        void *work);

/* The same, split over up to th->count threads along the larger of m and n; `work` must hold
 * cort_sgemm_mt_work_size(m, n, k, th->count) bytes. th may be NULL (single-threaded). */
size_t cort_sgemm_mt_work_size(int64_t m, int64_t n, int64_t k, int threads);
void cort_sgemm_mt(const cort_threads *th, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                   float *c, int64_t ldc, void *work);

/* Constant A operands (convolution weights) can be packed once: cort_sgemm_pack_a fills
 * cort_sgemm_packed_a_size(m, k) bytes with op(A) (m x k) in the micro-kernel's layout, and
 * cort_sgemm_packed_mt computes C = packed A * op(B) + beta * C with it (alpha 1). */
size_t cort_sgemm_packed_a_size(int64_t m, int64_t k);
void cort_sgemm_pack_a(bool trans_a, int64_t m, int64_t k, const float *a, int64_t lda, float *packed);
void cort_sgemm_packed_mt(const cort_threads *th, const float *packed_a, int64_t m, int64_t n, int64_t k,
                          bool trans_b, const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work);

/* Likewise for a constant B (fully-connected weights): cort_sgemm_pack_b fills
 * cort_sgemm_packed_b_size(k, n) bytes with op(B) (k x n), and cort_sgemm_packed_b_mt computes
 * C = alpha * op(A) * packed B + beta * C, splitting rows across threads. Both packed forms take
 * `work` of cort_sgemm_mt_work_size(m, n, k, threads) bytes; packed B needs only
 * cort_sgemm_packed_b_mt_work_size(m, n, k, threads), which is smaller. */
size_t cort_sgemm_packed_b_size(int64_t k, int64_t n);
size_t cort_sgemm_packed_b_mt_work_size(int64_t m, int64_t n, int64_t k, int threads);
void cort_sgemm_pack_b(bool trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, float *packed);
void cort_sgemm_packed_b_mt(const cort_threads *th, bool trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *a, int64_t lda, const float *packed_b, float beta, float *c, int64_t ldc,
                            void *work);

/* B supplied by a packing function instead of a matrix (im2col straight into the micro-panels):
 * pack(src, p0, kc, j0, nc, nr, out) writes op(B)[p0 .. p0+kc, j0 .. j0+nc) as nr-column micro-panels,
 * each kc x nr k-major, the last zero-padded to nr columns. cort_sgemm_gather_b_mt computes
 * C = A * B + beta * C with A packed (packed_a, from cort_sgemm_pack_a) or plain (a, lda; packed_a
 * NULL); `work` as for cort_sgemm_mt. */
typedef void (*cort_pack_b_fn)(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                               float *out);
void cort_sgemm_gather_b_mt(const cort_threads *th, const float *packed_a, const float *a, int64_t lda, int64_t m,
                            int64_t n, int64_t k, cort_pack_b_fn pack, const void *pack_src, float beta, float *c,
                            int64_t ldc, void *work);

/* An epilogue fused into the GEMM's store, so Conv/Gemm + bias + activation cost no extra pass over C:
 * C = (product + beta * C) + bias[row], then the activation. The piecewise-linear activations (RELU,
 * CLIP, LEAKY_RELU) are applied in the micro-kernel's store; the others right after each block of C
 * is finished, while it is still in cache. */
typedef enum cort_activation {
    CORT_ACT_NONE = 0,
    CORT_ACT_RELU,         /* max(v, 0) */
    CORT_ACT_CLIP,         /* min(max(v, lo), hi); Relu6 is CLIP with [0, 6] */
    CORT_ACT_LEAKY_RELU,   /* v < 0 ? alpha * v : v */
    CORT_ACT_SIGMOID,      /* 1 / (1 + e^-v) */
    CORT_ACT_HARD_SIGMOID, /* max(0, min(1, alpha * v + beta)) */
    CORT_ACT_HARD_SWISH,   /* v * max(0, min(1, v / 6 + 1 / 2)) */
    CORT_ACT_TANH,         /* tanh(v) */
    CORT_ACT_SILU,         /* v * sigmoid(v) (Swish) */
} cort_activation;
typedef struct cort_sgemm_epilogue {
    const float *bias; /* one value per row of C (m values), or NULL */
    cort_activation act;
    float lo, hi;      /* CORT_ACT_CLIP bounds */
    float alpha, beta; /* CORT_ACT_LEAKY_RELU alpha; CORT_ACT_HARD_SIGMOID alpha and beta */
} cort_sgemm_epilogue;

/* y[i] = act(y[i]) for n values, with ep's activation and parameters (ep->bias is not used). */
void cort_activation_apply(const cort_sgemm_epilogue *ep, float *y, int64_t n);

/* The threaded entry points above with an epilogue (ep may be NULL: none). */
void cort_sgemm_mt_ep(const cort_threads *th, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                      int64_t ldc, const cort_sgemm_epilogue *ep, void *work);
void cort_sgemm_packed_mt_ep(const cort_threads *th, const float *packed_a, int64_t m, int64_t n, int64_t k,
                             bool trans_b, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                             const cort_sgemm_epilogue *ep, void *work);
void cort_sgemm_gather_b_mt_ep(const cort_threads *th, const float *packed_a, const float *a, int64_t lda, int64_t m,
                               int64_t n, int64_t k, cort_pack_b_fn pack, const void *pack_src, float beta, float *c,
                               int64_t ldc, const cort_sgemm_epilogue *ep, void *work);
/* cort_sgemm_variant with an epilogue, for tests. */
bool cort_sgemm_variant_ep(int variant, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                           const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                           int64_t ldc, const cort_sgemm_epilogue *ep, void *work);

/* The contract between the SGEMM driver and its micro-kernels (src/kernels/generic/sgemm.c and
 * src/kernels/x86): how a finished tile meets C. C = acc + beta * C (beta 0: C is not read), then,
 * when `bias` is set, + bias[row of the block], then, when `clamp`, clamped to [lo, hi]. The driver
 * passes bias and clamp only with the last k block. */
typedef struct cort_sgemm_store {
    float beta;
    const float *bias;
    bool clamp;
    float lo, hi;
} cort_sgemm_store;

/* Double-precision GEMM with the same conventions (a plain loop nest; no workspace). */
void cort_dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
                int64_t lda, const double *b, int64_t ldb, double beta, double *c, int64_t ldc);

/* ------------------------------------------------------------------ pooling
 * 2-D MaxPool / AveragePool of one plane without dilation (src/kernels/generic/pool.c, x86/pool_*.c):
 * output (i, j) reduces input rows [i * stride_h - pad_top, + k_h) and columns [j * stride_w - pad_left,
 * + k_w) that lie inside the image. Max skips NaN and gives -inf for a window with no input; average
 * divides by the in-image count, or with count_include_pad by the count inside the padded extent
 * (pad_bottom, pad_right end it; ceil_mode windows may reach past it), and gives 0 for a count of 0. */
enum { CORT_POOL2D_MAX_COLS = 4096 }; /* widest padded row the kernels take (a row of sums on the stack) */
typedef struct cort_pool2d {
    int64_t in_h, in_w, out_h, out_w;
    int64_t k_h, k_w, stride_h, stride_w;
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    bool is_max, count_include_pad;
    bool stream; /* the planes come from memory rather than cache: read the next output row's rows ahead */
} cort_pool2d;
/* Whether the kernels take this geometry (positive sizes, windows no wider than the padded row, rows
 * within CORT_POOL2D_MAX_COLS). */
bool cort_pool2d_ok(const cort_pool2d *p);
/* Output rows [r0, r1) of one plane: x holds in_h x in_w floats, y out_h x out_w. */
void cort_pool2d_rows(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1);
/* cort_pool2d_rows by `variant` (0 portable C, 1 AVX2, 2 AVX-512), so tests can cover every variant the
 * CPU runs; false, computing nothing, when this CPU or build lacks it. */
bool cort_pool2d_rows_variant(int variant, const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1);
/* The sum of x[0..n) (GlobalAveragePool, SqueezeExcite): float partial sums in blocks added in double. */
double cort_plane_sum(const float *x, int64_t n);

/* y[i] = x[i] * a + b for n floats (src/kernels/generic/scale_shift.c), then with `relu` max(y, 0) (NaN
 * passes, as Relu's); x and y do not overlap. */
void cort_scale_shift(const float *x, int64_t n, float a, float b, bool relu, float *y);

/* ------------------------------------------------------------- convolution
 * Geometry of one convolution's spatial part (batch and channels are the caller's business). `in` is
 * the spatial size of the image the kernel slides over, `out` the number of positions it takes;
 * positions are out_i * stride - pad_begin + kernel_i * dilation, and ones outside [0, in) read zero. */
#define CORT_CONV_MAX_SPATIAL 8
typedef struct cort_conv_geom {
    int spatial; /* number of spatial dimensions, 1..CORT_CONV_MAX_SPATIAL */
    int64_t in[CORT_CONV_MAX_SPATIAL];
    int64_t out[CORT_CONV_MAX_SPATIAL];
    int64_t kernel[CORT_CONV_MAX_SPATIAL];
    int64_t stride[CORT_CONV_MAX_SPATIAL];
    int64_t dilation[CORT_CONV_MAX_SPATIAL];
    int64_t pad_begin[CORT_CONV_MAX_SPATIAL];
} cort_conv_geom;

/* Products of in / out / kernel sizes. */
int64_t cort_conv_in_size(const cort_conv_geom *g);
int64_t cort_conv_out_size(const cort_conv_geom *g);
int64_t cort_conv_kernel_size(const cort_conv_geom *g);

/* Column matrix rows [row_begin, row_end) of im2col: row r = c * kernel_size + kernel offset, one
 * column per output position (leading dimension out_size). `x` is channels x in_size. */
void cort_im2col(const cort_conv_geom *g, const float *x, int64_t row_begin, int64_t row_end, float *col);
/* The adjoint: adds each element of the column matrix (rows [row_begin, row_end), row = c *
 * kernel_size + offset) into the image position it was read from; `y` is channels x in_size. Rows of
 * one channel must not be split between concurrent calls. */
void cort_col2im_add(const cort_conv_geom *g, const float *col, int64_t row_begin, int64_t row_end, float *y);

/* A cort_pack_b_fn reading the column matrix of im2col from the image without storing it; `src` is a
 * cort_im2col_source. */
typedef struct cort_im2col_source {
    const cort_conv_geom *geom;
    const float *x; /* channels x in_size */
} cort_im2col_source;
void cort_im2col_pack(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out);

/* ------------------------------------------------------- depthwise convolution
 * One filter per channel: for c in [c_begin, c_end), y[c] (out_size values) = act(x[c] (in_size
 * values) convolved with w[c] (kernel_size values) + bias[c]), where ep gives the bias (one value per
 * channel, or NULL) and the activation with its parameters (ep NULL: neither). The activation is
 * applied before the store where the kernel can (the piecewise ones), else over each finished
 * channel. `work` holds cort_depthwise_work_size(g) bytes (64-byte aligned preferred; the size may be
 * 0), reused channel after channel, so concurrent calls each need their own; NULL selects a slower
 * path without scratch. x, w and y point at channel 0. A negative pad_begin is allowed (outputs that
 * start past the input, as in a block of rows cut from a larger convolution). */
size_t cort_depthwise_work_size(const cort_conv_geom *g);
void cort_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                    int64_t c_begin, int64_t c_end, float *y, void *work);
/* cort_depthwise by `variant` (0 portable C, 1 AVX2+FMA, 2 AVX-512), so tests can cover every variant
 * the CPU runs; false, computing nothing, when this CPU, build or geometry lacks it. */
bool cort_depthwise_variant(int variant, const cort_conv_geom *g, const float *x, const float *w,
                            const cort_sgemm_epilogue *ep, int64_t c_begin, int64_t c_end, float *y, void *work);

/* One channel of cort_depthwise with a bias and no activation (older entry points). */
size_t cort_conv_direct_work_size(const cort_conv_geom *g);
void cort_conv_direct_channel(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y,
                              void *work);

/* 2-D convolution on a zero-bordered copy of the image split into stride phases
 * (src/kernels/generic/conv_padded.c), faster than im2col's per-row gathering on every 2-D shape
 * measured and most of all on small or strided images: the output is computed on a grid of `grid` columns, output (oy, ox) at column
 * oy * wq + ox (the rest dropped), reading B panels with cort_conv_padded_pack from a
 * cort_conv_padded_source (hp, wp: a phase plane's hq, wq; col0: the grid column that B's column 0
 * is, so a GEMM can cover a range of output rows). cort_conv_pad_image fills
 * cort_conv_padded_floats(g, channels) floats from `channels` planes of x. cort_conv_padded_ok says
 * whether the geometry suits it. */
bool cort_conv_padded_ok(const cort_conv_geom *g);
void cort_conv_padded_dims(const cort_conv_geom *g, int64_t *hq, int64_t *wq, int64_t *grid);
size_t cort_conv_padded_floats(const cort_conv_geom *g, int64_t channels);
void cort_conv_pad_image(const cort_conv_geom *g, const float *x, int64_t channels, float *padded);
/* Rows [u0, u1) of each phase plane only (hq rows each), for threads that share a few channels. */
void cort_conv_pad_image_rows(const cort_conv_geom *g, const float *x, int64_t channels, int64_t u0, int64_t u1,
                              float *padded);
typedef struct cort_conv_padded_source {
    const cort_conv_geom *geom;
    const float *padded;
    int64_t hp, wp, col0;
} cort_conv_padded_source;
void cort_conv_padded_pack(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out);
/* The padded image read directly, without a GEMM: for shallow filters (kdim = in_ch * taps at most
 * 192: first layers, where packing B and copying the grid's product cost more than the multiply-adds)
 * and for few output channels on small images (m <= 64, rows narrower than 32, kdim at most
 * CORT_CONV_PADDED_DIRECT_MAX_K: the GEMM's 12-row tiles and B packing are poorly used there), a
 * register tile reads tap rows straight from cort_conv_pad_image's planes and stores Y's rows
 * [r0, r1) of all m channels with ep's bias and activation (ep may be NULL).
 * cort_conv_padded_direct_ok says whether this CPU and shape have it; the weights (m x kdim) are
 * first packed by cort_conv_padded_direct_pack into cort_conv_padded_direct_floats(m, kdim) floats. */
enum { CORT_CONV_PADDED_DIRECT_MAX_K = 2304 };
bool cort_conv_padded_direct_ok(const cort_conv_geom *g, int64_t m, int64_t kdim);
size_t cort_conv_padded_direct_floats(int64_t m, int64_t kdim);
void cort_conv_padded_direct_pack(int64_t m, int64_t kdim, const float *w, float *packed);
void cort_conv_padded_direct(const cort_conv_geom *g, int64_t m, int64_t kdim, const float *padded,
                             const float *packed, const cort_sgemm_epilogue *ep, int64_t r0, int64_t r1, float *y);
/* The same work in `units` pieces that threads share evenly (cort_conv_padded_direct_units: output rows
 * of wide images; on small ones, 8 channels by 32 columns of the padded grid, so that 2 threads split
 * a 7x7 image without each computing a mostly empty tile per row): cort_conv_padded_direct_part
 * computes units [u0, u1) with `off` from cort_conv_padded_direct_offsets (kdim values, computed once
 * per image geometry). */
int64_t cort_conv_padded_direct_units(const cort_conv_geom *g, int64_t m);
void cort_conv_padded_direct_offsets(const cort_conv_geom *g, int64_t kdim, int64_t *off);
void cort_conv_padded_direct_part(const cort_conv_geom *g, int64_t m, int64_t kdim, const int64_t *off,
                                  const float *padded, const float *packed, const cort_sgemm_epilogue *ep, int64_t u0,
                                  int64_t u1, float *y);
/* Direct convolution with output channels in the vector lanes, on the same padded image and offsets:
 * a register tile of 32 or 64 channels by up to 14 or 7 positions of one output row computes no
 * dropped grid column and packs nothing per run (strided and small-image layers). cort_conv_oc_ok
 * says whether this CPU and geometry have it (kdim at most CORT_CONV_OC_MAX_K); the weights are
 * packed once by cort_conv_oc_pack into cort_conv_oc_floats(m, kdim) floats; cort_conv_oc_part
 * computes units [u0, u1) of cort_conv_oc_units(g, m, kdim) with ep's bias and activation (ep may be
 * NULL). */
enum { CORT_CONV_OC_MAX_K = 16384 };
bool cort_conv_oc_ok(const cort_conv_geom *g, int64_t kdim);
size_t cort_conv_oc_floats(int64_t m, int64_t kdim);
void cort_conv_oc_pack(int64_t m, int64_t kdim, const float *w, float *packed);
int64_t cort_conv_oc_units(const cort_conv_geom *g, int64_t m, int64_t kdim);
void cort_conv_oc_part(const cort_conv_geom *g, int64_t m, int64_t kdim, const int64_t *off, const float *padded,
                       const float *packed, const cort_sgemm_epilogue *ep, int64_t u0, int64_t u1, float *y);

/* Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution (src/kernels/generic/winograd.c) of one image:
 * 2-D, kernel 3x3, stride 1, dilation 1, no groups. cort_winograd_tile picks the output tile (2 or 4)
 * that runs best for a geometry, or 0 where the GEMM paths win; cort_winograd_ok is that != 0.
 * Weights (out_ch x in_ch x 3 x 3) are transformed and packed once by cort_winograd_pack_weights into
 * cort_winograd_packed_size(tile, out_ch, in_ch) bytes, with `tmp` scratch of out_ch * in_ch floats. cort_winograd_conv computes y = act(conv(x) + bias + z) (x: in_ch planes, y and z
 * (NULL: none): out_ch planes; ep's bias and activation, ep may be NULL) over up to th->count threads
 * with `work` of cort_winograd_work_size(tile, g, in_ch, out_ch, th->count) bytes. */
int cort_winograd_tile(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch);
bool cort_winograd_ok(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch);
size_t cort_winograd_packed_size(int tile, int64_t out_ch, int64_t in_ch);
void cort_winograd_pack_weights(int tile, int64_t out_ch, int64_t in_ch, const float *w, float *tmp, float *packed);
size_t cort_winograd_work_size(int tile, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch, int threads);
void cort_winograd_conv(int tile, const cort_threads *th, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch,
                        const float *x, const float *packed, const cort_sgemm_epilogue *ep, const float *z, float *y,
                        void *work);

#endif
