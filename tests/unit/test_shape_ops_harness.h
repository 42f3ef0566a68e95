/* A tiny stand-in executor for the data-movement operator tests: builds a node by hand, parses it,
 * runs its kernel with owned input values and returns owned output values. */
#ifndef CORT_TESTS_SHAPE_OPS_HARNESS_H
#define CORT_TESTS_SHAPE_OPS_HARNESS_H
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/op.h"

#define H_MAX_IO 8
#define H_MAX_SCRATCH 16

typedef struct h_exec {
    cort_value outs[H_MAX_IO];
    void *scratch[H_MAX_SCRATCH];
    int n_scratch;
} h_exec;

static inline cort_status *h_alloc(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                            cort_tensor **out) {
    h_exec *e = ctx->exec;
    CORT_TRY(cort_value_alloc_tensor(&e->outs[index], type, rank, dims));
    /* poison numeric outputs so an element the kernel forgets to write shows up */
    if (type != CORT_STRING) memset(e->outs[index].t.data, 0xAB, cort_tensor_nbytes(&e->outs[index].t));
    *out = &e->outs[index].t;
    return NULL;
}

static inline void *h_scratch(cort_kctx *ctx, size_t bytes) {
    h_exec *e = ctx->exec;
    if (e->n_scratch == H_MAX_SCRATCH) return NULL;
    void *p = malloc(bytes ? bytes : 1);
    e->scratch[e->n_scratch++] = p;
    return p;
}

/* Runs in uneven chunks so kernels that split work are exercised. */
static inline void h_parallel_for(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    int64_t chunk = n / 3 + 1;
    for (int64_t b = 0; b < n; b += chunk) fn(arg, b, b + chunk < n ? b + chunk : n);
}

static const cort_kctx_services h_services = {
    .alloc_output = h_alloc, .scratch = h_scratch, .parallel_for = h_parallel_for};

/* A node under construction. */
typedef struct h_node {
    cort_node node;
    int inputs[H_MAX_IO], outputs[H_MAX_IO];
    cort_attr attrs[8];
} h_node;

static inline void h_init(h_node *h, const char *op, int opset, int n_in, int n_out) {
    memset(h, 0, sizeof *h);
    h->node.name = "n";
    h->node.op_type = op;
    h->node.domain = "";
    h->node.opset = opset;
    h->node.n_inputs = n_in;
    h->node.n_outputs = n_out;
    h->node.inputs = h->inputs;
    h->node.outputs = h->outputs;
    h->node.attrs = h->attrs;
    for (int i = 0; i < H_MAX_IO; i++) h->inputs[i] = h->outputs[i] = i;
}

static inline void h_attr_int(h_node *h, const char *name, int64_t v) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name;
    a->type = CORT_ATTR_INT;
    a->i = v;
}

static inline void h_attr_ints(h_node *h, const char *name, const int64_t *v, int n) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name;
    a->type = CORT_ATTR_INTS;
    a->ints = (int64_t *)v;
    a->n = n;
}

static inline void h_attr_str(h_node *h, const char *name, const char *s) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name;
    a->type = CORT_ATTR_STRING;
    a->s = s;
    a->s_len = strlen(s);
}

static inline void h_attr_float(h_node *h, const char *name, float f) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name;
    a->type = CORT_ATTR_FLOAT;
    a->f = f;
}

/* An owned tensor value holding a copy of `data` (count elements of type). */
static inline cort_value h_tensor(int32_t type, int rank, const int64_t *dims, const void *data) {
    cort_value v = {0};
    cort_status *st = cort_value_alloc_tensor(&v, type, rank, dims);
    if (st) {
        fprintf(stderr, "h_tensor: %s\n", cort_status_message(st));
        cort_status_free(st);
        abort();
    }
    if (type == CORT_STRING && data) {
        const char *const *s = data;
        for (int64_t i = 0; i < cort_tensor_count(&v.t); i++)
            if (s[i]) cort_status_free(cort_value_set_string(&v, i, s[i], strlen(s[i])));
    } else if (data && type != CORT_STRING) {
        memcpy(v.t.data, data, cort_tensor_nbytes(&v.t));
    }
    return v;
}

static inline cort_value h_i64(int rank, const int64_t *dims, const int64_t *data) {
    return h_tensor(CORT_INT64, rank, dims, data);
}
static inline cort_value h_f32(int rank, const int64_t *dims, const float *data) {
    return h_tensor(CORT_FLOAT, rank, dims, data);
}

/* Parses and runs the node on inputs (NULL entries are omitted inputs) with the given services; outputs
 * land in outs. Returns the kernel's status (the caller frees it). */
static inline cort_status *h_run_with(h_node *h, cort_value **inputs, cort_value *outs,
                                      const cort_kctx_services *svc) {
    const cort_tensor *first = inputs[0] && inputs[0]->kind == CORT_VALUE_TENSOR ? &inputs[0]->t : NULL;
    const char *why = "";
    const cort_op_def *def = cort_registry_find("", h->node.op_type, h->node.opset, first ? first->type : 0, &why);
    if (!def) return cort_error(CORT_NOT_IMPLEMENTED, "%s: %s", h->node.op_type, why);
    cort_pool pool;
    cort_pool_init(&pool);
    void *params = def->params_size ? cort_pool_alloc(&pool, def->params_size) : NULL;
    cort_parse_ctx pc = {&h->node, NULL, params, &pool};
    cort_status *st = def->parse ? def->parse(&pc) : NULL;
    h_exec e;
    memset(&e, 0, sizeof e);
    if (!st) {
        const cort_value *in[H_MAX_IO];
        for (int i = 0; i < h->node.n_inputs; i++) in[i] = inputs[i];
        cort_kctx ctx = {&h->node, params, NULL, h->node.n_inputs, h->node.n_outputs, in, svc, &e, 1};
        st = def->run(&ctx);
    }
    for (int i = 0; i < e.n_scratch; i++) free(e.scratch[i]);
    for (int i = 0; i < h->node.n_outputs; i++) outs[i] = e.outs[i];
    cort_pool_release(&pool);
    return st;
}

/* h_run_with the harness's ordinary services. */
static inline cort_status *h_run(h_node *h, cort_value **inputs, cort_value *outs) {
    return h_run_with(h, inputs, outs, &h_services);
}

/* Parses the node and runs its infer with the given input types and constants (NULL: not constant);
 * out[] receives the output types, their dims from `pool`. */
static inline cort_status *h_infer(h_node *h, const cort_type *const *in, const cort_tensor *const *consts,
                                   cort_type *out, cort_pool *pool) {
    const char *why = "";
    int32_t elem = in[0] && in[0]->kind == CORT_TYPE_TENSOR ? in[0]->elem : 0;
    const cort_op_def *def = cort_registry_find("", h->node.op_type, h->node.opset, elem, &why);
    if (!def) return cort_error(CORT_NOT_IMPLEMENTED, "%s: %s", h->node.op_type, why);
    if (!def->infer) return cort_error(CORT_NOT_IMPLEMENTED, "%s has no infer", h->node.op_type);
    void *params = def->params_size ? cort_pool_alloc(pool, def->params_size) : NULL;
    cort_parse_ctx pc = {&h->node, NULL, params, pool};
    CORT_TRY(def->parse ? def->parse(&pc) : NULL);
    for (int i = 0; i < h->node.n_outputs; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].rank = -1;
    }
    cort_infer_ctx ic = {&h->node, params, h->node.n_inputs, h->node.n_outputs, in, consts, out, pool};
    return def->infer(&ic);
}

/* True when t is a tensor of `rank` whose dims have these values (-1: unknown). */
static inline bool h_type_is(const cort_type *t, int32_t elem, int rank, const int64_t *dims) {
    if (t->kind != CORT_TYPE_TENSOR || t->elem != elem || t->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if ((dims[i] < 0 ? -1 : dims[i]) != (t->dims[i].value < 0 ? -1 : t->dims[i].value)) return false;
    return true;
}

/* Runs expecting success; on failure reports and returns false. */
static inline bool h_ok(h_node *h, cort_value **inputs, cort_value *outs) {
    cort_status *st = h_run(h, inputs, outs);
    if (!st) return true;
    fprintf(stderr, "%s failed: %s\n", h->node.op_type, cort_status_message(st));
    cort_status_free(st);
    check_failures++;
    return false;
}

/* Runs expecting failure with a message containing `needle`. */
static inline void h_fails(h_node *h, cort_value **inputs, const char *needle) {
    cort_value outs[H_MAX_IO];
    cort_status *st = h_run(h, inputs, outs);
    for (int i = 0; i < h->node.n_outputs; i++) cort_value_clear(&outs[i]);
    if (!st) {
        fprintf(stderr, "%s unexpectedly succeeded (expected '%s')\n", h->node.op_type, needle);
        check_failures++;
        return;
    }
    if (!strstr(cort_status_message(st), needle)) {
        fprintf(stderr, "%s: message '%s' lacks '%s'\n", h->node.op_type, cort_status_message(st), needle);
        check_failures++;
    }
    cort_status_free(st);
}

static inline bool h_shape_is(const cort_value *v, int rank, const int64_t *dims) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.rank != rank) return false;
    return rank == 0 || !memcmp(v->t.dims, dims, (size_t)rank * sizeof *dims);
}

static inline bool h_i64_is(const cort_value *v, const int64_t *expect, int64_t n) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.type != CORT_INT64 || cort_tensor_count(&v->t) != n) return false;
    return n == 0 || !memcmp(v->t.data, expect, (size_t)n * sizeof *expect);
}

static inline bool h_f32_is(const cort_value *v, const float *expect, int64_t n) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.type != CORT_FLOAT || cort_tensor_count(&v->t) != n) return false;
    return n == 0 || !memcmp(v->t.data, expect, (size_t)n * sizeof *expect);
}

static inline void h_clear(cort_value *v, int n) {
    for (int i = 0; i < n; i++) cort_value_clear(&v[i]);
}
#endif
