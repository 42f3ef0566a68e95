/* The kernel variants each build offers agree with what base/cpu.h detects: on AArch64 the NEON ones
 * are always there and chosen first (SGEMM variant 1, depthwise variant 1, vector math "neon"), with
 * the generic C ones still reachable; on x86-64 the AVX2 and AVX-512 variants exist exactly when the
 * CPU has those features. */
#include <stdlib.h>
#include <string.h>

#include "base/cpu.h"
#include "check.h"
#include "kernels/kernels.h"
#include "kernels/vecmath.h"

static bool sgemm_has(int variant) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    void *work = malloc(cort_sgemm_work_size(2, 2, 2));
    bool ok = work && cort_sgemm_variant(variant, false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2, work);
    if (ok) CHECK(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4); /* A times the identity */
    free(work);
    return ok;
}

/* a 3x3 stride-1 depthwise of one 8x8 channel, the shape every SIMD variant takes */
static bool depthwise_has(int variant) {
    cort_conv_geom g = {2, {8, 8}, {8, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}};
    float x[64], w[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0}, y[64];
    for (int i = 0; i < 64; i++) x[i] = (float)i;
    size_t ws = cort_depthwise_work_size(&g);
    void *work = malloc(ws ? ws : 1);
    bool ok = work && cort_depthwise_variant(variant, &g, x, w, NULL, 0, 1, y, work);
    if (ok) CHECK(memcmp(x, y, sizeof x) == 0); /* the centre tap alone copies the image */
    free(work);
    return ok;
}

static bool vecmath_has(const char *name, int *position) {
    const cort_vecmath_impl *impls[8];
    int n = cort_vecmath_impls(impls, 8);
    CHECK(n >= 1 && strcmp(impls[n - 1]->name, "generic") == 0);
    for (int i = 0; i < n; i++)
        if (strcmp(impls[i]->name, name) == 0) {
            *position = i;
            return true;
        }
    return false;
}

int main(void) {
    cort_cpu_features f;
    cort_cpu_detect(&f);
    int pos = -1;
    CHECK(sgemm_has(0));
    CHECK(depthwise_has(0));
    CHECK(vecmath_has("generic", &pos));
#if defined(__aarch64__)
    CHECK(f.neon);
    CHECK(sgemm_has(1));
    CHECK(!sgemm_has(2));
    CHECK(depthwise_has(1));
    CHECK(vecmath_has("neon", &pos) && pos == 0);
#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    CHECK(sgemm_has(1) == (f.avx2 && f.fma));
    CHECK(sgemm_has(2) == f.avx512f);
    CHECK(depthwise_has(1) == (f.avx2 && f.fma));
    CHECK(depthwise_has(2) == f.avx512f);
    CHECK(vecmath_has("avx2", &pos) == (f.avx2 && f.fma));
    CHECK(!vecmath_has("neon", &pos));
#endif
    return check_report("test_cpu_dispatch");
}
