/* Shared machinery of the data-movement operators (shape.c, slice.c, gather.c): they move elements
 * without looking at them, so everything here works by element size, with strings duplicated so that
 * every string output owns its strings. */
#ifndef CORT_OPS_MOVEMENT_H
#define CORT_OPS_MOVEMENT_H
#include "ops/op.h"

/* Every element type a data-movement kernel can carry. */
#define CORT_TS_MOVABLE (CORT_TS_ALL | CORT_T(CORT_COMPLEX64) | CORT_T(CORT_COMPLEX128))

/* Tile views its output as [repeat, dim] pairs, so views may have twice the tensor rank. */
#define CORT_VIEW_MAX_RANK (2 * CORT_MAX_RANK)

/* A strided read of a source buffer: element (i0..in) of the view is src[offset + sum(ik * strides[k])].
 * Strides count elements and may be zero (broadcast) or negative (reversed slices). */
typedef struct cort_view {
    int rank;
    int64_t dims[CORT_VIEW_MAX_RANK];
    int64_t strides[CORT_VIEW_MAX_RANK];
    int64_t offset;
} cort_view;

/* cort_out for movement kernels: a string output comes back with every element NULL, so a kernel that
 * fails half-way leaves only valid pointers for the executor to free. */
cort_status *cort_move_out(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                           cort_tensor **out);

/* Copies n elements of `type` from src[si..] to dst[di..]; string elements are duplicated with malloc
 * (a NULL source string becomes ""). Fails only when memory is short. */
cort_status *cort_copy_elems(void *dst, int64_t di, const void *src, int64_t si, int64_t n, int32_t type);

/* Sets dst[di..di+n) to the single element at `value`; strings are duplicated. */
cort_status *cort_fill_elems(void *dst, int64_t di, const void *value, int64_t n, int32_t type);

/* Gathers n blocks of `block` elements: block i of dst is src[base + offsets[i] ...]. Strings are
 * duplicated. Fails only when memory is short. */
cort_status *cort_take_blocks(void *dst, const void *src, int64_t base, const int64_t *offsets, int64_t n,
                              int64_t block, int32_t type);

/* Writes the view of `src` densely, in row-major view order, into dst. */
cort_status *cort_view_copy(cort_kctx *ctx, void *dst, const void *src, int32_t type, const cort_view *v);

/* Row-major element strides of a shape. */
void cort_dense_strides(const int64_t *dims, int rank, int64_t *strides);

/* Product of dims[begin..end). */
int64_t cort_dims_product(const int64_t *dims, int begin, int end);

/* Input i as a tensor of a valid element type, else an error naming `name`. */
cort_status *cort_move_input(const cort_kctx *ctx, int i, const char *name, const cort_tensor **t);

/* Reads a scalar or 1-D integer tensor into vals[0..*n) (at most `max` values); the error names
 * `what` (e.g. "input 'axes'"). */
cort_status *cort_read_ints(const cort_kctx *ctx, const cort_tensor *t, const char *what, int64_t *vals,
                            int max, int *n);

/* Same for a constant known at load (no kernel context): false when `t` is not such a tensor. */
bool cort_const_ints(const cort_tensor *t, int64_t *vals, int max, int *n);

/* Marks output `index` as a tensor of `elem` with `rank` dims (rank < 0: unknown) and returns its dims
 * array, every dim unknown (NULL for rank <= 0 or on shortage: check *st). */
cort_dim *cort_infer_out(cort_infer_ctx *ic, int index, int32_t elem, int rank, cort_status **st);

/* Element type of input `index` when it is a tensor, else 0 (unknown). */
int32_t cort_infer_elem(const cort_infer_ctx *ic, int index);

/* The input type when it is a tensor of known rank, else NULL. */
const cort_type *cort_infer_ranked(const cort_infer_ctx *ic, int index);

/* Every output gets input 0's element type with an unknown shape (shapes that depend on values). */
cort_status *cort_infer_elem_only(cort_infer_ctx *ic);

/* Output 0 gets input 0's type, shape included. */
cort_status *cort_infer_like_input0(cort_infer_ctx *ic);

/* Output `out` gets input `in`'s tensor type, dims included (unknown when the input is not ranked). */
cort_status *cort_infer_like_input(cort_infer_ctx *ic, int out, int in);

/* Reads constant input `index` as integers; *present false when the input is omitted. False when it is
 * given but not a constant integer list of at most `max` values. */
bool cort_infer_const_ints(const cort_infer_ctx *ic, int index, int64_t *vals, int max, int *n, bool *present);


#endif
