/* SGEMM on the shapes the model zoo's 1x1 convolutions produce (few rows, short depth, wide images;
 * many rows over a 7x7 image), through every path the Conv and MatMul operators take: weights packed
 * beforehand or plain, B read in place or packed, fused bias and clamp, beta 0 and 1, split over
 * threads by rows and by columns. Checked against a double-precision triple loop. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 777;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Runs serially: the threaded split is exercised without a pool, chunk by chunk. */
static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self;
    (void)min_chunk;
    for (int64_t i = 0; i < n; i++) fn(arg, i, i + 1);
}

enum { PACKED_A, PLAIN, VARIANT0, VARIANT1, VARIANT2 };

typedef struct shape {
    int64_t m, n, k, ldb; /* ldb 0: n */
} shape;

/* C = act(A * B + beta * C + bias) with A m x k, B k x n (row stride ldb), Relu or Clip fused. */
static int check_shape(shape s, float beta, cort_activation act, int threads, int mode) {
    int64_t m = s.m, n = s.n, k = s.k, ldb = s.ldb ? s.ldb : n, ldc = n + 3;
    float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * ldb));
    float *c = malloc(sizeof(float) * (size_t)(m * ldc)), *ref = malloc(sizeof(float) * (size_t)(m * ldc));
    float *bias = malloc(sizeof(float) * (size_t)m), *packed = malloc(cort_sgemm_packed_a_size(m, k));
    void *work = malloc(cort_sgemm_mt_work_size(m, n, k, threads));
    int bad = 0;
    if (!a || !b || !c || !ref || !bias || !packed || !work) {
        bad = 1;
        goto done;
    }
    for (int64_t i = 0; i < m * k; i++) a[i] = rnd();
    for (int64_t i = 0; i < k * ldb; i++) b[i] = rnd();
    for (int64_t i = 0; i < m; i++) bias[i] = rnd();
    for (int64_t i = 0; i < m * ldc; i++) c[i] = ref[i] = rnd();
    if (beta == 0)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = NAN; /* beta 0 must not read C */
    cort_sgemm_epilogue ep = {bias, act, -0.5f, 0.5f, 0, 0};
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double sum = 0;
            for (int64_t p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * ldb + j];
            double v = sum + (beta == 0 ? 0 : beta * ref[i * ldc + j]) + bias[i];
            if (act == CORT_ACT_RELU) v = v < 0 ? 0 : v;
            if (act == CORT_ACT_CLIP) v = v < ep.lo ? ep.lo : v > ep.hi ? ep.hi : v;
            ref[i * ldc + j] = (float)v;
        }
    cort_threads th = {serial_for, NULL, threads};
    if (mode == PACKED_A) {
        cort_sgemm_pack_a(false, m, k, a, k, packed);
        cort_sgemm_packed_mt_ep(&th, packed, m, n, k, false, b, ldb, beta, c, ldc, &ep, work);
    } else if (mode == PLAIN) {
        cort_sgemm_mt_ep(&th, false, false, m, n, k, 1.0f, a, k, b, ldb, beta, c, ldc, &ep, work);
    } else if (!cort_sgemm_variant_ep(mode - VARIANT0, false, false, m, n, k, 1.0f, a, k, b, ldb, beta, c, ldc, &ep,
                                      work)) {
        goto done; /* this CPU lacks the variant */
    }
    for (int64_t i = 0; i < m && !bad; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float tol = 1e-4f * (float)(k + 1);
            if (!(fabsf(c[i * ldc + j] - ref[i * ldc + j]) <= tol)) {
                fprintf(stderr, "mismatch mode %d m=%lld n=%lld k=%lld ldb=%lld threads %d beta %g at (%lld,%lld): "
                        "%g vs %g\n", mode, (long long)m, (long long)n, (long long)k, (long long)ldb, threads,
                        (double)beta, (long long)i, (long long)j, (double)c[i * ldc + j], (double)ref[i * ldc + j]);
                bad = 1;
                break;
            }
        }
done:
    free(a), free(b), free(c), free(ref), free(bias), free(packed), free(work);
    return bad;
}

static int check_all_modes(shape s, float beta, cort_activation act) {
    int bad = 0;
    for (int mode = PACKED_A; mode <= VARIANT2; mode++)
        for (int threads = 1; threads <= (mode >= VARIANT0 ? 1 : 3); threads++)
            bad |= check_shape(s, beta, act, threads, mode);
    return bad;
}

/* Every row count up to 40 (one tile, 12 + 4 or 8 + 8 rows, several tiles and a remainder) over
 * column counts around the 32-wide panels: a last panel of 1 to 4 columns, or 16 and 1 to 4 more, is
 * computed along the rows. */
static void test_thin_rows(void) {
    static const int64_t cols[] = {1, 2, 15, 17, 19, 32, 35, 49, 52, 95};
    for (int64_t m = 1; m <= 40; m++) {
        shape s = {m, cols[m % 10], 1 + (m * 7) % 70, 0};
        CHECK(check_all_modes(s, m % 3 ? 0.0f : 1.0f, m % 2 ? CORT_ACT_RELU : CORT_ACT_CLIP) == 0);
    }
}

static void test_zoo_shapes(void) {
    static const shape shapes[] = {
        {16, 3025, 64, 0},   {64, 3025, 16, 0},  {32, 729, 256, 0},  {48, 169, 256, 0},   {24, 3136, 96, 0},
        {96, 785, 16, 0},    {16, 1254, 32, 0},  {128, 196, 300, 0}, {512, 49, 260, 0},   {300, 49, 70, 0},
        {32, 196, 1152, 0},  {1000, 13, 40, 0},  {20, 100, 600, 0},   {1152, 1, 48, 0},    {48, 1, 1152, 0},
        {200, 3, 100, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        CHECK(check_all_modes(shapes[i], 0.0f, CORT_ACT_RELU) == 0);
        CHECK(check_all_modes(shapes[i], 1.0f, CORT_ACT_NONE) == 0);
    }
}

/* B rows a multiple of 4 KiB apart, which the in-place read refuses past 16 rows (packed instead, with
 * the same row-vectorised last columns), and strides that are not a multiple of the width (a B inside a
 * wider matrix). */
static void test_row_strides(void) {
    static const shape shapes[] = {{16, 40, 300, 1024}, {40, 40, 300, 1024}, {40, 49, 300, 1024}, {30, 36, 70, 1024},
                                   {40, 3, 300, 1024},  {40, 70, 90, 77},    {13, 33, 20, 35}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        CHECK(check_all_modes(shapes[i], 0.5f, CORT_ACT_NONE) == 0);
}

int main(void) {
    test_thin_rows();
    test_zoo_shapes();
    test_row_strides();
    return check_report("test_sgemm_shapes");
}
