/* Level-2 fusion of multi-head self-attention, as PyTorch exports it for BERT, GPT-2 and ViT:
 *
 *   qkv ─Split/Slice─▶ q, k, v ─Reshape [.., S, H, Dh]─Transpose─▶ [.., H, S, Dh] (k: [.., H, Dh, S])
 *   scores = MatMul(q (optionally / c), k) (optionally / c or * c) (optionally Where(mask, ·, fill))
 *   MatMul(Softmax(scores), v) ─Transpose─▶ [.., S, H, Dh] ─Reshape─▶ ...
 *
 * becomes com.cort::Attention(qkv[, mask]) writing [.., S, E] (E = H * Dh), which the final Reshape
 * then reads in place of the transposed heads (same elements, same order). The q, k and v pieces must
 * be the three E-wide thirds of one [D0, D1, 3E] tensor, so the kernel reads them where they lie.
 * The fused node takes the final Transpose's place and output; the nodes left without readers go with
 * dead-node elimination. */
#include <string.h>

#include "opt/passes.h"

typedef struct head_path {
    int qkv;        /* the packed projection this head view slices */
    int part;       /* 0 q, 1 k, 2 v */
    int rank;       /* of the Reshape's result: 3 [S, H, Dh] or 4 [L, S, H, Dh] */
    int64_t dims[4];
} head_path;

/* The Transpose permutation a head view needs: q and v [.., H, S, Dh], k [.., H, Dh, S]. */
static void head_perm(int rank, bool key, int64_t *perm) {
    for (int d = 0; d < rank - 3; d++) perm[d] = d;
    perm[rank - 3] = rank - 2;
    perm[rank - 2] = key ? rank - 1 : rank - 3;
    perm[rank - 1] = key ? rank - 3 : rank - 1;
}

static bool has_perm(const cort_node *t, int rank, const int64_t *want) {
    const int64_t *perm;
    if (cort_attr_ints(t, "perm", &perm) != rank) return false;
    for (int d = 0; d < rank; d++)
        if (perm[d] != want[d]) return false;
    return true;
}

/* Which third of a [D0, D1, 3E] tensor value `piece` is (a Split output or a Slice of the last axis);
 * sets *qkv and returns 0, 1 or 2, or -1. */
static int third_of(const cort_graph *g, const graph_uses *u, int piece, int *qkv) {
    int p = cort_opt_producer(g, u, piece);
    const cort_type *pt = cort_opt_static_type(g, piece);
    if (p < 0 || !pt || pt->rank != 3) return -1;
    const cort_node *n = g->nodes[p];
    if (*n->domain || n->n_inputs < 1 || n->inputs[0] < 0) return -1;
    const cort_type *src = cort_opt_static_type(g, n->inputs[0]);
    int64_t e = pt->dims[2].value;
    if (!src || src->rank != 3 || src->elem != CORT_FLOAT || src->dims[2].value != 3 * e || e <= 0) return -1;
    if (src->dims[0].value != pt->dims[0].value || src->dims[1].value != pt->dims[1].value) return -1;
    *qkv = n->inputs[0];
    if (!strcmp(n->op_type, "Split") && n->n_outputs == 3) {
        int64_t axis = cort_attr_int(n, "axis", 0);
        if (axis != 2 && axis != -1) return -1;
        for (int k = 0; k < 3; k++) {
            const cort_type *ot = n->outputs[k] >= 0 ? cort_opt_static_type(g, n->outputs[k]) : NULL;
            if (!ot || ot->rank != 3 || ot->dims[2].value != e) return -1;
        }
        for (int k = 0; k < 3; k++)
            if (n->outputs[k] == piece) return k;
        return -1;
    }
    if (strcmp(n->op_type, "Slice") || n->opset < 10 || n->n_inputs < 4) return -1;
    const cort_tensor *st = NULL, *ax = NULL, *steps = NULL;
    if (n->inputs[1] >= 0 && u->is_const[n->inputs[1]]) st = g->values[n->inputs[1]].init;
    if (n->inputs[3] >= 0 && u->is_const[n->inputs[3]]) ax = g->values[n->inputs[3]].init;
    if (n->n_inputs > 4 && n->inputs[4] >= 0) {
        if (!u->is_const[n->inputs[4]]) return -1;
        steps = g->values[n->inputs[4]].init;
    }
    if (!st || !ax || cort_tensor_count(st) != 1 || cort_tensor_count(ax) != 1) return -1;
    if (st->type != CORT_INT64 || ax->type != CORT_INT64) return -1;
    int64_t axis = *(const int64_t *)ax->data, start = *(const int64_t *)st->data;
    if (axis != 2 && axis != -1) return -1;
    if (steps && (steps->type != CORT_INT64 || cort_tensor_count(steps) != 1 || *(const int64_t *)steps->data != 1))
        return -1;
    if (start % e || start < 0 || start / e > 2) return -1; /* the output's width E fixes the end */
    return (int)(start / e);
}

/* Follows a head view back: v = Transpose(Reshape(third of qkv)) with the permutation `key` asks for. */
static bool trace_head(const cort_graph *g, const graph_uses *u, int v, bool key, head_path *h) {
    if (!cort_opt_private(g, u, v)) return false;
    int t = cort_opt_producer(g, u, v);
    if (t < 0 || !cort_opt_is_op(g->nodes[t], "Transpose", 1)) return false;
    int r = g->nodes[t]->inputs[0];
    if (!cort_opt_private(g, u, r)) return false;
    int rs = cort_opt_producer(g, u, r);
    if (rs < 0 || !cort_opt_is_op(g->nodes[rs], "Reshape", 2)) return false;
    const cort_type *rt = cort_opt_static_type(g, r);
    if (!rt || (rt->rank != 3 && rt->rank != 4)) return false;
    int64_t perm[4];
    head_perm(rt->rank, key, perm);
    if (!has_perm(g->nodes[t], rt->rank, perm)) return false;
    int piece = g->nodes[rs]->inputs[0];
    if (!cort_opt_private(g, u, piece)) return false;
    h->part = third_of(g, u, piece, &h->qkv);
    h->rank = rt->rank;
    for (int d = 0; d < rt->rank; d++) h->dims[d] = rt->dims[d].value;
    return h->part >= 0;
}

/* v = op(x, c) with c a constant float scalar, op Div or Mul; multiplies *scale by c or 1/c. */
static bool take_scale(const cort_graph *g, const graph_uses *u, int *v, float *scale) {
    if (!cort_opt_private(g, u, *v)) return false;
    int p = cort_opt_producer(g, u, *v);
    if (p < 0) return false;
    const cort_node *n = g->nodes[p];
    float c;
    if (cort_opt_is_op(n, "Div", 2) && cort_opt_const_scalar(g, u, n->inputs[1], &c) && c != 0) {
        *scale /= c;
        *v = n->inputs[0];
        return true;
    }
    if (!cort_opt_is_op(n, "Mul", 2)) return false;
    for (int side = 0; side < 2; side++)
        if (cort_opt_const_scalar(g, u, n->inputs[side], &c)) {
            *scale *= c;
            *v = n->inputs[1 - side];
            return true;
        }
    return false;
}

typedef struct attention_match {
    int qkv, mask, last;
    float scale, fill;
    int64_t heads;
    int seq_axis;
} attention_match;

/* Where(mask, scores, fill) with a constant bool mask and a constant scalar fill. */
static bool take_mask(const cort_graph *g, const graph_uses *u, int *v, attention_match *mt) {
    if (!cort_opt_private(g, u, *v)) return false;
    int p = cort_opt_producer(g, u, *v);
    if (p < 0 || !cort_opt_is_op(g->nodes[p], "Where", 3)) return false;
    const cort_node *w = g->nodes[p];
    int cond = w->inputs[0];
    if (cond < 0 || !u->is_const[cond] || g->values[cond].init->type != CORT_BOOL) return false;
    if (!cort_opt_const_scalar(g, u, w->inputs[2], &mt->fill)) return false;
    mt->mask = cond;
    *v = w->inputs[1];
    return true;
}

/* The geometry the kernel supports: the three views alike, [L, S, H, Dh] over qkv [L, S, 3E], or
 * [S, H, Dh] over qkv [1, S, 3E] or [S, 1, 3E]. */
static bool geometry(const cort_graph *g, const head_path *q, const head_path *k, const head_path *v,
                     attention_match *mt) {
    if (q->qkv != k->qkv || q->qkv != v->qkv || q->part != 0 || k->part != 1 || v->part != 2) return false;
    if (q->rank != k->rank || q->rank != v->rank) return false;
    for (int d = 0; d < q->rank; d++)
        if (q->dims[d] != k->dims[d] || q->dims[d] != v->dims[d]) return false;
    const cort_type *t = cort_opt_static_type(g, q->qkv);
    int r = q->rank;
    int64_t seq = q->dims[r - 3], heads = q->dims[r - 2], e = heads * q->dims[r - 1];
    if (!t || t->rank != 3 || t->dims[2].value != 3 * e) return false;
    int64_t d0 = t->dims[0].value, d1 = t->dims[1].value;
    if (r == 4 && d0 == q->dims[0] && d1 == seq) mt->seq_axis = 1;
    else if (r == 3 && d0 == 1 && d1 == seq) mt->seq_axis = 1;
    else if (r == 3 && d1 == 1 && d0 == seq) mt->seq_axis = 0;
    else return false;
    mt->qkv = q->qkv;
    mt->heads = heads;
    if (mt->mask >= 0 && cort_tensor_count(g->values[mt->mask].init) != seq * seq) return false;
    return true;
}

static int softmax_axis(const cort_graph *g, const cort_node *sm) {
    const cort_type *t = cort_opt_static_type(g, sm->inputs[0]);
    if (!t) return -2;
    int64_t axis = cort_attr_int(sm, "axis", sm->opset >= 13 ? -1 : 1);
    return (int)(axis < 0 ? axis + t->rank : axis) == t->rank - 1 ? t->rank - 1 : -2;
}

/* Matches the attention around Softmax node s. */
static bool match_attention(const cort_graph *g, const graph_uses *u, int s, attention_match *mt) {
    const cort_node *sm = g->nodes[s];
    if (!cort_opt_is_op(sm, "Softmax", 1) || softmax_axis(g, sm) < 2) return false;
    *mt = (attention_match){.mask = -1, .scale = 1.0f, .fill = -10000.0f};
    int v = sm->inputs[0];
    take_mask(g, u, &v, mt);
    take_scale(g, u, &v, &mt->scale);
    if (!cort_opt_private(g, u, v)) return false;
    int qk = cort_opt_producer(g, u, v);
    if (qk < 0 || !cort_opt_is_op(g->nodes[qk], "MatMul", 2)) return false;
    int qv = g->nodes[qk]->inputs[0];
    take_scale(g, u, &qv, &mt->scale);
    head_path q, k, val;
    if (!trace_head(g, u, qv, false, &q) || !trace_head(g, u, g->nodes[qk]->inputs[1], true, &k)) return false;
    int pv = cort_opt_sole_reader(g, u, sm->outputs[0]);
    if (pv < 0 || !cort_opt_is_op(g->nodes[pv], "MatMul", 2) || g->nodes[pv]->inputs[0] != sm->outputs[0])
        return false;
    if (!trace_head(g, u, g->nodes[pv]->inputs[1], false, &val)) return false;
    int t = cort_opt_sole_reader(g, u, g->nodes[pv]->outputs[0]);
    if (t < 0 || !cort_opt_is_op(g->nodes[t], "Transpose", 1)) return false;
    int64_t perm[4];
    head_perm(q.rank, false, perm);
    if (!has_perm(g->nodes[t], q.rank, perm)) return false;
    /* the fused output has the heads merged: only a Reshape may read it */
    int reader = cort_opt_sole_reader(g, u, g->nodes[t]->outputs[0]);
    if (reader < 0 || !cort_opt_is_op(g->nodes[reader], "Reshape", 2)) return false;
    mt->last = t;
    return geometry(g, &q, &k, &val, mt);
}

/* The fused output holds the heads merged, [D0, D1, E], where the Transpose's held them apart: its type
 * says so (the saved model declares it, and the Reshape after it reads the same elements). */
static cort_status *merged_heads_type(cort_graph *g, int qkv, int out) {
    const cort_type *t = &g->values[qkv].type;
    cort_dim *d = cort_pool_calloc(g->pool, 3, sizeof *d);
    if (!d) return cort_oom();
    d[0] = (cort_dim){t->dims[0].value, NULL};
    d[1] = (cort_dim){t->dims[1].value, NULL};
    d[2] = (cort_dim){t->dims[2].value / 3, NULL};
    cort_type_set_tensor(&g->values[out].type, CORT_FLOAT, 3, d);
    return NULL;
}

cort_status *cort_opt_fuse_attention(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        attention_match mt;
        if (u->dead[i] || !match_attention(g, u, i, &mt)) continue;
        CORT_TRY(cort_opt_import_cort_domain(m));
        cort_attr attrs[4] = {
            {.name = "num_heads", .type = CORT_ATTR_INT, .i = mt.heads},
            {.name = "scale", .type = CORT_ATTR_FLOAT, .f = mt.scale},
            {.name = "seq_axis", .type = CORT_ATTR_INT, .i = mt.seq_axis},
            {.name = "mask_filter_value", .type = CORT_ATTR_FLOAT, .f = mt.fill},
        };
        int ins[2] = {mt.qkv, mt.mask};
        cort_node *n = g->nodes[mt.last];
        CORT_TRY(cort_opt_rewrite(g, u, n, "Attention", ins, mt.mask >= 0 ? 2 : 1, attrs, mt.mask >= 0 ? 4 : 3));
        CORT_TRY(merged_heads_type(g, mt.qkv, n->outputs[0]));
        (*count)++;
    }
    return NULL;
}
