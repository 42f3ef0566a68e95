/* Building small models in memory and running them through a session, for the control-flow and
 * sequence tests (header-only: each test executable includes it once). */
#ifndef CORT_TESTS_CONTROL_MODEL_H
#define CORT_TESTS_CONTROL_MODEL_H
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "exec/exec.h"
#include "graph_builder.h"

/* ------------------------------------------------------------------ model building */

static inline cort_model *new_model(int opset) { return gb_model(opset, "main"); }

static inline int value(cort_graph *g, const char *name) { return name && *name ? cort_graph_value(g, name) : -1; }

/* Adds a node with inputs/outputs named by space-free strings ("" omits one) and n_attrs empty slots. */
static inline cort_node *node(cort_graph *g, int opset, const char *op, int n_in, const char *const *ins, int n_out,
                       const char *const *outs, int n_attrs) {
    cort_node *n = cort_graph_add_node(g, op, "", op, n_in, n_out, n_attrs);
    n->opset = opset;
    for (int i = 0; i < n_in; i++) n->inputs[i] = value(g, ins[i]);
    for (int i = 0; i < n_out; i++) n->outputs[i] = value(g, outs[i]);
    return n;
}

static inline void float_input(cort_graph *g, const char *name) {
    int v = value(g, name);
    cort_type_set_tensor(&g->values[v].type, CORT_FLOAT, -1, NULL);
    cort_graph_add_input(g, v);
}

static inline void typed_input(cort_graph *g, const char *name, int32_t elem) {
    int v = value(g, name);
    cort_type_set_tensor(&g->values[v].type, elem, -1, NULL);
    cort_graph_add_input(g, v);
}

static inline void output(cort_graph *g, const char *name) { cort_graph_add_output(g, value(g, name)); }

static inline cort_tensor *int64_scalar(cort_pool *pool, int64_t v) {
    cort_tensor *t = cort_pool_alloc(pool, sizeof *t);
    int64_t *d = cort_pool_alloc(pool, sizeof *d);
    *d = v;
    *t = (cort_tensor){.type = CORT_INT64, .rank = 0, .data = d};
    return t;
}

static inline void initializer(cort_graph *g, const char *name, cort_tensor *t) {
    int v = value(g, name);
    g->values[v].init = t;
    g->values[v].flags |= CORT_VF_INITIALIZER;
    cort_type_set_tensor(&g->values[v].type, t->type, -1, NULL);
}

static inline cort_session *open_session(cort_model *m) {
    cort_status *st = cort_graph_check_and_sort(m->graph);
    cort_session *s = NULL;
    if (!st) st = cort_session_prepare(m, NULL, &s);
    else cort_model_free(m);
    if (st) fprintf(stderr, "session: %s\n", cort_status_message(st));
    CHECK(st == NULL);
    cort_status_free(st);
    return s;
}

/* An input of a run: a view of caller data (float unless `type` says otherwise; for CORT_STRING,
 * `data` is an array of C strings, copied). */
typedef struct io {
    const char *name;
    int rank;
    int64_t dims[2];
    const void *data;
    int32_t type;
} io;

static inline cort_status *make_input(const io *in, cort_value **out) {
    int32_t type = in->type ? in->type : CORT_FLOAT;
    int64_t count = cort_shape_count(in->dims, in->rank);
    if (type != CORT_STRING)
        return cort_tensor_create_view((cort_elem_type)type, in->dims, (size_t)in->rank, (void *)in->data,
                                       (size_t)count * cort_elem_size(type), out);
    CORT_TRY(cort_tensor_create(CORT_STRING, in->dims, (size_t)in->rank, out));
    const char *const *strs = in->data;
    for (int64_t i = 0; i < count; i++) CORT_TRY(cort_tensor_set_string(*out, i, strs[i], strlen(strs[i])));
    return NULL;
}

/* Runs the session on `ins` and returns the named outputs (the caller frees them). */
static inline cort_status *run(cort_session *s, const io *ins, int n_in, const char *const *out_names, int n_out,
                        cort_value **outs) {
    cort_value *vals[8] = {0};
    const char *names[8];
    cort_status *st = NULL;
    for (int i = 0; i < n_in && !st; i++) {
        names[i] = ins[i].name;
        st = make_input(&ins[i], &vals[i]);
    }
    if (!st) st = cort_session_run(s, NULL, names, (const cort_value *const *)vals, (size_t)n_in, out_names,
                                   (size_t)n_out, outs);
    for (int i = 0; i < n_in; i++) cort_value_free(vals[i]);
    return st;
}

static inline const float *fdata(cort_value *v) { return cort_tensor_data(v); }

#endif
