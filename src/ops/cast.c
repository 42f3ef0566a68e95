/* Type conversions: Cast, CastLike, and linear quantization (QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear). Numbers print to strings in their shortest round-trip form and parse with
 * strtod/strtoll, as ONNX Runtime does. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels/generic/elementwise.h"
#include "ops/op.h"

/* ------------------------------------------------------------------ numeric conversions
 * One loop per (source, destination) pair of plain C types; float16/bfloat16 use the float entries
 * through the chunking driver. Float-to-integer conversions saturate to int64 first so that
 * out-of-range values stay defined (C leaves them undefined). */
static inline int64_t float_to_i64(double v) {
    if (isnan(v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}
static inline uint64_t float_to_u64(double v) {
    if (v < 0) return (uint64_t)float_to_i64(v); /* wraps, like a signed conversion would */
    if (isnan(v)) return 0;
    if (v >= 18446744073709551615.0) return UINT64_MAX;
    return (uint64_t)v;
}

#define CONV_F_F(TD, v) (TD)(v)
#define CONV_F_S(TD, v) (TD)float_to_i64(v)
#define CONV_F_U(TD, v) (TD)float_to_u64(v)
#define CONV_F_B(TD, v) ((v) != 0)
#define CONV_S_F(TD, v) (TD)(v)
#define CONV_S_S(TD, v) (TD)(v)
#define CONV_S_U(TD, v) (TD)(v)
#define CONV_S_B(TD, v) ((v) != 0)
#define CONV_U_F CONV_S_F
#define CONV_U_S CONV_S_S
#define CONV_U_U CONV_S_U
#define CONV_U_B CONV_S_B
#define CONV_B_F(TD, v) (TD)((v) != 0)
#define CONV_B_S CONV_B_F
#define CONV_B_U CONV_B_F
#define CONV_B_B(TD, v) ((v) != 0)

/* (enum, C type, short name, class) of every plain numeric type; two copies so they can nest. */
#define SRC_TYPES(X, ...)                                                                          \
    X(CORT_FLOAT, float, f32, F, __VA_ARGS__) X(CORT_DOUBLE, double, f64, F, __VA_ARGS__)          \
    X(CORT_INT8, int8_t, i8, S, __VA_ARGS__) X(CORT_INT16, int16_t, i16, S, __VA_ARGS__)           \
    X(CORT_INT32, int32_t, i32, S, __VA_ARGS__) X(CORT_INT64, int64_t, i64, S, __VA_ARGS__)        \
    X(CORT_UINT8, uint8_t, u8, U, __VA_ARGS__) X(CORT_UINT16, uint16_t, u16, U, __VA_ARGS__)       \
    X(CORT_UINT32, uint32_t, u32, U, __VA_ARGS__) X(CORT_UINT64, uint64_t, u64, U, __VA_ARGS__)    \
    X(CORT_BOOL, uint8_t, b, B, __VA_ARGS__)
#define DST_TYPES(X, ...)                                                                          \
    X(CORT_FLOAT, float, f32, F, __VA_ARGS__) X(CORT_DOUBLE, double, f64, F, __VA_ARGS__)          \
    X(CORT_INT8, int8_t, i8, S, __VA_ARGS__) X(CORT_INT16, int16_t, i16, S, __VA_ARGS__)           \
    X(CORT_INT32, int32_t, i32, S, __VA_ARGS__) X(CORT_INT64, int64_t, i64, S, __VA_ARGS__)        \
    X(CORT_UINT8, uint8_t, u8, U, __VA_ARGS__) X(CORT_UINT16, uint16_t, u16, U, __VA_ARGS__)       \
    X(CORT_UINT32, uint32_t, u32, U, __VA_ARGS__) X(CORT_UINT64, uint64_t, u64, U, __VA_ARGS__)    \
    X(CORT_BOOL, uint8_t, b, B, __VA_ARGS__)

#define DEF_CONV(DE, DT, DN, DC, SE, ST, SN, SC) \
    CORT_EW_UNARY(conv_##SN##_##DN, ST, DT, CONV_##SC##_##DC(DT, v))
#define DEF_CONVS_FROM(SE, ST, SN, SC, unused) DST_TYPES(DEF_CONV, SE, ST, SN, SC)
SRC_TYPES(DEF_CONVS_FROM, 0)

#define CONV_ENTRY(DE, DT, DN, DC, SE, ST, SN, SC) [DE] = conv_##SN##_##DN,
#define CONV_ROW(SE, ST, SN, SC, unused) [SE] = {DST_TYPES(CONV_ENTRY, SE, ST, SN, SC)},
static const cort_ew_unary_fn conv_table[CORT_EW_NTYPES][CORT_EW_NTYPES] = {SRC_TYPES(CONV_ROW, 0)};

/* The conversion loop for a pair, half types mapped to float (the driver converts chunks). */
static cort_ew_unary_fn conv_fn(int32_t from, int32_t to) {
    if (cort_ew_is_half(from)) from = CORT_FLOAT;
    if (cort_ew_is_half(to)) to = CORT_FLOAT;
    if (from <= 0 || from >= CORT_EW_NTYPES || to <= 0 || to >= CORT_EW_NTYPES) return NULL;
    return conv_table[from][to];
}

/* ------------------------------------------------------------------ strings */
static bool is_float_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || cort_ew_is_half(t);
}

/* Shortest "%.Ng" that reads back to the same value; "NaN", "INF", "-INF" for the specials. */
static void format_float(char *buf, size_t size, double v, bool single) {
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "INF" : "-INF");
        return;
    }
    int max_digits = single ? 9 : 17;
    for (int digits = 1; digits <= max_digits; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v) return;
    }
}

static void format_element(char *buf, size_t size, const cort_tensor *x, int64_t i) {
    if (is_float_type(x->type)) format_float(buf, size, cort_get_f64(x, i), x->type != CORT_DOUBLE);
    else if (x->type == CORT_UINT64) snprintf(buf, size, "%" PRIu64, ((const uint64_t *)x->data)[i]);
    else snprintf(buf, size, "%" PRId64, cort_get_i64(x, i));
}

static cort_status *numbers_to_strings(cort_kctx *ctx, const cort_tensor *x, cort_tensor *y) {
    int64_t n = cort_tensor_count(x);
    char **out = y->data;
    for (int64_t i = 0; i < n; i++) out[i] = NULL;
    for (int64_t i = 0; i < n; i++) {
        char buf[64];
        if (x->type == CORT_STRING) {
            const char *s = ((char *const *)x->data)[i];
            out[i] = strdup(s ? s : "");
        } else {
            format_element(buf, sizeof buf, x, i);
            out[i] = strdup(buf);
        }
        if (!out[i]) return cort_oom();
    }
    return NULL;
}

/* Parses one string as an integer: strtoll/strtoull, falling back to strtod (then truncating like a
 * float cast) when the text goes on as a decimal or exponent ("2.5", "1e3"); "true"/"false" too. */
static bool parse_integer(const char *s, int32_t type, cort_tensor *y, int64_t i) {
    char *end;
    if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
        cort_set_i64(y, i, !strcasecmp(s, "true"));
        return true;
    }
    uint64_t u = 0;
    long long v = 0;
    if (type == CORT_UINT64 && *s != '-') u = strtoull(s, &end, 10);
    else v = strtoll(s, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') {
        char *fend;
        double d = strtod(s, &fend);
        if (fend > end) {
            if (type == CORT_UINT64 && d >= 9223372036854775808.0)
                ((uint64_t *)y->data)[i] = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
            else
                cort_set_i64(y, i, isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d);
            return true;
        }
    }
    if (type == CORT_UINT64 && *s != '-') ((uint64_t *)y->data)[i] = u;
    else cort_set_i64(y, i, v);
    return end != s || !*s;
}

static cort_status *strings_to_numbers(cort_kctx *ctx, const cort_tensor *x, cort_tensor *y) {
    int64_t n = cort_tensor_count(x);
    char *const *in = x->data;
    for (int64_t i = 0; i < n; i++) {
        const char *s = in[i] ? in[i] : "";
        bool ok;
        if (is_float_type(y->type)) {
            char *end;
            cort_set_f64(y, i, strtod(s, &end));
            ok = end != s || !*s;
        } else {
            ok = parse_integer(s, y->type, y, i);
        }
        if (!ok) return cort_kerr(ctx, "cannot parse '%s' as %s", s, cort_type_name(y->type));
    }
    return NULL;
}

/* ------------------------------------------------------------------ Cast, CastLike */
static cort_status *cast_tensor(cort_kctx *ctx, const cort_tensor *x, int32_t to) {
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, to, x->rank, x->dims, &y));
    if (to == CORT_STRING) return numbers_to_strings(ctx, x, y);
    if (x->type == CORT_STRING) return strings_to_numbers(ctx, x, y);
    if (x->type == to) { /* bit-exact, NaN payloads included */
        if (cort_tensor_count(x) > 0) memcpy(y->data, x->data, cort_tensor_nbytes(x));
        return NULL;
    }
    cort_ew_unary_fn fn = conv_fn(x->type, to);
    if (!fn)
        return cort_kerr(ctx, "cast from %s to %s is not supported", cort_type_name(x->type), cort_type_name(to));
    cort_ew_unary_job job = {fn, x->type, to, x->data, y->data, NULL};
    ctx->svc->parallel_for(ctx, cort_tensor_count(x), 1 << 15, cort_ew_unary_range, &job);
    return NULL;
}

typedef struct cast_params {
    int32_t to;
} cast_params;

/* TensorProto.DataType names, for the string-valued `to` of opset 1. */
static const char *const type_names[CORT_EW_NTYPES] = {
    [CORT_FLOAT] = "FLOAT", [CORT_UINT8] = "UINT8", [CORT_INT8] = "INT8", [CORT_UINT16] = "UINT16",
    [CORT_INT16] = "INT16", [CORT_INT32] = "INT32", [CORT_INT64] = "INT64", [CORT_STRING] = "STRING",
    [CORT_BOOL] = "BOOL", [CORT_FLOAT16] = "FLOAT16", [CORT_DOUBLE] = "DOUBLE", [CORT_UINT32] = "UINT32",
    [CORT_UINT64] = "UINT64", [CORT_BFLOAT16] = "BFLOAT16"};

static bool castable(int32_t t) { return t > 0 && t < CORT_EW_NTYPES && type_names[t]; }

static cort_status *parse_cast(cort_parse_ctx *pc) {
    cast_params *p = pc->params;
    const cort_attr *a = cort_node_attr(pc->node, "to");
    if (!a) return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "attribute 'to' is required");
    if (a->type == CORT_ATTR_STRING) {
        for (int t = 1; t < CORT_EW_NTYPES; t++)
            if (type_names[t] && a->s && !strcmp(type_names[t], a->s)) p->to = t;
        if (!p->to) return cort_node_error(pc->node, CORT_INVALID_ARGUMENT, "unknown type '%s' in 'to'", a->s);
        return NULL;
    }
    if (!castable((int32_t)a->i))
        return cort_node_error(pc->node, CORT_NOT_IMPLEMENTED, "cast to type %lld is not supported", (long long)a->i);
    p->to = (int32_t)a->i;
    return NULL;
}

static cort_status *run_cast(cort_kctx *ctx) {
    const cast_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input is missing or not a tensor");
    return cast_tensor(ctx, x, p->to);
}

static cort_status *run_cast_like(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0), *like = cort_in(ctx, 1);
    if (!x || !like) return cort_kerr(ctx, "expected inputs input and target_type");
    if (!castable(like->type))
        return cort_kerr(ctx, "cast to %s is not supported", cort_type_name(like->type));
    return cast_tensor(ctx, x, like->type);
}

static cort_status *infer_cast(cort_infer_ctx *ic) {
    const cast_params *p = ic->params;
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    if (ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = p->to;
    return NULL;
}

static cort_status *infer_cast_like(cort_infer_ctx *ic) {
    if (ic->n_in < 2 || !ic->in[0] || !ic->in[1] || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    if (ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = ic->in[1]->elem;
    return NULL;
}

/* ------------------------------------------------------------------ quantization */
typedef struct quant_params {
    int64_t axis;
} quant_params;

static cort_status *parse_quant(cort_parse_ctx *pc) {
    quant_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", 1);
    return NULL;
}

/* How scale and zero point map onto x: one value, or one per index along `axis` (the tensor seen
 * as [outer, channels, inner]). */
typedef struct quant_layout {
    int64_t outer, channels, inner;
} quant_layout;

static cort_status *quant_layout_of(cort_kctx *ctx, const cort_tensor *x, const cort_tensor *scale,
                                    const cort_tensor *zp, quant_layout *l) {
    const quant_params *p = ctx->params;
    int64_t n = cort_tensor_count(x);
    int64_t ns = cort_tensor_count(scale);
    if (zp && cort_tensor_count(zp) != ns)
        return cort_kerr(ctx, "zero point has %lld elements but scale has %lld", (long long)cort_tensor_count(zp),
                         (long long)ns);
    if (scale->rank == 0 || (ns == 1 && scale->rank == 1)) {
        *l = (quant_layout){1, 1, n};
        return NULL;
    }
    int axis;
    if (scale->rank != 1 || !cort_norm_axis(p->axis, x->rank, &axis))
        return cort_kerr(ctx, "per-axis scale must be 1-D with a valid axis (axis %lld, input rank %d)",
                         (long long)p->axis, x->rank);
    if (scale->dims[0] != x->dims[axis])
        return cort_kerr(ctx, "scale has %lld elements, expected %lld (dim %d of the input)", (long long)ns,
                         (long long)x->dims[axis], axis);
    l->outer = 1, l->channels = x->dims[axis], l->inner = 1;
    for (int i = 0; i < axis; i++) l->outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) l->inner *= x->dims[i];
    return NULL;
}

static int64_t quant_bound(int32_t type, bool upper) {
    if (type == CORT_UINT8) return upper ? 255 : 0;
    return upper ? 127 : -128;
}

/* Round half to even, add the zero point, saturate to the output type. */
static inline int64_t quantize_one(float v, float scale, int64_t zp, int64_t lo, int64_t hi) {
    float q = nearbyintf(v / scale);
    if (isnan(q)) q = 0;
    double r = (double)q + (double)zp;
    return r < (double)lo ? lo : r > (double)hi ? hi : (int64_t)r;
}

static cort_status *run_quantize(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0), *scale = cort_in(ctx, 1), *zp = cort_in(ctx, 2);
    if (!x || !scale) return cort_kerr(ctx, "expected inputs x and y_scale");
    int32_t out_type = zp ? zp->type : CORT_UINT8;
    if (out_type != CORT_UINT8 && out_type != CORT_INT8)
        return cort_kerr(ctx, "zero point type %s is not supported", cort_type_name(out_type));
    if (!is_float_type(scale->type) || (!is_float_type(x->type) && x->type != CORT_INT32))
        return cort_kerr(ctx, "quantizing %s with a %s scale is not supported", cort_type_name(x->type),
                         cort_type_name(scale->type));
    quant_layout l;
    CORT_TRY(quant_layout_of(ctx, x, scale, zp, &l));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, out_type, x->rank, x->dims, &y));
    int64_t lo = quant_bound(out_type, false), hi = quant_bound(out_type, true);
    for (int64_t c = 0; c < l.channels; c++) {
        float s = (float)cort_get_f64(scale, c);
        int64_t z = zp ? cort_get_i64(zp, c) : 0;
        for (int64_t o = 0; o < l.outer; o++) {
            int64_t base = (o * l.channels + c) * l.inner;
            if (x->type == CORT_FLOAT && out_type == CORT_UINT8) { /* the common case, without per-element switches */
                const float *xs = (const float *)x->data + base;
                uint8_t *ys = (uint8_t *)y->data + base;
                for (int64_t i = 0; i < l.inner; i++) ys[i] = (uint8_t)quantize_one(xs[i], s, z, lo, hi);
            } else {
                for (int64_t i = 0; i < l.inner; i++)
                    cort_set_i64(y, base + i, quantize_one((float)cort_get_f64(x, base + i), s, z, lo, hi));
            }
        }
    }
    return NULL;
}

static cort_status *run_dequantize(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0), *scale = cort_in(ctx, 1), *zp = cort_in(ctx, 2);
    if (!x || !scale) return cort_kerr(ctx, "expected inputs x and x_scale");
    if (x->type != CORT_UINT8 && x->type != CORT_INT8 && x->type != CORT_INT32)
        return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    if (zp && zp->type != x->type)
        return cort_kerr(ctx, "zero point has type %s, expected %s", cort_type_name(zp->type), cort_type_name(x->type));
    if (!is_float_type(scale->type)) return cort_kerr(ctx, "scale type %s is not supported", cort_type_name(scale->type));
    quant_layout l;
    CORT_TRY(quant_layout_of(ctx, x, scale, zp, &l));
    cort_tensor *y;
    int32_t out_type = scale->type;
    CORT_TRY(cort_out(ctx, 0, out_type, x->rank, x->dims, &y));
    for (int64_t c = 0; c < l.channels; c++) {
        float s = (float)cort_get_f64(scale, c);
        int64_t z = zp ? cort_get_i64(zp, c) : 0;
        for (int64_t o = 0; o < l.outer; o++) {
            int64_t base = (o * l.channels + c) * l.inner;
            if (out_type == CORT_FLOAT && x->type == CORT_UINT8) {
                const uint8_t *xs = (const uint8_t *)x->data + base;
                float *ys = (float *)y->data + base;
                for (int64_t i = 0; i < l.inner; i++) ys[i] = (float)((int64_t)xs[i] - z) * s;
            } else {
                for (int64_t i = 0; i < l.inner; i++)
                    cort_set_f64(y, base + i, (float)(cort_get_i64(x, base + i) - z) * s);
            }
        }
    }
    return NULL;
}

/* uint8 quantization covering [min(x, 0), max(x, 0)]. */
static cort_status *run_dynamic_quantize(cort_kctx *ctx) {
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input x is missing");
    if (x->type != CORT_FLOAT) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    int64_t n = cort_tensor_count(x);
    const float *xs = x->data;
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (xs[i] < lo) lo = xs[i];
        if (xs[i] > hi) hi = xs[i];
    }
    float scale = (hi - lo) / 255.0f;
    int64_t zp = 0;
    if (scale > 0) {
        float initial = 0.0f - lo / scale;
        zp = (int64_t)nearbyintf(initial < 0 ? 0 : initial > 255 ? 255 : initial);
    }
    cort_tensor *y, *y_scale, *y_zp;
    CORT_TRY(cort_out(ctx, 0, CORT_UINT8, x->rank, x->dims, &y));
    CORT_TRY(cort_out(ctx, 1, CORT_FLOAT, 0, NULL, &y_scale));
    CORT_TRY(cort_out(ctx, 2, CORT_UINT8, 0, NULL, &y_zp));
    uint8_t *ys = y->data;
    for (int64_t i = 0; i < n; i++) ys[i] = scale > 0 ? (uint8_t)quantize_one(xs[i], scale, zp, 0, 255) : 0;
    *(float *)y_scale->data = scale;
    *(uint8_t *)y_zp->data = (uint8_t)zp;
    return NULL;
}

static cort_status *infer_quantize(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    int32_t elem = CORT_UINT8;
    if (ic->n_in > 2 && ic->in[2]) elem = ic->in[2]->elem;
    if (ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = elem;
    return NULL;
}

static cort_status *infer_dequantize(cort_infer_ctx *ic) {
    if (ic->n_in < 2 || !ic->in[0] || !ic->in[1] || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    if (ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = ic->in[1]->elem;
    return NULL;
}

static cort_status *infer_dynamic_quantize(cort_infer_ctx *ic) {
    if (ic->n_in < 1 || !ic->in[0] || ic->n_out < 1) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], ic->in[0]));
    if (ic->out[0].kind == CORT_TYPE_TENSOR) ic->out[0].elem = CORT_UINT8;
    if (ic->n_out > 1) cort_type_set_tensor(&ic->out[1], CORT_FLOAT, 0, NULL);
    if (ic->n_out > 2) cort_type_set_tensor(&ic->out[2], CORT_UINT8, 0, NULL);
    return NULL;
}

/* ------------------------------------------------------------------ table */
#define MAX CORT_OPSET_MAX
#define QSZ sizeof(quant_params)
#define QIN (CORT_TS_FLOAT | CORT_T(CORT_INT32))
#define DQIN (CORT_T(CORT_UINT8) | CORT_T(CORT_INT8) | CORT_T(CORT_INT32))

const cort_op_def cort_ops_cast[] = {
    {"", "Cast", 1, MAX, CORT_TS_ALL, 0, sizeof(cast_params), parse_cast, infer_cast, NULL, run_cast, 0},
    {"", "CastLike", 15, MAX, CORT_TS_ALL, 0, 0, NULL, infer_cast_like, NULL, run_cast_like, 0},
    {"", "QuantizeLinear", 10, 12, QIN, 0, QSZ, parse_quant, infer_quantize, NULL, run_quantize, 0},
    {"", "QuantizeLinear", 13, MAX, QIN, 0, QSZ, parse_quant, infer_quantize, NULL, run_quantize, 0},
    {"", "DequantizeLinear", 10, 12, DQIN, 0, QSZ, parse_quant, infer_dequantize, NULL, run_dequantize, 0},
    {"", "DequantizeLinear", 13, MAX, DQIN, 0, QSZ, parse_quant, infer_dequantize, NULL, run_dequantize, 0},
    {"", "DynamicQuantizeLinear", 11, MAX, CORT_T(CORT_FLOAT), 0, 0, NULL, infer_dynamic_quantize, NULL,
     run_dynamic_quantize, 0},
    {0},
};
