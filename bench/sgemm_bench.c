/* SGEMM micro-benchmark: cort_sgemm (and each micro-kernel variant this CPU runs) against the system
 * BLAS's cblas_sgemm on square and skinny row-major products, one thread, printing GFLOP/s.
 * Run OpenBLAS single-threaded and on its AVX-512 path:
 *   OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX build/bench/sgemm_bench */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

/* the one CBLAS entry point used, declared here so no cblas.h is needed */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct problem {
    int m, n, k;
    float *a, *b, *c;
    void *work;
} problem;

/* variant -1 is OpenBLAS, 3 is cort's own pick, 0..2 a forced micro-kernel */
static bool run_once(const problem *p, int variant) {
    if (variant < 0) {
        cblas_sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n,
                    0.0f, p->c, p->n);
        return true;
    }
    if (variant == 3) {
        cort_sgemm(false, false, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n, 0.0f, p->c, p->n, p->work);
        return true;
    }
    return cort_sgemm_variant(variant, false, false, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n, 0.0f, p->c,
                              p->n, p->work);
}

/* best of several timed batches, in GFLOP/s; 0 when the variant does not run here */
static double gflops(const problem *p, int variant) {
    if (!run_once(p, variant)) return 0;
    double flops = 2.0 * p->m * p->n * p->k, best = 1e30;
    int reps = (int)(2e8 / flops) + 1;
    for (int trial = 0; trial < 5; trial++) {
        double t0 = now_s();
        for (int r = 0; r < reps; r++) run_once(p, variant);
        double t = (now_s() - t0) / reps;
        if (t < best) best = t;
    }
    return flops / best * 1e-9;
}

static float *random_floats(size_t n) {
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; v && i < n; i++) v[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
    return v;
}

int main(void) {
    static const int shapes[][3] = {{256, 256, 256},  {384, 384, 384}, {512, 512, 512}, {768, 768, 768},
                                    {1024, 1024, 1024}, {4, 1024, 1024}, {16, 1024, 1024}, {64, 3136, 576},
                                    {256, 196, 2304}, {512, 49, 4608}};
    printf("%6s %6s %6s | %9s %9s %9s %9s | %9s | %s\n", "M", "N", "K", "cort", "generic", "avx2", "avx512",
           "OpenBLAS", "cort/OpenBLAS");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        problem p = {shapes[s][0], shapes[s][1], shapes[s][2], NULL, NULL, NULL, NULL};
        p.a = random_floats((size_t)p.m * p.k);
        p.b = random_floats((size_t)p.k * p.n);
        p.c = random_floats((size_t)p.m * p.n);
        p.work = malloc(cort_sgemm_work_size(p.m, p.n, p.k));
        if (!p.a || !p.b || !p.c || !p.work) {
            fprintf(stderr, "sgemm_bench: out of memory\n");
            return 1;
        }
        double g[4], blas = gflops(&p, -1);
        for (int v = 0; v < 4; v++) g[v] = gflops(&p, v == 0 ? 3 : v - 1);
        printf("%6d %6d %6d | %9.1f %9.1f %9.1f %9.1f | %9.1f | %.2f\n", p.m, p.n, p.k, g[0], g[1], g[2], g[3], blas,
               g[0] / blas);
        free(p.a), free(p.b), free(p.c), free(p.work);
    }
    return 0;
}
