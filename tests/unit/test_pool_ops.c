/* Pooling operators on small hand-computed cases, especially those the ONNX node suite lacks
 * (MaxRoiPool, LpPool, GlobalLpPool, column-major MaxPool indices), and malformed attributes. */
#include "test_conv_harness.h"

static const float ramp16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const int64_t dims_1x1x4x4[4] = {1, 1, 4, 4};

static void test_maxroipool(void) {
    nn_case c;
    nn_init(&c, "MaxRoiPool", 1, 2, 1);
    int64_t pooled[2] = {2, 2}, rdims[2] = {2, 5};
    nn_attr_ints(&c, "pooled_shape", 2, pooled);
    /* roi 0: the whole image; roi 1: the top-left 2x2 at half scale of a 0..2 box */
    float rois[10] = {0, 0, 0, 3, 3, 0, 0, 0, 1, 1};
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    nn_input(&c, 1, CORT_FLOAT, 2, rdims, rois);
    CHECK_OK(nn_run(&c));
    float want[8] = {6, 8, 14, 16, 1, 2, 5, 6};
    int64_t odims[4] = {2, 1, 2, 2};
    CHECK(nn_out_shape(&c, 0, 4, odims));
    CHECK(nn_out_close(&c, 0, want, 8, 0));
    nn_free(&c);

    nn_init(&c, "MaxRoiPool", 1, 2, 1);
    nn_attr_ints(&c, "pooled_shape", 2, pooled);
    float bad[5] = {3, 0, 0, 1, 1}; /* batch index 3 of 1 */
    int64_t one_roi[2] = {1, 5};
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    nn_input(&c, 1, CORT_FLOAT, 2, one_roi, bad);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

static void test_lppool(void) {
    nn_case c;
    nn_init(&c, "LpPool", 11, 1, 1);
    int64_t k[2] = {2, 2}, s[2] = {2, 2};
    nn_attr_ints(&c, "kernel_shape", 2, k);
    nn_attr_ints(&c, "strides", 2, s);
    nn_attr_int(&c, "p", 2);
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK_OK(nn_run(&c));
    float want[4] = {sqrtf(1 + 4 + 25 + 36), sqrtf(9 + 16 + 49 + 64), sqrtf(81 + 100 + 169 + 196),
                     sqrtf(121 + 144 + 225 + 256)};
    CHECK(nn_out_close(&c, 0, want, 4, 1e-4f));
    nn_free(&c);

    nn_init(&c, "GlobalLpPool", 2, 1, 1);
    nn_attr_int(&c, "p", 1);
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK_OK(nn_run(&c));
    float sum = 136;
    CHECK(nn_out_close(&c, 0, &sum, 1, 1e-4f));
    nn_free(&c);
}

static void test_maxpool_indices_col_major(void) {
    nn_case c;
    nn_init(&c, "MaxPool", 12, 1, 2);
    int64_t k[2] = {2, 2}, s[2] = {2, 2};
    nn_attr_ints(&c, "kernel_shape", 2, k);
    nn_attr_ints(&c, "strides", 2, s);
    nn_attr_int(&c, "storage_order", 1);
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK_OK(nn_run(&c));
    float want[4] = {6, 8, 14, 16};
    /* column-major positions of (1,1), (1,3), (3,1), (3,3) in a 4x4 plane: h + w * 4 */
    float want_idx[4] = {5, 13, 7, 15};
    CHECK(nn_out_close(&c, 0, want, 4, 0));
    CHECK(nn_out_close(&c, 1, want_idx, 4, 0));
    nn_free(&c);
}

static void test_averagepool_1d_include_pad(void) {
    nn_case c;
    nn_init(&c, "AveragePool", 11, 1, 1);
    int64_t k[1] = {3}, pads[2] = {1, 1};
    nn_attr_ints(&c, "kernel_shape", 1, k);
    nn_attr_ints(&c, "pads", 2, pads);
    nn_attr_int(&c, "count_include_pad", 1);
    int64_t d[3] = {1, 1, 4};
    float x[4] = {3, 6, 9, 12};
    nn_input(&c, 0, CORT_FLOAT, 3, d, x);
    CHECK_OK(nn_run(&c));
    float want[4] = {3, 6, 9, 7};
    CHECK(nn_out_close(&c, 0, want, 4, 1e-5f));
    nn_free(&c);
}

static void test_pool_3d_generic(void) {
    /* 3-D max over a 2x2x2 window, stride 1: each output is its window's far corner */
    nn_case c;
    nn_init(&c, "MaxPool", 12, 1, 1);
    int64_t k[3] = {2, 2, 2};
    nn_attr_ints(&c, "kernel_shape", 3, k);
    int64_t d[5] = {1, 1, 2, 3, 3};
    float x[18];
    for (int i = 0; i < 18; i++) x[i] = (float)i;
    nn_input(&c, 0, CORT_FLOAT, 5, d, x);
    CHECK_OK(nn_run(&c));
    float want[4] = {13, 14, 16, 17};
    CHECK(nn_out_close(&c, 0, want, 4, 0));
    nn_free(&c);
}

static void test_malformed(void) {
    nn_case c;
    nn_init(&c, "MaxPool", 12, 1, 1);
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK(nn_fails(&c)); /* no kernel_shape */
    nn_free(&c);

    nn_init(&c, "AveragePool", 11, 1, 1);
    int64_t k[3] = {2, 2, 2};
    nn_attr_ints(&c, "kernel_shape", 3, k); /* rank 3 kernel on a 2-D image */
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK(nn_fails(&c));
    nn_free(&c);

    nn_init(&c, "MaxPool", 12, 1, 1);
    int64_t big[2] = {9, 9};
    nn_attr_ints(&c, "kernel_shape", 2, big); /* larger than the input */
    nn_input(&c, 0, CORT_FLOAT, 4, dims_1x1x4x4, ramp16);
    CHECK(nn_fails(&c));
    nn_free(&c);

    nn_init(&c, "MaxUnpool", 11, 2, 1);
    int64_t k2[2] = {2, 2}, d1[4] = {1, 1, 1, 1};
    nn_attr_ints(&c, "kernel_shape", 2, k2);
    float one = 1;
    int64_t idx = 99; /* outside the 2x2 output */
    nn_input(&c, 0, CORT_FLOAT, 4, d1, &one);
    nn_input(&c, 1, CORT_INT64, 4, d1, &idx);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

int main(void) {
    test_maxroipool();
    test_lppool();
    test_maxpool_indices_col_major();
    test_averagepool_1d_include_pad();
    test_pool_3d_generic();
    test_malformed();
    return check_report("test_pool_ops");
}
