/* Resampling: Resize (opsets 10, 11, 13), Upsample (opsets 7 and 9) and GridSample (opset 16).
 *
 * Resize is separable: for every axis and every output coordinate we precompute up to four input
 * taps (index, weight) once, then each output element is the weighted sum over the product of its
 * axes' taps. Zero-weight taps are dropped, so axes that are not resized cost nothing, and the
 * same code serves nearest (1 tap), linear (2) and cubic (4) in any rank. Leading axes that are not
 * resized (N, C) become independent planes run in parallel; float images with two resized axes take
 * a flat 2-D path.
 *
 * Matching ONNX Runtime: source coordinates are computed in float (nearest rounding at exact .5
 * boundaries depends on it) and integer linear outputs use its float weights and truncation.
 * Deliberate difference: align_corners with a fractional scale uses in * scale as the resized
 * length, as the ONNX specification and its reference tests do (ONNX Runtime uses the floored
 * output size and fails test_resize_downsample_scales_{linear,cubic}_align_corners). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

typedef enum resize_mode { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC } resize_mode;

typedef enum coord_mode {
    CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_FOR_NN,
    CT_TF_CROP_AND_RESIZE
} coord_mode;

typedef enum nearest_mode {
    NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL,
    NM_SIMPLE /* Upsample and Resize-10: floor when enlarging, ceil when shrinking (as ONNX Runtime) */
} nearest_mode;

typedef enum resize_inputs {
    IN_SCALES_ATTR,    /* Upsample-7: scales attribute */
    IN_SCALES,         /* Upsample-9, Resize-10: X, scales */
    IN_ROI_SCALES_SIZES /* Resize-11/13: X, roi, scales, sizes */
} resize_inputs;

typedef struct resize_params {
    resize_mode mode;
    coord_mode coord;
    nearest_mode nearest;
    resize_inputs inputs;
    double cubic_a;
    bool exclude_outside;
    double extrapolation;
    int64_t n_attr_scales;
    const float *attr_scales;
} resize_params;

static bool name_index(const char *s, const char *const *names, int n, int *out) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return (*out = i), true;
    return false;
}

static cort_status *resize_parse(cort_parse_ctx *pc) {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    resize_params *p = pc->params;
    const cort_node *node = pc->node;
    bool is_upsample = !strcmp(node->op_type, "Upsample");
    bool modern = !is_upsample && node->opset >= 11;
    const char *mode = cort_attr_string(node, "mode", "nearest");
    int v;
    if (is_upsample && !strcmp(mode, "bilinear")) mode = "linear";
    if (!name_index(mode, modes, modern ? 3 : 2, &v))
        return cort_node_error(node, CORT_INVALID_GRAPH, "mode '%s' is not supported", mode);
    p->mode = (resize_mode)v;
    if (!modern) {
        p->coord = CT_ASYMMETRIC;
        p->nearest = NM_SIMPLE;
        p->inputs = is_upsample && node->opset < 9 ? IN_SCALES_ATTR : IN_SCALES;
        if (p->inputs == IN_SCALES_ATTR) {
            p->n_attr_scales = cort_attr_floats(node, "scales", &p->attr_scales);
            if (p->n_attr_scales < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'scales' is required");
        }
        return NULL;
    }
    p->inputs = IN_ROI_SCALES_SIZES;
    const char *ct = cort_attr_string(node, "coordinate_transformation_mode", "half_pixel");
    if (!name_index(ct, coords, 6, &v))
        return cort_node_error(node, CORT_INVALID_GRAPH, "coordinate_transformation_mode '%s' is not supported", ct);
    p->coord = (coord_mode)v;
    const char *nm = cort_attr_string(node, "nearest_mode", "round_prefer_floor");
    if (!name_index(nm, nearests, 4, &v))
        return cort_node_error(node, CORT_INVALID_GRAPH, "nearest_mode '%s' is not supported", nm);
    p->nearest = (nearest_mode)v;
    p->cubic_a = cort_attr_float(node, "cubic_coeff_a", -0.75f);
    p->exclude_outside = cort_attr_int(node, "exclude_outside", 0) != 0;
    p->extrapolation = cort_attr_float(node, "extrapolation_value", 0.0f);
    return NULL;
}

/* ---------------------------------------------------------------- output shape and scales */

typedef struct resize_geometry {
    int rank;
    int64_t in[CORT_MAX_RANK], out[CORT_MAX_RANK];
    double scale[CORT_MAX_RANK];
    /* the resized length the coordinate formulas use: in * scale, not yet floored (as the ONNX
     * reference computes it; it differs from out for align_corners with fractional scales) */
    double resized_len[CORT_MAX_RANK];
    double roi_start[CORT_MAX_RANK], roi_end[CORT_MAX_RANK];
} resize_geometry;

static bool is_float_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_FLOAT16 || t == CORT_BFLOAT16;
}

static cort_status *geometry_from_scales(const cort_kctx *ctx, resize_geometry *g, const float *attr,
                                         const cort_tensor *t) {
    for (int d = 0; d < g->rank; d++) {
        double s = attr ? attr[d] : cort_get_f64(t, d);
        if (!(s > 0) || !isfinite(s)) return cort_kerr(ctx, "scale %g for axis %d must be positive", s, d);
        double o = floor(s * (double)g->in[d]);
        if (o > (double)CORT_MAX_ELEMENTS) return cort_kerr(ctx, "output too large");
        g->scale[d] = s;
        g->out[d] = (int64_t)o;
        g->resized_len[d] = s * (double)g->in[d];
    }
    return NULL;
}

static cort_status *geometry_from_sizes(const cort_kctx *ctx, resize_geometry *g, const cort_tensor *sizes) {
    for (int d = 0; d < g->rank; d++) {
        int64_t o = cort_get_i64(sizes, d);
        if (o < 0 || o > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "size %lld for axis %d is out of range", (long long)o, d);
        g->out[d] = o;
        g->scale[d] = g->in[d] ? (double)o / (double)g->in[d] : 1.0;
        g->resized_len[d] = (double)o;
    }
    return NULL;
}

static bool tensor_given(const cort_tensor *t) { return t && cort_tensor_count(t) > 0; }

static cort_status *resize_geometry_init(const cort_kctx *ctx, const resize_params *p, const cort_tensor *x,
                                         resize_geometry *g) {
    g->rank = x->rank;
    for (int d = 0; d < x->rank; d++) {
        g->in[d] = x->dims[d];
        g->roi_start[d] = 0;
        g->roi_end[d] = 1;
    }
    if (p->inputs == IN_SCALES_ATTR) {
        if (p->n_attr_scales != x->rank)
            return cort_kerr(ctx, "%lld scales given for input of rank %d", (long long)p->n_attr_scales, x->rank);
        CORT_TRY(geometry_from_scales(ctx, g, p->attr_scales, NULL));
    } else if (p->inputs == IN_SCALES) {
        const cort_tensor *s = cort_in(ctx, 1);
        if (!s || !is_float_type(s->type) || cort_tensor_count(s) != x->rank)
            return cort_kerr(ctx, "scales must be a float tensor with one value per axis (%d)", x->rank);
        CORT_TRY(geometry_from_scales(ctx, g, NULL, s));
    } else {
        const cort_tensor *roi = cort_in(ctx, 1), *scales = cort_in(ctx, 2), *sizes = cort_in(ctx, 3);
        if (tensor_given(sizes)) {
            if (tensor_given(scales)) return cort_kerr(ctx, "only one of scales and sizes may be given");
            if (sizes->type != CORT_INT64 || cort_tensor_count(sizes) != x->rank)
                return cort_kerr(ctx, "sizes must be int64 with one value per axis (%d)", x->rank);
            CORT_TRY(geometry_from_sizes(ctx, g, sizes));
        } else if (tensor_given(scales)) {
            if (!is_float_type(scales->type) || cort_tensor_count(scales) != x->rank)
                return cort_kerr(ctx, "scales must be float with one value per axis (%d)", x->rank);
            CORT_TRY(geometry_from_scales(ctx, g, NULL, scales));
        } else {
            return cort_kerr(ctx, "one of scales and sizes must be given");
        }
        if (p->coord == CT_TF_CROP_AND_RESIZE) {
            if (!roi || !is_float_type(roi->type) || cort_tensor_count(roi) != 2 * (int64_t)x->rank)
                return cort_kerr(ctx, "tf_crop_and_resize needs an roi of %d floats", 2 * x->rank);
            for (int d = 0; d < x->rank; d++) {
                g->roi_start[d] = cort_get_f64(roi, d);
                g->roi_end[d] = cort_get_f64(roi, x->rank + d);
            }
        }
    }
    for (int d = 0; d < g->rank; d++)
        if (g->in[d] == 0 && g->out[d] > 0) return cort_kerr(ctx, "cannot resize an empty axis %d to %lld", d, (long long)g->out[d]);
    if (cort_shape_count(g->out, g->rank) < 0) return cort_kerr(ctx, "output too large");
    return NULL;
}

/* ---------------------------------------------------------------- per-axis taps */

/* The input coordinate that output coordinate `o` of axis d maps to. */
/* The input coordinate that output coordinate `o` of axis d maps to. Computed in float, as ONNX
 * Runtime does: nearest modes round exactly at .5 boundaries, and double arithmetic would land on
 * the other side of some of them (1.5 / 0.6f is 2.5 in float but 2.4999999 in double). */
static double source_coord(const resize_params *p, const resize_geometry *g, int d, int64_t o) {
    float x = (float)o, s = (float)g->scale[d], in = (float)g->in[d], out = (float)g->resized_len[d];
    switch (p->coord) {
    case CT_HALF_PIXEL: return (x + 0.5f) / s - 0.5f;
    case CT_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5f) / s - 0.5f : 0;
    case CT_ALIGN_CORNERS: return out > 1 ? x * (in - 1) / (out - 1) : 0;
    case CT_ASYMMETRIC: return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN: return (x + 0.5f) / s;
    case CT_TF_CROP_AND_RESIZE: {
        float a = (float)g->roi_start[d], b = (float)g->roi_end[d];
        return out > 1 ? a * (in - 1) + x * (b - a) * (in - 1) / (out - 1) : 0.5f * (a + b) * (in - 1);
    }
    }
    return x;
}

static int64_t nearest_index(nearest_mode m, double x, bool shrinking) {
    double f = floor(x);
    switch (m) {
    case NM_ROUND_PREFER_FLOOR: return (int64_t)(x == f + 0.5 ? f : round(x));
    case NM_ROUND_PREFER_CEIL: return (int64_t)(x == f + 0.5 ? f + 1 : round(x));
    case NM_FLOOR: return (int64_t)f;
    case NM_CEIL: return (int64_t)ceil(x);
    case NM_SIMPLE: return (int64_t)(shrinking ? ceil(x) : (x < 0 ? ceil(x) : f));
    }
    return (int64_t)f;
}

static void cubic_coeffs(double s, double a, double c[4]) {
    double t0 = s + 1, t3 = 2 - s, u = 1 - s;
    c[0] = ((a * t0 - 5 * a) * t0 + 8 * a) * t0 - 4 * a;
    c[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
    c[2] = ((a + 2) * u - (a + 3)) * u * u + 1;
    c[3] = ((a * t3 - 5 * a) * t3 + 8 * a) * t3 - 4 * a;
}

static int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/* Taps of one output coordinate: up to 4 (input index, weight); n = 0 marks extrapolation. */
typedef struct axis_taps {
    int n;
    int64_t at[4];
    double w[4];
} axis_taps;

static void add_tap(axis_taps *t, int64_t at, double w) {
    if (w == 0) return;
    for (int i = 0; i < t->n; i++)
        if (t->at[i] == at) {
            t->w[i] += w;
            return;
        }
    t->at[t->n] = at;
    t->w[t->n++] = w;
}

static axis_taps taps_for(const resize_params *p, const resize_geometry *g, int d, int64_t o) {
    axis_taps t = {0, {0}, {0}};
    int64_t in = g->in[d];
    /* an axis that is not resized maps one to one, whatever the coordinate mode (as ONNX Runtime) */
    if (g->scale[d] == 1.0 && g->out[d] == in && p->coord != CT_TF_CROP_AND_RESIZE) {
        add_tap(&t, o, 1.0);
        return t;
    }
    double x = source_coord(p, g, d, o);
    if (p->coord == CT_TF_CROP_AND_RESIZE && !(x >= 0 && x <= (double)(in - 1))) return t;
    /* every mode clamps to the edges anyway; bounding x first keeps the integer casts defined */
    x = isnan(x) ? 0 : fmin(fmax(x, -4.0), (double)in + 4.0);
    if (p->mode == MODE_NEAREST) {
        add_tap(&t, clamp_index(nearest_index(p->nearest, x, g->scale[d] < 1), in), 1.0);
    } else if (p->mode == MODE_LINEAR) {
        x = fmin(fmax(x, 0.0), (double)(in - 1));
        int64_t x0 = (int64_t)x, x1 = x0 + 1 < in ? x0 + 1 : in - 1;
        double w1 = x - (double)x0;
        add_tap(&t, x0, 1 - w1);
        add_tap(&t, x1, w1);
    } else {
        double f = floor(x), c[4], total = 0;
        cubic_coeffs(x - f, p->cubic_a, c);
        for (int i = 0; i < 4; i++) {
            int64_t at = (int64_t)f - 1 + i;
            if (p->exclude_outside && (at < 0 || at >= in)) c[i] = 0;
            total += c[i];
        }
        for (int i = 0; i < 4; i++) {
            double w = p->exclude_outside && total != 0 ? c[i] / total : c[i];
            add_tap(&t, clamp_index((int64_t)f - 1 + i, in), w);
        }
    }
    if (t.n == 0) { /* every weight was zero: keep one tap so the element reads as 0, not as extrapolated */
        t.n = 1;
        t.at[0] = clamp_index((int64_t)floor(x), in);
        t.w[0] = 0;
    }
    return t;
}

/* ---------------------------------------------------------------- the resampling walk */

/* Columns of the 2-D float path in a flat layout: k taps per output column (padded with zero
 * weights), so the inner loops have a fixed trip count. */
typedef struct column_taps {
    int k;
    int64_t *off; /* [ow * k] element offsets */
    float *w;     /* [ow * k] */
} column_taps;

/* Bilinear weights of one output coordinate exactly as ONNX Runtime computes them, in float: integer
 * outputs truncate the float sum, so matching it bit for bit matters (55.99998 is 55). */
typedef struct ort_linear_tap {
    int64_t i1, i2;
    float d1, d2; /* distances to i1 and i2; the weight of i1 is d2 */
} ort_linear_tap;

/* Work shared by the threads: the leading axes that are not resized (N and C of an image) form
 * independent planes, each resampled over the remaining axes [first, rank). */
typedef struct resample_job {
    const cort_tensor *x;
    cort_tensor *y;
    double extrapolation;
    bool exact_copy; /* nearest: copy elements bit for bit */
    bool oom;        /* a string copy failed (strings run on one thread) */
    int first, rank;
    const int64_t *out;
    axis_taps *taps[CORT_MAX_RANK]; /* `at` holds element offsets: index * input stride */
    int64_t in_plane, out_plane;
    bool fast_2d;       /* resample_plane_2d_f32 applies */
    column_taps cols;
    bool int_linear_2d; /* resample_plane_2d_int_linear applies */
    ort_linear_tap *lin_rows, *lin_cols;
} resample_job;

static bool axis_is_identity(const axis_taps *t, int64_t n, int64_t in) {
    if (n != in) return false;
    for (int64_t o = 0; o < n; o++)
        if (t[o].n != 1 || t[o].at[0] != o || t[o].w[0] != 1.0) return false;
    return true;
}

/* Weighted sum over every combination of the axes' taps (cur[first..rank)). */
static double weighted_sum(const resample_job *j, int64_t base, const axis_taps *const *cur) {
    int t[CORT_MAX_RANK] = {0};
    double acc = 0;
    for (;;) {
        int64_t src = base;
        double w = 1;
        for (int d = j->first; d < j->rank; d++) {
            src += cur[d]->at[t[d]];
            w *= cur[d]->w[t[d]];
        }
        acc += w * (j->x->type == CORT_FLOAT ? ((const float *)j->x->data)[src] : cort_get_f64(j->x, src));
        int d = j->rank - 1;
        while (d >= j->first && ++t[d] == cur[d]->n) t[d--] = 0;
        if (d < j->first) return acc;
    }
}

/* Interpolated values written to an integer type saturate at the type's range (cubic weights can
 * overshoot: -3 must not wrap to 253 in uint8) and truncate toward zero, as ONNX Runtime does. */
static void store_interpolated(cort_tensor *y, int64_t i, double v) {
    double lo, hi;
    switch (y->type) {
    case CORT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case CORT_UINT8: lo = 0, hi = UINT8_MAX; break;
    case CORT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case CORT_UINT16: lo = 0, hi = UINT16_MAX; break;
    case CORT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    case CORT_UINT32: lo = 0, hi = UINT32_MAX; break;
    case CORT_INT64: lo = -9.2e18, hi = 9.2e18; break;
    case CORT_UINT64: lo = 0, hi = 1.8e19; break;
    default: cort_set_f64(y, i, v); return;
    }
    if (isnan(v)) v = 0;
    v = fmin(fmax(v, lo), hi);
    if (y->type == CORT_UINT64) ((uint64_t *)y->data)[i] = (uint64_t)v;
    else cort_set_i64(y, i, (int64_t)v);
}

static char *dup_string(const char *s) {
    size_t len = s ? strlen(s) : 0;
    char *c = malloc(len + 1);
    if (!c) return NULL;
    if (len) memcpy(c, s, len);
    c[len] = 0;
    return c;
}

/* Any rank and type, one output element at a time. */
static void resample_plane_generic(resample_job *j, int64_t plane) {
    const cort_tensor *x = j->x;
    cort_tensor *y = j->y;
    size_t es = cort_elem_size(x->type);
    int64_t in_base = plane * j->in_plane, out_base = plane * j->out_plane;
    int64_t idx[CORT_MAX_RANK] = {0};
    for (int64_t i = out_base; i < out_base + j->out_plane; i++) {
        const axis_taps *cur[CORT_MAX_RANK];
        bool outside = false;
        for (int d = j->first; d < j->rank; d++) {
            cur[d] = &j->taps[d][idx[d]];
            outside |= cur[d]->n == 0;
        }
        int64_t src = in_base;
        if (!outside)
            for (int d = j->first; d < j->rank; d++) src += cur[d]->at[0];
        if (x->type == CORT_STRING) {
            char *c = dup_string(outside ? "" : ((char *const *)x->data)[src]);
            ((char **)y->data)[i] = c;
            j->oom |= c == NULL;
        } else if (outside) {
            store_interpolated(y, i, j->extrapolation);
        } else if (j->exact_copy) {
            memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
        } else {
            store_interpolated(y, i, weighted_sum(j, in_base, cur));
        }
        for (int d = j->rank - 1; d >= j->first; d--) {
            if (++idx[d] < j->out[d]) break;
            idx[d] = 0;
        }
    }
}

/* yr (+)= wr * (sum over the k column taps of row r). */
static void blend_row(float *yr, const float *r, float wr, const column_taps *c, int64_t ow, bool first) {
    const int64_t *off = c->off;
    const float *w = c->w;
    switch (c->k) {
    case 1:
        for (int64_t b = 0; b < ow; b++) {
            float v = wr * w[b] * r[off[b]];
            yr[b] = first ? v : yr[b] + v;
        }
        break;
    case 2:
        for (int64_t b = 0; b < ow; b++) {
            float v = wr * (w[2 * b] * r[off[2 * b]] + w[2 * b + 1] * r[off[2 * b + 1]]);
            yr[b] = first ? v : yr[b] + v;
        }
        break;
    default:
        for (int64_t b = 0; b < ow; b++) {
            float v = 0;
            for (int t = 0; t < c->k; t++) v += w[b * c->k + t] * r[off[b * c->k + t]];
            yr[b] = first ? wr * v : yr[b] + wr * v;
        }
    }
}

/* The common image case: float, two resized axes (H, W), nothing extrapolated. Nearest copies. */
static void resample_plane_2d_f32(const resample_job *j, int64_t plane) {
    const float *x = (const float *)j->x->data + plane * j->in_plane;
    float *y = (float *)j->y->data + plane * j->out_plane;
    const axis_taps *rows = j->taps[j->rank - 2];
    int64_t oh = j->out[j->rank - 2], ow = j->out[j->rank - 1];
    for (int64_t a = 0; a < oh; a++) {
        const axis_taps *th = &rows[a];
        float *yr = y + a * ow;
        if (j->exact_copy) {
            const float *row = x + th->at[0];
            for (int64_t b = 0; b < ow; b++) yr[b] = row[j->cols.off[b]];
            continue;
        }
        if (th->n == 2 && j->cols.k == 2) { /* bilinear: both source rows in one pass */
            const float *r0 = x + th->at[0], *r1 = x + th->at[1];
            float w0 = (float)th->w[0], w1 = (float)th->w[1];
            const int64_t *off = j->cols.off;
            const float *w = j->cols.w;
            for (int64_t b = 0; b < ow; b++) {
                int64_t o0 = off[2 * b], o1 = off[2 * b + 1];
                yr[b] = w0 * (w[2 * b] * r0[o0] + w[2 * b + 1] * r0[o1]) + w1 * (w[2 * b] * r1[o0] + w[2 * b + 1] * r1[o1]);
            }
            continue;
        }
        for (int i = 0; i < th->n; i++) blend_row(yr, x + th->at[i], (float)th->w[i], &j->cols, ow, i == 0);
    }
}

/* Flattens the last axis's taps for resample_plane_2d_f32; false when it does not apply. */
static bool prepare_2d_f32(cort_kctx *ctx, resample_job *j) {
    if (j->x->type != CORT_FLOAT || j->rank - j->first != 2) return false;
    int d = j->rank - 1, k = 1;
    int64_t ow = j->out[d];
    for (int a = j->rank - 2; a <= d; a++)
        for (int64_t o = 0; o < j->out[a]; o++) {
            if (j->taps[a][o].n == 0) return false; /* extrapolated elements take the generic path */
            if (a == d && j->taps[a][o].n > k) k = j->taps[a][o].n;
        }
    j->cols.k = k;
    j->cols.off = ctx->svc->scratch(ctx, (size_t)(ow * k + 1) * sizeof(int64_t));
    j->cols.w = ctx->svc->scratch(ctx, (size_t)(ow * k + 1) * sizeof(float));
    if (!j->cols.off || !j->cols.w) return false;
    for (int64_t b = 0; b < ow; b++) {
        const axis_taps *t = &j->taps[d][b];
        for (int i = 0; i < k; i++) {
            j->cols.off[b * k + i] = t->at[i < t->n ? i : 0];
            j->cols.w[b * k + i] = i < t->n ? (float)t->w[i] : 0.0f;
        }
    }
    return true;
}

static ort_linear_tap ort_linear(float x, int64_t in) {
    x = fmaxf(0.0f, fminf(x, (float)(in - 1)));
    int64_t i1 = (int64_t)x < in - 1 ? (int64_t)x : in - 1;
    int64_t i2 = i1 + 1 < in - 1 ? i1 + 1 : in - 1;
    ort_linear_tap t = {i1, i2, fabsf(x - (float)i1), fabsf(x - (float)i2)};
    if (i1 == i2) t.d1 = t.d2 = 0.5f;
    return t;
}

static void resample_plane_2d_int_linear(const resample_job *j, int64_t plane) {
    int64_t oh = j->out[j->rank - 2], ow = j->out[j->rank - 1], w = j->x->dims[j->rank - 1];
    int64_t in_base = plane * j->in_plane, out_base = plane * j->out_plane;
    for (int64_t a = 0; a < oh; a++) {
        const ort_linear_tap *r = &j->lin_rows[a];
        for (int64_t b = 0; b < ow; b++) {
            const ort_linear_tap *c = &j->lin_cols[b];
            float x11 = (float)cort_get_f64(j->x, in_base + r->i1 * w + c->i1);
            float x21 = (float)cort_get_f64(j->x, in_base + r->i1 * w + c->i2);
            float x12 = (float)cort_get_f64(j->x, in_base + r->i2 * w + c->i1);
            float x22 = (float)cort_get_f64(j->x, in_base + r->i2 * w + c->i2);
            float v = c->d2 * r->d2 * x11 + c->d1 * r->d2 * x21 + c->d2 * r->d1 * x12 + c->d1 * r->d1 * x22;
            store_interpolated(j->y, out_base + a * ow + b, v);
        }
    }
}

/* Integer linear resize of the last two axes, nothing extrapolated: the ONNX Runtime weights. */
static bool prepare_2d_int_linear(cort_kctx *ctx, resample_job *j, const resize_params *p, const resize_geometry *g) {
    int32_t t = j->x->type;
    bool is_int = t == CORT_INT8 || t == CORT_UINT8 || t == CORT_INT16 || t == CORT_UINT16 || t == CORT_INT32 ||
                  t == CORT_UINT32 || t == CORT_INT64 || t == CORT_UINT64;
    if (!is_int || p->mode != MODE_LINEAR || p->coord == CT_TF_CROP_AND_RESIZE || j->rank - j->first != 2) return false;
    ort_linear_tap **dst[2] = {&j->lin_rows, &j->lin_cols};
    for (int k = 0; k < 2; k++) {
        int d = j->rank - 2 + k;
        *dst[k] = ctx->svc->scratch(ctx, (size_t)(g->out[d] + 1) * sizeof(ort_linear_tap));
        if (!*dst[k]) return false;
        for (int64_t o = 0; o < g->out[d]; o++) (*dst[k])[o] = ort_linear((float)source_coord(p, g, d, o), g->in[d]);
    }
    return true;
}

static void resample_planes(void *arg, int64_t begin, int64_t end) {
    resample_job *j = arg;
    for (int64_t plane = begin; plane < end; plane++) {
        if (j->int_linear_2d) resample_plane_2d_int_linear(j, plane);
        else if (j->fast_2d) resample_plane_2d_f32(j, plane);
        else resample_plane_generic(j, plane);
    }
}

static cort_status *resample(cort_kctx *ctx, const resize_params *p, const resize_geometry *g,
                             const cort_tensor *x, cort_tensor *y) {
    resample_job j = {.x = x, .y = y, .extrapolation = p->extrapolation, .exact_copy = p->mode == MODE_NEAREST,
                      .rank = g->rank, .out = g->out, .in_plane = 1, .out_plane = 1};
    int64_t in_stride[CORT_MAX_RANK], stride = 1;
    for (int d = g->rank - 1; d >= 0; d--) {
        in_stride[d] = stride;
        stride *= g->in[d];
    }
    if (cort_tensor_count(y) == 0) return NULL;
    bool leading = true;
    for (int d = 0; d < g->rank; d++) {
        j.taps[d] = ctx->svc->scratch(ctx, (size_t)(g->out[d] + 1) * sizeof(axis_taps));
        if (!j.taps[d]) return cort_kerr(ctx, "out of scratch memory");
        for (int64_t o = 0; o < g->out[d]; o++) j.taps[d][o] = taps_for(p, g, d, o);
        leading = leading && axis_is_identity(j.taps[d], g->out[d], g->in[d]);
        if (leading) j.first = d + 1;
        for (int64_t o = 0; o < g->out[d]; o++)
            for (int t = 0; t < j.taps[d][o].n; t++) j.taps[d][o].at[t] *= in_stride[d];
    }
    int64_t planes = 1;
    for (int d = 0; d < j.first; d++) planes *= g->out[d];
    for (int d = j.first; d < g->rank; d++) j.in_plane *= g->in[d], j.out_plane *= g->out[d];
    j.fast_2d = prepare_2d_f32(ctx, &j);
    j.int_linear_2d = prepare_2d_int_linear(ctx, &j, p, g);
    if (x->type == CORT_STRING) {
        memset(y->data, 0, cort_tensor_nbytes(y)); /* the executor frees what was set even on error */
        resample_planes(&j, 0, planes);
        return j.oom ? cort_kerr(ctx, "out of memory copying strings") : NULL;
    }
    ctx->svc->parallel_for(ctx, planes, 1, resample_planes, &j);
    return NULL;
}

static cort_status *resize_run(cort_kctx *ctx) {
    const resize_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input X");
    if (!cort_elem_type_valid(x->type) || x->type == CORT_COMPLEX64 || x->type == CORT_COMPLEX128)
        return cort_kerr(ctx, "type %s not supported", cort_type_name(x->type));
    if (x->type == CORT_STRING && p->mode != MODE_NEAREST)
        return cort_kerr(ctx, "strings can only be resized with mode nearest");
    resize_geometry g;
    CORT_TRY(resize_geometry_init(ctx, p, x, &g));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, g.rank, g.out, &y));
    return resample(ctx, p, &g, x, y);
}

static cort_status *resize_infer(cort_infer_ctx *ic) {
    const resize_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    int rank = x->rank;
    cort_dim *dims = NULL;
    if (rank >= 0) {
        dims = cort_pool_calloc(ic->pool, (size_t)rank + 1, sizeof(cort_dim));
        if (!dims) return cort_oom();
        const cort_tensor *sizes = p->inputs == IN_ROI_SCALES_SIZES && ic->n_in > 3 && ic->in_const ? ic->in_const[3] : NULL;
        const cort_tensor *scales = NULL;
        if (p->inputs == IN_SCALES && ic->n_in > 1 && ic->in_const) scales = ic->in_const[1];
        if (p->inputs == IN_ROI_SCALES_SIZES && ic->n_in > 2 && ic->in_const) scales = ic->in_const[2];
        bool use_sizes = sizes && sizes->type == CORT_INT64 && cort_tensor_count(sizes) == rank && rank > 0;
        bool use_scales = !use_sizes && scales && is_float_type(scales->type) && cort_tensor_count(scales) == rank && rank > 0;
        for (int d = 0; d < rank; d++) {
            dims[d].value = -1;
            double s = p->inputs == IN_SCALES_ATTR && p->n_attr_scales == rank ? p->attr_scales[d]
                       : use_scales ? cort_get_f64(scales, d) : 0;
            if (use_sizes) dims[d].value = cort_get_i64(sizes, d);
            else if (s > 0 && x->dims[d].value >= 0) dims[d].value = (int64_t)floor(s * (double)x->dims[d].value);
            if (s == 1.0) dims[d] = x->dims[d];
        }
    }
    cort_type_set_tensor(&ic->out[0], x->elem, rank, dims);
    return NULL;
}

/* ---------------------------------------------------------------- GridSample */

typedef enum grid_pad { PAD_ZEROS, PAD_BORDER, PAD_REFLECTION } grid_pad;

typedef struct grid_params {
    resize_mode mode;
    grid_pad pad;
    bool align_corners;
} grid_params;

static cort_status *grid_sample_parse(cort_parse_ctx *pc) {
    static const char *const modes[] = {"nearest", "bilinear", "bicubic"};
    static const char *const pads[] = {"zeros", "border", "reflection"};
    grid_params *p = pc->params;
    int v;
    const char *mode = cort_attr_string(pc->node, "mode", "bilinear");
    if (!name_index(mode, modes, 3, &v)) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "mode '%s' is not supported", mode);
    p->mode = (resize_mode)v;
    const char *pad = cort_attr_string(pc->node, "padding_mode", "zeros");
    if (!name_index(pad, pads, 3, &v))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "padding_mode '%s' is not supported", pad);
    p->pad = (grid_pad)v;
    p->align_corners = cort_attr_int(pc->node, "align_corners", 0) != 0;
    return NULL;
}

/* Grid value in [-1, 1] to a pixel coordinate. */
static double unnormalize(double v, int64_t size, bool align_corners) {
    return align_corners ? (v + 1) / 2 * (double)(size - 1) : ((v + 1) * (double)size - 1) / 2;
}

/* Reflects x into [lo, hi] (given doubled, so that half-pixel bounds stay integers). */
static double reflect(double x, double twice_lo, double twice_hi) {
    if (twice_lo == twice_hi) return 0;
    double lo = twice_lo / 2, span = (twice_hi - twice_lo) / 2;
    x = fabs(x - lo);
    double extra = fmod(x, span);
    int64_t flips = (int64_t)floor(x / span);
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

/* Applies border or reflection padding to a coordinate; zeros padding leaves it alone. */
static double pad_coord(const grid_params *p, double x, int64_t size) {
    if (p->pad == PAD_BORDER) return fmin(fmax(x, 0), (double)(size - 1));
    if (p->pad == PAD_REFLECTION) {
        x = p->align_corners ? reflect(x, 0, 2.0 * (double)(size - 1)) : reflect(x, -1, 2.0 * (double)size - 1);
        return fmin(fmax(x, 0), (double)(size - 1));
    }
    return x;
}

/* Bounds a sampling coordinate to just outside [0, size) so later integer casts stay defined (NaN
 * and far-away points read as padding). */
static double bound_coord(double v, int64_t size) {
    return isnan(v) ? -8.0 : fmin(fmax(v, -8.0), (double)size + 8.0);
}

/* The taps of one grid point: up to 16 (plane offset, weight); taps outside the image (zeros
 * padding) get weight 0 and offset 0. They are the same in every channel, so they are computed once
 * per point and reused C times. */
typedef struct grid_taps {
    int64_t off[16];
    float w[16];
} grid_taps;

static void add_grid_tap(grid_taps *t, int k, int64_t h, int64_t w, int64_t yy, int64_t xx, double weight) {
    bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
    t->off[k] = inside ? yy * w + xx : 0;
    t->w[k] = inside ? (float)weight : 0.0f;
}

/* Number of taps per point for the mode. */
static int grid_tap_count(resize_mode m) { return m == MODE_NEAREST ? 1 : m == MODE_LINEAR ? 4 : 16; }

static void grid_point_taps(const grid_params *p, double xx, double yy, int64_t h, int64_t w, grid_taps *t) {
    if (p->mode != MODE_CUBIC) { /* bicubic pads each of its taps instead */
        xx = bound_coord(pad_coord(p, xx, w), w);
        yy = bound_coord(pad_coord(p, yy, h), h);
    }
    if (p->mode == MODE_NEAREST) {
        add_grid_tap(t, 0, h, w, (int64_t)nearbyint(yy), (int64_t)nearbyint(xx), 1.0);
    } else if (p->mode == MODE_LINEAR) {
        double fy = floor(yy), fx = floor(xx), ly = yy - fy, lx = xx - fx;
        int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
        add_grid_tap(t, 0, h, w, y0, x0, (1 - ly) * (1 - lx));
        add_grid_tap(t, 1, h, w, y0, x0 + 1, (1 - ly) * lx);
        add_grid_tap(t, 2, h, w, y0 + 1, x0, ly * (1 - lx));
        add_grid_tap(t, 3, h, w, y0 + 1, x0 + 1, ly * lx);
    } else {
        double fy = floor(yy), fx = floor(xx), cy[4], cx[4];
        cubic_coeffs(yy - fy, -0.75, cy);
        cubic_coeffs(xx - fx, -0.75, cx);
        for (int i = 0; i < 4; i++) {
            int64_t py = (int64_t)floor(bound_coord(pad_coord(p, fy - 1 + i, h), h));
            for (int j = 0; j < 4; j++) {
                int64_t px = (int64_t)floor(bound_coord(pad_coord(p, fx - 1 + j, w), w));
                add_grid_tap(t, i * 4 + j, h, w, py, px, cy[i] * cx[j]);
            }
        }
    }
}

typedef struct grid_job {
    const cort_tensor *x;
    cort_tensor *y;
    const grid_taps *taps; /* [points] of the current batch item */
    int k;
    int64_t batch, channels, in_plane, points;
} grid_job;

static void grid_sample_channels(void *arg, int64_t begin, int64_t end) {
    const grid_job *j = arg;
    for (int64_t ch = begin; ch < end; ch++) {
        int64_t plane = j->batch * j->channels + ch;
        const float *xf = j->x->type == CORT_FLOAT ? (const float *)j->x->data + plane * j->in_plane : NULL;
        for (int64_t i = 0; i < j->points; i++) {
            const grid_taps *t = &j->taps[i];
            double v = 0;
            for (int k = 0; k < j->k; k++)
                v += t->w[k] * (xf ? xf[t->off[k]] : cort_get_f64(j->x, plane * j->in_plane + t->off[k]));
            if (j->y->type == CORT_FLOAT) ((float *)j->y->data)[plane * j->points + i] = (float)v;
            else cort_set_f64(j->y, plane * j->points + i, v);
        }
    }
}

static cort_status *grid_sample_run(cort_kctx *ctx) {
    const grid_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *grid = cort_in(ctx, 1);
    if (!x || !grid) return cort_kerr(ctx, "X and grid are required");
    if (!is_float_type(x->type) || !is_float_type(grid->type)) return cort_kerr(ctx, "X and grid must be float");
    if (x->rank != 4) return cort_kerr(ctx, "X must be 4-D [N, C, H, W], got rank %d", x->rank);
    if (grid->rank != 4 || grid->dims[0] != x->dims[0] || grid->dims[3] != 2)
        return cort_kerr(ctx, "grid must be [N, H_out, W_out, 2] with N = %lld", (long long)x->dims[0]);
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t oh = grid->dims[1], ow = grid->dims[2];
    int64_t dims[4] = {n, c, oh, ow};
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, 4, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    if (h == 0 || w == 0) return cort_kerr(ctx, "X has an empty spatial axis (%lldx%lld)", (long long)h, (long long)w);
    grid_taps *taps = ctx->svc->scratch(ctx, (size_t)(oh * ow + 1) * sizeof(grid_taps));
    if (!taps) return cort_kerr(ctx, "out of scratch memory");
    grid_job job = {x, y, taps, grid_tap_count(p->mode), 0, c, h * w, oh * ow};
    for (int64_t b = 0; b < n; b++) {
        for (int64_t i = 0; i < oh * ow; i++) {
            int64_t g = (b * oh * ow + i) * 2;
            double xx = unnormalize(cort_get_f64(grid, g), w, p->align_corners);
            double yy = unnormalize(cort_get_f64(grid, g + 1), h, p->align_corners);
            grid_point_taps(p, xx, yy, h, w, &taps[i]);
        }
        job.batch = b;
        ctx->svc->parallel_for(ctx, c, 1, grid_sample_channels, &job);
    }
    return NULL;
}

static cort_status *grid_sample_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0], *grid = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_dim *dims = cort_pool_calloc(ic->pool, 4, sizeof(cort_dim));
    if (!dims) return cort_oom();
    for (int d = 0; d < 4; d++) dims[d].value = -1;
    if (x->rank == 4) dims[0] = x->dims[0], dims[1] = x->dims[1];
    if (grid && grid->kind == CORT_TYPE_TENSOR && grid->rank == 4) dims[2] = grid->dims[1], dims[3] = grid->dims[2];
    cort_type_set_tensor(&ic->out[0], x->elem, 4, dims);
    return NULL;
}

#define RESIZE_ROW(op, since, until, types) \
    {"", op, since, until, types, 0, sizeof(resize_params), resize_parse, resize_infer, NULL, resize_run, 0}

const cort_op_def cort_ops_resize[] = {
    RESIZE_ROW("Upsample", 7, 8, CORT_TS_ALL),
    RESIZE_ROW("Upsample", 9, 9, CORT_TS_ALL),
    RESIZE_ROW("Resize", 10, 10, CORT_TS_ALL),
    RESIZE_ROW("Resize", 11, 12, CORT_TS_ALL),
    RESIZE_ROW("Resize", 13, 17, CORT_TS_ALL), /* opset 18 adds antialias, axes, keep_aspect_ratio_policy */
    {"", "GridSample", 16, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(grid_params), grid_sample_parse,
     grid_sample_infer, NULL, grid_sample_run, 0},
    {0},
};
