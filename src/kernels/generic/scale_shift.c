/* Per-channel affine maps, the inference BatchNormalization's arithmetic (y = x * a + b with a and b
 * folded from scale, bias, mean and variance), optionally rectified. Memory-bound on large planes but
 * not on the small ones that stay in L2, where the vector width decides: the loop is cloned for AVX-512
 * and AVX2 and picked at load by the dynamic linker (ifunc), where that exists. */
#include "kernels/kernels.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
#define CORT_AFFINE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CORT_AFFINE_CLONES
#endif

/* Static, as the other cloned loops: clang 14 left an exported cloned function's own symbol undefined. */
CORT_AFFINE_CLONES static void scale_shift(const float *restrict x, int64_t n, float a, float b, bool relu,
                                           float *restrict y) {
    if (relu)
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] * a + b;
            y[i] = v < 0 ? 0 : v; /* as Relu: NaN passes */
        }
    else
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * a + b;
}

void cort_scale_shift(const float *x, int64_t n, float a, float b, bool relu, float *y) { scale_shift(x, n, a, b, relu, y); }
