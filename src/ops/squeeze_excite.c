/* com.cort::SqueezeExcite: a squeeze-and-excitation block (MobileNetV3, EfficientNet, SE-ResNet), which
 * the optimizer makes of GlobalAveragePool -> 1x1 Conv -> activation -> 1x1 Conv -> gate -> Mul
 * (src/opt/fuse_se.c):
 *
 *     Y = X * gate(W2 act(W1 mean(X) + B1) + B2)
 *
 * with the mean over each (image, channel) plane and the product broadcast over the plane. Inputs
 * X [N, C, spatial...], W1 [R, C, 1...], B1 [R] (optional), W2 [C, R, 1...], B2 [C] (optional);
 * attributes `activation` / `activation_params` and `gate` / `gate_params` name FusedConv's
 * activations (Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, SiLU; "" none).
 *
 * Two passes over X (the means, then the product) and two matrix-vector products straight from the
 * weights as they are: as Conv nodes the products went through the GEMM with its packing, and the
 * GlobalAveragePool and Mul nodes each had their own pass. A product runs on the calling thread
 * unless its weights are large (on late blocks they stream from memory: then its rows are split among
 * the threads, the second product's with the planes they scale).
 *
 * With a sixth input W3 [O, C, k...] (one image only), Y is instead W3 with each input channel c
 * scaled by the gate's s[c]: the weights of the convolution that read X * s, which then reads X
 * (conv(X * s, W3) = conv(X, W3 * s), zero padding included). Where O * C is far smaller than X, that
 * replaces the product pass over X by one over the weights. */
#include <stdio.h>
#include <string.h>

#include "kernels/generic/elementwise.h"
#include "kernels/kernels.h"
#include "kernels/vecmath.h"
#include "ops/nn_util.h"
#include "ops/op.h"

typedef struct se_params {
    cort_sgemm_epilogue act, gate;
} se_params;

typedef struct se_activation {
    const char *name;
    cort_activation act;
    int n_params;
} se_activation;

static const se_activation SE_ACTIVATIONS[] = {
    {"", CORT_ACT_NONE, 0},          {"Relu", CORT_ACT_RELU, 0},          {"Clip", CORT_ACT_CLIP, 2},
    {"LeakyRelu", CORT_ACT_LEAKY_RELU, 1}, {"Sigmoid", CORT_ACT_SIGMOID, 0}, {"HardSigmoid", CORT_ACT_HARD_SIGMOID, 2},
    {"HardSwish", CORT_ACT_HARD_SWISH, 0}, {"Tanh", CORT_ACT_TANH, 0},     {"SiLU", CORT_ACT_SILU, 0},
};

/* Attribute `name` (and `name`_params) as an epilogue activation. */
static cort_status *parse_activation(const cort_node *node, const char *name, cort_sgemm_epilogue *ep) {
    char params_name[32];
    snprintf(params_name, sizeof params_name, "%s_params", name);
    const char *act = cort_attr_string(node, name, "");
    const float *ap = NULL;
    int64_t n = cort_attr_floats(node, params_name, &ap);
    if (n < 0) n = 0;
    for (size_t i = 0; i < sizeof SE_ACTIVATIONS / sizeof *SE_ACTIVATIONS; i++) {
        const se_activation *f = &SE_ACTIVATIONS[i];
        if (strcmp(act, f->name)) continue;
        if (n != f->n_params)
            return cort_node_error(node, CORT_INVALID_GRAPH, "%s '%s' takes %d %s, got %lld", name, act, f->n_params,
                                   params_name, (long long)n);
        memset(ep, 0, sizeof *ep);
        ep->act = f->act;
        if (f->act == CORT_ACT_CLIP) ep->lo = ap[0], ep->hi = ap[1];
        if (f->act == CORT_ACT_LEAKY_RELU) ep->alpha = ap[0];
        if (f->act == CORT_ACT_HARD_SIGMOID) ep->alpha = ap[0], ep->beta = ap[1];
        return NULL;
    }
    return cort_node_error(node, CORT_INVALID_GRAPH,
                           "%s '%s' is not one of Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, SiLU",
                           name, act);
}

static cort_status *se_parse(cort_parse_ctx *pc) {
    se_params *p = pc->params;
    CORT_TRY(parse_activation(pc->node, "activation", &p->act));
    return parse_activation(pc->node, "gate", &p->gate);
}

static cort_status *se_infer(cort_infer_ctx *ic) {
    int from = ic->n_in > 5 ? 5 : 0; /* Y is the scaled W3, or X's product */
    if (ic->n_in < 1 || !ic->in[from] || ic->n_out < 1) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], ic->in[from]);
}

/* ---------------------------------------------------------------- the passes over X */

static float plane_mean(const float *x, int64_t size) { return (float)(cort_plane_sum(x, size) / (double)size); }

/* One run's data: X as images x channels planes of `size` elements, the weights, and per plane the
 * mean and the scale, per image the hidden values. */
typedef struct se_job {
    const se_params *p;
    const float *x, *w1, *b1, *w2, *b2;
    float *y, *mean, *hidden, *scale;
    const float *ones; /* `size` ones for planes up to SE_SMALL_PLANE, else NULL */
    int64_t images, channels, reduced, size; /* N, C, R, elements per plane */
} se_job;

/* Planes up to this size are summed as a matrix-vector product with a vector of ones: four planes at
 * a time in vector registers, where a plane's own loop would spend more on its ends than its body. */
enum { SE_SMALL_PLANE = 1024 };

static void mean_planes(void *arg, int64_t begin, int64_t end) {
    const se_job *j = arg;
    if (j->ones) {
        cort_sgemv_rows(end - begin, j->size, j->x + begin * j->size, j->size, j->ones, j->mean + begin);
        float inv = 1.0f / (float)j->size;
        for (int64_t p = begin; p < end; p++) j->mean[p] *= inv;
        return;
    }
    for (int64_t p = begin; p < end; p++) j->mean[p] = plane_mean(j->x + p * j->size, j->size);
}

/* out[r] = ep(w[r] . in + bias[r]) for r < rows, w rows of k. */
static void dense(const float *w, const float *bias, const cort_sgemm_epilogue *ep, int64_t rows, int64_t k,
                  const float *in, float *out) {
    cort_sgemv_rows(rows, k, w, k, in, out);
    if (bias)
        for (int64_t r = 0; r < rows; r++) out[r] += bias[r];
    cort_activation_apply(ep, out, rows);
}

/* Rows [begin, end) of the first product, for every image. */
static void hidden_rows(void *arg, int64_t begin, int64_t end) {
    const se_job *j = arg;
    int64_t c = j->channels, r = j->reduced;
    for (int64_t n = 0; n < j->images; n++)
        dense(j->w1 + begin * c, j->b1 ? j->b1 + begin : NULL, &j->p->act, end - begin, c, j->mean + n * c,
              j->hidden + n * r + begin);
}

/* The scales of planes [begin, end): the second product's rows for their channels, image by image. */
static void scale_rows(const se_job *j, int64_t begin, int64_t end) {
    int64_t c = j->channels, r = j->reduced;
    while (begin < end) {
        int64_t n = begin / c, c0 = begin - n * c, c1 = end - n * c < c ? end - n * c : c;
        dense(j->w2 + c0 * r, j->b2 ? j->b2 + c0 : NULL, &j->p->gate, c1 - c0, r, j->hidden + n * r,
              j->scale + begin);
        begin = n * c + c1;
    }
}

/* Planes [begin, end) of Y = X * scale, their scales computed first (so the second product is split
 * among the threads with the planes). */
static void scale_planes(void *arg, int64_t begin, int64_t end) {
    const se_job *j = arg;
    scale_rows(j, begin, end);
    cort_ew_scale_rows(j->x + begin * j->size, j->scale + begin, end - begin, j->size, j->y + begin * j->size);
}

/* y[o][c][...] = w[o][c][...] * scale[c] for o < rows, c < cols, `taps` values per (o, c). */
static void scale_weights(const float *w, const float *scale, int64_t rows, int64_t cols, int64_t taps, float *y) {
    if (taps == 1) { /* 1x1 filters: a row of weights times the scales, vectorised */
        for (int64_t o = 0; o < rows; o++)
            for (int64_t c = 0; c < cols; c++) y[o * cols + c] = w[o * cols + c] * scale[c];
        return;
    }
    for (int64_t o = 0; o < rows; o++)
        for (int64_t c = 0; c < cols; c++) {
            const float *src = w + (o * cols + c) * taps;
            float *dst = y + (o * cols + c) * taps, s = scale[c];
            for (int64_t t = 0; t < taps; t++) dst[t] = src[t] * s;
        }
}

/* ---------------------------------------------------------------- the excitation */

/* A weight of [rows, cols, 1...] (1x1 kernel), or an error. */
static cort_status *check_weight(cort_kctx *ctx, const cort_tensor *w, const char *name, int rank, int64_t rows,
                                 int64_t cols) {
    bool ok = w->type == CORT_FLOAT && w->rank == rank && (rows < 0 || w->dims[0] == rows) && w->dims[1] == cols;
    for (int d = 2; ok && d < rank; d++) ok = w->dims[d] == 1;
    if (!ok) {
        char s[128];
        return cort_kerr(ctx, "%s has type %s and shape %s, expected float [%s, %lld, 1...]", name,
                         cort_type_name(w->type), cort_shape_str(w->dims, w->rank, s, sizeof s),
                         rows < 0 ? "R" : "C", (long long)cols);
    }
    return NULL;
}

static cort_status *check_bias(cort_kctx *ctx, const cort_tensor *b, const char *name, int64_t n) {
    if (b && (b->type != CORT_FLOAT || b->rank != 1 || b->dims[0] != n))
        return cort_kerr(ctx, "%s must be float [%lld]", name, (long long)n);
    return NULL;
}

/* Work below this many floats (of X, or of weights) per chunk stays on one thread. */
enum { SE_CHUNK_MIN = 1 << 15 };

static int64_t chunk_of(int64_t floats_per_item) {
    return (SE_CHUNK_MIN + floats_per_item - 1) / (floats_per_item > 0 ? floats_per_item : 1);
}

static cort_status *se_run(cort_kctx *ctx) {
    const se_params *p = ctx->params;
    const cort_tensor *x, *w1, *w2, *b1 = cort_in(ctx, 2), *b2 = cort_in(ctx, 4);
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "W1", &w1));
    CORT_TRY(cort_nn_input(ctx, 3, "W2", &w2));
    if (x->type != CORT_FLOAT) return cort_kerr(ctx, "X has type %s, expected float", cort_type_name(x->type));
    if (x->rank < 3) return cort_kerr(ctx, "X has rank %d, expected at least 3", x->rank);
    int64_t n = x->dims[0], c = x->dims[1], r = w1->rank > 0 ? w1->dims[0] : 0;
    CORT_TRY(check_weight(ctx, w1, "W1", x->rank, -1, c));
    CORT_TRY(check_weight(ctx, w2, "W2", x->rank, c, r));
    CORT_TRY(check_bias(ctx, b1, "B1", r));
    CORT_TRY(check_bias(ctx, b2, "B2", c));
    const cort_tensor *w3 = cort_in(ctx, 5), *shape = w3 ? w3 : x;
    if (w3 && (w3->type != CORT_FLOAT || w3->rank < 2 || w3->dims[1] != c || n != 1))
        return cort_kerr(ctx, "W3 must be float [O, %lld, k...] and X hold one image", (long long)c);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, shape->rank, shape->dims, &y));
    int64_t count = cort_tensor_count(x), planes = n * c;
    if (count == 0 || cort_tensor_count(y) == 0) return NULL;
    float *mean, *hidden, *scale;
    CORT_TRY(cort_nn_scratch_f32(ctx, planes, &mean));
    CORT_TRY(cort_nn_scratch_f32(ctx, planes, &scale));
    CORT_TRY(cort_nn_scratch_f32(ctx, n * r > 0 ? n * r : 1, &hidden));
    se_job j = {p,     x->data, w1->data, b1 ? b1->data : NULL, w2->data, b2 ? b2->data : NULL, y->data, mean, hidden,
                scale, NULL,    n,        c,                    r,        count / planes};
    if (j.size <= SE_SMALL_PLANE) {
        float *ones;
        CORT_TRY(cort_nn_scratch_f32(ctx, j.size, &ones));
        for (int64_t i = 0; i < j.size; i++) ones[i] = 1.0f;
        j.ones = ones;
    }
    ctx->svc->parallel_for(ctx, planes, chunk_of(j.size), mean_planes, &j);

    /* the products read every weight once: on large blocks, from memory, so their rows are split too */
    ctx->svc->parallel_for(ctx, r, chunk_of(n * c), hidden_rows, &j);

    if (w3) {
        scale_rows(&j, 0, planes);
        int64_t rows = w3->dims[0], taps = cort_tensor_count(w3) / (rows * c);
        scale_weights(w3->data, scale, rows, c, taps, y->data);
        return NULL;
    }
    ctx->svc->parallel_for(ctx, planes, chunk_of(j.size + r), scale_planes, &j);
    return NULL;
}

const cort_op_def cort_ops_squeeze_excite[] = {
    /* each element of Y is X's times a factor computed before the product pass: Y may share X's buffer */
    {"com.cort", "SqueezeExcite", 1, 1, CORT_T(CORT_FLOAT), 0, sizeof(se_params), se_parse, se_infer, NULL, se_run,
     CORT_OP_INPLACE_INPUT0},
    {0},
};
