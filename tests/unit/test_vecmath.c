/* Vector math against libm (in double) for every variant this CPU runs: wide sweeps, special values,
 * subnormal results, tails of odd lengths, in-place use; the fast sigmoid and SiLU against a relative
 * bound; and the matrix-vector product. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/vecmath.h"

#define N 200003 /* odd, so every variant runs its tail */

static double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double ref_silu(double x) { return x / (1 + exp(-x)); }

/* Error in units of the float spacing at the reference value (subnormal spacing below FLT_MIN). */
static double ulps(float got, double want) {
    if (isnan(want)) return isnan(got) ? 0 : 1e9;
    float w = (float)want;
    if (isinf(w) || isinf(got)) return got == w ? 0 : 1e9;
    double spacing = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / spacing;
}

static float sample(int i, float lo, float hi) { return lo + (hi - lo) * (float)i / (float)(N - 1); }

static double worst(void (*fn)(const float *, float *, int64_t), double (*ref)(double), float lo, float hi,
                    float *x, float *y) {
    for (int i = 0; i < N; i++) x[i] = sample(i, lo, hi);
    fn(x, y, N);
    double w = 0;
    for (int i = 0; i < N; i++) {
        double u = ulps(y[i], ref(x[i]));
        if (u > w) w = u;
    }
    return w;
}

static void check_specials(void (*fn)(const float *, float *, int64_t), double (*ref)(double), double tol) {
    float x[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, 88.5f, 88.8f, -87.5f, -100.0f,
                 -103.5f, -110.0f, 1e30f, -1e30f, 3.9f, 4.1f, -4.1f, 0.921875f, 0.625f, -0.625f};
    int n = (int)(sizeof x / sizeof x[0]);
    float y[sizeof x / sizeof x[0]];
    fn(x, y, n);
    for (int i = 0; i < n; i++) {
        double u = ulps(y[i], ref(x[i]));
        if (u > tol) printf("  x=%g got %.9g want %.9g\n", x[i], y[i], ref(x[i]));
        CHECK(u <= tol);
    }
    if (!signbit(y[1]) != !signbit(ref(-0.0))) printf("  sign of f(-0): got %g\n", y[1]);
    CHECK(!signbit(y[1]) == !signbit(ref(-0.0)));
}

static void check_impl(const cort_vecmath_impl *im, float *x, float *y) {
    struct {
        const char *name;
        void (*fn)(const float *, float *, int64_t);
        double (*ref)(double);
        float lo, hi;
        double tol, special_tol;
    } cases[] = {
        {"exp", im->exp, exp, -110, 90, 2, 2},
        {"exp", im->exp, exp, -1, 1, 2, 2},
        {"sigmoid", im->sigmoid, ref_sigmoid, -110, 110, 3, 3},
        {"tanh", im->tanh, tanh, -12, 12, 3, 3},
        {"tanh", im->tanh, tanh, -1, 1, 3, 3},
        {"erf", im->erf, erf, -6, 6, 3, 3},
        {"erf", im->erf, erf, -1.2f, 1.2f, 3, 3},
        /* x * sigmoid(x): below -87 sigmoid is subnormal and its few bits limit the product */
        {"silu", im->silu, ref_silu, -87, 90, 4, 64},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double w = worst(cases[c].fn, cases[c].ref, cases[c].lo, cases[c].hi, x, y);
        printf("%s %s [%g, %g]: %.2f ulp\n", im->name, cases[c].name, cases[c].lo, cases[c].hi, w);
        CHECK(w <= cases[c].tol);
        check_specials(cases[c].fn, cases[c].ref, cases[c].special_tol);
    }
    /* in place, with a length that is no multiple of any vector width */
    for (int i = 0; i < 37; i++) x[i] = y[i] = (float)i / 7 - 2;
    im->tanh(x, x, 37);
    for (int i = 0; i < 37; i++) CHECK(ulps(x[i], tanh(y[i])) <= 3);
}

static void check_sgemv(const cort_vecmath_impl *im) {
    for (int64_t rows = 1; rows <= 9; rows += 4)
        for (int64_t k = 0; k <= 37; k += 3) {
            int64_t ldw = k + 3;
            float w[9 * 40], x[40], y[9];
            for (int64_t i = 0; i < rows * ldw; i++) w[i] = (float)((i * 37) % 11) / 8 - 0.6f;
            for (int64_t p = 0; p < k; p++) x[p] = (float)((p * 13) % 7) / 4 - 0.7f;
            im->sgemv_rows(rows, k, w, ldw, x, y);
            for (int64_t r = 0; r < rows; r++) {
                double s = 0, mag = 0;
                for (int64_t p = 0; p < k; p++) {
                    s += (double)w[r * ldw + p] * x[p];
                    mag += fabs((double)w[r * ldw + p] * x[p]);
                }
                CHECK(fabs(y[r] - s) <= 1e-6 * (mag + 1));
            }
        }
}

/* The fast entries: relative error below 3e-6 over the activations' range (odd length: the tail runs),
 * NaN through, inputs far below -88 to results within |x| 1e-38 of the exact ones, in place. */
static void check_fast(float *x, float *y) {
    struct {
        const char *name;
        void (*fn)(const float *, float *, int64_t);
        double (*ref)(double);
    } cases[] = {{"sigmoid_fast", cort_vsigmoid_fast, ref_sigmoid}, {"silu_fast", cort_vsilu_fast, ref_silu}};
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < N; i++) x[i] = sample(i, -80, 80);
        cases[c].fn(x, y, N);
        double w = 0;
        for (int i = 0; i < N; i++) {
            double want = cases[c].ref(x[i]), e = fabs(y[i] - want) / fabs(want);
            if (want != 0 && e > w) w = e;
        }
        printf("%s [-80, 80]: %.3g relative\n", cases[c].name, w);
        CHECK(w <= 3e-6);
        float s[7] = {NAN, -1000.0f, -100.0f, 0.0f, 100.0f, 1000.0f, INFINITY}, t[7];
        cases[c].fn(s, t, 7);
        CHECK(isnan(t[0]));
        for (int i = 1; i < 7; i++) {
            double want = cases[c].ref(s[i]);
            CHECK(fabs(t[i] - want) <= 1e-38 * fmax(1, fabs(s[i])) + 3e-6 * fabs(want) || (isinf(want) && t[i] == want));
        }
        for (int i = 0; i < 37; i++) x[i] = y[i] = (float)i / 3 - 6;
        cases[c].fn(x, x, 37);
        for (int i = 0; i < 37; i++) CHECK(fabs(x[i] - cases[c].ref(y[i])) <= 3e-6 * fabs(cases[c].ref(y[i])));
    }
}

int main(void) {
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    CHECK(x && y);
    if (!x || !y) return 1;
    const cort_vecmath_impl *impls[4];
    int n = cort_vecmath_impls(impls, 4);
    CHECK(n >= 1);
    for (int i = 0; i < n; i++) {
        check_impl(impls[i], x, y);
        check_sgemv(impls[i]);
    }
    check_fast(x, y);
    /* the dispatching entries agree with the widest variant */
    for (int i = 0; i < 1000; i++) x[i] = (float)i / 50 - 10;
    cort_vexp(x, y, 1000);
    float z[1000];
    impls[0]->exp(x, z, 1000);
    CHECK(memcmp(y, z, sizeof z) == 0);
    free(x);
    free(y);
    return check_report("vecmath");
}
