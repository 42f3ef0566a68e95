/* Unary math operators (Abs .. Erf, Sign, IsNaN, IsInf, Not, Shrink) and the pass-throughs Identity
 * and Dropout (inference only). */
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "kernels/generic/elementwise.h"
#include "kernels/vecmath.h"
#include "ops/op.h"

/* ------------------------------------------------------------------ typed loops
 * One function per (op, element type). float16/bfloat16 entries point at the float32 loop: the
 * driver converts chunks. tgmath picks float or double math from the operand's type. */
#define UNARY_FLOATS(op, EXPR)                                        \
    CORT_EW_UNARY(op##_f32, float, float, EXPR)                       \
    CORT_EW_UNARY(op##_f64, double, double, EXPR)
#define TABLE_FLOATS(op) \
    [CORT_FLOAT] = op##_f32, [CORT_DOUBLE] = op##_f64, [CORT_FLOAT16] = op##_f32, [CORT_BFLOAT16] = op##_f32

#define UNARY_SINTS(op, EXPR)                                         \
    CORT_EW_UNARY(op##_i8, int8_t, int8_t, EXPR)                      \
    CORT_EW_UNARY(op##_i16, int16_t, int16_t, EXPR)                   \
    CORT_EW_UNARY(op##_i32, int32_t, int32_t, EXPR)                   \
    CORT_EW_UNARY(op##_i64, int64_t, int64_t, EXPR)
#define TABLE_SINTS(op) \
    [CORT_INT8] = op##_i8, [CORT_INT16] = op##_i16, [CORT_INT32] = op##_i32, [CORT_INT64] = op##_i64

#define UNARY_UINTS(op, EXPR)                                         \
    CORT_EW_UNARY(op##_u8, uint8_t, uint8_t, EXPR)                    \
    CORT_EW_UNARY(op##_u16, uint16_t, uint16_t, EXPR)                 \
    CORT_EW_UNARY(op##_u32, uint32_t, uint32_t, EXPR)                 \
    CORT_EW_UNARY(op##_u64, uint64_t, uint64_t, EXPR)
#define TABLE_UINTS(op) \
    [CORT_UINT8] = op##_u8, [CORT_UINT16] = op##_u16, [CORT_UINT32] = op##_u32, [CORT_UINT64] = op##_u64

/* Float-only math: one table per op. */
#define FLOAT_OP(op, EXPR) \
    UNARY_FLOATS(op, EXPR) \
    static const cort_ew_unary_fn op##_table[CORT_EW_NTYPES] = {TABLE_FLOATS(op)};

FLOAT_OP(floor_op, floor(v))
FLOAT_OP(ceil_op, ceil(v))
FLOAT_OP(round_op, nearbyint(v)) /* the default rounding mode rounds half to even */
FLOAT_OP(sqrt_op, sqrt(v))
FLOAT_OP(reciprocal_op, 1 / v)
/* float32 (and the half types, in float chunks) take the vectorised array math */
#define VEC_FLOAT_OP(op, vfn, EXPR)                                                                   \
    static void op##_f32(const void *x, void *y, int64_t n, const cort_ew_params *p) { vfn(x, y, n); } \
    CORT_EW_UNARY(op##_f64, double, double, EXPR)                                                     \
    static const cort_ew_unary_fn op##_table[CORT_EW_NTYPES] = {TABLE_FLOATS(op)};
VEC_FLOAT_OP(exp_op, cort_vexp, exp(v))
FLOAT_OP(log_op, log(v))
FLOAT_OP(sin_op, sin(v))
FLOAT_OP(cos_op, cos(v))
FLOAT_OP(tan_op, tan(v))
FLOAT_OP(asin_op, asin(v))
FLOAT_OP(acos_op, acos(v))
FLOAT_OP(atan_op, atan(v))
FLOAT_OP(sinh_op, sinh(v))
FLOAT_OP(cosh_op, cosh(v))
FLOAT_OP(asinh_op, asinh(v))
FLOAT_OP(acosh_op, acosh(v))
FLOAT_OP(atanh_op, atanh(v))
VEC_FLOAT_OP(erf_op, cort_verf, erf(v))

/* Abs, Neg, Sign over signed and unsigned integers too. Negation of signed values goes through
 * unsigned arithmetic so the most negative value wraps instead of overflowing. */
UNARY_FLOATS(abs_op, fabs(v))
UNARY_SINTS(abs_op, v < 0 ? 0u - (uint64_t)v : (uint64_t)v)
UNARY_UINTS(abs_op, v)
static const cort_ew_unary_fn abs_op_table[CORT_EW_NTYPES] = {TABLE_FLOATS(abs_op), TABLE_SINTS(abs_op),
                                                              TABLE_UINTS(abs_op)};

UNARY_FLOATS(neg_op, -v)
UNARY_SINTS(neg_op, 0u - (uint64_t)v)
static const cort_ew_unary_fn neg_op_table[CORT_EW_NTYPES] = {TABLE_FLOATS(neg_op), TABLE_SINTS(neg_op)};

UNARY_FLOATS(sign_op, v > 0 ? 1 : v < 0 ? -1 : v) /* keeps NaN (and the sign of zero) */
UNARY_SINTS(sign_op, v > 0 ? 1 : v < 0 ? -1 : 0)
UNARY_UINTS(sign_op, v > 0 ? 1 : 0)
static const cort_ew_unary_fn sign_op_table[CORT_EW_NTYPES] = {TABLE_FLOATS(sign_op), TABLE_SINTS(sign_op),
                                                               TABLE_UINTS(sign_op)};

CORT_EW_UNARY(isnan_f32, float, uint8_t, isnan(v))
CORT_EW_UNARY(isnan_f64, double, uint8_t, isnan(v))
static const cort_ew_unary_fn isnan_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = isnan_f32, [CORT_DOUBLE] = isnan_f64, [CORT_FLOAT16] = isnan_f32, [CORT_BFLOAT16] = isnan_f32};

/* IsInf: alpha != 0 detects +inf, beta != 0 detects -inf. */
CORT_EW_UNARY(isinf_f32, float, uint8_t, isinf(v) && (v > 0 ? p.alpha != 0 : p.beta != 0))
CORT_EW_UNARY(isinf_f64, double, uint8_t, isinf(v) && (v > 0 ? p.alpha != 0 : p.beta != 0))
static const cort_ew_unary_fn isinf_table[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = isinf_f32, [CORT_DOUBLE] = isinf_f64, [CORT_FLOAT16] = isinf_f32, [CORT_BFLOAT16] = isinf_f32};

CORT_EW_UNARY(not_bool, uint8_t, uint8_t, !v)
static const cort_ew_unary_fn not_table[CORT_EW_NTYPES] = {[CORT_BOOL] = not_bool};

/* Shrink: alpha = lambd, beta = bias; integers compute in double and truncate. */
#define SHRINK_EXPR (v < -p.alpha ? (double)v + p.beta : v > p.alpha ? (double)v - p.beta : 0.0)
UNARY_FLOATS(shrink_op, SHRINK_EXPR)
UNARY_SINTS(shrink_op, SHRINK_EXPR)
UNARY_UINTS(shrink_op, SHRINK_EXPR)
static const cort_ew_unary_fn shrink_op_table[CORT_EW_NTYPES] = {TABLE_FLOATS(shrink_op), TABLE_SINTS(shrink_op),
                                                                 TABLE_UINTS(shrink_op)};

/* ------------------------------------------------------------------ driver */
static cort_status *run_map(cort_kctx *ctx, const cort_ew_unary_fn *table, bool bool_out) {
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input X is missing or not a tensor");
    cort_ew_unary_fn fn = x->type > 0 && x->type < CORT_EW_NTYPES ? table[x->type] : NULL;
    if (!fn) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    int32_t y_type = bool_out ? CORT_BOOL : x->type;
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, y_type, x->rank, x->dims, &y));
    cort_ew_unary_job job = {fn, x->type, y_type, x->data, y->data, ctx->params};
    ctx->svc->parallel_for(ctx, cort_tensor_count(x), 1 << 14, cort_ew_unary_range, &job);
    return NULL;
}

#define MAP_RUN(op, bool_out) \
    static cort_status *run_##op(cort_kctx *ctx) { return run_map(ctx, op##_table, bool_out); }
MAP_RUN(floor_op, false)
MAP_RUN(ceil_op, false)
MAP_RUN(round_op, false)
MAP_RUN(sqrt_op, false)
MAP_RUN(reciprocal_op, false)
MAP_RUN(exp_op, false)
MAP_RUN(log_op, false)
MAP_RUN(sin_op, false)
MAP_RUN(cos_op, false)
MAP_RUN(tan_op, false)
MAP_RUN(asin_op, false)
MAP_RUN(acos_op, false)
MAP_RUN(atan_op, false)
MAP_RUN(sinh_op, false)
MAP_RUN(cosh_op, false)
MAP_RUN(asinh_op, false)
MAP_RUN(acosh_op, false)
MAP_RUN(atanh_op, false)
MAP_RUN(erf_op, false)
MAP_RUN(abs_op, false)
MAP_RUN(neg_op, false)
MAP_RUN(sign_op, false)
MAP_RUN(shrink_op, false)
MAP_RUN(isnan, true)
MAP_RUN(isinf, true)
MAP_RUN(not, false)

/* ------------------------------------------------------------------ parse */
static cort_status *parse_isinf(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->alpha = cort_attr_int(pc->node, "detect_positive", 1) != 0;
    p->beta = cort_attr_int(pc->node, "detect_negative", 1) != 0;
    return NULL;
}

static cort_status *parse_shrink(cort_parse_ctx *pc) {
    cort_ew_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "lambd", 0.5f);
    p->beta = cort_attr_float(pc->node, "bias", 0.0f);
    if (p->alpha < 0) return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "lambd must be >= 0, got %g", p->alpha);
    return NULL;
}

/* ------------------------------------------------------------------ infer */
static cort_status *infer_same(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0]) return NULL;
    for (int i = 0; i < ic->n_out; i++) CORT_TRY(cort_type_copy(ic->pool, &ic->out[i], ic->in[0]));
    return NULL;
}

static cort_status *infer_bool(cort_infer_ctx *ic) {
    CORT_TRY(infer_same(ic));
    for (int i = 0; i < ic->n_out; i++)
        if (ic->out[i].kind == CORT_TYPE_TENSOR) ic->out[i].elem = CORT_BOOL;
    return NULL;
}

/* ------------------------------------------------------------------ Identity, Dropout */
static cort_status *copy_tensor_to_output(cort_kctx *ctx, int index, const cort_tensor *x) {
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, index, x->type, x->rank, x->dims, &y));
    int64_t n = cort_tensor_count(x);
    if (x->type != CORT_STRING) {
        if (n > 0) memcpy(y->data, x->data, cort_tensor_nbytes(x));
        return NULL;
    }
    char *const *src = x->data;
    char **dst = y->data;
    for (int64_t i = 0; i < n; i++) dst[i] = NULL;
    for (int64_t i = 0; i < n; i++) {
        dst[i] = strdup(src[i] ? src[i] : "");
        if (!dst[i]) return cort_oom();
    }
    return NULL;
}

/* Output 0 as a view of input 0 where the executor offers views (not for strings), else a copy. */
static cort_status *pass_through(cort_kctx *ctx, const cort_tensor *x) {
    if (x->type != CORT_STRING && ctx->svc->alias_output)
        return ctx->svc->alias_output(ctx, 0, 0, x->rank, x->dims);
    return copy_tensor_to_output(ctx, 0, x);
}

static cort_status *run_identity(cort_kctx *ctx) {
    const cort_value *v = cort_in_value(ctx, 0);
    if (!v) return cort_kerr(ctx, "input is missing");
    if (v->kind == CORT_VALUE_TENSOR) return pass_through(ctx, &v->t);
    return ctx->svc->set_output_value(ctx, 0, v);
}

typedef struct dropout_params {
    float ratio;
    bool mask_is_bool; /* opset 10 made the mask boolean; before, it had the input's type */
} dropout_params;

static cort_status *parse_dropout(cort_parse_ctx *pc) {
    dropout_params *p = pc->params;
    p->ratio = cort_attr_float(pc->node, "ratio", 0.5f);
    p->mask_is_bool = pc->node->opset >= 10;
    return NULL;
}

static cort_status *infer_dropout(cort_infer_ctx *ic) {
    const dropout_params *p = ic->params;
    if (ic->n_in < 1 || !ic->in[0]) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    if (ic->n_out > 1) {
        CORT_TRY(cort_type_copy(ic->pool, &ic->out[1], ic->in[0]));
        if (p->mask_is_bool && ic->out[1].kind == CORT_TYPE_TENSOR) ic->out[1].elem = CORT_BOOL;
    }
    return NULL;
}

/* Inference: Y = X and the mask keeps everything. Training with a non-zero ratio would need random
 * numbers the caller cannot reproduce, so it is refused. */
static cort_status *run_dropout(cort_kctx *ctx) {
    const dropout_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input data is missing");
    const cort_tensor *ratio_t = cort_in(ctx, 1), *training_t = cort_in(ctx, 2);
    double ratio = p->ratio;
    if (ratio_t) {
        if (cort_tensor_count(ratio_t) != 1) return cort_kerr(ctx, "ratio must be a scalar");
        ratio = cort_get_f64(ratio_t, 0);
    }
    if (training_t) {
        if (cort_tensor_count(training_t) != 1 || training_t->type != CORT_BOOL)
            return cort_kerr(ctx, "training_mode must be a boolean scalar");
        if (cort_get_i64(training_t, 0) && ratio != 0) return cort_kerr(ctx, "training mode is not supported");
    }
    CORT_TRY(pass_through(ctx, x));
    if (ctx->n_out > 1 && cort_out_wanted(ctx, 1)) {
        int32_t mask_type = p->mask_is_bool ? CORT_BOOL : x->type;
        cort_tensor *mask;
        CORT_TRY(cort_out(ctx, 1, mask_type, x->rank, x->dims, &mask));
        int64_t n = cort_tensor_count(x);
        if (mask_type == CORT_BOOL) {
            if (n > 0) memset(mask->data, 1, (size_t)n);
        } else {
            for (int64_t i = 0; i < n; i++) cort_set_f64(mask, i, 1.0);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ table */
#define FLT CORT_TS_FLOAT
#define NUM CORT_TS_NUM
#define SZ sizeof(cort_ew_params)
#define MAX CORT_OPSET_MAX
/* Maps read element i before writing it, so output 0 may share input 0's buffer. */
#define INPLACE CORT_OP_INPLACE_INPUT0
#define ROW(name, since, types, fn) {"", name, since, MAX, types, 0, SZ, NULL, infer_same, NULL, fn, INPLACE}

const cort_op_def cort_ops_unary[] = {
    ROW("Abs", 1, NUM, run_abs_op),
    ROW("Neg", 1, FLT | CORT_TS_SINT, run_neg_op),
    ROW("Floor", 1, FLT, run_floor_op),
    ROW("Ceil", 1, FLT, run_ceil_op),
    ROW("Round", 11, FLT, run_round_op),
    ROW("Sqrt", 1, FLT, run_sqrt_op),
    ROW("Reciprocal", 1, FLT, run_reciprocal_op),
    ROW("Exp", 1, FLT, run_exp_op),
    ROW("Log", 1, FLT, run_log_op),
    ROW("Sin", 7, FLT, run_sin_op),
    ROW("Cos", 7, FLT, run_cos_op),
    ROW("Tan", 7, FLT, run_tan_op),
    ROW("Asin", 7, FLT, run_asin_op),
    ROW("Acos", 7, FLT, run_acos_op),
    ROW("Atan", 7, FLT, run_atan_op),
    ROW("Sinh", 9, FLT, run_sinh_op),
    ROW("Cosh", 9, FLT, run_cosh_op),
    ROW("Asinh", 9, FLT, run_asinh_op),
    ROW("Acosh", 9, FLT, run_acosh_op),
    ROW("Atanh", 9, FLT, run_atanh_op),
    ROW("Erf", 9, FLT, run_erf_op),
    ROW("Sign", 9, NUM, run_sign_op),
    ROW("Not", 1, CORT_T(CORT_BOOL), run_not),
    {"", "IsNaN", 9, MAX, FLT, 0, SZ, NULL, infer_bool, NULL, run_isnan, 0},
    {"", "IsInf", 10, MAX, FLT, 0, SZ, parse_isinf, infer_bool, NULL, run_isinf, 0},
    {"", "Shrink", 9, MAX, NUM, 0, SZ, parse_shrink, infer_same, NULL, run_shrink_op, INPLACE},
    {"", "Identity", 1, MAX, CORT_TS_ANY, 0, 0, NULL, infer_same, NULL, run_identity, CORT_OP_ALIAS_INPUT0},
    {"", "Dropout", 1, MAX, FLT, 0, sizeof(dropout_params), parse_dropout, infer_dropout, NULL, run_dropout,
     CORT_OP_ALIAS_INPUT0},
    {0},
};
