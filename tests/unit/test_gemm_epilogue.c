/* The fused GEMM epilogue (per-row bias and every cort_activation) on every micro-kernel variant and every threaded
 * entry point, against a naive product followed by the same epilogue. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 777;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static int64_t rnd_size(int64_t max) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return 1 + (int64_t)((rng_state >> 8) % (uint32_t)max);
}

static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self, (void)min_chunk;
    for (int64_t i = 0; i < n; i++) fn(arg, i, i + 1);
}

/* the activations from their definitions, with libm */
static float activate(float v, const cort_sgemm_epilogue *ep) {
    switch (ep->act) {
    case CORT_ACT_NONE: return v;
    case CORT_ACT_RELU: return v < 0 ? 0 : v;
    case CORT_ACT_CLIP: return v < ep->lo ? ep->lo : v > ep->hi ? ep->hi : v;
    case CORT_ACT_LEAKY_RELU: return v < 0 ? ep->alpha * v : v;
    case CORT_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case CORT_ACT_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, ep->alpha * v + ep->beta));
    case CORT_ACT_HARD_SWISH: return v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f));
    case CORT_ACT_TANH: return tanhf(v);
    case CORT_ACT_SILU: return v / (1.0f + expf(-v));
    }
    return NAN;
}
enum { N_ACTIVATIONS = CORT_ACT_SILU + 1 };

/* C = act(A * B + beta * C + bias), A m x k, B k x n, all untransposed with ld = width */
static void naive(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float beta, float *c,
                  const cort_sgemm_epilogue *ep) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
            float v = (float)s + (beta == 0 ? 0 : beta * c[i * n + j]);
            if (ep->bias) v += ep->bias[i];
            c[i * n + j] = activate(v, ep);
        }
}

enum { ENTRY_VARIANT0, ENTRY_VARIANT1, ENTRY_VARIANT2, ENTRY_MT, ENTRY_PACKED_A, ENTRY_GATHER };

/* the gather entry reads B (k x n, ld n) through a packing callback */
typedef struct plain_b {
    int64_t n;
    const float *b;
} plain_b;
static void pack_plain(const void *src, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float *out) {
    const plain_b *pb = src;
    for (int64_t jr = 0; jr < nc; jr += nr)
        for (int64_t p = 0; p < kc; p++)
            for (int64_t j = 0; j < nr; j++)
                *out++ = jr + j < nc ? pb->b[(p0 + p) * pb->n + j0 + jr + j] : 0.0f;
}

static int run_case(int entry, int64_t m, int64_t n, int64_t k, float beta, cort_activation act, bool bias) {
    float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * n));
    float *c = malloc(sizeof(float) * (size_t)(m * n)), *ref = malloc(sizeof(float) * (size_t)(m * n));
    float *bv = malloc(sizeof(float) * (size_t)m), *packed = malloc(cort_sgemm_packed_a_size(m, k));
    void *work = malloc(cort_sgemm_mt_work_size(m, n, k, 3));
    int bad = !a || !b || !c || !ref || !bv || !packed || !work;
    if (bad) goto done;
    for (int64_t i = 0; i < m * k; i++) a[i] = rnd();
    for (int64_t i = 0; i < k * n; i++) b[i] = rnd();
    for (int64_t i = 0; i < m * n; i++) ref[i] = c[i] = beta == 0 ? NAN : rnd();
    for (int64_t i = 0; i < m; i++) bv[i] = rnd();
    cort_sgemm_epilogue ep = {bias ? bv : NULL, act, -0.3f, 0.4f, 0.2f, 0.6f};
    if (beta == 0)
        for (int64_t i = 0; i < m * n; i++) ref[i] = 0;
    naive(m, n, k, a, b, beta, ref, &ep);
    cort_threads th = {serial_for, NULL, 3};
    if (entry <= ENTRY_VARIANT2) {
        if (!cort_sgemm_variant_ep(entry, false, false, m, n, k, 1.0f, a, k, b, n, beta, c, n, &ep, work)) goto done;
    } else if (entry == ENTRY_MT) {
        cort_sgemm_mt_ep(&th, false, false, m, n, k, 1.0f, a, k, b, n, beta, c, n, &ep, work);
    } else if (entry == ENTRY_PACKED_A) {
        cort_sgemm_pack_a(false, m, k, a, k, packed);
        cort_sgemm_packed_mt_ep(&th, packed, m, n, k, false, b, n, beta, c, n, &ep, work);
    } else {
        plain_b src = {n, b};
        cort_sgemm_gather_b_mt_ep(&th, NULL, a, k, m, n, k, pack_plain, &src, beta, c, n, &ep, work);
    }
    for (int64_t i = 0; i < m * n && !bad; i++)
        if (!(fabsf(c[i] - ref[i]) <= 1e-4f * (float)(k + 1))) {
            fprintf(stderr, "entry %d m=%lld n=%lld k=%lld act=%d bias=%d: [%lld] %g vs %g\n", entry, (long long)m,
                    (long long)n, (long long)k, (int)act, (int)bias, (long long)i, (double)c[i], (double)ref[i]);
            bad = 1;
        }
done:
    free(a), free(b), free(c), free(ref), free(bv), free(packed), free(work);
    return bad;
}

static void test_every_entry(void) {
    for (int entry = ENTRY_VARIANT0; entry <= ENTRY_GATHER; entry++)
        for (int t = 0; t < 4 * N_ACTIVATIONS; t++) {
            int64_t m = rnd_size(60), n = rnd_size(80), k = t % 7 == 0 ? 300 + rnd_size(300) : rnd_size(90);
            cort_activation act = (cort_activation)(t % N_ACTIVATIONS);
            CHECK(run_case(entry, m, n, k, (t & 4) ? 0.5f : 0.0f, act, (t / 3) % 2 == 0) == 0);
        }
}

static void test_k_zero_applies_epilogue(void) {
    float c[4] = {-1, 2, -3, 4}, bias[2] = {0.5f, -10};
    char work[256];
    cort_threads th = {serial_for, NULL, 1};
    cort_sgemm_epilogue ep = {bias, CORT_ACT_RELU, 0, 0, 0, 0};
    cort_sgemm_mt_ep(&th, false, false, 2, 2, 0, 1.0f, NULL, 1, NULL, 2, 1.0f, c, 2, &ep, work);
    CHECK(c[0] == 0 && c[1] == 2.5f && c[2] == 0 && c[3] == 0);
    float d[2] = {-2, 3};
    cort_sgemm_epilogue leaky = {NULL, CORT_ACT_LEAKY_RELU, 0, 0, 0.25f, 0};
    cort_sgemm_mt_ep(&th, false, false, 1, 2, 0, 1.0f, NULL, 1, NULL, 2, 1.0f, d, 2, &leaky, work);
    CHECK(d[0] == -0.5f && d[1] == 3);
}

/* Relu, Clip and LeakyRelu let NaN through; the applied activations agree with their definitions */
static void test_activation_apply(void) {
    float v[37];
    for (int a = 0; a < N_ACTIVATIONS; a++) {
        cort_sgemm_epilogue ep = {NULL, (cort_activation)a, -0.5f, 2.0f, 0.1f, 0.4f};
        for (int i = 0; i < 37; i++) v[i] = (float)(i - 18) * 0.5f;
        cort_activation_apply(&ep, v, 37);
        for (int i = 0; i < 37; i++) {
            float want = activate((float)(i - 18) * 0.5f, &ep);
            if (!(fabsf(v[i] - want) <= 1e-6f * (1.0f + fabsf(want)))) {
                fprintf(stderr, "act %d at %g: %g vs %g\n", a, (double)(i - 18) * 0.5, (double)v[i], (double)want);
                CHECK(0);
                break;
            }
        }
        if (a == CORT_ACT_RELU || a == CORT_ACT_CLIP || a == CORT_ACT_LEAKY_RELU) {
            float n = NAN;
            cort_activation_apply(&ep, &n, 1);
            CHECK(isnan(n));
        }
    }
}

int main(void) {
    test_every_entry();
    test_k_zero_applies_epilogue();
    test_activation_apply();
    return check_report("test_gemm_epilogue");
}
