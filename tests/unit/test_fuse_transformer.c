/* Transformer graph optimizations on small graphs written out as PyTorch exports them: multi-head
 * attention (BERT/GPT-2 form with Split and a causal Where mask, ViT form with Slice over a
 * sequence-first tensor), GELU in its erf form and its tanh approximation, MatMul + bias, the decomposed
 * LayerNormalization, and Transpose/Reshape chains that cancel. Each graph runs at level 0, 1 and 99;
 * levels 1 and 99 must leave the expected steps and compute what level 0 computes. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "graph_builder.h"

enum { S = 5, H = 2, DH = 4, E = H * DH, D = 6 };

typedef struct builder {
    cort_model *m;
    cort_graph *g;
    unsigned seed;
} builder;

static float next_random(builder *b) {
    b->seed = b->seed * 1103515245u + 12345u;
    return (float)((b->seed >> 9) & 0xffff) / 65536.0f - 0.5f;
}

static int value(builder *b, const char *name) { return cort_graph_value(b->g, name); }

static cort_dim *dims_of(builder *b, int rank, const int64_t *dims) {
    cort_dim *d = cort_pool_calloc(&b->m->pool, (size_t)rank + 1, sizeof *d);
    for (int i = 0; d && i < rank; i++) d[i] = (cort_dim){dims[i], NULL};
    return d;
}

/* An initializer of `type` with the given dims; float data random, int64 and bool from `values`. */
static int constant(builder *b, const char *name, int32_t type, int rank, const int64_t *dims, const int64_t *values) {
    int id = value(b, name);
    cort_tensor *t = cort_pool_calloc(&b->m->pool, 1, sizeof *t);
    t->type = type;
    t->rank = rank;
    int64_t count = 1;
    for (int i = 0; i < rank; i++) count *= (t->dims[i] = dims[i]);
    size_t size = type == CORT_INT64 ? 8 : type == CORT_BOOL ? 1 : 4;
    t->data = cort_pool_calloc(&b->m->pool, (size_t)count, size);
    for (int64_t i = 0; i < count; i++) {
        if (type == CORT_FLOAT) ((float *)t->data)[i] = values ? (float)values[i] : next_random(b);
        else if (type == CORT_INT64) ((int64_t *)t->data)[i] = values[i];
        else ((unsigned char *)t->data)[i] = values[i] != 0;
    }
    b->g->values[id].init = t;
    b->g->values[id].flags |= CORT_VF_INITIALIZER;
    cort_type_set_tensor(&b->g->values[id].type, type, rank, dims_of(b, rank, dims));
    return id;
}

static int scalar(builder *b, const char *name, float v) {
    int id = constant(b, name, CORT_FLOAT, 0, NULL, NULL);
    *(float *)b->g->values[id].init->data = v;
    return id;
}

static cort_node *node(builder *b, const char *op, const char *out, int a, int c, int d) {
    int n_in = d >= 0 ? 3 : c >= 0 ? 2 : 1;
    cort_node *n = cort_graph_add_node(b->g, op, "", out, n_in, 1, 0);
    n->inputs[0] = a;
    if (n_in > 1) n->inputs[1] = c;
    if (n_in > 2) n->inputs[2] = d;
    n->outputs[0] = value(b, out);
    n->opset = 17;
    return n;
}

static int op(builder *b, const char *type, const char *out, int a, int c) { return node(b, type, out, a, c, -1)->outputs[0]; }

static void set_ints(builder *b, cort_node *n, const char *name, int count, const int64_t *v) {
    cort_attr *a = cort_pool_calloc(&b->m->pool, (size_t)n->n_attrs + 1, sizeof *a);
    memcpy(a, n->attrs, (size_t)n->n_attrs * sizeof *a);
    int64_t *ints = cort_pool_calloc(&b->m->pool, (size_t)count, sizeof *ints);
    memcpy(ints, v, (size_t)count * sizeof *ints);
    a[n->n_attrs] = count == 1 && !strcmp(name, "axis") ? (cort_attr){.name = name, .type = CORT_ATTR_INT, .i = v[0]}
                                                        : (cort_attr){.name = name, .type = CORT_ATTR_INTS, .n = count,
                                                                      .ints = ints};
    n->attrs = a;
    n->n_attrs++;
}

static int transpose(builder *b, const char *out, int x, int rank, const int64_t *perm) {
    cort_node *n = node(b, "Transpose", out, x, -1, -1);
    set_ints(b, n, "perm", rank, perm);
    return n->outputs[0];
}

static void start_opset(builder *b, const char *name, int rank, const int64_t *in_dims, int opset) {
    b->m = gb_model(opset, name);
    CHECK(b->m != NULL);
    b->g = b->m->graph;
    gb_float_input(b->m, "X", rank, in_dims, NULL);
}

static void start(builder *b, const char *name, int rank, const int64_t *in_dims) {
    start_opset(b, name, rank, in_dims, 17);
}

/* y = x * 0.5 * (1 + erf(x / sqrt 2)) as PyTorch exports nn.GELU() */
static int gelu_erf(builder *b, int x) {
    int t = op(b, "Div", "gelu_div", x, scalar(b, "sqrt2", 1.4142135381698608f));
    t = op(b, "Erf", "gelu_erf", t, -1);
    t = op(b, "Add", "gelu_add", t, scalar(b, "one", 1.0f));
    t = op(b, "Mul", "gelu_mul", x, t);
    return op(b, "Mul", "gelu_out", t, scalar(b, "half", 0.5f));
}

/* y = 0.5 * x * (1 + tanh(0.79788 * (x + 0.044715 * x^3))) as GPT-2's gelu_new exports */
static int gelu_tanh(builder *b, int x) {
    int sq = op(b, "Mul", "fg_sq", x, x);
    int cube = op(b, "Mul", "fg_cube", x, sq);
    int t = op(b, "Mul", "fg_c", scalar(b, "c044715", 0.044714998453855515f), cube);
    t = op(b, "Add", "fg_add", x, t);
    t = op(b, "Mul", "fg_scale", scalar(b, "c0797", 0.7978845834732056f), t);
    t = op(b, "Tanh", "fg_tanh", t, -1);
    t = op(b, "Add", "fg_one", scalar(b, "one_b", 1.0f), t);
    t = op(b, "Mul", "fg_x", x, t);
    return op(b, "Mul", "fg_out", scalar(b, "half_b", 0.5f), t);
}

static int matmul_bias(builder *b, const char *name, int x, int64_t k, int64_t n) {
    char w[32], bias[32], prod[32], out[32];
    snprintf(w, sizeof w, "%s_w", name);
    snprintf(bias, sizeof bias, "%s_b", name);
    snprintf(prod, sizeof prod, "%s_mm", name);
    snprintf(out, sizeof out, "%s_out", name);
    int64_t wd[2] = {k, n};
    int mm = op(b, "MatMul", prod, x, constant(b, w, CORT_FLOAT, 2, wd, NULL));
    return op(b, "Add", out, constant(b, bias, CORT_FLOAT, 1, &n, NULL), mm);
}

/* BERT/GPT-2: X [1, S, D] → qkv = X W + b → Split → heads → causal masked softmax → merge →
 * GELU (erf) → MatMul + bias → GELU (tanh) → Y [1, S, D]. */
static cort_model *make_bert_like(void) {
    builder b = {.seed = 7};
    int64_t in_dims[3] = {1, S, D};
    start(&b, "bert_like", 3, in_dims);
    int qkv = matmul_bias(&b, "qkv", value(&b, "X"), D, 3 * E);
    int64_t split_sizes[3] = {E, E, E}, three = 3;
    cort_node *split = cort_graph_add_node(b.g, "Split", "", "split", 2, 3, 0);
    split->inputs[0] = qkv;
    split->inputs[1] = constant(&b, "split_sizes", CORT_INT64, 1, &three, split_sizes);
    const char *parts[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) split->outputs[i] = value(&b, parts[i]);
    split->opset = 17;
    int64_t axis = 2;
    set_ints(&b, split, "axis", 1, &axis);
    int64_t four = 4, head_shape[4] = {1, S, H, DH}, qperm[4] = {0, 2, 1, 3}, kperm[4] = {0, 2, 3, 1};
    int shape = constant(&b, "head_shape", CORT_INT64, 1, &four, head_shape);
    int q = transpose(&b, "q_t", op(&b, "Reshape", "q_r", split->outputs[0], shape), 4, qperm);
    int k = transpose(&b, "k_t", op(&b, "Reshape", "k_r", split->outputs[1], shape), 4, kperm);
    int v = transpose(&b, "v_t", op(&b, "Reshape", "v_r", split->outputs[2], shape), 4, qperm);
    int scores = op(&b, "Div", "scores", op(&b, "MatMul", "qk", q, k), scalar(&b, "sqrt_dh", 2.0f));
    int64_t causal[S * S], mask_dims[2] = {S, S};
    for (int i = 0; i < S * S; i++) causal[i] = i % S <= i / S;
    int mask = constant(&b, "mask", CORT_BOOL, 2, mask_dims, causal);
    scores = node(&b, "Where", "masked", mask, scores, scalar(&b, "fill", -10000.0f))->outputs[0];
    cort_node *sm = node(&b, "Softmax", "probs", scores, -1, -1);
    int64_t last = -1;
    set_ints(&b, sm, "axis", 1, &last);
    int ctx = transpose(&b, "ctx_t", op(&b, "MatMul", "ctx", sm->outputs[0], v), 4, qperm);
    int64_t three_d = 3, merged[3] = {1, S, E};
    ctx = op(&b, "Reshape", "merged", ctx, constant(&b, "merged_shape", CORT_INT64, 1, &three_d, merged));
    int y = gelu_tanh(&b, matmul_bias(&b, "out", gelu_erf(&b, ctx), E, D));
    cort_graph_add_output(b.g, y);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}

/* ViT (sequence first, batch 1): X [S, 1, D] → qkv → three Slices of the last axis → Reshape [S, H, Dh]
 * → Transpose, q scaled before its product → softmax → merge → Reshape [S, E] = Y. */
static cort_model *make_vit_attention(bool class_token) {
    builder b = {.seed = 11};
    int64_t in_dims[3] = {S, 1, D};
    start(&b, "vit_like", 3, in_dims);
    int qkv = matmul_bias(&b, "qkv", value(&b, "X"), D, 3 * E);
    int64_t one = 1, minus_one = -1, three = 3;
    int axes = constant(&b, "axes", CORT_INT64, 1, &one, &minus_one);
    int64_t head_shape[3] = {S, H, DH}, qperm[3] = {1, 0, 2}, kperm[3] = {1, 2, 0};
    int shape = constant(&b, "head_shape", CORT_INT64, 1, &three, head_shape);
    int heads[3];
    const char *names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
        char sname[16], ename[16], rname[16], tname[16];
        snprintf(sname, sizeof sname, "%s_start", names[i]);
        snprintf(ename, sizeof ename, "%s_end", names[i]);
        snprintf(rname, sizeof rname, "%s_r", names[i]);
        snprintf(tname, sizeof tname, "%s_t", names[i]);
        int64_t lo = i * E, hi = (i + 1) * E;
        cort_node *sl = cort_graph_add_node(b.g, "Slice", "", names[i], 4, 1, 0);
        sl->inputs[0] = qkv;
        sl->inputs[1] = constant(&b, sname, CORT_INT64, 1, &one, &lo);
        sl->inputs[2] = constant(&b, ename, CORT_INT64, 1, &one, &hi);
        sl->inputs[3] = axes;
        sl->outputs[0] = value(&b, names[i]);
        sl->opset = 17;
        heads[i] = transpose(&b, tname, op(&b, "Reshape", rname, sl->outputs[0], shape), 3, i == 1 ? kperm : qperm);
    }
    int q = op(&b, "Div", "q_scaled", heads[0], scalar(&b, "sqrt_dh", 2.0f));
    cort_node *sm = node(&b, "Softmax", "probs", op(&b, "MatMul", "qk", q, heads[1]), -1, -1);
    int64_t last = -1;
    set_ints(&b, sm, "axis", 1, &last);
    int ctx = transpose(&b, "ctx_t", op(&b, "MatMul", "ctx", sm->outputs[0], heads[2]), 3, qperm);
    int64_t two = 2, merged[2] = {S, E};
    int y = op(&b, "Reshape", class_token ? "merged" : "Y", ctx,
               constant(&b, "merged_shape", CORT_INT64, 1, &two, merged));
    if (class_token) { /* token 1 of the result: the Attention computes that query only */
        int64_t token = 1, axis = 0;
        cort_node *gather = node(&b, "Gather", "Y", y, constant(&b, "token", CORT_INT64, 0, NULL, &token), -1);
        set_ints(&b, gather, "axis", 1, &axis);
        y = gather->outputs[0];
    }
    cort_graph_add_output(b.g, y);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}
static cort_model *make_vit_like(void) { return make_vit_attention(false); }
static cort_model *make_vit_class_token(void) { return make_vit_attention(true); }

/* LayerNorm over the last axis as exports before opset 17 write it: X [1, S, D] → Y. */
static cort_model *make_layernorm(int opset) {
    builder b = {.seed = 5};
    int64_t in_dims[3] = {1, S, D}, last = -1, d = D;
    start_opset(&b, "layernorm", 3, in_dims, opset);
    int x = value(&b, "X");
    cort_node *mean = node(&b, "ReduceMean", "mean", x, -1, -1);
    set_ints(&b, mean, "axes", 1, &last);
    int diff = op(&b, "Sub", "diff", x, mean->outputs[0]);
    int sq = op(&b, "Pow", "sq", diff, scalar(&b, "two", 2.0f));
    cort_node *var = node(&b, "ReduceMean", "var", sq, -1, -1);
    set_ints(&b, var, "axes", 1, &last);
    int sd = op(&b, "Sqrt", "sd", op(&b, "Add", "var_eps", var->outputs[0], scalar(&b, "eps", 1e-5f)), -1);
    int norm = op(&b, "Div", "norm", diff, sd);
    int scaled = op(&b, "Mul", "scaled", norm, constant(&b, "gamma", CORT_FLOAT, 1, &d, NULL));
    int y = op(&b, "Add", "Y", scaled, constant(&b, "beta", CORT_FLOAT, 1, &d, NULL));
    for (int i = 0; i < b.g->n_nodes; i++) b.g->nodes[i]->opset = opset;
    cort_graph_add_output(b.g, y);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}
static cort_model *make_layernorm13(void) { return make_layernorm(13); }
static cort_model *make_layernorm17(void) { return make_layernorm(17); }

/* Y = Reshape(Reshape(Transpose(Transpose(X))), [1, S, D]): all of it cancels; then
 * Z = MatMul(Y, Transpose(Reshape(X, [S, D]))) [1, S, S] takes the transpose as transB at level 2. */
static cort_model *make_layout(void) {
    builder b = {.seed = 3};
    int64_t in_dims[3] = {1, S, D}, swap[3] = {1, 0, 2}, two = 2, three = 3, flat[2] = {S, D}, back[3] = {1, S, D};
    start(&b, "layout", 3, in_dims);
    int x = value(&b, "X");
    int t = transpose(&b, "t2", transpose(&b, "t1", x, 3, swap), 3, swap);
    int flat_shape = constant(&b, "flat", CORT_INT64, 1, &two, flat);
    int r = op(&b, "Reshape", "r1", t, flat_shape);
    int y = op(&b, "Reshape", "r2", r, constant(&b, "back", CORT_INT64, 1, &three, back));
    int bm = op(&b, "Reshape", "bm", x, flat_shape);
    int64_t rev[2] = {1, 0};
    int z = op(&b, "MatMul", "Z", y, transpose(&b, "bt", bm, 2, rev));
    cort_graph_add_output(b.g, z);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}

/* ViT's classifier input: X [1, S, D] → LayerNorm → MatMul + bias → GELU → MatMul + bias → + X →
 * LayerNorm → Gather of one token along axis 1 (a scalar index: Y [1, D]; or a one-element list:
 * Y [1, 1, D]). At level 99 the Gather moves before the whole block: its two reads of X become one. */
static cort_model *make_class_token(int index_rank, int64_t index) {
    builder b = {.seed = 13};
    int64_t in_dims[3] = {1, S, D}, d = D, last = -1, one = 1, axis = 1;
    start(&b, "class_token", 3, in_dims);
    int x = value(&b, "X");
    cort_node *ln1 = node(&b, "LayerNormalization", "ln1", x, constant(&b, "g1", CORT_FLOAT, 1, &d, NULL),
                          constant(&b, "b1", CORT_FLOAT, 1, &d, NULL));
    set_ints(&b, ln1, "axis", 1, &last);
    int h = matmul_bias(&b, "fc2", gelu_erf(&b, matmul_bias(&b, "fc1", ln1->outputs[0], D, 2 * D)), 2 * D, D);
    int r = op(&b, "Add", "residual", x, h);
    cort_node *ln2 = node(&b, "LayerNormalization", "ln2", r, constant(&b, "g2", CORT_FLOAT, 1, &d, NULL),
                          constant(&b, "b2", CORT_FLOAT, 1, &d, NULL));
    set_ints(&b, ln2, "axis", 1, &last);
    cort_node *gather =
        node(&b, "Gather", "Y", ln2->outputs[0], constant(&b, "token", CORT_INT64, index_rank, &one, &index), -1);
    set_ints(&b, gather, "axis", 1, &axis);
    cort_graph_add_output(b.g, gather->outputs[0]);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}
static cort_model *make_class_token_scalar(void) { return make_class_token(0, 0); }
static cort_model *make_class_token_list(void) { return make_class_token(1, -2); }

/* ViT's attention output projection, sequence first: X [S, 1, D] → Reshape [S, D] → Gemm (transB, bias)
 * → Reshape [S, 1, D] → Transpose [1, S, D] → Gather of token 2 along axis 1 → Y [1, D]. At level 99
 * the Transpose, which moves only the axis of 1, is a Reshape, and the Gather moves up to X through the
 * three Reshapes (each given the gathered shape): the Gemm, a FusedMatMul by then, runs one row. */
static cort_model *make_token_projection(void) {
    builder b = {.seed = 17};
    int64_t in_dims[3] = {S, 1, D}, two = 2, three = 3, flat[2] = {S, D}, back[3] = {S, 1, D}, swap[3] = {1, 0, 2};
    int64_t wd[2] = {D, D}, d = D, token = 2, axis = 1;
    start(&b, "token_projection", 3, in_dims);
    int r = op(&b, "Reshape", "flat", value(&b, "X"), constant(&b, "flat_shape", CORT_INT64, 1, &two, flat));
    cort_node *gemm = node(&b, "Gemm", "proj", r, constant(&b, "w", CORT_FLOAT, 2, wd, NULL),
                           constant(&b, "bias", CORT_FLOAT, 1, &d, NULL));
    int64_t one = 1;
    cort_attr *a = cort_pool_calloc(&b.m->pool, 1, sizeof *a);
    *a = (cort_attr){.name = "transB", .type = CORT_ATTR_INT, .i = one};
    gemm->attrs = a;
    gemm->n_attrs = 1;
    int back3 = op(&b, "Reshape", "back", gemm->outputs[0], constant(&b, "back_shape", CORT_INT64, 1, &three, back));
    int t = transpose(&b, "batch_first", back3, 3, swap);
    cort_node *gather = node(&b, "Gather", "Y", t, constant(&b, "token", CORT_INT64, 0, NULL, &token), -1);
    set_ints(&b, gather, "axis", 1, &axis);
    cort_graph_add_output(b.g, gather->outputs[0]);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}

/* A batch of 2, sequence first: X [S, 2, 3] → Reshape [2S, 3] → MatMul → Reshape [S, 2, 3] → Transpose
 * [2, S, 3] → Gather of token 2 along axis 1 → Y [2, 3]. The Gather moves before the Transpose (now of
 * [2, 3], in the same order) and stops at the Reshape, whose input has no axis of S rows. */
static cort_model *make_token_batch2(void) {
    builder b = {.seed = 19};
    int64_t in_dims[3] = {S, 2, 3}, two = 2, three = 3, flat[2] = {2 * S, 3}, back[3] = {S, 2, 3}, swap[3] = {1, 0, 2};
    int64_t wd[2] = {3, 3}, token = 2, axis = 1;
    start(&b, "token_batch2", 3, in_dims);
    int r = op(&b, "Reshape", "flat", value(&b, "X"), constant(&b, "flat_shape", CORT_INT64, 1, &two, flat));
    int mm = op(&b, "MatMul", "mm", r, constant(&b, "w", CORT_FLOAT, 2, wd, NULL));
    int back3 = op(&b, "Reshape", "back", mm, constant(&b, "back_shape", CORT_INT64, 1, &three, back));
    int t = transpose(&b, "batch_first", back3, 3, swap);
    cort_node *gather = node(&b, "Gather", "Y", t, constant(&b, "token", CORT_INT64, 0, NULL, &token), -1);
    set_ints(&b, gather, "axis", 1, &axis);
    cort_graph_add_output(b.g, gather->outputs[0]);
    return cort_graph_check_and_sort(b.g) ? NULL : b.m;
}

/* Runs the model at `level` with 2 threads on a fixed input; lists the session's steps in `ops`. */
static void run_model(cort_model *(*make)(void), int level, float *y, int64_t y_count, char *ops, size_t ops_size) {
    cort_session *s = gb_session(make(), level, 2, NULL);
    if (!s) return;
    ops[0] = 0;
    for (int i = 0; i < s->main->n_steps; i++) {
        const cort_node *n = s->main->steps[i].node;
        size_t len = strlen(ops);
        snprintf(ops + len, ops_size - len, "%s%s%s", i ? " " : "", *n->domain ? "cort:" : "", n->op_type);
    }
    const cort_type *xt = &s->model->graph->values[s->model->graph->inputs[0]].type;
    int64_t dims[3] = {xt->dims[0].value, xt->dims[1].value, xt->dims[2].value};
    float x[S * D];
    for (int i = 0; i < S * D; i++) x[i] = (float)((i * 37) % 23) / 7.0f - 1.5f;
    const char *out_name = s->model->graph->values[s->model->graph->outputs[0]].name;
    gb_run_floats(s, "X", 3, dims, x, 1, &out_name, y, y_count);
    cort_session_free(s);
}

static float max_diff(const float *a, const float *b, int64_t n) {
    float worst = 0;
    for (int64_t i = 0; i < n; i++) worst = fabsf(a[i] - b[i]) > worst ? fabsf(a[i] - b[i]) : worst;
    return worst;
}

/* Levels 1 and 99 leave the steps `want1` and `want99` and compute level 0's outputs. */
static void check_levels(const char *what, cort_model *(*make)(void), int64_t y_count, const char *want1,
                         const char *want99) {
    float y0[S * E] = {0}, y1[S * E] = {0}, y2[S * E] = {0}; /* the largest output */
    char ops0[512] = "", ops1[512] = "", ops2[512] = "";
    run_model(make, CORT_OPT_DISABLE_ALL, y0, y_count, ops0, sizeof ops0);
    run_model(make, CORT_OPT_BASIC, y1, y_count, ops1, sizeof ops1);
    run_model(make, CORT_OPT_ALL, y2, y_count, ops2, sizeof ops2);
    if (strcmp(ops1, want1)) fprintf(stderr, "%s: level-1 steps '%s', expected '%s'\n", what, ops1, want1);
    if (strcmp(ops2, want99)) fprintf(stderr, "%s: level-99 steps '%s', expected '%s'\n", what, ops2, want99);
    CHECK(!strcmp(ops1, want1) && !strcmp(ops2, want99));
    float d1 = max_diff(y0, y1, y_count), d2 = max_diff(y0, y2, y_count), largest = 0;
    for (int64_t i = 0; i < y_count; i++) largest = fabsf(y0[i]) > largest ? fabsf(y0[i]) : largest;
    if (d1 > 1e-5f || d2 > 1e-5f) fprintf(stderr, "%s: outputs differ from level 0 by %g (1), %g (99)\n", what, d1, d2);
    CHECK(d1 <= 1e-5f && d2 <= 1e-5f && largest > 0.01f);
}

int main(void) {
    const char *bert0 = "MatMul Add Split Reshape Transpose Reshape Transpose Reshape Transpose MatMul Div Where Softmax "
                        "MatMul Transpose Reshape Div Erf Add Mul Mul MatMul Add Mul Mul Mul Add Mul Tanh Add Mul Mul";
    check_levels("bert_like", make_bert_like, S * D, bert0,
                 "cort:FusedMatMul cort:Attention Reshape cort:Gelu cort:FusedMatMul");
    check_levels("vit_like", make_vit_like, S * E,
                 "MatMul Add Slice Reshape Transpose Slice Reshape Transpose Slice Reshape Transpose Div MatMul "
                 "Softmax MatMul Transpose Reshape",
                 "cort:FusedMatMul cort:Attention Reshape");
    check_levels("vit_like, class token", make_vit_class_token, E,
                 "MatMul Add Slice Reshape Transpose Slice Reshape Transpose Slice Reshape Transpose Div MatMul "
                 "Softmax MatMul Transpose Reshape Gather",
                 "cort:FusedMatMul cort:Attention Reshape");
    const char *ln0 = "ReduceMean Sub Pow ReduceMean Add Sqrt Div Mul Add";
    check_levels("layernorm opset 13", make_layernorm13, S * D, ln0, "cort:LayerNormalization");
    check_levels("layernorm opset 17", make_layernorm17, S * D, ln0, "cort:LayerNormalization");
    check_levels("layout", make_layout, S * S, "Reshape Transpose MatMul", "Reshape cort:FusedMatMul");
    const char *token1 = "LayerNormalization MatMul Add Div Erf Add Mul Mul MatMul Add Add LayerNormalization Gather";
    const char *token99 = "Gather cort:LayerNormalization cort:FusedMatMul cort:FusedMatMul Add cort:LayerNormalization";
    check_levels("class token, scalar index", make_class_token_scalar, D, token1, token99);
    check_levels("class token, index list", make_class_token_list, D, token1, token99);
    check_levels("token projection", make_token_projection, D, "Reshape Gemm Reshape Transpose Gather",
                 "Gather Reshape cort:FusedMatMul Reshape Reshape");
    check_levels("token of a batch of 2", make_token_batch2, 2 * 3, "Reshape MatMul Reshape Transpose Gather",
                 "Reshape MatMul Reshape Gather Transpose");
    return check_report("test_fuse_transformer");
}
