/* The activations a Conv/Gemm epilogue applies (cort_activation, kernels.h) over a finished run of
 * output values. Each has its own loop with its parameters in locals so the compiler vectorises it;
 * the transcendental ones go through vecmath's dispatched array functions (sigmoid and SiLU through
 * its fast entries: an activation between layers needs no 2-ulp result). Relu and Clip let NaN
 * through, as the operators do. */
#include "kernels/kernels.h"
#include "kernels/vecmath.h"

/* A clone per vector width, picked at load by the dynamic linker (ifunc): the loops below are the
 * whole cost of HardSwish and HardSigmoid after a GEMM (baseline x86-64 code ran them 4 wide). Clang
 * emits the clones of a function only where it is called, so the exported entry calls a static one. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void apply(const cort_sgemm_epilogue *ep, float *y, int64_t n) {
    const float lo = ep->lo, hi = ep->hi, alpha = ep->alpha, beta = ep->beta;
    switch (ep->act) {
    case CORT_ACT_NONE:
        break;
    case CORT_ACT_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0 ? 0 : y[i];
        break;
    case CORT_ACT_CLIP:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] < lo ? lo : y[i];
            y[i] = v > hi ? hi : v;
        }
        break;
    case CORT_ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0 ? alpha * y[i] : y[i];
        break;
    case CORT_ACT_SIGMOID:
        cort_vsigmoid_fast(y, y, n);
        break;
    case CORT_ACT_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float v = alpha * y[i] + beta;
            v = v > 0 ? v : 0;
            y[i] = v < 1 ? v : 1;
        }
        break;
    case CORT_ACT_HARD_SWISH:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] * (1.0f / 6.0f) + 0.5f;
            v = v > 0 ? v : 0;
            y[i] = y[i] * (v < 1 ? v : 1);
        }
        break;
    case CORT_ACT_TANH:
        cort_vtanh(y, y, n);
        break;
    case CORT_ACT_SILU:
        cort_vsilu_fast(y, y, n);
        break;
    }
}

void cort_activation_apply(const cort_sgemm_epilogue *ep, float *y, int64_t n) { apply(ep, y, n); }
