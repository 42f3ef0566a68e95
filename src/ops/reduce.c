/* Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare and ArgMax/ArgMin.
 *
 * A reduction walks the input once in memory order; every element lands in the accumulator of its
 * output position (output strides are 0 along reduced axes), so any set of axes costs one pass.
 * Floating types accumulate in double; integer types in int64 so that sums and products of int64
 * stay exact. Reducing over an empty set gives the operation's identity (0 for sums, 1 for products,
 * -inf / the type's minimum for Max, ...), as ONNX Runtime does. */
#include <math.h>
#include <string.h>

#include "ops/op.h"

typedef enum reduce_kind {
    RK_SUM, RK_MEAN, RK_MAX, RK_MIN, RK_PROD, RK_L1, RK_L2, RK_LOG_SUM, RK_LOG_SUM_EXP, RK_SUM_SQUARE,
    RK_ARGMAX, RK_ARGMIN
} reduce_kind;

typedef struct reduce_params {
    reduce_kind kind;
    bool keepdims;
    bool noop_with_empty_axes;
    bool select_last_index;
    bool axes_from_input; /* ReduceSum from opset 13 */
    int64_t axis;         /* ArgMax/ArgMin */
    int64_t n_axes;       /* -1: no axes attribute */
    const int64_t *axes;
} reduce_params;

static const struct { const char *op; reduce_kind kind; } reduce_names[] = {
    {"ReduceSum", RK_SUM},     {"ReduceMean", RK_MEAN},         {"ReduceMax", RK_MAX},
    {"ReduceMin", RK_MIN},     {"ReduceProd", RK_PROD},         {"ReduceL1", RK_L1},
    {"ReduceL2", RK_L2},       {"ReduceLogSum", RK_LOG_SUM},    {"ReduceLogSumExp", RK_LOG_SUM_EXP},
    {"ReduceSumSquare", RK_SUM_SQUARE}, {"ArgMax", RK_ARGMAX}, {"ArgMin", RK_ARGMIN},
};

static cort_status *reduce_parse(cort_parse_ctx *pc) {
    reduce_params *p = pc->params;
    const cort_node *node = pc->node;
    size_t i = 0, n = sizeof reduce_names / sizeof reduce_names[0];
    while (i < n && strcmp(reduce_names[i].op, node->op_type)) i++;
    if (i == n) return cort_node_error(node, CORT_NOT_IMPLEMENTED, "not a reduction");
    p->kind = reduce_names[i].kind;
    int64_t keepdims = cort_attr_int(node, "keepdims", 1);
    if (keepdims != 0 && keepdims != 1)
        return cort_node_error(node, CORT_INVALID_ARGUMENT, "keepdims must be 0 or 1, got %lld", (long long)keepdims);
    p->keepdims = keepdims != 0;
    p->noop_with_empty_axes = cort_attr_int(node, "noop_with_empty_axes", 0) != 0;
    p->select_last_index = cort_attr_int(node, "select_last_index", 0) != 0;
    p->axis = cort_attr_int(node, "axis", 0);
    p->axes_from_input = p->kind == RK_SUM && node->opset >= 13;
    p->n_axes = p->axes_from_input ? -1 : cort_attr_ints(node, "axes", &p->axes);
    if (p->n_axes > CORT_MAX_RANK)
        return cort_node_error(node, CORT_INVALID_ARGUMENT, "%lld axes given, at most %d supported",
                               (long long)p->n_axes, CORT_MAX_RANK);
    return NULL;
}

/* ---------------------------------------------------------------- axes */

/* Marks the reduced axes in `mask`. *all is set when no axes were given (reduce everything, or
 * nothing with noop_with_empty_axes). Fails on an out-of-range or repeated axis. */
static bool axes_to_mask(const int64_t *axes, int64_t n_axes, int rank, bool mask[CORT_MAX_RANK],
                         int64_t *bad_axis) {
    memset(mask, 0, sizeof(bool) * CORT_MAX_RANK);
    for (int64_t i = 0; i < n_axes; i++) {
        int a;
        if (!cort_norm_axis(axes[i], rank, &a) || mask[a]) {
            *bad_axis = axes[i];
            return false;
        }
        mask[a] = true;
    }
    return true;
}

/* The axes to reduce at run: from the attribute or (ReduceSum-13) the optional input 1. *n < 0 or
 * 0 means none were given. `store` holds axes read from the input. */
static cort_status *run_axes(const cort_kctx *ctx, const reduce_params *p, int64_t store[CORT_MAX_RANK],
                             const int64_t **axes, int64_t *n) {
    *axes = p->axes;
    *n = p->n_axes;
    if (!p->axes_from_input) return NULL;
    const cort_tensor *t = cort_in(ctx, 1);
    *n = -1;
    if (!t) return NULL;
    if (t->type != CORT_INT64) return cort_kerr(ctx, "axes must be int64, got %s", cort_type_name(t->type));
    if (t->rank != 1) return cort_kerr(ctx, "axes must be 1-D, got rank %d", t->rank);
    int64_t count = cort_tensor_count(t);
    if (count > CORT_MAX_RANK) return cort_kerr(ctx, "%lld axes given, at most %d", (long long)count, CORT_MAX_RANK);
    for (int64_t i = 0; i < count; i++) store[i] = ((const int64_t *)t->data)[i];
    *axes = store;
    *n = count;
    return NULL;
}

/* ---------------------------------------------------------------- element rows */

static void load_row_f64(const cort_tensor *t, int64_t start, int64_t n, double *dst) {
    switch (t->type) {
    case CORT_FLOAT: {
        const float *s = (const float *)t->data + start;
        for (int64_t i = 0; i < n; i++) dst[i] = s[i];
        break;
    }
    case CORT_DOUBLE: memcpy(dst, (const double *)t->data + start, (size_t)n * sizeof(double)); break;
    default:
        for (int64_t i = 0; i < n; i++) dst[i] = cort_get_f64(t, start + i);
    }
}

static void load_row_i64(const cort_tensor *t, int64_t start, int64_t n, int64_t *dst) {
    if (t->type == CORT_INT64) {
        memcpy(dst, (const int64_t *)t->data + start, (size_t)n * sizeof(int64_t));
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = cort_get_i64(t, start + i);
}

static bool is_float_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_FLOAT16 || t == CORT_BFLOAT16;
}
static bool is_int_type(int32_t t) {
    return t == CORT_INT8 || t == CORT_UINT8 || t == CORT_INT16 || t == CORT_UINT16 || t == CORT_INT32 ||
           t == CORT_UINT32 || t == CORT_INT64 || t == CORT_UINT64;
}

static int64_t int_type_min(int32_t t) {
    switch (t) {
    case CORT_INT8: return INT8_MIN;
    case CORT_INT16: return INT16_MIN;
    case CORT_INT32: return INT32_MIN;
    case CORT_INT64: return INT64_MIN;
    default: return 0; /* unsigned */
    }
}
static int64_t int_type_max(int32_t t) {
    switch (t) {
    case CORT_INT8: return INT8_MAX;
    case CORT_UINT8: return UINT8_MAX;
    case CORT_INT16: return INT16_MAX;
    case CORT_UINT16: return UINT16_MAX;
    case CORT_INT32: return INT32_MAX;
    case CORT_UINT32: return UINT32_MAX;
    default: return INT64_MAX;
    }
}

/* ---------------------------------------------------------------- the walk */

/* Shape of a reduction after merging: axes of size 1 are dropped and neighbouring axes that are
 * both reduced or both kept become one, so the innermost axis is as long as possible and its
 * output stride is 0 (reduced) or 1 (kept). */
typedef struct reduce_shape {
    int rank;
    int64_t dims[CORT_MAX_RANK];
    int64_t out_stride[CORT_MAX_RANK];
    int64_t in_count, out_count, group; /* group: input elements per output element */
} reduce_shape;

/* `out_count` is the output's element count. An empty input only needs the identity written, and
 * its dims may be anything (products of them could overflow), so it gets no walk at all. */
static void reduce_shape_init(reduce_shape *s, const cort_tensor *x, const bool mask[CORT_MAX_RANK],
                              int64_t out_count) {
    int64_t dims[CORT_MAX_RANK];
    bool red[CORT_MAX_RANK];
    int r = 0;
    s->in_count = cort_tensor_count(x);
    s->group = 1;
    if (s->in_count == 0) {
        s->rank = 0;
        s->group = 0;
        s->out_count = out_count;
        return;
    }
    for (int d = 0; d < x->rank; d++) {
        if (mask[d]) s->group *= x->dims[d];
        if (x->dims[d] == 1) continue;
        if (r > 0 && red[r - 1] == mask[d]) {
            dims[r - 1] *= x->dims[d];
        } else {
            dims[r] = x->dims[d];
            red[r++] = mask[d];
        }
    }
    s->rank = r;
    int64_t stride = 1;
    for (int d = r - 1; d >= 0; d--) {
        s->dims[d] = dims[d];
        s->out_stride[d] = red[d] ? 0 : stride;
        if (!red[d]) stride *= dims[d];
    }
    s->out_count = stride;
}

typedef enum accum_op { ACC_SUM, ACC_PROD, ACC_MAX, ACC_MIN } accum_op;
typedef enum elem_map { MAP_NONE, MAP_ABS, MAP_SQUARE, MAP_EXP_SHIFTED } elem_map;

/* Applies the per-element map in place; MAP_EXP_SHIFTED subtracts shift[j * shift_stride]. */
static void map_row_f64(elem_map m, double *row, int64_t n, const double *shift, int64_t shift_stride) {
    switch (m) {
    case MAP_ABS: for (int64_t j = 0; j < n; j++) row[j] = fabs(row[j]); break;
    case MAP_SQUARE: for (int64_t j = 0; j < n; j++) row[j] *= row[j]; break;
    case MAP_EXP_SHIFTED: for (int64_t j = 0; j < n; j++) row[j] = exp(row[j] - shift[j * shift_stride]); break;
    case MAP_NONE: break;
    }
}

/* Sum with four partial sums: shorter dependency chains, and the compiler can vectorise it. */
static double sum_f64(const double *r, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) s0 += r[j], s1 += r[j + 1], s2 += r[j + 2], s3 += r[j + 3];
    for (; j < n; j++) s0 += r[j];
    return (s0 + s1) + (s2 + s3);
}

/* NaN propagates through Max and Min, as in numpy. */
static double max_f64(double a, double v) { return v > a || isnan(v) ? v : a; }
static double min_f64(double a, double v) { return v < a || isnan(v) ? v : a; }

/* Folds a row into the accumulator: all into acc[0] (acc_stride 0) or element-wise (stride 1). */
static void combine_row_f64(accum_op op, const double *row, int64_t n, double *acc, int64_t acc_stride) {
    if (acc_stride == 0) {
        double a = acc[0];
        switch (op) {
        case ACC_SUM: a += sum_f64(row, n); break;
        case ACC_PROD: for (int64_t j = 0; j < n; j++) a *= row[j]; break;
        case ACC_MAX:
        case ACC_MIN: {
            /* branch-free extreme plus a separate NaN flag, so the loop vectorises */
            bool nan = isnan(a);
            for (int64_t j = 0; j < n; j++) {
                double v = row[j];
                a = op == ACC_MAX ? (v > a ? v : a) : (v < a ? v : a);
                nan |= v != v;
            }
            if (nan) a = NAN;
            break;
        }
        }
        acc[0] = a;
        return;
    }
    switch (op) {
    case ACC_SUM: for (int64_t j = 0; j < n; j++) acc[j] += row[j]; break;
    case ACC_PROD: for (int64_t j = 0; j < n; j++) acc[j] *= row[j]; break;
    case ACC_MAX: for (int64_t j = 0; j < n; j++) acc[j] = max_f64(acc[j], row[j]); break;
    case ACC_MIN: for (int64_t j = 0; j < n; j++) acc[j] = min_f64(acc[j], row[j]); break;
    }
}

/* combine_row_f64 reading float input directly: the common float32 Sum/Mean/Max/Min/Prod case
 * skips the conversion buffer. */
static void combine_row_f32(accum_op op, const float *row, int64_t n, double *acc, int64_t acc_stride) {
    if (acc_stride == 0 && op == ACC_SUM) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) s0 += row[j], s1 += row[j + 1], s2 += row[j + 2], s3 += row[j + 3];
        for (; j < n; j++) s0 += row[j];
        acc[0] += (s0 + s1) + (s2 + s3);
    } else if (acc_stride == 0 && (op == ACC_MAX || op == ACC_MIN)) {
        float a = (float)acc[0];
        bool nan = isnan(acc[0]);
        for (int64_t j = 0; j < n; j++) {
            float v = row[j];
            a = op == ACC_MAX ? (v > a ? v : a) : (v < a ? v : a);
            nan |= v != v;
        }
        acc[0] = nan ? NAN : a;
    } else if (op == ACC_SUM) {
        for (int64_t j = 0; j < n; j++) acc[j] += row[j];
    } else {
        for (int64_t j = 0; j < n; j++) {
            double v = row[j];
            combine_row_f64(op, &v, 1, acc + j * acc_stride, 0);
        }
    }
}

/* Integer arithmetic wraps (through uint64) instead of overflowing, like the fixed-width types. */
static void map_row_i64(elem_map m, int64_t *row, int64_t n) {
    switch (m) {
    case MAP_ABS:
        for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0 ? (int64_t)(0 - (uint64_t)row[j]) : row[j];
        break;
    case MAP_SQUARE:
        for (int64_t j = 0; j < n; j++) row[j] = (int64_t)((uint64_t)row[j] * (uint64_t)row[j]);
        break;
    default: break;
    }
}

static int64_t combine_i64(accum_op op, int64_t a, int64_t v) {
    switch (op) {
    case ACC_SUM: return (int64_t)((uint64_t)a + (uint64_t)v);
    case ACC_PROD: return (int64_t)((uint64_t)a * (uint64_t)v);
    case ACC_MAX: return v > a ? v : a;
    case ACC_MIN: return v < a ? v : a;
    }
    return a;
}

static void combine_row_i64(accum_op op, const int64_t *row, int64_t n, int64_t *acc, int64_t acc_stride) {
    for (int64_t j = 0; j < n; j++) acc[j * acc_stride] = combine_i64(op, acc[j * acc_stride], row[j]);
}

/* Walks the innermost rows of a merged shape in memory order, tracking each row's output offset. */
typedef struct row_iter {
    int64_t idx[CORT_MAX_RANK];
    int64_t start, out, inner;
} row_iter;

static void row_iter_init(row_iter *it, const reduce_shape *s) {
    memset(it, 0, sizeof *it);
    it->inner = s->rank ? s->dims[s->rank - 1] : 1;
}

static void row_iter_next(row_iter *it, const reduce_shape *s) {
    it->start += it->inner;
    for (int d = s->rank - 2; d >= 0; d--) {
        it->out += s->out_stride[d];
        if (++it->idx[d] < s->dims[d]) return;
        it->out -= s->out_stride[d] * s->dims[d];
        it->idx[d] = 0;
    }
}

/* Rows are processed in chunks of this many elements so the conversion buffer stays in cache. */
#define ROW_CHUNK 2048

/* One pass over x: acc[out] op= map(x). `shift` (per output, may be NULL) feeds MAP_EXP_SHIFTED.
 * `row` holds ROW_CHUNK doubles. */
static void walk_f64(const reduce_shape *s, const cort_tensor *x, accum_op op, elem_map m, double *acc,
                     const double *shift, double *row) {
    int64_t stride = s->rank ? s->out_stride[s->rank - 1] : 0;
    row_iter it;
    for (row_iter_init(&it, s); it.start < s->in_count; row_iter_next(&it, s)) {
        if (x->type == CORT_FLOAT && m == MAP_NONE) {
            combine_row_f32(op, (const float *)x->data + it.start, it.inner, acc + it.out, stride);
            continue;
        }
        for (int64_t c = 0; c < it.inner; c += ROW_CHUNK) {
            int64_t n = it.inner - c < ROW_CHUNK ? it.inner - c : ROW_CHUNK, out = it.out + c * stride;
            load_row_f64(x, it.start + c, n, row);
            map_row_f64(m, row, n, shift ? shift + out : NULL, stride);
            combine_row_f64(op, row, n, acc + out, stride);
        }
    }
}

static void walk_i64(const reduce_shape *s, const cort_tensor *x, accum_op op, elem_map m, int64_t *acc,
                     int64_t *row) {
    int64_t stride = s->rank ? s->out_stride[s->rank - 1] : 0;
    row_iter it;
    for (row_iter_init(&it, s); it.start < s->in_count; row_iter_next(&it, s)) {
        for (int64_t c = 0; c < it.inner; c += ROW_CHUNK) {
            int64_t n = it.inner - c < ROW_CHUNK ? it.inner - c : ROW_CHUNK, out = it.out + c * stride;
            load_row_i64(x, it.start + c, n, row);
            map_row_i64(m, row, n);
            combine_row_i64(op, row, n, acc + out, stride);
        }
    }
}

static accum_op kind_accum(reduce_kind k) {
    switch (k) {
    case RK_MAX: return ACC_MAX;
    case RK_MIN: return ACC_MIN;
    case RK_PROD: return ACC_PROD;
    default: return ACC_SUM;
    }
}

static elem_map kind_map(reduce_kind k) {
    switch (k) {
    case RK_L1: return MAP_ABS;
    case RK_L2: case RK_SUM_SQUARE: return MAP_SQUARE;
    case RK_LOG_SUM_EXP: return MAP_EXP_SHIFTED;
    default: return MAP_NONE;
    }
}

static double identity_f64(accum_op op) {
    switch (op) {
    case ACC_PROD: return 1;
    case ACC_MAX: return -INFINITY;
    case ACC_MIN: return INFINITY;
    default: return 0;
    }
}

static double finish_f64(reduce_kind k, double acc, int64_t group, double shift) {
    switch (k) {
    case RK_MEAN: return acc / (double)group;
    case RK_L2: return sqrt(acc);
    case RK_LOG_SUM: return log(acc);
    case RK_LOG_SUM_EXP: return log(acc) + shift;
    default: return acc;
    }
}

/* Float rows reduced independently ([K, R] after merging: every row owns one output), split over
 * the session's threads. */
typedef struct row_job {
    const float *x;
    double *acc;
    int64_t row_len;
    accum_op op;
} row_job;

static void reduce_rows_f32(void *arg, int64_t begin, int64_t end) {
    const row_job *j = arg;
    for (int64_t r = begin; r < end; r++) combine_row_f32(j->op, j->x + r * j->row_len, j->row_len, j->acc + r, 0);
}

/* Below this many elements a reduction is not worth handing to other threads. */
#define PARALLEL_MIN_ELEMENTS (1 << 16)

static cort_status *reduce_float(cort_kctx *ctx, const reduce_shape *s, const cort_tensor *x, cort_tensor *y,
                                 reduce_kind k) {
    double *acc = ctx->svc->scratch(ctx, (size_t)(s->out_count + 1) * sizeof(double));
    double *row = ctx->svc->scratch(ctx, ROW_CHUNK * sizeof(double));
    double *shift = NULL;
    if (!acc || !row) return cort_kerr(ctx, "out of scratch memory");
    if (k == RK_LOG_SUM_EXP) {
        /* subtract the maximum before exp() so large inputs do not overflow */
        shift = ctx->svc->scratch(ctx, (size_t)(s->out_count + 1) * sizeof(double));
        if (!shift) return cort_kerr(ctx, "out of scratch memory");
        for (int64_t i = 0; i < s->out_count; i++) shift[i] = -INFINITY;
        walk_f64(s, x, ACC_MAX, MAP_NONE, shift, NULL, row);
        for (int64_t i = 0; i < s->out_count; i++)
            if (isinf(shift[i])) shift[i] = 0;
    }
    accum_op op = kind_accum(k);
    for (int64_t i = 0; i < s->out_count; i++) acc[i] = identity_f64(op);
    bool rows_own_outputs = s->rank == 2 && s->out_stride[0] == 1 && s->out_stride[1] == 0;
    if (x->type == CORT_FLOAT && kind_map(k) == MAP_NONE && rows_own_outputs && s->in_count >= PARALLEL_MIN_ELEMENTS) {
        row_job job = {x->data, acc, s->dims[1], op};
        int64_t min_rows = PARALLEL_MIN_ELEMENTS / 4 / s->dims[1] + 1;
        ctx->svc->parallel_for(ctx, s->dims[0], min_rows, reduce_rows_f32, &job);
    } else {
        walk_f64(s, x, op, kind_map(k), acc, shift, row);
    }
    if (y->type == CORT_FLOAT) {
        float *out = y->data;
        for (int64_t i = 0; i < s->out_count; i++) out[i] = (float)finish_f64(k, acc[i], s->group, shift ? shift[i] : 0);
    } else {
        for (int64_t i = 0; i < s->out_count; i++)
            cort_set_f64(y, i, finish_f64(k, acc[i], s->group, shift ? shift[i] : 0));
    }
    return NULL;
}

/* Integer inputs: exact int64 accumulation where the result stays an integer sum/product/extreme;
 * the transcendental kinds go through double and are converted back. */
static cort_status *reduce_int(cort_kctx *ctx, const reduce_shape *s, const cort_tensor *x, cort_tensor *y,
                               reduce_kind k) {
    if (k == RK_L2 || k == RK_LOG_SUM || k == RK_LOG_SUM_EXP) {
        cort_tensor tmp = *y;
        tmp.type = CORT_DOUBLE;
        tmp.data = ctx->svc->scratch(ctx, (size_t)(s->out_count + 1) * sizeof(double));
        if (!tmp.data) return cort_kerr(ctx, "out of scratch memory");
        CORT_TRY(reduce_float(ctx, s, x, &tmp, k));
        /* log(0) = -inf and friends saturate at the type's limits instead of overflowing the cast */
        double lo = (double)int_type_min(x->type), hi = (double)int_type_max(x->type);
        for (int64_t i = 0; i < s->out_count; i++) {
            double v = ((double *)tmp.data)[i];
            cort_set_i64(y, i, isnan(v) ? 0 : v <= lo ? int_type_min(x->type) : v >= hi ? int_type_max(x->type) : (int64_t)v);
        }
        return NULL;
    }
    int64_t *acc = ctx->svc->scratch(ctx, (size_t)(s->out_count + 1) * sizeof(int64_t));
    int64_t *row = ctx->svc->scratch(ctx, ROW_CHUNK * sizeof(int64_t));
    if (!acc || !row) return cort_kerr(ctx, "out of scratch memory");
    accum_op op = kind_accum(k);
    int64_t init = op == ACC_PROD ? 1 : op == ACC_MAX ? int_type_min(x->type) : op == ACC_MIN ? int_type_max(x->type) : 0;
    for (int64_t i = 0; i < s->out_count; i++) acc[i] = init;
    walk_i64(s, x, op, kind_map(k), acc, row);
    for (int64_t i = 0; i < s->out_count; i++) {
        int64_t v = acc[i];
        if (k == RK_MEAN) v = s->group ? v / s->group : 0;
        cort_set_i64(y, i, v);
    }
    return NULL;
}

static cort_status *copy_input(cort_kctx *ctx, const cort_tensor *x) {
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    memcpy(y->data, x->data, cort_tensor_nbytes(x));
    return NULL;
}

static cort_status *reduce_run(cort_kctx *ctx) {
    const reduce_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input data");
    bool is_float = is_float_type(x->type);
    if (!is_float && !is_int_type(x->type))
        return cort_kerr(ctx, "element type %s not supported", cort_type_name(x->type));
    int64_t store[CORT_MAX_RANK];
    const int64_t *axes;
    int64_t n_axes, bad;
    CORT_TRY(run_axes(ctx, p, store, &axes, &n_axes));
    bool mask[CORT_MAX_RANK];
    if (n_axes <= 0) {
        if (p->noop_with_empty_axes) return copy_input(ctx, x);
        for (int d = 0; d < CORT_MAX_RANK; d++) mask[d] = d < x->rank;
    } else if (!axes_to_mask(axes, n_axes, x->rank, mask, &bad)) {
        return cort_kerr(ctx, "axis %lld is out of range or repeated for input of rank %d", (long long)bad, x->rank);
    }
    int64_t out_dims[CORT_MAX_RANK];
    int out_rank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!mask[d]) out_dims[out_rank++] = x->dims[d];
        else if (p->keepdims) out_dims[out_rank++] = 1;
    }
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, out_rank, out_dims, &y));
    reduce_shape s;
    reduce_shape_init(&s, x, mask, cort_tensor_count(y));
    return is_float ? reduce_float(ctx, &s, x, y, p->kind) : reduce_int(ctx, &s, x, y, p->kind);
}

/* ---------------------------------------------------------------- ArgMax / ArgMin */

static bool better_f64(double v, double best, bool want_max, bool last) {
    if (isnan(best)) return false;
    if (isnan(v)) return true; /* NaN wins, as in numpy */
    return want_max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
}
static bool better_i64(int64_t v, int64_t best, bool want_max, bool last) {
    return want_max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
}

static int64_t arg_extreme_f32(const float *x, int64_t n, int64_t stride, bool want_max, bool last) {
    int64_t best_at = 0;
    float best = x[0];
    for (int64_t j = 1; j < n; j++) {
        float v = x[j * stride];
        if (better_f64(v, best, want_max, last)) best = v, best_at = j;
    }
    return best_at;
}

static int64_t arg_extreme_f64(const cort_tensor *x, int64_t base, int64_t n, int64_t stride, bool want_max, bool last) {
    int64_t best_at = 0;
    double best = cort_get_f64(x, base);
    for (int64_t j = 1; j < n; j++) {
        double v = cort_get_f64(x, base + j * stride);
        if (better_f64(v, best, want_max, last)) best = v, best_at = j;
    }
    return best_at;
}

static int64_t arg_extreme_i64(const cort_tensor *x, int64_t base, int64_t n, int64_t stride, bool want_max, bool last) {
    int64_t best_at = 0;
    int64_t best = cort_get_i64(x, base);
    for (int64_t j = 1; j < n; j++) {
        int64_t v = cort_get_i64(x, base + j * stride);
        if (better_i64(v, best, want_max, last)) best = v, best_at = j;
    }
    return best_at;
}

static cort_status *arg_run(cort_kctx *ctx) {
    const reduce_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input data");
    bool is_float = is_float_type(x->type);
    if (!is_float && !is_int_type(x->type))
        return cort_kerr(ctx, "element type %s not supported", cort_type_name(x->type));
    int axis;
    if (!cort_norm_axis(p->axis, x->rank, &axis))
        return cort_kerr(ctx, "axis %lld is out of range for input of rank %d", (long long)p->axis, x->rank);
    int64_t out_dims[CORT_MAX_RANK];
    int out_rank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != axis) out_dims[out_rank++] = x->dims[d];
        else if (p->keepdims) out_dims[out_rank++] = 1;
    }
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, out_rank, out_dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    int64_t n = x->dims[axis], outer = 1, inner = 1;
    if (n == 0) return cort_kerr(ctx, "cannot take the arg extreme of an empty axis");
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    int64_t *out = y->data;
    bool want_max = p->kind == RK_ARGMAX, last = p->select_last_index;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i;
            out[o * inner + i] = x->type == CORT_FLOAT ? arg_extreme_f32((const float *)x->data + base, n, inner, want_max, last)
                                 : is_float ? arg_extreme_f64(x, base, n, inner, want_max, last)
                                            : arg_extreme_i64(x, base, n, inner, want_max, last);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- shape inference */

static cort_status *reduce_infer(cort_infer_ctx *ic) {
    const reduce_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    bool is_arg = p->kind == RK_ARGMAX || p->kind == RK_ARGMIN;
    int32_t elem = is_arg ? CORT_INT64 : x->elem;
    cort_type_set_tensor(&ic->out[0], elem, -1, NULL);
    if (x->rank < 0) return NULL;
    int64_t store[CORT_MAX_RANK];
    const int64_t *axes = p->axes;
    int64_t n_axes = p->n_axes;
    if (is_arg) {
        axes = &p->axis;
        n_axes = 1;
    } else if (p->axes_from_input && ic->n_in > 1 && ic->in[1]) {
        const cort_tensor *t = ic->in_const ? ic->in_const[1] : NULL;
        if (!t) {
            if (p->keepdims) { /* rank known, dims not */
                cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)x->rank + 1, sizeof(cort_dim));
                if (!dims) return cort_oom();
                for (int d = 0; d < x->rank; d++) dims[d].value = -1;
                cort_type_set_tensor(&ic->out[0], elem, x->rank, dims);
            }
            return NULL;
        }
        if (t->type != CORT_INT64 || cort_tensor_count(t) > CORT_MAX_RANK) return NULL;
        n_axes = cort_tensor_count(t);
        for (int64_t i = 0; i < n_axes; i++) store[i] = ((const int64_t *)t->data)[i];
        axes = store;
    } else if (p->axes_from_input) {
        n_axes = -1;
    }
    bool mask[CORT_MAX_RANK];
    int64_t bad;
    if (n_axes <= 0) {
        if (p->noop_with_empty_axes) return cort_type_copy(ic->pool, &ic->out[0], x);
        for (int d = 0; d < CORT_MAX_RANK; d++) mask[d] = d < x->rank;
    } else if (!axes_to_mask(axes, n_axes, x->rank, mask, &bad)) {
        return cort_node_error(ic->node, CORT_INVALID_ARGUMENT, "axis %lld is out of range or repeated for rank %d",
                               (long long)bad, x->rank);
    }
    cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)x->rank + 1, sizeof(cort_dim));
    if (!dims) return cort_oom();
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!mask[d]) dims[r++] = x->dims[d];
        else if (p->keepdims) dims[r++] = (cort_dim){1, NULL};
    }
    cort_type_set_tensor(&ic->out[0], elem, r, dims);
    return NULL;
}

#define REDUCE_ROW(name, since, until, types) \
    {"", name, since, until, types, 0, sizeof(reduce_params), reduce_parse, reduce_infer, NULL, reduce_run, 0}
#define ARG_ROW(name) \
    {"", name, 1, CORT_OPSET_MAX, CORT_TS_NUM, 0, sizeof(reduce_params), reduce_parse, reduce_infer, NULL, arg_run, 0}

const cort_op_def cort_ops_reduce[] = {
    REDUCE_ROW("ReduceSum", 1, 12, CORT_TS_NUM),
    REDUCE_ROW("ReduceSum", 13, CORT_OPSET_MAX, CORT_TS_NUM),
    /* the others take axes as an input from opset 18 */
    REDUCE_ROW("ReduceMean", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceMax", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceMin", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceProd", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceL1", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceL2", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceLogSum", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceLogSumExp", 1, 17, CORT_TS_NUM),
    REDUCE_ROW("ReduceSumSquare", 1, 17, CORT_TS_NUM),
    ARG_ROW("ArgMax"),
    ARG_ROW("ArgMin"),
    {0},
};
