/* Element access by type and shape helpers shared by op families. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "ops/op.h"

double cort_get_f64(const cort_tensor *t, int64_t i) {
    const void *d = t->data;
    switch (t->type) {
    case CORT_FLOAT: return ((const float *)d)[i];
    case CORT_DOUBLE: return ((const double *)d)[i];
    case CORT_FLOAT16: return cort_f16_to_f32(((const uint16_t *)d)[i]);
    case CORT_BFLOAT16: return cort_bf16_to_f32(((const uint16_t *)d)[i]);
    case CORT_INT8: return ((const int8_t *)d)[i];
    case CORT_UINT8: return ((const uint8_t *)d)[i];
    case CORT_INT16: return ((const int16_t *)d)[i];
    case CORT_UINT16: return ((const uint16_t *)d)[i];
    case CORT_INT32: return ((const int32_t *)d)[i];
    case CORT_UINT32: return ((const uint32_t *)d)[i];
    case CORT_INT64: return (double)((const int64_t *)d)[i];
    case CORT_UINT64: return (double)((const uint64_t *)d)[i];
    case CORT_BOOL: return ((const uint8_t *)d)[i] != 0;
    default: return 0;
    }
}

int64_t cort_get_i64(const cort_tensor *t, int64_t i) {
    const void *d = t->data;
    switch (t->type) {
    case CORT_INT8: return ((const int8_t *)d)[i];
    case CORT_UINT8: return ((const uint8_t *)d)[i];
    case CORT_INT16: return ((const int16_t *)d)[i];
    case CORT_UINT16: return ((const uint16_t *)d)[i];
    case CORT_INT32: return ((const int32_t *)d)[i];
    case CORT_UINT32: return ((const uint32_t *)d)[i];
    case CORT_INT64: return ((const int64_t *)d)[i];
    case CORT_UINT64: return (int64_t)((const uint64_t *)d)[i];
    case CORT_BOOL: return ((const uint8_t *)d)[i] != 0;
    default: {
        double v = cort_get_f64(t, i);
        if (isnan(v)) return 0;
        if (v >= 9.2e18) return INT64_MAX;
        if (v <= -9.2e18) return INT64_MIN;
        return (int64_t)v;
    }
    }
}

/* A double as the integer type `type` can hold: NaN is 0, out-of-range values clamp (converting them
 * directly would be undefined behaviour). uint64 beyond INT64_MAX is carried in the int64's bits. */
static int64_t saturate_i64(int32_t type, double v) {
    double lo, hi;
    switch (type) {
    case CORT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case CORT_UINT8: lo = 0, hi = UINT8_MAX; break;
    case CORT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case CORT_UINT16: lo = 0, hi = UINT16_MAX; break;
    case CORT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    case CORT_UINT32: lo = 0, hi = UINT32_MAX; break;
    case CORT_UINT64:
        if (isnan(v) || v <= 0) return 0;
        if (v >= 18446744073709551615.0) return (int64_t)UINT64_MAX;
        return (int64_t)(uint64_t)v;
    default: lo = -9223372036854775808.0, hi = 9223372036854775807.0; break;
    }
    if (isnan(v)) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return type == CORT_INT64 ? INT64_MAX : (int64_t)hi;
    return (int64_t)v;
}

void cort_set_f64(cort_tensor *t, int64_t i, double v) {
    void *d = t->data;
    switch (t->type) {
    case CORT_FLOAT: ((float *)d)[i] = (float)v; break;
    case CORT_DOUBLE: ((double *)d)[i] = v; break;
    case CORT_FLOAT16: ((uint16_t *)d)[i] = cort_f32_to_f16((float)v); break;
    case CORT_BFLOAT16: ((uint16_t *)d)[i] = cort_f32_to_bf16((float)v); break;
    case CORT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: cort_set_i64(t, i, saturate_i64(t->type, v)); break;
    }
}

void cort_set_i64(cort_tensor *t, int64_t i, int64_t v) {
    void *d = t->data;
    switch (t->type) {
    case CORT_INT8: ((int8_t *)d)[i] = (int8_t)v; break;
    case CORT_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
    case CORT_INT16: ((int16_t *)d)[i] = (int16_t)v; break;
    case CORT_UINT16: ((uint16_t *)d)[i] = (uint16_t)v; break;
    case CORT_INT32: ((int32_t *)d)[i] = (int32_t)v; break;
    case CORT_UINT32: ((uint32_t *)d)[i] = (uint32_t)v; break;
    case CORT_INT64: ((int64_t *)d)[i] = v; break;
    case CORT_UINT64: ((uint64_t *)d)[i] = (uint64_t)v; break;
    case CORT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: cort_set_f64(t, i, (double)v); break;
    }
}

bool cort_norm_axis(int64_t axis, int rank, int *out) {
    if (axis < -rank || axis >= rank) return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool cort_broadcast_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out, int *out_rank) {
    int r = ra > rb ? ra : rb;
    if (r > CORT_MAX_RANK) return false;
    for (int i = 0; i < r; i++) {
        int64_t da = i < r - ra ? 1 : a[i - (r - ra)];
        int64_t db = i < r - rb ? 1 : b[i - (r - rb)];
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else return false;
    }
    *out_rank = r;
    return true;
}

bool cort_out_wanted(const cort_kctx *ctx, int i) {
    return i < ctx->n_out && i < ctx->node->n_outputs && ctx->node->outputs[i] >= 0;
}

cort_status *cort_kerr(const cort_kctx *ctx, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cort_node_error(ctx->node, CORT_RUNTIME_EXCEPTION, "%s", msg);
}
