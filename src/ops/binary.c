/* Binary and variadic elementwise operators with numpy broadcasting: arithmetic (Add, Sub, Mul, Div,
 * Pow, Mod), bitwise and logical ops, comparisons, Max/Min/Sum/Mean, Where and PRelu. Opsets before
 * 7 use the legacy `broadcast`/`axis` attributes instead of numpy rules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "kernels/generic/elementwise.h"
#include "ops/op.h"

/* ------------------------------------------------------------------ typed row functions */
#define SAME(T) T
#define BOOLT(T) uint8_t

#define BIN_F(op, OUT, EXPR)                                   \
    CORT_EW_BINARY(op##_f32, float, OUT(float), EXPR)          \
    CORT_EW_BINARY(op##_f64, double, OUT(double), EXPR)
#define BIN_S(op, OUT, EXPR)                                   \
    CORT_EW_BINARY(op##_i8, int8_t, OUT(int8_t), EXPR)         \
    CORT_EW_BINARY(op##_i16, int16_t, OUT(int16_t), EXPR)      \
    CORT_EW_BINARY(op##_i32, int32_t, OUT(int32_t), EXPR)      \
    CORT_EW_BINARY(op##_i64, int64_t, OUT(int64_t), EXPR)
#define BIN_U(op, OUT, EXPR)                                   \
    CORT_EW_BINARY(op##_u8, uint8_t, OUT(uint8_t), EXPR)       \
    CORT_EW_BINARY(op##_u16, uint16_t, OUT(uint16_t), EXPR)    \
    CORT_EW_BINARY(op##_u32, uint32_t, OUT(uint32_t), EXPR)    \
    CORT_EW_BINARY(op##_u64, uint64_t, OUT(uint64_t), EXPR)
#define TAB_F(op) \
    [CORT_FLOAT] = op##_f32, [CORT_DOUBLE] = op##_f64, [CORT_FLOAT16] = op##_f32, [CORT_BFLOAT16] = op##_f32
#define TAB_S(op) [CORT_INT8] = op##_i8, [CORT_INT16] = op##_i16, [CORT_INT32] = op##_i32, [CORT_INT64] = op##_i64
#define TAB_U(op) [CORT_UINT8] = op##_u8, [CORT_UINT16] = op##_u16, [CORT_UINT32] = op##_u32, [CORT_UINT64] = op##_u64

/* An op over every numeric type; integer arithmetic wraps (through uint64_t) instead of overflowing. */
#define NUM_OP(op, OUT, FEXPR, SEXPR, UEXPR) \
    BIN_F(op, OUT, FEXPR)                    \
    BIN_S(op, OUT, SEXPR)                    \
    BIN_U(op, OUT, UEXPR)                    \
    static const cort_ew_binary_fn op##_table[CORT_EW_NTYPES] = {TAB_F(op), TAB_S(op), TAB_U(op)};
#define WRAP(OPR) ((uint64_t)x OPR (uint64_t)z)

NUM_OP(add, SAME, x + z, WRAP(+), WRAP(+))
NUM_OP(sub, SAME, x - z, WRAP(-), WRAP(-))
NUM_OP(mul, SAME, x * z, WRAP(*), WRAP(*))
/* Integer divisors were checked for zero; -1 is special because INT_MIN / -1 traps. */
NUM_OP(div, SAME, x / z, z == -1 ? 0u - (uint64_t)x : (uint64_t)(x / z), x / z)
NUM_OP(max, SAME, (x > z || x != x) ? x : z, x > z ? x : z, x > z ? x : z) /* NaN wins */
NUM_OP(min, SAME, (x < z || x != x) ? x : z, x < z ? x : z, x < z ? x : z)
NUM_OP(prelu, SAME, x * (x < 0 ? z : 1), x < 0 ? WRAP(*) : (uint64_t)x, x)

/* Mod with fmod=1 truncates like C; with fmod=0 the result takes the divisor's sign (integers only). */
static inline int64_t floor_mod(int64_t x, int64_t z) {
    if (z == -1) return 0;
    int64_t r = x % z;
    return (r != 0 && ((r < 0) != (z < 0))) ? r + z : r;
}
NUM_OP(fmod_op, SAME, fmod(x, z), z == -1 ? 0 : x % z, x % z)
BIN_S(floor_mod_op, SAME, floor_mod(x, z))
BIN_U(floor_mod_op, SAME, x % z)
static const cort_ew_binary_fn floor_mod_op_table[CORT_EW_NTYPES] = {TAB_S(floor_mod_op), TAB_U(floor_mod_op)};

/* Comparisons produce bool; Equal also takes bool operands. */
#define CMP_OP(op, EXPR)                                                                             \
    BIN_F(op, BOOLT, EXPR)                                                                           \
    BIN_S(op, BOOLT, EXPR)                                                                           \
    BIN_U(op, BOOLT, EXPR)                                                                           \
    CORT_EW_BINARY(op##_bool, uint8_t, uint8_t, EXPR)                                                \
    static const cort_ew_binary_fn op##_table[CORT_EW_NTYPES] = {TAB_F(op), TAB_S(op), TAB_U(op),     \
                                                                 [CORT_BOOL] = op##_bool};
CMP_OP(equal, x == z)
CMP_OP(less, x < z)
CMP_OP(greater, x > z)
CMP_OP(less_equal, x <= z)
CMP_OP(greater_equal, x >= z)

/* Logical ops on bool; any non-zero byte is true. */
CORT_EW_BINARY(and_bool, uint8_t, uint8_t, x && z)
CORT_EW_BINARY(or_bool, uint8_t, uint8_t, x || z)
CORT_EW_BINARY(xor_bool, uint8_t, uint8_t, (!x) != (!z))
static const cort_ew_binary_fn and_table[CORT_EW_NTYPES] = {[CORT_BOOL] = and_bool};
static const cort_ew_binary_fn or_table[CORT_EW_NTYPES] = {[CORT_BOOL] = or_bool};
static const cort_ew_binary_fn xor_table[CORT_EW_NTYPES] = {[CORT_BOOL] = xor_bool};

/* Shifts by the type's width or more give 0 (C leaves them undefined). */
BIN_U(shl, SAME, z >= sizeof x * 8 ? 0 : (uint64_t)x << z)
BIN_U(shr, SAME, z >= sizeof x * 8 ? 0 : x >> z)
static const cort_ew_binary_fn shl_table[CORT_EW_NTYPES] = {TAB_U(shl)};
static const cort_ew_binary_fn shr_table[CORT_EW_NTYPES] = {TAB_U(shr)};

BIN_F(pow_same, SAME, pow(x, z))
static const cort_ew_binary_fn pow_same_table[CORT_EW_NTYPES] = {TAB_F(pow_same)};

/* ------------------------------------------------------------------ params */
typedef struct binary_params {
    bool legacy;          /* opset < 7: broadcast only with broadcast=1, B aligned at `axis` */
    bool legacy_broadcast;
    bool has_axis;
    int64_t axis;
    bool fmod;            /* Mod */
    bool shift_left;      /* BitShift */
    bool legacy_prelu;    /* PRelu before opset 7: a 1-D slope may run along the channel axis */
} binary_params;

static cort_status *parse_binary(cort_parse_ctx *pc) {
    binary_params *p = pc->params;
    if (pc->node->opset < 7) {
        p->legacy = true;
        p->legacy_broadcast = cort_attr_int(pc->node, "broadcast", 0) != 0;
        p->has_axis = cort_node_attr(pc->node, "axis") != NULL;
        p->axis = cort_attr_int(pc->node, "axis", 0);
    }
    return NULL;
}

static cort_status *parse_mod(cort_parse_ctx *pc) {
    binary_params *p = pc->params;
    int64_t fmod_attr = cort_attr_int(pc->node, "fmod", 0);
    if (fmod_attr != 0 && fmod_attr != 1)
        return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "fmod must be 0 or 1, got %lld", (long long)fmod_attr);
    p->fmod = fmod_attr == 1;
    return NULL;
}

static cort_status *parse_bitshift(cort_parse_ctx *pc) {
    binary_params *p = pc->params;
    const char *dir = cort_attr_string(pc->node, "direction", NULL);
    if (!dir) return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "attribute direction is required");
    if (!strcmp(dir, "LEFT")) p->shift_left = true;
    else if (strcmp(dir, "RIGHT"))
        return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "direction must be LEFT or RIGHT, got '%s'", dir);
    return NULL;
}

static cort_status *parse_prelu(cort_parse_ctx *pc) {
    binary_params *p = pc->params;
    p->legacy_prelu = pc->node->opset < 7;
    return NULL;
}

/* ------------------------------------------------------------------ drivers */
static bool is_int_type(int32_t t) {
    return (t >= CORT_UINT8 && t <= CORT_INT64) || t == CORT_UINT32 || t == CORT_UINT64;
}

static cort_ew_binary_fn table_fn(const cort_ew_binary_fn *table, int32_t type) {
    return type > 0 && type < CORT_EW_NTYPES ? table[type] : NULL;
}

/* The shape B takes under the legacy rules: its dims placed at `axis` of A's rank (by default
 * right-aligned); with broadcast=0 the shapes must match. */
static cort_status *legacy_b_shape(cort_kctx *ctx, const binary_params *p, const cort_tensor *a,
                                   const cort_tensor *b, int64_t *dims, int *rank) {
    char sa[128], sb[128];
    if (!p->legacy_broadcast) {
        if (cort_tensor_count(b) == 1 && cort_tensor_count(a) != 1) { /* scalars always broadcast */
            *rank = 0;
            return NULL;
        }
        bool same = a->rank == b->rank;
        for (int i = 0; same && i < a->rank; i++) same = a->dims[i] == b->dims[i];
        if (!same)
            return cort_kerr(ctx, "shapes %s and %s differ and broadcast is 0",
                             cort_shape_str(a->dims, a->rank, sa, sizeof sa),
                             cort_shape_str(b->dims, b->rank, sb, sizeof sb));
        *rank = b->rank;
        memcpy(dims, b->dims, sizeof(int64_t) * (size_t)b->rank);
        return NULL;
    }
    int64_t axis = p->has_axis ? p->axis : a->rank - b->rank;
    if (axis < 0) axis += a->rank;
    if (b->rank > a->rank || axis < 0 || axis + b->rank > a->rank)
        return cort_kerr(ctx, "B of shape %s cannot broadcast into A of shape %s at axis %lld",
                         cort_shape_str(b->dims, b->rank, sb, sizeof sb),
                         cort_shape_str(a->dims, a->rank, sa, sizeof sa), (long long)p->axis);
    for (int i = 0; i < a->rank; i++) dims[i] = 1;
    for (int i = 0; i < b->rank; i++) dims[axis + i] = b->dims[i];
    *rank = a->rank;
    return NULL;
}

typedef struct operand {
    const cort_tensor *t;
    const int64_t *dims;
    int rank;
} operand;

static operand whole(const cort_tensor *t) { return (operand){t, t->dims, t->rank}; }

static cort_status *broadcast_shape2(cort_kctx *ctx, operand a, operand b, int64_t *dims, int *rank) {
    if (cort_broadcast_shape(a.dims, a.rank, b.dims, b.rank, dims, rank)) return NULL;
    char sa[128], sb[128];
    return cort_kerr(ctx, "shapes %s and %s do not broadcast", cort_shape_str(a.dims, a.rank, sa, sizeof sa),
                     cort_shape_str(b.dims, b.rank, sb, sizeof sb));
}

/* y = fn(a, b) over the broadcast of a and b into y (whose shape is y_dims). */
static cort_status *apply_binary(cort_kctx *ctx, cort_ew_binary_fn fn, operand a, operand b, cort_tensor *y) {
    cort_ew_binary_job job = {fn, a.t->type, b.t->type, y->type, a.t->data, b.t->data, y->data, {0}};
    const int64_t *dims[2] = {a.dims, b.dims};
    int ranks[2] = {a.rank, b.rank};
    if (!cort_bcast_init(&job.plan, 2, dims, ranks, y->dims, y->rank))
        return cort_kerr(ctx, "operands do not broadcast to the output shape");
    ctx->svc->parallel_for(ctx, cort_ew_binary_units(&job), cort_ew_binary_min_chunk(&job), cort_ew_binary_range,
                           &job);
    return NULL;
}

static bool has_zero(const cort_tensor *t) {
    int64_t n = cort_tensor_count(t);
    for (int64_t i = 0; i < n; i++)
        if (cort_get_i64(t, i) == 0) return true;
    return false;
}

/* Runs a same-type binary op from its table, honouring the legacy broadcast attributes. */
static cort_status *run_table(cort_kctx *ctx, const cort_ew_binary_fn *table, bool bool_out, bool int_divisor) {
    const binary_params *p = ctx->params;
    const cort_tensor *a = cort_in(ctx, 0), *b = cort_in(ctx, 1);
    if (!a || !b) return cort_kerr(ctx, "expected two tensor inputs");
    if (a->type != b->type)
        return cort_kerr(ctx, "inputs have different types %s and %s", cort_type_name(a->type),
                         cort_type_name(b->type));
    cort_ew_binary_fn fn = table_fn(table, a->type);
    if (!fn) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(a->type));
    if (int_divisor && is_int_type(b->type) && has_zero(b)) return cort_kerr(ctx, "integer division by zero");
    operand oa = whole(a), ob = whole(b);
    int64_t b_dims[CORT_MAX_RANK];
    if (p && p->legacy) {
        CORT_TRY(legacy_b_shape(ctx, p, a, b, b_dims, &ob.rank));
        ob.dims = b_dims;
    }
    int64_t dims[CORT_MAX_RANK];
    int rank;
    CORT_TRY(broadcast_shape2(ctx, oa, ob, dims, &rank));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, bool_out ? CORT_BOOL : a->type, rank, dims, &y));
    return apply_binary(ctx, fn, oa, ob, y);
}

#define TABLE_RUN(name, table, bool_out, int_divisor) \
    static cort_status *run_##name(cort_kctx *ctx) { return run_table(ctx, table, bool_out, int_divisor); }
TABLE_RUN(add, add_table, false, false)
TABLE_RUN(sub, sub_table, false, false)
TABLE_RUN(mul, mul_table, false, false)
TABLE_RUN(div, div_table, false, true)
TABLE_RUN(and, and_table, true, false)
TABLE_RUN(or, or_table, true, false)
TABLE_RUN(xor, xor_table, true, false)
TABLE_RUN(less, less_table, true, false)
TABLE_RUN(greater, greater_table, true, false)
TABLE_RUN(less_equal, less_equal_table, true, false)
TABLE_RUN(greater_equal, greater_equal_table, true, false)

static cort_status *run_mod(cort_kctx *ctx) {
    const binary_params *p = ctx->params;
    const cort_tensor *a = cort_in(ctx, 0);
    if (a && !is_int_type(a->type) && !p->fmod)
        return cort_kerr(ctx, "fmod must be 1 for floating-point inputs (%s)", cort_type_name(a->type));
    return run_table(ctx, p->fmod ? fmod_op_table : floor_mod_op_table, false, true);
}

static cort_status *run_bitshift(cort_kctx *ctx) {
    const binary_params *p = ctx->params;
    return run_table(ctx, p->shift_left ? shl_table : shr_table, false, false);
}

/* Equal on strings compares bytes; other types go through the table. */
static cort_status *run_equal(cort_kctx *ctx) {
    const cort_tensor *a = cort_in(ctx, 0), *b = cort_in(ctx, 1);
    if (!a || !b || a->type != CORT_STRING || b->type != CORT_STRING) return run_table(ctx, equal_table, true, false);
    int64_t dims[CORT_MAX_RANK];
    int rank;
    CORT_TRY(broadcast_shape2(ctx, whole(a), whole(b), dims, &rank));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_BOOL, rank, dims, &y));
    cort_bcast plan;
    const int64_t *in_dims[2] = {a->dims, b->dims};
    int ranks[2] = {a->rank, b->rank};
    if (!cort_bcast_init(&plan, 2, in_dims, ranks, dims, rank)) return cort_kerr(ctx, "operands do not broadcast");
    char *const *sa = a->data, *const *sb = b->data;
    uint8_t *out = y->data;
    int64_t ia = plan.strides[0][plan.rank - 1], ib = plan.strides[1][plan.rank - 1];
    for (int64_t row = 0; row < plan.rows; row++) {
        int64_t off[CORT_BCAST_MAX_IN];
        cort_bcast_row_offsets(&plan, row, off);
        for (int64_t i = 0; i < plan.inner; i++) {
            const char *x = sa[off[0] + i * ia], *z = sb[off[1] + i * ib];
            out[row * plan.inner + i] = !strcmp(x ? x : "", z ? z : "");
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ Pow */
/* Integer powers exactly, by squaring; negative exponents truncate toward zero like C. */
static int64_t int_pow(int64_t base, int64_t exp) {
    if (exp < 0) return base == 1 ? 1 : base == -1 ? (exp % 2 ? -1 : 1) : 0;
    uint64_t result = 1, b = (uint64_t)base;
    while (exp > 0) {
        if (exp & 1) result *= b;
        b *= b;
        exp >>= 1;
    }
    return (int64_t)result;
}

/* Mixed base and exponent types (opset 12+): element by element through double or int64. */
static void pow_mixed(const cort_tensor *a, const cort_tensor *b, cort_tensor *y, const cort_bcast *plan) {
    bool ints = is_int_type(a->type) && is_int_type(b->type);
    int64_t ia = plan->strides[0][plan->rank - 1], ib = plan->strides[1][plan->rank - 1];
    for (int64_t row = 0; row < plan->rows; row++) {
        int64_t off[CORT_BCAST_MAX_IN];
        cort_bcast_row_offsets(plan, row, off);
        for (int64_t i = 0; i < plan->inner; i++) {
            int64_t ea = off[0] + i * ia, eb = off[1] + i * ib, ey = row * plan->inner + i;
            if (ints) cort_set_i64(y, ey, int_pow(cort_get_i64(a, ea), cort_get_i64(b, eb)));
            else cort_set_f64(y, ey, pow(cort_get_f64(a, ea), cort_get_f64(b, eb)));
        }
    }
}

/* A float base raised to one exponent for all elements (x^2 in norms, x^0.5, ...): a unary map,
 * with the cheap exponents done without pow. The exponent is p.alpha (as double in p.lo). */
#define POW_SCALAR(T)                                                                                    \
    (p.lo == 2 ? v * v : p.lo == 1 ? v : p.lo == 0.5 ? POW_HALF(v) : p.lo == 3 ? v * v * v : pow(v, (T)p.lo))
/* pow(x, 0.5) differs from sqrt(x) at -0 (+0) and -inf (+inf). */
#define POW_HALF(v) (isinf(v) ? fabs(v) : sqrt(v) + 0)
CORT_EW_UNARY(pow_scalar_f32, float, float, POW_SCALAR(float))
CORT_EW_UNARY(pow_scalar_f64, double, double, POW_SCALAR(double))

/* Runs Pow as a map when the exponent is one value and broadcasting leaves a's shape; false when
 * it does not apply. */
static bool pow_by_scalar(cort_kctx *ctx, const cort_tensor *a, const cort_tensor *b, cort_status **st) {
    bool half = cort_ew_is_half(a->type);
    if ((a->type != CORT_FLOAT && a->type != CORT_DOUBLE && !half) || cort_tensor_count(b) != 1 || b->rank > a->rank)
        return false;
    if (!is_int_type(b->type) && !table_fn(pow_same_table, b->type)) return false;
    cort_ew_params params = {0};
    params.lo = cort_get_f64(b, 0);
    if (a->type != CORT_DOUBLE) params.lo = (float)params.lo; /* float math, as the same-type path */
    cort_tensor *y;
    *st = cort_out(ctx, 0, a->type, a->rank, a->dims, &y);
    if (*st) return true;
    cort_ew_unary_job job = {a->type == CORT_DOUBLE ? pow_scalar_f64 : pow_scalar_f32, a->type, a->type, a->data,
                             y->data, &params};
    ctx->svc->parallel_for(ctx, cort_tensor_count(a), 1 << 13, cort_ew_unary_range, &job);
    return true;
}

static cort_status *run_pow(cort_kctx *ctx) {
    const binary_params *p = ctx->params;
    const cort_tensor *a = cort_in(ctx, 0), *b = cort_in(ctx, 1);
    if (!a || !b) return cort_kerr(ctx, "expected two tensor inputs");
    cort_status *st = NULL;
    if (!p->legacy && pow_by_scalar(ctx, a, b, &st)) return st;
    if (a->type == b->type && table_fn(pow_same_table, a->type)) return run_table(ctx, pow_same_table, false, false);
    if (!(is_int_type(a->type) || table_fn(pow_same_table, a->type)) ||
        !(is_int_type(b->type) || table_fn(pow_same_table, b->type)))
        return cort_kerr(ctx, "Pow of %s by %s is not supported", cort_type_name(a->type), cort_type_name(b->type));
    operand oa = whole(a), ob = whole(b);
    int64_t b_dims[CORT_MAX_RANK];
    if (p->legacy) {
        CORT_TRY(legacy_b_shape(ctx, p, a, b, b_dims, &ob.rank));
        ob.dims = b_dims;
    }
    int64_t dims[CORT_MAX_RANK];
    int rank;
    CORT_TRY(broadcast_shape2(ctx, oa, ob, dims, &rank));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, a->type, rank, dims, &y));
    cort_bcast plan;
    const int64_t *in_dims[2] = {oa.dims, ob.dims};
    int ranks[2] = {oa.rank, ob.rank};
    if (!cort_bcast_init(&plan, 2, in_dims, ranks, dims, rank)) return cort_kerr(ctx, "operands do not broadcast");
    pow_mixed(a, b, y, &plan);
    return NULL;
}

/* ------------------------------------------------------------------ variadic: Max, Min, Sum, Mean */
static cort_status *run_variadic(cort_kctx *ctx, const cort_ew_binary_fn *table, bool mean) {
    if (ctx->n_in < 1) return cort_kerr(ctx, "expected at least one input");
    int64_t dims[CORT_MAX_RANK];
    int rank = 0;
    int32_t type = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (!t) return cort_kerr(ctx, "input %d is missing or not a tensor", i);
        if (i == 0) {
            type = t->type;
            rank = t->rank;
            memcpy(dims, t->dims, sizeof(int64_t) * (size_t)rank);
            continue;
        }
        if (t->type != type)
            return cort_kerr(ctx, "input %d has type %s, expected %s", i, cort_type_name(t->type), cort_type_name(type));
        int64_t next[CORT_MAX_RANK];
        operand acc = {t, dims, rank};
        CORT_TRY(broadcast_shape2(ctx, acc, whole(t), next, &rank));
        memcpy(dims, next, sizeof next);
    }
    cort_ew_binary_fn fn = table_fn(table, type);
    if (!fn) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, type, rank, dims, &y));
    const cort_tensor *first = cort_in(ctx, 0);
    if (ctx->n_in == 1) {
        /* max(x) = x: combining x with itself gives x for every op here but Sum, so copy. */
        if (cort_tensor_count(y) > 0 && y->data != first->data) memcpy(y->data, first->data, cort_tensor_nbytes(first));
    } else {
        /* Run in place, y may be input 0's buffer; the same value passed again later (Sum(x, y, x))
         * would be overwritten by the first pass, so it is read from a copy. */
        cort_tensor copy = {0};
        for (int i = 2; i < ctx->n_in && !copy.data; i++) {
            const cort_tensor *t = cort_in(ctx, i);
            if (t->data != y->data || cort_tensor_count(t) == 0) continue;
            copy = *t;
            copy.data = ctx->svc->scratch(ctx, cort_tensor_nbytes(t));
            if (!copy.data) return cort_kerr(ctx, "out of scratch memory");
            memcpy(copy.data, t->data, cort_tensor_nbytes(t));
        }
        CORT_TRY(apply_binary(ctx, fn, whole(first), whole(cort_in(ctx, 1)), y));
        for (int i = 2; i < ctx->n_in; i++) {
            const cort_tensor *t = cort_in(ctx, i);
            CORT_TRY(apply_binary(ctx, fn, whole(y), whole(copy.data && t->data == y->data ? &copy : t), y));
        }
    }
    if (!mean || ctx->n_in == 1) return NULL;
    /* Mean: divide by the input count, given as a scalar of the same type. */
    uint64_t count_buf = 0;
    cort_tensor count = {.type = type, .rank = 0, .data = &count_buf};
    cort_set_f64(&count, 0, (double)ctx->n_in);
    cort_ew_binary_fn div = table_fn(div_table, type);
    return apply_binary(ctx, div, whole(y), whole(&count), y);
}

static cort_status *run_max(cort_kctx *ctx) { return run_variadic(ctx, max_table, false); }
static cort_status *run_min(cort_kctx *ctx) { return run_variadic(ctx, min_table, false); }
static cort_status *run_sum(cort_kctx *ctx) { return run_variadic(ctx, add_table, false); }
static cort_status *run_mean(cort_kctx *ctx) { return run_variadic(ctx, add_table, true); }

/* ------------------------------------------------------------------ Where */
static cort_status *run_where(cort_kctx *ctx) {
    const cort_tensor *c = cort_in(ctx, 0), *x = cort_in(ctx, 1), *z = cort_in(ctx, 2);
    if (!c || !x || !z) return cort_kerr(ctx, "expected three tensor inputs");
    if (c->type != CORT_BOOL) return cort_kerr(ctx, "condition has type %s, expected bool", cort_type_name(c->type));
    if (x->type != z->type)
        return cort_kerr(ctx, "X and Y have different types %s and %s", cort_type_name(x->type),
                         cort_type_name(z->type));
    int64_t cx[CORT_MAX_RANK], dims[CORT_MAX_RANK];
    int rank_cx, rank;
    CORT_TRY(broadcast_shape2(ctx, whole(c), whole(x), cx, &rank_cx));
    CORT_TRY(broadcast_shape2(ctx, (operand){c, cx, rank_cx}, whole(z), dims, &rank));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, rank, dims, &y));
    cort_ew_select_job job = {c->data, x->data, z->data, y->data, cort_elem_size(x->type), x->type == CORT_STRING,
                              false, {0}};
    const int64_t *in_dims[3] = {c->dims, x->dims, z->dims};
    int ranks[3] = {c->rank, x->rank, z->rank};
    if (!cort_bcast_init(&job.plan, 3, in_dims, ranks, dims, rank)) return cort_kerr(ctx, "operands do not broadcast");
    if (job.strings) {
        char **out = y->data;
        for (int64_t i = 0; i < job.plan.count; i++) out[i] = NULL;
        cort_ew_select_range(&job, 0, job.plan.rows); /* serial: strdup failures are tracked in one flag */
        return job.failed ? cort_oom() : NULL;
    }
    int64_t min_chunk = job.plan.inner >= (1 << 15) ? 1 : (1 << 15) / job.plan.inner;
    ctx->svc->parallel_for(ctx, job.plan.rows, min_chunk, cort_ew_select_range, &job);
    return NULL;
}

/* ------------------------------------------------------------------ PRelu */
static cort_status *run_prelu(cort_kctx *ctx) {
    const binary_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *slope = cort_in(ctx, 1);
    if (!x || !slope) return cort_kerr(ctx, "expected inputs X and slope");
    if (x->type != slope->type)
        return cort_kerr(ctx, "slope has type %s, expected %s", cort_type_name(slope->type), cort_type_name(x->type));
    cort_ew_binary_fn fn = table_fn(prelu_table, x->type);
    if (!fn) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    operand os = whole(slope);
    int64_t channel_dims[CORT_MAX_RANK];
    /* Before opset 7 a 1-D slope of length C applies along the channel axis (dim 1). */
    if (p->legacy_prelu && slope->rank == 1 && x->rank >= 2 && slope->dims[0] == x->dims[1]) {
        for (int i = 0; i < x->rank - 1; i++) channel_dims[i] = 1;
        channel_dims[0] = slope->dims[0];
        os.dims = channel_dims;
        os.rank = x->rank - 1;
    }
    int64_t dims[CORT_MAX_RANK];
    int rank;
    CORT_TRY(broadcast_shape2(ctx, whole(x), os, dims, &rank));
    bool same = rank == x->rank;
    for (int i = 0; same && i < rank; i++) same = dims[i] == x->dims[i];
    if (!same) {
        char sx[128], ss[128];
        return cort_kerr(ctx, "slope of shape %s does not broadcast to X of shape %s",
                         cort_shape_str(slope->dims, slope->rank, ss, sizeof ss),
                         cort_shape_str(x->dims, x->rank, sx, sizeof sx));
    }
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    return apply_binary(ctx, fn, whole(x), os, y);
}

/* ------------------------------------------------------------------ infer */
/* Broadcast of two dims where some may be unknown or symbolic. */
static cort_dim broadcast_dim(cort_dim a, cort_dim b) {
    if (a.value == 1) return b;
    if (b.value == 1) return a;
    if (a.value >= 0 && b.value >= 0) return a.value == b.value ? a : (cort_dim){-1, NULL};
    if (a.value > 1) return a; /* b is unknown: it must be a.value or 1, and 1 leaves a */
    if (b.value > 1) return b;
    if (a.symbol && b.symbol && !strcmp(a.symbol, b.symbol)) return a;
    return (cort_dim){-1, NULL};
}

/* Output type: elem from input `elem_from` (or `elem` when non-zero), shape the broadcast of the
 * inputs in [first, n_in) when all ranks are known. */
static cort_status *infer_broadcast(cort_infer_ctx *ic, int first, int elem_from, int32_t elem) {
    if (ic->n_out < 1) return NULL;
    int32_t out_elem = elem;
    if (!out_elem && elem_from < ic->n_in && ic->in[elem_from] && ic->in[elem_from]->kind == CORT_TYPE_TENSOR)
        out_elem = ic->in[elem_from]->elem;
    int rank = 0;
    for (int i = first; i < ic->n_in; i++) {
        const cort_type *t = ic->in[i];
        if (!t || t->kind != CORT_TYPE_TENSOR || t->rank < 0 || t->rank > CORT_MAX_RANK) {
            cort_type_set_tensor(&ic->out[0], out_elem, -1, NULL);
            return NULL;
        }
        if (t->rank > rank) rank = t->rank;
    }
    cort_dim *dims = rank ? cort_pool_calloc(ic->pool, (size_t)rank, sizeof *dims) : NULL;
    if (rank && !dims) return cort_oom();
    for (int d = 0; d < rank; d++) dims[d] = (cort_dim){1, NULL};
    for (int i = first; i < ic->n_in; i++) {
        const cort_type *t = ic->in[i];
        for (int d = 0; d < t->rank; d++) {
            int od = rank - t->rank + d;
            dims[od] = broadcast_dim(dims[od], t->dims[d]);
        }
    }
    cort_type_set_tensor(&ic->out[0], out_elem, rank, dims);
    return NULL;
}

static cort_status *infer_arith(cort_infer_ctx *ic) {
    const binary_params *p = ic->params;
    if (p && p->legacy) { /* the output has A's shape */
        if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
        return cort_type_copy(ic->pool, &ic->out[0], ic->in[0]);
    }
    return infer_broadcast(ic, 0, 0, 0);
}

static cort_status *infer_compare(cort_infer_ctx *ic) {
    CORT_TRY(infer_arith(ic));
    if (ic->n_out >= 1 && ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = CORT_BOOL;
    return NULL;
}

static cort_status *infer_where(cort_infer_ctx *ic) { return infer_broadcast(ic, 0, 1, 0); }

static cort_status *infer_first(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], ic->in[0]);
}

/* ------------------------------------------------------------------ table */
#define MAX CORT_OPSET_MAX
#define NUM CORT_TS_NUM
#define FLT CORT_TS_FLOAT
#define SZ sizeof(binary_params)
#define CMP_TYPES (CORT_TS_NUM | CORT_T(CORT_BOOL))
/* The row functions read a[i] before writing y[i], so output 0 may share input 0's buffer (the
 * planner only does so when they have the same size, i.e. input 0 is not broadcast). */
#define INPLACE CORT_OP_INPLACE_INPUT0
/* Ops that had the legacy broadcast attributes before opset 7 get two rows sharing the kernel. */
#define LEGACY_ROWS(name, since, types, infer, fn)                                   \
    {"", name, since, 6, types, 0, SZ, parse_binary, infer, NULL, fn, INPLACE},      \
    {"", name, 7, MAX, types, 0, SZ, parse_binary, infer, NULL, fn, INPLACE}
/* Comparisons write bool from wider inputs: a broadcast input 0 can have the output's byte size, so
 * they never run in place. */
#define COMPARE_ROWS(name, since, types, infer, fn)                                  \
    {"", name, since, 6, types, 0, SZ, parse_binary, infer, NULL, fn, 0},            \
    {"", name, 7, MAX, types, 0, SZ, parse_binary, infer, NULL, fn, 0}

const cort_op_def cort_ops_binary[] = {
    LEGACY_ROWS("Add", 1, NUM, infer_arith, run_add),
    LEGACY_ROWS("Sub", 1, NUM, infer_arith, run_sub),
    LEGACY_ROWS("Mul", 1, NUM, infer_arith, run_mul),
    LEGACY_ROWS("Div", 1, NUM, infer_arith, run_div),
    LEGACY_ROWS("Pow", 1, NUM, infer_arith, run_pow),
    LEGACY_ROWS("And", 1, CORT_T(CORT_BOOL), infer_compare, run_and),
    LEGACY_ROWS("Or", 1, CORT_T(CORT_BOOL), infer_compare, run_or),
    LEGACY_ROWS("Xor", 1, CORT_T(CORT_BOOL), infer_compare, run_xor),
    COMPARE_ROWS("Equal", 1, CORT_TS_ALL, infer_compare, run_equal),
    COMPARE_ROWS("Less", 1, CMP_TYPES, infer_compare, run_less),
    COMPARE_ROWS("Greater", 1, CMP_TYPES, infer_compare, run_greater),
    {"", "LessOrEqual", 12, MAX, CMP_TYPES, 0, SZ, parse_binary, infer_compare, NULL, run_less_equal, 0},
    {"", "GreaterOrEqual", 12, MAX, CMP_TYPES, 0, SZ, parse_binary, infer_compare, NULL, run_greater_equal, 0},
    {"", "Mod", 10, MAX, NUM, 0, SZ, parse_mod, infer_arith, NULL, run_mod, INPLACE},
    {"", "BitShift", 11, MAX, CORT_TS_UINT, 0, SZ, parse_bitshift, infer_arith, NULL, run_bitshift, INPLACE},
    {"", "Max", 1, MAX, NUM, 0, SZ, NULL, infer_arith, NULL, run_max, INPLACE},
    {"", "Min", 1, MAX, NUM, 0, SZ, NULL, infer_arith, NULL, run_min, INPLACE},
    {"", "Sum", 1, MAX, NUM, 0, SZ, NULL, infer_arith, NULL, run_sum, INPLACE},
    {"", "Mean", 1, MAX, FLT, 0, SZ, NULL, infer_arith, NULL, run_mean, INPLACE},
    {"", "Where", 9, MAX, CORT_TS_ANY, 0, SZ, NULL, infer_where, NULL, run_where, 0},
    {"", "PRelu", 1, 6, NUM, 0, SZ, parse_prelu, infer_first, NULL, run_prelu, INPLACE},
    {"", "PRelu", 7, MAX, NUM, 0, SZ, parse_prelu, infer_first, NULL, run_prelu, INPLACE},
    {0},
};
