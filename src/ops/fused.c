/* com.cort::Gelu and com.cort::FastGelu (as ONNX Runtime's com.microsoft ops of those names): the GELU
 * activation the optimizer recognises from its erf form and from its tanh approximation. Each runs as
 * one pass over the tensor instead of the five to eight elementwise nodes of the decomposed form. */
#include <stdbool.h>
#include <string.h>

#include "kernels/vecmath.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op.h"

/* Blocks small enough for the erf/tanh argument to stay in L1 between the passes. */
#define GELU_BLOCK 512

bool cort_fused_act_from_name(const char *name, cort_fused_act *out) {
    if (!name || !*name) *out = CORT_FUSED_NONE;
    else if (!strcmp(name, "Gelu")) *out = CORT_FUSED_GELU;
    else if (!strcmp(name, "FastGelu")) *out = CORT_FUSED_FAST_GELU;
    else return false;
    return true;
}

void cort_gelu_f32(const float *x, float *y, int64_t n) {
    float t[GELU_BLOCK];
    for (int64_t i = 0; i < n; i += GELU_BLOCK) {
        int64_t len = n - i < GELU_BLOCK ? n - i : GELU_BLOCK;
        for (int64_t j = 0; j < len; j++) t[j] = x[i + j] * 0.70710678118654752f;
        cort_verf(t, t, len);
        for (int64_t j = 0; j < len; j++) y[i + j] = x[i + j] * 0.5f * (1.0f + t[j]);
    }
}

void cort_fast_gelu_f32(const float *x, float *y, int64_t n) {
    float t[GELU_BLOCK];
    for (int64_t i = 0; i < n; i += GELU_BLOCK) {
        int64_t len = n - i < GELU_BLOCK ? n - i : GELU_BLOCK;
        for (int64_t j = 0; j < len; j++) {
            float v = x[i + j];
            t[j] = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        }
        cort_vtanh(t, t, len);
        for (int64_t j = 0; j < len; j++) y[i + j] = x[i + j] * 0.5f * (1.0f + t[j]);
    }
}

void cort_fused_act_apply(cort_fused_act act, float *y, int64_t n) {
    if (act == CORT_FUSED_GELU) cort_gelu_f32(y, y, n);
    else if (act == CORT_FUSED_FAST_GELU) cort_fast_gelu_f32(y, y, n);
}

/* ---------------------------------------------------------------- Gelu, FastGelu */

typedef struct gelu_task {
    cort_fused_act act;
    const float *x;
    float *y;
} gelu_task;

static void gelu_range(void *arg, int64_t begin, int64_t end) {
    const gelu_task *t = arg;
    if (t->act == CORT_FUSED_GELU) cort_gelu_f32(t->x + begin, t->y + begin, end - begin);
    else cort_fast_gelu_f32(t->x + begin, t->y + begin, end - begin);
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

const cort_op_def cort_ops_fused[] = {
    {"com.cort", "Gelu", 1, 1, CORT_T(CORT_FLOAT), 0, 0, NULL, gelu_infer, NULL, gelu_run, CORT_OP_INPLACE_INPUT0},
    {"com.cort", "FastGelu", 1, 1, CORT_T(CORT_FLOAT), 0, 0, NULL, gelu_infer, NULL, fast_gelu_run,
     CORT_OP_INPLACE_INPUT0},
    {0},
};
