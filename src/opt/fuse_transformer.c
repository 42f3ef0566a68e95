/* Level-2 fusions of the transformer blocks' dense layers:
 *  - MatMul(A, W) + b with W a constant float matrix and b a constant vector of W's columns
 *    → com.cort::FusedMatMul(A, W, b): the bias lands in the GEMM's output, the Add node goes;
 *  - GELU written out with Erf, x * 0.5 * (1 + erf(x / sqrt 2)) (PyTorch's exact form), → com.cort::Gelu,
 *    and its tanh approximation x * 0.5 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GPT-2's "gelu_new")
 *    → com.cort::FastGelu, as ONNX Runtime names them;
 *  - a Gelu / FastGelu whose input comes only from a FusedMatMul → that FusedMatMul's `activation`;
 *  - LayerNormalization written out (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add, as
 *    exports before opset 17 have it), and the standard one over the last axis with only Y, →
 *    com.cort::LayerNormalization, which runs on the row kernel of src/kernels/transformer.h.
 * Every rewrite turns the subgraph's last node into the fused one (so the order stays topological:
 * its inputs are all computed before the subgraph's first node) and drops the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/passes.h"

/* ------------------------------------------------------------ MatMul + bias */

static bool const_float_matrix(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0 || !u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    return t->type == CORT_FLOAT && t->rank == 2;
}

/* The Add's other operand when it is a constant float vector of n values. */
static int bias_operand(const cort_graph *g, const graph_uses *u, const cort_node *add, int product, int64_t n) {
    int other = add->inputs[0] == product ? add->inputs[1] : add->inputs[0];
    if (other == product || other < 0 || !u->is_const[other]) return -1;
    const cort_tensor *t = g->values[other].init;
    return t->type == CORT_FLOAT && t->rank == 1 && t->dims[0] == n ? other : -1;
}

/* Gemm(A, W, b) with the defaults but transB, W a constant float matrix and b a constant vector of
 * its outputs computes FusedMatMul(A, W, b) (transB): the same GEMM on W packed at load, and a
 * FusedMatMul lets a Gather of rows move before it (it takes A of any rank). */
static cort_status *gemm_as_fused_matmul(cort_model *m, cort_graph *g, graph_uses *u, int i, int *count) {
    cort_node *n = g->nodes[i];
    if (!cort_opt_is_op(n, "Gemm", 3) || n->inputs[0] < 0 || !const_float_matrix(g, u, n->inputs[1])) return NULL;
    const cort_type *a = cort_opt_static_type(g, n->inputs[0]);
    if (!a || a->elem != CORT_FLOAT || a->rank != 2 || cort_attr_int(n, "transA", 0) != 0 ||
        cort_attr_float(n, "alpha", 1.0f) != 1.0f || cort_attr_float(n, "beta", 1.0f) != 1.0f)
        return NULL;
    int64_t trans_b = cort_attr_int(n, "transB", 0) != 0;
    int64_t cols = g->values[n->inputs[1]].init->dims[trans_b ? 0 : 1];
    int c = n->inputs[2];
    const cort_tensor *bias = c >= 0 && u->is_const[c] ? g->values[c].init : NULL;
    if (!bias || bias->type != CORT_FLOAT || bias->rank != 1 || bias->dims[0] != cols) return NULL;
    cort_attr attr = {.name = "transB", .type = CORT_ATTR_INT, .i = 1};
    int ins[3] = {n->inputs[0], n->inputs[1], n->inputs[2]};
    CORT_TRY(cort_opt_import_cort_domain(m));
    CORT_TRY(cort_opt_rewrite(g, u, n, "FusedMatMul", ins, 3, &attr, trans_b ? 1 : 0));
    (*count)++;
    return NULL;
}

cort_status *cort_opt_fuse_matmul_bias(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (!u->dead[i]) CORT_TRY(gemm_as_fused_matmul(m, g, u, i, count));
        cort_node *mm = g->nodes[i];
        if (u->dead[i] || !cort_opt_is_op(mm, "MatMul", 2) || mm->inputs[0] < 0) continue;
        if (!const_float_matrix(g, u, mm->inputs[1])) continue;
        const cort_type *a = &g->values[mm->inputs[0]].type;
        if (a->kind != CORT_TYPE_TENSOR || a->elem != CORT_FLOAT || a->rank < 2) continue;
        int j = cort_opt_sole_reader(g, u, mm->outputs[0]);
        if (j < 0 || !cort_opt_is_op(g->nodes[j], "Add", 2)) continue;
        int64_t n = g->values[mm->inputs[1]].init->dims[1];
        int bias = bias_operand(g, u, g->nodes[j], mm->outputs[0], n);
        if (bias < 0) continue;
        CORT_TRY(cort_opt_import_cort_domain(m));
        int ins[3] = {mm->inputs[0], mm->inputs[1], bias};
        CORT_TRY(cort_opt_rewrite(g, u, g->nodes[j], "FusedMatMul", ins, 3, NULL, 0));
        cort_opt_drop_node(g, u, i);
        (*count)++;
    }
    return NULL;
}

/* ------------------------------------------------------------ GELU */

/* The live node producing v when it is a default-domain `op` with two inputs, one of them the constant
 * scalar `want`; *other is the remaining input. Requires v private to the pattern. */
static int scalar_op(const cort_graph *g, const graph_uses *u, int v, const char *op, double want, int *other) {
    if (!cort_opt_private(g, u, v)) return -1;
    int p = cort_opt_producer(g, u, v);
    if (p < 0 || !cort_opt_is_op(g->nodes[p], op, 2)) return -1;
    const cort_node *n = g->nodes[p];
    float c;
    bool commutes = strcmp(op, "Div") && strcmp(op, "Sub");
    if (cort_opt_const_scalar(g, u, n->inputs[1], &c) && cort_opt_near(c, want)) *other = n->inputs[0];
    else if (commutes && cort_opt_const_scalar(g, u, n->inputs[0], &c) && cort_opt_near(c, want)) *other = n->inputs[1];
    else return -1;
    return p;
}

/* The Mul node reading v and x: its index, with *other its operand besides v. */
static int mul_reader(const cort_graph *g, const graph_uses *u, int v, int *other) {
    int r = cort_opt_sole_reader(g, u, v);
    if (r < 0 || !cort_opt_is_op(g->nodes[r], "Mul", 2)) return -1;
    const cort_node *n = g->nodes[r];
    *other = n->inputs[0] == v ? n->inputs[1] : n->inputs[0];
    return r;
}

typedef struct gelu_match {
    int x;          /* the activation's input */
    int drop[12];   /* nodes the fused one replaces */
    int n_drop;
    int last;       /* the node that becomes the fused one */
} gelu_match;

/* From v = 1 + f(x) forward: x * v * 0.5 in any of the orders exporters write it. */
static bool match_half_x_times(const cort_graph *g, const graph_uses *u, int v, gelu_match *mt) {
    int other, r1 = mul_reader(g, u, v, &other);
    if (r1 < 0) return false;
    float c;
    if (other == mt->x) { /* (x * v) * 0.5 */
        int o2, r2 = mul_reader(g, u, g->nodes[r1]->outputs[0], &o2);
        if (r2 < 0 || !cort_opt_const_scalar(g, u, o2, &c) || !cort_opt_near(c, 0.5)) return false;
        mt->drop[mt->n_drop++] = r1;
        mt->last = r2;
        return true;
    }
    if (cort_opt_const_scalar(g, u, other, &c) && cort_opt_near(c, 0.5)) { /* x * (v * 0.5) */
        int o2, r2 = mul_reader(g, u, g->nodes[r1]->outputs[0], &o2);
        if (r2 < 0 || o2 != mt->x) return false;
        mt->drop[mt->n_drop++] = r1;
        mt->last = r2;
        return true;
    }
    int half_x, h = scalar_op(g, u, other, "Mul", 0.5, &half_x); /* (x * 0.5) * v */
    if (h < 0 || half_x != mt->x) return false;
    mt->drop[mt->n_drop++] = h;
    mt->last = r1;
    return true;
}

/* From f = op(...) forward: 1 + f, then x * that * 0.5. */
static bool match_one_plus(const cort_graph *g, const graph_uses *u, int f, gelu_match *mt) {
    int r = cort_opt_sole_reader(g, u, f);
    if (r < 0 || !cort_opt_is_op(g->nodes[r], "Add", 2)) return false;
    const cort_node *add = g->nodes[r];
    float c;
    int other = add->inputs[0] == f ? add->inputs[1] : add->inputs[0];
    if (!cort_opt_const_scalar(g, u, other, &c) || !cort_opt_near(c, 1.0)) return false;
    mt->drop[mt->n_drop++] = r;
    return match_half_x_times(g, u, add->outputs[0], mt);
}

/* Erf(x / sqrt 2) or Erf(x * (1 / sqrt 2)), then the common tail. */
static bool match_erf_gelu(const cort_graph *g, const graph_uses *u, int e, gelu_match *mt) {
    const cort_node *erf = g->nodes[e];
    if (!cort_opt_is_op(erf, "Erf", 1)) return false;
    int x, p = scalar_op(g, u, erf->inputs[0], "Div", 1.4142135623730951, &x);
    if (p < 0) p = scalar_op(g, u, erf->inputs[0], "Mul", 0.7071067811865476, &x);
    if (p < 0 || x < 0) return false;
    *mt = (gelu_match){.x = x, .n_drop = 0};
    mt->drop[mt->n_drop++] = p;
    mt->drop[mt->n_drop++] = e;
    return match_one_plus(g, u, erf->outputs[0], mt);
}

/* x^3 as Mul(x, Mul(x, x)) in either order, or Pow(x, 3): the nodes into mt, x returned (-1 if not). */
static int match_cube(const cort_graph *g, const graph_uses *u, int v, gelu_match *mt) {
    if (!cort_opt_private(g, u, v)) return -1;
    int p = cort_opt_producer(g, u, v);
    if (p < 0) return -1;
    const cort_node *n = g->nodes[p];
    float c;
    if (cort_opt_is_op(n, "Pow", 2) && cort_opt_const_scalar(g, u, n->inputs[1], &c) && c == 3.0f) {
        mt->drop[mt->n_drop++] = p;
        return n->inputs[0];
    }
    if (!cort_opt_is_op(n, "Mul", 2)) return -1;
    for (int side = 0; side < 2; side++) {
        int x = n->inputs[side], sq = n->inputs[1 - side];
        if (!cort_opt_private(g, u, sq)) continue;
        int q = cort_opt_producer(g, u, sq);
        if (q < 0 || !cort_opt_is_op(g->nodes[q], "Mul", 2)) continue;
        if (g->nodes[q]->inputs[0] != x || g->nodes[q]->inputs[1] != x) continue;
        mt->drop[mt->n_drop++] = p;
        mt->drop[mt->n_drop++] = q;
        return x;
    }
    return -1;
}

/* Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)), then the common tail. */
static bool match_tanh_gelu(const cort_graph *g, const graph_uses *u, int t, gelu_match *mt) {
    const cort_node *th = g->nodes[t];
    if (!cort_opt_is_op(th, "Tanh", 1)) return false;
    *mt = (gelu_match){.x = -1, .n_drop = 0};
    int inner, p = scalar_op(g, u, th->inputs[0], "Mul", 0.7978845608028654, &inner);
    if (p < 0 || !cort_opt_private(g, u, inner)) return false;
    int s = cort_opt_producer(g, u, inner);
    if (s < 0 || !cort_opt_is_op(g->nodes[s], "Add", 2)) return false;
    mt->drop[mt->n_drop++] = p;
    mt->drop[mt->n_drop++] = s;
    for (int side = 0; side < 2; side++) {
        int x = g->nodes[s]->inputs[side], cubed, c = scalar_op(g, u, g->nodes[s]->inputs[1 - side], "Mul", 0.044715,
                                                               &cubed);
        if (c < 0) continue;
        int n_before = mt->n_drop;
        mt->drop[mt->n_drop++] = c;
        if (match_cube(g, u, cubed, mt) == x && x >= 0) {
            mt->x = x;
            break;
        }
        mt->n_drop = n_before;
    }
    if (mt->x < 0) return false;
    mt->drop[mt->n_drop++] = t;
    return match_one_plus(g, u, th->outputs[0], mt);
}

static bool float_value(const cort_graph *g, int v) {
    const cort_type *t = &g->values[v].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT;
}

/* A com.cort Gelu / FastGelu node j reading only a FusedMatMul's output: the FusedMatMul applies it. */
static cort_status *fold_into_matmul(cort_graph *g, graph_uses *u, int j, int *count) {
    cort_node *act = g->nodes[j];
    int p = cort_opt_sole_reader(g, u, act->inputs[0]) == j ? cort_opt_producer(g, u, act->inputs[0]) : -1;
    if (p < 0) return NULL;
    cort_node *mm = g->nodes[p];
    if (strcmp(mm->domain, CORT_OPT_DOMAIN) || strcmp(mm->op_type, "FusedMatMul") ||
        cort_node_attr(mm, "activation"))
        return NULL;
    cort_attr attrs[8];
    if (mm->n_attrs > 7) return NULL;
    memcpy(attrs, mm->attrs, (size_t)mm->n_attrs * sizeof *attrs);
    attrs[mm->n_attrs] = (cort_attr){.name = "activation", .type = CORT_ATTR_STRING, .s = act->op_type,
                                     .s_len = strlen(act->op_type)};
    CORT_TRY(cort_opt_rewrite(g, u, act, "FusedMatMul", mm->inputs, mm->n_inputs, attrs, mm->n_attrs + 1));
    cort_opt_drop_node(g, u, p);
    (*count)++;
    return NULL;
}

cort_status *cort_opt_fuse_gelu(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        gelu_match mt;
        const char *op = NULL;
        if (match_erf_gelu(g, u, i, &mt)) op = "Gelu";
        else if (match_tanh_gelu(g, u, i, &mt)) op = "FastGelu";
        if (!op || !float_value(g, mt.x)) continue;
        CORT_TRY(cort_opt_import_cort_domain(m));
        CORT_TRY(cort_opt_rewrite(g, u, g->nodes[mt.last], op, &mt.x, 1, NULL, 0));
        for (int k = 0; k < mt.n_drop; k++) cort_opt_drop_node(g, u, mt.drop[k]);
        (*count)++;
        CORT_TRY(fold_into_matmul(g, u, mt.last, count));
    }
    return NULL;
}

/* ------------------------------------------------------------ LayerNormalization */

/* ReduceMean of x over its last axis only, keeping dims (axes as an attribute: opsets before 18). */
static bool mean_of_last_axis(const cort_graph *g, const graph_uses *u, int v, int *x) {
    if (!cort_opt_private(g, u, v)) return false;
    int p = cort_opt_producer(g, u, v);
    if (p < 0 || !cort_opt_is_op(g->nodes[p], "ReduceMean", 1) || g->nodes[p]->opset >= 18) return false;
    const cort_node *n = g->nodes[p];
    const int64_t *axes;
    const cort_type *t = n->inputs[0] >= 0 ? &g->values[n->inputs[0]].type : NULL;
    if (!t || t->kind != CORT_TYPE_TENSOR || t->rank < 1 || cort_attr_int(n, "keepdims", 1) != 1) return false;
    if (cort_attr_ints(n, "axes", &axes) != 1 || (axes[0] != -1 && axes[0] != t->rank - 1)) return false;
    *x = n->inputs[0];
    return true;
}

/* A constant float vector of n values among node j's two inputs (besides `v`): its id, or -1. */
static int vector_operand(const cort_graph *g, const graph_uses *u, const cort_node *n, int v, int64_t len) {
    if (n->inputs[0] != v && n->inputs[1] != v) return -1;
    int other = n->inputs[0] == v ? n->inputs[1] : n->inputs[0];
    if (other < 0 || other == v || !u->is_const[other]) return -1;
    const cort_tensor *t = g->values[other].init;
    return t->type == CORT_FLOAT && t->rank == 1 && t->dims[0] == len ? other : -1;
}

typedef struct ln_match {
    int x, scale, bias, last;
    float epsilon;
} ln_match;

/* From Div(x - mean, Sqrt(mean((x - mean)^2) + eps)) forward to * scale (+ bias). */
static bool match_layernorm(const cort_graph *g, const graph_uses *u, int i, ln_match *mt) {
    const cort_node *div = g->nodes[i];
    if (!cort_opt_is_op(div, "Div", 2)) return false;
    int d = div->inputs[0], sd = div->inputs[1];
    if (d < 0 || !cort_opt_private(g, u, sd)) return false;
    int s = cort_opt_producer(g, u, sd);
    if (s < 0 || !cort_opt_is_op(g->nodes[s], "Sqrt", 1)) return false;
    int var_eps = g->nodes[s]->inputs[0], var;
    if (!cort_opt_private(g, u, var_eps)) return false;
    int a = cort_opt_producer(g, u, var_eps);
    if (a < 0 || !cort_opt_is_op(g->nodes[a], "Add", 2)) return false;
    const cort_node *add_eps = g->nodes[a];
    int side = cort_opt_const_scalar(g, u, add_eps->inputs[1], &mt->epsilon)   ? 1
               : cort_opt_const_scalar(g, u, add_eps->inputs[0], &mt->epsilon) ? 0
                                                                                : -1;
    if (side < 0) return false;
    var = add_eps->inputs[1 - side];
    int sq, x2;
    if (!mean_of_last_axis(g, u, var, &sq) || !cort_opt_private(g, u, sq)) return false;
    int q = cort_opt_producer(g, u, sq);
    if (q < 0) return false;
    const cort_node *pw = g->nodes[q];
    float two;
    bool squares = (cort_opt_is_op(pw, "Pow", 2) && pw->inputs[0] == d && cort_opt_const_scalar(g, u, pw->inputs[1], &two) &&
                    two == 2.0f) || (cort_opt_is_op(pw, "Mul", 2) && pw->inputs[0] == d && pw->inputs[1] == d);
    if (!squares) return false;
    /* d = x - mean(x), read by the square and the Div only */
    int reads = pw->inputs[1] == d ? 3 : 2;
    if (u->count[d] != reads || u->outer_ref[d] || (g->values[d].flags & CORT_VF_GRAPH_OUTPUT)) return false;
    int sub = cort_opt_producer(g, u, d);
    if (sub < 0 || !cort_opt_is_op(g->nodes[sub], "Sub", 2)) return false;
    mt->x = g->nodes[sub]->inputs[0];
    if (!mean_of_last_axis(g, u, g->nodes[sub]->inputs[1], &x2) || x2 != mt->x) return false;
    const cort_type *xt = &g->values[mt->x].type;
    if (xt->kind != CORT_TYPE_TENSOR || xt->elem != CORT_FLOAT || xt->rank < 1 || xt->dims[xt->rank - 1].value < 1)
        return false;
    int64_t n = xt->dims[xt->rank - 1].value;
    int mul = cort_opt_sole_reader(g, u, div->outputs[0]);
    if (mul < 0 || !cort_opt_is_op(g->nodes[mul], "Mul", 2)) return false;
    mt->scale = vector_operand(g, u, g->nodes[mul], div->outputs[0], n);
    if (mt->scale < 0) return false;
    mt->last = mul;
    mt->bias = -1;
    int add = cort_opt_sole_reader(g, u, g->nodes[mul]->outputs[0]);
    if (add >= 0 && cort_opt_is_op(g->nodes[add], "Add", 2)) {
        mt->bias = vector_operand(g, u, g->nodes[add], g->nodes[mul]->outputs[0], n);
        if (mt->bias >= 0) mt->last = add;
    }
    return true;
}

/* A standard LayerNormalization over the last axis with float X, Scale and B vectors of that axis and Y
 * its only output: com.cort's runs it on the row kernel (src/kernels/transformer.h). */
static bool plain_layernorm(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (*n->domain || strcmp(n->op_type, "LayerNormalization") || n->n_inputs < 2 || n->n_inputs > 3 ||
        n->outputs[0] < 0 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return false;
    for (int k = 1; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && (u->count[n->outputs[k]] > 0 || (g->values[n->outputs[k]].flags & CORT_VF_GRAPH_OUTPUT)))
            return false;
    const cort_type *x = cort_opt_static_type(g, n->inputs[0]);
    if (!x || x->elem != CORT_FLOAT || x->rank < 1) return false;
    int64_t axis = cort_attr_int(n, "axis", -1), len = x->dims[x->rank - 1].value;
    if (axis != -1 && axis != x->rank - 1) return false;
    for (int k = 1; k < n->n_inputs; k++) {
        const cort_type *t = n->inputs[k] >= 0 ? cort_opt_static_type(g, n->inputs[k]) : NULL;
        if (n->inputs[k] >= 0 && (!t || t->elem != CORT_FLOAT || t->rank != 1 || t->dims[0].value != len)) return false;
    }
    return true;
}

cort_status *cort_opt_fuse_layernorm(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        ln_match mt;
        cort_node *n = g->nodes[i];
        if (u->dead[i]) continue;
        if (plain_layernorm(g, u, n)) {
            mt = (ln_match){n->inputs[0], n->inputs[1], n->n_inputs > 2 ? n->inputs[2] : -1, i,
                            cort_attr_float(n, "epsilon", 1e-5f)};
        } else if (!match_layernorm(g, u, i, &mt)) {
            continue;
        }
        cort_attr attrs[2] = {{.name = "axis", .type = CORT_ATTR_INT, .i = -1},
                              {.name = "epsilon", .type = CORT_ATTR_FLOAT, .f = mt.epsilon}};
        int ins[3] = {mt.x, mt.scale, mt.bias};
        CORT_TRY(cort_opt_import_cort_domain(m));
        n = g->nodes[mt.last];
        CORT_TRY(cort_opt_rewrite(g, u, n, "LayerNormalization", ins, mt.bias >= 0 ? 3 : 2, attrs, 2));
        n->n_outputs = 1;
        (*count)++;
    }
    return NULL;
}

/* ------------------------------------------------------------ rows gathered early */

/* A Gather of some rows (constant indices, along an axis before the last) of a value computed row by
 * row equals the row computation applied to the gathered rows. ViT's classifier reads the class token
 * only: gathered before the last block's MLP, its two products run on 1 row instead of 197 (about a
 * twelfth of the model's multiply-adds). The pass moves such a Gather before LayerNormalization over
 * the last axis, com.cort FusedMatMul / Gelu / FastGelu, Add / Sub / Mul / Div (gathering each operand
 * that spans the axis), Transpose and Reshape (where the rows stay rows), while the value it reads has
 * no other reader, and ends in a com.cort Attention as its query indices (sequence axis only); two Gathers of the same
 * rows of one value become one, which lets the move go on past a residual connection. */

typedef struct row_gather {
    int axis;  /* normalised, < rank - 1 */
    int rank;  /* of the gathered value */
    int index; /* the indices' value */
} row_gather;

static bool const_indices(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0 || !u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    return (t->type == CORT_INT64 || t->type == CORT_INT32) && t->rank <= 1;
}

static bool is_row_gather(const cort_graph *g, const graph_uses *u, int i, row_gather *rg) {
    const cort_node *n = g->nodes[i];
    if (u->dead[i] || !cort_opt_is_op(n, "Gather", 2) || n->inputs[0] < 0 || !const_indices(g, u, n->inputs[1]))
        return false;
    const cort_type *x = cort_opt_static_type(g, n->inputs[0]);
    if (!x || x->rank < 2) return false;
    int64_t axis = cort_attr_int(n, "axis", 0);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank - 1) return false;
    *rg = (row_gather){(int)axis, x->rank, n->inputs[1]};
    return true;
}

static bool same_indices(const cort_graph *g, int a, int b) {
    if (a == b) return true;
    const cort_tensor *x = g->values[a].init, *y = g->values[b].init;
    return x->type == y->type && x->rank == y->rank && (x->rank == 0 || x->dims[0] == y->dims[0]) &&
           !memcmp(x->data, y->data, (size_t)cort_tensor_count(x) * (x->type == CORT_INT64 ? 8 : 4));
}

/* Another Gather of the same rows of the value node i reads: its readers read node i's output instead. */
static bool merge_twin_gather(cort_graph *g, graph_uses *u, int i, const row_gather *rg) {
    const cort_node *n = g->nodes[i];
    for (int j = 0; j < g->n_nodes; j++) {
        row_gather other;
        if (j == i || !is_row_gather(g, u, j, &other) || g->nodes[j]->inputs[0] != n->inputs[0]) continue;
        int out = g->nodes[j]->outputs[0];
        if (other.axis != rg->axis || !same_indices(g, other.index, rg->index) || u->outer_ref[out] ||
            (g->values[out].flags & CORT_VF_GRAPH_OUTPUT))
            continue;
        cort_opt_replace_uses(g, u, out, n->outputs[0]);
        cort_opt_drop_node(g, u, j);
        return true;
    }
    return false;
}

/* Use counts for the values and nodes added since they were counted (`values`, `nodes`: the counts then). */
static cort_status *grow_uses(const cort_graph *g, graph_uses *u, int values, int nodes) {
    size_t nv = (size_t)g->n_values + 1, nn = (size_t)g->n_nodes + 1;
    int *count = realloc(u->count, nv * sizeof *count);
    if (count) u->count = count;
    bool *outer = realloc(u->outer_ref, nv * sizeof *outer);
    if (outer) u->outer_ref = outer;
    bool *is_const = realloc(u->is_const, nv * sizeof *is_const);
    if (is_const) u->is_const = is_const;
    bool *dead = realloc(u->dead, nn * sizeof *dead);
    if (dead) u->dead = dead;
    if (!count || !outer || !is_const || !dead) return cort_oom();
    for (size_t v = (size_t)values; v < nv; v++) u->count[v] = 0, u->outer_ref[v] = false, u->is_const[v] = false;
    for (size_t k = (size_t)nodes; k < nn; k++) u->dead[k] = false;
    return NULL;
}

/* A Gather of operand v like node i's, as a new node before it: the new value's id in *out. */
static cort_status *add_twin_gather(cort_graph *g, graph_uses *u, int i, int v, int *out) {
    const cort_node *n = g->nodes[i];
    char name[256];
    int values = g->n_values, nodes = g->n_nodes;
    for (int k = 0;; k++) {
        snprintf(name, sizeof name, "%.200s/rows%d", g->values[v].name, k);
        if (cort_graph_find(g, name) < 0) break;
    }
    int id = cort_graph_value(g, name);
    cort_node *t = id >= 0 ? cort_graph_add_node(g, "Gather", "", name, 2, 1, n->n_attrs) : NULL;
    if (!t) return cort_oom();
    CORT_TRY(grow_uses(g, u, values, nodes));
    n = g->nodes[i];
    t->opset = n->opset;
    memcpy(t->attrs, n->attrs, (size_t)n->n_attrs * sizeof *t->attrs);
    t->inputs[0] = v;
    t->inputs[1] = n->inputs[1];
    t->outputs[0] = id;
    u->count[v]++;
    u->count[n->inputs[1]]++;
    *out = id;
    return NULL;
}

/* The operands of elementwise node p that span the gathered axis (their other dims broadcast
 * unchanged): false when one has the axis but of another size, or their shapes are not known. */
static bool spanning_operands(const cort_graph *g, const cort_node *p, const row_gather *rg, bool span[2]) {
    const cort_type *y = cort_opt_static_type(g, p->outputs[0]);
    if (!y || y->rank != rg->rank) return false;
    for (int k = 0; k < 2; k++) {
        const cort_type *t = p->inputs[k] >= 0 ? cort_opt_static_type(g, p->inputs[k]) : NULL;
        if (!t) return false;
        span[k] = t->rank > rg->rank - 1 - rg->axis;
        if (span[k] && (t->rank != rg->rank || t->dims[rg->axis].value != y->dims[rg->axis].value)) return false;
    }
    return span[0] || span[1];
}

static bool is_cort_op(const cort_node *n, const char *op_type) {
    return !strcmp(n->domain, CORT_OPT_DOMAIN) && !strcmp(n->op_type, op_type);
}

/* Node p computes its output row by row from its input 0 (other inputs: constants of the last dim). */
static bool row_by_row(const cort_node *p) {
    if (p->n_outputs != 1 || p->n_inputs < 1) return false;
    if (is_cort_op(p, "FusedMatMul") || is_cort_op(p, "Gelu") || is_cort_op(p, "FastGelu") ||
        is_cort_op(p, "LayerNormalization"))
        return true;
    return !*p->domain && !strcmp(p->op_type, "LayerNormalization") && cort_attr_int(p, "axis", -1) == -1;
}

static bool elementwise_binary(const cort_node *p) {
    if (*p->domain || p->n_inputs != 2 || p->n_outputs != 1) return false;
    return !strcmp(p->op_type, "Add") || !strcmp(p->op_type, "Sub") || !strcmp(p->op_type, "Mul") ||
           !strcmp(p->op_type, "Div");
}

/* Gather node i moves before the producer p of what it reads, gathering p's operand k (and, through a
 * new Gather, operand `also` when it is >= 0): p then computes the Gather's output. */
static cort_status *move_gather_before(cort_graph *g, graph_uses *u, int i, int p, int k, int also) {
    int twin = -1;
    if (also >= 0) CORT_TRY(add_twin_gather(g, u, i, g->nodes[p]->inputs[also], &twin));
    cort_node *n = g->nodes[i], *pn = g->nodes[p];
    int x = n->inputs[0], out = n->outputs[0];
    n->inputs[0] = pn->inputs[k];
    n->outputs[0] = x;
    pn->inputs[k] = x;
    if (also >= 0) {
        u->count[pn->inputs[also]]--;
        pn->inputs[also] = twin;
        u->count[twin]++;
    }
    pn->outputs[0] = out;
    g->values[x].type = (cort_type){.kind = CORT_TYPE_UNKNOWN}; /* inferred again when the session binds */
    return NULL;
}

/* Attribute `name` of node n set to `a` (added when absent), in a new array: others may share the old. */
static cort_status *set_attr(cort_graph *g, cort_node *n, cort_attr a) {
    cort_attr *at = cort_pool_calloc(g->pool, (size_t)n->n_attrs + 2, sizeof *at);
    if (!at) return cort_oom();
    int k = 0;
    for (int j = 0; j < n->n_attrs; j++)
        if (strcmp(n->attrs[j].name, a.name)) at[k++] = n->attrs[j];
    at[k++] = a;
    n->attrs = at;
    n->n_attrs = k;
    return NULL;
}

static cort_status *set_ints_attr(cort_graph *g, cort_node *n, const char *name, const int64_t *v, int count) {
    int64_t *ints = cort_pool_calloc(g->pool, (size_t)count + 1, sizeof *ints);
    if (!ints) return cort_oom();
    memcpy(ints, v, (size_t)count * sizeof *ints);
    return set_attr(g, n, (cort_attr){.name = name, .type = CORT_ATTR_INTS, .n = count, .ints = ints});
}

static bool scalar_index(const cort_graph *g, const row_gather *rg) { return g->values[rg->index].init->rank == 0; }

/* Gather node i before Transpose p: it gathers along the axis the transposed one came from, and the
 * Transpose, with one axis fewer after a scalar index, permutes what is left in the same order. */
static cort_status *gather_before_transpose(cort_graph *g, graph_uses *u, int i, int p, const row_gather *rg,
                                            bool *moved) {
    cort_node *t = g->nodes[p];
    int64_t perm[CORT_MAX_RANK];
    const int64_t *given;
    int64_t count = cort_attr_ints(t, "perm", &given);
    if (rg->rank > CORT_MAX_RANK || (count && count != rg->rank)) return NULL;
    for (int d = 0; d < rg->rank; d++) perm[d] = count ? given[d] : rg->rank - 1 - d;
    int64_t from = perm[rg->axis];
    const cort_type *x = t->inputs[0] >= 0 ? cort_opt_static_type(g, t->inputs[0]) : NULL;
    if (!x || from >= x->rank - 1) return NULL; /* the last axis would be gathered: not rows */
    if (scalar_index(g, rg)) {
        int k = 0;
        for (int d = 0; d < rg->rank; d++)
            if (d != rg->axis) perm[k++] = perm[d] - (perm[d] > from);
    }
    CORT_TRY(set_ints_attr(g, t, "perm", perm, scalar_index(g, rg) ? rg->rank - 1 : rg->rank));
    CORT_TRY(set_attr(g, g->nodes[i], (cort_attr){.name = "axis", .type = CORT_ATTR_INT, .i = from}));
    CORT_TRY(move_gather_before(g, u, i, p, 0, -1));
    *moved = true;
    return NULL;
}

/* A new int64 vector initializer of `count` values: its id in *out (use count 1: the caller reads it). */
static cort_status *add_shape_constant(cort_graph *g, graph_uses *u, const char *base, const int64_t *v, int count,
                                       int *out) {
    char name[256];
    int values = g->n_values, nodes = g->n_nodes;
    for (int k = 0;; k++) {
        snprintf(name, sizeof name, "%.200s/rows_shape%d", base, k);
        if (cort_graph_find(g, name) < 0) break;
    }
    int id = cort_graph_value(g, name);
    cort_tensor *t = cort_pool_calloc(g->pool, 1, sizeof *t);
    int64_t *data = cort_pool_calloc(g->pool, (size_t)count + 1, sizeof *data);
    cort_dim *dim = cort_pool_calloc(g->pool, 1, sizeof *dim);
    if (id < 0 || !t || !data || !dim) return cort_oom();
    CORT_TRY(grow_uses(g, u, values, nodes));
    memcpy(data, v, (size_t)count * sizeof *data);
    *t = (cort_tensor){.type = CORT_INT64, .rank = 1, .dims = {count}, .data = data};
    *dim = (cort_dim){count, NULL};
    cort_ir_value *iv = &g->values[id];
    iv->init = t;
    iv->flags |= CORT_VF_INITIALIZER;
    cort_type_set_tensor(&iv->type, CORT_INT64, 1, dim);
    u->is_const[id] = true;
    u->count[id] = 1;
    *out = id;
    return NULL;
}

/* Gather node i before Reshape p when the gathered axis is one of the input's, with the same elements
 * before it: it gathers there, and the Reshape gets the gathered shape. */
static cort_status *gather_before_reshape(cort_graph *g, graph_uses *u, int i, int p, const row_gather *rg,
                                          bool *moved) {
    cort_node *r = g->nodes[p];
    const cort_type *x = r->inputs[0] >= 0 ? cort_opt_static_type(g, r->inputs[0]) : NULL;
    const cort_type *y = cort_opt_static_type(g, r->outputs[0]);
    if (!x || !y || y->rank != rg->rank || x->rank < 2) return NULL;
    int64_t before_y = 1, before_x = 1;
    for (int d = 0; d < rg->axis; d++) before_y *= y->dims[d].value;
    int from = -1;
    for (int d = 0; d < x->rank - 1 && from < 0; d++) {
        if (before_x == before_y && x->dims[d].value == y->dims[rg->axis].value) from = d;
        before_x *= x->dims[d].value;
    }
    if (from < 0) return NULL;
    int64_t shape[CORT_MAX_RANK];
    const cort_tensor *idx = g->values[rg->index].init;
    int k = 0;
    for (int d = 0; d < y->rank; d++) {
        if (y->dims[d].value <= 0) return NULL; /* 0 would mean "copy the input's dim" */
        if (d != rg->axis) shape[k++] = y->dims[d].value;
        else if (idx->rank == 1) shape[k++] = idx->dims[0];
    }
    int shape_id = -1;
    CORT_TRY(add_shape_constant(g, u, g->values[r->outputs[0]].name, shape, k, &shape_id));
    r = g->nodes[p];
    if (r->inputs[1] >= 0) u->count[r->inputs[1]]--;
    r->inputs[1] = shape_id;
    CORT_TRY(set_attr(g, g->nodes[i], (cort_attr){.name = "axis", .type = CORT_ATTR_INT, .i = from}));
    CORT_TRY(move_gather_before(g, u, i, p, 0, -1));
    *moved = true;
    return NULL;
}

/* Gather node i of rows along the sequence axis of Attention p: p computes only those queries (its
 * input 2) and outputs the Gather's result; the Gather goes. */
static cort_status *gather_into_attention(cort_graph *g, graph_uses *u, int i, int p, const row_gather *rg,
                                          bool *moved) {
    cort_node *a = g->nodes[p], *n = g->nodes[i];
    if (a->n_inputs > 2 || a->n_outputs != 1 || rg->rank != 3 || rg->axis != cort_attr_int(a, "seq_axis", 1))
        return NULL;
    int *ins = cort_pool_calloc(g->pool, 4, sizeof *ins);
    if (!ins) return cort_oom();
    ins[0] = a->inputs[0];
    ins[1] = a->n_inputs > 1 ? a->inputs[1] : -1;
    ins[2] = rg->index;
    a->inputs = ins;
    a->n_inputs = 3;
    u->count[rg->index]++;
    a->outputs[0] = n->outputs[0];
    cort_opt_drop_node(g, u, i);
    *moved = true;
    return NULL;
}

/* One step for Gather node i: merged into a twin, or moved before its input's producer. */
static cort_status *gather_step(cort_graph *g, graph_uses *u, int i, bool *moved) {
    row_gather rg;
    *moved = false;
    if (!is_row_gather(g, u, i, &rg)) return NULL;
    if (merge_twin_gather(g, u, i, &rg)) {
        *moved = true;
        return NULL;
    }
    int x = g->nodes[i]->inputs[0], p = cort_opt_private(g, u, x) ? cort_opt_producer(g, u, x) : -1;
    if (p < 0) return NULL;
    const cort_node *pn = g->nodes[p];
    if (row_by_row(pn) && pn->inputs[0] >= 0) {
        CORT_TRY(move_gather_before(g, u, i, p, 0, -1));
    } else if (is_cort_op(pn, "Attention")) {
        return gather_into_attention(g, u, i, p, &rg, moved);
    } else if (cort_opt_is_op(pn, "Transpose", 1) && pn->n_outputs == 1) {
        return gather_before_transpose(g, u, i, p, &rg, moved);
    } else if (cort_opt_is_op(pn, "Reshape", 2) && pn->n_outputs == 1) {
        return gather_before_reshape(g, u, i, p, &rg, moved);
    } else if (elementwise_binary(pn)) {
        bool span[2];
        if (!spanning_operands(g, pn, &rg, span)) return NULL;
        bool both = span[0] && span[1] && pn->inputs[0] != pn->inputs[1];
        if (span[0] && span[1] && !both) return NULL; /* x op x: its two reads of one value stay */
        CORT_TRY(move_gather_before(g, u, i, p, span[0] ? 0 : 1, both ? 1 : -1));
    } else {
        return NULL;
    }
    *moved = true;
    return NULL;
}

/* ------------------------------------------------------------ Transposes of unit axes */

/* A Transpose that moves only axes of size 1 keeps the elements in their order: a Reshape to its output
 * shape (a view: no copy) computes it. ViT's blocks swap the batch of 1 and the sequence twice each. */
static bool moves_unit_axes_only(const cort_node *n, const cort_type *x) {
    const int64_t *given;
    int64_t count = cort_attr_ints(n, "perm", &given), last = -1;
    if (count && count != x->rank) return false;
    for (int d = 0; d < x->rank; d++) {
        int64_t from = count ? given[d] : x->rank - 1 - d;
        if (from < 0 || from >= x->rank) return false;
        if (x->dims[from].value == 1) continue;
        if (from < last) return false;
        last = from;
    }
    return true;
}

cort_status *cort_opt_unit_transposes_as_reshapes(cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_node *n = g->nodes[i];
        if (u->dead[i] || !cort_opt_is_op(n, "Transpose", 1) || n->n_outputs != 1 || n->opset < 5 || n->inputs[0] < 0)
            continue;
        const cort_type *x = cort_opt_static_type(g, n->inputs[0]), *y = cort_opt_static_type(g, n->outputs[0]);
        if (!x || !y || x->rank > CORT_MAX_RANK || y->rank != x->rank || !moves_unit_axes_only(n, x)) continue;
        int64_t shape[CORT_MAX_RANK];
        bool empty = false;
        for (int d = 0; d < y->rank; d++) empty |= (shape[d] = y->dims[d].value) == 0;
        if (empty) continue; /* a 0 in Reshape's shape would copy the input's dim */
        int shape_id = -1, *ins = cort_pool_calloc(g->pool, 3, sizeof *ins);
        if (!ins) return cort_oom();
        CORT_TRY(add_shape_constant(g, u, g->values[n->outputs[0]].name, shape, y->rank, &shape_id));
        n = g->nodes[i];
        ins[0] = n->inputs[0];
        ins[1] = shape_id;
        n->inputs = ins;
        n->n_inputs = 2;
        n->op_type = "Reshape";
        n->n_attrs = 0;
        (*count)++;
    }
    return NULL;
}

cort_status *cort_opt_gather_rows_early(cort_graph *g, graph_uses *u, int *count) {
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < g->n_nodes; i++) {
            bool moved;
            CORT_TRY(gather_step(g, u, i, &moved));
            if (moved) (*count)++, again = true;
        }
    }
    return NULL;
}
