/* Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis` (the
 * function runs over all dims from axis on); from 13 it runs along the one dim `axis`. */
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "kernels/generic/elementwise.h"
#include "kernels/transformer.h"
#include "ops/op.h"

typedef enum softmax_kind { SOFTMAX, LOG_SOFTMAX, HARDMAX } softmax_kind;

typedef struct softmax_params {
    int64_t axis;
    bool coerce_2d;
} softmax_params;

/* A tensor seen as [outer, len, inner]; the function runs over `len` elements `inner` apart. */
typedef struct softmax_job {
    softmax_kind kind;
    bool f64;
    const void *x;
    void *y;
    int64_t len, inner;
} softmax_job;

/* One line of n elements at stride s. */
#define SOFTMAX_LINE(name, T)                                                          \
    static void name(softmax_kind kind, const T *x, T *y, int64_t n, int64_t s) {      \
        T max = x[0];                                                                  \
        int64_t arg = 0;                                                               \
        for (int64_t k = 1; k < n; k++)                                                \
            if (x[k * s] > max) max = x[k * s], arg = k;                               \
        if (kind == HARDMAX) {                                                         \
            for (int64_t k = 0; k < n; k++) y[k * s] = k == arg;                       \
            return;                                                                    \
        }                                                                              \
        T sum = 0;                                                                     \
        if (kind == LOG_SOFTMAX) {                                                     \
            for (int64_t k = 0; k < n; k++) sum += exp(x[k * s] - max);                \
            T shift = max + log(sum);                                                  \
            for (int64_t k = 0; k < n; k++) y[k * s] = x[k * s] - shift;               \
            return;                                                                    \
        }                                                                              \
        /* one exp per element: keep exp(x - max) in y, then scale (fine in place) */  \
        for (int64_t k = 0; k < n; k++) {                                              \
            T e = exp(x[k * s] - max);                                                 \
            y[k * s] = e;                                                              \
            sum += e;                                                                  \
        }                                                                              \
        T inv = 1 / sum;                                                               \
        for (int64_t k = 0; k < n; k++) y[k * s] *= inv;                               \
    }
SOFTMAX_LINE(softmax_line_f32, float)
SOFTMAX_LINE(softmax_line_f64, double)

/* Softmax of one contiguous float line by the row kernel (src/kernels/transformer.h), in y. */
static void softmax_row_f32(const float *x, float *y, int64_t n) {
    if (x != y) memcpy(y, x, (size_t)n * sizeof *y);
    cort_softmax_rows(y, 1, n, n, NULL);
}

static void softmax_range(void *arg, int64_t begin, int64_t end) {
    const softmax_job *job = arg;
    if (job->kind == SOFTMAX && !job->f64 && job->inner == 1) {
        for (int64_t line = begin; line < end; line++)
            softmax_row_f32((const float *)job->x + line * job->len, (float *)job->y + line * job->len, job->len);
        return;
    }
    for (int64_t line = begin; line < end; line++) {
        int64_t o = line / job->inner, j = line % job->inner;
        int64_t base = o * job->len * job->inner + j;
        if (job->f64)
            softmax_line_f64(job->kind, (const double *)job->x + base, (double *)job->y + base, job->len, job->inner);
        else
            softmax_line_f32(job->kind, (const float *)job->x + base, (float *)job->y + base, job->len, job->inner);
    }
}

static cort_status *run_softmax_kind(cort_kctx *ctx, softmax_kind kind) {
    const softmax_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input is missing or not a tensor");
    if (x->type != CORT_FLOAT && x->type != CORT_DOUBLE && !cort_ew_is_half(x->type))
        return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    int rank = x->rank, axis;
    /* A scalar behaves as a 1-element vector. */
    if (!cort_norm_axis(p->axis, rank > 0 ? rank : 1, &axis))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, rank);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    int64_t n = cort_tensor_count(x);
    if (n == 0) return NULL;
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
        if (i < axis) outer *= x->dims[i];
        else if (i == axis || p->coerce_2d) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    softmax_job job = {kind, x->type == CORT_DOUBLE, x->data, y->data, len, inner};
    float *buf = NULL;
    if (cort_ew_is_half(x->type)) { /* run on float copies */
        buf = ctx->svc->scratch(ctx, sizeof(float) * 2 * (size_t)n);
        if (!buf) return cort_kerr(ctx, "out of scratch memory");
        cort_ew_half_to_f32(x->type, x->data, buf, n);
        job.x = buf;
        job.y = buf + n;
    }
    int64_t min_chunk = len >= 4096 ? 1 : 4096 / len;
    ctx->svc->parallel_for(ctx, outer * inner, min_chunk, softmax_range, &job);
    if (buf) cort_ew_f32_to_half(x->type, buf + n, y->data, n);
    return NULL;
}

static cort_status *run_softmax(cort_kctx *ctx) { return run_softmax_kind(ctx, SOFTMAX); }
static cort_status *run_log_softmax(cort_kctx *ctx) { return run_softmax_kind(ctx, LOG_SOFTMAX); }
static cort_status *run_hardmax(cort_kctx *ctx) { return run_softmax_kind(ctx, HARDMAX); }

static cort_status *parse_softmax(cort_parse_ctx *pc) {
    softmax_params *p = pc->params;
    p->coerce_2d = pc->node->opset < 13;
    p->axis = cort_attr_int(pc->node, "axis", p->coerce_2d ? 1 : -1);
    return NULL;
}

static cort_status *infer_same(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], ic->in[0]);
}

/* A line is read fully before it is written, so output 0 may share input 0's buffer. */
#define INPLACE CORT_OP_INPLACE_INPUT0
#define ROWS(name, fn)                                                                                       \
    {"", name, 1, 12, CORT_TS_FLOAT, 0, sizeof(softmax_params), parse_softmax, infer_same, NULL, fn, INPLACE},     \
    {"", name, 13, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(softmax_params), parse_softmax, infer_same, NULL, fn, INPLACE}

const cort_op_def cort_ops_softmax[] = {
    ROWS("Softmax", run_softmax),
    ROWS("LogSoftmax", run_log_softmax),
    ROWS("Hardmax", run_hardmax),
    {0},
};
