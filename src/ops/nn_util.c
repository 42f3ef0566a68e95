#include "ops/nn_util.h"

#include <string.h>

static void kctx_parallel_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    cort_kctx *ctx = self;
    ctx->svc->parallel_for(ctx, n, min_chunk, fn, arg);
}

cort_threads cort_nn_threads(cort_kctx *ctx) {
    cort_threads th = {kctx_parallel_for, ctx, ctx->threads > 0 ? ctx->threads : 1};
    return th;
}

cort_status *cort_nn_input(const cort_kctx *ctx, int i, const char *name, const cort_tensor **t) {
    *t = cort_in(ctx, i);
    if (!*t) return cort_kerr(ctx, "input %d '%s' is missing or not a tensor", i, name);
    return NULL;
}

cort_status *cort_nn_scratch(cort_kctx *ctx, size_t bytes, void **out) {
    *out = ctx->svc->scratch(ctx, bytes ? bytes : 1);
    if (!*out) return cort_kerr(ctx, "out of memory for %zu bytes of scratch", bytes);
    return NULL;
}

cort_status *cort_nn_scratch_f32(cort_kctx *ctx, int64_t n, float **out) {
    void *p;
    *out = NULL;
    if (n > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "scratch of %lld floats is too large", (long long)n);
    CORT_TRY(cort_nn_scratch(ctx, (size_t)(n > 0 ? n : 1) * sizeof(float), &p));
    *out = p;
    return NULL;
}

cort_status *cort_nn_as_f32(cort_kctx *ctx, const cort_tensor *t, const float **out) {
    if (t->type == CORT_FLOAT) {
        *out = t->data;
        return NULL;
    }
    int64_t n = cort_tensor_count(t);
    float *buf;
    CORT_TRY(cort_nn_scratch_f32(ctx, n, &buf));
    if (!cort_convert_to_f32(t->type, t->data, n, buf))
        return cort_kerr(ctx, "element type %s is not a floating type", cort_type_name(t->type));
    *out = buf;
    return NULL;
}

cort_status *cort_nn_output_f32(cort_kctx *ctx, cort_tensor *y, float **out) {
    if (y->type == CORT_FLOAT) {
        *out = y->data;
        return NULL;
    }
    return cort_nn_scratch_f32(ctx, cort_tensor_count(y), out);
}

void cort_nn_finish_f32(cort_tensor *y, const float *buf) {
    if (y->type != CORT_FLOAT) cort_convert_from_f32(y->type, buf, cort_tensor_count(y), y->data);
}

cort_status *cort_nn_read_ints(const cort_node *node, const char *name, int max, int64_t *dst, int *n) {
    const int64_t *v;
    int64_t count = cort_attr_ints(node, name, &v);
    *n = -1;
    if (count < 0) return NULL;
    if (count > max)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' has %lld values, at most %d supported",
                               name, (long long)count, max);
    memcpy(dst, v, sizeof(int64_t) * (size_t)count);
    *n = (int)count;
    return NULL;
}

static cort_status *parse_auto_pad(const cort_node *node, cort_auto_pad *mode) {
    const char *pad = cort_attr_string(node, "auto_pad", "NOTSET");
    if (!strcmp(pad, "NOTSET")) *mode = CORT_PAD_NOTSET;
    else if (!strcmp(pad, "SAME_UPPER")) *mode = CORT_PAD_SAME_UPPER;
    else if (!strcmp(pad, "SAME_LOWER")) *mode = CORT_PAD_SAME_LOWER;
    else if (!strcmp(pad, "VALID")) *mode = CORT_PAD_VALID;
    else return cort_node_error(node, CORT_INVALID_GRAPH, "unknown auto_pad '%s'", pad);
    return NULL;
}

static cort_status *check_range(const cort_node *node, const char *name, const int64_t *v, int n, int64_t lo) {
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > CORT_NN_ATTR_MAX)
            return cort_node_error(node, CORT_INVALID_GRAPH, "%s must be in [%lld, 2^31]", name, (long long)lo);
    return NULL;
}

cort_status *cort_nn_read_window(const cort_node *node, cort_nn_window *w) {
    enum { MAXS = CORT_CONV_MAX_SPATIAL };
    CORT_TRY(parse_auto_pad(node, &w->pad_mode));
    CORT_TRY(cort_nn_read_ints(node, "kernel_shape", MAXS, w->kernel, &w->n_kernel));
    CORT_TRY(cort_nn_read_ints(node, "strides", MAXS, w->strides, &w->n_strides));
    CORT_TRY(cort_nn_read_ints(node, "dilations", MAXS, w->dilations, &w->n_dilations));
    CORT_TRY(cort_nn_read_ints(node, "pads", 2 * MAXS, w->pads, &w->n_pads));
    CORT_TRY(check_range(node, "kernel_shape", w->kernel, w->n_kernel, 1));
    CORT_TRY(check_range(node, "strides", w->strides, w->n_strides, 1));
    CORT_TRY(check_range(node, "dilations", w->dilations, w->n_dilations, 1));
    return check_range(node, "pads", w->pads, w->n_pads, 0);
}
