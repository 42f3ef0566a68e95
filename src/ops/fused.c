/* com.cort::Gelu and com.cort::FastGelu (as ONNX Runtime's com.microsoft ops of those names): the GELU
 * activation the optimizer recognises from its erf form and from its tanh approximation. Each runs as
 * one pass over the tensor instead of the five to eight elementwise nodes of the decomposed form.
 * com.cort::LayerNormalization: opset 17's LayerNormalization for models importing an older opset. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "kernels/transformer.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op.h"

bool cort_fused_act_from_name(const char *name, cort_fused_act *out) {
    if (!name || !*name) *out = CORT_FUSED_NONE;
    else if (!strcmp(name, "Gelu")) *out = CORT_FUSED_GELU;
    else if (!strcmp(name, "FastGelu")) *out = CORT_FUSED_FAST_GELU;
    else return false;
    return true;
}

void cort_fused_act_rows(cort_fused_act act, const float *bias, float *y, int64_t rows, int64_t n) {
    if (act != CORT_FUSED_NONE) {
        cort_bias_gelu_rows(y, bias, rows, n, act == CORT_FUSED_FAST_GELU);
        return;
    }
    for (int64_t r = 0; bias && r < rows; r++)
        for (int64_t i = 0; i < n; i++) y[r * n + i] += bias[i];
}

/* ---------------------------------------------------------------- Gelu, FastGelu */

typedef struct gelu_task {
    cort_fused_act act;
    const float *x;
    float *y;
} gelu_task;

static void gelu_range(void *arg, int64_t begin, int64_t end) {
    const gelu_task *t = arg;
    if (t->act == CORT_FUSED_GELU) cort_gelu(t->x + begin, t->y + begin, end - begin);
    else cort_fast_gelu(t->x + begin, t->y + begin, end - begin);
}

static cort_status *gelu_infer(cort_infer_ctx *ic) {
    if (!ic->in[0]) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], ic->in[0]);
}

static cort_status *run_act(cort_kctx *ctx, cort_fused_act act) {
    const cort_tensor *x;
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    if (x->type != CORT_FLOAT) return cort_kerr(ctx, "X has type %s, expected float", cort_type_name(x->type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    gelu_task t = {act, x->data, y->data};
    cort_threads th = cort_nn_threads(ctx);
    th.parallel_for(th.self, cort_tensor_count(x), 16384, gelu_range, &t);
    return NULL;
}

static cort_status *gelu_run(cort_kctx *ctx) { return run_act(ctx, CORT_FUSED_GELU); }
static cort_status *fast_gelu_run(cort_kctx *ctx) { return run_act(ctx, CORT_FUSED_FAST_GELU); }

/* ---------------------------------------------------------------- LayerNormalization (com.cort) */

/* The ONNX LayerNormalization of opset 17 over the last axis, for the optimizer to use in models that
 * import an older opset (where it recognises the decomposed form, src/opt/fuse_transformer.c): Y only,
 * float, scale and bias vectors of the last dim. */
typedef struct cort_ln_params {
    float epsilon;
} cort_ln_params;

static cort_status *ln_parse(cort_parse_ctx *pc) {
    cort_ln_params *p = pc->params;
    p->epsilon = cort_attr_float(pc->node, "epsilon", 1e-5f);
    if (cort_attr_int(pc->node, "axis", -1) != -1)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "axis must be -1");
    return NULL;
}

typedef struct ln_task {
    const float *x, *scale, *bias;
    float *y;
    int64_t n;
    float epsilon;
} ln_task;

static void ln_range(void *arg, int64_t begin, int64_t end) {
    const ln_task *t = arg;
    cort_layernorm_rows(t->x + begin * t->n, t->scale, t->bias, t->epsilon, end - begin, t->n, t->y + begin * t->n);
}

static cort_status *ln_run(cort_kctx *ctx) {
    const cort_ln_params *p = ctx->params;
    const cort_tensor *x, *scale, *bias = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "Scale", &scale));
    if (x->type != CORT_FLOAT || x->rank < 1) return cort_kerr(ctx, "X must be a float tensor of rank >= 1");
    int64_t n = x->dims[x->rank - 1];
    if (scale->type != CORT_FLOAT || cort_tensor_count(scale) != n || (bias && (bias->type != CORT_FLOAT ||
                                                                              cort_tensor_count(bias) != n)))
        return cort_kerr(ctx, "Scale and B must be float vectors of X's last dimension (%lld)", (long long)n);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_FLOAT, x->rank, x->dims, &y));
    if (n == 0) return NULL;
    ln_task t = {x->data, scale->data, bias ? bias->data : NULL, y->data, n, p->epsilon};
    cort_threads th = cort_nn_threads(ctx);
    th.parallel_for(th.self, cort_tensor_count(x) / n, (4096 + n - 1) / n, ln_range, &t);
    return NULL;
}

const cort_op_def cort_ops_fused[] = {
    {"com.cort", "LayerNormalization", 1, 1, CORT_T(CORT_FLOAT), 0, sizeof(cort_ln_params), ln_parse, gelu_infer,
     NULL, ln_run, CORT_OP_INPLACE_INPUT0},
    {"com.cort", "Gelu", 1, 1, CORT_T(CORT_FLOAT), 0, 0, NULL, gelu_infer, NULL, gelu_run, CORT_OP_INPLACE_INPUT0},
    {"com.cort", "FastGelu", 1, 1, CORT_T(CORT_FLOAT), 0, 0, NULL, gelu_infer, NULL, fast_gelu_run,
     CORT_OP_INPLACE_INPUT0},
    {0},
};
