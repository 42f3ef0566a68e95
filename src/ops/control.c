/* Control flow (default domain): If, Loop and Scan. Their bodies are GRAPH attributes that the
 * executor runs through ctx->svc->run_subgraph; values a body reads from the enclosing scope are
 * resolved by the executor. Results that cross iterations (loop-carried values, scan outputs) are
 * moved out of the body's outputs, never aliased: each body run hands back values it owns. */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

/* ------------------------------------------------------------------ value helpers */

/* A growable list of owned values (one scan output's per-iteration slices). */
typedef struct value_list {
    cort_value *items;
    int64_t n, cap;
} value_list;

static cort_status *list_push(value_list *l, cort_value *v) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 16;
        cort_value *items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items) return cort_oom();
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *v; /* moved */
    memset(v, 0, sizeof *v);
    return NULL;
}

static void list_clear(value_list *l) {
    for (int64_t i = 0; i < l->n; i++) cort_value_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void clear_values(cort_value *v, int64_t n) {
    if (!v) return;
    for (int64_t i = 0; i < n; i++) cort_value_clear(&v[i]);
}

/* Copies count elements from src[src_off] to dst[dst_off] (same type); strings are duplicated. */
static cort_status *copy_elements(const cort_kctx *ctx, cort_tensor *dst, int64_t dst_off, const cort_tensor *src,
                                  int64_t src_off, int64_t count) {
    if (count <= 0) return NULL;
    if (src->type != CORT_STRING) {
        size_t es = cort_elem_size(src->type);
        memcpy((char *)dst->data + (size_t)dst_off * es, (const char *)src->data + (size_t)src_off * es,
               (size_t)count * es);
        return NULL;
    }
    char **d = (char **)dst->data + dst_off;
    char *const *s = (char *const *)src->data + src_off;
    for (int64_t i = 0; i < count; i++) {
        const char *e = s[i] ? s[i] : "";
        size_t len = strlen(e);
        free(d[i]);
        d[i] = malloc(len + 1);
        if (!d[i]) return cort_kerr(ctx, "out of memory copying strings");
        memcpy(d[i], e, len + 1);
    }
    return NULL;
}

/* Output i as a tensor; string outputs start with every element NULL ("") so partial writes stay valid. */
static cort_status *out_tensor(cort_kctx *ctx, int i, int32_t type, int rank, const int64_t *dims, cort_tensor **t) {
    CORT_TRY(cort_out(ctx, i, type, rank, dims, t));
    if (type == CORT_STRING) memset((*t)->data, 0, cort_tensor_nbytes(*t));
    return NULL;
}

/* Output i becomes a copy of value v: tensors go through the planned output buffer. */
static cort_status *emit_value(cort_kctx *ctx, int i, const cort_value *v) {
    if (!cort_out_wanted(ctx, i)) return NULL;
    if (v->kind != CORT_VALUE_TENSOR) return ctx->svc->set_output_value(ctx, i, v);
    cort_tensor *out;
    CORT_TRY(out_tensor(ctx, i, v->t.type, v->t.rank, v->t.dims, &out));
    return copy_elements(ctx, out, 0, &v->t, 0, cort_tensor_count(&v->t));
}

/* dst becomes x with dimension `axis` removed at index idx (reusing dst's buffer when it fits). */
static cort_status *extract_slice(const cort_kctx *ctx, const cort_tensor *x, int axis, int64_t idx, cort_value *dst) {
    int64_t dims[CORT_MAX_RANK];
    int rank = 0;
    for (int d = 0; d < x->rank; d++)
        if (d != axis) dims[rank++] = x->dims[d];
    bool reuse = dst->kind == CORT_VALUE_TENSOR && dst->owns_data && dst->t.type == x->type && dst->t.rank == rank &&
                 (rank == 0 || !memcmp(dst->t.dims, dims, (size_t)rank * sizeof *dims));
    if (!reuse) CORT_TRY(cort_value_alloc_tensor(dst, x->type, rank, dims));
    int64_t outer = cort_shape_count(x->dims, axis), inner = cort_shape_count(x->dims + axis + 1, x->rank - axis - 1);
    for (int64_t o = 0; o < outer; o++)
        CORT_TRY(copy_elements(ctx, &dst->t, o * inner, x, (o * x->dims[axis] + idx) * inner, inner));
    return NULL;
}

/* Element type and shape of body output k as declared (for outputs of zero iterations). */
static void declared_output(const cort_graph *body, int k, int32_t *elem, int *rank, int64_t *dims) {
    const cort_type *t = &body->values[body->outputs[k]].type;
    *elem = t->kind == CORT_TYPE_TENSOR && t->elem ? t->elem : CORT_FLOAT;
    *rank = t->kind == CORT_TYPE_TENSOR && t->rank > 0 && t->rank < CORT_MAX_RANK ? t->rank : 0;
    for (int d = 0; d < *rank; d++) dims[d] = t->dims[d].value > 0 ? t->dims[d].value : 0;
}

/* Output `index` = the n tensors of `items` stacked along a new axis (item p goes to position
 * n-1-p when reversed). With no items, the shape comes from the body's declared output. */
static cort_status *emit_stacked(cort_kctx *ctx, int index, const cort_value *items, int64_t n, int64_t axis_attr,
                                 bool reverse, const cort_graph *body, int body_out) {
    if (!cort_out_wanted(ctx, index)) return NULL;
    int32_t type;
    int item_rank;
    int64_t item_dims[CORT_MAX_RANK];
    if (n > 0) {
        type = items[0].t.type;
        item_rank = items[0].t.rank;
        memcpy(item_dims, items[0].t.dims, sizeof item_dims);
    } else {
        declared_output(body, body_out, &type, &item_rank, item_dims);
    }
    for (int64_t p = 0; p < n; p++) {
        const cort_value *v = &items[p];
        if (v->kind != CORT_VALUE_TENSOR || v->t.type != type || v->t.rank != item_rank ||
            (item_rank && memcmp(v->t.dims, item_dims, (size_t)item_rank * sizeof *item_dims)))
            return cort_kerr(ctx, "scan output %d changes type or shape between iterations", body_out);
    }
    int axis;
    if (item_rank + 1 > CORT_MAX_RANK || !cort_norm_axis(axis_attr, item_rank + 1, &axis))
        return cort_kerr(ctx, "scan output axis %lld is out of range for rank %d", (long long)axis_attr, item_rank + 1);
    int64_t dims[CORT_MAX_RANK];
    for (int d = 0, s = 0; d <= item_rank; d++) dims[d] = d == axis ? n : item_dims[s++];
    cort_tensor *out;
    CORT_TRY(out_tensor(ctx, index, type, item_rank + 1, dims, &out));
    int64_t outer = cort_shape_count(item_dims, axis), inner = cort_shape_count(item_dims + axis, item_rank - axis);
    for (int64_t p = 0; p < n; p++) {
        int64_t pos = reverse ? n - 1 - p : p;
        for (int64_t o = 0; o < outer; o++)
            CORT_TRY(copy_elements(ctx, out, (o * n + pos) * inner, &items[p].t, o * inner, inner));
    }
    return NULL;
}

static cort_status *body_attr(const cort_node *node, const char *name, const cort_graph **g) {
    const cort_attr *a = cort_node_attr(node, name);
    if (!a || a->type != CORT_ATTR_GRAPH || !a->g)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' (a graph) is required", name);
    *g = a->g;
    return NULL;
}

static bool scalar_true(const cort_tensor *t) { return cort_tensor_count(t) >= 1 && cort_get_i64(t, 0) != 0; }

/* ------------------------------------------------------------------ If */

typedef struct if_params {
    const cort_graph *then_branch, *else_branch;
} if_params;

static cort_status *parse_if(cort_parse_ctx *pc) {
    if_params *p = pc->params;
    CORT_TRY(body_attr(pc->node, "then_branch", &p->then_branch));
    CORT_TRY(body_attr(pc->node, "else_branch", &p->else_branch));
    const cort_graph *g[2] = {p->then_branch, p->else_branch};
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "else_branch" : "then_branch";
        if (g[i]->n_outputs != pc->node->n_outputs)
            return cort_node_error(pc->node, CORT_INVALID_GRAPH, "%s has %d outputs, the node %d", name,
                                   g[i]->n_outputs, pc->node->n_outputs);
        if (g[i]->n_inputs)
            return cort_node_error(pc->node, CORT_INVALID_GRAPH, "%s declares %d inputs; If branches take none",
                                   name, g[i]->n_inputs);
    }
    return NULL;
}

static cort_status *run_if(cort_kctx *ctx) {
    const if_params *p = ctx->params;
    const cort_tensor *cond = cort_in(ctx, 0);
    if (!cond || cort_tensor_count(cond) != 1) return cort_kerr(ctx, "cond must be a tensor of one element");
    const cort_graph *g = scalar_true(cond) ? p->then_branch : p->else_branch;
    int n = g->n_outputs;
    cort_value *outs = calloc((size_t)(n > 0 ? n : 1), sizeof *outs);
    if (!outs) return cort_oom();
    cort_status *st = ctx->svc->run_subgraph(ctx, g, 0, NULL, n, outs);
    for (int i = 0; !st && i < n; i++) st = emit_value(ctx, i, &outs[i]);
    clear_values(outs, n);
    free(outs);
    return st;
}

/* ------------------------------------------------------------------ Loop */

typedef struct loop_params {
    const cort_graph *body;
    int n_carried, n_scan;
} loop_params;

static cort_status *parse_loop(cort_parse_ctx *pc) {
    loop_params *p = pc->params;
    const cort_node *node = pc->node;
    CORT_TRY(body_attr(node, "body", &p->body));
    if (node->n_inputs < 2)
        return cort_node_error(node, CORT_INVALID_GRAPH, "needs inputs M and cond (possibly empty)");
    p->n_carried = node->n_inputs - 2;
    p->n_scan = node->n_outputs - p->n_carried;
    if (p->n_scan < 0)
        return cort_node_error(node, CORT_INVALID_GRAPH, "%d loop-carried inputs but only %d outputs", p->n_carried,
                               node->n_outputs);
    if (p->body->n_inputs != 2 + p->n_carried || p->body->n_outputs != 1 + p->n_carried + p->n_scan)
        return cort_node_error(node, CORT_INVALID_GRAPH, "body has %d inputs and %d outputs, expected %d and %d",
                               p->body->n_inputs, p->body->n_outputs, 2 + p->n_carried, 1 + p->n_carried + p->n_scan);
    return NULL;
}

/* State of one Loop run; everything here is owned and released by loop_release. */
typedef struct loop_run {
    cort_value *carried;   /* n_carried */
    cort_value *outs;      /* 1 + n_carried + n_scan body outputs */
    const cort_value **ins;
    value_list *scans;     /* n_scan */
    cort_value none;       /* stands in for an omitted loop-carried input */
} loop_run;

static void loop_release(loop_run *r, const loop_params *p) {
    clear_values(r->carried, p->n_carried);
    clear_values(r->outs, 1 + p->n_carried + p->n_scan);
    for (int k = 0; r->scans && k < p->n_scan; k++) list_clear(&r->scans[k]);
    free(r->carried);
    free(r->outs);
    free(r->ins);
    free(r->scans);
}

static cort_status *loop_init(cort_kctx *ctx, const loop_params *p, loop_run *r) {
    int nc = p->n_carried, nb = 1 + nc + p->n_scan;
    r->carried = calloc((size_t)nc + 1, sizeof *r->carried);
    r->outs = calloc((size_t)nb, sizeof *r->outs);
    r->ins = calloc((size_t)nc + 2, sizeof *r->ins);
    r->scans = calloc((size_t)p->n_scan + 1, sizeof *r->scans);
    if (!r->carried || !r->outs || !r->ins || !r->scans) return cort_oom();
    r->none.kind = CORT_VALUE_NONE;
    for (int i = 0; i < nc; i++) {
        const cort_value *v = cort_in_value(ctx, 2 + i);
        CORT_TRY(cort_value_copy(&r->carried[i], v ? v : &r->none));
    }
    return NULL;
}

static cort_status *read_trip_count(cort_kctx *ctx, bool *has_max, int64_t *max_trips, bool *cond) {
    const cort_tensor *m = cort_in(ctx, 0), *c = cort_in(ctx, 1);
    *has_max = m != NULL;
    *max_trips = 0;
    if (m) {
        if (cort_tensor_count(m) != 1) return cort_kerr(ctx, "M must have one element");
        *max_trips = cort_get_i64(m, 0);
    }
    if (c && cort_tensor_count(c) != 1) return cort_kerr(ctx, "cond must have one element");
    *cond = c ? scalar_true(c) : true;
    return NULL;
}

/* One body run: feeds (iteration, cond, carried...) and moves the results into the run's state. */
static cort_status *loop_iteration(cort_kctx *ctx, const loop_params *p, loop_run *r, int64_t iter, bool *cond) {
    int nc = p->n_carried, nb = 1 + nc + p->n_scan;
    int64_t iter_data = iter;
    uint8_t cond_data = *cond;
    cort_value iter_v = {.kind = CORT_VALUE_TENSOR, .t = {.type = CORT_INT64, .rank = 0, .data = &iter_data}};
    cort_value cond_v = {.kind = CORT_VALUE_TENSOR, .t = {.type = CORT_BOOL, .rank = 0, .data = &cond_data}};
    r->ins[0] = &iter_v;
    r->ins[1] = &cond_v;
    for (int i = 0; i < nc; i++) r->ins[2 + i] = &r->carried[i];
    CORT_TRY(ctx->svc->run_subgraph(ctx, p->body, 2 + nc, r->ins, nb, r->outs));
    if (r->outs[0].kind != CORT_VALUE_TENSOR || cort_tensor_count(&r->outs[0].t) != 1)
        return cort_kerr(ctx, "body output cond must be a tensor of one element");
    *cond = scalar_true(&r->outs[0].t);
    cort_value_clear(&r->outs[0]);
    for (int i = 0; i < nc; i++) {
        cort_value_clear(&r->carried[i]);
        r->carried[i] = r->outs[1 + i];
        memset(&r->outs[1 + i], 0, sizeof r->outs[1 + i]);
    }
    for (int k = 0; k < p->n_scan; k++) {
        if (r->outs[1 + nc + k].kind != CORT_VALUE_TENSOR)
            return cort_kerr(ctx, "body scan output %d is not a tensor", k);
        CORT_TRY(list_push(&r->scans[k], &r->outs[1 + nc + k]));
    }
    return NULL;
}

static cort_status *loop_body_runs(cort_kctx *ctx, const loop_params *p, loop_run *r) {
    bool has_max = false, cond = false;
    int64_t max_trips = 0;
    CORT_TRY(read_trip_count(ctx, &has_max, &max_trips, &cond));
    for (int64_t iter = 0; (!has_max || iter < max_trips) && cond; iter++)
        CORT_TRY(loop_iteration(ctx, p, r, iter, &cond));
    for (int i = 0; i < p->n_carried; i++) CORT_TRY(emit_value(ctx, i, &r->carried[i]));
    for (int k = 0; k < p->n_scan; k++)
        CORT_TRY(emit_stacked(ctx, p->n_carried + k, r->scans[k].items, r->scans[k].n, 0, false, p->body,
                              1 + p->n_carried + k));
    return NULL;
}

static cort_status *run_loop(cort_kctx *ctx) {
    const loop_params *p = ctx->params;
    loop_run r;
    memset(&r, 0, sizeof r);
    cort_status *st = loop_init(ctx, p, &r);
    if (!st) st = loop_body_runs(ctx, p, &r);
    loop_release(&r, p);
    return st;
}

/* ------------------------------------------------------------------ Scan */

typedef struct scan_params {
    const cort_graph *body;
    bool v8;             /* opset 8: leading sequence_lens input, batch axis 0, sequence axis 1 */
    int n_state, n_in, n_out; /* N loop-carried states, M scan inputs, K scan outputs */
    const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs; /* NULL: zeros */
} scan_params;

static cort_status *scan_list_attr(const cort_node *node, const char *name, int64_t want, const int64_t **vals) {
    int64_t n = cort_attr_ints(node, name, vals);
    if (n < 0) {
        *vals = NULL;
        return NULL;
    }
    if (n != want)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' has %lld entries, expected %lld", name,
                               (long long)n, (long long)want);
    for (int64_t i = 0; i < n; i++)
        if (strstr(name, "directions") && (*vals)[i] != 0 && (*vals)[i] != 1)
            return cort_node_error(node, CORT_INVALID_GRAPH, "'%s' entries must be 0 or 1", name);
    return NULL;
}

static cort_status *parse_scan_common(cort_parse_ctx *pc, bool v8) {
    scan_params *p = pc->params;
    const cort_node *node = pc->node;
    p->v8 = v8;
    CORT_TRY(body_attr(node, "body", &p->body));
    int64_t m = cort_attr_int(node, "num_scan_inputs", -1);
    int lead = v8 ? 1 : 0;
    if (m < 1 || m > node->n_inputs - lead)
        return cort_node_error(node, CORT_INVALID_GRAPH, "num_scan_inputs %lld is invalid for %d inputs", (long long)m,
                               node->n_inputs);
    p->n_in = (int)m;
    p->n_state = node->n_inputs - lead - p->n_in;
    p->n_out = node->n_outputs - p->n_state;
    if (p->n_out < 0)
        return cort_node_error(node, CORT_INVALID_GRAPH, "%d states but %d outputs", p->n_state, node->n_outputs);
    if (p->body->n_inputs != p->n_state + p->n_in || p->body->n_outputs != p->n_state + p->n_out)
        return cort_node_error(node, CORT_INVALID_GRAPH, "body has %d inputs and %d outputs, expected %d and %d",
                               p->body->n_inputs, p->body->n_outputs, p->n_state + p->n_in, p->n_state + p->n_out);
    if (v8) return scan_list_attr(node, "directions", p->n_in, &p->in_dirs);
    CORT_TRY(scan_list_attr(node, "scan_input_axes", p->n_in, &p->in_axes));
    CORT_TRY(scan_list_attr(node, "scan_input_directions", p->n_in, &p->in_dirs));
    CORT_TRY(scan_list_attr(node, "scan_output_axes", p->n_out, &p->out_axes));
    return scan_list_attr(node, "scan_output_directions", p->n_out, &p->out_dirs);
}

static cort_status *parse_scan8(cort_parse_ctx *pc) { return parse_scan_common(pc, true); }
static cort_status *parse_scan9(cort_parse_ctx *pc) { return parse_scan_common(pc, false); }

/* Buffers of one scan: states in and out of the body, the slices it reads, the slices it yields. */
typedef struct scan_run {
    cort_value *states;  /* n_state */
    cort_value *slices;  /* n_in */
    cort_value *outs;    /* n_state + n_out */
    const cort_value **ins;
    value_list *scans;   /* n_out */
} scan_run;

static cort_status *scan_run_alloc(const scan_params *p, scan_run *r) {
    r->states = calloc((size_t)p->n_state + 1, sizeof *r->states);
    r->slices = calloc((size_t)p->n_in + 1, sizeof *r->slices);
    r->outs = calloc((size_t)(p->n_state + p->n_out) + 1, sizeof *r->outs);
    r->ins = calloc((size_t)(p->n_state + p->n_in) + 1, sizeof *r->ins);
    r->scans = calloc((size_t)p->n_out + 1, sizeof *r->scans);
    return r->states && r->slices && r->outs && r->ins && r->scans ? NULL : cort_oom();
}

static void scan_run_reset_scans(const scan_params *p, scan_run *r) {
    for (int k = 0; r->scans && k < p->n_out; k++) list_clear(&r->scans[k]);
}

static void scan_run_free(const scan_params *p, scan_run *r) {
    clear_values(r->states, p->n_state);
    clear_values(r->slices, p->n_in);
    clear_values(r->outs, p->n_state + p->n_out);
    scan_run_reset_scans(p, r);
    free(r->states);
    free(r->slices);
    free(r->outs);
    free(r->ins);
    free(r->scans);
}

/* Runs the body `len` times over scan inputs xs (their scan axis at axes[j]), updating r->states and
 * collecting each iteration's scan outputs in r->scans. */
static cort_status *scan_iterate(cort_kctx *ctx, const scan_params *p, scan_run *r, const cort_tensor *const *xs,
                                 const int *axes, int64_t len) {
    int ns = p->n_state, nb = p->n_state + p->n_out;
    for (int64_t t = 0; t < len; t++) {
        for (int j = 0; j < p->n_in; j++) {
            int64_t idx = p->in_dirs && p->in_dirs[j] ? len - 1 - t : t;
            CORT_TRY(extract_slice(ctx, xs[j], axes[j], idx, &r->slices[j]));
        }
        for (int i = 0; i < ns; i++) r->ins[i] = &r->states[i];
        for (int j = 0; j < p->n_in; j++) r->ins[ns + j] = &r->slices[j];
        CORT_TRY(ctx->svc->run_subgraph(ctx, p->body, ns + p->n_in, r->ins, nb, r->outs));
        for (int i = 0; i < ns; i++) {
            cort_value_clear(&r->states[i]);
            r->states[i] = r->outs[i];
            memset(&r->outs[i], 0, sizeof r->outs[i]);
        }
        for (int k = 0; k < p->n_out; k++) {
            if (r->outs[ns + k].kind != CORT_VALUE_TENSOR)
                return cort_kerr(ctx, "body scan output %d is not a tensor", k);
            CORT_TRY(list_push(&r->scans[k], &r->outs[ns + k]));
        }
    }
    return NULL;
}

/* Scan inputs of opset 9+, their normalised axes and common length. */
static cort_status *scan9_inputs(cort_kctx *ctx, const scan_params *p, const cort_tensor **xs, int *axes,
                                 int64_t *len) {
    *len = -1;
    for (int j = 0; j < p->n_in; j++) {
        xs[j] = cort_in(ctx, p->n_state + j);
        if (!xs[j]) return cort_kerr(ctx, "scan input %d must be a tensor", j);
        int64_t a = p->in_axes ? p->in_axes[j] : 0;
        if (xs[j]->rank == 0 || !cort_norm_axis(a, xs[j]->rank, &axes[j]))
            return cort_kerr(ctx, "scan input %d: axis %lld is out of range for rank %d", j, (long long)a, xs[j]->rank);
        int64_t l = xs[j]->dims[axes[j]];
        if (*len >= 0 && l != *len)
            return cort_kerr(ctx, "scan input %d has %lld steps, input 0 has %lld", j, (long long)l, (long long)*len);
        *len = l;
    }
    return NULL;
}

static cort_status *scan9_body_runs(cort_kctx *ctx, const scan_params *p, scan_run *r) {
    const cort_tensor **xs = ctx->svc->scratch(ctx, (size_t)p->n_in * sizeof *xs);
    int *axes = ctx->svc->scratch(ctx, (size_t)p->n_in * sizeof *axes);
    if (!xs || !axes) return cort_oom();
    int64_t len = 0;
    CORT_TRY(scan9_inputs(ctx, p, xs, axes, &len));
    for (int i = 0; i < p->n_state; i++) {
        const cort_value *v = cort_in_value(ctx, i);
        if (!v) return cort_kerr(ctx, "state input %d is missing", i);
        CORT_TRY(cort_value_copy(&r->states[i], v));
    }
    CORT_TRY(scan_iterate(ctx, p, r, xs, axes, len));
    for (int i = 0; i < p->n_state; i++) CORT_TRY(emit_value(ctx, i, &r->states[i]));
    for (int k = 0; k < p->n_out; k++)
        CORT_TRY(emit_stacked(ctx, p->n_state + k, r->scans[k].items, r->scans[k].n, p->out_axes ? p->out_axes[k] : 0,
                              p->out_dirs && p->out_dirs[k], p->body, p->n_state + k));
    return NULL;
}

static cort_status *run_scan9(cort_kctx *ctx) {
    const scan_params *p = ctx->params;
    scan_run r;
    memset(&r, 0, sizeof r);
    cort_status *st = scan_run_alloc(p, &r);
    if (!st) st = scan9_body_runs(ctx, p, &r);
    scan_run_free(p, &r);
    return st;
}

/* ---- opset 8: every input has a leading batch axis; each batch row is its own scan */

typedef struct scan8_batch {
    int64_t batch, max_len;
    const int64_t *lens;        /* NULL: every row runs max_len steps */
    const cort_tensor **xs;     /* n_in scan inputs [batch, seq, ...] */
    cort_value *x_rows;         /* n_in: row b of each scan input [seq, ...] */
    cort_value *finals;         /* n_state * batch final states */
    value_list *outs;           /* n_out * batch: scan outputs of each row */
} scan8_batch;

static cort_status *scan8_check_inputs(cort_kctx *ctx, const scan_params *p, scan8_batch *sb) {
    sb->batch = -1;
    for (int i = 0; i < p->n_state + p->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, 1 + i);
        bool scan_input = i >= p->n_state;
        if (!t || t->rank < (scan_input ? 2 : 1))
            return cort_kerr(ctx, "input %d must be a tensor with a batch axis%s", 1 + i,
                             scan_input ? " and a sequence axis" : "");
        if (sb->batch >= 0 && t->dims[0] != sb->batch)
            return cort_kerr(ctx, "input %d has batch %lld, expected %lld", 1 + i, (long long)t->dims[0],
                             (long long)sb->batch);
        sb->batch = t->dims[0];
        if (scan_input) {
            int j = i - p->n_state;
            sb->xs[j] = t;
            if (j > 0 && t->dims[1] != sb->max_len)
                return cort_kerr(ctx, "scan input %d has %lld steps, input 0 has %lld", j, (long long)t->dims[1],
                                 (long long)sb->max_len);
            sb->max_len = t->dims[1];
        }
    }
    const cort_tensor *sl = cort_in(ctx, 0);
    if (!sl) return NULL;
    if (sl->rank != 1 || sl->dims[0] != sb->batch || (sl->type != CORT_INT64 && sl->type != CORT_INT32))
        return cort_kerr(ctx, "sequence_lens must be an integer tensor of shape [%lld]", (long long)sb->batch);
    int64_t *lens = ctx->svc->scratch(ctx, (size_t)(sb->batch ? sb->batch : 1) * sizeof *lens);
    if (!lens) return cort_oom();
    for (int64_t b = 0; b < sb->batch; b++) {
        lens[b] = cort_get_i64(sl, b);
        if (lens[b] < 0 || lens[b] > sb->max_len)
            return cort_kerr(ctx, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)b, (long long)lens[b],
                             (long long)sb->max_len);
    }
    sb->lens = lens;
    return NULL;
}

static cort_status *scan8_row(cort_kctx *ctx, const scan_params *p, scan_run *r, scan8_batch *sb, int64_t b) {
    const cort_tensor **rows = ctx->svc->scratch(ctx, (size_t)p->n_in * sizeof *rows);
    int *axes = ctx->svc->scratch(ctx, (size_t)p->n_in * sizeof *axes);
    if (!rows || !axes) return cort_oom();
    for (int i = 0; i < p->n_state; i++) CORT_TRY(extract_slice(ctx, cort_in(ctx, 1 + i), 0, b, &r->states[i]));
    for (int j = 0; j < p->n_in; j++) {
        CORT_TRY(extract_slice(ctx, sb->xs[j], 0, b, &sb->x_rows[j]));
        rows[j] = &sb->x_rows[j].t;
        axes[j] = 0;
    }
    CORT_TRY(scan_iterate(ctx, p, r, rows, axes, sb->lens ? sb->lens[b] : sb->max_len));
    for (int i = 0; i < p->n_state; i++) {
        sb->finals[i * sb->batch + b] = r->states[i];
        memset(&r->states[i], 0, sizeof r->states[i]);
    }
    for (int k = 0; k < p->n_out; k++) {
        sb->outs[k * sb->batch + b] = r->scans[k];
        memset(&r->scans[k], 0, sizeof r->scans[k]);
    }
    return NULL;
}

/* Scan output k: [batch, max_len, ...], rows shorter than max_len padded with zeros. */
static cort_status *scan8_emit_output(cort_kctx *ctx, const scan_params *p, const scan8_batch *sb, int k) {
    int index = p->n_state + k;
    if (!cort_out_wanted(ctx, index)) return NULL;
    const cort_value *first = NULL;
    for (int64_t b = 0; b < sb->batch && !first; b++)
        if (sb->outs[k * sb->batch + b].n) first = &sb->outs[k * sb->batch + b].items[0];
    int32_t type;
    int item_rank;
    int64_t item_dims[CORT_MAX_RANK], dims[CORT_MAX_RANK];
    if (first) {
        type = first->t.type;
        item_rank = first->t.rank;
        memcpy(item_dims, first->t.dims, sizeof item_dims);
    } else {
        declared_output(p->body, index, &type, &item_rank, item_dims);
    }
    if (item_rank + 2 > CORT_MAX_RANK) return cort_kerr(ctx, "scan output %d has too high a rank", k);
    dims[0] = sb->batch;
    dims[1] = sb->max_len;
    memcpy(dims + 2, item_dims, (size_t)item_rank * sizeof *dims);
    cort_tensor *out;
    CORT_TRY(out_tensor(ctx, index, type, item_rank + 2, dims, &out));
    if (type != CORT_STRING) memset(out->data, 0, cort_tensor_nbytes(out));
    int64_t inner = cort_shape_count(item_dims, item_rank);
    for (int64_t b = 0; b < sb->batch; b++) {
        const value_list *l = &sb->outs[k * sb->batch + b];
        for (int64_t t = 0; t < l->n; t++) {
            const cort_value *v = &l->items[t];
            if (v->t.type != type || v->t.rank != item_rank ||
                (item_rank && memcmp(v->t.dims, item_dims, (size_t)item_rank * sizeof *item_dims)))
                return cort_kerr(ctx, "scan output %d changes type or shape between iterations", k);
            CORT_TRY(copy_elements(ctx, out, (b * sb->max_len + t) * inner, &v->t, 0, inner));
        }
    }
    return NULL;
}

static cort_status *scan8_body_runs(cort_kctx *ctx, const scan_params *p, scan_run *r, scan8_batch *sb) {
    CORT_TRY(scan8_check_inputs(ctx, p, sb));
    sb->finals = calloc((size_t)(p->n_state * sb->batch) + 1, sizeof *sb->finals);
    sb->outs = calloc((size_t)(p->n_out * sb->batch) + 1, sizeof *sb->outs);
    if (!sb->finals || !sb->outs) return cort_oom();
    for (int64_t b = 0; b < sb->batch; b++) CORT_TRY(scan8_row(ctx, p, r, sb, b));
    for (int i = 0; i < p->n_state; i++)
        CORT_TRY(emit_stacked(ctx, i, sb->finals + i * sb->batch, sb->batch, 0, false, p->body, i));
    for (int k = 0; k < p->n_out; k++) CORT_TRY(scan8_emit_output(ctx, p, sb, k));
    return NULL;
}

static cort_status *run_scan8(cort_kctx *ctx) {
    const scan_params *p = ctx->params;
    scan_run r;
    scan8_batch sb;
    memset(&r, 0, sizeof r);
    memset(&sb, 0, sizeof sb);
    cort_status *st = scan_run_alloc(p, &r);
    if (!st) {
        sb.xs = calloc((size_t)p->n_in, sizeof *sb.xs);
        sb.x_rows = calloc((size_t)p->n_in, sizeof *sb.x_rows);
        if (!sb.xs || !sb.x_rows) st = cort_oom();
    }
    if (!st) st = scan8_body_runs(ctx, p, &r, &sb);
    if (sb.finals) clear_values(sb.finals, (int64_t)p->n_state * sb.batch);
    if (sb.outs)
        for (int64_t i = 0; i < (int64_t)p->n_out * sb.batch; i++) list_clear(&sb.outs[i]);
    if (sb.x_rows) clear_values(sb.x_rows, p->n_in);
    free(sb.finals);
    free(sb.outs);
    free(sb.x_rows);
    free(sb.xs);
    scan_run_free(p, &r);
    return st;
}

/* ------------------------------------------------------------------ type inference
 * Element types only: shapes may change between iterations and branches. */

/* Output i takes the kind and element type of src (tensor rank left unknown). */
static cort_status *infer_like(cort_infer_ctx *ic, int i, const cort_type *src) {
    if (i >= ic->n_out || !src) return NULL;
    if (src->kind == CORT_TYPE_TENSOR && src->elem) cort_type_set_tensor(&ic->out[i], src->elem, -1, NULL);
    else if (src->kind == CORT_TYPE_SEQUENCE || src->kind == CORT_TYPE_OPTIONAL)
        return cort_type_copy(ic->pool, &ic->out[i], src);
    return NULL;
}

static const cort_type *graph_output_type(const cort_graph *g, int k) {
    return k < g->n_outputs ? &g->values[g->outputs[k]].type : NULL;
}

static cort_status *infer_if(cort_infer_ctx *ic) {
    const if_params *p = ic->params;
    for (int i = 0; i < ic->n_out; i++) {
        const cort_type *a = graph_output_type(p->then_branch, i), *b = graph_output_type(p->else_branch, i);
        if (a && b && a->kind == CORT_TYPE_TENSOR && b->kind == CORT_TYPE_TENSOR && a->elem == b->elem)
            CORT_TRY(infer_like(ic, i, a));
    }
    return NULL;
}

static cort_status *infer_loop(cort_infer_ctx *ic) {
    const loop_params *p = ic->params;
    for (int i = 0; i < p->n_carried; i++) CORT_TRY(infer_like(ic, i, graph_output_type(p->body, 1 + i)));
    for (int k = 0; k < p->n_scan; k++) {
        const cort_type *t = graph_output_type(p->body, 1 + p->n_carried + k);
        if (t && t->kind == CORT_TYPE_TENSOR && t->elem)
            cort_type_set_tensor(&ic->out[p->n_carried + k], t->elem, -1, NULL);
    }
    return NULL;
}

static cort_status *infer_scan(cort_infer_ctx *ic) {
    const scan_params *p = ic->params;
    for (int i = 0; i < p->n_state + p->n_out; i++) {
        const cort_type *t = graph_output_type(p->body, i);
        if (t && t->kind == CORT_TYPE_TENSOR && t->elem) cort_type_set_tensor(&ic->out[i], t->elem, -1, NULL);
    }
    return NULL;
}

#define CONTROL_ROW(name, since, until, params, parse, infer, run) \
    {"", name, since, until, CORT_TS_ANY, 0, sizeof(params), parse, infer, NULL, run, 0}

const cort_op_def cort_ops_control[] = {
    CONTROL_ROW("If", 1, CORT_OPSET_MAX, if_params, parse_if, infer_if, run_if),
    CONTROL_ROW("Loop", 1, CORT_OPSET_MAX, loop_params, parse_loop, infer_loop, run_loop),
    CONTROL_ROW("Scan", 8, 8, scan_params, parse_scan8, infer_scan, run_scan8),
    CONTROL_ROW("Scan", 9, CORT_OPSET_MAX, scan_params, parse_scan9, infer_scan, run_scan9),
    {0},
};
