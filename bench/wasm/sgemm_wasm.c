/* SGEMM speed of the WebAssembly build's kernels under node: the generic C micro-kernel (variant 0,
 * auto-vectorised), the SIMD128 one (variant 1, src/kernels/wasm) and the SIMD128 one with B packed
 * beforehand (cort_sgemm_packed_b_mt, as MatMul against constant weights runs), best of R runs each,
 * alternated. Built against a wasm build's libcort.a (bench/wasm/README.md):
 *   node --no-experimental-fetch sgemm_wasm.js M N K [R] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/kernels.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: sgemm_wasm M N K [RUNS]\n");
        return 2;
    }
    int64_t m = atoll(argv[1]), n = atoll(argv[2]), k = atoll(argv[3]);
    int runs = argc > 4 ? atoi(argv[4]) : 10;
    if (m < 1 || n < 1 || k < 1 || runs < 1) {
        fprintf(stderr, "sgemm_wasm: M, N, K and RUNS must be positive\n");
        return 2;
    }
    float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * n));
    float *c = malloc(sizeof(float) * (size_t)(m * n)), *packed = malloc(cort_sgemm_packed_b_size(k, n));
    void *work = malloc(cort_sgemm_mt_work_size(m, n, k, 1));
    if (!a || !b || !c || !packed || !work) {
        fprintf(stderr, "sgemm_wasm: out of memory\n");
        return 1;
    }
    for (int64_t i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.1f;
    for (int64_t i = 0; i < k * n; i++) b[i] = (float)(i % 5) * 0.1f;
    cort_sgemm_pack_b(false, k, n, b, n, packed);
    const char *names[3] = {"generic (variant 0)", "simd128 (variant 1)", "simd128, packed B"};
    double best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r < runs; r++) {
        for (int v = 0; v < 3; v++) {
            double t = now_ms();
            if (v < 2 && !cort_sgemm_variant(v, false, false, m, n, k, 1, a, k, b, n, 0, c, n, work)) continue;
            if (v == 2) cort_sgemm_packed_b_mt(NULL, false, m, n, k, 1, a, k, packed, 0, c, n, work);
            t = now_ms() - t;
            if (t < best[v]) best[v] = t;
        }
    }
    printf("sgemm %lld x %lld x %lld, best of %d:\n", (long long)m, (long long)n, (long long)k, runs);
    for (int v = 0; v < 3; v++)
        if (best[v] < 1e30)
            printf("  %-20s %8.2f ms %6.1f GFLOP/s\n", names[v], best[v], 2.0 * (double)(m * n * k) / best[v] / 1e6);
    free(a), free(b), free(c), free(packed), free(work);
    return 0;
}
