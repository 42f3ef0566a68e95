/* A one-node executor for the neural-network operator tests (conv, pool, norm, gemm families): the
 * node is built by hand, its registry row parsed, prepared (with every input treated as a constant)
 * and run on owned values. parallel_for runs serially in uneven chunks so work splitting is exercised. */
#ifndef CORT_TESTS_CONV_HARNESS_H
#define CORT_TESTS_CONV_HARNESS_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/op.h"

#define NN_MAX_IO 10

typedef struct nn_case {
    cort_node node;
    int in_ids[NN_MAX_IO], out_ids[NN_MAX_IO];
    cort_attr attrs[8];
    cort_value ins[NN_MAX_IO];
    const cort_value *in_ptrs[NN_MAX_IO];
    cort_value outs[NN_MAX_IO];
    void *scratch[256];
    int n_scratch;
    cort_pool pool;
} nn_case;

static inline cort_status *nn_alloc(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                                    cort_tensor **out) {
    nn_case *c = ctx->exec;
    if (index < 0 || index >= NN_MAX_IO) return cort_error(CORT_FAIL, "output index %d", index);
    CORT_TRY(cort_value_alloc_tensor(&c->outs[index], type, rank, dims));
    memset(c->outs[index].t.data, 0xEE, cort_tensor_nbytes(&c->outs[index].t)); /* unwritten shows up */
    *out = &c->outs[index].t;
    return NULL;
}

static inline void *nn_scratch(cort_kctx *ctx, size_t bytes) {
    nn_case *c = ctx->exec;
    if (c->n_scratch == 256) return NULL;
    return c->scratch[c->n_scratch++] = malloc(bytes ? bytes : 1);
}

static inline void nn_parallel_for(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    (void)ctx;
    (void)min_chunk;
    int64_t chunk = n / 3 + 1;
    for (int64_t b = 0; b < n; b += chunk) fn(arg, b, b + chunk < n ? b + chunk : n);
}

static const cort_kctx_services nn_services = {
    .alloc_output = nn_alloc, .scratch = nn_scratch, .parallel_for = nn_parallel_for};

static inline void nn_init(nn_case *c, const char *op, int opset, int n_in, int n_out) {
    memset(c, 0, sizeof *c);
    c->node.name = "t";
    c->node.op_type = op;
    c->node.domain = "";
    c->node.opset = opset;
    c->node.n_inputs = n_in;
    c->node.n_outputs = n_out;
    c->node.inputs = c->in_ids;
    c->node.outputs = c->out_ids;
    c->node.attrs = c->attrs;
    for (int i = 0; i < NN_MAX_IO; i++) c->in_ids[i] = c->out_ids[i] = i;
    cort_pool_init(&c->pool);
}

static inline void nn_attr_int(nn_case *c, const char *name, int64_t v) {
    cort_attr *a = &c->attrs[c->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_INT, a->i = v;
}
static inline void nn_attr_float(nn_case *c, const char *name, float v) {
    cort_attr *a = &c->attrs[c->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_FLOAT, a->f = v;
}
static inline void nn_attr_ints(nn_case *c, const char *name, int n, const int64_t *v) {
    cort_attr *a = &c->attrs[c->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_INTS, a->n = n, a->ints = (int64_t *)v;
}
static inline void nn_attr_string(nn_case *c, const char *name, const char *s) {
    cort_attr *a = &c->attrs[c->node.n_attrs++];
    a->name = name, a->type = CORT_ATTR_STRING, a->s = s, a->s_len = strlen(s);
}

/* Input i: an owned tensor with a copy of data. */
static inline void nn_input(nn_case *c, int i, int32_t type, int rank, const int64_t *dims, const void *data) {
    if (cort_value_alloc_tensor(&c->ins[i], type, rank, dims)) {
        CHECK(!"out of memory");
        return;
    }
    memcpy(c->ins[i].t.data, data, cort_tensor_nbytes(&c->ins[i].t));
    c->in_ptrs[i] = &c->ins[i];
}
static inline void nn_omit_input(nn_case *c, int i) {
    c->in_ids[i] = -1;
    c->in_ptrs[i] = NULL;
}

/* Parses, prepares and runs the node with registry row d; NULL on success. */
static inline cort_status *nn_run_def(nn_case *c, const cort_op_def *d) {
    void *params = cort_pool_alloc(&c->pool, d->params_size ? d->params_size : 1);
    if (!params) return cort_oom();
    cort_parse_ctx pc = {&c->node, NULL, params, &c->pool};
    if (d->parse) CORT_TRY(d->parse(&pc));
    const void *state = NULL;
    const cort_tensor *consts[NN_MAX_IO] = {0};
    for (int i = 0; i < c->node.n_inputs; i++) consts[i] = c->in_ptrs[i] ? &c->in_ptrs[i]->t : NULL;
    if (d->prepare) {
        cort_prepare_ctx prep = {&c->node, params, c->node.n_inputs, NULL, consts, &c->pool, &state};
        CORT_TRY(d->prepare(&prep));
    }
    cort_kctx k = {&c->node, params, state, c->node.n_inputs, c->node.n_outputs, c->in_ptrs, &nn_services, c, 3};
    return d->run(&k);
}

/* Parses, prepares and runs the node; NULL on success. */
static inline cort_status *nn_run(nn_case *c) {
    const char *why = "";
    int32_t type = c->in_ptrs[0] ? c->in_ptrs[0]->t.type : 0;
    const cort_op_def *d = cort_registry_find("", c->node.op_type, c->node.opset, type, &why);
    if (!d) return cort_error(CORT_NOT_IMPLEMENTED, "%s: %s", c->node.op_type, why);
    return nn_run_def(c, d);
}

static inline void nn_free(nn_case *c) {
    for (int i = 0; i < NN_MAX_IO; i++) {
        cort_value_clear(&c->ins[i]);
        cort_value_clear(&c->outs[i]);
    }
    for (int i = 0; i < c->n_scratch; i++) free(c->scratch[i]);
    cort_pool_release(&c->pool);
}

/* Output i as floats compared with want (n values, absolute tolerance tol). */
static inline bool nn_out_close(const nn_case *c, int i, const float *want, int64_t n, float tol) {
    const cort_tensor *t = &c->outs[i].t;
    if (c->outs[i].kind != CORT_VALUE_TENSOR || cort_tensor_count(t) != n) {
        fprintf(stderr, "output %d: wrong kind or count\n", i);
        return false;
    }
    for (int64_t e = 0; e < n; e++) {
        double v = cort_get_f64(t, e);
        if (!(fabs(v - want[e]) <= tol)) {
            fprintf(stderr, "output %d element %lld: got %g want %g\n", i, (long long)e, v, (double)want[e]);
            return false;
        }
    }
    return true;
}

static inline bool nn_out_shape(const nn_case *c, int i, int rank, const int64_t *dims) {
    const cort_tensor *t = &c->outs[i].t;
    if (t->rank != rank) return false;
    for (int d = 0; d < rank; d++)
        if (t->dims[d] != dims[d]) return false;
    return true;
}

/* The run must fail with a message naming the node. */
static inline bool nn_fails(nn_case *c) {
    cort_status *st = nn_run(c);
    bool ok = st && strstr(cort_status_message(st), "node 't'");
    if (!ok) fprintf(stderr, "expected a node error, got: %s\n", st ? cort_status_message(st) : "success");
    cort_status_free(st);
    return ok;
}
#endif
