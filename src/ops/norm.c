/* Normalizations: BatchNormalization (inference, and training_mode statistics), InstanceNormalization,
 * LayerNormalization, LRN, MeanVarianceNormalization, and com.cort::ConcatBatchNormalization. Everything computes in float with double sums;
 * float16, bfloat16 and double tensors pass through float copies. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "ops/nn_util.h"
#include "ops/op.h"

/* ================================================================ shared helpers */

static cort_status *need_input(const cort_kctx *ctx, int i, const char *name, const cort_tensor **t) {
    *t = cort_in(ctx, i);
    if (!*t) return cort_kerr(ctx, "input %d '%s' is missing or not a tensor", i, name);
    if (!cort_is_float_type((*t)->type))
        return cort_kerr(ctx, "input '%s' has element type %s, expected a floating type", name,
                         cort_type_name((*t)->type));
    return NULL;
}





static int64_t product(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

/* Output 0 has X's type and shape. */
static cort_status *same_as_input_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], x);
}

/* ================================================================ BatchNormalization */

typedef struct bn_params {
    float epsilon, momentum;
    bool training;
} bn_params;

static cort_status *bn_parse(cort_parse_ctx *pc) {
    bn_params *p = pc->params;
    p->epsilon = cort_attr_float(pc->node, "epsilon", 1e-5f);
    p->momentum = cort_attr_float(pc->node, "momentum", 0.9f);
    p->training = pc->node->opset >= 14 && cort_attr_int(pc->node, "training_mode", 0) != 0;
    return NULL;
}

typedef struct bn_job {
    const float *x, *scale, *bias, *mean, *var;
    float *y;
    int64_t channels, plane;
    bool per_element; /* opset < 9 with spatial=0: statistics per (channel, position) */
    float epsilon;
} bn_job;

/* Planes or rows per parallel chunk: enough that a chunk covers some 16384 elements, several
 * microseconds of work, more than handing it to another thread and joining it takes. */
static int64_t min_rows(int64_t row_elems) {
    const int64_t chunk_elems = 16384;
    return row_elems >= chunk_elems ? 1 : chunk_elems / (row_elems > 0 ? row_elems : 1);
}

static void bn_planes(void *arg, int64_t begin, int64_t end) {
    const bn_job *j = arg;
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t c = pl % j->channels;
        const float *x = j->x + pl * j->plane;
        float *y = j->y + pl * j->plane;
        if (j->per_element) {
            int64_t o = c * j->plane;
            for (int64_t i = 0; i < j->plane; i++)
                y[i] = (x[i] - j->mean[o + i]) / sqrtf(j->var[o + i] + j->epsilon) * j->scale[o + i] + j->bias[o + i];
            continue;
        }
        float a = j->scale[c] / sqrtf(j->var[c] + j->epsilon), b = j->bias[c] - j->mean[c] * a;
        cort_scale_shift(x, j->plane, a, b, false, y);
    }
}

/* Batch statistics per channel (population variance), for training_mode. */
static void bn_batch_stats(const float *x, int64_t batch, int64_t channels, int64_t plane, float *mean, float *var) {
    for (int64_t c = 0; c < channels; c++) {
        double s = 0, s2 = 0;
        for (int64_t n = 0; n < batch; n++) {
            const float *xp = x + (n * channels + c) * plane;
            for (int64_t i = 0; i < plane; i++) s += xp[i];
        }
        double count = (double)(batch * plane), m = count > 0 ? s / count : 0;
        for (int64_t n = 0; n < batch; n++) {
            const float *xp = x + (n * channels + c) * plane;
            for (int64_t i = 0; i < plane; i++) s2 += (xp[i] - m) * (xp[i] - m);
        }
        mean[c] = (float)m;
        var[c] = (float)(count > 0 ? s2 / count : 0);
    }
}

static cort_status *bn_running_outputs(cort_kctx *ctx, const bn_params *p, const cort_tensor *mean_in,
                                       const cort_tensor *var_in, const float *mean_in_f, const float *var_in_f,
                                       const float *batch_mean, const float *batch_var, int64_t channels) {
    const cort_tensor *ins[2] = {mean_in, var_in};
    const float *old[2] = {mean_in_f, var_in_f}, *cur[2] = {batch_mean, batch_var};
    for (int o = 0; o < 2; o++) {
        if (!cort_out_wanted(ctx, o + 1)) continue;
        cort_tensor *t;
        CORT_TRY(cort_out(ctx, o + 1, ins[o]->type, 1, &channels, &t));
        float *buf;
        CORT_TRY(cort_nn_output_f32(ctx, t, &buf));
        for (int64_t c = 0; c < channels; c++) buf[c] = old[o][c] * p->momentum + cur[o][c] * (1 - p->momentum);
        cort_nn_finish_f32(t, buf);
    }
    return NULL;
}

static cort_status *bn_run(cort_kctx *ctx) {
    const bn_params *p = ctx->params;
    const cort_tensor *x, *scale, *bias, *mean, *var;
    CORT_TRY(need_input(ctx, 0, "X", &x));
    CORT_TRY(need_input(ctx, 1, "scale", &scale));
    CORT_TRY(need_input(ctx, 2, "B", &bias));
    CORT_TRY(need_input(ctx, 3, "mean", &mean));
    CORT_TRY(need_input(ctx, 4, "var", &var));
    if (x->rank < 2) return cort_kerr(ctx, "input X has rank %d, expected at least 2", x->rank);
    int64_t batch = x->dims[0], channels = x->dims[1], plane = product(x->dims + 2, x->rank - 2);
    bool training = p->training;
    if (!training && ctx->node->opset < 14)
        for (int o = 1; o < ctx->n_out; o++)
            if (cort_out_wanted(ctx, o))
                return cort_kerr(ctx, "training outputs (mean, var, saved statistics) are not supported");
    int64_t stats = cort_tensor_count(scale);
    bool per_element = ctx->node->opset < 9 && stats == channels * plane && plane != 1;
    int64_t want = per_element ? channels * plane : channels;
    const cort_tensor *params[4] = {scale, bias, mean, var};
    for (int i = 0; i < 4; i++)
        if (cort_tensor_count(params[i]) != want)
            return cort_kerr(ctx, "scale, B, mean and var must each hold %lld values", (long long)want);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    const float *xf, *sf, *bf, *mf, *vf;
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_as_f32(ctx, scale, &sf));
    CORT_TRY(cort_nn_as_f32(ctx, bias, &bf));
    CORT_TRY(cort_nn_as_f32(ctx, mean, &mf));
    CORT_TRY(cort_nn_as_f32(ctx, var, &vf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    bn_job job = {xf, sf, bf, mf, vf, yf, channels, plane, per_element, p->epsilon};
    if (training) {
        if (per_element) return cort_kerr(ctx, "training_mode needs per-channel statistics");
        float *bm, *bv;
        CORT_TRY(cort_nn_scratch_f32(ctx, channels, &bm));
        CORT_TRY(cort_nn_scratch_f32(ctx, channels, &bv));
        bn_batch_stats(xf, batch, channels, plane, bm, bv);
        job.mean = bm;
        job.var = bv;
        CORT_TRY(bn_running_outputs(ctx, p, mean, var, mf, vf, bm, bv, channels));
    }
    if (batch * channels > 0) ctx->svc->parallel_for(ctx, batch * channels, min_rows(plane), bn_planes, &job);
    cort_nn_finish_f32(y, yf);
    return NULL;
}

/* ---------------------------------------------------------------- com.cort::ConcatBatchNormalization
 * Concat(X0, X1, ..., axis 1) → BatchNormalization (inference) → optionally Relu, as the optimizer
 * fuses it (src/opt/fuse_concat.c) where the Concat and the normalised tensor have no other reader:
 * DenseNet's layers, each normalising the concatenation of all the features before it. One pass reads
 * each input once and writes the normalised (rectified) result once, instead of a copy, a pass and a
 * pass. Inputs: scale, B, mean, var (per channel of the concatenation), then X0 .. Xn-1 (float,
 * rank >= 2, equal but for dim 1). Attributes: epsilon, activation ("Relu" or none), and avg_pool_2x2
 * (1: a 2x2 stride-2 unpadded AveragePool, floor mode, follows on 4-D inputs, as in DenseNet's
 * transitions: the normalised image is then never stored at full size). */
typedef struct cbn_params {
    float epsilon;
    bool relu, pool;
} cbn_params;

enum { CBN_FIRST_X = 4 };

static cort_status *cbn_parse(cort_parse_ctx *pc) {
    cbn_params *p = pc->params;
    p->epsilon = cort_attr_float(pc->node, "epsilon", 1e-5f);
    const char *act = cort_attr_string(pc->node, "activation", "");
    p->relu = !strcmp(act, "Relu");
    if (*act && !p->relu) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "activation '%s' is not Relu", act);
    p->pool = cort_attr_int(pc->node, "avg_pool_2x2", 0) != 0;
    if (pc->node->n_inputs <= CBN_FIRST_X)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "expected scale, B, mean, var and at least one X");
    return NULL;
}

/* X0's type with dim 1 the sum of the inputs' (unknown if any is). */
static cort_status *cbn_infer(cort_infer_ctx *ic) {
    const cbn_params *p = ic->params;
    const cort_type *x0 = ic->in[CBN_FIRST_X];
    if (!x0 || x0->kind != CORT_TYPE_TENSOR || x0->rank < 2 || (p->pool && x0->rank != 4)) return NULL;
    cort_dim *d = cort_pool_calloc(ic->pool, (size_t)x0->rank, sizeof(cort_dim));
    if (!d) return cort_oom();
    memcpy(d, x0->dims, (size_t)x0->rank * sizeof *d);
    int64_t channels = 0;
    for (int i = CBN_FIRST_X; i < ic->n_in; i++) {
        const cort_type *t = ic->in[i];
        bool known = t && t->kind == CORT_TYPE_TENSOR && t->rank == x0->rank && t->dims[1].value >= 0;
        channels = known && channels >= 0 ? channels + t->dims[1].value : -1;
    }
    d[1] = (cort_dim){channels, NULL};
    for (int i = 2; p->pool && i < 4; i++) d[i] = (cort_dim){d[i].value >= 0 ? d[i].value / 2 : -1, NULL};
    cort_type_set_tensor(&ic->out[0], x0->elem, x0->rank, d);
    return NULL;
}

typedef struct cbn_job {
    const float *const *src; /* per channel of the output: its plane of batch 0 in its input */
    const int64_t *batch_stride; /* per channel: floats between batches in its input */
    const float *a, *b;      /* per channel: y = x * a + b */
    float *y;
    int64_t channels, plane;
    int64_t h, w; /* with pool: the input plane's rows and columns */
    bool relu, pool;
} cbn_job;

static inline float cbn_value(float x, float a, float b, bool relu) {
    float v = x * a + b;
    return relu && v < 0 ? 0 : v; /* as Relu: NaN passes */
}

/* The normalised plane x, 2x2 averaged into y (floor: an odd last row or column is left out). */
static void cbn_pooled_plane(const cbn_job *j, const float *x, float a, float b, float *y) {
    int64_t oh = j->h / 2, ow = j->w / 2;
    for (int64_t i = 0; i < oh; i++) {
        const float *r0 = x + 2 * i * j->w, *r1 = r0 + j->w;
        for (int64_t k = 0; k < ow; k++) {
            float top = cbn_value(r0[2 * k], a, b, j->relu) + cbn_value(r0[2 * k + 1], a, b, j->relu);
            float bottom = cbn_value(r1[2 * k], a, b, j->relu) + cbn_value(r1[2 * k + 1], a, b, j->relu);
            y[i * ow + k] = (top + bottom) * 0.25f;
        }
    }
}

static void cbn_planes(void *arg, int64_t begin, int64_t end) {
    const cbn_job *j = arg;
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t n = pl / j->channels, c = pl % j->channels;
        const float *x = j->src[c] + n * j->batch_stride[c];
        float a = j->a[c], b = j->b[c];
        if (j->pool) {
            cbn_pooled_plane(j, x, a, b, j->y + pl * (j->h / 2) * (j->w / 2));
            continue;
        }
        cort_scale_shift(x, j->plane, a, b, j->relu, j->y + pl * j->plane);
    }
}

/* Checks the inputs X against X0 and counts the output's channels. */
static cort_status *cbn_inputs(cort_kctx *ctx, const cort_tensor **xs, int n, int64_t *channels) {
    *channels = 0;
    for (int i = 0; i < n; i++) {
        xs[i] = cort_in(ctx, CBN_FIRST_X + i);
        const cort_tensor *t = xs[i];
        if (!t || t->type != CORT_FLOAT) return cort_kerr(ctx, "input X%d is missing or not a float tensor", i);
        if (t->rank < 2 || t->rank != xs[0]->rank)
            return cort_kerr(ctx, "input X%d has rank %d, expected %d (at least 2)", i, t->rank, xs[0]->rank);
        for (int d = 0; d < t->rank; d++)
            if (d != 1 && t->dims[d] != xs[0]->dims[d])
                return cort_kerr(ctx, "input X%d differs from X0 in dim %d (%lld, expected %lld)", i, d,
                                 (long long)t->dims[d], (long long)xs[0]->dims[d]);
        *channels += t->dims[1];
    }
    return NULL;
}

static cort_status *cbn_run(cort_kctx *ctx) {
    const cbn_params *p = ctx->params;
    int n = ctx->n_in - CBN_FIRST_X;
    const cort_tensor **xs, *stats[4];
    int64_t channels;
    CORT_TRY(cort_nn_scratch(ctx, (size_t)n * sizeof *xs, (void **)&xs));
    CORT_TRY(cbn_inputs(ctx, xs, n, &channels));
    static const char *const names[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; i++) {
        stats[i] = cort_in(ctx, i);
        if (!stats[i] || stats[i]->type != CORT_FLOAT || cort_tensor_count(stats[i]) != channels)
            return cort_kerr(ctx, "input '%s' must be a float tensor of %lld values", names[i], (long long)channels);
    }
    if (p->pool && xs[0]->rank != 4) return cort_kerr(ctx, "avg_pool_2x2 needs 4-D inputs, X0 has rank %d", xs[0]->rank);
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, xs[0]->dims, (size_t)xs[0]->rank * sizeof *dims);
    int64_t batch = dims[0], plane = product(dims + 2, xs[0]->rank - 2), h = p->pool ? dims[2] : 0;
    int64_t w = p->pool ? dims[3] : 0;
    dims[1] = channels;
    if (p->pool) dims[2] /= 2, dims[3] /= 2;
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_FLOAT, xs[0]->rank, dims, &y));
    if (batch * channels * plane == 0) return NULL;
    const float **src;
    int64_t *stride;
    float *ab;
    CORT_TRY(cort_nn_scratch(ctx, (size_t)channels * sizeof *src, (void **)&src));
    CORT_TRY(cort_nn_scratch(ctx, (size_t)channels * sizeof *stride, (void **)&stride));
    CORT_TRY(cort_nn_scratch_f32(ctx, 2 * channels, &ab));
    const float *scale = stats[0]->data, *bias = stats[1]->data, *mean = stats[2]->data, *var = stats[3]->data;
    for (int64_t c = 0, i = 0, ci = 0; c < channels; c++, ci++) {
        while (ci == xs[i]->dims[1]) i++, ci = 0; /* inputs of no channels are passed over */
        src[c] = (const float *)xs[i]->data + ci * plane;
        stride[c] = xs[i]->dims[1] * plane;
        ab[c] = scale[c] / sqrtf(var[c] + p->epsilon); /* as BatchNormalization computes them */
        ab[channels + c] = bias[c] - mean[c] * ab[c];
    }
    cbn_job job = {src, stride, ab, ab + channels, y->data, channels, plane, h, w, p->relu, p->pool};
    ctx->svc->parallel_for(ctx, batch * channels, min_rows(plane), cbn_planes, &job);
    return NULL;
}

/* ================================================================ InstanceNormalization */

typedef struct eps_params {
    float epsilon;
} eps_params;

static cort_status *instnorm_parse(cort_parse_ctx *pc) {
    ((eps_params *)pc->params)->epsilon = cort_attr_float(pc->node, "epsilon", 1e-5f);
    return NULL;
}

/* Mean and (biased) variance of n floats, summed in double. Eight partial sums per pass let the
 * compiler vectorise the reductions, which it may not reorder itself. */
static void row_moments(const float *x, int64_t n, double *mean, double *var) {
    double acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++) acc[q] += x[i + q];
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += x[i];
    double m = n ? s / (double)n : 0;
    for (int q = 0; q < 8; q++) acc[q] = 0;
    for (i = 0; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++) {
            double d = x[i + q] - m;
            acc[q] += d * d;
        }
    double s2 = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s2 += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = n ? s2 / (double)n : 0;
}

typedef struct inst_job {
    const float *x, *scale, *bias;
    float *y;
    int64_t channels, plane;
    float epsilon;
} inst_job;

static void inst_planes(void *arg, int64_t begin, int64_t end) {
    const inst_job *j = arg;
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t c = pl % j->channels;
        const float *x = j->x + pl * j->plane;
        float *y = j->y + pl * j->plane;
        double m, v;
        row_moments(x, j->plane, &m, &v);
        float a = (float)(j->scale[c] / sqrt(v + j->epsilon)), b = (float)(j->bias[c] - m * a);
        for (int64_t i = 0; i < j->plane; i++) y[i] = x[i] * a + b;
    }
}

static cort_status *instnorm_run(cort_kctx *ctx) {
    const eps_params *p = ctx->params;
    const cort_tensor *x, *scale, *bias;
    CORT_TRY(need_input(ctx, 0, "input", &x));
    CORT_TRY(need_input(ctx, 1, "scale", &scale));
    CORT_TRY(need_input(ctx, 2, "B", &bias));
    if (x->rank < 3) return cort_kerr(ctx, "input has rank %d, expected at least 3", x->rank);
    int64_t channels = x->dims[1];
    if (cort_tensor_count(scale) != channels || cort_tensor_count(bias) != channels)
        return cort_kerr(ctx, "scale and B must hold %lld values", (long long)channels);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    const float *xf, *sf, *bf;
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_as_f32(ctx, scale, &sf));
    CORT_TRY(cort_nn_as_f32(ctx, bias, &bf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    inst_job job = {xf, sf, bf, yf, channels, product(x->dims + 2, x->rank - 2), p->epsilon};
    int64_t planes = x->dims[0] * channels;
    if (planes > 0) ctx->svc->parallel_for(ctx, planes, min_rows(job.plane), inst_planes, &job);
    cort_nn_finish_f32(y, yf);
    return NULL;
}

/* ================================================================ LayerNormalization */

typedef struct ln_params {
    int64_t axis;
    float epsilon;
} ln_params;

static cort_status *layernorm_parse(cort_parse_ctx *pc) {
    ln_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", -1);
    p->epsilon = cort_attr_float(pc->node, "epsilon", 1e-5f);
    return NULL;
}

/* Element strides of a tensor broadcast (unidirectionally) onto the trailing dims[0..rank). */
static cort_status *trailing_broadcast(const cort_kctx *ctx, const cort_tensor *t, const char *name,
                                       const int64_t *dims, int rank, int64_t *stride) {
    if (t->rank > rank) return cort_kerr(ctx, "%s has rank %d, more than the normalized dims (%d)", name, t->rank, rank);
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        int src = i - (rank - t->rank);
        int64_t d = src >= 0 ? t->dims[src] : 1;
        if (d != 1 && d != dims[i]) return cort_kerr(ctx, "%s does not broadcast to the normalized shape", name);
        stride[i] = d == 1 ? 0 : s;
        s *= d;
    }
    return NULL;
}

typedef struct ln_job {
    const float *x, *scale, *bias;
    float *y, *mean, *inv_std;
    int64_t size;
    int norm_rank;
    const int64_t *norm_dims, *scale_stride, *bias_stride;
    bool dense_params; /* scale and bias (if any) hold exactly `size` values */
    float epsilon;
} ln_job;

static int64_t broadcast_offset(int64_t i, const int64_t *dims, const int64_t *stride, int rank) {
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        off += (i % dims[d]) * stride[d];
        i /= dims[d];
    }
    return off;
}

static void ln_rows(void *arg, int64_t begin, int64_t end) {
    const ln_job *j = arg;
    for (int64_t r = begin; r < end; r++) {
        const float *x = j->x + r * j->size;
        float *y = j->y + r * j->size;
        double m, var;
        row_moments(x, j->size, &m, &var);
        double inv = 1.0 / sqrt(var + j->epsilon);
        float mf = (float)m, invf = (float)inv;
        if (j->dense_params && j->bias) {
            for (int64_t i = 0; i < j->size; i++) y[i] = (x[i] - mf) * invf * j->scale[i] + j->bias[i];
        } else if (j->dense_params) {
            for (int64_t i = 0; i < j->size; i++) y[i] = (x[i] - mf) * invf * j->scale[i];
        } else {
            for (int64_t i = 0; i < j->size; i++) {
                float sc = j->scale[broadcast_offset(i, j->norm_dims, j->scale_stride, j->norm_rank)];
                float b = j->bias ? j->bias[broadcast_offset(i, j->norm_dims, j->bias_stride, j->norm_rank)] : 0.0f;
                y[i] = (x[i] - mf) * invf * sc + b;
            }
        }
        if (j->mean) j->mean[r] = mf;
        if (j->inv_std) j->inv_std[r] = invf;
    }
}

/* Y has X's type and shape; Mean and InvStdDev keep X's leading dims, with the normalised ones set to
 * 1, in float unless X is double (as run writes them). */
static cort_status *layernorm_infer(cort_infer_ctx *ic) {
    const ln_params *p = ic->params;
    const cort_type *x = ic->n_in > 0 ? ic->in[0] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], x));
    int axis;
    if (x->rank < 1 || !cort_norm_axis(p->axis, x->rank, &axis)) return NULL; /* run reports a bad axis */
    int32_t stat_elem = x->elem == CORT_DOUBLE ? CORT_DOUBLE : x->elem ? CORT_FLOAT : 0;
    for (int o = 1; o < 3 && o < ic->n_out; o++) {
        cort_dim *dims = cort_pool_alloc(ic->pool, sizeof *dims * (size_t)x->rank);
        if (!dims) return cort_oom();
        for (int d = 0; d < x->rank; d++) dims[d] = d < axis ? x->dims[d] : (cort_dim){1, NULL};
        cort_type_set_tensor(&ic->out[o], stat_elem, x->rank, dims);
    }
    return NULL;
}

static cort_status *layernorm_stat_output(cort_kctx *ctx, int index, const cort_tensor *x, int axis, int32_t type,
                                          float **buf, cort_tensor **t) {
    *buf = NULL;
    *t = NULL;
    if (!cort_out_wanted(ctx, index)) return NULL;
    int64_t dims[CORT_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d < axis ? x->dims[d] : 1;
    CORT_TRY(cort_out(ctx, index, type, x->rank, dims, t));
    return cort_nn_output_f32(ctx, *t, buf);
}

static cort_status *layernorm_run(cort_kctx *ctx) {
    const ln_params *p = ctx->params;
    const cort_tensor *x, *scale, *bias = cort_in(ctx, 2);
    CORT_TRY(need_input(ctx, 0, "X", &x));
    CORT_TRY(need_input(ctx, 1, "Scale", &scale));
    if (bias && !cort_is_float_type(bias->type)) return cort_kerr(ctx, "input B must be floating point");
    int axis;
    if (x->rank < 1 || !cort_norm_axis(p->axis, x->rank, &axis))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, x->rank);
    int norm_rank = x->rank - axis;
    int64_t scale_stride[CORT_MAX_RANK], bias_stride[CORT_MAX_RANK];
    CORT_TRY(trailing_broadcast(ctx, scale, "Scale", x->dims + axis, norm_rank, scale_stride));
    if (bias) CORT_TRY(trailing_broadcast(ctx, bias, "B", x->dims + axis, norm_rank, bias_stride));
    int64_t rows = product(x->dims, axis), size = product(x->dims + axis, norm_rank);
    cort_tensor *y, *mean_t, *inv_t;
    float *mean_f, *inv_f;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    /* Mean and InvStdDev use the stash type (float) unless X is double */
    int32_t stat_type = x->type == CORT_DOUBLE ? CORT_DOUBLE : CORT_FLOAT;
    CORT_TRY(layernorm_stat_output(ctx, 1, x, axis, stat_type, &mean_f, &mean_t));
    CORT_TRY(layernorm_stat_output(ctx, 2, x, axis, stat_type, &inv_f, &inv_t));
    const float *xf, *sf, *bf = NULL;
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_as_f32(ctx, scale, &sf));
    if (bias) CORT_TRY(cort_nn_as_f32(ctx, bias, &bf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    bool dense = cort_tensor_count(scale) == size && (!bias || cort_tensor_count(bias) == size);
    ln_job job = {xf, sf, bf, yf, mean_f, inv_f, size, norm_rank, x->dims + axis, scale_stride, bias_stride, dense,
                  p->epsilon};
    if (rows > 0) ctx->svc->parallel_for(ctx, rows, min_rows(size), ln_rows, &job);
    cort_nn_finish_f32(y, yf);
    if (mean_t) cort_nn_finish_f32(mean_t, mean_f);
    if (inv_t) cort_nn_finish_f32(inv_t, inv_f);
    return NULL;
}

/* ================================================================ LRN */

typedef struct lrn_params {
    float alpha, beta, bias;
    int64_t size;
} lrn_params;

static cort_status *lrn_parse(cort_parse_ctx *pc) {
    lrn_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "alpha", 1e-4f);
    p->beta = cort_attr_float(pc->node, "beta", 0.75f);
    p->bias = cort_attr_float(pc->node, "bias", 1.0f);
    p->size = cort_attr_int(pc->node, "size", 0);
    if (p->size < 1) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'size' must be a positive int");
    return NULL;
}

static cort_status *lrn_run(cort_kctx *ctx) {
    const lrn_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(need_input(ctx, 0, "X", &x));
    if (x->rank < 2) return cort_kerr(ctx, "input X has rank %d, expected at least 2", x->rank);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    const float *xf;
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    int64_t batch = x->dims[0], channels = x->dims[1], plane = product(x->dims + 2, x->rank - 2);
    int64_t before = (p->size - 1) / 2, after = p->size - 1 - before;
    double scale = (double)p->alpha / (double)p->size;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t c = 0; c < channels; c++) {
            int64_t lo = c - before < 0 ? 0 : c - before, hi = c + after >= channels ? channels - 1 : c + after;
            for (int64_t i = 0; i < plane; i++) {
                double sq = 0;
                for (int64_t k = lo; k <= hi; k++) {
                    double v = xf[(n * channels + k) * plane + i];
                    sq += v * v;
                }
                int64_t at = (n * channels + c) * plane + i;
                yf[at] = (float)(xf[at] / pow(p->bias + scale * sq, p->beta));
            }
        }
    cort_nn_finish_f32(y, yf);
    return NULL;
}

/* ================================================================ MeanVarianceNormalization */

typedef struct mvn_params {
    int n_axes;
    int64_t axes[CORT_MAX_RANK];
    bool normalize_variance;
} mvn_params;

static cort_status *mvn_parse(cort_parse_ctx *pc) {
    mvn_params *p = pc->params;
    p->normalize_variance = true;
    if (pc->node->opset < 9) { /* opset 1: across_channels and normalize_variance on NCHW input */
        bool across = cort_attr_int(pc->node, "across_channels", 0) != 0;
        p->normalize_variance = cort_attr_int(pc->node, "normalize_variance", 1) != 0;
        int64_t ax[3] = {1, 2, 3};
        p->n_axes = across ? 3 : 2;
        memcpy(p->axes, across ? ax : ax + 1, sizeof(int64_t) * (size_t)p->n_axes);
        return NULL;
    }
    const int64_t *axes;
    int64_t n = cort_attr_ints(pc->node, "axes", &axes);
    if (n < 0) {
        int64_t dflt[3] = {0, 2, 3};
        p->n_axes = 3;
        memcpy(p->axes, dflt, sizeof dflt);
        return NULL;
    }
    if (n > CORT_MAX_RANK) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "too many axes");
    p->n_axes = (int)n;
    memcpy(p->axes, axes, sizeof(int64_t) * (size_t)n);
    return NULL;
}

/* Index of the statistics group (the coordinates outside the reduced axes) of element i. */
static int64_t mvn_group(int64_t i, const int64_t *dims, int rank, const bool *reduced) {
    int64_t g = 0, scale = 1;
    for (int d = rank - 1; d >= 0; d--) {
        int64_t c = i % dims[d];
        i /= dims[d];
        if (!reduced[d]) {
            g += c * scale;
            scale *= dims[d];
        }
    }
    return g;
}

static cort_status *mvn_run(cort_kctx *ctx) {
    const mvn_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(need_input(ctx, 0, "X", &x));
    bool reduced[CORT_MAX_RANK] = {false};
    for (int i = 0; i < p->n_axes; i++) {
        int a;
        if (!cort_norm_axis(p->axes[i], x->rank, &a))
            return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axes[i], x->rank);
        reduced[a] = true;
    }
    int64_t groups = 1, count = cort_tensor_count(x);
    for (int d = 0; d < x->rank; d++)
        if (!reduced[d]) groups *= x->dims[d];
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, x->dims, &y));
    if (count == 0) return NULL;
    const float *xf;
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    void *buf = ctx->svc->scratch(ctx, sizeof(double) * 2 * (size_t)groups);
    if (!buf) return cort_kerr(ctx, "out of memory");
    double *sum = buf, *sq = sum + groups;
    memset(buf, 0, sizeof(double) * 2 * (size_t)groups);
    for (int64_t i = 0; i < count; i++) {
        int64_t g = mvn_group(i, x->dims, x->rank, reduced);
        sum[g] += xf[i];
        sq[g] += (double)xf[i] * xf[i];
    }
    double per_group = (double)(count / groups);
    for (int64_t i = 0; i < count; i++) {
        int64_t g = mvn_group(i, x->dims, x->rank, reduced);
        double m = sum[g] / per_group, var = sq[g] / per_group - m * m;
        double v = xf[i] - m;
        yf[i] = (float)(p->normalize_variance ? v / (sqrt(var > 0 ? var : 0) + 1e-9) : v);
    }
    cort_nn_finish_f32(y, yf);
    return NULL;
}

/* ================================================================ table */

const cort_op_def cort_ops_norm[] = {
    {"", "BatchNormalization", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(bn_params), bn_parse, same_as_input_infer,
     NULL, bn_run, 0},
    {"", "InstanceNormalization", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(eps_params), instnorm_parse,
     same_as_input_infer, NULL, instnorm_run, 0},
    {"", "LayerNormalization", 17, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(ln_params), layernorm_parse,
     layernorm_infer, NULL, layernorm_run, 0},
    {"", "LRN", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(lrn_params), lrn_parse, same_as_input_infer, NULL, lrn_run,
     0},
    {"com.cort", "ConcatBatchNormalization", 1, 1, CORT_T(CORT_FLOAT), CBN_FIRST_X, sizeof(cbn_params), cbn_parse,
     cbn_infer, NULL, cbn_run, 0},
    {"", "MeanVarianceNormalization", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(mvn_params), mvn_parse,
     same_as_input_infer, NULL, mvn_run, 0},
    {0},
};
