/* A stand-in executor for the elementwise operator tests: one node built by hand, parsed and run on
 * owned values. parallel_for runs serially in small uneven chunks so range splitting is exercised. */
#ifndef CORT_TESTS_ELEMENTWISE_HARNESS_H
#define CORT_TESTS_ELEMENTWISE_HARNESS_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/op.h"

#define EW_MAX_IO 6

typedef struct ew_exec {
    cort_value outs[EW_MAX_IO];
    void *scratch[8];
    int n_scratch;
} ew_exec;

typedef struct ew_node {
    cort_node node; /* first: the kernel context's node pointer leads back here */
    int ids[EW_MAX_IO], out_ids[EW_MAX_IO];
    cort_attr attrs[4];
    bool inplace; /* output 0 gets input 0's buffer when the sizes match, as the planner may do */
} ew_node;

static inline cort_status *ew_alloc(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                                    cort_tensor **out) {
    ew_exec *e = ctx->exec;
    if (index < 0 || index >= EW_MAX_IO) return cort_error(CORT_FAIL, "output index %d", index);
    const ew_node *h = (const ew_node *)ctx->node;
    const cort_tensor *x0 = cort_in(ctx, 0);
    cort_tensor want = {.type = type, .rank = rank};
    if (rank > 0) memcpy(want.dims, dims, sizeof(int64_t) * (size_t)rank);
    if (h->inplace && index == 0 && x0 && type != CORT_STRING && cort_tensor_nbytes(x0) == cort_tensor_nbytes(&want)) {
        e->outs[0].kind = CORT_VALUE_TENSOR;
        e->outs[0].t = want;
        e->outs[0].t.data = x0->data; /* a view: not owned */
        *out = &e->outs[0].t;
        return NULL;
    }
    CORT_TRY(cort_value_alloc_tensor(&e->outs[index], type, rank, dims));
    /* unwritten numeric elements show up as 0xEE bytes */
    if (type != CORT_STRING) memset(e->outs[index].t.data, 0xEE, cort_tensor_nbytes(&e->outs[index].t));
    else e->outs[index].owns_strings = true;
    *out = &e->outs[index].t;
    return NULL;
}

static inline void *ew_scratch(cort_kctx *ctx, size_t bytes) {
    ew_exec *e = ctx->exec;
    if (e->n_scratch == 8) return NULL;
    return e->scratch[e->n_scratch++] = malloc(bytes ? bytes : 1);
}

static inline void ew_parallel_for(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    int64_t chunk = n / 5 + 3;
    for (int64_t b = 0; b < n; b += chunk) fn(arg, b, b + chunk < n ? b + chunk : n);
}

static inline cort_status *ew_set_output(cort_kctx *ctx, int index, const cort_value *v) {
    ew_exec *e = ctx->exec;
    return cort_value_copy(&e->outs[index], v);
}

static const cort_kctx_services ew_services = {
    .alloc_output = ew_alloc, .set_output_value = ew_set_output, .scratch = ew_scratch, .parallel_for = ew_parallel_for};


static inline ew_node ew_make(const char *op, int opset, int n_in, int n_out) {
    ew_node h;
    memset(&h, 0, sizeof h);
    h.node.name = "t";
    h.node.op_type = op;
    h.node.domain = "";
    h.node.opset = opset;
    h.node.n_inputs = n_in;
    h.node.n_outputs = n_out;
    for (int i = 0; i < EW_MAX_IO; i++) h.ids[i] = h.out_ids[i] = i;
    return h;
}

static inline void ew_attr_int(ew_node *h, const char *name, int64_t v) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_INT, a->i = v;
}
static inline void ew_attr_float(ew_node *h, const char *name, float v) {
    cort_attr *a = &h->attrs[h->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_FLOAT, a->f = v;
}

/* An owned tensor holding a copy of data (strings: an array of char *); zeroed when data is NULL. */
static inline cort_value ew_tensor(int32_t type, int rank, const int64_t *dims, const void *data) {
    cort_value v = {0};
    cort_status *st = cort_value_alloc_tensor(&v, type, rank, dims);
    if (st) {
        fprintf(stderr, "ew_tensor: %s\n", cort_status_message(st));
        cort_status_free(st);
        exit(1);
    }
    int64_t n = cort_tensor_count(&v.t);
    if (type == CORT_STRING) {
        for (int64_t i = 0; i < n; i++) {
            const char *s = ((const char *const *)data)[i];
            cort_status_free(cort_value_set_string(&v, i, s, strlen(s)));
        }
    } else if (n > 0 && data) {
        memcpy(v.t.data, data, cort_tensor_nbytes(&v.t));
    }
    return v;
}

/* Parses and runs node h on the inputs; outputs land in outs (cleared by the caller). */
static inline cort_status *ew_run(ew_node *h, cort_value **inputs, cort_value *outs) {
    h->node.inputs = h->ids;
    h->node.outputs = h->out_ids;
    h->node.attrs = h->attrs;
    for (int i = 0; i < h->node.n_outputs; i++) memset(&outs[i], 0, sizeof outs[i]);
    int32_t type = inputs[0] ? inputs[0]->t.type : 0;
    const char *why = "";
    const cort_op_def *def = cort_registry_find("", h->node.op_type, h->node.opset, type, &why);
    if (!def) return cort_error(CORT_NOT_IMPLEMENTED, "%s: %s", h->node.op_type, why);
    cort_pool pool;
    cort_pool_init(&pool);
    void *params = def->params_size ? cort_pool_alloc(&pool, def->params_size) : NULL;
    cort_parse_ctx pc = {&h->node, NULL, params, &pool};
    cort_status *st = def->parse ? def->parse(&pc) : NULL;
    ew_exec e;
    memset(&e, 0, sizeof e);
    if (!st) {
        const cort_value *in[EW_MAX_IO];
        for (int i = 0; i < h->node.n_inputs; i++) in[i] = inputs[i];
        cort_kctx ctx = {&h->node, params, NULL, h->node.n_inputs, h->node.n_outputs, in, &ew_services, &e, 1};
        st = def->run(&ctx);
    }
    for (int i = 0; i < e.n_scratch; i++) free(e.scratch[i]);
    for (int i = 0; i < h->node.n_outputs; i++) outs[i] = e.outs[i];
    cort_pool_release(&pool);
    return st;
}

static inline bool ew_ok(ew_node *h, cort_value **inputs, cort_value *outs) {
    cort_status *st = ew_run(h, inputs, outs);
    if (!st) return true;
    fprintf(stderr, "%s failed: %s\n", h->node.op_type, cort_status_message(st));
    cort_status_free(st);
    check_failures++;
    return false;
}

/* True when the run fails with a message containing `needle`. */
static inline bool ew_fails(ew_node *h, cort_value **inputs, const char *needle) {
    cort_value outs[EW_MAX_IO];
    cort_status *st = ew_run(h, inputs, outs);
    for (int i = 0; i < h->node.n_outputs; i++) cort_value_clear(&outs[i]);
    bool ok = st && strstr(cort_status_message(st), needle);
    if (!ok) fprintf(stderr, "expected failure '%s', got '%s'\n", needle, st ? cort_status_message(st) : "success");
    cort_status_free(st);
    return ok;
}

static inline void ew_clear(cort_value *vals, int n) {
    for (int i = 0; i < n; i++) cort_value_clear(&vals[i]);
}

/* Same value, NaN equal to NaN, signed zeros distinguished. */
static inline bool ew_same_f32(float a, float b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b && !signbit(a) == !signbit(b);
}
#endif
