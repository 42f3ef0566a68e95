/* Layout cancellation. Exporters leave chains of data movement that compose into less or nothing:
 * Transpose(Transpose(x, p1), p2) is one Transpose by p1∘p2 (none when that is the identity),
 * Reshape(Reshape(x, s1), s2) is Reshape(x, s2), and a Reshape to the static shape its input already has
 * is x. These stay standard operators (level 1). At level 2 a MatMul whose B is a transposed matrix reads
 * it untransposed with transB (com.cort::FusedMatMul), so the transposed copy is never made. */
#include <string.h>

#include "opt/passes.h"

/* A value any node (and the caller) may be rewired away from: not a graph output, not read by name
 * from a subgraph. */
static bool replaceable(const cort_graph *g, const graph_uses *u, int v) {
    return !(g->values[v].flags & CORT_VF_GRAPH_OUTPUT) && !u->outer_ref[v];
}

/* The Transpose permutation of node t over rank `rank` (the default reverses the axes). */
static bool transpose_perm(const cort_node *t, int rank, int64_t *perm) {
    const int64_t *p;
    int64_t n = cort_attr_ints(t, "perm", &p);
    if (n < 0) {
        for (int d = 0; d < rank; d++) perm[d] = rank - 1 - d;
        return true;
    }
    if (n != rank) return false;
    for (int d = 0; d < rank; d++) {
        if (p[d] < 0 || p[d] >= rank) return false;
        perm[d] = p[d];
    }
    return true;
}

static cort_status *set_perm(cort_graph *g, cort_node *t, const int64_t *perm, int rank) {
    cort_attr *attrs = cort_pool_calloc(g->pool, 1, sizeof *attrs);
    int64_t *ints = cort_pool_calloc(g->pool, (size_t)rank + 1, sizeof *ints);
    if (!attrs || !ints) return cort_oom();
    memcpy(ints, perm, (size_t)rank * sizeof *ints);
    attrs[0] = (cort_attr){.name = "perm", .type = CORT_ATTR_INTS, .n = rank, .ints = ints};
    t->attrs = attrs;
    t->n_attrs = 1;
    return NULL;
}

static void rewire_input(graph_uses *u, cort_node *n, int k, int v) {
    u->count[n->inputs[k]]--;
    n->inputs[k] = v;
    u->count[v]++;
}

/* Transpose t2 of a Transpose t1 whose only reader it is. */
static int cancel_transposes(cort_graph *g, graph_uses *u, int i) {
    cort_node *t2 = g->nodes[i];
    if (!cort_opt_is_op(t2, "Transpose", 1) || t2->inputs[0] < 0 || !cort_opt_private(g, u, t2->inputs[0])) return 0;
    int j = cort_opt_producer(g, u, t2->inputs[0]);
    if (j < 0 || !cort_opt_is_op(g->nodes[j], "Transpose", 1) || g->nodes[j]->inputs[0] < 0) return 0;
    const cort_type *t = &g->values[t2->inputs[0]].type;
    int rank = t->kind == CORT_TYPE_TENSOR ? t->rank : -1;
    int64_t p1[CORT_MAX_RANK], p2[CORT_MAX_RANK], q[CORT_MAX_RANK];
    if (rank < 1 || rank > CORT_MAX_RANK || !transpose_perm(g->nodes[j], rank, p1) || !transpose_perm(t2, rank, p2))
        return 0;
    bool identity = true;
    for (int d = 0; d < rank; d++) {
        q[d] = p1[p2[d]];
        identity &= q[d] == d;
    }
    int x = g->nodes[j]->inputs[0];
    if (identity) {
        if (!replaceable(g, u, t2->outputs[0])) return 0;
        cort_opt_replace_uses(g, u, t2->outputs[0], x);
        cort_opt_drop_node(g, u, i);
        return 1;
    }
    if (set_perm(g, t2, q, rank)) return 0; /* out of memory: the graph stays as it was */
    rewire_input(u, t2, 0, x);
    return 1;
}

static bool static_shape_of(const cort_graph *g, int v, int64_t *dims, int *rank) {
    const cort_type *t = cort_opt_static_type(g, v);
    if (!t || t->rank > CORT_MAX_RANK) return false;
    *rank = t->rank;
    for (int d = 0; d < t->rank; d++) dims[d] = t->dims[d].value;
    return true;
}

/* A constant shape operand without 0 entries (0 copies a dim of the input, which the rewiring changes). */
static bool plain_shape(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0 || !u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    if (t->type != CORT_INT64 || t->rank != 1) return false;
    for (int64_t d = 0; d < t->dims[0]; d++)
        if (((const int64_t *)t->data)[d] == 0) return false;
    return true;
}

static int cancel_reshapes(cort_graph *g, graph_uses *u, int i) {
    cort_node *r2 = g->nodes[i];
    if (!cort_opt_is_op(r2, "Reshape", 2) || r2->inputs[0] < 0) return 0;
    int done = 0, in = r2->inputs[0], out = r2->outputs[0];
    if (cort_opt_private(g, u, in) && plain_shape(g, u, r2->inputs[1])) { /* a Reshape of a Reshape */
        int j = cort_opt_producer(g, u, in);
        if (j >= 0 && cort_opt_is_op(g->nodes[j], "Reshape", 2) && g->nodes[j]->inputs[0] >= 0) {
            rewire_input(u, r2, 0, g->nodes[j]->inputs[0]);
            in = r2->inputs[0];
            done = 1;
        }
    }
    int64_t a[CORT_MAX_RANK], b[CORT_MAX_RANK];
    int ra, rb;
    if (static_shape_of(g, in, a, &ra) && static_shape_of(g, out, b, &rb) && ra == rb &&
        !memcmp(a, b, (size_t)ra * sizeof *a) && replaceable(g, u, out)) { /* to the shape it has */
        cort_opt_replace_uses(g, u, out, in);
        cort_opt_drop_node(g, u, i);
        done = 1;
    }
    return done;
}

int cort_opt_cancel_layout(cort_graph *g, graph_uses *u) {
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i] || *g->nodes[i]->domain) continue;
        count += cancel_transposes(g, u, i) + cancel_reshapes(g, u, i);
    }
    return count;
}

/* MatMul(A, Transpose(B)) with B a float matrix: FusedMatMul(A, B, transB = 1). */
cort_status *cort_opt_fuse_transposed_matmul(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_node *mm = g->nodes[i];
        if (u->dead[i] || !cort_opt_is_op(mm, "MatMul", 2) || mm->inputs[0] < 0) continue;
        const cort_type *a = &g->values[mm->inputs[0]].type;
        if (a->kind != CORT_TYPE_TENSOR || a->elem != CORT_FLOAT || a->rank < 2) continue;
        if (!cort_opt_private(g, u, mm->inputs[1])) continue;
        int j = cort_opt_producer(g, u, mm->inputs[1]);
        if (j < 0 || !cort_opt_is_op(g->nodes[j], "Transpose", 1) || g->nodes[j]->inputs[0] < 0) continue;
        int b = g->nodes[j]->inputs[0];
        const cort_type *bt = &g->values[b].type;
        int64_t perm[2];
        if (bt->kind != CORT_TYPE_TENSOR || bt->elem != CORT_FLOAT || bt->rank != 2) continue;
        if (!transpose_perm(g->nodes[j], 2, perm) || perm[0] != 1 || perm[1] != 0) continue;
        CORT_TRY(cort_opt_import_cort_domain(m));
        cort_attr trans = {.name = "transB", .type = CORT_ATTR_INT, .i = 1};
        int ins[2] = {mm->inputs[0], b};
        CORT_TRY(cort_opt_rewrite(g, u, mm, "FusedMatMul", ins, 2, &trans, 1));
        (*count)++;
    }
    return NULL;
}
