/* The transformer row kernels (src/kernels/transformer.h), every variant this CPU runs, against
 * formulas evaluated in double: GELU and its tanh approximation over a wide sweep, in place and on
 * lengths no vector width divides, and after a bias per column; LayerNormalization of rows with and without a bias and with a large
 * common offset; the softmax of rows apart in memory (ld > n), with large logits and -inf entries. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/transformer.h"

#define N 20011 /* odd, so every variant runs its tail */

static double ref_gelu(double x) { return x * 0.5 * (1 + erf(x / sqrt(2.0))); }
static double ref_fast_gelu(double x) {
    return x * 0.5 * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

/* |got - want| against a tolerance of a few float ulp of the larger of |want| and `floor` (|x| for GELU:
 * where erf(x / sqrt 2) nears -1, 1 + erf keeps only an absolute accuracy, the float spacing at 1). */
static bool close_to(float got, double want, double floor) {
    if (isnan(want)) return isnan(got);
    double scale = fabs(want) > floor ? fabs(want) : floor;
    return fabs((double)got - want) <= 8 * scale * 0x1p-24;
}

static unsigned seed = 1;
static float uniform(float lo, float hi) {
    seed = seed * 1103515245u + 12345u;
    return lo + (hi - lo) * (float)((seed >> 8) & 0xffffff) / 16777216.0f;
}

static void check_gelu(const cort_transformer_impl *im, float *x, float *y) {
    for (int i = 0; i < N; i++) x[i] = -12.0f + 24.0f * (float)i / (float)(N - 1);
    x[N / 2] = 0.0f;
    int bad = 0, bad_fast = 0;
    im->gelu(x, y, N);
    for (int i = 0; i < N; i++) bad += !close_to(y[i], ref_gelu(x[i]), fabsf(x[i]));
    im->fast_gelu(x, y, N);
    for (int i = 0; i < N; i++) bad_fast += !close_to(y[i], ref_fast_gelu(x[i]), fabsf(x[i]));
    for (int len = 1; len < 40; len++) { /* in place, every tail length */
        for (int i = 0; i < len; i++) y[i] = x[i * 397];
        im->gelu(y, y, len);
        for (int i = 0; i < len; i++) bad += !close_to(y[i], ref_gelu(x[i * 397]), fabsf(x[i * 397]));
    }
    for (int tanh_form = 0; tanh_form < 2; tanh_form++) { /* with a bias per column, rows of odd length */
        enum { ROWS = 3, COLS = 37 };
        float bias[COLS];
        for (int i = 0; i < COLS; i++) bias[i] = uniform(-2, 2);
        for (int i = 0; i < ROWS * COLS; i++) y[i] = x[i * 131];
        im->bias_gelu_rows(y, bias, ROWS, COLS, tanh_form);
        for (int i = 0; i < ROWS * COLS; i++) {
            float v = x[i * 131] + bias[i % COLS];
            int *count = tanh_form ? &bad_fast : &bad;
            *count += !close_to(y[i], tanh_form ? ref_fast_gelu(v) : ref_gelu(v), fabsf(v));
        }
    }
    if (bad || bad_fast) fprintf(stderr, "%s: gelu %d, fast gelu %d values off\n", im->name, bad, bad_fast);
    CHECK(bad == 0 && bad_fast == 0);
    float special[3] = {INFINITY, NAN, 0.0f};
    im->gelu(special, special, 3);
    CHECK(special[0] == INFINITY && isnan(special[1]) && special[2] == 0.0f);
}

static void check_layernorm(const cort_transformer_impl *im, float *x, float *y) {
    const int64_t lens[] = {1, 5, 16, 31, 33, 197, 768};
    float scale[768], bias[768];
    for (int i = 0; i < 768; i++) scale[i] = uniform(0.5f, 1.5f), bias[i] = uniform(-1, 1);
    int bad = 0;
    for (size_t c = 0; c < sizeof lens / sizeof *lens; c++) {
        int64_t n = lens[c], rows = 3;
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            for (int64_t i = 0; i < rows * n; i++) x[i] = uniform(-3, 3) + (i / n == 2 ? 1000.0f : 0.0f);
            im->layernorm_rows(x, scale, with_bias ? bias : NULL, 1e-5f, rows, n, y);
            for (int64_t r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int64_t i = 0; i < n; i++) mean += x[r * n + i];
                mean /= (double)n;
                for (int64_t i = 0; i < n; i++) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
                double inv = 1 / sqrt(var / (double)n + 1e-5);
                for (int64_t i = 0; i < n; i++) {
                    double want = (x[r * n + i] - mean) * inv * scale[i] + (with_bias ? bias[i] : 0);
                    bad += fabs(y[r * n + i] - want) > 2e-4 * (1 + fabs(want)) * (r == 2 ? 4 : 1);
                }
            }
        }
    }
    if (bad) fprintf(stderr, "%s: layernorm %d values off\n", im->name, bad);
    CHECK(bad == 0);
}

static void check_softmax(const cort_transformer_impl *im, float *s) {
    const int64_t lens[] = {1, 7, 16, 17, 128, 197};
    int bad = 0;
    for (size_t c = 0; c < sizeof lens / sizeof *lens; c++) {
        int64_t n = lens[c], ld = n + 3, rows = 4;
        for (int64_t i = 0; i < rows * ld; i++) s[i] = uniform(-8, 8) + (i / ld == 1 ? 80.0f : 0.0f);
        if (n > 1) s[3 * ld + n - 1] = -INFINITY;
        float guard = s[n]; /* between rows: untouched */
        double want[4][200];
        for (int64_t r = 0; r < rows; r++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < n; j++) mx = s[r * ld + j] > mx ? s[r * ld + j] : mx;
            for (int64_t j = 0; j < n; j++) sum += exp(s[r * ld + j] - mx);
            for (int64_t j = 0; j < n; j++) want[r][j] = exp(s[r * ld + j] - mx) / sum;
        }
        float inv_sum[4];
        im->softmax_rows(s, rows, n, ld, n > 16 ? inv_sum : NULL); /* unnormalised rows and their scales */
        for (int64_t r = 0; n > 16 && r < rows; r++)
            for (int64_t j = 0; j < n; j++) s[r * ld + j] *= inv_sum[r];
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < n; j++) bad += !(fabs(s[r * ld + j] - want[r][j]) <= 1e-6 * (1 + want[r][j] * 10));
        CHECK(n == 1 || s[n] == guard);
    }
    if (bad) fprintf(stderr, "%s: softmax %d values off\n", im->name, bad);
    CHECK(bad == 0);
}

int main(void) {
    const cort_transformer_impl *impls[4];
    int count = cort_transformer_impls(impls, 4);
    CHECK(count >= 1);
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    CHECK(x && y);
    if (!x || !y) return check_report("test_transformer_kernels");
    for (int v = 0; v < count; v++) {
        printf("variant %s\n", impls[v]->name);
        check_gelu(impls[v], x, y);
        check_layernorm(impls[v], x, y);
        check_softmax(impls[v], x);
    }
    free(x);
    free(y);
    return check_report("test_transformer_kernels");
}
