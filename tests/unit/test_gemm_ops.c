/* Matrix-product operators through their registry rows: MatMul broadcasting and 1-D operands against a
 * naive loop (with B packed at prepare), integer Gemm, Einsum forms, Det and QLinearMatMul. */
#include "test_conv_harness.h"

static uint32_t rng_state = 99;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) % 2001) / 1000.0f - 1.0f;
}

static void test_matmul_broadcast(void) {
    /* [2,1,3,4] x [5,4,2] -> [2,5,3,2] */
    int64_t ad[4] = {2, 1, 3, 4}, bd[3] = {5, 4, 2}, yd[4] = {2, 5, 3, 2};
    float a[24], b[40], want[60];
    for (int i = 0; i < 24; i++) a[i] = rnd();
    for (int i = 0; i < 40; i++) b[i] = rnd();
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 5; j++)
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 2; c++) {
                    float s = 0;
                    for (int k = 0; k < 4; k++) s += a[i * 12 + r * 4 + k] * b[j * 8 + k * 2 + c];
                    want[((i * 5 + j) * 3 + r) * 2 + c] = s;
                }
    nn_case c;
    nn_init(&c, "MatMul", 13, 2, 1);
    nn_input(&c, 0, CORT_FLOAT, 4, ad, a);
    nn_input(&c, 1, CORT_FLOAT, 3, bd, b);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_shape(&c, 0, 4, yd));
    CHECK(nn_out_close(&c, 0, want, 60, 1e-5f));
    nn_free(&c);
}

static void test_matmul_vectors_and_packed_b(void) {
    /* [3] x [3,2] -> [2], with the constant B packed at prepare */
    int64_t vd[1] = {3}, md[2] = {3, 2}, yd[1] = {2};
    float v[3] = {1, 2, 3}, m[6] = {1, 2, 3, 4, 5, 6}, want[2] = {22, 28};
    nn_case c;
    nn_init(&c, "MatMul", 13, 2, 1);
    nn_input(&c, 0, CORT_FLOAT, 1, vd, v);
    nn_input(&c, 1, CORT_FLOAT, 2, md, m);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_shape(&c, 0, 1, yd));
    CHECK(nn_out_close(&c, 0, want, 2, 1e-6f));
    nn_free(&c);

    /* [2,3] x [3] -> [2] */
    int64_t ad[2] = {2, 3};
    float want2[2] = {14, 32};
    nn_init(&c, "MatMul", 13, 2, 1);
    nn_input(&c, 0, CORT_FLOAT, 2, ad, m);
    nn_input(&c, 1, CORT_FLOAT, 1, vd, v);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_close(&c, 0, want2, 2, 1e-6f));
    nn_free(&c);

    /* float16 operands; the constant B is widened and packed at prepare */
    uint16_t mh[6], vh[3];
    for (int i = 0; i < 6; i++) mh[i] = cort_f32_to_f16(m[i]);
    for (int i = 0; i < 3; i++) vh[i] = cort_f32_to_f16(v[i]);
    int64_t bd2[2] = {3, 1};
    nn_init(&c, "MatMul", 13, 2, 1);
    nn_input(&c, 0, CORT_FLOAT16, 2, ad, mh);
    nn_input(&c, 1, CORT_FLOAT16, 2, bd2, vh);
    CHECK_OK(nn_run(&c));
    CHECK(c.outs[0].t.type == CORT_FLOAT16);
    CHECK(nn_out_close(&c, 0, want2, 2, 1e-2f));
    nn_free(&c);

    nn_init(&c, "MatMul", 13, 2, 1);
    nn_input(&c, 0, CORT_FLOAT, 2, ad, m);
    nn_input(&c, 1, CORT_FLOAT, 2, ad, m); /* K mismatch: 3 vs 2 */
    CHECK(nn_fails(&c));
    nn_free(&c);
}

static void test_gemm_int_and_bias(void) {
    int64_t ad[2] = {2, 2}, cd[1] = {2};
    int64_t a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, bias[2] = {100, 200};
    nn_case c;
    nn_init(&c, "Gemm", 13, 3, 1);
    nn_attr_int(&c, "transB", 1);
    nn_input(&c, 0, CORT_INT64, 2, ad, a);
    nn_input(&c, 1, CORT_INT64, 2, ad, b);
    nn_input(&c, 2, CORT_INT64, 1, cd, bias);
    CHECK_OK(nn_run(&c));
    float want[4] = {1 * 5 + 2 * 6 + 100, 1 * 7 + 2 * 8 + 200, 3 * 5 + 4 * 6 + 100, 3 * 7 + 4 * 8 + 200};
    CHECK(nn_out_close(&c, 0, want, 4, 0));
    nn_free(&c);

    /* float Gemm with packed B, alpha/beta and a column-vector C */
    int64_t cd2[2] = {2, 1};
    float af[4] = {1, 2, 3, 4}, bf[4] = {5, 6, 7, 8}, cf[2] = {1, 2};
    nn_init(&c, "Gemm", 13, 3, 1);
    nn_attr_float(&c, "alpha", 2.0f);
    nn_attr_float(&c, "beta", 10.0f);
    nn_attr_int(&c, "transA", 1);
    nn_input(&c, 0, CORT_FLOAT, 2, ad, af);
    nn_input(&c, 1, CORT_FLOAT, 2, ad, bf);
    nn_input(&c, 2, CORT_FLOAT, 2, cd2, cf);
    CHECK_OK(nn_run(&c));
    /* A^T = [[1,3],[2,4]]; A^T B = [[26,30],[38,44]] */
    float want2[4] = {52 + 10, 60 + 10, 76 + 20, 88 + 20};
    CHECK(nn_out_close(&c, 0, want2, 4, 1e-5f));
    nn_free(&c);
}

static void einsum_case(const char *eq, int n_in, int r0, const int64_t *d0, const float *x0, int r1,
                        const int64_t *d1, const float *x1, const float *want, int64_t n_want) {
    nn_case c;
    nn_init(&c, "Einsum", 12, n_in, 1);
    nn_attr_string(&c, "equation", eq);
    nn_input(&c, 0, CORT_FLOAT, r0, d0, x0);
    if (n_in > 1) nn_input(&c, 1, CORT_FLOAT, r1, d1, x1);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_close(&c, 0, want, n_want, 1e-5f));
    nn_free(&c);
}

static void test_einsum(void) {
    int64_t d22[2] = {2, 2}, d122[3] = {1, 2, 2};
    float m[4] = {1, 2, 3, 4}, n[4] = {5, 6, 7, 8};
    float mm[4] = {19, 22, 43, 50};
    einsum_case("ij,jk", 2, 2, d22, m, 2, d22, n, mm, 4);             /* implicit output "ik" */
    einsum_case("...ij,...jk->...ik", 2, 3, d122, m, 2, d22, n, mm, 4); /* ellipsis broadcast */
    float diag[2] = {1, 4}, trace = 5, tr[4] = {1, 3, 2, 4};
    einsum_case("ii->i", 1, 2, d22, m, 0, NULL, NULL, diag, 2);
    einsum_case("ii", 1, 2, d22, m, 0, NULL, NULL, &trace, 1);
    einsum_case("ji", 1, 2, d22, m, 0, NULL, NULL, tr, 4); /* implicit output sorts: "ij" */

    /* size-1 ellipsis dim broadcast against 3 */
    int64_t d322[3] = {3, 2, 2};
    float n3[12] = {5, 6, 7, 8, 1, 0, 0, 1, 0, 1, 1, 0}, mm3[12] = {19, 22, 43, 50, 1, 2, 3, 4, 2, 1, 4, 3};
    einsum_case("...ij,...jk->...ik", 2, 3, d122, m, 3, d322, n3, mm3, 12);

    nn_case c;
    nn_init(&c, "Einsum", 12, 2, 1); /* integers: batched dot products */
    nn_attr_string(&c, "equation", "bi,bi->b");
    int64_t iv[4] = {1, 2, 3, 4}, iw[4] = {5, 6, 7, 8};
    nn_input(&c, 0, CORT_INT64, 2, d22, iv);
    nn_input(&c, 1, CORT_INT64, 2, d22, iw);
    CHECK_OK(nn_run(&c));
    float dots[2] = {17, 53};
    CHECK(nn_out_close(&c, 0, dots, 2, 0));
    nn_free(&c);

    nn_init(&c, "Einsum", 12, 1, 1);
    nn_attr_string(&c, "equation", "ij->k");
    nn_input(&c, 0, CORT_FLOAT, 2, d22, m);
    CHECK(nn_fails(&c)); /* output label not among the inputs */
    nn_free(&c);
}

static void test_det(void) {
    int64_t d[3] = {2, 2, 2};
    float x[8] = {1, 2, 3, 4, 2, 4, 1, 2}, want[2] = {-2, 0};
    nn_case c;
    nn_init(&c, "Det", 11, 1, 1);
    nn_input(&c, 0, CORT_FLOAT, 3, d, x);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_close(&c, 0, want, 2, 1e-6f));
    nn_free(&c);
}

static void test_qlinearmatmul_per_row_scale(void) {
    int64_t ad[2] = {2, 1}, bd[2] = {1, 1}, sd[1] = {2};
    uint8_t a[2] = {10, 20}, b = 3, azp = 0, bzp = 1, yzp = 5;
    float as[2] = {1.0f, 0.5f}, bs = 2.0f, ys = 1.0f;
    nn_case c;
    nn_init(&c, "QLinearMatMul", 10, 8, 1);
    nn_input(&c, 0, CORT_UINT8, 2, ad, a);
    nn_input(&c, 1, CORT_FLOAT, 1, sd, as);
    nn_input(&c, 2, CORT_UINT8, 0, NULL, &azp);
    nn_input(&c, 3, CORT_UINT8, 2, bd, &b);
    nn_input(&c, 4, CORT_FLOAT, 0, NULL, &bs);
    nn_input(&c, 5, CORT_UINT8, 0, NULL, &bzp);
    nn_input(&c, 6, CORT_FLOAT, 0, NULL, &ys);
    nn_input(&c, 7, CORT_UINT8, 0, NULL, &yzp);
    CHECK_OK(nn_run(&c));
    /* row 0: 10 * (3-1) * 1 * 2 + 5 = 45; row 1: 20 * 2 * 0.5 * 2 + 5 = 45 */
    float want[2] = {45, 45};
    CHECK(nn_out_close(&c, 0, want, 2, 0));
    nn_free(&c);
}

int main(void) {
    test_matmul_broadcast();
    test_matmul_vectors_and_packed_b();
    test_gemm_int_and_bias();
    test_einsum();
    test_det();
    test_qlinearmatmul_per_row_scale();
    return check_report("test_gemm_ops");
}
