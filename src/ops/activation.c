/* Activation functions: Relu, LeakyRelu, Elu, Selu, Celu, Sigmoid, HardSigmoid, HardSwish, Softplus,
 * Softsign, Tanh, ThresholdedRelu, Clip, and com.cort::SiLU. Coefficients come from attributes (parsed
 * once into a cort_ew_params); Clip's bounds come from inputs since opset 11. */
#include <float.h>
#include <math.h>
#include <tgmath.h>

#include "kernels/generic/elementwise.h"
#include "kernels/vecmath.h"
#include "ops/op.h"

#define ACT_FLOATS(op, EXPR)                          \
    CORT_EW_UNARY(op##_f32, float, float, EXPR)       \
    CORT_EW_UNARY(op##_f64, double, double, EXPR)     \
    static const cort_ew_unary_fn op##_table[CORT_EW_NTYPES] = {                                          \
        [CORT_FLOAT] = op##_f32, [CORT_DOUBLE] = op##_f64, [CORT_FLOAT16] = op##_f32, [CORT_BFLOAT16] = op##_f32};

/* Coefficients come from the local copy `p` that each loop makes of its parameters. */
ACT_FLOATS(leaky_relu, v * (v < 0 ? (float)p.alpha : 1)) /* selects the factor: no branch in the loop */
ACT_FLOATS(elu, v < 0 ? (float)p.alpha * expm1(v) : v) /* expm1: exact near 0 where exp(v) - 1 cancels */
ACT_FLOATS(selu, v <= 0 ? (float)p.gamma * ((float)p.alpha * exp(v) - (float)p.alpha) : (float)p.gamma * v)
ACT_FLOATS(celu, v < 0 ? (float)p.alpha * expm1(v / (float)p.alpha) : v)
/* One exp of -|v| serves both signs and never overflows. */
static inline float logistic_f32(float v) {
    float e = expf(-fabsf(v)), r = 1 / (1 + e);
    return v >= 0 ? r : e * r;
}
static inline double logistic_f64(double v) {
    double e = exp(-fabs(v)), r = 1 / (1 + e);
    return v >= 0 ? r : e * r;
}
#define SIGMOID(v) _Generic((v), float: logistic_f32, double: logistic_f64)(v)
/* float32 (and the half types, converted in float chunks) take the vectorised array math */
static void sigmoid_f32(const void *x, void *y, int64_t n, const cort_ew_params *p) { cort_vsigmoid(x, y, n); }
CORT_EW_UNARY(sigmoid_f64, double, double, SIGMOID(v))
static const cort_ew_unary_fn sigmoid_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = sigmoid_f32, [CORT_DOUBLE] = sigmoid_f64, [CORT_FLOAT16] = sigmoid_f32, [CORT_BFLOAT16] = sigmoid_f32};
/* com.cort::SiLU, x * sigmoid(x), which the optimizer makes of x * Sigmoid(x) */
static void silu_f32(const void *x, void *y, int64_t n, const cort_ew_params *p) { cort_vsilu(x, y, n); }
CORT_EW_UNARY(silu_f64, double, double, v * SIGMOID(v))
static const cort_ew_unary_fn silu_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = silu_f32, [CORT_DOUBLE] = silu_f64, [CORT_FLOAT16] = silu_f32, [CORT_BFLOAT16] = silu_f32};
#define CLAMP01(t) ((t) < 0 ? 0 : (t) > 1 ? 1 : (t))
ACT_FLOATS(hard_sigmoid, CLAMP01((float)p.alpha * v + (float)p.beta))
ACT_FLOATS(hard_swish, v * CLAMP01(v * (1.0f / 6) + 0.5f))
ACT_FLOATS(softplus, v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)))
ACT_FLOATS(softsign, v / (1 + fabs(v)))
/* tanh through expm1 of -2|v|: as accurate as libm's tanh (within a few ulp), faster, and it never
 * overflows since the argument is <= 0. float32 takes the vectorised array math. */
static inline double tanh_f64(double v) {
    double t = expm1(-2 * fabs(v));
    return copysign(-t / (t + 2), v);
}
static void tanh_op_f32(const void *x, void *y, int64_t n, const cort_ew_params *p) { cort_vtanh(x, y, n); }
CORT_EW_UNARY(tanh_op_f64, double, double, tanh_f64(v))
static const cort_ew_unary_fn tanh_op_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = tanh_op_f32, [CORT_DOUBLE] = tanh_op_f64, [CORT_FLOAT16] = tanh_op_f32, [CORT_BFLOAT16] = tanh_op_f32};
ACT_FLOATS(thresholded_relu, v > (float)p.alpha ? v : 0)

/* Relu takes signed integers too since opset 14. NaN passes through. */
CORT_EW_UNARY(relu_f32, float, float, v < 0 ? 0 : v)
CORT_EW_UNARY(relu_f64, double, double, v < 0 ? 0 : v)
CORT_EW_UNARY(relu_i8, int8_t, int8_t, v < 0 ? 0 : v)
CORT_EW_UNARY(relu_i16, int16_t, int16_t, v < 0 ? 0 : v)
CORT_EW_UNARY(relu_i32, int32_t, int32_t, v < 0 ? 0 : v)
CORT_EW_UNARY(relu_i64, int64_t, int64_t, v < 0 ? 0 : v)
static const cort_ew_unary_fn relu_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = relu_f32, [CORT_DOUBLE] = relu_f64, [CORT_FLOAT16] = relu_f32, [CORT_BFLOAT16] = relu_f32,
    [CORT_INT8] = relu_i8, [CORT_INT16] = relu_i16, [CORT_INT32] = relu_i32, [CORT_INT64] = relu_i64};

/* Clip: min then max, so lo > hi gives hi (as ONNX Runtime); NaN compares false and passes through. */
#define CLIP(T, LO, HI) ((v < (T)(LO) ? (T)(LO) : v) > (T)(HI) ? (T)(HI) : (v < (T)(LO) ? (T)(LO) : v))
/* Integer bounds are int64/uint64 and may lie outside T's range: compare in the wide type. */
#define CLIP_INT(LO, HI) ((v < (LO) ? (LO) : v) > (HI) ? (HI) : (v < (LO) ? (LO) : v))
CORT_EW_UNARY(clip_f32, float, float, CLIP(float, p.lo, p.hi))
CORT_EW_UNARY(clip_f64, double, double, CLIP(double, p.lo, p.hi))
CORT_EW_UNARY(clip_i8, int8_t, int8_t, CLIP_INT(p.ilo, p.ihi))
CORT_EW_UNARY(clip_i16, int16_t, int16_t, CLIP_INT(p.ilo, p.ihi))
CORT_EW_UNARY(clip_i32, int32_t, int32_t, CLIP_INT(p.ilo, p.ihi))
CORT_EW_UNARY(clip_i64, int64_t, int64_t, CLIP_INT(p.ilo, p.ihi))
CORT_EW_UNARY(clip_u8, uint8_t, uint8_t, CLIP_INT(p.ulo, p.uhi))
CORT_EW_UNARY(clip_u16, uint16_t, uint16_t, CLIP_INT(p.ulo, p.uhi))
CORT_EW_UNARY(clip_u32, uint32_t, uint32_t, CLIP_INT(p.ulo, p.uhi))
CORT_EW_UNARY(clip_u64, uint64_t, uint64_t, CLIP_INT(p.ulo, p.uhi))
static const cort_ew_unary_fn clip_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = clip_f32, [CORT_DOUBLE] = clip_f64, [CORT_FLOAT16] = clip_f32, [CORT_BFLOAT16] = clip_f32,
    [CORT_INT8] = clip_i8, [CORT_INT16] = clip_i16, [CORT_INT32] = clip_i32, [CORT_INT64] = clip_i64,
    [CORT_UINT8] = clip_u8, [CORT_UINT16] = clip_u16, [CORT_UINT32] = clip_u32, [CORT_UINT64] = clip_u64};

/* ------------------------------------------------------------------ driver */
static cort_status *run_map(cort_kctx *ctx, const cort_ew_unary_fn *table, const cort_ew_params *p) {
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input X is missing or not a tensor");
    cort_ew_unary_fn fn = x->type > 0 && x->type < CORT_EW_NTYPES ? table[x->type] : NULL;
    if (!fn) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    cort_ew_unary_job job = {fn, x->type, x->type, x->data, y->data, p};
    /* chunks of at least 16384 elements: a few microseconds even for the cheapest maps */
    ctx->svc->parallel_for(ctx, cort_tensor_count(x), 1 << 14, cort_ew_unary_range, &job);
    return NULL;
}

#define ACT_RUN(op) \
    static cort_status *run_##op(cort_kctx *ctx) { return run_map(ctx, op##_table, ctx->params); }
ACT_RUN(relu)
ACT_RUN(leaky_relu)
ACT_RUN(elu)
ACT_RUN(selu)
ACT_RUN(celu)
ACT_RUN(sigmoid)
ACT_RUN(silu)
ACT_RUN(hard_sigmoid)
ACT_RUN(hard_swish)
ACT_RUN(softplus)
ACT_RUN(softsign)
ACT_RUN(tanh_op)
ACT_RUN(thresholded_relu)

/* Bounds of Clip from opset 11: optional scalar inputs of the input's type. */
static cort_status *clip_bound(cort_kctx *ctx, int index, const cort_tensor *x, cort_ew_params *p, bool upper) {
    const cort_tensor *b = cort_in(ctx, index);
    if (!b) return NULL;
    if (b->type != x->type)
        return cort_kerr(ctx, "%s has type %s, expected %s like the input", upper ? "max" : "min",
                         cort_type_name(b->type), cort_type_name(x->type));
    if (cort_tensor_count(b) != 1) return cort_kerr(ctx, "%s must be a scalar", upper ? "max" : "min");
    if (x->type == CORT_UINT64) {
        uint64_t u = ((const uint64_t *)b->data)[0];
        *(upper ? &p->uhi : &p->ulo) = u;
    } else if (x->type == CORT_UINT8 || x->type == CORT_UINT16 || x->type == CORT_UINT32) {
        *(upper ? &p->uhi : &p->ulo) = (uint64_t)cort_get_i64(b, 0);
    } else if (x->type == CORT_INT8 || x->type == CORT_INT16 || x->type == CORT_INT32 || x->type == CORT_INT64) {
        *(upper ? &p->ihi : &p->ilo) = cort_get_i64(b, 0);
    } else {
        *(upper ? &p->hi : &p->lo) = cort_get_f64(b, 0);
    }
    return NULL;
}

static cort_status *run_clip(cort_kctx *ctx) {
    const cort_ew_params *attrs = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input X is missing or not a tensor");
    cort_ew_params p = *attrs;
    p.ilo = INT64_MIN, p.ihi = INT64_MAX, p.ulo = 0, p.uhi = UINT64_MAX;
    CORT_TRY(clip_bound(ctx, 1, x, &p, false));
    CORT_TRY(clip_bound(ctx, 2, x, &p, true));
    return run_map(ctx, clip_table, &p);
}

/* ------------------------------------------------------------------ parse */
static cort_status *parse_alpha(cort_parse_ctx *pc, float alpha) {
    cort_ew_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "alpha", alpha);
    return NULL;
}

static cort_status *parse_leaky_relu(cort_parse_ctx *pc) { return parse_alpha(pc, 0.01f); }
static cort_status *parse_elu(cort_parse_ctx *pc) { return parse_alpha(pc, 1.0f); }
static cort_status *parse_thresholded_relu(cort_parse_ctx *pc) { return parse_alpha(pc, 1.0f); }

static cort_status *parse_celu(cort_parse_ctx *pc) {
    CORT_TRY(parse_alpha(pc, 1.0f));
    const cort_ew_params *p = pc->params;
    if (p->alpha == 0) return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "alpha must not be 0");
    return NULL;
}

static cort_status *parse_selu(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "alpha", 1.67326319217681884765625f);
    p->gamma = cort_attr_float(pc->node, "gamma", 1.05070102214813232421875f);
    return NULL;
}

static cort_status *parse_hard_sigmoid(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "alpha", 0.2f);
    p->beta = cort_attr_float(pc->node, "beta", 0.5f);
    return NULL;
}

/* Before opset 11 the bounds are attributes; from 11 they are inputs and default to no bound. */
static cort_status *parse_clip_attrs(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->lo = cort_attr_float(pc->node, "min", -FLT_MAX);
    p->hi = cort_attr_float(pc->node, "max", FLT_MAX);
    return NULL;
}

static cort_status *parse_clip_inputs(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->lo = -INFINITY;
    p->hi = INFINITY;
    return NULL;
}

static cort_status *infer_same(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], ic->in[0]);
}

/* ------------------------------------------------------------------ table */
#define FLT CORT_TS_FLOAT
#define MAX CORT_OPSET_MAX
#define SZ sizeof(cort_ew_params)
/* Maps read element i before writing it, so output 0 may share input 0's buffer. */
#define INPLACE CORT_OP_INPLACE_INPUT0
#define ROW(name, since, types, parse, fn) {"", name, since, MAX, types, 0, SZ, parse, infer_same, NULL, fn, INPLACE}

const cort_op_def cort_ops_activation[] = {
    ROW("Relu", 1, FLT | CORT_TS_SINT, NULL, run_relu),
    ROW("LeakyRelu", 1, FLT, parse_leaky_relu, run_leaky_relu),
    ROW("Elu", 1, FLT, parse_elu, run_elu),
    ROW("Selu", 1, FLT, parse_selu, run_selu),
    ROW("Celu", 12, FLT, parse_celu, run_celu),
    ROW("Sigmoid", 1, FLT, NULL, run_sigmoid),
    ROW("HardSigmoid", 1, FLT, parse_hard_sigmoid, run_hard_sigmoid),
    ROW("HardSwish", 14, FLT, NULL, run_hard_swish),
    ROW("Softplus", 1, FLT, NULL, run_softplus),
    ROW("Softsign", 1, FLT, NULL, run_softsign),
    ROW("Tanh", 1, FLT, NULL, run_tanh_op),
    ROW("ThresholdedRelu", 10, FLT, parse_thresholded_relu, run_thresholded_relu),
    {"com.cort", "SiLU", 1, 1, FLT, 0, SZ, NULL, infer_same, NULL, run_silu, INPLACE},
    {"", "Clip", 1, 10, FLT, 0, SZ, parse_clip_attrs, infer_same, NULL, run_clip, INPLACE},
    {"", "Clip", 11, MAX, CORT_TS_NUM, 0, SZ, parse_clip_inputs, infer_same, NULL, run_clip, INPLACE},
    {0},
};
