/* Pooling: MaxPool (with indices), AveragePool, LpPool, their Global forms, MaxRoiPool, MaxUnpool.
 * 2-D and 1-D MaxPool (without indices) and AveragePool without dilation run on the separable kernels
 * of src/kernels (cort_pool2d_rows), split over (plane, block of rows). The other window pools run over
 * 1..8 spatial dims, one (batch, channel) plane per task; each output walks only the in-image part of
 * its window, whose bounds per dim are computed once. All element types
 * are computed in float (int8/uint8 exactly, double and float16 through conversion). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "ops/nn_util.h"
#include "ops/op.h"

enum { MAXS = CORT_CONV_MAX_SPATIAL };



static bool pool_type_ok(int32_t t) { return cort_is_float_type(t) || t == CORT_INT8 || t == CORT_UINT8; }

/* The elements of x as float (a copy unless x is float). */
static cort_status *input_f32(cort_kctx *ctx, const cort_tensor *x, const float **out) {
    if (!pool_type_ok(x->type)) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    if (x->type == CORT_FLOAT) {
        *out = x->data;
        return NULL;
    }
    int64_t n = cort_tensor_count(x);
    float *buf;
    CORT_TRY(cort_nn_scratch_f32(ctx, n, &buf));
    if (!cort_convert_to_f32(x->type, x->data, n, buf))
        for (int64_t i = 0; i < n; i++) buf[i] = (float)cort_get_f64(x, i);
    *out = buf;
    return NULL;
}


/* Stores a float result into y (rounding and saturating for the 8-bit types). */
static void finish_f32(cort_tensor *y, const float *buf) {
    int64_t n = cort_tensor_count(y);
    if (y->type == CORT_FLOAT || cort_convert_from_f32(y->type, buf, n, y->data)) return;
    double lo = y->type == CORT_UINT8 ? 0 : -128, hi = y->type == CORT_UINT8 ? 255 : 127;
    for (int64_t i = 0; i < n; i++) {
        double v = nearbyint(buf[i]);
        cort_set_f64(y, i, v < lo ? lo : v > hi ? hi : v);
    }
}

static int64_t product(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

/* ================================================================ attributes and shapes */

/* Bound on extents that keeps every position computation inside int64. */
#define EXTENT_MAX (INT64_C(1) << 42)
typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

typedef struct pool_params {
    pool_kind kind;
    cort_nn_window win;
    bool ceil_mode, count_include_pad, col_major;
    float p; /* LpPool exponent */
} pool_params;



/* The window attributes shared by the pools and MaxUnpool. */
static cort_status *parse_window(const cort_node *node, pool_params *p) {
    CORT_TRY(cort_nn_read_window(node, &p->win));
    if (p->win.n_kernel < 1) return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'kernel_shape' is required");
    p->ceil_mode = cort_attr_int(node, "ceil_mode", 0) != 0;
    return NULL;
}

static cort_status *maxpool_parse(cort_parse_ctx *pc) {
    pool_params *p = pc->params;
    p->kind = POOL_MAX;
    p->col_major = cort_attr_int(pc->node, "storage_order", 0) != 0;
    return parse_window(pc->node, p);
}

static cort_status *avgpool_parse(cort_parse_ctx *pc) {
    pool_params *p = pc->params;
    p->kind = POOL_AVG;
    p->count_include_pad = cort_attr_int(pc->node, "count_include_pad", 0) != 0;
    return parse_window(pc->node, p);
}

/* LpPool's p is a float attribute in opset 1 and an int from opset 2. */
static float lp_exponent(const cort_node *node) {
    const cort_attr *a = cort_node_attr(node, "p");
    if (!a) return 2.0f;
    return a->type == CORT_ATTR_FLOAT ? a->f : (float)a->i;
}

static cort_status *lppool_parse(cort_parse_ctx *pc) {
    pool_params *p = pc->params;
    p->kind = POOL_LP;
    p->p = lp_exponent(pc->node);
    return parse_window(pc->node, p);
}

typedef struct pool_shape {
    int64_t planes; /* batch * channels */
    cort_conv_geom geom;
    int64_t pad_end[MAXS];
    int rank;
    int64_t dims[MAXS + 2];
} pool_shape;

static cort_status *check_len(const cort_kctx *ctx, const char *name, int n, int want) {
    if (n >= 0 && n != want) return cort_kerr(ctx, "attribute '%s' has %d values, expected %d", name, n, want);
    return NULL;
}

static cort_status *pool_shape_of(const cort_kctx *ctx, const pool_params *p, const cort_tensor *x, pool_shape *s) {
    if (x->rank < 3 || x->rank - 2 > MAXS)
        return cort_kerr(ctx, "input X has rank %d, expected 3..%d", x->rank, MAXS + 2);
    int sp = x->rank - 2;
    CORT_TRY(check_len(ctx, "kernel_shape", p->win.n_kernel, sp));
    CORT_TRY(check_len(ctx, "strides", p->win.n_strides, sp));
    CORT_TRY(check_len(ctx, "dilations", p->win.n_dilations, sp));
    CORT_TRY(check_len(ctx, "pads", p->win.n_pads, 2 * sp));
    memset(s, 0, sizeof *s);
    cort_conv_geom *g = &s->geom;
    g->spatial = sp;
    s->planes = x->dims[0] * x->dims[1];
    s->rank = x->rank;
    s->dims[0] = x->dims[0];
    s->dims[1] = x->dims[1];
    for (int d = 0; d < sp; d++) {
        int64_t in = x->dims[d + 2], out;
        g->in[d] = in;
        g->kernel[d] = p->win.kernel[d];
        g->stride[d] = p->win.n_strides >= 0 ? p->win.strides[d] : 1;
        g->dilation[d] = p->win.n_dilations >= 0 ? p->win.dilations[d] : 1;
        if (g->kernel[d] - 1 > EXTENT_MAX / g->dilation[d]) return cort_kerr(ctx, "kernel reach is too large");
        int64_t reach = (g->kernel[d] - 1) * g->dilation[d] + 1;
        if (p->win.pad_mode == CORT_PAD_SAME_UPPER || p->win.pad_mode == CORT_PAD_SAME_LOWER) {
            out = (in + g->stride[d] - 1) / g->stride[d];
            int64_t total = (out - 1) * g->stride[d] + reach - in;
            if (total < 0) total = 0;
            g->pad_begin[d] = p->win.pad_mode == CORT_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            s->pad_end[d] = total - g->pad_begin[d];
        } else {
            bool valid = p->win.pad_mode == CORT_PAD_VALID || p->win.n_pads < 0;
            g->pad_begin[d] = valid ? 0 : p->win.pads[d];
            s->pad_end[d] = valid ? 0 : p->win.pads[d + sp];
            int64_t span = in + g->pad_begin[d] + s->pad_end[d] - reach;
            if (span < 0) return cort_kerr(ctx, "kernel (reach %lld) is larger than the padded input", (long long)reach);
            out = (p->ceil_mode ? (span + g->stride[d] - 1) / g->stride[d] : span / g->stride[d]) + 1;
            /* a ceil-mode window must start inside the input or its leading padding */
            if (p->ceil_mode && (out - 1) * g->stride[d] >= in + g->pad_begin[d]) out--;
        }
        g->out[d] = out;
        s->dims[d + 2] = out;
    }
    return NULL;
}

/* ================================================================ window pooling */

typedef struct pool_job {
    const pool_params *p;
    const pool_shape *s;
    const float *x;
    float *y;
    int64_t *indices; /* MaxPool's second output, or NULL */
} pool_job;

/* In-image window bounds of one output along each dim: k in [lo, hi); `padded` counts the window
 * positions inside the padded extent (AveragePool with count_include_pad). */
typedef struct window {
    int64_t start[MAXS], lo[MAXS], hi[MAXS];
    int64_t valid, padded;
} window;

static void window_at(const pool_shape *s, const int64_t *oc, window *w) {
    const cort_conv_geom *g = &s->geom;
    w->valid = w->padded = 1;
    for (int d = 0; d < g->spatial; d++) {
        int64_t st = oc[d] * g->stride[d] - g->pad_begin[d], dil = g->dilation[d], k = g->kernel[d];
        int64_t lo = st >= 0 ? 0 : (-st + dil - 1) / dil;
        int64_t hi = g->in[d] - st <= 0 ? 0 : (g->in[d] - st + dil - 1) / dil;
        int64_t pad_hi = g->in[d] + s->pad_end[d] - st <= 0 ? 0 : (g->in[d] + s->pad_end[d] - st + dil - 1) / dil;
        if (hi > k) hi = k;
        if (pad_hi > k) pad_hi = k;
        if (lo > hi) lo = hi;
        w->start[d] = st;
        w->lo[d] = lo;
        w->hi[d] = hi;
        w->valid *= hi - lo;
        w->padded *= pad_hi;
    }
}

/* Index of an input position in the plane: row-major, or column-major for storage_order 1. */
static int64_t plane_index(const cort_conv_geom *g, const int64_t *pos, bool col_major) {
    int64_t idx = 0;
    if (col_major)
        for (int d = g->spatial - 1; d >= 0; d--) idx = idx * g->in[d] + pos[d];
    else
        for (int d = 0; d < g->spatial; d++) idx = idx * g->in[d] + pos[d];
    return idx;
}

/* Reduces one window of plane x; returns the result and, for max, the winning position's index. */
static float reduce_window(const pool_job *j, const float *x, const window *w, int64_t *arg) {
    const cort_conv_geom *g = &j->s->geom;
    int sp = g->spatial;
    int64_t kc[MAXS], pos[MAXS];
    float best = -INFINITY;
    double sum = 0;
    int64_t best_at = -1;
    if (w->valid == 0) {
        *arg = -1;
        return j->p->kind == POOL_MAX ? -INFINITY : 0.0f;
    }
    for (int d = 0; d < sp; d++) kc[d] = w->lo[d];
    for (;;) {
        int64_t off = 0;
        for (int d = 0; d < sp; d++) {
            pos[d] = w->start[d] + kc[d] * g->dilation[d];
            off = off * g->in[d] + pos[d];
        }
        float v = x[off];
        if (j->p->kind == POOL_MAX) {
            if (v > best || best_at < 0) {
                best = v;
                best_at = j->indices ? plane_index(g, pos, j->p->col_major) : off;
            }
        } else if (j->p->kind == POOL_AVG) {
            sum += v;
        } else {
            sum += pow(fabs((double)v), j->p->p);
        }
        int d = sp - 1;
        while (d >= 0 && ++kc[d] == w->hi[d]) {
            kc[d] = w->lo[d];
            d--;
        }
        if (d < 0) break;
    }
    *arg = best_at;
    if (j->p->kind == POOL_MAX) return best;
    if (j->p->kind == POOL_AVG) return (float)(sum / (double)(j->p->count_include_pad ? w->padded : w->valid));
    return (float)pow(sum, 1.0 / j->p->p);
}

/* Window bounds along one dim: in-image k in [lo, hi), padded extent k < pad_hi. */
static inline void dim_range(int64_t st, int64_t in, int64_t pad_end, int64_t k, int64_t dil, int64_t *lo, int64_t *hi,
                             int64_t *pad_hi) {
    if (st >= 0 && st + (k - 1) * dil < in) { /* interior: the whole window */
        *lo = 0;
        *hi = *pad_hi = k;
        return;
    }
    *lo = st >= 0 ? 0 : (-st + dil - 1) / dil;
    *hi = in - st <= 0 ? 0 : (in - st + dil - 1) / dil;
    *pad_hi = in + pad_end - st <= 0 ? 0 : (in + pad_end - st + dil - 1) / dil;
    if (*hi > k) *hi = k;
    if (*pad_hi > k) *pad_hi = k;
    if (*lo > *hi) *lo = *hi;
}

/* The common 2-D case without the general odometer. */
static void pool_plane_2d(const pool_job *j, const float *x, float *y, int64_t *ind, int64_t base) {
    const cort_conv_geom *g = &j->s->geom;
    const pool_params *p = j->p;
    int64_t h = g->in[0], w = g->in[1], oh = g->out[0], ow = g->out[1];
    for (int64_t i = 0; i < oh; i++) {
        int64_t hs = i * g->stride[0] - g->pad_begin[0], hlo, hhi, hpad;
        dim_range(hs, h, j->s->pad_end[0], g->kernel[0], g->dilation[0], &hlo, &hhi, &hpad);
        for (int64_t jj = 0; jj < ow; jj++) {
            int64_t ws = jj * g->stride[1] - g->pad_begin[1], wlo, whi, wpad;
            dim_range(ws, w, j->s->pad_end[1], g->kernel[1], g->dilation[1], &wlo, &whi, &wpad);
            float best = -INFINITY;
            int64_t at = -1;
            double sum = 0;
            if (p->kind == POOL_MAX && !ind) { /* branch-free max: no index to track */
                for (int64_t kh = hlo; kh < hhi; kh++) {
                    const float *row = x + (hs + kh * g->dilation[0]) * w + ws;
                    for (int64_t kw = wlo; kw < whi; kw++) {
                        float v = row[kw * g->dilation[1]];
                        best = v > best ? v : best;
                    }
                }
                y[i * ow + jj] = best;
                continue;
            }
            for (int64_t kh = hlo; kh < hhi; kh++) {
                int64_t r = hs + kh * g->dilation[0];
                const float *row = x + r * w;
                for (int64_t kw = wlo; kw < whi; kw++) {
                    int64_t c = ws + kw * g->dilation[1];
                    float v = row[c];
                    if (p->kind == POOL_MAX) {
                        if (v > best || at < 0) {
                            best = v;
                            at = p->col_major ? c * h + r : r * w + c;
                        }
                    } else if (p->kind == POOL_AVG) {
                        sum += v;
                    } else {
                        sum += pow(fabs((double)v), p->p);
                    }
                }
            }
            int64_t o = i * ow + jj, valid = (hhi - hlo) * (whi - wlo);
            if (p->kind == POOL_MAX) {
                y[o] = best;
                if (ind) ind[o] = at < 0 ? -1 : base + at;
            } else if (p->kind == POOL_AVG) {
                int64_t count = p->count_include_pad ? hpad * wpad : valid;
                y[o] = count > 0 ? (float)(sum / (double)count) : 0.0f;
            } else {
                y[o] = valid > 0 ? (float)pow(sum, 1.0 / p->p) : 0.0f;
            }
        }
    }
}

static void pool_planes(void *arg, int64_t begin, int64_t end) {
    const pool_job *j = arg;
    const cort_conv_geom *g = &j->s->geom;
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g);
    int64_t oc[MAXS];
    window w;
    for (int64_t plane = begin; plane < end; plane++) {
        if (g->spatial == 2) {
            pool_plane_2d(j, j->x + plane * isize, j->y + plane * osize,
                          j->indices ? j->indices + plane * osize : NULL, plane * isize);
            continue;
        }
        const float *x = j->x + plane * isize;
        float *y = j->y + plane * osize;
        for (int d = 0; d < g->spatial; d++) oc[d] = 0;
        for (int64_t o = 0; o < osize; o++) {
            int64_t at;
            window_at(j->s, oc, &w);
            y[o] = reduce_window(j, x, &w, &at);
            if (j->indices) j->indices[plane * osize + o] = at < 0 ? -1 : plane * isize + at;
            for (int d = g->spatial - 1; d >= 0 && ++oc[d] == g->out[d]; d--) oc[d] = 0;
        }
    }
}

/* Planes per parallel chunk: enough that a chunk touches some 64 KiB (handing a chunk to another
 * thread and joining it costs microseconds, about what a pass over a few thousand floats takes);
 * `elems` is a plane's elements read and written. */
static int64_t min_planes(int64_t elems) {
    const int64_t chunk_elems = 16384;
    return elems >= chunk_elems ? 1 : chunk_elems / (elems > 0 ? elems : 1);
}

/* The pooling src/kernels does separably (cort_pool2d_rows): max without indices and average, 2-D or
 * 1-D (one row), without dilation; false for the rest, which the loops above take. */
static bool kernel_geometry(const pool_params *p, const pool_shape *s, bool indices, cort_pool2d *k) {
    const cort_conv_geom *g = &s->geom;
    if ((p->kind != POOL_MAX && p->kind != POOL_AVG) || indices || g->spatial > 2) return false;
    int w = g->spatial - 1, h = g->spatial == 2 ? 0 : -1; /* 1-D: a single row, its window one row high */
    if (g->dilation[w] != 1 || (h == 0 && g->dilation[h] != 1)) return false;
    *k = (cort_pool2d){
        .in_h = h == 0 ? g->in[h] : 1, .in_w = g->in[w], .out_h = h == 0 ? g->out[h] : 1, .out_w = g->out[w],
        .k_h = h == 0 ? g->kernel[h] : 1, .k_w = g->kernel[w], .stride_h = h == 0 ? g->stride[h] : 1,
        .stride_w = g->stride[w], .pad_top = h == 0 ? g->pad_begin[h] : 0, .pad_left = g->pad_begin[w],
        .pad_bottom = h == 0 ? s->pad_end[h] : 0, .pad_right = s->pad_end[w], .is_max = p->kind == POOL_MAX,
        .count_include_pad = p->count_include_pad,
    };
    return cort_pool2d_ok(k);
}

/* Parallel tasks of the kernel path: (plane, block of output rows), so that a few planes (a batch of
 * one with few channels) still spread over the threads. */
typedef struct rows_job {
    const cort_pool2d *k;
    const float *x;
    float *y;
    int64_t blocks, block_rows;
} rows_job;

static void pool_row_blocks(void *arg, int64_t begin, int64_t end) {
    const rows_job *j = arg;
    int64_t isize = j->k->in_h * j->k->in_w, osize = j->k->out_h * j->k->out_w;
    for (int64_t t = begin; t < end; t++) {
        int64_t plane = t / j->blocks, r0 = (t % j->blocks) * j->block_rows;
        int64_t r1 = r0 + j->block_rows < j->k->out_h ? r0 + j->block_rows : j->k->out_h;
        cort_pool2d_rows(j->k, j->x + plane * isize, j->y + plane * osize, r0, r1);
    }
}

/* Inputs from this size on are taken to come from memory (larger than a core's share of the caches
 * once the producer has written them): the kernels then prefetch rows ahead. Measured on unet's first
 * pools (8 and 4 MiB: 0.66-0.85 -> ~0.41 ms); squeezenet's 3 MiB one runs better without. */
enum { POOL_STREAM_BYTES = 4 << 20 };

static void run_kernel_path(cort_kctx *ctx, cort_pool2d *k, int64_t planes, const float *x, float *y) {
    k->stream = planes * k->in_h * k->in_w * (int64_t)sizeof(float) >= POOL_STREAM_BYTES;
    int64_t threads = ctx->threads > 1 ? ctx->threads : 1, want = 4 * threads, blocks = 1;
    if (threads > 1 && planes < want) blocks = (want + planes - 1) / planes;
    if (blocks > k->out_h) blocks = k->out_h;
    rows_job job = {k, x, y, blocks, (k->out_h + blocks - 1) / blocks};
    blocks = (k->out_h + job.block_rows - 1) / job.block_rows; /* no empty block */
    job.blocks = blocks;
    int64_t task_elems = (k->in_h * k->in_w + k->out_h * k->out_w) / blocks;
    ctx->svc->parallel_for(ctx, planes * blocks, min_planes(task_elems), pool_row_blocks, &job);
}

static cort_status *window_pool_run(cort_kctx *ctx) {
    const pool_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    pool_shape s;
    CORT_TRY(pool_shape_of(ctx, p, x, &s));
    if (p->kind == POOL_LP && !(p->p > 0)) return cort_kerr(ctx, "p must be positive");
    cort_tensor *y, *ind = NULL;
    CORT_TRY(cort_out(ctx, 0, x->type, s.rank, s.dims, &y));
    bool want_indices = p->kind == POOL_MAX && cort_out_wanted(ctx, 1);
    if (want_indices) CORT_TRY(cort_out(ctx, 1, CORT_INT64, s.rank, s.dims, &ind));
    if (cort_tensor_count(y) == 0) return NULL;
    const float *xf;
    float *yf;
    CORT_TRY(input_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    cort_pool2d k;
    if (kernel_geometry(p, &s, ind != NULL, &k)) {
        run_kernel_path(ctx, &k, s.planes, xf, yf);
        finish_f32(y, yf);
        return NULL;
    }
    pool_job job = {p, &s, xf, yf, ind ? ind->data : NULL};
    int64_t plane_work = (cort_tensor_count(x) + cort_tensor_count(y)) / s.planes; /* y is not empty */
    ctx->svc->parallel_for(ctx, s.planes, min_planes(plane_work), pool_planes, &job);
    finish_f32(y, yf);
    return NULL;
}

/* Output dims of a spatial dim depend on that input dim alone, so an unknown one is replaced by this
 * stand-in while the others are inferred, and reported unknown. */
enum { UNKNOWN_STANDIN = 1 << 20 };

static cort_status *pool_infer(cort_infer_ctx *ic) {
    const pool_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_type_set_tensor(&ic->out[0], x->elem, -1, NULL);
    if (ic->n_out > 1) cort_type_set_tensor(&ic->out[1], CORT_INT64, -1, NULL);
    if (x->rank < 3 || x->rank > MAXS + 2 || !strcmp(ic->node->op_type, "MaxUnpool")) return NULL;
    cort_tensor tx = {x->elem, x->rank, {0}, NULL};
    tx.dims[0] = tx.dims[1] = 1;
    for (int d = 2; d < x->rank; d++) tx.dims[d] = x->dims[d].value >= 0 ? x->dims[d].value : UNKNOWN_STANDIN;
    cort_kctx k;
    memset(&k, 0, sizeof k);
    k.node = ic->node;
    pool_shape s;
    cort_status *st = pool_shape_of(&k, p, &tx, &s);
    if (st) { /* the run reports it with the real shapes */
        cort_status_free(st);
        return NULL;
    }
    for (int o = 0; o < (ic->n_out > 1 ? 2 : 1); o++) {
        cort_dim *d = cort_pool_calloc(ic->pool, (size_t)x->rank, sizeof(cort_dim));
        if (!d) return cort_oom();
        d[0] = x->dims[0];
        d[1] = x->dims[1];
        for (int i = 2; i < x->rank; i++) d[i] = (cort_dim){x->dims[i].value >= 0 ? s.dims[i] : -1, NULL};
        cort_type_set_tensor(&ic->out[o], o ? CORT_INT64 : x->elem, x->rank, d);
    }
    return NULL;
}

/* ================================================================ global pools */

typedef struct global_job {
    pool_kind kind;
    float p;
    int64_t size;
    const float *x;
    float *y;
} global_job;

enum { GLOBAL_LANES = 16 }; /* running maxima, which compilers keep in one vector register */

/* NaN is skipped, as the plain loop `m = x > m ? x : m` does, lane by lane. */
static float plane_max(const float *x, int64_t size) {
    float acc[GLOBAL_LANES];
    for (int q = 0; q < GLOBAL_LANES; q++) acc[q] = -INFINITY;
    int64_t i = 0;
    for (; i + GLOBAL_LANES <= size; i += GLOBAL_LANES)
        for (int q = 0; q < GLOBAL_LANES; q++) acc[q] = x[i + q] > acc[q] ? x[i + q] : acc[q];
    float m = -INFINITY;
    for (; i < size; i++) m = x[i] > m ? x[i] : m;
    for (int q = 0; q < GLOBAL_LANES; q++) m = acc[q] > m ? acc[q] : m;
    return m;
}

static void global_planes(void *arg, int64_t begin, int64_t end) {
    const global_job *j = arg;
    for (int64_t plane = begin; plane < end; plane++) {
        const float *x = j->x + plane * j->size;
        if (j->kind == POOL_MAX) {
            j->y[plane] = plane_max(x, j->size);
        } else if (j->kind == POOL_AVG) {
            j->y[plane] = j->size ? (float)(cort_plane_sum(x, j->size) / (double)j->size) : NAN;
        } else {
            double s = 0;
            for (int64_t i = 0; i < j->size; i++) s += pow(fabs((double)x[i]), j->p);
            j->y[plane] = (float)pow(s, 1.0 / j->p);
        }
    }
}

typedef struct global_params {
    pool_kind kind;
    float p;
} global_params;

static cort_status *globalmax_parse(cort_parse_ctx *pc) {
    ((global_params *)pc->params)->kind = POOL_MAX;
    return NULL;
}
static cort_status *globalavg_parse(cort_parse_ctx *pc) {
    ((global_params *)pc->params)->kind = POOL_AVG;
    return NULL;
}
static cort_status *globallp_parse(cort_parse_ctx *pc) {
    global_params *p = pc->params;
    p->kind = POOL_LP;
    p->p = lp_exponent(pc->node);
    if (!(p->p > 0)) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "p must be positive");
    return NULL;
}

static cort_status *global_pool_run(cort_kctx *ctx) {
    const global_params *p = ctx->params;
    const cort_tensor *x;
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    if (x->rank < 2) return cort_kerr(ctx, "input X has rank %d, expected at least 2", x->rank);
    int64_t dims[CORT_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int d = 2; d < x->rank; d++) dims[d] = 1;
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, dims, &y));
    int64_t planes = x->dims[0] * x->dims[1];
    if (planes == 0) return NULL;
    const float *xf;
    float *yf;
    CORT_TRY(input_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    global_job job = {p->kind, p->p, product(x->dims + 2, x->rank - 2), xf, yf};
    ctx->svc->parallel_for(ctx, planes, min_planes(job.size), global_planes, &job);
    finish_f32(y, yf);
    return NULL;
}

static cort_status *global_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    if (x->rank < 2) {
        cort_type_set_tensor(&ic->out[0], x->elem, -1, NULL);
        return NULL;
    }
    cort_dim *d = cort_pool_calloc(ic->pool, (size_t)x->rank, sizeof(cort_dim));
    if (!d) return cort_oom();
    d[0] = x->dims[0];
    d[1] = x->dims[1];
    for (int i = 2; i < x->rank; i++) d[i] = (cort_dim){1, NULL};
    cort_type_set_tensor(&ic->out[0], x->elem, x->rank, d);
    return NULL;
}

/* ================================================================ MaxRoiPool */

typedef struct roi_params {
    int64_t pooled[2];
    float spatial_scale;
} roi_params;

static cort_status *maxroipool_parse(cort_parse_ctx *pc) {
    roi_params *p = pc->params;
    const int64_t *v;
    if (cort_attr_ints(pc->node, "pooled_shape", &v) != 2 || v[0] < 1 || v[1] < 1)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'pooled_shape' must hold two positive ints");
    p->pooled[0] = v[0];
    p->pooled[1] = v[1];
    p->spatial_scale = cort_attr_float(pc->node, "spatial_scale", 1.0f);
    return NULL;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static cort_status *maxroipool_run(cort_kctx *ctx) {
    const roi_params *p = ctx->params;
    const cort_tensor *x, *rois;
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "rois", &rois));
    if (x->rank != 4) return cort_kerr(ctx, "input X has rank %d, expected 4", x->rank);
    if (rois->rank != 2 || rois->dims[1] != 5) return cort_kerr(ctx, "rois must have shape [num_rois, 5]");
    if (!cort_is_float_type(rois->type)) return cort_kerr(ctx, "rois must be floating point");
    int64_t n_rois = rois->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t ph = p->pooled[0], pw = p->pooled[1];
    int64_t dims[4] = {n_rois, ch, ph, pw};
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, 4, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    const float *xf;
    float *yf;
    CORT_TRY(input_f32(ctx, x, &xf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    for (int64_t r = 0; r < n_rois; r++) {
        int64_t b = (int64_t)cort_get_f64(rois, r * 5);
        if (b < 0 || b >= x->dims[0]) return cort_kerr(ctx, "roi %lld has batch index %lld out of range", (long long)r, (long long)b);
        int64_t x1 = (int64_t)round(cort_get_f64(rois, r * 5 + 1) * p->spatial_scale);
        int64_t y1 = (int64_t)round(cort_get_f64(rois, r * 5 + 2) * p->spatial_scale);
        int64_t x2 = (int64_t)round(cort_get_f64(rois, r * 5 + 3) * p->spatial_scale);
        int64_t y2 = (int64_t)round(cort_get_f64(rois, r * 5 + 4) * p->spatial_scale);
        int64_t rh = y2 - y1 + 1, rw = x2 - x1 + 1; /* a degenerate roi still covers one pixel */
        if (rh < 1) rh = 1;
        if (rw < 1) rw = 1;
        double bin_h = (double)rh / (double)ph, bin_w = (double)rw / (double)pw;
        for (int64_t c = 0; c < ch; c++) {
            const float *plane = xf + (b * ch + c) * h * w;
            float *out = yf + ((r * ch + c) * ph) * pw;
            for (int64_t i = 0; i < ph; i++) {
                int64_t hs = clamp64((int64_t)floor((double)i * bin_h) + y1, 0, h);
                int64_t he = clamp64((int64_t)ceil((double)(i + 1) * bin_h) + y1, 0, h);
                for (int64_t j = 0; j < pw; j++) {
                    int64_t ws = clamp64((int64_t)floor((double)j * bin_w) + x1, 0, w);
                    int64_t we = clamp64((int64_t)ceil((double)(j + 1) * bin_w) + x1, 0, w);
                    float m = (he <= hs || we <= ws) ? 0.0f : -FLT_MAX;
                    for (int64_t yy = hs; yy < he; yy++)
                        for (int64_t xx = ws; xx < we; xx++) m = plane[yy * w + xx] > m ? plane[yy * w + xx] : m;
                    out[i * pw + j] = m;
                }
            }
        }
    }
    finish_f32(y, yf);
    return NULL;
}

/* ================================================================ MaxUnpool */

static cort_status *maxunpool_parse(cort_parse_ctx *pc) {
    pool_params *p = pc->params;
    p->kind = POOL_MAX;
    return parse_window(pc->node, p);
}

static cort_status *maxunpool_run(cort_kctx *ctx) {
    const pool_params *p = ctx->params;
    const cort_tensor *x, *ind, *shape = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    CORT_TRY(cort_nn_input(ctx, 1, "I", &ind));
    if (x->rank < 3 || x->rank - 2 > MAXS) return cort_kerr(ctx, "input X has rank %d, expected 3..%d", x->rank, MAXS + 2);
    int sp = x->rank - 2;
    CORT_TRY(check_len(ctx, "kernel_shape", p->win.n_kernel, sp));
    CORT_TRY(check_len(ctx, "strides", p->win.n_strides, sp));
    CORT_TRY(check_len(ctx, "pads", p->win.n_pads, 2 * sp));
    if (ind->type != CORT_INT64 || cort_tensor_count(ind) != cort_tensor_count(x))
        return cort_kerr(ctx, "indices I must be int64 with X's element count");
    /* indices address the default-size output; an explicit output_shape may be larger */
    int64_t natural[MAXS + 2], dims[MAXS + 2];
    natural[0] = x->dims[0];
    natural[1] = x->dims[1];
    for (int d = 0; d < sp; d++) {
        int64_t stride = p->win.n_strides >= 0 ? p->win.strides[d] : 1;
        int64_t pads = p->win.n_pads >= 0 ? p->win.pads[d] + p->win.pads[d + sp] : 0;
        natural[d + 2] = (x->dims[d + 2] - 1) * stride + p->win.kernel[d] - pads;
    }
    memcpy(dims, natural, sizeof dims);
    if (shape) {
        if (shape->rank != 1 || shape->dims[0] != x->rank) return cort_kerr(ctx, "output_shape must have %d values", x->rank);
        for (int d = 0; d < x->rank; d++) dims[d] = cort_get_i64(shape, d);
    }
    if (cort_shape_count(dims, x->rank) < 0 || cort_shape_count(natural, x->rank) < 0)
        return cort_kerr(ctx, "invalid output shape");
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, dims, &y));
    int64_t total = cort_tensor_count(y), natural_total = cort_shape_count(natural, x->rank), n = cort_tensor_count(x);
    size_t esize = cort_elem_size(x->type);
    memset(y->data, 0, (size_t)total * esize);
    const int64_t *idx = ind->data;
    for (int64_t i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= natural_total)
            return cort_kerr(ctx, "index %lld is outside the unpooled tensor (%lld elements)", (long long)idx[i],
                             (long long)natural_total);
        int64_t rest = idx[i], scale = 1, at = 0;
        for (int d = x->rank - 1; d >= 0; d--) {
            int64_t c = rest % natural[d];
            rest /= natural[d];
            if (c >= dims[d]) return cort_kerr(ctx, "index %lld does not fit output_shape", (long long)idx[i]);
            at += c * scale;
            scale *= dims[d];
        }
        memcpy((char *)y->data + (size_t)at * esize, (const char *)x->data + (size_t)i * esize, esize);
    }
    return NULL;
}

/* ================================================================ table */

#define POOL_TYPES (CORT_TS_FLOAT | CORT_T(CORT_INT8) | CORT_T(CORT_UINT8))

const cort_op_def cort_ops_pool[] = {
    {"", "MaxPool", 1, CORT_OPSET_MAX, POOL_TYPES, 0, sizeof(pool_params), maxpool_parse, pool_infer, NULL,
     window_pool_run, 0},
    {"", "AveragePool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(pool_params), avgpool_parse, pool_infer, NULL,
     window_pool_run, 0},
    {"", "LpPool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(pool_params), lppool_parse, pool_infer, NULL,
     window_pool_run, 0},
    {"", "GlobalMaxPool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(global_params), globalmax_parse, global_infer,
     NULL, global_pool_run, 0},
    {"", "GlobalAveragePool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(global_params), globalavg_parse,
     global_infer, NULL, global_pool_run, 0},
    {"", "GlobalLpPool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(global_params), globallp_parse, global_infer,
     NULL, global_pool_run, 0},
    {"", "MaxRoiPool", 1, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(roi_params), maxroipool_parse, NULL, NULL,
     maxroipool_run, 0},
    {"", "MaxUnpool", 9, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(pool_params), maxunpool_parse, NULL, NULL,
     maxunpool_run, 0},
    {0},
};
