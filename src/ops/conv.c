/* Convolutions: Conv, ConvTranspose, ConvInteger, QLinearConv over 1..8 spatial dims.
 * Float convolution lowers to GEMM: a 1x1 stride-1 unpadded kernel is a GEMM on the image itself,
 * a depthwise kernel (one input and one output channel per group) runs directly, anything else goes
 * through im2col. ConvTranspose is a GEMM followed by col2im. The integer forms accumulate exact int32
 * products over the same im2col columns. Other float types compute in float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "ops/nn_util.h"
#include "ops/op.h"

/* ================================================================ shared helpers */







/* a * b for two element counts, or a value scratch_f32 refuses when the product is out of range */
static int64_t count_product(int64_t a, int64_t b) {
    if (a < 0 || b < 0 || (b > 0 && a > CORT_MAX_ELEMENTS / b)) return CORT_MAX_ELEMENTS + 1;
    return a * b;
}

/* ================================================================ attributes and geometry */

/* Bound on extents that keeps every position computation inside int64. */
#define EXTENT_MAX (INT64_C(1) << 42)

enum { MAXS = CORT_CONV_MAX_SPATIAL };

typedef struct conv_params {
    cort_nn_window win;
    int64_t group;
    int n_out_pad, n_out_shape; /* -1: attribute absent */
    int64_t out_pad[MAXS], out_shape[MAXS + 2];
    /* An activation fused into float Conv's output (com.cort::FusedConv; plain Conv leaves it
     * CORT_ACT_NONE), with its parameters; `bias` unused. The GEMM paths apply it as they store
     * their output; depthwise applies it per plane. ConvTranspose and the integer forms ignore it. */
    cort_sgemm_epilogue act;
} conv_params;


static cort_status *conv_parse(cort_parse_ctx *pc) {
    conv_params *p = pc->params;
    const cort_node *node = pc->node;
    CORT_TRY(cort_nn_read_window(node, &p->win));
    p->group = cort_attr_int(node, "group", 1);
    if (p->group < 1) return cort_node_error(node, CORT_INVALID_GRAPH, "group must be >= 1 (got %lld)", (long long)p->group);
    CORT_TRY(cort_nn_read_ints(node, "output_padding", MAXS, p->out_pad, &p->n_out_pad));
    return cort_nn_read_ints(node, "output_shape", MAXS + 2, p->out_shape, &p->n_out_shape);
}

/* The shapes of one convolution, checked against the attributes. */
typedef struct conv_shape {
    int64_t batch, in_ch, out_ch, group;
    cort_conv_geom geom;     /* for ConvTranspose, in = the output image, out = the input image */
    int64_t pad_end[MAXS];
    int out_rank;
    int64_t out_dims[MAXS + 2];
} conv_shape;

static cort_status *check_attr_len(const cort_kctx *ctx, const char *name, int n, int want) {
    if (n >= 0 && n != want) return cort_kerr(ctx, "attribute '%s' has %d values, expected %d", name, n, want);
    return NULL;
}

/* Common checks of X [N, C, spatial...] and W [*, *, kernel...]; fills spatial, kernel, stride, dilation. */
static cort_status *conv_common(const cort_kctx *ctx, const conv_params *p, const cort_tensor *x,
                                const cort_tensor *w, conv_shape *s) {
    if (x->rank < 3 || x->rank - 2 > MAXS)
        return cort_kerr(ctx, "input X has rank %d, expected 3..%d", x->rank, MAXS + 2);
    if (w->rank != x->rank) return cort_kerr(ctx, "weight W has rank %d but X has rank %d", w->rank, x->rank);
    int sp = x->rank - 2;
    CORT_TRY(check_attr_len(ctx, "kernel_shape", p->win.n_kernel, sp));
    CORT_TRY(check_attr_len(ctx, "strides", p->win.n_strides, sp));
    CORT_TRY(check_attr_len(ctx, "dilations", p->win.n_dilations, sp));
    CORT_TRY(check_attr_len(ctx, "pads", p->win.n_pads, 2 * sp));
    memset(s, 0, sizeof *s);
    s->batch = x->dims[0];
    s->in_ch = x->dims[1];
    s->group = p->group;
    s->geom.spatial = sp;
    for (int d = 0; d < sp; d++) {
        s->geom.kernel[d] = w->dims[d + 2];
        if (p->win.n_kernel >= 0 && p->win.kernel[d] != w->dims[d + 2])
            return cort_kerr(ctx, "kernel_shape does not match the weight's shape");
        if (s->geom.kernel[d] < 1) return cort_kerr(ctx, "weight has an empty kernel dimension");
        s->geom.stride[d] = p->win.n_strides >= 0 ? p->win.strides[d] : 1;
        s->geom.dilation[d] = p->win.n_dilations >= 0 ? p->win.dilations[d] : 1;
        if (s->geom.kernel[d] - 1 > EXTENT_MAX / s->geom.dilation[d]) return cort_kerr(ctx, "kernel reach is too large");
    }
    return NULL;
}

static cort_status *conv_shape_fwd(const cort_kctx *ctx, const conv_params *p, const cort_tensor *x,
                                   const cort_tensor *w, conv_shape *s) {
    CORT_TRY(conv_common(ctx, p, x, w, s));
    cort_conv_geom *g = &s->geom;
    s->out_ch = w->dims[0];
    if (s->in_ch % s->group || s->out_ch % s->group || w->dims[1] * s->group != s->in_ch)
        return cort_kerr(ctx, "channels do not fit group %lld: X has %lld, W has shape [%lld,%lld,...]",
                         (long long)s->group, (long long)s->in_ch, (long long)w->dims[0], (long long)w->dims[1]);
    s->out_rank = x->rank;
    s->out_dims[0] = s->batch;
    s->out_dims[1] = s->out_ch;
    for (int d = 0; d < g->spatial; d++) {
        int64_t in = x->dims[d + 2], reach = (g->kernel[d] - 1) * g->dilation[d] + 1, out;
        g->in[d] = in;
        if (p->win.pad_mode == CORT_PAD_SAME_UPPER || p->win.pad_mode == CORT_PAD_SAME_LOWER) {
            out = (in + g->stride[d] - 1) / g->stride[d];
            int64_t total = (out - 1) * g->stride[d] + reach - in;
            if (total < 0) total = 0;
            g->pad_begin[d] = p->win.pad_mode == CORT_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            s->pad_end[d] = total - g->pad_begin[d];
        } else {
            bool valid = p->win.pad_mode == CORT_PAD_VALID || p->win.n_pads < 0;
            g->pad_begin[d] = valid ? 0 : p->win.pads[d];
            s->pad_end[d] = valid ? 0 : p->win.pads[d + g->spatial];
            int64_t span = in + g->pad_begin[d] + s->pad_end[d] - reach;
            if (span < 0) return cort_kerr(ctx, "kernel (reach %lld) is larger than the padded input (%lld)",
                                           (long long)reach, (long long)(in + g->pad_begin[d] + s->pad_end[d]));
            out = span / g->stride[d] + 1;
        }
        g->out[d] = out;
        s->out_dims[d + 2] = out;
    }
    return NULL;
}

static cort_status *conv_shape_transpose(const cort_kctx *ctx, const conv_params *p, const cort_tensor *x,
                                         const cort_tensor *w, conv_shape *s) {
    CORT_TRY(conv_common(ctx, p, x, w, s));
    cort_conv_geom *g = &s->geom;
    int sp = g->spatial;
    CORT_TRY(check_attr_len(ctx, "output_padding", p->n_out_pad, sp));
    if (p->n_out_shape >= 0 && p->n_out_shape != sp && p->n_out_shape != sp + 2)
        return cort_kerr(ctx, "attribute 'output_shape' has %d values, expected %d", p->n_out_shape, sp);
    if (w->dims[0] != s->in_ch || s->in_ch % s->group)
        return cort_kerr(ctx, "weight has %lld input channels, X has %lld (group %lld)", (long long)w->dims[0],
                         (long long)s->in_ch, (long long)s->group);
    s->out_ch = w->dims[1] * s->group;
    s->out_rank = x->rank;
    s->out_dims[0] = s->batch;
    s->out_dims[1] = s->out_ch;
    for (int d = 0; d < sp; d++) {
        int64_t in = x->dims[d + 2], reach = (g->kernel[d] - 1) * g->dilation[d] + 1;
        int64_t adj = p->n_out_pad >= 0 ? p->out_pad[d] : 0, out;
        if (adj < 0 || adj > CORT_NN_ATTR_MAX || (in > 1 && in - 1 > EXTENT_MAX / g->stride[d]))
            return cort_kerr(ctx, "output_padding or the transposed output extent is out of range");
        int64_t full = g->stride[d] * (in - 1) + adj + reach; /* output size with no padding */
        bool same = p->win.pad_mode == CORT_PAD_SAME_UPPER || p->win.pad_mode == CORT_PAD_SAME_LOWER;
        if (p->n_out_shape >= 0 || same) {
            out = p->n_out_shape >= 0 ? p->out_shape[d + p->n_out_shape - sp] : in * g->stride[d];
            int64_t total = full - out;
            if (total < 0) total = 0; /* the tail beyond `full` only gets the bias */
            /* as for Conv, SAME_LOWER puts the odd padding unit at the start */
            g->pad_begin[d] = p->win.pad_mode == CORT_PAD_SAME_LOWER ? total - total / 2 : total / 2;
        } else {
            bool valid = p->win.pad_mode == CORT_PAD_VALID || p->win.n_pads < 0;
            g->pad_begin[d] = valid ? 0 : p->win.pads[d];
            int64_t pad_end = valid ? 0 : p->win.pads[d + sp];
            out = full - g->pad_begin[d] - pad_end;
        }
        if (out < 0) return cort_kerr(ctx, "output spatial size %lld is negative", (long long)out);
        g->in[d] = out; /* the image col2im writes is the output */
        g->out[d] = in;
        s->out_dims[d + 2] = out;
    }
    return NULL;
}

static cort_status *check_bias(const cort_kctx *ctx, const cort_tensor *b, int64_t channels) {
    if (b && (b->rank != 1 || b->dims[0] != channels))
        return cort_kerr(ctx, "bias B must have shape [%lld]", (long long)channels);
    return NULL;
}

/* Output dims of a spatial dim depend on that input dim alone, so an unknown one is replaced by this
 * stand-in while the others are inferred, and reported unknown. */
enum { UNKNOWN_STANDIN = 1 << 20 };

static cort_status *conv_infer(cort_infer_ctx *ic) {
    const conv_params *p = ic->params;
    const cort_type *x = ic->in[0], *w = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_type_set_tensor(&ic->out[0], x->elem, -1, NULL);
    if (x->rank < 3 || x->rank > MAXS + 2 || !w || w->kind != CORT_TYPE_TENSOR || w->rank != x->rank) return NULL;
    cort_tensor tx = {x->elem, x->rank, {0}, NULL}, tw = {w->elem, w->rank, {0}, NULL};
    for (int d = 0; d < w->rank; d++) {
        if (w->dims[d].value < 0) return NULL;
        tw.dims[d] = w->dims[d].value;
    }
    bool transpose = !strcmp(ic->node->op_type, "ConvTranspose");
    tx.dims[0] = 1;
    tx.dims[1] = transpose ? tw.dims[0] : tw.dims[1] * p->group;
    for (int d = 2; d < x->rank; d++) tx.dims[d] = x->dims[d].value >= 0 ? x->dims[d].value : UNKNOWN_STANDIN;
    cort_kctx k;
    memset(&k, 0, sizeof k);
    k.node = ic->node;
    conv_shape s;
    cort_status *st = transpose ? conv_shape_transpose(&k, p, &tx, &tw, &s) : conv_shape_fwd(&k, p, &tx, &tw, &s);
    if (st) { /* the run reports it with the real shapes */
        cort_status_free(st);
        return NULL;
    }
    cort_dim *d = cort_pool_calloc(ic->pool, (size_t)x->rank, sizeof(cort_dim));
    if (!d) return cort_oom();
    d[0] = x->dims[0];
    d[1] = (cort_dim){s.out_ch, NULL};
    for (int i = 2; i < x->rank; i++) d[i] = (cort_dim){x->dims[i].value >= 0 ? s.out_dims[i] : -1, NULL};
    cort_type_set_tensor(&ic->out[0], x->elem, x->rank, d);
    return NULL;
}

/* ================================================================ float Conv */

/* Weights packed at load for the GEMM micro-kernel when W is a float constant: one packed
 * (out_ch / group) x (in_ch / group * kernel) matrix per group. */
typedef struct conv_state {
    int32_t w_type;
    int w_rank;
    int64_t w_dims[MAXS + 2];
    int64_t group;
    size_t group_floats;
    float *packed; /* NULL when only `wino` was packed */
    float *wino;   /* Winograd weights when the known input shape makes that path run, or NULL */
    float *direct; /* weights of the direct padded-image path when the known shape makes it run, or NULL */
    float *oc;     /* weights of the channels-in-lanes direct path likewise, or NULL */
    int wino_tile; /* their output tile (cort_winograd_tile) */
} conv_state;

/* Packs W's groups as GEMM A operands: `groups` matrices of `rows` x `depth` (W^T per group when
 * `transpose`, for ConvTranspose), widening float16/bfloat16 first. */
static cort_status *pack_weights(cort_prepare_ctx *pc, const cort_tensor *w, int64_t groups, int64_t rows,
                                 int64_t depth, bool transpose) {
    conv_state *st = cort_pool_alloc(pc->pool, sizeof *st);
    size_t bytes = cort_sgemm_packed_a_size(rows, depth);
    if (!st || (size_t)groups > SIZE_MAX / bytes) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory");
    st->packed = cort_pool_alloc(pc->pool, bytes * (size_t)groups);
    st->wino = st->direct = st->oc = NULL;
    if (!st->packed) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing weights");
    float *widened = NULL;
    if (w->type != CORT_FLOAT) { /* a float copy only for the packing */
        widened = malloc((size_t)cort_tensor_count(w) * sizeof(float));
        if (!widened) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing weights");
        cort_convert_to_f32(w->type, w->data, cort_tensor_count(w), widened);
    }
    st->w_type = w->type;
    st->w_rank = w->rank;
    memcpy(st->w_dims, w->dims, sizeof(int64_t) * (size_t)w->rank);
    st->group = groups;
    st->group_floats = bytes / sizeof(float);
    const float *wd = widened ? widened : w->data;
    for (int64_t g = 0; g < groups; g++)
        cort_sgemm_pack_a(transpose, rows, depth, wd + g * rows * depth, transpose ? rows : depth,
                          st->packed + (size_t)g * st->group_floats);
    free(widened);
    *pc->state = st;
    return NULL;
}

/* A constant weight of a type the float path computes in, or NULL. */
static const cort_tensor *packable_weight(const cort_prepare_ctx *pc, int64_t group) {
    const cort_tensor *w = pc->n_in > 1 ? pc->in_const[1] : NULL;
    if (!w || w->rank < 3 || w->rank > MAXS + 2 || w->dims[0] % group || cort_tensor_count(w) <= 0) return NULL;
    if (w->type != CORT_FLOAT && w->type != CORT_FLOAT16 && w->type != CORT_BFLOAT16) return NULL;
    return w;
}

/* The convolution's shapes from the input type known at load, if it is fully known. */
static bool shape_at_load(const cort_prepare_ctx *pc, const cort_tensor *w, conv_shape *s) {
    const cort_type *x = pc->in && pc->n_in > 0 ? pc->in[0] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR || x->rank != w->rank) return false;
    cort_tensor tx = {CORT_FLOAT, x->rank, {0}, NULL};
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d].value < 0) return false;
        tx.dims[d] = x->dims[d].value;
    }
    cort_kctx k;
    memset(&k, 0, sizeof k);
    k.node = pc->node;
    cort_status *st = conv_shape_fwd(&k, pc->params, &tx, w, s);
    cort_status_free(st);
    return st == NULL;
}

/* Float32 weights transformed for Winograd instead of packed for the GEMM, when the input shape known
 * at load picks that path (another shape at run falls back to the GEMM on W as it is). */
static cort_status *pack_winograd(cort_prepare_ctx *pc, const cort_tensor *w, const conv_shape *s) {
    conv_state *st = cort_pool_alloc(pc->pool, sizeof *st);
    if (!st) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory");
    memset(st, 0, sizeof *st);
    int tile = cort_winograd_tile(&s->geom, s->in_ch, s->out_ch);
    st->wino_tile = tile;
    st->wino = cort_pool_alloc(pc->pool, cort_winograd_packed_size(tile, s->out_ch, s->in_ch));
    float *tmp = malloc(sizeof(float) * (size_t)(s->out_ch * s->in_ch));
    if (!st->wino || !tmp) {
        free(tmp);
        return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing weights");
    }
    cort_winograd_pack_weights(tile, s->out_ch, s->in_ch, w->data, tmp, st->wino);
    free(tmp);
    st->w_type = w->type;
    st->w_rank = w->rank;
    memcpy(st->w_dims, w->dims, sizeof(int64_t) * (size_t)w->rank);
    st->group = 1;
    *pc->state = st;
    return NULL;
}

static bool is_pointwise(const cort_conv_geom *g) {
    for (int d = 0; d < g->spatial; d++)
        if (g->kernel[d] != 1 || g->stride[d] != 1 || g->pad_begin[d] != 0 || g->in[d] != g->out[d]) return false;
    return true;
}

/* Which direct kernel on the padded image runs a 2-D float convolution without groups, if one does:
 * shallow filters (first layers) broadcast weights over 32 image columns (cort_conv_padded_direct);
 * deeper ones put output channels in the lanes (cort_conv_oc_part) wherever Winograd F(4x4) does not
 * run, except 1x1 kernels, whose GEMM reads the image as B (or packs its subsampled plane) and stores
 * straight into Y. Measured per node against Winograd F(2x2) and the padded GEMM: squeezenet's 3x3
 * 48 -> 192 / 64 -> 256 at 13x13, densenet's 128 -> 32 at 14x14 and 7x7, ResNet's stride-2 3x3. */
typedef enum { DIRECT_NONE, DIRECT_SHALLOW, DIRECT_OC } direct_kind;

static direct_kind direct_for(const conv_shape *s, int64_t kdim) {
    const cort_conv_geom *g = &s->geom;
    if (s->group != 1 || is_pointwise(g) || (g->spatial == 2 && g->kernel[0] == 1 && g->kernel[1] == 1))
        return DIRECT_NONE;
    /* Winograd's fewer multiply-adds win where its transforms are shared by many channels: F(4x4)
     * always, F(2x2) from 128 channels in and out (ResNet's 3x3 256 -> 256 at 14x14: 0.78 ms against
     * 0.88 in lanes; squeezenet's 64 -> 256 at 13x13: 0.235 against 0.192) */
    int tile = cort_winograd_tile(g, s->in_ch, s->out_ch);
    if (tile == 4 || (tile == 2 && s->in_ch >= 128 && s->out_ch >= 128)) return DIRECT_NONE;
    if (kdim <= 192 && cort_conv_padded_direct_ok(g, s->out_ch, kdim)) return DIRECT_SHALLOW;
    if (kdim > 192 && cort_conv_oc_ok(g, kdim)) return DIRECT_OC;
    return DIRECT_NONE;
}

/* Float32 weights for a direct padded-image path, when the input shape known at load picks one. */
static cort_status *pack_direct(cort_prepare_ctx *pc, const cort_tensor *w, const conv_shape *s, int64_t kdim,
                                direct_kind kind) {
    conv_state *st = cort_pool_alloc(pc->pool, sizeof *st);
    if (!st) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory");
    memset(st, 0, sizeof *st);
    size_t floats = kind == DIRECT_OC ? cort_conv_oc_floats(s->out_ch, kdim)
                                      : cort_conv_padded_direct_floats(s->out_ch, kdim);
    float *packed = cort_pool_alloc(pc->pool, sizeof(float) * floats);
    if (!packed) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing weights");
    if (kind == DIRECT_OC) cort_conv_oc_pack(s->out_ch, kdim, w->data, st->oc = packed);
    else cort_conv_padded_direct_pack(s->out_ch, kdim, w->data, st->direct = packed);
    st->w_type = w->type;
    st->w_rank = w->rank;
    memcpy(st->w_dims, w->dims, sizeof(int64_t) * (size_t)w->rank);
    st->group = 1;
    *pc->state = st;
    return NULL;
}

static cort_status *conv_prepare(cort_prepare_ctx *pc) {
    const conv_params *p = pc->params;
    const cort_tensor *w = packable_weight(pc, p->group);
    if (!w) return NULL;
    int64_t mg = w->dims[0] / p->group, kdim = cort_tensor_count(w) / w->dims[0];
    if (mg == 1 && w->dims[1] == 1) return NULL; /* depthwise: runs directly on W */
    conv_shape s;
    if (w->type != CORT_FLOAT || p->group != 1 || !shape_at_load(pc, w, &s))
        return pack_weights(pc, w, p->group, mg, kdim, false);
    /* by the input shape known at load: channels in lanes, Winograd, shallow direct, else the GEMM */
    direct_kind kind = direct_for(&s, kdim);
    if (kind == DIRECT_OC) return pack_direct(pc, w, &s, kdim, kind);
    if (cort_winograd_ok(&s.geom, s.in_ch, s.out_ch)) return pack_winograd(pc, w, &s);
    if (kind == DIRECT_SHALLOW) return pack_direct(pc, w, &s, kdim, kind);
    return pack_weights(pc, w, p->group, mg, kdim, false);
}

static cort_status *convtranspose_prepare(cort_prepare_ctx *pc) {
    const conv_params *p = pc->params;
    const cort_tensor *w = packable_weight(pc, p->group); /* W is in_ch x (out_ch / group) x kernel */
    if (!w) return NULL;
    int64_t cg = w->dims[0] / p->group, rows = cort_tensor_count(w) / w->dims[0];
    return pack_weights(pc, w, p->group, rows, cg, true);
}

/* The packed weights from prepare, if they are for this W. */
static const conv_state *packed_weights(const cort_kctx *ctx, const cort_tensor *w) {
    const conv_state *st = ctx->state;
    if (!st || w->type != st->w_type || st->w_rank != w->rank) return NULL;
    for (int d = 0; d < w->rank; d++)
        if (st->w_dims[d] != w->dims[d]) return NULL;
    return st;
}

/* Depthwise work is split into tasks, each with its own scratch for the kernel (which applies bias and
 * activation as it stores): contiguous runs of (image, channel) planes, or, when there are too few
 * planes to share among the threads, blocks of output rows of one plane each. */
typedef struct depthwise_job {
    const conv_shape *s;
    const float *x, *w;
    float *y;
    cort_sgemm_epilogue ep;
    char *work;
    size_t work_each;
    int64_t planes, tasks;    /* row_blocks 1: task t takes planes [task_plane(t), task_plane(t + 1)) */
    int64_t row_blocks;       /* > 1: task t takes row block t % row_blocks of plane t / row_blocks */
    int64_t plane_unit;       /* task boundaries fall on multiples of this many planes */
} depthwise_job;

/* Small-plane kernels compute 16 channels per vector: a run of planes that starts off a multiple of 16
 * ends in a short block (672 channels in 8 runs of 84 left 4 channels idle in every sixth vector). */
enum { DEPTHWISE_LANE_PLANES = 16 };

static int64_t task_plane(const depthwise_job *j, int64_t t) {
    int64_t units = (j->planes + j->plane_unit - 1) / j->plane_unit;
    int64_t p = t * units / j->tasks * j->plane_unit;
    return p < j->planes ? p : j->planes;
}

/* The geometry of output rows [r0, r1) (along the first spatial dimension) as a convolution of its own,
 * starting at the first input row they read; returns how many input rows it skips. */
static int64_t row_block_geom(const cort_conv_geom *g, int64_t r0, int64_t r1, cort_conv_geom *sub) {
    int64_t first = r0 * g->stride[0] - g->pad_begin[0]; /* the first input row read; < 0 in the padding */
    int64_t skip = first < 0 ? 0 : first < g->in[0] - 1 ? first : g->in[0] - 1;
    *sub = *g;
    sub->in[0] = g->in[0] - skip;
    sub->out[0] = r1 - r0;
    sub->pad_begin[0] = skip - first;
    return skip;
}

static int64_t block_row(const depthwise_job *j, int64_t b) { return b * j->s->geom.out[0] / j->row_blocks; }

/* Row block b of one plane. */
static void depthwise_rows(const depthwise_job *j, int64_t plane, int64_t b, void *work) {
    const cort_conv_geom *g = &j->s->geom;
    int64_t c = plane % j->s->in_ch, r0 = block_row(j, b);
    int64_t in_row = cort_conv_in_size(g) / g->in[0], out_row = cort_conv_out_size(g) / g->out[0];
    cort_conv_geom sub;
    int64_t skip = row_block_geom(g, r0, block_row(j, b + 1), &sub);
    cort_sgemm_epilogue ep = j->ep;
    ep.bias = j->ep.bias ? j->ep.bias + c : NULL;
    cort_depthwise(&sub, j->x + plane * cort_conv_in_size(g) + skip * in_row, j->w + c * cort_conv_kernel_size(g), &ep,
                   0, 1, j->y + plane * cort_conv_out_size(g) + r0 * out_row, work);
}

static void depthwise_tasks(void *arg, int64_t begin, int64_t end) {
    const depthwise_job *j = arg;
    int64_t isize = cort_conv_in_size(&j->s->geom), osize = cort_conv_out_size(&j->s->geom), ch = j->s->in_ch;
    for (int64_t t = begin; t < end; t++) {
        void *work = j->work_each ? j->work + (size_t)t * j->work_each : NULL;
        if (j->row_blocks > 1) {
            depthwise_rows(j, t / j->row_blocks, t % j->row_blocks, work);
            continue;
        }
        int64_t lo = task_plane(j, t), hi = task_plane(j, t + 1);
        while (lo < hi) { /* the run's planes image by image */
            int64_t n = lo / ch, c_end = hi - n * ch < ch ? hi - n * ch : ch;
            cort_depthwise(&j->s->geom, j->x + n * ch * isize, j->w, &j->ep, lo - n * ch, c_end,
                           j->y + n * ch * osize, work);
            lo = n * ch + c_end;
        }
    }
}

/* Y = act(depthwise(X, W) + bias); act NULL: none. */
static cort_status *conv_depthwise(cort_kctx *ctx, const conv_shape *s, const float *x, const float *w,
                                   const float *bias, const cort_sgemm_epilogue *act, float *y) {
    depthwise_job j;
    memset(&j, 0, sizeof j);
    j.s = s;
    j.x = x;
    j.w = w;
    j.y = y;
    if (act) j.ep = *act;
    j.ep.bias = bias;
    j.planes = s->batch * s->in_ch;
    j.plane_unit = 1;
    /* a few tasks per thread, so that the pool's chunks balance a late-waking or preempted thread */
    int64_t threads = ctx->threads > 1 ? ctx->threads : 1, want = threads > 1 ? 4 * threads : 1, tasks;
    size_t work_each = cort_depthwise_work_size(&s->geom);
    j.row_blocks = 1;
    if (threads > 1 && j.planes < 2 * threads) { /* a few planes: blocks of rows between them */
        j.row_blocks = (want + j.planes - 1) / j.planes;
        if (j.row_blocks > s->geom.out[0]) j.row_blocks = s->geom.out[0];
    }
    if (j.row_blocks > 1) {
        tasks = j.planes * j.row_blocks;
        for (int64_t b = 0; b < j.row_blocks; b++) { /* each block's geometry sizes its own scratch */
            cort_conv_geom sub;
            row_block_geom(&s->geom, block_row(&j, b), block_row(&j, b + 1), &sub);
            size_t need = cort_depthwise_work_size(&sub);
            if (need > work_each) work_each = need;
        }
    } else {
        j.plane_unit = j.planes >= DEPTHWISE_LANE_PLANES * want ? DEPTHWISE_LANE_PLANES : 1;
        int64_t units = (j.planes + j.plane_unit - 1) / j.plane_unit;
        tasks = want < units ? want : units;
    }
    j.tasks = tasks;
    j.work_each = (work_each + 63) & ~(size_t)63;
    if (j.work_each) {
        void *work;
        CORT_TRY(cort_nn_scratch(ctx, j.work_each * (size_t)tasks, &work));
        j.work = work;
    }
    ctx->svc->parallel_for(ctx, tasks, 1, depthwise_tasks, &j);
    return NULL;
}

static void fill_bias_rows(float *y, const float *bias, int64_t rows, int64_t len) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < len; i++) y[r * len + i] = bias[r];
}

static void activate_all(const conv_params *p, float *y, int64_t n) { cort_activation_apply(&p->act, y, n); }

/* The padded-image GEMM computes the grid's extra columns; im2col pays per column of B, which many
 * output channels share. Past 256 channels the padded path only wins when the extra columns fit the
 * micro-tiles already computed (32 wide on AVX-512), measured with sgemm_bench conv. */
static bool use_padded(const cort_conv_geom *g, int64_t out_ch) {
    if (!cort_conv_padded_ok(g)) return false;
    int64_t hp, wp, grid;
    cort_conv_padded_dims(g, &hp, &wp, &grid);
    return out_ch <= 256 || (grid + 31) / 32 <= (cort_conv_out_size(g) + 31) / 32;
}

/* Scratch of the padded-image path: the padded planes of one group, and the product of a chunk of
 * output rows on the grid (chunks keep it near 1 MiB whatever the image size; at least 2048 columns,
 * the SGEMM's column block). */
typedef struct padded_scratch {
    cort_conv_padded_source src;
    int64_t grid, chunk_rows, chunk_cols;
    float *image, *product;
} padded_scratch;

static cort_status *padded_setup(cort_kctx *ctx, const conv_shape *s, padded_scratch *ps) {
    int64_t cg = s->in_ch / s->group, mg = s->out_ch / s->group, oh = s->geom.out[0];
    ps->src.geom = &s->geom;
    ps->src.col0 = 0;
    cort_conv_padded_dims(&s->geom, &ps->src.hp, &ps->src.wp, &ps->grid);
    int64_t want = (INT64_C(1) << 18) / mg;
    if (want < 2048) want = 2048;
    ps->chunk_rows = want / ps->src.wp > 1 ? want / ps->src.wp : 1;
    if (ps->chunk_rows > oh) ps->chunk_rows = oh;
    ps->chunk_cols = (ps->chunk_rows - 1) * ps->src.wp + s->geom.out[1];
    CORT_TRY(cort_nn_scratch_f32(ctx, (int64_t)cort_conv_padded_floats(&s->geom, cg), &ps->image));
    CORT_TRY(cort_nn_scratch_f32(ctx, count_product(mg, ps->chunk_cols), &ps->product));
    ps->src.padded = ps->image;
    return NULL;
}

/* The padded planes of `channels` channels of x, split over the threads by channel, or for a few
 * channels (a first layer's 3) by rows of the planes (a serial copy was a tenth of a 2-thread strided
 * convolution). */
typedef struct pad_job {
    const cort_conv_geom *g;
    const float *x;
    float *padded;
    int64_t channels, tasks, rows; /* rows > 0: split by plane rows, of which there are `rows` */
} pad_job;

static void pad_part(void *arg, int64_t begin, int64_t end) {
    const pad_job *j = arg;
    if (j->rows) {
        cort_conv_pad_image_rows(j->g, j->x, j->channels, begin * j->rows / j->tasks, end * j->rows / j->tasks,
                                 j->padded);
        return;
    }
    int64_t c0 = begin * j->channels / j->tasks, c1 = end * j->channels / j->tasks;
    cort_conv_pad_image(j->g, j->x + c0 * cort_conv_in_size(j->g), c1 - c0,
                        j->padded + (size_t)c0 * cort_conv_padded_floats(j->g, 1));
}

static void pad_image_mt(const cort_threads *th, const cort_conv_geom *g, const float *x, int64_t channels,
                         float *padded) {
    pad_job j = {g, x, padded, channels, th->count > 1 ? 4 * th->count : 1, 0};
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    if ((size_t)channels * cort_conv_padded_floats(g, 1) < 16384) j.tasks = 1; /* 64 KiB: not worth a split */
    else if (channels < 16) j.rows = hq;
    if (j.tasks == 1) pad_part(&j, 0, 1);
    else th->parallel_for(th->self, j.tasks, 1, pad_part, &j);
}

/* Output rows [r0, r0 + rows) from the product on the grid (ld ps->chunk_cols) into Y's planes,
 * dropping the grid's extra columns, split over the threads by channel; with a residual (beta 1) Y
 * already holds Z, which is added before the activation. */
typedef struct store_job {
    const conv_params *p;
    const conv_shape *s;
    const padded_scratch *ps;
    int64_t mg, r0, rows, tasks;
    float beta, *yg;
} store_job;

static void store_channels(void *arg, int64_t begin, int64_t end) {
    const store_job *j = arg;
    int64_t oh = j->s->geom.out[0], ow = j->s->geom.out[1], wp = j->ps->src.wp;
    for (int64_t m = begin * j->mg / j->tasks; m < end * j->mg / j->tasks; m++)
        for (int64_t i = j->r0; i < j->r0 + j->rows; i++) {
            const float *src = j->ps->product + m * j->ps->chunk_cols + (i - j->r0) * wp;
            float *dst = j->yg + (m * oh + i) * ow;
            if (j->beta == 0) {
                memcpy(dst, src, sizeof(float) * (size_t)ow);
                continue;
            }
            for (int64_t c = 0; c < ow; c++) dst[c] += src[c];
            cort_activation_apply(&j->p->act, dst, ow);
        }
}

static void padded_store(const cort_threads *th, const conv_params *p, const conv_shape *s, const padded_scratch *ps,
                         int64_t mg, int64_t r0, int64_t rows, float beta, float *yg) {
    store_job j = {p, s, ps, mg, r0, rows, th->count > 1 && mg >= 16 ? 4 * th->count : 1, beta, yg};
    if (j.tasks == 1) store_channels(&j, 0, 1);
    else th->parallel_for(th->self, j.tasks, 1, store_channels, &j);
}

/* Y[n] = act(W * im2col(X[n]) + bias + beta * Y[n]) for every image and group (beta 1 adds a residual
 * already in Y). The column matrix is never stored: the GEMM gathers its panels straight from the
 * image (a 1x1 stride-1 kernel reads the image as B; small stride-1 images are read through a padded
 * copy), and bias and activation happen in the GEMM's store. */
static cort_status *conv_gemm(cort_kctx *ctx, const conv_params *p, const conv_shape *s, const float *x,
                              const float *w, const float *bias, const conv_state *pre, float beta, float *y) {
    const cort_conv_geom *g = &s->geom;
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    int64_t cg = s->in_ch / s->group, mg = s->out_ch / s->group, kdim = cg * ksize;
    bool direct = is_pointwise(g), padded = !direct && use_padded(g, mg);
    cort_threads th = cort_nn_threads(ctx);
    padded_scratch ps;
    if (padded) CORT_TRY(padded_setup(ctx, s, &ps));
    /* a grid with no dropped columns (1x1 kernels with strides: ResNet's downsampling) is Y's layout:
     * the GEMM stores there, with no product copy */
    bool in_place = padded && ps.src.wp == g->out[1];
    void *work;
    CORT_TRY(cort_nn_scratch(ctx, cort_sgemm_mt_work_size(mg, padded ? ps.chunk_cols : osize, kdim, th.count), &work));
    for (int64_t n = 0; n < s->batch; n++) {
        for (int64_t gi = 0; gi < s->group; gi++) {
            const float *xg = x + (n * s->in_ch + gi * cg) * isize;
            float *yg = y + (n * s->out_ch + gi * mg) * osize;
            const float *packed = pre ? pre->packed + (size_t)gi * pre->group_floats : NULL;
            const float *wg = w ? w + gi * mg * kdim : NULL; /* NULL when packed weights stand in */
            cort_sgemm_epilogue ep = p->act;
            ep.bias = bias ? bias + gi * mg : NULL;
            if (padded) {
                if (beta != 0 && !in_place) ep.act = CORT_ACT_NONE; /* applied after Z is added */
                pad_image_mt(&th, g, xg, cg, ps.image);
                for (int64_t r0 = 0; r0 < g->out[0]; r0 += ps.chunk_rows) {
                    int64_t rows = g->out[0] - r0 < ps.chunk_rows ? g->out[0] - r0 : ps.chunk_rows;
                    int64_t cols = (rows - 1) * ps.src.wp + g->out[1];
                    ps.src.col0 = r0 * ps.src.wp;
                    if (in_place) {
                        cort_sgemm_gather_b_mt_ep(&th, packed, wg, kdim, mg, cols, kdim, cort_conv_padded_pack, &ps.src,
                                                  beta, yg + ps.src.col0, osize, &ep, work);
                        continue;
                    }
                    cort_sgemm_gather_b_mt_ep(&th, packed, wg, kdim, mg, cols, kdim, cort_conv_padded_pack, &ps.src,
                                              0.0f, ps.product, ps.chunk_cols, &ep, work);
                    padded_store(&th, p, s, &ps, mg, r0, rows, beta, yg);
                }
            } else if (direct && packed) {
                cort_sgemm_packed_mt_ep(&th, packed, mg, osize, kdim, false, xg, osize, beta, yg, osize, &ep, work);
            } else if (direct) {
                cort_sgemm_mt_ep(&th, false, false, mg, osize, kdim, 1.0f, wg, kdim, xg, osize, beta, yg, osize, &ep,
                                 work);
            } else {
                cort_im2col_source src = {g, xg};
                cort_sgemm_gather_b_mt_ep(&th, packed, wg, kdim, mg, osize, kdim, cort_im2col_pack, &src, beta, yg,
                                          osize, &ep, work);
            }
        }
    }
    return NULL;
}

/* Winograd, image by image, with bias, residual and activation applied as it writes Y. */
static cort_status *conv_winograd(cort_kctx *ctx, const cort_sgemm_epilogue *act, const conv_shape *s,
                                  const float *x, const float *bias, int tile, const float *wino, const float *z,
                                  float *y) {
    cort_threads th = cort_nn_threads(ctx);
    void *work;
    CORT_TRY(cort_nn_scratch(ctx, cort_winograd_work_size(tile, &s->geom, s->in_ch, s->out_ch, th.count), &work));
    int64_t xsize = s->in_ch * cort_conv_in_size(&s->geom), ysize = s->out_ch * cort_conv_out_size(&s->geom);
    cort_sgemm_epilogue ep = *act;
    ep.bias = bias;
    for (int64_t n = 0; n < s->batch; n++)
        cort_winograd_conv(tile, &th, &s->geom, s->in_ch, s->out_ch, x + n * xsize, wino, &ep,
                           z ? z + n * ysize : NULL, y + n * ysize, work);
    return NULL;
}

/* The direct padded-image path: the padded image once per image, then its units (output rows, or
 * on small images channel panels by grid tiles) in even runs over the threads. */
typedef struct direct_job {
    const conv_shape *s;
    const float *padded, *weights;
    const int64_t *off;
    cort_sgemm_epilogue ep;
    float *y;
    int64_t units, tasks;
    direct_kind kind;
} direct_job;

static void direct_units(void *arg, int64_t begin, int64_t end) {
    const direct_job *j = arg;
    int64_t kdim = j->s->in_ch * cort_conv_kernel_size(&j->s->geom);
    for (int64_t t = begin; t < end; t++) {
        int64_t u0 = t * j->units / j->tasks, u1 = (t + 1) * j->units / j->tasks;
        if (j->kind == DIRECT_OC)
            cort_conv_oc_part(&j->s->geom, j->s->out_ch, kdim, j->off, j->padded, j->weights, &j->ep, u0, u1, j->y);
        else
            cort_conv_padded_direct_part(&j->s->geom, j->s->out_ch, kdim, j->off, j->padded, j->weights, &j->ep, u0,
                                         u1, j->y);
    }
}

static cort_status *conv_direct(cort_kctx *ctx, const cort_sgemm_epilogue *act, const conv_shape *s, const float *x,
                                const float *bias, direct_kind kind, const float *weights, float *y) {
    direct_job j = {s, NULL, weights, NULL, *act, NULL, 0, 0, kind};
    j.ep.bias = bias;
    int64_t kdim = s->in_ch * cort_conv_kernel_size(&s->geom);
    float *padded;
    void *off;
    CORT_TRY(cort_nn_scratch_f32(ctx, (int64_t)cort_conv_padded_floats(&s->geom, s->in_ch), &padded));
    CORT_TRY(cort_nn_scratch(ctx, sizeof(int64_t) * (size_t)kdim, &off));
    cort_conv_padded_direct_offsets(&s->geom, kdim, off);
    j.padded = padded;
    j.off = off;
    cort_threads th = cort_nn_threads(ctx);
    int threads = th.count;
    j.units = kind == DIRECT_OC ? cort_conv_oc_units(&s->geom, s->out_ch, kdim)
                                : cort_conv_padded_direct_units(&s->geom, s->out_ch);
    j.tasks = threads > 1 ? 4 * threads : 1; /* several runs each: a late or preempted thread is balanced */
    if (j.tasks > j.units) j.tasks = j.units;
    int64_t xsize = s->in_ch * cort_conv_in_size(&s->geom), ysize = s->out_ch * cort_conv_out_size(&s->geom);
    for (int64_t n = 0; n < s->batch; n++) {
        pad_image_mt(&th, &s->geom, x + n * xsize, s->in_ch, padded);
        j.y = y + n * ysize;
        /* one task runs here: handed to a worker, Y would sit in another core's cache for the next node */
        if (j.tasks == 1) direct_units(&j, 0, 1);
        else ctx->svc->parallel_for(ctx, j.tasks, 1, direct_units, &j);
    }
    return NULL;
}

/* y = act(t + z); z may be y. */
static void add_residual(const conv_params *p, const float *t, const float *z, float *y, int64_t count) {
    for (int64_t i = 0; i < count; i++) y[i] = t[i] + z[i];
    activate_all(p, y, count);
}

/* Y = act(conv(X, W, B) + Z), Z (NULL: none) of Y's size. */
static cort_status *conv_f32(cort_kctx *ctx, const conv_params *p, const conv_shape *s, const float *x,
                             const float *w, const float *bias, const conv_state *pre, const float *z, float *y) {
    int64_t count = s->batch * s->out_ch * cort_conv_out_size(&s->geom);
    /* the weights packed for Winograd or a direct kernel serve no GEMM: a residual they cannot add as
     * they store (Z in Y's own memory; any Z for the direct kernels) is added after, from a copy */
    static const cort_sgemm_epilogue none = {NULL, CORT_ACT_NONE, 0, 0, 0, 0};
    float *t;
    if (pre && pre->wino && s->group == 1 && cort_winograd_tile(&s->geom, s->in_ch, s->out_ch) == pre->wino_tile) {
        if (z != y) return conv_winograd(ctx, &p->act, s, x, bias, pre->wino_tile, pre->wino, z, y);
        CORT_TRY(cort_nn_scratch_f32(ctx, count, &t));
        CORT_TRY(conv_winograd(ctx, &none, s, x, bias, pre->wino_tile, pre->wino, NULL, t));
        add_residual(p, t, z, y, count);
        return NULL;
    }
    int64_t kdim = s->in_ch * cort_conv_kernel_size(&s->geom);
    direct_kind kind = DIRECT_NONE;
    if (pre && pre->direct && s->group == 1 && cort_conv_padded_direct_ok(&s->geom, s->out_ch, kdim))
        kind = DIRECT_SHALLOW;
    if (pre && pre->oc && s->group == 1 && cort_conv_oc_ok(&s->geom, kdim)) kind = DIRECT_OC;
    if (kind != DIRECT_NONE) {
        const float *weights = kind == DIRECT_OC ? pre->oc : pre->direct;
        if (!z) return conv_direct(ctx, &p->act, s, x, bias, kind, weights, y);
        CORT_TRY(cort_nn_scratch_f32(ctx, count, &t)); /* ResNet-18's second 3x3 of a block */
        CORT_TRY(conv_direct(ctx, &none, s, x, bias, kind, weights, t));
        add_residual(p, t, z, y, count);
        return NULL;
    }
    if (pre && !pre->packed) pre = NULL; /* the GEMM then reads W as it is */
    if (s->group == s->in_ch && s->group == s->out_ch) {
        /* without a residual the kernel applies the activation as it stores */
        CORT_TRY(conv_depthwise(ctx, s, x, w, bias, z ? NULL : &p->act, y));
        if (!z) return NULL;
        for (int64_t i = 0; i < count; i++) y[i] += z[i];
        activate_all(p, y, count);
        return NULL;
    }
    if (z && z != y) memmove(y, z, sizeof(float) * (size_t)count);
    return conv_gemm(ctx, p, s, x, w, bias, pre, z ? 1.0f : 0.0f, y);
}

/* FusedConv's residual input Z: Y's element type and shape. */
static cort_status *residual_input(cort_kctx *ctx, const cort_tensor *y, const float **zf) {
    const cort_tensor *z = ctx->n_in > 3 ? cort_in(ctx, 3) : NULL;
    *zf = NULL;
    if (!z) return NULL;
    bool same = z->type == y->type && z->rank == y->rank;
    for (int d = 0; same && d < y->rank; d++) same = z->dims[d] == y->dims[d];
    if (!same) return cort_kerr(ctx, "input Z must have the output's type and shape");
    return cort_nn_as_f32(ctx, z, zf);
}

static cort_status *conv_run(cort_kctx *ctx) {
    const conv_params *p = ctx->params;
    const cort_tensor *x, *w, *b = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "W", &w));
    if (!cort_is_float_type(x->type)) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    if (w->type != x->type || (b && b->type != x->type)) return cort_kerr(ctx, "X, W and B must have one element type");
    conv_shape s;
    CORT_TRY(conv_shape_fwd(ctx, p, x, w, &s));
    CORT_TRY(check_bias(ctx, b, s.out_ch));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, s.out_rank, s.out_dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    const conv_state *pre = packed_weights(ctx, w);
    const float *xf, *wf = NULL, *bf = NULL, *zf;
    float *yf = y->data;
    CORT_TRY(residual_input(ctx, y, &zf));
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    bool depthwise = s.group == s.in_ch && s.group == s.out_ch;
    if (!pre || !pre->packed || depthwise) CORT_TRY(cort_nn_as_f32(ctx, w, &wf)); /* else packed weights stand in */
    if (b) CORT_TRY(cort_nn_as_f32(ctx, b, &bf));
    if (y->type != CORT_FLOAT) CORT_TRY(cort_nn_scratch_f32(ctx, cort_tensor_count(y), &yf));
    if (cort_tensor_count(x) == 0 || cort_tensor_count(w) == 0) { /* nothing to sum: bias only */
        int64_t osize = cort_tensor_count(y) / (s.batch * s.out_ch);
        for (int64_t n = 0; n < s.batch; n++)
            for (int64_t m = 0; m < s.out_ch; m++)
                for (int64_t i = 0; i < osize; i++)
                    yf[(n * s.out_ch + m) * osize + i] = (bf ? bf[m] : 0) + (zf ? zf[(n * s.out_ch + m) * osize + i] : 0);
        activate_all(p, yf, cort_tensor_count(y));
    } else {
        CORT_TRY(conv_f32(ctx, p, &s, xf, wf, bf, pre, zf, yf));
    }
    if (y->type != CORT_FLOAT) cort_convert_from_f32(y->type, yf, cort_tensor_count(y), y->data);
    return NULL;
}

/* ================================================================ float ConvTranspose */

/* Output channels [begin, end) of one group take their column-matrix rows; channels own disjoint rows
 * and disjoint image planes, so they run in parallel. */
typedef struct col2im_job {
    const conv_shape *s;
    const float *col;
    float *y;
} col2im_job;

static void col2im_channels(void *arg, int64_t begin, int64_t end) {
    const col2im_job *j = arg;
    int64_t ksize = cort_conv_kernel_size(&j->s->geom);
    cort_col2im_add(&j->s->geom, j->col, begin * ksize, end * ksize, j->y);
}

static cort_status *convtranspose_f32(cort_kctx *ctx, const conv_shape *s, const float *x, const float *w,
                                      const float *bias, const conv_state *pre, float *y) {
    const cort_conv_geom *g = &s->geom;
    int64_t ysize = cort_conv_in_size(g), xsize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    int64_t cg = s->in_ch / s->group, mg = s->out_ch / s->group, rows = mg * ksize;
    cort_threads th = cort_nn_threads(ctx);
    float *col;
    void *work;
    CORT_TRY(cort_nn_scratch_f32(ctx, count_product(rows, xsize), &col));
    CORT_TRY(cort_nn_scratch(ctx, cort_sgemm_mt_work_size(rows, xsize, cg, th.count), &work));
    for (int64_t n = 0; n < s->batch; n++) {
        for (int64_t gi = 0; gi < s->group; gi++) {
            const float *xg = x + (n * s->in_ch + gi * cg) * xsize;
            float *yg = y + (n * s->out_ch + gi * mg) * ysize;
            /* W for this group is cg x (mg * ksize); col = W^T * X */
            if (pre)
                cort_sgemm_packed_mt(&th, pre->packed + (size_t)gi * pre->group_floats, rows, xsize, cg, false, xg,
                                     xsize, 0.0f, col, xsize, work);
            else
                cort_sgemm_mt(&th, true, false, rows, xsize, cg, 1.0f, w + gi * cg * rows, rows, xg, xsize, 0.0f,
                              col, xsize, work);
            if (bias) fill_bias_rows(yg, bias + gi * mg, mg, ysize);
            else memset(yg, 0, sizeof(float) * (size_t)(mg * ysize));
            col2im_job job = {s, col, yg};
            th.parallel_for(th.self, mg, 1, col2im_channels, &job);
        }
    }
    return NULL;
}

static cort_status *convtranspose_run(cort_kctx *ctx) {
    const conv_params *p = ctx->params;
    const cort_tensor *x, *w, *b = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "W", &w));
    if (!cort_is_float_type(x->type)) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    if (w->type != x->type || (b && b->type != x->type)) return cort_kerr(ctx, "X, W and B must have one element type");
    conv_shape s;
    CORT_TRY(conv_shape_transpose(ctx, p, x, w, &s));
    CORT_TRY(check_bias(ctx, b, s.out_ch));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, s.out_rank, s.out_dims, &y));
    int64_t count = cort_tensor_count(y);
    if (count == 0) return NULL;
    const conv_state *pre = packed_weights(ctx, w);
    const float *xf, *wf = NULL, *bf = NULL;
    float *yf = y->data;
    CORT_TRY(cort_nn_as_f32(ctx, x, &xf));
    if (!pre) CORT_TRY(cort_nn_as_f32(ctx, w, &wf));
    if (b) CORT_TRY(cort_nn_as_f32(ctx, b, &bf));
    if (y->type != CORT_FLOAT) CORT_TRY(cort_nn_scratch_f32(ctx, count, &yf));
    CORT_TRY(convtranspose_f32(ctx, &s, xf, wf, bf, pre, yf));
    if (y->type != CORT_FLOAT) cort_convert_from_f32(y->type, yf, count, y->data);
    return NULL;
}

/* ================================================================ ConvInteger, QLinearConv */

static bool is_8bit(int32_t t) { return t == CORT_INT8 || t == CORT_UINT8; }

/* A zero point or scale that is a scalar or one value per output channel. */
static cort_status *per_channel(const cort_kctx *ctx, const cort_tensor *t, const char *name, int64_t channels,
                                int64_t *stride) {
    int64_t count = cort_tensor_count(t);
    *stride = 0;
    if (count == 1) return NULL;
    if (t->rank == 1 && count == channels) {
        *stride = 1;
        return NULL;
    }
    return cort_kerr(ctx, "%s must be a scalar or have one value per output channel", name);
}

typedef struct int_conv {
    const cort_tensor *x, *w, *x_zp, *w_zp;
    int64_t w_zp_stride;
} int_conv;

/* Exact int32 sums of (x - x_zp) * (w - w_zp[m]) for every output element (layout of Y). The shifted
 * values fit float exactly, so the float im2col gathers them; the sums are integer. */
static cort_status *int_conv_accumulate(cort_kctx *ctx, const conv_shape *s, const int_conv *q, int32_t *acc) {
    const cort_conv_geom *g = &s->geom;
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    int64_t cg = s->in_ch / s->group, mg = s->out_ch / s->group, kdim = cg * ksize;
    int64_t xcount = cort_tensor_count(q->x);
    float *xs, *col;
    void *wbuf;
    CORT_TRY(cort_nn_scratch_f32(ctx, xcount, &xs));
    CORT_TRY(cort_nn_scratch_f32(ctx, count_product(kdim, osize), &col));
    CORT_TRY(cort_nn_scratch(ctx, sizeof(int32_t) * (size_t)(s->out_ch * kdim > 0 ? s->out_ch * kdim : 1), &wbuf));
    int32_t *ws = wbuf;
    int64_t xz = q->x_zp ? cort_get_i64(q->x_zp, 0) : 0;
    for (int64_t i = 0; i < xcount; i++) xs[i] = (float)(cort_get_i64(q->x, i) - xz);
    for (int64_t m = 0; m < s->out_ch; m++) {
        int64_t wz = q->w_zp ? cort_get_i64(q->w_zp, m * q->w_zp_stride) : 0;
        for (int64_t r = 0; r < kdim; r++) ws[m * kdim + r] = (int32_t)(cort_get_i64(q->w, m * kdim + r) - wz);
    }
    for (int64_t n = 0; n < s->batch; n++) {
        for (int64_t gi = 0; gi < s->group; gi++) {
            cort_im2col(g, xs + (n * s->in_ch + gi * cg) * isize, 0, kdim, col);
            for (int64_t m = 0; m < mg; m++) {
                int32_t *ym = acc + (n * s->out_ch + gi * mg + m) * osize;
                const int32_t *wm = ws + (gi * mg + m) * kdim;
                for (int64_t o = 0; o < osize; o++) ym[o] = 0;
                for (int64_t r = 0; r < kdim; r++) {
                    int32_t wv = wm[r];
                    const float *cr = col + r * osize;
                    if (wv)
                        for (int64_t o = 0; o < osize; o++) /* int32 sums wrap, as in other runtimes */
                            ym[o] = (int32_t)((uint32_t)ym[o] + (uint32_t)(wv * (int32_t)cr[o]));
                }
            }
        }
    }
    return NULL;
}

static cort_status *int_conv_inputs(cort_kctx *ctx, int xi, int wi, int xzi, int wzi, int_conv *q, conv_shape *s) {
    const conv_params *p = ctx->params;
    CORT_TRY(cort_nn_input(ctx, xi, "x", &q->x));
    CORT_TRY(cort_nn_input(ctx, wi, "w", &q->w));
    q->x_zp = cort_in(ctx, xzi);
    q->w_zp = cort_in(ctx, wzi);
    if (!is_8bit(q->x->type) || !is_8bit(q->w->type))
        return cort_kerr(ctx, "x and w must be int8 or uint8 (got %s and %s)", cort_type_name(q->x->type),
                         cort_type_name(q->w->type));
    CORT_TRY(conv_shape_fwd(ctx, p, q->x, q->w, s));
    if (q->x_zp && (q->x_zp->type != q->x->type || cort_tensor_count(q->x_zp) != 1))
        return cort_kerr(ctx, "x_zero_point must be a scalar of x's type");
    q->w_zp_stride = 0;
    if (q->w_zp) {
        if (q->w_zp->type != q->w->type) return cort_kerr(ctx, "w_zero_point must have w's type");
        CORT_TRY(per_channel(ctx, q->w_zp, "w_zero_point", s->out_ch, &q->w_zp_stride));
    }
    return NULL;
}

static cort_status *convinteger_run(cort_kctx *ctx) {
    int_conv q;
    conv_shape s;
    CORT_TRY(int_conv_inputs(ctx, 0, 1, 2, 3, &q, &s));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT32, s.out_rank, s.out_dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    return int_conv_accumulate(ctx, &s, &q, y->data);
}

static cort_status *qlinearconv_run(cort_kctx *ctx) {
    int_conv q;
    conv_shape s;
    const cort_tensor *x_scale, *w_scale, *y_scale, *y_zp, *b = cort_in(ctx, 8);
    CORT_TRY(cort_nn_input(ctx, 1, "x_scale", &x_scale));
    CORT_TRY(cort_nn_input(ctx, 4, "w_scale", &w_scale));
    CORT_TRY(cort_nn_input(ctx, 6, "y_scale", &y_scale));
    CORT_TRY(cort_nn_input(ctx, 7, "y_zero_point", &y_zp));
    CORT_TRY(int_conv_inputs(ctx, 0, 3, 2, 5, &q, &s));
    if (!is_8bit(y_zp->type) || cort_tensor_count(y_zp) != 1 || cort_tensor_count(y_scale) != 1 ||
        cort_tensor_count(x_scale) != 1)
        return cort_kerr(ctx, "x_scale, y_scale and y_zero_point must be scalars (y_zero_point 8-bit)");
    if (!cort_is_float_type(x_scale->type) || !cort_is_float_type(w_scale->type) || !cort_is_float_type(y_scale->type))
        return cort_kerr(ctx, "scales must be floating point");
    int64_t ws_stride;
    CORT_TRY(per_channel(ctx, w_scale, "w_scale", s.out_ch, &ws_stride));
    if (b && (b->type != CORT_INT32 || b->rank != 1 || b->dims[0] != s.out_ch))
        return cort_kerr(ctx, "bias B must be int32 of shape [%lld]", (long long)s.out_ch);
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, y_zp->type, s.out_rank, s.out_dims, &y));
    int64_t count = cort_tensor_count(y);
    if (count == 0) return NULL;
    void *buf;
    CORT_TRY(cort_nn_scratch(ctx, sizeof(int32_t) * (size_t)count, &buf));
    int32_t *acc = buf;
    CORT_TRY(int_conv_accumulate(ctx, &s, &q, acc));
    int64_t osize = count / (s.batch * s.out_ch);
    double xs = cort_get_f64(x_scale, 0), ys = cort_get_f64(y_scale, 0), yz = (double)cort_get_i64(y_zp, 0);
    double lo = y_zp->type == CORT_UINT8 ? 0 : -128, hi = y_zp->type == CORT_UINT8 ? 255 : 127;
    for (int64_t e = 0; e < count; e++) {
        int64_t m = (e / osize) % s.out_ch;
        double scale = xs * cort_get_f64(w_scale, m * ws_stride) / ys;
        double v = nearbyint((double)(acc[e] + (b ? ((const int32_t *)b->data)[m] : 0)) * scale) + yz;
        cort_set_i64(y, e, (int64_t)(v < lo ? lo : v > hi ? hi : v));
    }
    return NULL;
}

/* com.cort::FusedConv: a Conv with what the graph optimizer folded into it, given as ONNX Runtime's
 * com.microsoft::FusedConv gives it: Y = act(Conv(X, W, B) + Z), the optional 4th input Z of Y's shape
 * (a residual) added before the activation; `activation` names the activation and
 * `activation_params` holds its parameters. Beyond ORT's names, "HardSwish" and "SiLU" (x * sigmoid(x))
 * are accepted. The kernel applies it as it stores its output. */
typedef struct fused_activation {
    const char *name;
    cort_activation act;
    int n_params; /* activation_params expected; -1: 0 or the default given */
} fused_activation;

static const fused_activation FUSED_ACTIVATIONS[] = {
    {"", CORT_ACT_NONE, 0},          {"Relu", CORT_ACT_RELU, 0},          {"Clip", CORT_ACT_CLIP, 2},
    {"LeakyRelu", CORT_ACT_LEAKY_RELU, 1}, {"Sigmoid", CORT_ACT_SIGMOID, 0}, {"HardSigmoid", CORT_ACT_HARD_SIGMOID, 2},
    {"HardSwish", CORT_ACT_HARD_SWISH, 0}, {"Tanh", CORT_ACT_TANH, 0},     {"SiLU", CORT_ACT_SILU, 0},
};

static cort_status *fusedconv_parse(cort_parse_ctx *pc) {
    CORT_TRY(conv_parse(pc));
    conv_params *p = pc->params;
    const char *act = cort_attr_string(pc->node, "activation", "");
    const float *ap = NULL;
    int64_t n = cort_attr_floats(pc->node, "activation_params", &ap);
    if (n < 0) n = 0;
    for (size_t i = 0; i < sizeof FUSED_ACTIVATIONS / sizeof *FUSED_ACTIVATIONS; i++) {
        const fused_activation *f = &FUSED_ACTIVATIONS[i];
        if (strcmp(act, f->name)) continue;
        if (n != f->n_params)
            return cort_node_error(pc->node, CORT_INVALID_GRAPH, "activation '%s' takes %d activation_params, got %lld",
                                   act, f->n_params, (long long)n);
        p->act.act = f->act;
        if (f->act == CORT_ACT_CLIP) p->act.lo = ap[0], p->act.hi = ap[1];
        if (f->act == CORT_ACT_LEAKY_RELU) p->act.alpha = ap[0];
        if (f->act == CORT_ACT_HARD_SIGMOID) p->act.alpha = ap[0], p->act.beta = ap[1];
        return NULL;
    }
    return cort_node_error(pc->node, CORT_INVALID_GRAPH,
                           "activation '%s' is not one of Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, "
                           "Tanh, SiLU",
                           act);
}

/* ================================================================ table */

const cort_op_def cort_ops_conv[] = {
    {"", "Conv", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(conv_params), conv_parse, conv_infer, conv_prepare,
     conv_run, 0},
    {"com.cort", "FusedConv", 1, 1, CORT_T(CORT_FLOAT), 0, sizeof(conv_params), fusedconv_parse, conv_infer,
     conv_prepare, conv_run, 0},
    {"", "ConvTranspose", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(conv_params), conv_parse, conv_infer,
     convtranspose_prepare, convtranspose_run, 0},
    {"", "ConvInteger", 10, CORT_OPSET_MAX, CORT_T(CORT_INT8) | CORT_T(CORT_UINT8), 0, sizeof(conv_params), conv_parse,
     NULL, NULL, convinteger_run, 0},
    {"", "QLinearConv", 10, CORT_OPSET_MAX, CORT_T(CORT_INT8) | CORT_T(CORT_UINT8), 0, sizeof(conv_params), conv_parse,
     NULL, NULL, qlinearconv_run, 0},
    {0},
};
