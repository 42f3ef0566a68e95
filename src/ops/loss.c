/* Loss operators usable at inference: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

typedef enum { REDUCE_NONE, REDUCE_SUM, REDUCE_MEAN } loss_reduction;

typedef struct loss_params {
    loss_reduction reduction;
    bool has_ignore;
    int64_t ignore_index;
} loss_params;

static cort_status *parse_loss(cort_parse_ctx *pc) {
    loss_params *p = pc->params;
    const char *r = cort_attr_string(pc->node, "reduction", "mean");
    if (!strcmp(r, "none")) p->reduction = REDUCE_NONE;
    else if (!strcmp(r, "sum")) p->reduction = REDUCE_SUM;
    else if (!strcmp(r, "mean")) p->reduction = REDUCE_MEAN;
    else return cort_node_error(pc->node, CORT_INVALID_GRAPH, "reduction '%s' is not none, sum or mean", r);
    p->has_ignore = cort_node_attr(pc->node, "ignore_index") != NULL;
    p->ignore_index = cort_attr_int(pc->node, "ignore_index", 0);
    return NULL;
}

/* Shapes (N, C, D...) and (N, D...): the class axis is 1, D... flatten to `inner`. */
typedef struct loss_shape {
    int64_t n, c, inner;
} loss_shape;

static cort_status *check_shapes(const cort_kctx *ctx, const cort_tensor *x, const cort_tensor *target,
                                 const cort_tensor *weight, loss_shape *s) {
    if (x->rank < 2) return cort_kerr(ctx, "input must have rank >= 2 (N, C, ...), got rank %d", x->rank);
    if (target->rank != x->rank - 1) return cort_kerr(ctx, "target must have rank %d, got %d", x->rank - 1, target->rank);
    if (target->type != CORT_INT32 && target->type != CORT_INT64)
        return cort_kerr(ctx, "target must be int32 or int64, got %s", cort_type_name(target->type));
    if (target->dims[0] != x->dims[0]) return cort_kerr(ctx, "target batch %lld differs from input batch %lld",
                                                        (long long)target->dims[0], (long long)x->dims[0]);
    s->n = x->dims[0];
    s->c = x->dims[1];
    s->inner = 1;
    for (int d = 2; d < x->rank; d++) {
        if (target->dims[d - 1] != x->dims[d]) return cort_kerr(ctx, "target dimension %d does not match input", d - 1);
        s->inner *= x->dims[d];
    }
    if (weight && (weight->rank != 1 || weight->dims[0] != s->c))
        return cort_kerr(ctx, "weight must have shape [%lld]", (long long)s->c);
    if (weight && weight->type != x->type) return cort_kerr(ctx, "weight type differs from input type");
    return NULL;
}

/* loss[i] = -logp[n, t, d] * w[t]; ignored targets contribute nothing to the loss or the weight sum. */
static cort_status *nll(const cort_kctx *ctx, const loss_params *p, const cort_tensor *logp, const cort_tensor *target,
                        const cort_tensor *weight, const loss_shape *s, double *loss, double *weight_sum) {
    *weight_sum = 0;
    for (int64_t n = 0; n < s->n; n++) {
        for (int64_t d = 0; d < s->inner; d++) {
            int64_t i = n * s->inner + d, t = cort_get_i64(target, i);
            if (p->has_ignore && t == p->ignore_index) {
                loss[i] = 0;
                continue;
            }
            if (t < 0 || t >= s->c)
                return cort_kerr(ctx, "target %lld at index %lld is outside [0, %lld)", (long long)t, (long long)i,
                                 (long long)s->c);
            double w = weight ? cort_get_f64(weight, t) : 1.0;
            loss[i] = -cort_get_f64(logp, (n * s->c + t) * s->inner + d) * w;
            *weight_sum += w;
        }
    }
    return NULL;
}

static cort_status *write_loss(cort_kctx *ctx, const loss_params *p, int32_t type, const cort_tensor *target,
                               const double *loss, double weight_sum) {
    cort_tensor *out;
    int64_t count = cort_tensor_count(target);
    if (p->reduction == REDUCE_NONE) {
        CORT_TRY(cort_out(ctx, 0, type, target->rank, target->dims, &out));
        for (int64_t i = 0; i < count; i++) cort_set_f64(out, i, loss[i]);
        return NULL;
    }
    double sum = 0;
    for (int64_t i = 0; i < count; i++) sum += loss[i];
    CORT_TRY(cort_out(ctx, 0, type, 0, NULL, &out));
    cort_set_f64(out, 0, p->reduction == REDUCE_SUM ? sum : weight_sum != 0 ? sum / weight_sum : NAN);
    return NULL;
}

static cort_status *run_nll(cort_kctx *ctx) {
    const loss_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *target = cort_in(ctx, 1), *weight = cort_in(ctx, 2);
    loss_shape s;
    CORT_TRY(check_shapes(ctx, x, target, weight, &s));
    double *loss = ctx->svc->scratch(ctx, (size_t)(s.n * s.inner + 1) * sizeof(double)), weight_sum;
    if (!loss) return cort_oom();
    CORT_TRY(nll(ctx, p, x, target, weight, &s, loss, &weight_sum));
    return write_loss(ctx, p, x->type, target, loss, weight_sum);
}

/* log-softmax over the class axis, into a tensor of the scores' type */
static void log_softmax_axis1(const cort_tensor *x, const loss_shape *s, cort_tensor *out) {
    for (int64_t n = 0; n < s->n; n++) {
        for (int64_t d = 0; d < s->inner; d++) {
            int64_t base = n * s->c * s->inner + d;
            double mx = -INFINITY, sum = 0;
            for (int64_t c = 0; c < s->c; c++) mx = fmax(mx, cort_get_f64(x, base + c * s->inner));
            for (int64_t c = 0; c < s->c; c++) sum += exp(cort_get_f64(x, base + c * s->inner) - mx);
            double lse = mx + log(sum);
            for (int64_t c = 0; c < s->c; c++)
                cort_set_f64(out, base + c * s->inner, cort_get_f64(x, base + c * s->inner) - lse);
        }
    }
}

static cort_status *run_softmax_cross_entropy(cort_kctx *ctx) {
    const loss_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *target = cort_in(ctx, 1), *weight = cort_in(ctx, 2);
    loss_shape s;
    CORT_TRY(check_shapes(ctx, x, target, weight, &s));
    cort_tensor *logp;
    CORT_TRY(cort_out(ctx, 1, x->type, x->rank, x->dims, &logp));
    log_softmax_axis1(x, &s, logp);
    double *loss = ctx->svc->scratch(ctx, (size_t)(s.n * s.inner + 1) * sizeof(double)), weight_sum;
    if (!loss) return cort_oom();
    CORT_TRY(nll(ctx, p, logp, target, weight, &s, loss, &weight_sum));
    return write_loss(ctx, p, x->type, target, loss, weight_sum);
}

#define LOSS_TYPES (CORT_T(CORT_FLOAT) | CORT_T(CORT_DOUBLE) | CORT_T(CORT_FLOAT16) | CORT_T(CORT_BFLOAT16))

const cort_op_def cort_ops_loss[] = {
    {"", "NegativeLogLikelihoodLoss", 12, CORT_OPSET_MAX, LOSS_TYPES, 0, sizeof(loss_params), parse_loss, NULL, NULL,
     run_nll, 0},
    {"", "SoftmaxCrossEntropyLoss", 12, CORT_OPSET_MAX, LOSS_TYPES, 0, sizeof(loss_params), parse_loss, NULL, NULL,
     run_softmax_cross_entropy, 0},
    {0},
};
