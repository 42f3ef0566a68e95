/* Shape-changing operators: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Expand, Transpose,
 * DepthToSpace, SpaceToDepth. They only move elements, so every kernel works for every element type. */
#include <string.h>

#include "ops/movement.h"

/* Output 0 holds input 0's elements under a new shape: a view of the input where the executor offers
 * one (these rows carry CORT_OP_ALIAS_INPUT0), else a copy. */
static cort_status *copy_as_shape(cort_kctx *ctx, const cort_tensor *x, int rank, const int64_t *dims) {
    if (x->type != CORT_STRING && ctx->svc->alias_output) return ctx->svc->alias_output(ctx, 0, 0, rank, dims);
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, rank, dims, &y));
    return cort_copy_elems(y->data, 0, x->data, 0, cort_tensor_count(x), x->type);
}

/* Copies the input dim (value and symbol) into an inferred output dim. */
static void copy_dim(cort_dim *dst, const cort_dim *src) { *dst = *src; }

static bool all_dims_known(const cort_type *t) {
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i].value < 0) return false;
    return true;
}

/* ================================================================ Reshape */
typedef struct reshape_params {
    int64_t allowzero;
    int n_shape;             /* opset 1-4: the `shape` attribute */
    int64_t shape[CORT_MAX_RANK];
} reshape_params;

static cort_status *reshape_parse(cort_parse_ctx *pc) {
    reshape_params *p = pc->params;
    p->allowzero = cort_attr_int(pc->node, "allowzero", 0);
    if (pc->node->opset >= 5) return NULL;
    const int64_t *shape;
    int64_t n = cort_attr_ints(pc->node, "shape", &shape);
    if (n < 0) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'shape' is required");
    if (n > CORT_MAX_RANK)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "shape has %lld dims, at most %d supported",
                               (long long)n, CORT_MAX_RANK);
    p->n_shape = (int)n;
    memcpy(p->shape, shape, (size_t)n * sizeof *shape);
    return NULL;
}

static cort_status *reshape_target(const cort_kctx *ctx, int64_t *shape, int *n) {
    const reshape_params *p = ctx->params;
    if (ctx->node->opset < 5) {
        *n = p->n_shape;
        memcpy(shape, p->shape, (size_t)p->n_shape * sizeof *shape);
        return NULL;
    }
    const cort_tensor *s = cort_in(ctx, 1);
    if (!s) return cort_kerr(ctx, "input 1 'shape' is missing");
    return cort_read_ints(ctx, s, "input 'shape'", shape, CORT_MAX_RANK, n);
}

static cort_status *reshape_run(cort_kctx *ctx) {
    const reshape_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    int64_t shape[CORT_MAX_RANK], dims[CORT_MAX_RANK];
    int n;
    CORT_TRY(reshape_target(ctx, shape, &n));
    int infer_at = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (int i = 0; i < n; i++) {
        int64_t s = shape[i];
        if (s == -1) {
            if (infer_at >= 0) return cort_kerr(ctx, "shape has more than one -1");
            infer_at = i;
            dims[i] = 1;
            continue;
        }
        if (s < -1) return cort_kerr(ctx, "shape[%d] = %lld is invalid", i, (long long)s);
        if (s == 0 && !p->allowzero) {
            if (i >= x->rank)
                return cort_kerr(ctx, "shape[%d] = 0 copies a dim the rank-%d input lacks", i, (int)x->rank);
            s = x->dims[i];
        }
        if (s == 0) has_zero = true;
        dims[i] = s;
        if (s > 0 && known > CORT_MAX_ELEMENTS / s)
            return cort_kerr(ctx, "shape has too many elements");
        known *= s;
    }
    int64_t count = cort_tensor_count(x);
    if (infer_at >= 0) {
        if (p->allowzero && has_zero) return cort_kerr(ctx, "shape with allowzero=1 holds both 0 and -1");
        if (known == 0 || count % known)
            return cort_kerr(ctx, "cannot infer the -1 dim: %lld elements do not divide into %lld",
                             (long long)count, (long long)known);
        dims[infer_at] = count / known;
        known = count;
    }
    if (known != count) {
        char a[256], b[256];
        return cort_kerr(ctx, "cannot reshape %s into %s", cort_shape_str(x->dims, x->rank, a, sizeof a),
                         cort_shape_str(dims, n, b, sizeof b));
    }
    return copy_as_shape(ctx, x, n, dims);
}

static cort_status *reshape_infer(cort_infer_ctx *ic) {
    const reshape_params *p = ic->params;
    int32_t elem = cort_infer_elem(ic, 0);
    int64_t shape[CORT_MAX_RANK];
    int n = p->n_shape;
    cort_status *st;
    if (ic->node->opset >= 5) {
        if (ic->n_in < 2 || !cort_const_ints(ic->in_const[1], shape, CORT_MAX_RANK, &n)) {
            cort_infer_out(ic, 0, elem, -1, &st);
            return st;
        }
    } else {
        memcpy(shape, p->shape, (size_t)n * sizeof *shape);
    }
    cort_dim *dims = cort_infer_out(ic, 0, elem, n, &st);
    if (st || !dims) return st;
    const cort_type *xr = cort_infer_ranked(ic, 0);
    int infer_at = -1;
    int64_t known = 1;
    bool all_known = true;
    for (int i = 0; i < n; i++) {
        if (shape[i] > 0) dims[i].value = shape[i];
        else if (shape[i] == 0 && p->allowzero) dims[i].value = 0;
        else if (shape[i] == 0 && xr && i < xr->rank) copy_dim(&dims[i], &xr->dims[i]);
        else if (shape[i] == -1) infer_at = i;
        if (i != infer_at) {
            if (dims[i].value < 0) all_known = false;
            else if (dims[i].value > 0 && known <= CORT_MAX_ELEMENTS / dims[i].value) known *= dims[i].value;
            else known = 0;
        }
    }
    if (infer_at >= 0 && all_known && known > 0 && xr && all_dims_known(xr)) {
        int64_t count = 1;
        for (int i = 0; i < xr->rank; i++) count *= xr->dims[i].value;
        if (count % known == 0) dims[infer_at].value = count / known;
    }
    return NULL;
}

/* ================================================================ Flatten */
static cort_status *flatten_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    int64_t axis = cort_attr_int(ctx->node, "axis", 1);
    if (axis < -x->rank || axis > x->rank)
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)x->rank);
    if (axis < 0) axis += x->rank;
    int64_t dims[2] = {cort_dims_product(x->dims, 0, (int)axis), cort_dims_product(x->dims, (int)axis, x->rank)};
    return copy_as_shape(ctx, x, 2, dims);
}

static cort_status *flatten_infer(cort_infer_ctx *ic) {
    const cort_type *x = cort_infer_ranked(ic, 0);
    cort_status *st;
    cort_dim *dims = cort_infer_out(ic, 0, cort_infer_elem(ic, 0), 2, &st);
    if (st || !x || !all_dims_known(x)) return st;
    int64_t axis = cort_attr_int(ic->node, "axis", 1);
    if (axis < -x->rank || axis > x->rank) return NULL; /* run reports it */
    if (axis < 0) axis += x->rank;
    dims[0].value = dims[1].value = 1;
    for (int i = 0; i < x->rank; i++) dims[i < axis ? 0 : 1].value *= x->dims[i].value;
    return NULL;
}

/* ================================================================ Squeeze / Unsqueeze */
typedef struct axes_params {
    bool has_axes; /* opset < 13: the `axes` attribute */
    int n_axes;
    int64_t axes[CORT_MAX_RANK];
} axes_params;

static cort_status *axes_parse(cort_parse_ctx *pc) {
    axes_params *p = pc->params;
    if (pc->node->opset >= 13) return NULL;
    const int64_t *axes;
    int64_t n = cort_attr_ints(pc->node, "axes", &axes);
    if (n < 0) return NULL;
    if (n > CORT_MAX_RANK)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "%lld axes, at most %d supported", (long long)n,
                               CORT_MAX_RANK);
    p->has_axes = true;
    p->n_axes = (int)n;
    memcpy(p->axes, axes, (size_t)n * sizeof *axes);
    return NULL;
}

/* The axes of Squeeze/Unsqueeze from the attribute or input 1; *given false when there are none. */
static cort_status *read_axes(const cort_kctx *ctx, int64_t *axes, int *n, bool *given) {
    const axes_params *p = ctx->params;
    *given = false;
    *n = 0;
    if (ctx->node->opset < 13) {
        *given = p->has_axes;
        *n = p->n_axes;
        memcpy(axes, p->axes, (size_t)p->n_axes * sizeof *axes);
        return NULL;
    }
    const cort_tensor *t = cort_in(ctx, 1);
    if (!t) return NULL;
    CORT_TRY(cort_read_ints(ctx, t, "input 'axes'", axes, CORT_MAX_RANK, n));
    *given = true;
    return NULL;
}

static bool infer_axes(const cort_infer_ctx *ic, int64_t *axes, int *n, bool *given) {
    const axes_params *p = ic->params;
    if (ic->node->opset < 13) {
        *given = p->has_axes;
        *n = p->n_axes;
        memcpy(axes, p->axes, (size_t)p->n_axes * sizeof *axes);
        return true;
    }
    *n = 0;
    *given = false;
    if (ic->n_in < 2 || !ic->in[1]) return true;
    *given = true;
    return cort_const_ints(ic->in_const[1], axes, CORT_MAX_RANK, n);
}

/* Marks which input dims Squeeze removes; false with *bad set to the offending axis index. */
static bool squeeze_mask(const int64_t *axes, int n, bool given, int rank, const int64_t *dims, bool *drop,
                         int *bad) {
    memset(drop, 0, (size_t)rank * sizeof *drop);
    if (!given || n == 0) { /* an empty list squeezes all unit dims, as in ONNX Runtime */
        for (int i = 0; i < rank; i++) drop[i] = dims && dims[i] == 1;
        return true;
    }
    for (int i = 0; i < n; i++) {
        int a;
        if (!cort_norm_axis(axes[i], rank, &a) || drop[a] || (dims && dims[a] != 1)) {
            *bad = i;
            return false;
        }
        drop[a] = true;
    }
    return true;
}

static cort_status *squeeze_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    int64_t axes[CORT_MAX_RANK], dims[CORT_MAX_RANK];
    int n, bad, r = 0;
    bool given, drop[CORT_MAX_RANK];
    CORT_TRY(read_axes(ctx, axes, &n, &given));
    if (!squeeze_mask(axes, n, given, x->rank, x->dims, drop, &bad)) {
        char buf[256];
        return cort_kerr(ctx, "cannot squeeze axis %lld of shape %s (out of range, repeated or not 1)",
                         (long long)axes[bad], cort_shape_str(x->dims, x->rank, buf, sizeof buf));
    }
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) dims[r++] = x->dims[i];
    return copy_as_shape(ctx, x, r, dims);
}

static cort_status *squeeze_infer(cort_infer_ctx *ic) {
    const cort_type *x = cort_infer_ranked(ic, 0);
    int32_t elem = cort_infer_elem(ic, 0);
    int64_t axes[CORT_MAX_RANK], xdims[CORT_MAX_RANK];
    int n, bad;
    bool given, drop[CORT_MAX_RANK];
    cort_status *st;
    if (!x || !infer_axes(ic, axes, &n, &given) || ((!given || n == 0) && !all_dims_known(x))) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    for (int i = 0; i < x->rank; i++) xdims[i] = x->dims[i].value;
    /* with explicit axes an unknown dim is assumed 1; the run checks */
    if (!squeeze_mask(axes, n, given, x->rank, given && n > 0 ? NULL : xdims, drop, &bad)) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    int r = 0;
    for (int i = 0; i < x->rank; i++) r += !drop[i];
    cort_dim *dims = cort_infer_out(ic, 0, elem, r, &st);
    if (st) return st;
    r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) copy_dim(&dims[r++], &x->dims[i]);
    return NULL;
}

/* Marks which output dims Unsqueeze inserts; false with *bad set to the offending axis index. */
static bool unsqueeze_mask(const int64_t *axes, int n, int out_rank, bool *ins, int *bad) {
    memset(ins, 0, (size_t)out_rank * sizeof *ins);
    for (int i = 0; i < n; i++) {
        int a;
        if (!cort_norm_axis(axes[i], out_rank, &a) || ins[a]) {
            *bad = i;
            return false;
        }
        ins[a] = true;
    }
    return true;
}

static cort_status *unsqueeze_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    int64_t axes[CORT_MAX_RANK], dims[CORT_MAX_RANK];
    int n, bad;
    bool given, ins[CORT_MAX_RANK];
    CORT_TRY(read_axes(ctx, axes, &n, &given));
    if (!given) return cort_kerr(ctx, "axes are required");
    int out_rank = x->rank + n;
    if (out_rank > CORT_MAX_RANK)
        return cort_kerr(ctx, "output rank %d exceeds the supported %d", out_rank, CORT_MAX_RANK);
    if (!unsqueeze_mask(axes, n, out_rank, ins, &bad))
        return cort_kerr(ctx, "axis %lld is out of range for output rank %d or repeated", (long long)axes[bad],
                         out_rank);
    for (int i = 0, j = 0; i < out_rank; i++) dims[i] = ins[i] ? 1 : x->dims[j++];
    return copy_as_shape(ctx, x, out_rank, dims);
}

static cort_status *unsqueeze_infer(cort_infer_ctx *ic) {
    const cort_type *x = cort_infer_ranked(ic, 0);
    int32_t elem = cort_infer_elem(ic, 0);
    int64_t axes[CORT_MAX_RANK];
    int n, bad;
    bool given, ins[CORT_MAX_RANK];
    cort_status *st;
    if (!x || !infer_axes(ic, axes, &n, &given) || !given || x->rank + n > CORT_MAX_RANK ||
        !unsqueeze_mask(axes, n, x->rank + n, ins, &bad)) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    int out_rank = x->rank + n;
    cort_dim *dims = cort_infer_out(ic, 0, elem, out_rank, &st);
    if (st) return st;
    for (int i = 0, j = 0; i < out_rank; i++) {
        if (ins[i]) dims[i].value = 1;
        else copy_dim(&dims[i], &x->dims[j++]);
    }
    return NULL;
}

/* ================================================================ Shape / Size */
/* The [start, end) range of dims Shape reports, clamped to [0, rank]. */
static void shape_range(const cort_node *node, int rank, int64_t *start, int64_t *end) {
    int64_t s = cort_attr_int(node, "start", 0);
    int64_t e = cort_node_attr(node, "end") ? cort_attr_int(node, "end", rank) : rank;
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = s < 0 ? 0 : s > rank ? rank : s;
    e = e < 0 ? 0 : e > rank ? rank : e;
    *start = s;
    *end = e < s ? s : e;
}

static cort_status *shape_run(cort_kctx *ctx) {
    const cort_value *v = cort_in_value(ctx, 0);
    if (!v || v->kind != CORT_VALUE_TENSOR) return cort_kerr(ctx, "input 0 'data' is missing or not a tensor");
    const cort_tensor *x = &v->t;
    int64_t start, end;
    shape_range(ctx->node, x->rank, &start, &end);
    int64_t n = end - start;
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, 1, &n, &y));
    for (int64_t i = 0; i < n; i++) ((int64_t *)y->data)[i] = x->dims[start + i];
    return NULL;
}

static cort_status *shape_infer(cort_infer_ctx *ic) {
    const cort_type *x = cort_infer_ranked(ic, 0);
    cort_status *st;
    cort_dim *dims = cort_infer_out(ic, 0, CORT_INT64, 1, &st);
    if (st || !x) return st;
    int64_t start, end;
    shape_range(ic->node, x->rank, &start, &end);
    dims[0].value = end - start;
    return NULL;
}

static cort_status *size_run(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input 0 'data' is missing or not a tensor");
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, 0, NULL, &y));
    *(int64_t *)y->data = cort_tensor_count(x);
    return NULL;
}

static cort_status *size_infer(cort_infer_ctx *ic) {
    cort_status *st;
    cort_infer_out(ic, 0, CORT_INT64, 0, &st);
    return st;
}

/* ================================================================ Expand */
static cort_status *expand_run(cort_kctx *ctx) {
    const cort_tensor *x, *s;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    CORT_TRY(cort_move_input(ctx, 1, "shape", &s));
    int64_t shape[CORT_MAX_RANK], dims[CORT_MAX_RANK], xs[CORT_MAX_RANK];
    int n, rank;
    CORT_TRY(cort_read_ints(ctx, s, "input 'shape'", shape, CORT_MAX_RANK, &n));
    for (int i = 0; i < n; i++)
        if (shape[i] < 0) return cort_kerr(ctx, "shape[%d] = %lld is negative", i, (long long)shape[i]);
    if (!cort_broadcast_shape(x->dims, x->rank, shape, n, dims, &rank)) {
        char a[256], b[256];
        return cort_kerr(ctx, "cannot expand %s to %s", cort_shape_str(x->dims, x->rank, a, sizeof a),
                         cort_shape_str(shape, n, b, sizeof b));
    }
    if (cort_shape_count(dims, rank) < 0) return cort_kerr(ctx, "expanded shape is too large");
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, rank, dims, &y));
    cort_dense_strides(x->dims, x->rank, xs);
    cort_view v = {.rank = rank};
    for (int i = 0; i < rank; i++) {
        int xi = i - (rank - x->rank);
        v.dims[i] = dims[i];
        v.strides[i] = xi < 0 || x->dims[xi] == 1 ? 0 : xs[xi];
    }
    return cort_view_copy(ctx, y->data, x->data, x->type, &v);
}

static cort_status *expand_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *x = cort_infer_ranked(ic, 0);
    int64_t shape[CORT_MAX_RANK];
    int n;
    bool present;
    if (!x || !cort_infer_const_ints(ic, 1, shape, CORT_MAX_RANK, &n, &present) || !present)
        return cort_infer_elem_only(ic);
    int rank = n > x->rank ? n : x->rank;
    cort_dim *dims = cort_infer_out(ic, 0, x->elem, rank, &st);
    for (int i = 0; dims && i < rank; i++) {
        int xi = i - (rank - x->rank), si = i - (rank - n);
        const cort_dim *xd = xi >= 0 ? &x->dims[xi] : NULL;
        int64_t sd = si >= 0 ? shape[si] : 1;
        if (!xd) dims[i].value = sd;
        else if (sd == 1 || sd == xd->value) dims[i] = *xd;
        else if (xd->value == 1) dims[i].value = sd; /* else unknown: an unknown dim broadcasts either way */
    }
    return st;
}

/* ================================================================ Transpose */
typedef struct transpose_params {
    int n_perm; /* 0: reverse the dims */
    int64_t perm[CORT_MAX_RANK];
} transpose_params;

static cort_status *transpose_parse(cort_parse_ctx *pc) {
    transpose_params *p = pc->params;
    const int64_t *perm;
    int64_t n = cort_attr_ints(pc->node, "perm", &perm);
    if (n < 0) return NULL;
    if (n > CORT_MAX_RANK)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "perm has %lld entries, at most %d supported",
                               (long long)n, CORT_MAX_RANK);
    p->n_perm = (int)n;
    memcpy(p->perm, perm, (size_t)n * sizeof *perm);
    return NULL;
}

/* The permutation for a rank; false if the attribute is not a permutation of [0, rank). */
static bool transpose_perm(const transpose_params *p, int rank, int *perm) {
    if (p->n_perm == 0 && rank > 0) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return true;
    }
    if (p->n_perm != rank) return false;
    bool seen[CORT_MAX_RANK] = {false};
    for (int i = 0; i < rank; i++) {
        int64_t a = p->perm[i];
        if (a < 0 || a >= rank || seen[a]) return false;
        seen[a] = true;
        perm[i] = (int)a;
    }
    return true;
}

static cort_status *transpose_run(cort_kctx *ctx) {
    const transpose_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    int perm[CORT_MAX_RANK];
    if (!transpose_perm(p, x->rank, perm))
        return cort_kerr(ctx, "perm is not a permutation of the %d input dims", (int)x->rank);
    int64_t xs[CORT_MAX_RANK];
    cort_dense_strides(x->dims, x->rank, xs);
    cort_view v = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) {
        v.dims[i] = x->dims[perm[i]];
        v.strides[i] = xs[perm[i]];
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, x->rank, v.dims, &y));
    return cort_view_copy(ctx, y->data, x->data, x->type, &v);
}

static cort_status *transpose_infer(cort_infer_ctx *ic) {
    const cort_type *x = cort_infer_ranked(ic, 0);
    int32_t elem = cort_infer_elem(ic, 0);
    int perm[CORT_MAX_RANK];
    cort_status *st;
    if (!x || !transpose_perm(ic->params, x->rank, perm)) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    cort_dim *dims = cort_infer_out(ic, 0, elem, x->rank, &st);
    if (st) return st;
    for (int i = 0; i < x->rank; i++) copy_dim(&dims[i], &x->dims[perm[i]]);
    return NULL;
}

/* ================================================================ DepthToSpace / SpaceToDepth */
typedef struct block_params {
    int64_t blocksize;
    bool crd; /* DepthToSpace mode CRD (else DCR) */
} block_params;

static cort_status *block_parse(cort_parse_ctx *pc) {
    block_params *p = pc->params;
    p->blocksize = cort_attr_int(pc->node, "blocksize", 0);
    if (p->blocksize <= 0 || p->blocksize > 65536)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "blocksize %lld is invalid", (long long)p->blocksize);
    const char *mode = cort_attr_string(pc->node, "mode", "DCR");
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "mode '%s' is not DCR or CRD", mode);
    p->crd = !strcmp(mode, "CRD");
    return NULL;
}

/* Both ops are a 6-D reshape, a transpose and a reshape: `src6` is the input seen as 6-D, `perm` the
 * transpose, `out` the 4-D result. */
static cort_status *block_move(cort_kctx *ctx, const cort_tensor *x, const int64_t *src6, const int *perm,
                               const int64_t *out) {
    int64_t s6[6];
    cort_dense_strides(src6, 6, s6);
    cort_view v = {.rank = 6};
    for (int i = 0; i < 6; i++) {
        v.dims[i] = src6[perm[i]];
        v.strides[i] = s6[perm[i]];
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, 4, out, &y));
    return cort_view_copy(ctx, y->data, x->data, x->type, &v);
}

static cort_status *depth_to_space_run(cort_kctx *ctx) {
    const block_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    if (x->rank != 4) return cort_kerr(ctx, "input must be 4-D, got rank %d", (int)x->rank);
    int64_t b = p->blocksize, n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    if (c % (b * b)) return cort_kerr(ctx, "channels %lld are not a multiple of blocksize^2 = %lld", (long long)c,
                                      (long long)(b * b));
    int64_t cb = c / (b * b);
    int64_t out[4] = {n, cb, h * b, w * b};
    if (p->crd) {
        int64_t src6[6] = {n, cb, b, b, h, w};
        static const int perm[6] = {0, 1, 4, 2, 5, 3};
        return block_move(ctx, x, src6, perm, out);
    }
    int64_t src6[6] = {n, b, b, cb, h, w};
    static const int perm[6] = {0, 3, 4, 1, 5, 2};
    return block_move(ctx, x, src6, perm, out);
}

static cort_status *space_to_depth_run(cort_kctx *ctx) {
    const block_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    if (x->rank != 4) return cort_kerr(ctx, "input must be 4-D, got rank %d", (int)x->rank);
    int64_t b = p->blocksize, n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    if (h % b || w % b)
        return cort_kerr(ctx, "spatial dims %lldx%lld are not multiples of blocksize %lld", (long long)h,
                         (long long)w, (long long)b);
    int64_t out[4] = {n, c * b * b, h / b, w / b};
    int64_t src6[6] = {n, c, h / b, b, w / b, b};
    static const int perm[6] = {0, 3, 5, 1, 2, 4};
    return block_move(ctx, x, src6, perm, out);
}

static cort_status *block_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const block_params *p = ic->params;
    const cort_type *x = cort_infer_ranked(ic, 0);
    if (!x || x->rank != 4) return cort_infer_elem_only(ic);
    cort_dim *dims = cort_infer_out(ic, 0, x->elem, 4, &st);
    if (!dims) return st;
    int64_t b = p->blocksize, c = x->dims[1].value, h = x->dims[2].value, w = x->dims[3].value;
    bool to_space = !strcmp(ic->node->op_type, "DepthToSpace");
    dims[0] = x->dims[0];
    if (to_space) {
        if (c >= 0 && c % (b * b) == 0) dims[1].value = c / (b * b);
        if (h >= 0) dims[2].value = h * b;
        if (w >= 0) dims[3].value = w * b;
    } else {
        if (c >= 0) dims[1].value = c * b * b;
        if (h >= 0 && h % b == 0) dims[2].value = h / b;
        if (w >= 0 && w % b == 0) dims[3].value = w / b;
    }
    return NULL;
}

/* ================================================================ table */
/* elements are moved, never interpreted: complex tensors move as well */
#define ALL CORT_TS_MOVABLE

#define VIEW CORT_OP_ALIAS_INPUT0

const cort_op_def cort_ops_shape[] = {
    {"", "Reshape", 1, 4, ALL, 0, sizeof(reshape_params), reshape_parse, reshape_infer, NULL, reshape_run, VIEW},
    {"", "Reshape", 5, CORT_OPSET_MAX, ALL, 0, sizeof(reshape_params), reshape_parse, reshape_infer, NULL,
     reshape_run, VIEW},
    {"", "Flatten", 1, CORT_OPSET_MAX, ALL, 0, 0, NULL, flatten_infer, NULL, flatten_run, VIEW},
    {"", "Squeeze", 1, 12, ALL, 0, sizeof(axes_params), axes_parse, squeeze_infer, NULL, squeeze_run, VIEW},
    {"", "Squeeze", 13, CORT_OPSET_MAX, ALL, 0, sizeof(axes_params), axes_parse, squeeze_infer, NULL, squeeze_run,
     VIEW},
    {"", "Unsqueeze", 1, 12, ALL, 0, sizeof(axes_params), axes_parse, unsqueeze_infer, NULL, unsqueeze_run, VIEW},
    {"", "Unsqueeze", 13, CORT_OPSET_MAX, ALL, 0, sizeof(axes_params), axes_parse, unsqueeze_infer, NULL,
     unsqueeze_run, VIEW},
    {"", "Shape", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, 0, NULL, shape_infer, NULL, shape_run, 0},
    {"", "Size", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, 0, NULL, size_infer, NULL, size_run, 0},
    {"", "Expand", 8, CORT_OPSET_MAX, ALL, 0, 0, NULL, expand_infer, NULL, expand_run, 0},
    {"", "Transpose", 1, CORT_OPSET_MAX, ALL, 0, sizeof(transpose_params), transpose_parse, transpose_infer, NULL,
     transpose_run, 0},
    {"", "DepthToSpace", 1, CORT_OPSET_MAX, ALL, 0, sizeof(block_params), block_parse, block_infer, NULL,
     depth_to_space_run, 0},
    {"", "SpaceToDepth", 1, CORT_OPSET_MAX, ALL, 0, sizeof(block_params), block_parse, block_infer, NULL,
     space_to_depth_run, 0},
    {0},
};
