/* Models built in memory for the session and graph-optimization tests: a model with one default-domain
 * opset, float graph inputs, plain nodes, a session at a chosen optimization level, and a run on one
 * float input whose float outputs are copied out. Header-only so each test stays one source file. */
#ifndef CORT_TESTS_GRAPH_BUILDER_H
#define CORT_TESTS_GRAPH_BUILDER_H
#include <string.h>

#include "check.h"
#include "exec/exec.h"

/* A model importing the default domain at `opset`, with an empty main graph called name. */
static inline cort_model *gb_model(int opset, const char *name) {
    cort_model *m = NULL;
    if (cort_model_new(&m)) return NULL;
    m->ir_version = 8;
    m->n_opsets = 1;
    m->opsets = cort_pool_calloc(&m->pool, 1, sizeof *m->opsets);
    m->graph = cort_graph_new(&m->pool, NULL, name);
    if (!m->opsets || !m->graph) {
        cort_model_free(m);
        return NULL;
    }
    m->opsets[0] = (cort_opset){"", opset};
    return m;
}

/* A float graph input called name; a negative dim is symbolic, called sym. */
static inline int gb_float_input(cort_model *m, const char *name, int rank, const int64_t *dims, const char *sym) {
    cort_graph *g = m->graph;
    int id = cort_graph_value(g, name);
    cort_dim *d = cort_pool_calloc(&m->pool, (size_t)rank + 1, sizeof *d);
    for (int i = 0; d && i < rank; i++) d[i] = dims[i] < 0 ? (cort_dim){-1, sym} : (cort_dim){dims[i], NULL};
    cort_type_set_tensor(&g->values[id].type, CORT_FLOAT, rank, d);
    cort_graph_add_input(g, id);
    return id;
}

/* A constant called name: a tensor of `type` and dims whose count x elem_size bytes the model's pool
 * holds (zeroed; returned through *data for the caller to fill, NULL when out of memory). */
static inline int gb_initializer(cort_model *m, const char *name, int32_t type, int rank, const int64_t *dims,
                                 void **data) {
    cort_graph *g = m->graph;
    int id = cort_graph_value(g, name);
    int64_t count = 1;
    for (int r = 0; r < rank; r++) count *= dims[r];
    cort_tensor *t = cort_pool_calloc(&m->pool, 1, sizeof *t);
    cort_dim *td = cort_pool_calloc(&m->pool, (size_t)rank + 1, sizeof *td);
    *data = t && td ? cort_pool_calloc(&m->pool, (size_t)count, cort_elem_size(type)) : NULL;
    if (!*data) return id;
    t->type = type;
    t->rank = rank;
    for (int r = 0; r < rank; r++) t->dims[r] = dims[r], td[r] = (cort_dim){dims[r], NULL};
    t->data = *data;
    g->values[id].init = t;
    g->values[id].flags |= CORT_VF_INITIALIZER;
    cort_type_set_tensor(&g->values[id].type, type, rank, td);
    return id;
}

/* out = op(a, b) in the default domain; b (or a and b) < 0 leaves that input out. The node's attrs
 * hold n_attrs empty slots for the caller to fill. */
static inline cort_node *gb_node(cort_graph *g, const char *op, const char *name, int a, int b, int out, int opset,
                                 int n_attrs) {
    cort_node *n = cort_graph_add_node(g, op, "", name, b >= 0 ? 2 : a >= 0 ? 1 : 0, 1, n_attrs);
    if (!n) return NULL;
    if (a >= 0) n->inputs[0] = a;
    if (b >= 0) n->inputs[1] = b;
    n->outputs[0] = out;
    n->opset = opset;
    return n;
}

/* A session over m (handed over) at level; threads 0 keeps the default, save_path NULL saves nothing. */
static inline cort_session *gb_session(cort_model *m, int level, int threads, const char *save_path) {
    cort_session_options *opts = NULL;
    cort_session *s = NULL;
    CHECK(m != NULL);
    CHECK_OK(cort_session_options_create(&opts));
    CHECK_OK(cort_session_options_set_opt_level(opts, (cort_opt_level)level));
    if (threads) CHECK_OK(cort_session_options_set_threads(opts, threads));
    if (save_path) CHECK_OK(cort_session_options_set_optimized_model_path(opts, save_path));
    if (m) CHECK_OK(cort_session_prepare(m, opts, &s));
    cort_session_options_free(opts);
    return s;
}

/* Runs s on the float input in_name (x, with dims) and copies each of the n_out float outputs, which
 * must hold len values, to out + k * len. */
static inline void gb_run_floats(cort_session *s, const char *in_name, int rank, const int64_t *dims, const float *x,
                                 int n_out, const char *const *names, float *out, int64_t len) {
    enum { GB_MAX_OUTPUTS = 8 };
    cort_value *in = NULL, *vals[GB_MAX_OUTPUTS] = {NULL};
    int64_t count = 1;
    for (int r = 0; r < rank; r++) count *= dims[r];
    CHECK(n_out <= GB_MAX_OUTPUTS);
    if (n_out > GB_MAX_OUTPUTS) return;
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, (size_t)rank, (void *)x, (size_t)count * sizeof *x, &in));
    CHECK_OK(cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, names, (size_t)n_out, vals));
    for (int k = 0; k < n_out; k++) {
        CHECK(vals[k] && cort_tensor_count(&vals[k]->t) == len);
        if (vals[k] && cort_tensor_count(&vals[k]->t) == len)
            memcpy(out + k * len, cort_tensor_data(vals[k]), (size_t)len * sizeof *out);
        cort_value_free(vals[k]);
    }
    cort_value_free(in);
}
#endif
