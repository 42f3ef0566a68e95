/* Operators that cut, join and re-arrange tensors along axes: Slice, Concat, Split, Tile, Pad,
 * ReverseSequence, Compress, Trilu. Type-generic: they move elements by size (strings are duplicated). */
#include <stdlib.h>
#include <string.h>

#include "ops/movement.h"

/* Copies `count` blocks of `block` elements, the k-th from src[si + k*src_step] to dst[di + k*dst_step]. */
static cort_status *copy_blocks(void *dst, int64_t di, int64_t dst_step, const void *src, int64_t si,
                                int64_t src_step, int64_t block, int64_t count, int32_t type) {
    if (block <= 0) return NULL;
    for (int64_t k = 0; k < count; k++)
        CORT_TRY(cort_copy_elems(dst, di + k * dst_step, src, si + k * src_step, block, type));
    return NULL;
}

/* Reads an optional integer list input; *n = -1 when it is omitted. */
static cort_status *optional_ints(const cort_kctx *ctx, int i, const char *what, int64_t *vals, int *n) {
    const cort_tensor *t = cort_in(ctx, i);
    *n = -1;
    if (!t) return NULL;
    return cort_read_ints(ctx, t, what, vals, CORT_MAX_RANK, n);
}

/* Copies an ints attribute of at most CORT_MAX_RANK values into dst; *n = -1 when absent. */
static cort_status *ints_attr(const cort_node *node, const char *name, int64_t *dst, int *n) {
    const int64_t *v;
    int64_t count = cort_attr_ints(node, name, &v);
    *n = -1;
    if (count < 0) return NULL;
    if (count > CORT_MAX_RANK)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' has %lld values, at most %d supported",
                               name, (long long)count, CORT_MAX_RANK);
    memcpy(dst, v, (size_t)count * sizeof *v);
    *n = (int)count;
    return NULL;
}

/* ================================================================ Slice */
typedef struct slice_params { /* opset 1-9 attributes */
    int n_starts, n_ends, n_axes;
    int64_t starts[CORT_MAX_RANK], ends[CORT_MAX_RANK], axes[CORT_MAX_RANK];
} slice_params;

static cort_status *slice_parse(cort_parse_ctx *pc) {
    slice_params *p = pc->params;
    if (pc->node->opset >= 10) return NULL;
    CORT_TRY(ints_attr(pc->node, "starts", p->starts, &p->n_starts));
    CORT_TRY(ints_attr(pc->node, "ends", p->ends, &p->n_ends));
    CORT_TRY(ints_attr(pc->node, "axes", p->axes, &p->n_axes));
    if (p->n_starts < 0 || p->n_ends < 0)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attributes 'starts' and 'ends' are required");
    return NULL;
}

typedef struct slice_spec {
    int n, n_axes, n_steps; /* n_axes/n_steps -1: defaults */
    int64_t starts[CORT_MAX_RANK], ends[CORT_MAX_RANK], axes[CORT_MAX_RANK], steps[CORT_MAX_RANK];
} slice_spec;

static cort_status *slice_read_spec(const cort_kctx *ctx, slice_spec *s) {
    int n_ends;
    s->n_steps = -1;
    if (ctx->node->opset < 10) {
        const slice_params *p = ctx->params;
        s->n = p->n_starts;
        n_ends = p->n_ends;
        s->n_axes = p->n_axes;
        memcpy(s->starts, p->starts, sizeof s->starts);
        memcpy(s->ends, p->ends, sizeof s->ends);
        memcpy(s->axes, p->axes, sizeof s->axes);
    } else {
        const cort_tensor *t;
        CORT_TRY(cort_move_input(ctx, 1, "starts", &t));
        CORT_TRY(cort_read_ints(ctx, t, "input 'starts'", s->starts, CORT_MAX_RANK, &s->n));
        CORT_TRY(cort_move_input(ctx, 2, "ends", &t));
        CORT_TRY(cort_read_ints(ctx, t, "input 'ends'", s->ends, CORT_MAX_RANK, &n_ends));
        CORT_TRY(optional_ints(ctx, 3, "input 'axes'", s->axes, &s->n_axes));
        CORT_TRY(optional_ints(ctx, 4, "input 'steps'", s->steps, &s->n_steps));
    }
    if (n_ends != s->n) return cort_kerr(ctx, "starts has %d values but ends has %d", s->n, n_ends);
    if (s->n_axes >= 0 && s->n_axes != s->n) return cort_kerr(ctx, "axes has %d values, starts %d", s->n_axes, s->n);
    if (s->n_steps >= 0 && s->n_steps != s->n)
        return cort_kerr(ctx, "steps has %d values, starts %d", s->n_steps, s->n);
    return NULL;
}

/* A step longer than the dim takes at most one element: bounding it keeps step * stride from overflowing. */
static int64_t bounded_step(int64_t step, int64_t dim) {
    int64_t bound = dim + 1;
    return step > bound ? bound : step < -bound ? -bound : step;
}

/* Clamps a slice of a dim of size `dim` as ONNX does; returns the element count, sets *first. */
static int64_t slice_count(int64_t start, int64_t end, int64_t step, int64_t dim, int64_t *first) {
    *first = 0;
    if (dim == 0) return 0;
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        *first = start;
        return end > start ? (end - start + step - 1) / step : 0;
    }
    start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    *first = start;
    return start > end ? (start - end - step - 1) / -step : 0;
}

static cort_status *slice_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    slice_spec s;
    CORT_TRY(slice_read_spec(ctx, &s));
    int64_t xs[CORT_MAX_RANK], step[CORT_MAX_RANK], start[CORT_MAX_RANK], end[CORT_MAX_RANK];
    bool sliced[CORT_MAX_RANK] = {false};
    for (int i = 0; i < x->rank; i++) {
        start[i] = 0;
        end[i] = x->dims[i];
        step[i] = 1;
    }
    for (int k = 0; k < s.n; k++) {
        int a;
        int64_t axis = s.n_axes >= 0 ? s.axes[k] : k;
        if (!cort_norm_axis(axis, x->rank, &a))
            return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)x->rank);
        if (sliced[a]) return cort_kerr(ctx, "axis %lld is repeated", (long long)axis);
        sliced[a] = true;
        int64_t st = s.n_steps >= 0 ? s.steps[k] : 1;
        if (st == 0) return cort_kerr(ctx, "step for axis %lld is 0", (long long)axis);
        step[a] = bounded_step(st, x->dims[a]);
        start[a] = s.starts[k];
        end[a] = s.ends[k];
    }
    cort_dense_strides(x->dims, x->rank, xs);
    cort_view v = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) {
        int64_t first;
        v.dims[i] = slice_count(start[i], end[i], step[i], x->dims[i], &first);
        v.strides[i] = step[i] * xs[i];
        if (v.dims[i] > 0) v.offset += first * xs[i];
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, x->rank, v.dims, &y));
    return cort_view_copy(ctx, y->data, x->data, x->type, &v);
}

/* The slice spec when every part of it is known at load. */
static bool slice_const_spec(const cort_infer_ctx *ic, slice_spec *s) {
    int n_ends;
    bool present;
    if (ic->node->opset < 10) {
        const slice_params *p = ic->params;
        s->n = p->n_starts;
        n_ends = p->n_ends;
        s->n_axes = p->n_axes;
        s->n_steps = -1;
        memcpy(s->starts, p->starts, sizeof s->starts);
        memcpy(s->ends, p->ends, sizeof s->ends);
        memcpy(s->axes, p->axes, sizeof s->axes);
    } else {
        if (!cort_infer_const_ints(ic, 1, s->starts, CORT_MAX_RANK, &s->n, &present) || !present) return false;
        if (!cort_infer_const_ints(ic, 2, s->ends, CORT_MAX_RANK, &n_ends, &present) || !present) return false;
        if (!cort_infer_const_ints(ic, 3, s->axes, CORT_MAX_RANK, &s->n_axes, &present)) return false;
        if (!present) s->n_axes = -1;
        if (!cort_infer_const_ints(ic, 4, s->steps, CORT_MAX_RANK, &s->n_steps, &present)) return false;
        if (!present) s->n_steps = -1;
    }
    return n_ends == s->n && (s->n_axes < 0 || s->n_axes == s->n) && (s->n_steps < 0 || s->n_steps == s->n);
}

static cort_status *slice_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *x = cort_infer_ranked(ic, 0);
    slice_spec s;
    if (!x || !slice_const_spec(ic, &s)) return cort_infer_elem_only(ic);
    cort_dim dims[CORT_MAX_RANK];
    bool sliced[CORT_MAX_RANK] = {false};
    if (x->rank) memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    for (int k = 0; k < s.n; k++) {
        int a;
        int64_t step = s.n_steps >= 0 ? s.steps[k] : 1, first;
        if (!cort_norm_axis(s.n_axes >= 0 ? s.axes[k] : k, x->rank, &a) || sliced[a] || step == 0)
            return cort_infer_elem_only(ic); /* the run reports it */
        sliced[a] = true;
        int64_t dim = x->dims[a].value;
        dims[a].symbol = NULL;
        dims[a].value = dim < 0 ? -1 : slice_count(s.starts[k], s.ends[k], bounded_step(step, dim), dim, &first);
    }
    cort_dim *out = cort_infer_out(ic, 0, x->elem, x->rank, &st);
    if (out) memcpy(out, dims, (size_t)x->rank * sizeof *dims);
    return st;
}


/* ================================================================ Concat */
static int64_t concat_axis_attr(const cort_node *node) {
    return cort_attr_int(node, "axis", node->opset < 4 ? 1 : 0);
}

static cort_status *concat_parse(cort_parse_ctx *pc) {
    if (pc->node->opset >= 4 && !cort_node_attr(pc->node, "axis"))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'axis' is required");
    return NULL;
}

/* Exporters sometimes feed a 1-D empty tensor as a placeholder to a Concat of higher rank: skip it. */
static bool concat_skips(const cort_tensor *t, int rank) { return t->rank == 1 && t->dims[0] == 0 && rank != 1; }

/* Outputs from this size are copied by several threads, each a range of the output's bytes. */
enum { CONCAT_SPLIT_BYTES = 1 << 17, CONCAT_CHUNK_BYTES = 1 << 15 };

typedef struct concat_job {
    char *y;
    int64_t row;           /* bytes of one output row: the inputs' blocks side by side */
    int n;                 /* inputs (placeholders left out) */
    const char **src;      /* per input: its data */
    const int64_t *block;  /* per input: bytes of its block in a row */
    int64_t total;
} concat_job;

/* Output bytes [begin * CONCAT_CHUNK_BYTES, end * CONCAT_CHUNK_BYTES): each piece up to the end of the
 * input block it lies in comes from that block of that input. */
static void concat_chunks(void *arg, int64_t begin, int64_t end) {
    const concat_job *j = arg;
    int64_t o = begin * CONCAT_CHUNK_BYTES, stop = end * CONCAT_CHUNK_BYTES < j->total ? end * CONCAT_CHUNK_BYTES
                                                                                        : j->total;
    while (o < stop) {
        int64_t k = o / j->row, r = o % j->row, at = 0;
        int i = 0;
        while (r >= at + j->block[i]) at += j->block[i++]; /* blocks of 0 bytes are passed over */
        int64_t len = at + j->block[i] - r;
        if (len > stop - o) len = stop - o;
        memcpy(j->y + o, j->src[i] + k * j->block[i] + (r - at), (size_t)len);
        o += len;
    }
}

static cort_status *concat_parallel(cort_kctx *ctx, cort_tensor *y, int a, int64_t inner) {
    size_t es = cort_elem_size(y->type);
    const char **src = ctx->svc->scratch(ctx, (size_t)ctx->n_in * sizeof *src);
    int64_t *block = ctx->svc->scratch(ctx, (size_t)ctx->n_in * sizeof *block);
    if (!src || !block) return cort_oom();
    concat_job j = {y->data, y->dims[a] * inner * (int64_t)es, 0, src, block, (int64_t)cort_tensor_nbytes(y)};
    for (int i = 0; i < ctx->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (concat_skips(t, y->rank)) continue;
        src[j.n] = t->data;
        block[j.n++] = t->dims[a] * inner * (int64_t)es;
    }
    ctx->svc->parallel_for(ctx, (j.total + CONCAT_CHUNK_BYTES - 1) / CONCAT_CHUNK_BYTES, 2, concat_chunks, &j);
    return NULL;
}

static cort_status *concat_run(cort_kctx *ctx) {
    const cort_tensor *first = NULL;
    for (int i = 0; i < ctx->n_in && !first; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (t && !(t->rank == 1 && t->dims[0] == 0)) first = t;
    }
    if (!first) first = cort_in(ctx, 0);
    if (!first) return cort_kerr(ctx, "input 0 is missing or not a tensor");
    int rank = first->rank, a;
    int64_t axis = concat_axis_attr(ctx->node);
    if (!cort_norm_axis(axis, rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis, rank);
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[a] = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (!t) return cort_kerr(ctx, "input %d is missing or not a tensor", i);
        if (t->type != first->type)
            return cort_kerr(ctx, "input %d is %s, input 0 %s", i, cort_type_name(t->type),
                             cort_type_name(first->type));
        if (concat_skips(t, rank)) continue;
        if (t->rank != rank) return cort_kerr(ctx, "input %d has rank %d, expected %d", i, (int)t->rank, rank);
        for (int d = 0; d < rank; d++) {
            if (d != a && t->dims[d] != first->dims[d]) {
                char s1[256], s2[256];
                return cort_kerr(ctx, "input %d shape %s does not match %s off axis %d", i,
                                 cort_shape_str(t->dims, rank, s1, sizeof s1),
                                 cort_shape_str(first->dims, rank, s2, sizeof s2), a);
            }
        }
        dims[a] += t->dims[a];
        if (dims[a] > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "concatenated axis is too long");
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, first->type, rank, dims, &y));
    if (cort_tensor_count(y) <= 0) return NULL;
    int64_t outer = cort_dims_product(dims, 0, a), inner = cort_dims_product(dims, a + 1, rank);
    int64_t row = dims[a] * inner, at = 0;
    if (first->type != CORT_STRING && ctx->threads > 1 && cort_tensor_nbytes(y) >= CONCAT_SPLIT_BYTES)
        return concat_parallel(ctx, y, a, inner);
    for (int i = 0; i < ctx->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (concat_skips(t, rank)) continue;
        int64_t block = t->dims[a] * inner;
        CORT_TRY(copy_blocks(y->data, at, row, t->data, 0, block, block, outer, t->type));
        at += block;
    }
    return NULL;
}

static bool is_placeholder_type(const cort_type *t) { return t->rank == 1 && t->dims[0].value == 0; }

static cort_status *concat_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *first = NULL;
    for (int i = 0; i < ic->n_in; i++) { /* the first ranked input that is not an empty 1-D placeholder */
        const cort_type *t = cort_infer_ranked(ic, i);
        if (t && (!first || (is_placeholder_type(first) && !is_placeholder_type(t)))) first = t;
    }
    int32_t elem = cort_infer_elem(ic, 0);
    int a;
    if (!first || !cort_norm_axis(concat_axis_attr(ic->node), first->rank, &a)) {
        cort_infer_out(ic, 0, elem, -1, &st);
        return st;
    }
    cort_dim *dims = cort_infer_out(ic, 0, elem, first->rank, &st);
    if (st) return st;
    memcpy(dims, first->dims, (size_t)first->rank * sizeof *dims);
    int64_t total = 0;
    for (int i = 0; i < ic->n_in; i++) {
        const cort_type *t = cort_infer_ranked(ic, i);
        if (t && t->rank != first->rank && is_placeholder_type(t)) continue; /* skipped at run */
        if (!t || t->rank != first->rank) {
            total = -1;
            continue;
        }
        if (total >= 0) total = t->dims[a].value < 0 ? -1 : total + t->dims[a].value;
        for (int d = 0; d < first->rank; d++)
            if (d != a && dims[d].value < 0 && !dims[d].symbol) dims[d] = t->dims[d];
    }
    dims[a].value = total;
    dims[a].symbol = NULL;
    return NULL;
}

/* ================================================================ Split */
typedef struct split_params {
    int64_t axis;
    int n_split; /* opset < 13 `split` attribute, -1 when absent */
    int64_t *split;
} split_params;

static cort_status *split_parse(cort_parse_ctx *pc) {
    split_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", 0);
    p->n_split = -1;
    if (pc->node->opset >= 13) return NULL;
    const int64_t *v;
    int64_t n = cort_attr_ints(pc->node, "split", &v);
    if (n < 0) return NULL;
    if (n != pc->node->n_outputs)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "split has %lld values for %d outputs", (long long)n,
                               pc->node->n_outputs);
    p->split = cort_pool_calloc(pc->pool, (size_t)(n ? n : 1), sizeof *p->split);
    if (!p->split) return cort_oom();
    memcpy(p->split, v, (size_t)n * sizeof *v);
    p->n_split = (int)n;
    return NULL;
}

/* Fills sizes[0..n_out) from the attribute, input 1, or an equal split of `dim`. */
static cort_status *split_sizes(const cort_kctx *ctx, int64_t dim, int64_t *sizes) {
    const split_params *p = ctx->params;
    int n_out = ctx->n_out;
    const cort_tensor *t = cort_in(ctx, 1);
    if (t && cort_tensor_count(t) == 0) t = NULL; /* an empty list asks for equal parts, as in ONNX Runtime */
    if (p->n_split >= 0) {
        memcpy(sizes, p->split, (size_t)n_out * sizeof *sizes);
    } else if (t) {
        if (t->type != CORT_INT64 && t->type != CORT_INT32)
            return cort_kerr(ctx, "input 'split' must be int64, got %s", cort_type_name(t->type));
        if (t->rank != 1 || t->dims[0] != n_out)
            return cort_kerr(ctx, "input 'split' must be 1-D with %d values", n_out);
        for (int i = 0; i < n_out; i++) sizes[i] = cort_get_i64(t, i);
    } else {
        if (dim % n_out) return cort_kerr(ctx, "axis of length %lld does not split equally into %d outputs",
                                          (long long)dim, n_out);
        for (int i = 0; i < n_out; i++) sizes[i] = dim / n_out;
        return NULL;
    }
    int64_t sum = 0;
    for (int i = 0; i < n_out; i++) {
        if (sizes[i] < 0 || sizes[i] > dim)
            return cort_kerr(ctx, "split[%d] = %lld is invalid", i, (long long)sizes[i]);
        sum += sizes[i];
    }
    if (sum != dim) return cort_kerr(ctx, "split sums to %lld, axis has %lld", (long long)sum, (long long)dim);
    return NULL;
}

static cort_status *split_run(cort_kctx *ctx) {
    const split_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    int a;
    if (!cort_norm_axis(p->axis, x->rank, &a))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, (int)x->rank);
    if (ctx->n_out < 1) return cort_kerr(ctx, "has no outputs");
    int64_t *sizes = ctx->svc->scratch(ctx, (size_t)ctx->n_out * sizeof *sizes);
    if (!sizes) return cort_oom();
    CORT_TRY(split_sizes(ctx, x->dims[a], sizes));
    int64_t outer = cort_dims_product(x->dims, 0, a), inner = cort_dims_product(x->dims, a + 1, x->rank);
    int64_t row = x->dims[a] * inner, at = 0;
    for (int i = 0; i < ctx->n_out; i++) {
        int64_t dims[CORT_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[a] = sizes[i];
        cort_tensor *y;
        CORT_TRY(cort_move_out(ctx, i, x->type, x->rank, dims, &y));
        int64_t block = sizes[i] * inner;
        CORT_TRY(copy_blocks(y->data, 0, block, x->data, at, row, block, outer, x->type));
        at += block;
    }
    return NULL;
}

static cort_status *split_infer(cort_infer_ctx *ic) {
    const split_params *p = ic->params;
    const cort_type *x = cort_infer_ranked(ic, 0);
    int a, n_out = ic->n_out;
    if (!x || n_out < 1 || !cort_norm_axis(p->axis, x->rank, &a)) return cort_infer_elem_only(ic);
    int64_t *sizes = cort_pool_calloc(ic->pool, (size_t)n_out, sizeof *sizes);
    if (!sizes) return cort_oom();
    int64_t dim = x->dims[a].value;
    int n = n_out;
    bool present;
    if (p->n_split >= 0) {
        memcpy(sizes, p->split, (size_t)n_out * sizeof *sizes);
    } else if (!cort_infer_const_ints(ic, 1, sizes, n_out, &n, &present)) {
        for (int i = 0; i < n_out; i++) sizes[i] = -1;
    } else if (!present || n == 0) {
        for (int i = 0; i < n_out; i++) sizes[i] = dim >= 0 && dim % n_out == 0 ? dim / n_out : -1;
    } else if (n != n_out) {
        for (int i = 0; i < n_out; i++) sizes[i] = -1;
    }
    for (int i = 0; i < n_out; i++) {
        cort_status *st;
        cort_dim *dims = cort_infer_out(ic, i, x->elem, x->rank, &st);
        if (st) return st;
        if (!dims) continue;
        memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
        dims[a].value = sizes[i] >= 0 ? sizes[i] : -1;
        dims[a].symbol = NULL;
    }
    return NULL;
}

/* ================================================================ Tile */
static cort_status *tile_repeats(const cort_kctx *ctx, const cort_tensor *x, int64_t *reps) {
    const cort_tensor *t;
    int n;
    if (ctx->node->opset < 6) { /* Tile-1: a scalar count of tiles along a scalar axis */
        int64_t tiles, axis;
        int a;
        CORT_TRY(cort_move_input(ctx, 1, "tiles", &t));
        CORT_TRY(cort_read_ints(ctx, t, "input 'tiles'", &tiles, 1, &n));
        if (n != 1) return cort_kerr(ctx, "input 'tiles' must hold one value");
        CORT_TRY(cort_move_input(ctx, 2, "axis", &t));
        CORT_TRY(cort_read_ints(ctx, t, "input 'axis'", &axis, 1, &n));
        if (n != 1 || !cort_norm_axis(axis, x->rank, &a)) return cort_kerr(ctx, "input 'axis' is invalid");
        for (int i = 0; i < x->rank; i++) reps[i] = i == a ? tiles : 1;
        return NULL;
    }
    CORT_TRY(cort_move_input(ctx, 1, "repeats", &t));
    CORT_TRY(cort_read_ints(ctx, t, "input 'repeats'", reps, CORT_MAX_RANK, &n));
    if (n != x->rank) return cort_kerr(ctx, "repeats has %d values for rank %d", n, (int)x->rank);
    return NULL;
}

static cort_status *tile_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    int64_t reps[CORT_MAX_RANK], dims[CORT_MAX_RANK], xs[CORT_MAX_RANK];
    CORT_TRY(tile_repeats(ctx, x, reps));
    for (int i = 0; i < x->rank; i++) {
        if (reps[i] < 0) return cort_kerr(ctx, "repeats[%d] = %lld is negative", i, (long long)reps[i]);
        if (x->dims[i] > 0 && reps[i] > CORT_MAX_ELEMENTS / x->dims[i])
            return cort_kerr(ctx, "tiled shape is too large");
        dims[i] = x->dims[i] * reps[i];
    }
    if (cort_shape_count(dims, x->rank) < 0) return cort_kerr(ctx, "tiled shape is too large");
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, x->rank, dims, &y));
    /* the output seen as [rep0, d0, rep1, d1, ...] reads the input with stride 0 over the repeats */
    cort_dense_strides(x->dims, x->rank, xs);
    cort_view v = {.rank = 2 * x->rank};
    for (int i = 0; i < x->rank; i++) {
        v.dims[2 * i] = reps[i];
        v.strides[2 * i] = 0;
        v.dims[2 * i + 1] = x->dims[i];
        v.strides[2 * i + 1] = xs[i];
    }
    return cort_view_copy(ctx, y->data, x->data, x->type, &v);
}

static cort_status *tile_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const cort_type *x = cort_infer_ranked(ic, 0);
    int64_t reps[CORT_MAX_RANK];
    int n;
    bool present;
    if (!x || ic->node->opset < 6 || !cort_infer_const_ints(ic, 1, reps, CORT_MAX_RANK, &n, &present) || !present ||
        n != x->rank)
        return cort_infer_elem_only(ic);
    cort_dim *dims = cort_infer_out(ic, 0, x->elem, x->rank, &st);
    for (int i = 0; dims && i < x->rank; i++) {
        int64_t d = x->dims[i].value;
        if (reps[i] == 1) dims[i] = x->dims[i];
        else if (reps[i] == 0) dims[i].value = 0;
        else if (d >= 0 && reps[i] > 0 && (d == 0 || reps[i] <= CORT_MAX_ELEMENTS / d)) dims[i].value = d * reps[i];
    }
    return st;
}

/* ================================================================ Pad */
typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE } pad_mode;

typedef struct pad_params {
    pad_mode mode;
    float value;         /* opset < 11 */
    int n_pads;          /* opset < 11: pads (or opset 1 paddings) attribute */
    int64_t pads[2 * CORT_MAX_RANK];
} pad_params;

static cort_status *pad_parse(cort_parse_ctx *pc) {
    pad_params *p = pc->params;
    const char *mode = cort_attr_string(pc->node, "mode", "constant");
    if (!strcmp(mode, "constant")) p->mode = PAD_CONSTANT;
    else if (!strcmp(mode, "reflect")) p->mode = PAD_REFLECT;
    else if (!strcmp(mode, "edge")) p->mode = PAD_EDGE;
    else return cort_node_error(pc->node, CORT_INVALID_GRAPH, "pad mode '%s' is not supported", mode);
    if (pc->node->opset >= 11) return NULL;
    p->value = cort_attr_float(pc->node, "value", 0.0f);
    const char *name = pc->node->opset < 2 ? "paddings" : "pads";
    const int64_t *v;
    int64_t n = cort_attr_ints(pc->node, name, &v);
    if (n < 0) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute '%s' is required", name);
    if (n > 2 * CORT_MAX_RANK)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "'%s' has %lld values", name, (long long)n);
    p->n_pads = (int)n;
    memcpy(p->pads, v, (size_t)n * sizeof *v);
    return NULL;
}

/* The padding value as one element of the output type in `value` (16 bytes). */
static cort_status *pad_value(const cort_kctx *ctx, int32_t type, void *value) {
    const pad_params *p = ctx->params;
    memset(value, 0, 16);
    cort_tensor one = {.type = type, .rank = 0, .data = value};
    if (ctx->node->opset < 11) {
        bool numeric = type != CORT_STRING && type != CORT_COMPLEX64 && type != CORT_COMPLEX128;
        if (numeric) cort_set_f64(&one, 0, p->value);
        return NULL;
    }
    const cort_tensor *c = cort_in(ctx, 2);
    if (!c || cort_tensor_count(c) == 0) return NULL;
    if (c->type != type)
        return cort_kerr(ctx, "constant_value is %s, data %s", cort_type_name(c->type), cort_type_name(type));
    if (cort_tensor_count(c) != 1) return cort_kerr(ctx, "constant_value must be a scalar");
    memcpy(value, c->data, cort_elem_size(type));
    return NULL;
}

/* Source coordinate for output coordinate `o` of an axis (-1: the padding value). */
static int64_t pad_source(pad_mode mode, int64_t o, int64_t begin, int64_t dim) {
    int64_t c = o - begin;
    if (c >= 0 && c < dim) return c;
    if (mode == PAD_CONSTANT) return -1;
    if (mode == PAD_EDGE) return c < 0 ? 0 : dim - 1;
    if (dim == 1) return 0;
    int64_t period = 2 * (dim - 1);
    c %= period;
    if (c < 0) c += period;
    return c < dim ? c : period - c;
}

typedef struct pad_job {
    const cort_tensor *x;
    cort_tensor *y;
    const int64_t **map;       /* per axis: source coordinate of each output coordinate */
    const void *value;
    int64_t lo, hi;            /* interior of the last axis, copied in one run */
} pad_job;

/* Output elements [from, to) of the row at `o` whose source row starts at `base`, outside the interior:
 * runs of padding value are filled at once, edge and reflect elements copied one by one. */
static cort_status *pad_border(const pad_job *job, int64_t o, int64_t base, int64_t from, int64_t to) {
    const int64_t *m = job->map[job->y->rank - 1];
    for (int64_t i = from; i < to;) {
        if (m[i] >= 0) {
            CORT_TRY(cort_copy_elems(job->y->data, o + i, job->x->data, base + m[i], 1, job->y->type));
            i++;
            continue;
        }
        int64_t run = i;
        while (run < to && m[run] < 0) run++;
        CORT_TRY(cort_fill_elems(job->y->data, o + i, job->value, run - i, job->y->type));
        i = run;
    }
    return NULL;
}

static cort_status *pad_fill(const pad_job *job) {
    const cort_tensor *x = job->x;
    cort_tensor *y = job->y;
    int r = y->rank, last = r - 1;
    int64_t xs[CORT_MAX_RANK], idx[CORT_MAX_RANK] = {0};
    cort_dense_strides(x->dims, r, xs);
    int64_t n = r ? y->dims[last] : 1, rows = cort_dims_product(y->dims, 0, r ? last : 0);
    int64_t interior = job->hi - job->lo;
    for (int64_t row = 0; row < rows; row++) {
        int64_t base = 0, o = row * n;
        bool padded = false;
        for (int k = 0; k < last; k++) {
            int64_t m = job->map[k][idx[k]];
            if (m < 0) padded = true;
            base += m * xs[k];
        }
        if (r == 0) {
            CORT_TRY(cort_copy_elems(y->data, 0, x->data, 0, 1, x->type));
        } else if (padded) {
            CORT_TRY(cort_fill_elems(y->data, o, job->value, n, y->type));
        } else {
            CORT_TRY(pad_border(job, o, base, 0, job->lo));
            if (interior > 0)
                CORT_TRY(cort_copy_elems(y->data, o + job->lo, x->data, base + job->map[last][job->lo], interior,
                                         y->type));
            CORT_TRY(pad_border(job, o, base, job->hi, n));
        }
        for (int k = last - 1; k >= 0; k--) {
            if (++idx[k] < y->dims[k]) break;
            idx[k] = 0;
        }
    }
    return NULL;
}

static cort_status *pad_read_pads(const cort_kctx *ctx, int rank, int64_t *pads) {
    const pad_params *p = ctx->params;
    int n = p->n_pads;
    if (ctx->node->opset < 11) {
        memcpy(pads, p->pads, sizeof p->pads);
    } else {
        const cort_tensor *t;
        CORT_TRY(cort_move_input(ctx, 1, "pads", &t));
        CORT_TRY(cort_read_ints(ctx, t, "input 'pads'", pads, 2 * CORT_MAX_RANK, &n));
    }
    if (n != 2 * rank) return cort_kerr(ctx, "pads has %d values, expected %d for rank %d", n, 2 * rank, rank);
    for (int i = 0; i < n; i++)
        if (pads[i] > CORT_MAX_ELEMENTS || pads[i] < -CORT_MAX_ELEMENTS)
            return cort_kerr(ctx, "pads[%d] = %lld is out of range", i, (long long)pads[i]);
    return NULL;
}

static cort_status *pad_run(cort_kctx *ctx) {
    const pad_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "data", &x));
    int r = x->rank;
    int64_t pads[2 * CORT_MAX_RANK], dims[CORT_MAX_RANK];
    CORT_TRY(pad_read_pads(ctx, r, pads));
    for (int i = 0; i < r; i++) {
        dims[i] = x->dims[i] + pads[i] + pads[i + r];
        if (dims[i] < 0) return cort_kerr(ctx, "pads crop axis %d of length %lld below zero", i, (long long)x->dims[i]);
    }
    if (cort_shape_count(dims, r) < 0) return cort_kerr(ctx, "padded shape is too large");
    unsigned char value[16];
    CORT_TRY(pad_value(ctx, x->type, value));
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, r, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    if (p->mode != PAD_CONSTANT && cort_tensor_count(x) == 0)
        return cort_kerr(ctx, "cannot %s-pad an empty input", p->mode == PAD_EDGE ? "edge" : "reflect");
    int64_t total = 0;
    for (int i = 0; i < r; i++) total += dims[i];
    int64_t *maps = ctx->svc->scratch(ctx, (size_t)(total ? total : 1) * sizeof *maps);
    if (!maps) return cort_oom();
    const int64_t *map[CORT_MAX_RANK];
    for (int i = 0; i < r; i++) {
        map[i] = maps;
        for (int64_t o = 0; o < dims[i]; o++) maps[o] = pad_source(p->mode, o, pads[i], x->dims[i]);
        maps += dims[i];
    }
    pad_job job = {x, y, map, value, 0, 0};
    if (r > 0) { /* the interior of the last axis: output coordinates that read the input in order */
        int64_t begin = pads[r - 1], len = x->dims[r - 1];
        job.lo = begin < 0 ? 0 : begin < dims[r - 1] ? begin : dims[r - 1];
        job.hi = begin + len < dims[r - 1] ? begin + len : dims[r - 1];
        if (job.hi < job.lo) job.hi = job.lo;
    }
    return pad_fill(&job);
}

static cort_status *pad_infer(cort_infer_ctx *ic) {
    cort_status *st;
    const pad_params *p = ic->params;
    const cort_type *x = cort_infer_ranked(ic, 0);
    int64_t pads[2 * CORT_MAX_RANK];
    int n = p->n_pads;
    bool present = true;
    if (ic->node->opset < 11) memcpy(pads, p->pads, sizeof pads);
    else if (!cort_infer_const_ints(ic, 1, pads, 2 * CORT_MAX_RANK, &n, &present)) present = false;
    if (!x || !present || n != 2 * x->rank) return cort_infer_elem_only(ic);
    cort_dim *dims = cort_infer_out(ic, 0, x->elem, x->rank, &st);
    for (int i = 0; dims && i < x->rank; i++) {
        int64_t d = x->dims[i].value, b = pads[i], e = pads[i + x->rank];
        if (b == 0 && e == 0) dims[i] = x->dims[i];
        else if (d >= 0 && b > -CORT_MAX_ELEMENTS && b < CORT_MAX_ELEMENTS && e > -CORT_MAX_ELEMENTS &&
                 e < CORT_MAX_ELEMENTS && d + b + e >= 0)
            dims[i].value = d + b + e;
    }
    return st;
}

/* ================================================================ ReverseSequence */
static cort_status *reverse_sequence_run(cort_kctx *ctx) {
    const cort_tensor *x, *lens;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    CORT_TRY(cort_move_input(ctx, 1, "sequence_lens", &lens));
    int64_t time_axis = cort_attr_int(ctx->node, "time_axis", 0);
    int64_t batch_axis = cort_attr_int(ctx->node, "batch_axis", 1);
    if (x->rank < 2) return cort_kerr(ctx, "input must have rank >= 2, got %d", (int)x->rank);
    if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0)))
        return cort_kerr(ctx, "time_axis %lld and batch_axis %lld must be 0 and 1", (long long)time_axis,
                         (long long)batch_axis);
    int64_t steps = x->dims[time_axis], batch = x->dims[batch_axis];
    if (lens->type != CORT_INT64 && lens->type != CORT_INT32)
        return cort_kerr(ctx, "sequence_lens must be int64, got %s", cort_type_name(lens->type));
    if (lens->rank != 1 || lens->dims[0] != batch)
        return cort_kerr(ctx, "sequence_lens must be 1-D with %lld values", (long long)batch);
    int64_t xs[CORT_MAX_RANK];
    cort_dense_strides(x->dims, x->rank, xs);
    int64_t inner = cort_dims_product(x->dims, 2, x->rank);
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, x->rank, x->dims, &y));
    for (int64_t b = 0; b < batch; b++) {
        int64_t len = cort_get_i64(lens, b);
        if (len < 0 || len > steps)
            return cort_kerr(ctx, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)b, (long long)len,
                             (long long)steps);
        for (int64_t t = 0; t < steps; t++) {
            int64_t from = t < len ? len - 1 - t : t;
            int64_t dst = t * xs[time_axis] + b * xs[batch_axis], src = from * xs[time_axis] + b * xs[batch_axis];
            CORT_TRY(cort_copy_elems(y->data, dst, x->data, src, inner, x->type));
        }
    }
    return NULL;
}

/* ================================================================ Compress */
static cort_status *compress_run(cort_kctx *ctx) {
    const cort_tensor *x, *cond;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    CORT_TRY(cort_move_input(ctx, 1, "condition", &cond));
    if (cond->rank != 1) return cort_kerr(ctx, "condition must be 1-D, got rank %d", (int)cond->rank);
    if (cond->type == CORT_STRING) return cort_kerr(ctx, "condition must be bool");
    const cort_attr *axis_attr = cort_node_attr(ctx->node, "axis");
    int a = 0;
    int64_t outer = 1, len, inner = 1;
    if (axis_attr) {
        if (!cort_norm_axis(axis_attr->i, x->rank, &a))
            return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)axis_attr->i, (int)x->rank);
        outer = cort_dims_product(x->dims, 0, a);
        len = x->dims[a];
        inner = cort_dims_product(x->dims, a + 1, x->rank);
    } else {
        len = cort_tensor_count(x);
    }
    int64_t n_cond = cond->dims[0], kept = 0;
    if (n_cond > len)
        return cort_kerr(ctx, "condition has %lld values, the axis only %lld", (long long)n_cond, (long long)len);
    for (int64_t i = 0; i < n_cond; i++) kept += cort_get_f64(cond, i) != 0;
    int64_t dims[CORT_MAX_RANK];
    int rank = 1;
    if (axis_attr) {
        memcpy(dims, x->dims, sizeof dims);
        dims[a] = kept;
        rank = x->rank;
    } else {
        dims[0] = kept;
    }
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, rank, dims, &y));
    for (int64_t i = 0, at = 0; i < n_cond; i++) {
        if (cort_get_f64(cond, i) == 0) continue;
        CORT_TRY(copy_blocks(y->data, at * inner, kept * inner, x->data, i * inner, len * inner, inner, outer,
                             x->type));
        at++;
    }
    return NULL;
}

/* ================================================================ Trilu */
static cort_status *trilu_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_move_input(ctx, 0, "input", &x));
    if (x->rank < 2) return cort_kerr(ctx, "input must have rank >= 2, got %d", (int)x->rank);
    int64_t k = 0;
    const cort_tensor *kt = cort_in(ctx, 1);
    if (kt) {
        int n;
        CORT_TRY(cort_read_ints(ctx, kt, "input 'k'", &k, 1, &n));
        if (n != 1) return cort_kerr(ctx, "input 'k' must hold one value");
    }
    bool upper = cort_attr_int(ctx->node, "upper", 1) != 0;
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    int64_t mats = cort_dims_product(x->dims, 0, x->rank - 2);
    /* past +-(rows + cols) every k selects the same elements: bound it so i + k cannot overflow */
    int64_t bound = rows + cols;
    k = k > bound ? bound : k < -bound ? -bound : k;
    cort_tensor *y;
    CORT_TRY(cort_move_out(ctx, 0, x->type, x->rank, x->dims, &y));
    size_t esize = cort_elem_size(x->type);
    for (int64_t m = 0; m < mats; m++) {
        for (int64_t i = 0; i < rows; i++) {
            int64_t o = (m * rows + i) * cols;
            /* upper keeps columns j >= i + k, lower keeps j <= i + k */
            int64_t split = upper ? i + k : i + k + 1;
            split = split < 0 ? 0 : split > cols ? cols : split;
            int64_t keep_from = upper ? split : 0, keep_to = upper ? cols : split;
            if (y->data != x->data) /* else planned in place (CORT_OP_INPLACE_INPUT0) */
                CORT_TRY(cort_copy_elems(y->data, o + keep_from, x->data, o + keep_from, keep_to - keep_from, x->type));
            if (x->type == CORT_STRING) continue; /* strings left NULL read as "" */
            char *row = (char *)y->data + (size_t)o * esize;
            if (upper) memset(row, 0, (size_t)keep_from * esize);
            else memset(row + (size_t)keep_to * esize, 0, (size_t)(cols - keep_to) * esize);
        }
    }
    return NULL;
}

/* ================================================================ table */
/* elements are moved, never interpreted: complex tensors move as well */
#define ALL CORT_TS_MOVABLE

const cort_op_def cort_ops_slice[] = {
    {"", "Slice", 1, 9, ALL, 0, sizeof(slice_params), slice_parse, slice_infer, NULL, slice_run, 0},
    {"", "Slice", 10, CORT_OPSET_MAX, ALL, 0, sizeof(slice_params), slice_parse, slice_infer, NULL, slice_run, 0},
    {"", "Concat", 1, CORT_OPSET_MAX, ALL, 0, 0, concat_parse, concat_infer, NULL, concat_run, 0},
    {"", "Split", 1, 12, ALL, 0, sizeof(split_params), split_parse, split_infer, NULL, split_run, 0},
    {"", "Split", 13, 17, ALL, 0, sizeof(split_params), split_parse, split_infer, NULL, split_run, 0},
    {"", "Tile", 1, 5, ALL, 0, 0, NULL, cort_infer_elem_only, NULL, tile_run, 0},
    {"", "Tile", 6, CORT_OPSET_MAX, ALL, 0, 0, NULL, tile_infer, NULL, tile_run, 0},
    {"", "Pad", 1, 1, ALL, 0, sizeof(pad_params), pad_parse, pad_infer, NULL, pad_run, 0},
    {"", "Pad", 2, 10, ALL, 0, sizeof(pad_params), pad_parse, pad_infer, NULL, pad_run, 0},
    {"", "Pad", 11, 17, ALL, 0, sizeof(pad_params), pad_parse, pad_infer, NULL, pad_run, 0},
    {"", "ReverseSequence", 10, CORT_OPSET_MAX, ALL, 0, 0, NULL, cort_infer_like_input0, NULL, reverse_sequence_run, 0},
    {"", "Compress", 9, CORT_OPSET_MAX, ALL, 0, 0, NULL, cort_infer_elem_only, NULL, compress_run, 0},
    {"", "Trilu", 14, CORT_OPSET_MAX, ALL, 0, 0, NULL, cort_infer_like_input0, NULL, trilu_run, CORT_OP_INPLACE_INPUT0},
    {0},
};
