/* Normalization operators on small hand-computed cases beyond the ONNX node suite: BatchNormalization
 * with per-element statistics (spatial=0) and refused training outputs, LayerNormalization with a
 * broadcast Scale and its statistics outputs, opset-1 MeanVarianceNormalization, LRN, bad shapes. */
#include "test_conv_harness.h"

static void test_batchnorm_per_element(void) {
    nn_case c;
    nn_init(&c, "BatchNormalization", 7, 5, 1);
    nn_attr_int(&c, "spatial", 0);
    nn_attr_float(&c, "epsilon", 0.0f);
    int64_t xd[3] = {1, 1, 2}, pd[2] = {1, 2};
    float x[2] = {3, 5}, scale[2] = {2, 3}, bias[2] = {1, -1}, mean[2] = {1, 1}, var[2] = {4, 16};
    nn_input(&c, 0, CORT_FLOAT, 3, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 2, pd, scale);
    nn_input(&c, 2, CORT_FLOAT, 2, pd, bias);
    nn_input(&c, 3, CORT_FLOAT, 2, pd, mean);
    nn_input(&c, 4, CORT_FLOAT, 2, pd, var);
    CHECK_OK(nn_run(&c));
    float want[2] = {(3 - 1) / 2.0f * 2 + 1, (5 - 1) / 4.0f * 3 - 1};
    CHECK(nn_out_close(&c, 0, want, 2, 1e-6f));
    nn_free(&c);
}

static void test_batchnorm_training_outputs_refused(void) {
    nn_case c;
    nn_init(&c, "BatchNormalization", 9, 5, 3);
    int64_t xd[2] = {1, 1}, pd[1] = {1};
    float one = 1;
    for (int i = 0; i < 5; i++) nn_input(&c, i, CORT_FLOAT, i ? 1 : 2, i ? pd : xd, &one);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

static void test_layernorm_broadcast_and_stats(void) {
    nn_case c;
    nn_init(&c, "LayerNormalization", 17, 3, 3);
    nn_attr_float(&c, "epsilon", 0.0f);
    int64_t xd[2] = {2, 2}, sd[1] = {1};
    float x[4] = {1, 3, 10, 20}, scale = 2, bias = 0.5f;
    nn_input(&c, 0, CORT_FLOAT, 2, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 1, sd, &scale);
    nn_input(&c, 2, CORT_FLOAT, 1, sd, &bias);
    CHECK_OK(nn_run(&c));
    float want[4] = {-1.5f, 2.5f, -1.5f, 2.5f}, mean[2] = {2, 15}, inv[2] = {1, 0.2f};
    int64_t stat_dims[2] = {2, 1};
    CHECK(nn_out_close(&c, 0, want, 4, 1e-5f));
    CHECK(nn_out_close(&c, 1, mean, 2, 1e-5f));
    CHECK(nn_out_close(&c, 2, inv, 2, 1e-6f));
    CHECK(nn_out_shape(&c, 1, 2, stat_dims));
    nn_free(&c);

    nn_init(&c, "LayerNormalization", 17, 2, 1);
    nn_attr_int(&c, "axis", 2); /* out of range for rank 2 */
    nn_input(&c, 0, CORT_FLOAT, 2, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 1, sd, &scale);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

static void test_mvn_opset1_across_channels(void) {
    nn_case c;
    nn_init(&c, "MeanVarianceNormalization", 1, 1, 1);
    nn_attr_int(&c, "across_channels", 1);
    int64_t xd[4] = {1, 2, 1, 1};
    float x[2] = {1, 3};
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    CHECK_OK(nn_run(&c));
    float want[2] = {-1, 1};
    CHECK(nn_out_close(&c, 0, want, 2, 1e-6f));
    nn_free(&c);
}

static void test_lrn(void) {
    nn_case c;
    nn_init(&c, "LRN", 13, 1, 1);
    nn_attr_int(&c, "size", 3);
    nn_attr_float(&c, "alpha", 3.0f);
    nn_attr_float(&c, "beta", 1.0f);
    nn_attr_float(&c, "bias", 1.0f);
    int64_t xd[4] = {1, 3, 1, 1};
    float x[3] = {1, 2, 3};
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    CHECK_OK(nn_run(&c));
    /* y_c = x_c / (1 + alpha / size * sum of squares of channels c-1..c+1) */
    float want[3] = {1.0f / (1 + 5), 2.0f / (1 + 14), 3.0f / (1 + 13)};
    CHECK(nn_out_close(&c, 0, want, 3, 1e-6f));
    nn_free(&c);
}

static void test_instancenorm_bad_scale(void) {
    nn_case c;
    nn_init(&c, "InstanceNormalization", 6, 3, 1);
    int64_t xd[3] = {1, 2, 2}, sd[1] = {3};
    float x[4] = {1, 2, 3, 4}, s[3] = {1, 1, 1};
    nn_input(&c, 0, CORT_FLOAT, 3, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 1, sd, s);
    nn_input(&c, 2, CORT_FLOAT, 1, sd, s);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

int main(void) {
    test_batchnorm_per_element();
    test_batchnorm_training_outputs_refused();
    test_layernorm_broadcast_and_stats();
    test_mvn_opset1_across_channels();
    test_lrn();
    test_instancenorm_bad_scale();
    return check_report("test_norm_ops");
}
