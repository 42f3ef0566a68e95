/* Index-driven movement: Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND, OneHot.
 * Every index is checked against its axis (negative ones count from the end) before anything is read
 * or written; an out-of-range index is an error that names it. */
#include <math.h>
#include <string.h>

#include "ops/movement.h"

static cort_status *need_indices(const cort_kctx *ctx, int i, const cort_tensor **t) {
    CORT_TRY(cort_move_input(ctx, i, "indices", t));
    if ((*t)->type != CORT_INT64 && (*t)->type != CORT_INT32)
        return cort_kerr(ctx, "indices must be int32 or int64, got %s", cort_type_name((*t)->type));
    return NULL;
}

/* Index element i of `indices`, normalised against an axis of length `dim`. */
static cort_status *index_at(const cort_kctx *ctx, const cort_tensor *indices, int64_t i, int64_t dim, int axis,
                             int64_t *out) {
    int64_t v = cort_get_i64(indices, i);
    if (v < -dim || v >= dim)
        return cort_kerr(ctx, "index %lld (element %lld of indices) is out of range [%lld, %lld] for axis %d",
                         (long long)v, (long long)i, (long long)-dim, (long long)dim - 1, axis);
    *out = v < 0 ? v + dim : v;
    return NULL;
}

/* ================================================================ Gather */
static cort_status *gather_run(cort_kctx *ctx) {
    const cort_tensor *data, *indices;
    CORT_TRY(cort_move_input(ctx, 0, "data", &data));
    CORT_TRY(need_indices(ctx, 1, &indices));
    int64_t axis = cort_attr_int(ctx->node, "axis", 0);
    int a;
    if (!cort_norm_axis(axis, data->rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)data->rank);
    int out_rank = data->rank + indices->rank - 1;
    if (out_rank > CORT_MAX_RANK)
        return cort_kerr(ctx, "output rank %d exceeds the supported %d", out_rank, CORT_MAX_RANK);
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, data->dims, (size_t)a * sizeof *dims);
    memcpy(dims + a, indices->dims, (size_t)indices->rank * sizeof *dims);
    memcpy(dims + a + indices->rank, data->dims + a + 1, (size_t)(data->rank - a - 1) * sizeof *dims);
    int64_t outer = cort_dims_product(data->dims, 0, a), dim = data->dims[a];
    int64_t inner = cort_dims_product(data->dims, a + 1, data->rank), n_idx = cort_tensor_count(indices);
    int64_t *idx = ctx->svc->scratch(ctx, (size_t)(n_idx > 0 ? n_idx : 1) * sizeof *idx);
    if (!idx) return cort_oom();
    for (int64_t j = 0; j < n_idx; j++) {
        CORT_TRY(index_at(ctx, indices, j, dim, a, &idx[j]));
        idx[j] *= inner;
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, data->type, out_rank, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    size_t es = cort_elem_size(data->type);
    for (int64_t o = 0; o < outer; o++)
        CORT_TRY(cort_take_blocks((char *)y->data + (size_t)(o * n_idx * inner) * es, data->data, o * dim * inner, idx,
                                  n_idx, inner, data->type));
    return NULL;
}

static cort_status *gather_infer(cort_infer_ctx *ic) {
    const cort_type *data = cort_infer_ranked(ic, 0), *indices = cort_infer_ranked(ic, 1);
    cort_status *st;
    int a;
    if (!data || !indices || !cort_norm_axis(cort_attr_int(ic->node, "axis", 0), data->rank, &a) ||
        data->rank + indices->rank - 1 > CORT_MAX_RANK)
        return cort_infer_elem_only(ic);
    int rank = data->rank + indices->rank - 1;
    cort_dim *dims = cort_infer_out(ic, 0, data->elem, rank, &st);
    if (st) return st;
    int at = 0;
    for (int i = 0; i < a; i++) dims[at++] = data->dims[i];
    for (int i = 0; i < indices->rank; i++) dims[at++] = indices->dims[i];
    for (int i = a + 1; i < data->rank; i++) dims[at++] = data->dims[i];
    return NULL;
}

/* ================================================================ element-wise index checks */
/* GatherElements / ScatterElements: indices share data's rank and fit inside it off the axis. */
static cort_status *check_elementwise_indices(const cort_kctx *ctx, const cort_tensor *data,
                                              const cort_tensor *indices, int a) {
    if (indices->rank != data->rank)
        return cort_kerr(ctx, "indices have rank %d, data %d", (int)indices->rank, (int)data->rank);
    for (int d = 0; d < data->rank; d++)
        if (d != a && indices->dims[d] > data->dims[d])
            return cort_kerr(ctx, "indices dim %d is %lld, larger than data's %lld", d, (long long)indices->dims[d],
                             (long long)data->dims[d]);
    return NULL;
}

/* Offsets into data of each element of indices (element-wise along axis a); fills off[0..count). */
static cort_status *elementwise_offsets(const cort_kctx *ctx, const cort_tensor *data, const cort_tensor *indices,
                                        int a, int64_t *off) {
    int64_t ds[CORT_MAX_RANK], coord[CORT_MAX_RANK] = {0};
    cort_dense_strides(data->dims, data->rank, ds);
    int64_t n = cort_tensor_count(indices);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = 0, o = 0;
        CORT_TRY(index_at(ctx, indices, i, data->dims[a], a, &v));
        for (int d = 0; d < data->rank; d++) o += (d == a ? v : coord[d]) * ds[d];
        off[i] = o;
        for (int d = data->rank - 1; d >= 0; d--) {
            if (++coord[d] < indices->dims[d]) break;
            coord[d] = 0;
        }
    }
    return NULL;
}

/* ================================================================ GatherElements */
static cort_status *gather_elements_run(cort_kctx *ctx) {
    const cort_tensor *data, *indices;
    CORT_TRY(cort_move_input(ctx, 0, "data", &data));
    CORT_TRY(need_indices(ctx, 1, &indices));
    int64_t axis = cort_attr_int(ctx->node, "axis", 0);
    int a;
    if (!cort_norm_axis(axis, data->rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)data->rank);
    CORT_TRY(check_elementwise_indices(ctx, data, indices, a));
    int64_t n = cort_tensor_count(indices);
    int64_t *off = ctx->svc->scratch(ctx, (size_t)(n > 0 ? n : 1) * sizeof *off);
    if (!off) return cort_oom();
    CORT_TRY(elementwise_offsets(ctx, data, indices, a, off));
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, data->type, indices->rank, indices->dims, &y));
    return cort_take_blocks(y->data, data->data, 0, off, n, 1, data->type);
}

static cort_status *gather_elements_infer(cort_infer_ctx *ic) {
    const cort_type *indices = cort_infer_ranked(ic, 1);
    cort_status *st;
    if (!indices) return cort_infer_elem_only(ic);
    cort_dim *dims = cort_infer_out(ic, 0, cort_infer_elem(ic, 0), indices->rank, &st);
    if (st) return st;
    for (int i = 0; i < indices->rank; i++) dims[i] = indices->dims[i];
    return NULL;
}

/* ================================================================ GatherND */
static cort_status *gather_nd_run(cort_kctx *ctx) {
    const cort_tensor *data, *indices;
    CORT_TRY(cort_move_input(ctx, 0, "data", &data));
    CORT_TRY(need_indices(ctx, 1, &indices));
    int64_t b = cort_attr_int(ctx->node, "batch_dims", 0);
    int r = data->rank, q = indices->rank;
    if (r < 1 || q < 1) return cort_kerr(ctx, "data and indices must have rank >= 1");
    if (b < 0 || b >= r || b >= q) return cort_kerr(ctx, "batch_dims %lld must be below both ranks", (long long)b);
    int64_t k = indices->dims[q - 1];
    if (k < 1 || k > r - b)
        return cort_kerr(ctx, "indices' last dim %lld must be in [1, %lld]", (long long)k, (long long)(r - b));
    for (int i = 0; i < b; i++)
        if (indices->dims[i] != data->dims[i])
            return cort_kerr(ctx, "batch dim %d differs: indices %lld, data %lld", i, (long long)indices->dims[i],
                             (long long)data->dims[i]);
    int out_rank = q - 1 + r - (int)(b + k);
    if (out_rank > CORT_MAX_RANK)
        return cort_kerr(ctx, "output rank %d exceeds the supported %d", out_rank, CORT_MAX_RANK);
    int64_t dims[CORT_MAX_RANK], ds[CORT_MAX_RANK];
    memcpy(dims, indices->dims, (size_t)(q - 1) * sizeof *dims);
    memcpy(dims + q - 1, data->dims + b + k, (size_t)(r - b - k) * sizeof *dims);
    cort_dense_strides(data->dims, r, ds);
    int64_t batches = cort_dims_product(data->dims, 0, (int)b);
    int64_t tuples = cort_dims_product(indices->dims, (int)b, q - 1);
    int64_t slice = cort_dims_product(data->dims, (int)(b + k), r);
    int64_t batch_stride = cort_dims_product(data->dims, (int)b, r);
    int64_t *off = ctx->svc->scratch(ctx, (size_t)(batches * tuples > 0 ? batches * tuples : 1) * sizeof *off);
    if (!off) return cort_oom();
    for (int64_t t = 0; t < batches * tuples; t++) {
        int64_t o = t / (tuples ? tuples : 1) * batch_stride;
        for (int64_t j = 0; j < k; j++) {
            int64_t v = 0;
            CORT_TRY(index_at(ctx, indices, t * k + j, data->dims[b + j], (int)(b + j), &v));
            o += v * ds[b + j];
        }
        off[t] = o;
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, data->type, out_rank, dims, &y));
    return cort_take_blocks(y->data, data->data, 0, off, batches * tuples, slice, data->type);
}

static cort_status *gather_nd_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *data = cort_infer_ranked(ic, 0), *indices = cort_infer_ranked(ic, 1);
    int64_t b = cort_attr_int(ic->node, "batch_dims", 0);
    if (!data || !indices || indices->rank < 1 || b < 0 || b >= data->rank || b >= indices->rank)
        return cort_infer_elem_only(ic);
    int r = data->rank, q = indices->rank;
    int64_t k = indices->dims[q - 1].value;
    if (k < 1 || k > r - b) return cort_infer_elem_only(ic);
    int rank = q - 1 + r - (int)(b + k);
    cort_dim *dims = cort_infer_out(ic, 0, data->elem, rank, &st);
    if (!dims) return st;
    memcpy(dims, indices->dims, (size_t)(q - 1) * sizeof *dims);
    memcpy(dims + q - 1, data->dims + b + k, (size_t)(r - b - k) * sizeof *dims);
    return NULL;
}

/* ================================================================ reductions of the scatters */
typedef enum reduction { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction;

typedef struct scatter_params {
    int64_t axis;
    reduction red;
} scatter_params;

static cort_status *scatter_parse(cort_parse_ctx *pc) {
    scatter_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", 0);
    const char *r = cort_attr_string(pc->node, "reduction", "none");
    if (!strcmp(r, "none")) p->red = RED_NONE;
    else if (!strcmp(r, "add")) p->red = RED_ADD;
    else if (!strcmp(r, "mul")) p->red = RED_MUL;
    else if (!strcmp(r, "max") && pc->node->opset >= 18) p->red = RED_MAX;
    else if (!strcmp(r, "min") && pc->node->opset >= 18) p->red = RED_MIN;
    else return cort_node_error(pc->node, CORT_INVALID_GRAPH, "reduction '%s' is not supported", r);
    return NULL;
}

#define COMBINE_INT(T, U)                                                  \
    do {                                                                   \
        T x, y;                                                            \
        memcpy(&x, dst, sizeof x);                                         \
        memcpy(&y, src, sizeof y);                                         \
        switch (red) {                                                     \
        case RED_ADD: x = (T)((U)x + (U)y); break;                         \
        case RED_MUL: x = (T)((U)x * (U)y); break;                         \
        case RED_MAX: x = x > y ? x : y; break;                            \
        case RED_MIN: x = x < y ? x : y; break;                            \
        default: x = y; break;                                             \
        }                                                                  \
        memcpy(dst, &x, sizeof x);                                         \
    } while (0)

static double combine_f64(reduction red, double x, double y) {
    switch (red) {
    case RED_ADD: return x + y;
    case RED_MUL: return x * y;
    case RED_MAX: return isnan(x) || x > y ? x : y;
    case RED_MIN: return isnan(x) || x < y ? x : y;
    default: return y;
    }
}

/* dst = dst (+, *, max, min) src for one element of `type` (a numeric or bool type). */
static void combine_elem(int32_t type, reduction red, void *dst, const void *src) {
    switch (type) {
    case CORT_INT8: COMBINE_INT(int8_t, uint8_t); break;
    case CORT_UINT8: COMBINE_INT(uint8_t, uint32_t); break;
    case CORT_INT16: COMBINE_INT(int16_t, uint16_t); break;
    case CORT_UINT16: COMBINE_INT(uint16_t, uint32_t); break;
    case CORT_INT32: COMBINE_INT(int32_t, uint32_t); break;
    case CORT_UINT32: COMBINE_INT(uint32_t, uint32_t); break;
    case CORT_INT64: COMBINE_INT(int64_t, uint64_t); break;
    case CORT_UINT64: COMBINE_INT(uint64_t, uint64_t); break;
    case CORT_BOOL: { /* add and max are "or", mul and min "and" */
        uint8_t x = *(uint8_t *)dst != 0, y = *(const uint8_t *)src != 0;
        *(uint8_t *)dst = red == RED_ADD || red == RED_MAX ? (x | y) : (x & y);
        break;
    }
    default: {
        cort_tensor d = {.type = type, .data = dst}, s = {.type = type, .data = (void *)src};
        cort_set_f64(&d, 0, combine_f64(red, cort_get_f64(&d, 0), cort_get_f64(&s, 0)));
        break;
    }
    }
}

/* Writes n elements of src[si..] onto out[di..], combined by the reduction. */
static cort_status *scatter_elems(const cort_kctx *ctx, cort_tensor *out, int64_t di, const cort_tensor *src,
                                  int64_t si, int64_t n, reduction red) {
    if (red == RED_NONE) return cort_copy_elems(out->data, di, src->data, si, n, out->type);
    size_t es = cort_elem_size(out->type);
    for (int64_t i = 0; i < n; i++)
        combine_elem(out->type, red, (char *)out->data + (size_t)(di + i) * es,
                     (const char *)src->data + (size_t)(si + i) * es);
    return NULL;
}

static cort_status *check_reduction_type(const cort_kctx *ctx, int32_t type, reduction red) {
    if (red != RED_NONE && (type == CORT_STRING || type == CORT_COMPLEX64 || type == CORT_COMPLEX128))
        return cort_kerr(ctx, "reduction is not defined for %s", cort_type_name(type));
    return NULL;
}

/* The output starts as a copy of data. Planned in place (CORT_OP_INPLACE_INPUT0) it already is; then
 * updates fed from the same value as data would be overwritten while read, so they are copied aside
 * into *spare and *updates points there. */
static cort_status *scatter_start(cort_kctx *ctx, const cort_tensor *data, const cort_tensor **updates,
                                  cort_tensor *spare, cort_tensor **y) {
    if ((*updates)->type != data->type)
        return cort_kerr(ctx, "updates are %s, data %s", cort_type_name((*updates)->type), cort_type_name(data->type));
    CORT_TRY(cort_move_out(ctx, 0, data->type, data->rank, data->dims, y));
    if ((*y)->data != data->data)
        return cort_copy_elems((*y)->data, 0, data->data, 0, cort_tensor_count(data), data->type);
    if ((*updates)->data == data->data && data->type != CORT_STRING) {
        *spare = **updates;
        size_t bytes = cort_tensor_nbytes(spare);
        spare->data = ctx->svc->scratch(ctx, bytes ? bytes : 1);
        if (!spare->data) return cort_oom();
        memcpy(spare->data, data->data, bytes);
        *updates = spare;
    }
    return NULL;
}

/* ================================================================ Scatter / ScatterElements */
static cort_status *scatter_elements_run(cort_kctx *ctx) {
    const scatter_params *p = ctx->params;
    const cort_tensor *data, *indices, *updates;
    CORT_TRY(cort_move_input(ctx, 0, "data", &data));
    CORT_TRY(need_indices(ctx, 1, &indices));
    CORT_TRY(cort_move_input(ctx, 2, "updates", &updates));
    CORT_TRY(check_reduction_type(ctx, data->type, p->red));
    int a;
    if (!cort_norm_axis(p->axis, data->rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, (int)data->rank);
    CORT_TRY(check_elementwise_indices(ctx, data, indices, a));
    if (updates->rank != indices->rank ||
        memcmp(updates->dims, indices->dims, (size_t)indices->rank * sizeof *indices->dims))
        return cort_kerr(ctx, "updates and indices must have the same shape");
    int64_t n = cort_tensor_count(indices);
    int64_t *off = ctx->svc->scratch(ctx, (size_t)(n > 0 ? n : 1) * sizeof *off);
    if (!off) return cort_oom();
    CORT_TRY(elementwise_offsets(ctx, data, indices, a, off));
    cort_tensor *y, spare;
    CORT_TRY(scatter_start(ctx, data, &updates, &spare, &y));
    for (int64_t i = 0; i < n; i++) CORT_TRY(scatter_elems(ctx, y, off[i], updates, i, 1, p->red));
    return NULL;
}

/* ================================================================ ScatterND */
static cort_status *scatter_nd_run(cort_kctx *ctx) {
    const scatter_params *p = ctx->params;
    const cort_tensor *data, *indices, *updates;
    CORT_TRY(cort_move_input(ctx, 0, "data", &data));
    CORT_TRY(need_indices(ctx, 1, &indices));
    CORT_TRY(cort_move_input(ctx, 2, "updates", &updates));
    CORT_TRY(check_reduction_type(ctx, data->type, p->red));
    int r = data->rank, q = indices->rank;
    if (r < 1 || q < 1) return cort_kerr(ctx, "data and indices must have rank >= 1");
    int64_t k = indices->dims[q - 1];
    if (k < 1 || k > r) return cort_kerr(ctx, "indices' last dim %lld must be in [1, %d]", (long long)k, r);
    /* updates' shape is indices.shape[:-1] + data.shape[k:] */
    int expect_rank = q - 1 + r - (int)k;
    bool shape_ok = updates->rank == expect_rank &&
                    !memcmp(updates->dims, indices->dims, (size_t)(q - 1) * sizeof *updates->dims) &&
                    !memcmp(updates->dims + q - 1, data->dims + k, (size_t)(r - k) * sizeof *updates->dims);
    if (!shape_ok) return cort_kerr(ctx, "updates' shape must be indices.shape[:-1] + data.shape[%lld:]", (long long)k);
    int64_t ds[CORT_MAX_RANK];
    cort_dense_strides(data->dims, r, ds);
    int64_t tuples = cort_dims_product(indices->dims, 0, q - 1), slice = cort_dims_product(data->dims, (int)k, r);
    int64_t *off = ctx->svc->scratch(ctx, (size_t)(tuples > 0 ? tuples : 1) * sizeof *off);
    if (!off) return cort_oom();
    for (int64_t t = 0; t < tuples; t++) {
        int64_t o = 0;
        for (int64_t j = 0; j < k; j++) {
            int64_t v = 0;
            CORT_TRY(index_at(ctx, indices, t * k + j, data->dims[j], (int)j, &v));
            o += v * ds[j];
        }
        off[t] = o;
    }
    cort_tensor *y, spare;
    CORT_TRY(scatter_start(ctx, data, &updates, &spare, &y));
    for (int64_t t = 0; t < tuples; t++) CORT_TRY(scatter_elems(ctx, y, off[t], updates, t * slice, slice, p->red));
    return NULL;
}

/* ================================================================ OneHot */
static cort_status *one_hot_run(cort_kctx *ctx) {
    const cort_tensor *indices, *depth_t, *values;
    CORT_TRY(cort_move_input(ctx, 0, "indices", &indices));
    CORT_TRY(cort_move_input(ctx, 1, "depth", &depth_t));
    CORT_TRY(cort_move_input(ctx, 2, "values", &values));
    if (indices->type == CORT_STRING || depth_t->type == CORT_STRING)
        return cort_kerr(ctx, "indices and depth must be numeric");
    if (cort_tensor_count(depth_t) != 1) return cort_kerr(ctx, "depth must hold one value");
    if (values->rank != 1 || values->dims[0] != 2) return cort_kerr(ctx, "values must be [off_value, on_value]");
    int64_t depth = cort_get_i64(depth_t, 0);
    if (depth < 0 || depth > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "depth %lld is invalid", (long long)depth);
    int out_rank = indices->rank + 1, a;
    int64_t axis = cort_attr_int(ctx->node, "axis", -1);
    if (out_rank > CORT_MAX_RANK)
        return cort_kerr(ctx, "output rank %d exceeds the supported %d", out_rank, CORT_MAX_RANK);
    if (!cort_norm_axis(axis, out_rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for output rank %d", (long long)axis, out_rank);
    int64_t dims[CORT_MAX_RANK];
    for (int i = 0, j = 0; i < out_rank; i++) dims[i] = i == a ? depth : indices->dims[j++];
    if (cort_shape_count(dims, out_rank) < 0) return cort_kerr(ctx, "output shape is too large");
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, values->type, out_rank, dims, &y));
    int64_t total = cort_tensor_count(y);
    CORT_TRY(cort_fill_elems(y->data, 0, values->data, total, values->type));
    int64_t outer = cort_dims_product(indices->dims, 0, a), inner = cort_dims_product(indices->dims, a, indices->rank);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = cort_get_i64(indices, o * inner + i);
            if (v < 0) v += depth;
            if (v < 0 || v >= depth) continue; /* out of range: the row stays all off */
            CORT_TRY(cort_copy_elems(y->data, (o * depth + v) * inner + i, values->data, 1, 1, values->type));
        }
    }
    return NULL;
}

static cort_status *one_hot_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *indices = cort_infer_ranked(ic, 0);
    int32_t elem = cort_infer_elem(ic, 2);
    int a;
    if (!indices || indices->rank + 1 > CORT_MAX_RANK ||
        !cort_norm_axis(cort_attr_int(ic->node, "axis", -1), indices->rank + 1, &a)) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    cort_dim *dims = cort_infer_out(ic, 0, elem, indices->rank + 1, &st);
    if (st) return st;
    const cort_tensor *depth = ic->n_in > 1 ? ic->in_const[1] : NULL;
    for (int i = 0, j = 0; i < indices->rank + 1; i++) {
        if (i != a) dims[i] = indices->dims[j++];
        else if (depth && depth->data && depth->type != CORT_STRING && cort_tensor_count(depth) == 1)
            dims[i].value = cort_get_i64(depth, 0) >= 0 ? cort_get_i64(depth, 0) : -1;
    }
    return NULL;
}

/* ================================================================ table */
/* elements are moved, never interpreted: complex tensors move as well */
#define ALL CORT_TS_MOVABLE

/* Scatter is ScatterElements under its deprecated name; served for any opset a model may still use it in. */
const cort_op_def cort_ops_gather[] = {
    {"", "Gather", 1, CORT_OPSET_MAX, ALL, 0, 0, NULL, gather_infer, NULL, gather_run, 0},
    {"", "GatherElements", 11, CORT_OPSET_MAX, ALL, 0, 0, NULL, gather_elements_infer, NULL, gather_elements_run, 0},
    {"", "GatherND", 11, CORT_OPSET_MAX, ALL, 0, 0, NULL, gather_nd_infer, NULL, gather_nd_run, 0},
    {"", "Scatter", 9, CORT_OPSET_MAX, ALL, 0, sizeof(scatter_params), scatter_parse, cort_infer_like_input0, NULL,
     scatter_elements_run, CORT_OP_INPLACE_INPUT0},
    {"", "ScatterElements", 11, 17, ALL, 0, sizeof(scatter_params), scatter_parse, cort_infer_like_input0, NULL,
     scatter_elements_run, CORT_OP_INPLACE_INPUT0},
    {"", "ScatterND", 11, 17, ALL, 0, sizeof(scatter_params), scatter_parse, cort_infer_like_input0, NULL,
     scatter_nd_run, CORT_OP_INPLACE_INPUT0},
    {"", "OneHot", 9, CORT_OPSET_MAX, CORT_TS_NUM, 0, 0, NULL, one_hot_infer, NULL, one_hot_run, 0},
    {0},
};
