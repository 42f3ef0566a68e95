/* The per-column GEMM epilogue (cort_sgemm_col_ep_mt: a projection's bias, then GELU in its erf or tanh
 * form, applied to each block of C by the task that computed it), with B packed beforehand and plain
 * (transposed or not), on shapes that take several column blocks and both thread splits, against a
 * double-precision product followed by the GELU formulas. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/transformer.h"

static uint32_t rng_state = 4242;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self, (void)min_chunk;
    for (int64_t i = n - 1; i >= 0; i--) fn(arg, i, i + 1); /* tasks out of order: none may rely on another */
}

static double gelu_ref(double v, bool tanh_form) {
    const double sqrt_2_over_pi = 0.7978845608028654;
    if (tanh_form) return 0.5 * v * (1.0 + tanh(sqrt_2_over_pi * (v + 0.044715 * v * v * v)));
    return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
}

/* Y = act(A * op(B) + bias) through the entry, compared with the formula; returns the mismatches */
static int run_case(int64_t m, int64_t n, int64_t k, bool packed, bool trans_b, bool with_bias, bool gelu,
                    bool tanh_form, int threads) {
    float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * n));
    float *bias = malloc(sizeof(float) * (size_t)n), *c = malloc(sizeof(float) * (size_t)(m * n));
    for (int64_t i = 0; i < m * k; i++) a[i] = rnd();
    for (int64_t i = 0; i < k * n; i++) b[i] = rnd();
    for (int64_t i = 0; i < n; i++) bias[i] = 2 * rnd();
    for (int64_t i = 0; i < m * n; i++) c[i] = NAN; /* beta 0: C is only written */
    int64_t ldb = trans_b ? k : n;
    float *pb = NULL;
    if (packed) {
        pb = malloc(cort_sgemm_packed_b_size(k, n));
        cort_sgemm_pack_b(trans_b, k, n, b, ldb, pb);
    }
    cort_sgemm_col_epilogue ep = {with_bias ? bias : NULL, gelu, tanh_form};
    cort_threads th = {serial_for, NULL, threads};
    void *work = malloc(cort_sgemm_col_ep_mt_work_size(m, n, k, threads, packed));
    cort_sgemm_col_ep_mt(&th, m, n, k, a, k, pb, trans_b, b, ldb, c, n, &ep, work);
    int bad = 0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = with_bias ? bias[j] : 0, mag = fabs(s);
            for (int64_t p = 0; p < k; p++) {
                double t = (double)a[i * k + p] * (trans_b ? b[j * k + p] : b[p * n + j]);
                s += t, mag += fabs(t);
            }
            double want = gelu ? gelu_ref(s, tanh_form) : s;
            if (!(fabs(c[i * n + j] - want) <= 1e-5 * mag + 1e-5)) bad++;
        }
    if (bad)
        printf("  %lld x %lld x %lld packed %d trans %d bias %d gelu %d tanh %d threads %d: %d wrong\n",
               (long long)m, (long long)n, (long long)k, packed, trans_b, with_bias, gelu, tanh_form, threads, bad);
    free(a), free(b), free(bias), free(c), free(pb), free(work);
    return bad;
}

int main(void) {
    /* token rows x projections: several column blocks (n past 256 and past 2048), a k past one block,
     * narrow tails (197, 50 columns), a single row */
    static const int64_t shapes[][3] = {{128, 3072, 96},  {24, 2100, 300}, {197, 197, 64}, {13, 600, 40},
                                        {1, 50, 70},      {40, 1000, 513}, {300, 40, 33},  {7, 2500, 16}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int v = 0; v < 12; v++) {
            bool packed = v & 1, trans_b = (v >> 1) & 1;
            int mode = v / 4; /* bias only, bias + GELU, GELU(tanh) without bias */
            CHECK(run_case(shapes[s][0], shapes[s][1], shapes[s][2], packed, trans_b, mode != 2, mode != 0,
                           mode == 2, 1 + (int)(s + v) % 3) == 0);
        }
    return check_report("sgemm_col_epilogue");
}
