/* Float <-> double / float16 / bfloat16 buffer conversion, for kernels that compute in float. */
#include <string.h>

#include "base/tensor.h"
#include "kernels/kernels.h"

bool cort_convert_to_f32(int32_t type, const void *src, int64_t n, float *dst) {
    switch (type) {
    case CORT_FLOAT:
        if (n > 0 && dst != src) memmove(dst, src, (size_t)n * sizeof(float));
        return true;
    case CORT_DOUBLE:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)((const double *)src)[i];
        return true;
    case CORT_FLOAT16:
        for (int64_t i = 0; i < n; i++) dst[i] = cort_f16_to_f32(((const uint16_t *)src)[i]);
        return true;
    case CORT_BFLOAT16:
        for (int64_t i = 0; i < n; i++) dst[i] = cort_bf16_to_f32(((const uint16_t *)src)[i]);
        return true;
    default: return false;
    }
}

bool cort_convert_from_f32(int32_t type, const float *src, int64_t n, void *dst) {
    switch (type) {
    case CORT_FLOAT:
        if (n > 0 && dst != src) memmove(dst, src, (size_t)n * sizeof(float));
        return true;
    case CORT_DOUBLE:
        for (int64_t i = 0; i < n; i++) ((double *)dst)[i] = src[i];
        return true;
    case CORT_FLOAT16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = cort_f32_to_f16(src[i]);
        return true;
    case CORT_BFLOAT16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = cort_f32_to_bf16(src[i]);
        return true;
    default: return false;
    }
}
