/* cort_sgemm / cort_sgemm_mt / cort_dgemm against a naive triple loop on random odd sizes. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 12345;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static int64_t rnd_size(int64_t max) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return 1 + (int64_t)((rng_state >> 8) % (uint32_t)max);
}

static void naive(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++)
                s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]));
        }
}

/* Runs serially: the threaded split is exercised without a pool, chunk by chunk. */
static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self;
    (void)min_chunk;
    for (int64_t i = 0; i < n; i++) fn(arg, i, i + 1);
}

enum { PLAIN, PACKED_A, PACKED_B, VARIANT0, VARIANT1, VARIANT2 };

static int compare_case_mode(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta, int threads,
                             int mode) {
    int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    int64_t arows = ta ? k : m, brows = tb ? n : k;
    float *a = malloc(sizeof(float) * (size_t)(arows * lda));
    float *b = malloc(sizeof(float) * (size_t)(brows * ldb));
    float *c = malloc(sizeof(float) * (size_t)(m * ldc));
    float *ref = malloc(sizeof(float) * (size_t)(m * ldc));
    cort_threads th = {serial_for, NULL, threads};
    size_t ws = mode == PACKED_B                  ? cort_sgemm_packed_b_mt_work_size(m, n, k, threads)
                : threads > 1 || mode != PLAIN ? cort_sgemm_mt_work_size(m, n, k, threads)
                                               : cort_sgemm_work_size(m, n, k);
    void *work = malloc(ws);
    float *packed = malloc(mode == PACKED_A ? cort_sgemm_packed_a_size(m, k) : cort_sgemm_packed_b_size(k, n));
    int bad = 0;
    if (mode == PACKED_A && (ta || alpha != 1.0f)) bad = 1; /* packed A: untransposed, no alpha */
    if (bad || !a || !b || !c || !ref || !work || !packed) {
        bad = 1;
        goto done;
    }
    for (int64_t i = 0; i < arows * lda; i++) a[i] = rnd();
    for (int64_t i = 0; i < brows * ldb; i++) b[i] = rnd();
    for (int64_t i = 0; i < m * ldc; i++) ref[i] = c[i] = rnd();
    if (beta == 0)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = NAN; /* beta 0 must not read C */
    naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, ref, ldc);
    if (mode == PACKED_A) {
        cort_sgemm_pack_a(false, m, k, a, lda, packed);
        cort_sgemm_packed_mt(&th, packed, m, n, k, tb, b, ldb, beta, c, ldc, work);
    } else if (mode == PACKED_B) {
        cort_sgemm_pack_b(tb, k, n, b, ldb, packed);
        cort_sgemm_packed_b_mt(&th, ta, m, n, k, alpha, a, lda, packed, beta, c, ldc, work);
    } else if (mode >= VARIANT0) {
        if (!cort_sgemm_variant(mode - VARIANT0, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work)) {
            free(a), free(b), free(c), free(ref), free(work), free(packed);
            return 0; /* this CPU lacks the variant */
        }
    } else if (threads > 1)
        cort_sgemm_mt(&th, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
    else
        cort_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
    for (int64_t i = 0; i < m && !bad; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float tol = 1e-4f * (float)(k + 1);
            if (!(fabsf(c[i * ldc + j] - ref[i * ldc + j]) <= tol)) {
                fprintf(stderr, "mismatch ta=%d tb=%d m=%lld n=%lld k=%lld at (%lld,%lld): %g vs %g\n", ta, tb,
                        (long long)m, (long long)n, (long long)k, (long long)i, (long long)j,
                        (double)c[i * ldc + j], (double)ref[i * ldc + j]);
                bad = 1;
                break;
            }
        }
done:
    free(a);
    free(b);
    free(c);
    free(ref);
    free(work);
    free(packed);
    return bad;
}

static int compare_case(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta, int threads) {
    return compare_case_mode(ta, tb, m, n, k, alpha, beta, threads, PLAIN);
}

static void test_random_sizes(void) {
    const float alphas[] = {1.0f, 0.5f, -2.0f}, betas[] = {0.0f, 1.0f, 0.25f};
    for (int t = 0; t < 200; t++) {
        int64_t m = rnd_size(70), n = rnd_size(70), k = rnd_size(70);
        bool ta = t & 1, tb = (t >> 1) & 1;
        CHECK(compare_case(ta, tb, m, n, k, alphas[t % 3], betas[(t / 3) % 3], 1) == 0);
    }
}

static void test_block_edges(void) {
    /* sizes straddling the MC/KC/NC blocks and the micro-tile */
    CHECK(compare_case(false, false, 121, 2049, 257, 1.0f, 0.0f, 1) == 0);
    CHECK(compare_case(true, true, 127, 33, 513, 0.75f, 1.0f, 1) == 0);
    CHECK(compare_case(false, true, 6, 16, 1, 1.0f, 0.0f, 1) == 0);
}

static void test_threaded_split(void) {
    CHECK(compare_case(false, false, 300, 40, 50, 1.0f, 0.0f, 4) == 0);  /* split rows */
    CHECK(compare_case(true, false, 20, 500, 70, 1.0f, 0.5f, 3) == 0);  /* split columns */
    CHECK(compare_case(false, true, 67, 301, 33, -1.0f, 1.0f, 8) == 0);
}

static void test_packed_operands(void) {
    for (int t = 0; t < 60; t++) {
        int64_t m = rnd_size(70), n = rnd_size(70), k = rnd_size(300);
        CHECK(compare_case_mode(false, t & 1, m, n, k, 1.0f, (t & 2) ? 1.0f : 0.0f, 1 + t % 3, PACKED_A) == 0);
        CHECK(compare_case_mode(t & 1, (t >> 1) & 1, m, n, k, 0.5f, (t & 4) ? 0.5f : 0.0f, 1 + t % 3, PACKED_B) == 0);
    }
    /* more than one NC block of columns and KC block of depth */
    CHECK(compare_case_mode(false, true, 13, 2100, 300, 1.0f, 0.0f, 2, PACKED_B) == 0);
    /* a packed B split by columns among threads, a share starting inside an NC block and crossing into
     * the next (1536 .. 3072 of 3072); rows that tile as ten micro-tiles of 12 and one of 8 */
    CHECK(compare_case_mode(false, false, 128, 3072, 260, 1.0f, 1.0f, 2, PACKED_B) == 0);
    CHECK(compare_case_mode(true, true, 128, 4200, 40, 1.0f, 0.0f, 3, PACKED_B) == 0);
    CHECK(compare_case_mode(false, false, 197, 768, 70, 1.0f, 0.0f, 2, PACKED_B) == 0);
    CHECK(compare_case_mode(false, false, 290, 100, 30, 1.0f, 0.0f, 1, PLAIN) == 0);
    CHECK(compare_case_mode(false, false, 130, 70, 600, 1.0f, 1.0f, 3, PACKED_A) == 0);
}

static void test_every_variant(void) {
    for (int v = VARIANT0; v <= VARIANT2; v++)
        for (int t = 0; t < 40; t++) {
            int64_t m = rnd_size(70), n = rnd_size(70), k = rnd_size(300);
            CHECK(compare_case_mode(t & 1, (t >> 1) & 1, m, n, k, 1.5f, (t & 4) ? 0.5f : 0.0f, 1, v) == 0);
        }
}

static void test_degenerate(void) {
    float c[4] = {1, 2, 3, 4};
    char work[256];
    cort_sgemm(false, false, 2, 2, 0, 1.0f, NULL, 1, NULL, 2, 2.0f, c, 2, work); /* k = 0: C = beta * C */
    CHECK(c[0] == 2 && c[3] == 8);
    cort_sgemm(false, false, 2, 2, 0, 1.0f, NULL, 1, NULL, 2, 0.0f, c, 2, work);
    CHECK(c[0] == 0 && c[3] == 0);
}

static void test_dgemm(void) {
    double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 2, 1, 0, 3}, c[4] = {9, 9, 9, 9};
    /* a: 2x3, b: 3x2 -> [[1+4+0, 0+2+9], [4+10+0, 0+5+18]] */
    cort_dgemm(false, false, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, c, 2);
    CHECK(c[0] == 5 && c[1] == 11 && c[2] == 14 && c[3] == 23);
    cort_dgemm(true, true, 3, 3, 2, 1.0, a, 3, b, 2, 0.0, (double[9]){0}, 3);
}

int main(void) {
    test_random_sizes();
    test_block_edges();
    test_threaded_split();
    test_packed_operands();
    test_every_variant();
    test_degenerate();
    test_dgemm();
    return check_report("test_gemm_kernel");
}
