/* Index-producing operators: TopK, NonZero, Unique, CumSum, NonMaxSuppression, RoiAlign.
 *
 * Orderings are stable: TopK (insertion into the k best for small k, else a merge sort), Unique and
 * NonMaxSuppression keep equal values in the order of their indices, so TopK returns the lower
 * index first on ties, as ONNX Runtime does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

static bool is_float_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_FLOAT16 || t == CORT_BFLOAT16;
}
static bool is_int_type(int32_t t) {
    return t == CORT_INT8 || t == CORT_UINT8 || t == CORT_INT16 || t == CORT_UINT16 || t == CORT_INT32 ||
           t == CORT_UINT32 || t == CORT_INT64 || t == CORT_UINT64;
}

/* ---------------------------------------------------------------- stable merge sort of indices */

/* Negative when item a sorts before item b, 0 when equivalent. */
typedef int (*order_fn)(const void *ctx, int64_t a, int64_t b);

static void merge_sort(int64_t *items, int64_t *tmp, int64_t n, order_fn cmp, const void *ctx) {
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = cmp(ctx, items[j], items[i]) < 0 ? items[j++] : items[i++];
            while (i < mid) tmp[k++] = items[i++];
            while (j < hi) tmp[k++] = items[j++];
        }
        memcpy(items, tmp, (size_t)n * sizeof *items);
    }
}

/* Orders NaN above every number so sorting is total. */
static int cmp_f64(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}
static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* ---------------------------------------------------------------- TopK */

typedef struct topk_params {
    int64_t axis;
    int64_t k; /* opsets 1..9 */
    bool largest, sorted;
    bool k_from_input;
} topk_params;

static cort_status *topk_parse(cort_parse_ctx *pc) {
    topk_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", -1);
    p->largest = cort_attr_int(pc->node, "largest", 1) != 0;
    p->sorted = cort_attr_int(pc->node, "sorted", 1) != 0;
    p->k_from_input = pc->node->opset >= 10;
    if (!p->k_from_input) {
        const cort_attr *k = cort_node_attr(pc->node, "k");
        if (!k) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'k' is required");
        p->k = k->i;
    }
    return NULL;
}

typedef struct topk_slice {
    const double *f;
    const int64_t *i;
    bool largest;
} topk_slice;

static int topk_order(const void *ctx, int64_t a, int64_t b) {
    const topk_slice *s = ctx;
    int c = s->f ? cmp_f64(s->f[a], s->f[b]) : cmp_i64(s->i[a], s->i[b]);
    return s->largest ? -c : c;
}

/* The k best of n in order, in one scan: each element that beats the current k-th is inserted
 * behind every element at least as good, so ties keep index order. Cheap when k is small. */
static void topk_select(const topk_slice *s, int64_t n, int64_t k, int64_t *best) {
    int64_t count = 0;
    for (int64_t j = 0; j < n && k > 0; j++) {
        if (count == k && topk_order(s, j, best[k - 1]) >= 0) continue;
        int64_t pos = count < k ? count++ : k - 1;
        while (pos > 0 && topk_order(s, j, best[pos - 1]) < 0) {
            best[pos] = best[pos - 1];
            pos--;
        }
        best[pos] = j;
    }
}

/* Gathers the n values of a strided slice as sort keys (double for floats, int64 otherwise). */
static void load_keys(const cort_tensor *x, int64_t base, int64_t n, int64_t stride, const topk_slice *s) {
    if (x->type == CORT_FLOAT) {
        const float *d = (const float *)x->data + base;
        for (int64_t j = 0; j < n; j++) ((double *)s->f)[j] = d[j * stride];
    } else if (s->f) {
        for (int64_t j = 0; j < n; j++) ((double *)s->f)[j] = cort_get_f64(x, base + j * stride);
    } else {
        for (int64_t j = 0; j < n; j++) ((int64_t *)s->i)[j] = cort_get_i64(x, base + j * stride);
    }
}

/* Beyond this k a full merge sort beats insertion into the k best. */
#define TOPK_SELECT_MAX 64

static cort_status *topk_run(cort_kctx *ctx) {
    const topk_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input X");
    bool is_float = is_float_type(x->type);
    if (!is_float && !is_int_type(x->type)) return cort_kerr(ctx, "type %s not supported", cort_type_name(x->type));
    int64_t k = p->k;
    if (p->k_from_input) {
        const cort_tensor *kt = cort_in(ctx, 1);
        if (!kt || kt->type != CORT_INT64 || cort_tensor_count(kt) != 1)
            return cort_kerr(ctx, "K must be a one-element int64 tensor");
        k = ((const int64_t *)kt->data)[0];
    }
    int axis;
    if (!cort_norm_axis(p->axis, x->rank, &axis))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, x->rank);
    int64_t n = x->dims[axis], outer = 1, inner = 1;
    if (k < 0 || k > n) return cort_kerr(ctx, "k = %lld is out of range for axis of size %lld", (long long)k, (long long)n);
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[axis] = k;
    cort_tensor *values, *indices;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, dims, &values));
    CORT_TRY(cort_out(ctx, 1, CORT_INT64, x->rank, dims, &indices));
    /* nothing to select; the dims of an empty tensor may be anything, so no products of them */
    if (cort_tensor_count(values) == 0) return NULL;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    int64_t *order = ctx->svc->scratch(ctx, (size_t)(n + 1) * sizeof(int64_t));
    int64_t *tmp = ctx->svc->scratch(ctx, (size_t)(n + 1) * sizeof(int64_t));
    void *keys = ctx->svc->scratch(ctx, (size_t)(n + 1) * 8);
    if (!order || !tmp || !keys) return cort_kerr(ctx, "out of scratch memory");
    topk_slice s = {is_float ? keys : NULL, is_float ? NULL : keys, p->largest};
    size_t es = cort_elem_size(x->type);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i, out_base = o * k * inner + i;
            load_keys(x, base, n, inner, &s);
            if (k <= TOPK_SELECT_MAX) {
                topk_select(&s, n, k, order);
            } else {
                for (int64_t j = 0; j < n; j++) order[j] = j;
                merge_sort(order, tmp, n, topk_order, &s);
            }
            for (int64_t j = 0; j < k; j++) {
                int64_t src = base + order[j] * inner, dst = out_base + j * inner;
                memcpy((char *)values->data + dst * es, (const char *)x->data + src * es, es);
                ((int64_t *)indices->data)[dst] = order[j];
            }
        }
    }
    return NULL;
}

static cort_status *topk_infer(cort_infer_ctx *ic) {
    const topk_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_type_set_tensor(&ic->out[0], x->elem, -1, NULL);
    if (ic->n_out > 1) cort_type_set_tensor(&ic->out[1], CORT_INT64, -1, NULL);
    if (x->rank < 0) return NULL;
    int axis;
    if (!cort_norm_axis(p->axis, x->rank, &axis))
        return cort_node_error(ic->node, CORT_INVALID_ARGUMENT, "axis %lld is out of range for rank %d",
                               (long long)p->axis, x->rank);
    int64_t k = p->k;
    if (p->k_from_input) {
        const cort_tensor *kt = ic->n_in > 1 && ic->in_const ? ic->in_const[1] : NULL;
        k = kt && kt->type == CORT_INT64 && cort_tensor_count(kt) == 1 ? ((const int64_t *)kt->data)[0] : -1;
    }
    for (int o = 0; o < 2 && o < ic->n_out; o++) {
        cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)x->rank + 1, sizeof(cort_dim));
        if (!dims) return cort_oom();
        for (int d = 0; d < x->rank; d++) dims[d] = x->dims[d];
        dims[axis] = (cort_dim){k, NULL};
        cort_type_set_tensor(&ic->out[o], o ? CORT_INT64 : x->elem, x->rank, dims);
    }
    return NULL;
}

/* ---------------------------------------------------------------- NonZero */

static bool elem_nonzero(const cort_tensor *x, int64_t i) {
    return is_float_type(x->type) ? cort_get_f64(x, i) != 0 : cort_get_i64(x, i) != 0;
}

static cort_status *nonzero_run(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input X");
    if (!is_float_type(x->type) && !is_int_type(x->type) && x->type != CORT_BOOL)
        return cort_kerr(ctx, "type %s not supported", cort_type_name(x->type));
    int64_t n = cort_tensor_count(x), nnz = 0;
    for (int64_t i = 0; i < n; i++) nnz += elem_nonzero(x, i);
    int coords = x->rank ? x->rank : 1; /* a scalar reports one coordinate, 0, as ONNX Runtime does */
    int64_t dims[2] = {coords, nnz};
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, 2, dims, &y));
    int64_t *out = y->data, col = 0, idx[CORT_MAX_RANK] = {0};
    for (int64_t i = 0; i < n; i++) {
        if (elem_nonzero(x, i)) {
            for (int d = 0; d < coords; d++) out[d * nnz + col] = x->rank ? idx[d] : 0;
            col++;
        }
        for (int d = x->rank - 1; d >= 0; d--) {
            if (++idx[d] < x->dims[d]) break;
            idx[d] = 0;
        }
    }
    return NULL;
}

static cort_status *nonzero_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    cort_dim *dims = cort_pool_calloc(ic->pool, 2, sizeof(cort_dim));
    if (!dims) return cort_oom();
    dims[0].value = x && x->kind == CORT_TYPE_TENSOR && x->rank >= 0 ? (x->rank ? x->rank : 1) : -1;
    dims[1].value = -1;
    cort_type_set_tensor(&ic->out[0], CORT_INT64, 2, dims);
    return NULL;
}

/* ---------------------------------------------------------------- Unique */

typedef struct unique_params {
    bool sorted;
    bool has_axis;
    int64_t axis;
} unique_params;

static cort_status *unique_parse(cort_parse_ctx *pc) {
    unique_params *p = pc->params;
    p->sorted = cort_attr_int(pc->node, "sorted", 1) != 0;
    p->has_axis = cort_node_attr(pc->node, "axis") != NULL;
    p->axis = cort_attr_int(pc->node, "axis", 0);
    return NULL;
}

/* Slice i of x along the unique axis is the elements x[o, i, j] for every outer o and inner j. */
typedef struct unique_view {
    const cort_tensor *x;
    int64_t n, outer, inner;
} unique_view;

static int elem_cmp(const cort_tensor *x, int64_t a, int64_t b) {
    if (x->type == CORT_STRING) {
        const char *sa = ((char *const *)x->data)[a], *sb = ((char *const *)x->data)[b];
        int c = strcmp(sa ? sa : "", sb ? sb : "");
        return c < 0 ? -1 : c > 0;
    }
    if (is_float_type(x->type)) return cmp_f64(cort_get_f64(x, a), cort_get_f64(x, b));
    if (x->type == CORT_UINT64) {
        uint64_t ua = ((const uint64_t *)x->data)[a], ub = ((const uint64_t *)x->data)[b];
        return ua < ub ? -1 : ua > ub;
    }
    return cmp_i64(cort_get_i64(x, a), cort_get_i64(x, b));
}

static int slice_order(const void *ctx, int64_t a, int64_t b) {
    const unique_view *v = ctx;
    for (int64_t o = 0; o < v->outer; o++) {
        for (int64_t j = 0; j < v->inner; j++) {
            int64_t base = o * v->n * v->inner + j;
            int c = elem_cmp(v->x, base + a * v->inner, base + b * v->inner);
            if (c) return c;
        }
    }
    return 0;
}

/* Orders groups by the index of their first occurrence (Unique with sorted=0). */
static int first_order(const void *ctx, int64_t a, int64_t b) {
    const int64_t *first = ctx;
    return cmp_i64(first[a], first[b]);
}

static cort_status *copy_elems(cort_kctx *ctx, cort_tensor *y, int64_t dst, const cort_tensor *x, int64_t src,
                               int64_t n) {
    if (x->type != CORT_STRING) {
        size_t es = cort_elem_size(x->type);
        memcpy((char *)y->data + (size_t)dst * es, (const char *)x->data + (size_t)src * es, (size_t)n * es);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *s = ((char *const *)x->data)[src + i];
        size_t len = s ? strlen(s) : 0;
        char *c = malloc(len + 1);
        if (!c) return cort_kerr(ctx, "out of memory copying strings");
        if (len) memcpy(c, s, len);
        c[len] = 0;
        ((char **)y->data)[dst + i] = c;
    }
    return NULL;
}

static cort_status *unique_run(cort_kctx *ctx) {
    const unique_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input X");
    if (!is_float_type(x->type) && !is_int_type(x->type) && x->type != CORT_BOOL && x->type != CORT_STRING)
        return cort_kerr(ctx, "type %s not supported", cort_type_name(x->type));
    unique_view v = {x, cort_tensor_count(x), 1, 1};
    int axis = -1;
    if (p->has_axis) {
        if (!cort_norm_axis(p->axis, x->rank, &axis))
            return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, x->rank);
        v.n = x->dims[axis];
        if (v.n > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "axis of %lld slices is too large", (long long)v.n);
        if (cort_tensor_count(x) == 0) {
            v.outer = 0; /* every slice is empty, hence equal; other dims may be anything */
        } else {
            for (int d = 0; d < axis; d++) v.outer *= x->dims[d];
            for (int d = axis + 1; d < x->rank; d++) v.inner *= x->dims[d];
        }
    }
    int64_t n = v.n;
    size_t bytes = (size_t)(n + 1) * sizeof(int64_t);
    int64_t *order = ctx->svc->scratch(ctx, bytes), *tmp = ctx->svc->scratch(ctx, bytes);
    int64_t *group_of = ctx->svc->scratch(ctx, bytes), *first = ctx->svc->scratch(ctx, bytes);
    int64_t *count = ctx->svc->scratch(ctx, bytes), *out_pos = ctx->svc->scratch(ctx, bytes);
    int64_t *groups = ctx->svc->scratch(ctx, bytes);
    if (!order || !tmp || !group_of || !first || !count || !out_pos || !groups)
        return cort_kerr(ctx, "out of scratch memory");
    for (int64_t i = 0; i < n; i++) order[i] = i;
    merge_sort(order, tmp, n, slice_order, &v);
    /* groups of equal slices, in sorted order; the sort is stable so each group starts with its first index */
    int64_t n_groups = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || slice_order(&v, order[i - 1], order[i]) != 0) {
            first[n_groups] = order[i];
            count[n_groups] = 0;
            n_groups++;
        }
        group_of[order[i]] = n_groups - 1;
        count[n_groups - 1]++;
    }
    for (int64_t g = 0; g < n_groups; g++) groups[g] = g;
    if (!p->sorted) merge_sort(groups, tmp, n_groups, first_order, first);
    for (int64_t g = 0; g < n_groups; g++) out_pos[groups[g]] = g;

    int64_t dims[CORT_MAX_RANK];
    int rank = 1;
    if (p->has_axis) {
        memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
        dims[axis] = n_groups;
        rank = x->rank;
    } else {
        dims[0] = n_groups;
    }
    cort_tensor *y, *indices, *inverse, *counts;
    CORT_TRY(cort_out(ctx, 0, x->type, rank, dims, &y));
    if (x->type == CORT_STRING) memset(y->data, 0, cort_tensor_nbytes(y));
    for (int64_t g = 0; g < n_groups; g++) {
        int64_t src = first[groups[g]];
        for (int64_t o = 0; o < v.outer; o++)
            CORT_TRY(copy_elems(ctx, y, (o * n_groups + g) * v.inner, x, (o * n + src) * v.inner, v.inner));
    }
    CORT_TRY(cort_out(ctx, 1, CORT_INT64, 1, &n_groups, &indices));
    CORT_TRY(cort_out(ctx, 2, CORT_INT64, 1, &n, &inverse));
    CORT_TRY(cort_out(ctx, 3, CORT_INT64, 1, &n_groups, &counts));
    for (int64_t g = 0; g < n_groups; g++) {
        ((int64_t *)indices->data)[g] = first[groups[g]];
        ((int64_t *)counts->data)[g] = count[groups[g]];
    }
    for (int64_t i = 0; i < n; i++) ((int64_t *)inverse->data)[i] = out_pos[group_of[i]];
    return NULL;
}

static cort_status *unique_infer(cort_infer_ctx *ic) {
    const unique_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    int rank = p->has_axis ? x->rank : 1;
    cort_dim *dims = NULL;
    if (rank >= 0) {
        dims = cort_pool_calloc(ic->pool, (size_t)rank + 1, sizeof(cort_dim));
        if (!dims) return cort_oom();
        for (int d = 0; d < rank; d++) dims[d] = p->has_axis ? x->dims[d] : (cort_dim){-1, NULL};
        int axis;
        if (p->has_axis && cort_norm_axis(p->axis, rank, &axis)) dims[axis] = (cort_dim){-1, NULL};
    }
    cort_type_set_tensor(&ic->out[0], x->elem, rank, dims);
    for (int o = 1; o < ic->n_out && o < 4; o++) {
        cort_dim *d1 = cort_pool_calloc(ic->pool, 1, sizeof(cort_dim));
        if (!d1) return cort_oom();
        d1->value = -1;
        cort_type_set_tensor(&ic->out[o], CORT_INT64, 1, d1);
    }
    return NULL;
}

/* ---------------------------------------------------------------- CumSum */

typedef struct cumsum_params {
    bool exclusive, reverse;
} cumsum_params;

static cort_status *cumsum_parse(cort_parse_ctx *pc) {
    cumsum_params *p = pc->params;
    p->exclusive = cort_attr_int(pc->node, "exclusive", 0) != 0;
    p->reverse = cort_attr_int(pc->node, "reverse", 0) != 0;
    return NULL;
}

static cort_status *cumsum_run(cort_kctx *ctx) {
    const cumsum_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *at = cort_in(ctx, 1);
    if (!x || !at) return cort_kerr(ctx, "inputs x and axis are required");
    bool is_float = is_float_type(x->type);
    if (!is_float && !is_int_type(x->type)) return cort_kerr(ctx, "type %s not supported", cort_type_name(x->type));
    if ((at->type != CORT_INT32 && at->type != CORT_INT64) || cort_tensor_count(at) != 1 || at->rank > 1)
        return cort_kerr(ctx, "axis must be an int32 or int64 scalar");
    int axis;
    int64_t a = cort_get_i64(at, 0);
    if (!cort_norm_axis(a, x->rank, &axis)) return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)a, x->rank);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    if (cort_tensor_count(x) == 0) return NULL;
    int64_t n = x->dims[axis], outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            double fs = 0;
            int64_t is = 0;
            for (int64_t step = 0; step < n; step++) {
                int64_t j = p->reverse ? n - 1 - step : step, at_i = (o * n + j) * inner + i;
                if (is_float) {
                    double v = cort_get_f64(x, at_i);
                    if (!p->exclusive) fs += v;
                    cort_set_f64(y, at_i, fs);
                    if (p->exclusive) fs += v;
                } else {
                    int64_t v = cort_get_i64(x, at_i);
                    if (!p->exclusive) is = (int64_t)((uint64_t)is + (uint64_t)v);
                    cort_set_i64(y, at_i, is);
                    if (p->exclusive) is = (int64_t)((uint64_t)is + (uint64_t)v);
                }
            }
        }
    }
    return NULL;
}

static cort_status *same_as_input_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], x);
}

/* ---------------------------------------------------------------- NonMaxSuppression */

typedef struct nms_params {
    bool center_point_box;
} nms_params;

static cort_status *nms_parse(cort_parse_ctx *pc) {
    nms_params *p = pc->params;
    int64_t c = cort_attr_int(pc->node, "center_point_box", 0);
    if (c != 0 && c != 1) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "center_point_box must be 0 or 1");
    p->center_point_box = c == 1;
    return NULL;
}

typedef struct box { double x0, y0, x1, y1; } box;

static box read_box(const cort_tensor *boxes, int64_t at, bool center) {
    double a = cort_get_f64(boxes, at), b = cort_get_f64(boxes, at + 1);
    double c = cort_get_f64(boxes, at + 2), d = cort_get_f64(boxes, at + 3);
    if (center) /* [x_center, y_center, width, height] */
        return (box){a - c / 2, b - d / 2, a + c / 2, b + d / 2};
    /* [y1, x1, y2, x2], corners in either order */
    return (box){fmin(b, d), fmin(a, c), fmax(b, d), fmax(a, c)};
}

static bool suppressed_by(box a, box b, double iou_threshold) {
    double ix0 = fmax(a.x0, b.x0), iy0 = fmax(a.y0, b.y0), ix1 = fmin(a.x1, b.x1), iy1 = fmin(a.y1, b.y1);
    if (ix1 <= ix0 || iy1 <= iy0) return false;
    double inter = (ix1 - ix0) * (iy1 - iy0);
    double area_a = (a.x1 - a.x0) * (a.y1 - a.y0), area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
    if (area_a <= 0 || area_b <= 0) return false;
    double uni = area_a + area_b - inter;
    if (uni <= 0) return false;
    return inter / uni > iou_threshold;
}

typedef struct score_view {
    const cort_tensor *scores;
    int64_t base;
} score_view;

/* Higher score first; the stable sort keeps lower box indices first on ties. */
static int score_order(const void *ctx, int64_t a, int64_t b) {
    const score_view *s = ctx;
    return -cmp_f64(cort_get_f64(s->scores, s->base + a), cort_get_f64(s->scores, s->base + b));
}

static cort_status *optional_scalar(cort_kctx *ctx, int i, bool want_int, double *out, bool *given) {
    const cort_tensor *t = cort_in(ctx, i);
    *given = false;
    if (!t) return NULL;
    int64_t n = cort_tensor_count(t);
    if (n == 0) return NULL;
    if (n != 1) return cort_kerr(ctx, "input %d must be a scalar", i);
    if (want_int ? !is_int_type(t->type) : !is_float_type(t->type))
        return cort_kerr(ctx, "input %d has unexpected type %s", i, cort_type_name(t->type));
    *out = want_int ? (double)cort_get_i64(t, 0) : cort_get_f64(t, 0);
    *given = true;
    return NULL;
}

static cort_status *nms_run(cort_kctx *ctx) {
    const nms_params *p = ctx->params;
    const cort_tensor *boxes = cort_in(ctx, 0), *scores = cort_in(ctx, 1);
    if (!boxes || !scores) return cort_kerr(ctx, "boxes and scores are required");
    if (!is_float_type(boxes->type) || !is_float_type(scores->type)) return cort_kerr(ctx, "boxes and scores must be float");
    if (boxes->rank != 3 || boxes->dims[2] != 4) return cort_kerr(ctx, "boxes must be [batch, spatial, 4]");
    if (scores->rank != 3 || scores->dims[0] != boxes->dims[0] || scores->dims[2] != boxes->dims[1])
        return cort_kerr(ctx, "scores must be [batch, classes, spatial] matching boxes");
    double max_out = 0, iou = 0, score_th = 0;
    bool has_max, has_iou, has_score;
    CORT_TRY(optional_scalar(ctx, 2, true, &max_out, &has_max));
    CORT_TRY(optional_scalar(ctx, 3, false, &iou, &has_iou));
    CORT_TRY(optional_scalar(ctx, 4, false, &score_th, &has_score));
    if (has_iou && (iou < 0 || iou > 1)) return cort_kerr(ctx, "iou_threshold must be in [0, 1], got %g", iou);
    int64_t batches = boxes->dims[0], classes = scores->dims[1], spatial = boxes->dims[1];
    /* no boxes or no scores: nothing selected (and the dims of empty tensors may be anything) */
    if (cort_tensor_count(boxes) == 0 || cort_tensor_count(scores) == 0) max_out = 0;
    int64_t per_class = max_out <= 0 ? 0 : (max_out < (double)spatial ? (int64_t)max_out : spatial);
    if (per_class == 0) batches = classes = spatial = 0;
    int64_t cap = batches * classes * per_class;
    size_t bytes = (size_t)(spatial + 1) * sizeof(int64_t);
    int64_t *order = ctx->svc->scratch(ctx, bytes), *tmp = ctx->svc->scratch(ctx, bytes);
    int64_t *kept = ctx->svc->scratch(ctx, bytes);
    int64_t *sel = ctx->svc->scratch(ctx, (size_t)(cap + 1) * 3 * sizeof(int64_t));
    if (!order || !tmp || !kept || !sel) return cort_kerr(ctx, "out of scratch memory");
    int64_t n_sel = 0;
    for (int64_t b = 0; b < batches && per_class > 0; b++) {
        for (int64_t c = 0; c < classes; c++) {
            score_view sv = {scores, (b * classes + c) * spatial};
            int64_t n = 0;
            for (int64_t i = 0; i < spatial; i++)
                if (!has_score || cort_get_f64(scores, sv.base + i) > score_th) order[n++] = i;
            merge_sort(order, tmp, n, score_order, &sv);
            int64_t n_kept = 0;
            for (int64_t i = 0; i < n && n_kept < per_class; i++) {
                box cand = read_box(boxes, (b * spatial + order[i]) * 4, p->center_point_box);
                bool keep = true;
                for (int64_t j = 0; j < n_kept && keep; j++)
                    keep = !suppressed_by(cand, read_box(boxes, (b * spatial + kept[j]) * 4, p->center_point_box), iou);
                if (!keep) continue;
                kept[n_kept++] = order[i];
                sel[n_sel * 3] = b, sel[n_sel * 3 + 1] = c, sel[n_sel * 3 + 2] = order[i];
                n_sel++;
            }
        }
    }
    int64_t dims[2] = {n_sel, 3};
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, 2, dims, &y));
    if (n_sel) memcpy(y->data, sel, (size_t)n_sel * 3 * sizeof(int64_t));
    return NULL;
}

static cort_status *nms_infer(cort_infer_ctx *ic) {
    cort_dim *dims = cort_pool_calloc(ic->pool, 2, sizeof(cort_dim));
    if (!dims) return cort_oom();
    dims[0].value = -1;
    dims[1].value = 3;
    cort_type_set_tensor(&ic->out[0], CORT_INT64, 2, dims);
    return NULL;
}

/* ---------------------------------------------------------------- RoiAlign */

typedef struct roi_align_params {
    bool max_mode;
    bool half_pixel; /* coordinate_transformation_mode half_pixel (opset 16 default) vs output_half_pixel */
    int64_t out_h, out_w, sampling_ratio;
    double spatial_scale;
} roi_align_params;

static cort_status *roi_align_parse(cort_parse_ctx *pc) {
    roi_align_params *p = pc->params;
    const cort_node *node = pc->node;
    const char *mode = cort_attr_string(node, "mode", "avg");
    if (strcmp(mode, "avg") && strcmp(mode, "max"))
        return cort_node_error(node, CORT_INVALID_GRAPH, "mode '%s' is not avg or max", mode);
    p->max_mode = !strcmp(mode, "max");
    const char *ctm = cort_attr_string(node, "coordinate_transformation_mode", node->opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (strcmp(ctm, "half_pixel") && strcmp(ctm, "output_half_pixel"))
        return cort_node_error(node, CORT_INVALID_GRAPH, "coordinate_transformation_mode '%s' is not supported", ctm);
    p->half_pixel = !strcmp(ctm, "half_pixel");
    p->out_h = cort_attr_int(node, "output_height", 1);
    p->out_w = cort_attr_int(node, "output_width", 1);
    p->sampling_ratio = cort_attr_int(node, "sampling_ratio", 0);
    p->spatial_scale = cort_attr_float(node, "spatial_scale", 1.0f);
    if (p->out_h <= 0 || p->out_w <= 0 || p->out_h > (1 << 20) || p->out_w > (1 << 20))
        return cort_node_error(node, CORT_INVALID_GRAPH, "output size %lldx%lld is invalid", (long long)p->out_h,
                               (long long)p->out_w);
    if (p->sampling_ratio < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "sampling_ratio must be >= 0");
    return NULL;
}

/* Bilinear taps of one sample point; all weights 0 when the point lies outside the feature map. */
typedef struct bilinear_taps {
    int64_t at[4];
    double w[4];
} bilinear_taps;

static bilinear_taps roi_sample_taps(double y, double x, int64_t h, int64_t w) {
    bilinear_taps t = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (!(y >= -1.0 && y <= (double)h && x >= -1.0 && x <= (double)w)) return t; /* also NaN */
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
    if (y0 >= h - 1) y1 = y0 = h - 1, y = (double)y0;
    else y1 = y0 + 1;
    if (x0 >= w - 1) x1 = x0 = w - 1, x = (double)x0;
    else x1 = x0 + 1;
    double ly = y - (double)y0, lx = x - (double)x0, hy = 1 - ly, hx = 1 - lx;
    t.at[0] = y0 * w + x0, t.at[1] = y0 * w + x1, t.at[2] = y1 * w + x0, t.at[3] = y1 * w + x1;
    t.w[0] = hy * hx, t.w[1] = hy * lx, t.w[2] = ly * hx, t.w[3] = ly * lx;
    return t;
}

/* One bin's value in one channel plane from its precomputed sample taps. */
static double roi_bin_value(const cort_tensor *x, int64_t plane, const bilinear_taps *taps, int64_t n, bool max_mode) {
    const float *xf = x->type == CORT_FLOAT ? (const float *)x->data + plane : NULL;
    double acc = 0;
    for (int64_t s = 0; s < n; s++) {
        const bilinear_taps *t = &taps[s];
        double v[4];
        for (int k = 0; k < 4; k++) v[k] = t->w[k] * (xf ? xf[t->at[k]] : cort_get_f64(x, plane + t->at[k]));
        if (!max_mode) {
            acc += v[0] + v[1] + v[2] + v[3];
        } else { /* max mode takes the largest weighted tap, as ONNX Runtime does */
            double m = fmax(fmax(v[0], v[1]), fmax(v[2], v[3]));
            acc = s ? fmax(acc, m) : m;
        }
    }
    return max_mode ? acc : acc / (double)(n ? n : 1);
}

/* Largest sampling grid per bin we precompute taps for. */
#define ROI_MAX_SAMPLES (1 << 20)

static cort_status *roi_align_run(cort_kctx *ctx) {
    const roi_align_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *rois = cort_in(ctx, 1), *bidx = cort_in(ctx, 2);
    if (!x || !rois || !bidx) return cort_kerr(ctx, "X, rois and batch_indices are required");
    if (!is_float_type(x->type) || !is_float_type(rois->type)) return cort_kerr(ctx, "X and rois must be float");
    if (x->rank != 4) return cort_kerr(ctx, "X must be 4-D, got rank %d", x->rank);
    if (rois->rank != 2 || rois->dims[1] != 4) return cort_kerr(ctx, "rois must be [num_rois, 4]");
    if (!is_int_type(bidx->type) || bidx->rank != 1 || bidx->dims[0] != rois->dims[0])
        return cort_kerr(ctx, "batch_indices must be an integer tensor of [num_rois]");
    int64_t n_rois = rois->dims[0], channels = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t dims[4] = {n_rois, channels, p->out_h, p->out_w};
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, 4, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    if (h == 0 || w == 0) return cort_kerr(ctx, "X has an empty spatial axis (%lldx%lld)", (long long)h, (long long)w);
    double offset = p->half_pixel ? 0.5 : 0.0;
    int64_t bins = p->out_h * p->out_w;
    for (int64_t r = 0; r < n_rois; r++) {
        int64_t b = cort_get_i64(bidx, r);
        if (b < 0 || b >= x->dims[0]) return cort_kerr(ctx, "batch index %lld is out of range", (long long)b);
        double sx = cort_get_f64(rois, r * 4) * p->spatial_scale - offset;
        double sy = cort_get_f64(rois, r * 4 + 1) * p->spatial_scale - offset;
        double ex = cort_get_f64(rois, r * 4 + 2) * p->spatial_scale - offset;
        double ey = cort_get_f64(rois, r * 4 + 3) * p->spatial_scale - offset;
        double rw = ex - sx, rh = ey - sy;
        if (!isfinite(rw) || !isfinite(rh) || fabs(sx) > 1e15 || fabs(sy) > 1e15)
            return cort_kerr(ctx, "roi %lld has non-finite or out-of-range coordinates", (long long)r);
        if (!p->half_pixel) rw = fmax(rw, 1.0), rh = fmax(rh, 1.0);
        double bin_h = rh / (double)p->out_h, bin_w = rw / (double)p->out_w;
        int64_t grid_h = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceil(rh / (double)p->out_h);
        int64_t grid_w = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceil(rw / (double)p->out_w);
        if (grid_h < 0 || grid_w < 0 || grid_h > (1 << 16) || grid_w > (1 << 16) || grid_h * grid_w > ROI_MAX_SAMPLES)
            return cort_kerr(ctx, "roi %lld gives an invalid or too large sampling grid", (long long)r);
        bilinear_taps *taps = ctx->svc->scratch(ctx, (size_t)(grid_h * grid_w + 1) * sizeof(bilinear_taps));
        if (!taps) return cort_kerr(ctx, "out of scratch memory");
        /* the sample taps of a bin are the same in every channel: compute them once */
        for (int64_t bin = 0; bin < bins; bin++) {
            int64_t ph = bin / p->out_w, pw = bin % p->out_w, n = 0;
            for (int64_t iy = 0; iy < grid_h; iy++) {
                double yy = sy + (double)ph * bin_h + ((double)iy + 0.5) * bin_h / (double)grid_h;
                for (int64_t ix = 0; ix < grid_w; ix++) {
                    double xx = sx + (double)pw * bin_w + ((double)ix + 0.5) * bin_w / (double)grid_w;
                    taps[n++] = roi_sample_taps(yy, xx, h, w);
                }
            }
            for (int64_t c = 0; c < channels; c++) {
                double v = roi_bin_value(x, (b * channels + c) * h * w, taps, n, p->max_mode);
                cort_set_f64(y, (r * channels + c) * bins + bin, v);
            }
        }
    }
    return NULL;
}

static cort_status *roi_align_infer(cort_infer_ctx *ic) {
    const roi_align_params *p = ic->params;
    const cort_type *x = ic->in[0], *rois = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_dim *dims = cort_pool_calloc(ic->pool, 4, sizeof(cort_dim));
    if (!dims) return cort_oom();
    dims[0].value = dims[1].value = -1;
    if (rois && rois->kind == CORT_TYPE_TENSOR && rois->rank == 2) dims[0] = rois->dims[0];
    if (x->rank == 4) dims[1] = x->dims[1];
    dims[2].value = p->out_h;
    dims[3].value = p->out_w;
    cort_type_set_tensor(&ic->out[0], x->elem, 4, dims);
    return NULL;
}

const cort_op_def cort_ops_index[] = {
    {"", "TopK", 1, 9, CORT_TS_NUM, 0, sizeof(topk_params), topk_parse, topk_infer, NULL, topk_run, 0},
    {"", "TopK", 10, 10, CORT_TS_NUM, 0, sizeof(topk_params), topk_parse, topk_infer, NULL, topk_run, 0},
    {"", "TopK", 11, CORT_OPSET_MAX, CORT_TS_NUM, 0, sizeof(topk_params), topk_parse, topk_infer, NULL, topk_run, 0},
    {"", "NonZero", 9, CORT_OPSET_MAX, CORT_TS_NUM | CORT_T(CORT_BOOL), 0, 0, NULL, nonzero_infer, NULL, nonzero_run, 0},
    {"", "Unique", 11, CORT_OPSET_MAX, CORT_TS_ALL, 0, sizeof(unique_params), unique_parse, unique_infer, NULL,
     unique_run, 0},
    {"", "CumSum", 11, CORT_OPSET_MAX, CORT_TS_NUM, 0, sizeof(cumsum_params), cumsum_parse, same_as_input_infer, NULL,
     cumsum_run, 0},
    {"", "NonMaxSuppression", 10, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(nms_params), nms_parse, nms_infer, NULL,
     nms_run, 0},
    {"", "RoiAlign", 10, 15, CORT_TS_FLOAT, 0, sizeof(roi_align_params), roi_align_parse, roi_align_infer, NULL,
     roi_align_run, 0},
    {"", "RoiAlign", 16, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(roi_align_params), roi_align_parse, roi_align_infer,
     NULL, roi_align_run, 0},
    {0},
};
