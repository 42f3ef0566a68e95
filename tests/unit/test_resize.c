/* Resize/Upsample/GridSample (src/ops/resize.c) against hand-computed expectations: every
 * coordinate_transformation_mode on a 1-D ramp, the four nearest modes on half-way points,
 * tf_crop_and_resize extrapolation, cubic with exclude_outside, legacy Upsample, GridSample padding. */
#include <math.h>

#include "test_shape_ops_harness.h"

static bool f32_near(const cort_value *v, const float *expect, int64_t n, float tol) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.type != CORT_FLOAT || cort_tensor_count(&v->t) != n) return false;
    for (int64_t i = 0; i < n; i++) {
        float d = ((const float *)v->t.data)[i];
        if (!(fabsf(d - expect[i]) <= tol)) {
            fprintf(stderr, "  element %lld: got %g expected %g\n", (long long)i, d, expect[i]);
            return false;
        }
    }
    return true;
}

/* Resize-13 of a 1-D float tensor to `out_len` elements (sizes input), with attributes set by the caller. */
static bool resize_1d(h_node *h, const float *x, int64_t n, int64_t out_len, cort_value *out) {
    cort_value xv = h_f32(1, &n, x), one_size;
    int64_t one = 1;
    one_size = h_i64(1, &one, &out_len);
    cort_value *in[4] = {&xv, NULL, NULL, &one_size};
    bool ok = h_ok(h, in, out);
    cort_value_clear(&xv);
    cort_value_clear(&one_size);
    return ok;
}

static void expect_resize(const char *mode, const char *coord, const float *x, int64_t n, int64_t out_len,
                          const float *expect, int line) {
    h_node h;
    cort_value out[1];
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", mode);
    h_attr_str(&h, "coordinate_transformation_mode", coord);
    if (resize_1d(&h, x, n, out_len, out) && !f32_near(&out[0], expect, out_len, 1e-5f)) {
        fprintf(stderr, "%s:%d: resize %s/%s mismatch\n", __FILE__, line, mode, coord);
        check_failures++;
    }
    h_clear(out, 1);
}

static void test_linear_coordinate_modes(void) {
    const float ramp[2] = {0, 10};
    /* half_pixel x2: x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1] */
    expect_resize("linear", "half_pixel", ramp, 2, 4, (float[]){0, 2.5f, 7.5f, 10}, __LINE__);
    /* pytorch_half_pixel is the same when the output has more than one element ... */
    expect_resize("linear", "pytorch_half_pixel", ramp, 2, 4, (float[]){0, 2.5f, 7.5f, 10}, __LINE__);
    /* ... and maps a single output to 0 (half_pixel would give (0.5)*2 - 0.5 = 0.5) */
    expect_resize("linear", "pytorch_half_pixel", ramp, 2, 1, (float[]){0}, __LINE__);
    expect_resize("linear", "half_pixel", ramp, 2, 1, (float[]){5}, __LINE__);
    /* align_corners: x = o * (2 - 1) / (3 - 1) */
    expect_resize("linear", "align_corners", ramp, 2, 3, (float[]){0, 5, 10}, __LINE__);
    /* asymmetric: x = o / 2 = 0, 0.5, 1, 1.5 (clamped) */
    expect_resize("linear", "asymmetric", ramp, 2, 4, (float[]){0, 5, 10, 10}, __LINE__);
    /* tf_half_pixel_for_nn: x = (o + 0.5) / 0.5 = 1, 3 */
    const float four[4] = {0, 1, 2, 3};
    expect_resize("nearest", "tf_half_pixel_for_nn", four, 4, 2, (float[]){1, 3}, __LINE__);
}

static void test_nearest_modes(void) {
    /* asymmetric x2 gives x = 0, 0.5, 1, 1.5, 2, 2.5: the half-way points decide */
    const float x[3] = {10, 20, 30};
    const struct { const char *mode; float expect[6]; } cases[] = {
        {"round_prefer_floor", {10, 10, 20, 20, 30, 30}},
        {"round_prefer_ceil", {10, 20, 20, 30, 30, 30}},
        {"floor", {10, 10, 20, 20, 30, 30}},
        {"ceil", {10, 20, 20, 30, 30, 30}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_node h;
        cort_value out[1];
        h_init(&h, "Resize", 13, 4, 1);
        h_attr_str(&h, "coordinate_transformation_mode", "asymmetric");
        h_attr_str(&h, "nearest_mode", cases[i].mode);
        if (resize_1d(&h, x, 3, 6, out) && !f32_near(&out[0], cases[i].expect, 6, 0)) {
            fprintf(stderr, "  (nearest_mode %s)\n", cases[i].mode);
            check_failures++;
        }
        h_clear(out, 1);
    }
    /* floor and ceil differ off the half-way points: x = o * 3/4 = 0, 0.75, 1.5, 2.25 */
    h_node h;
    cort_value out[1];
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "coordinate_transformation_mode", "asymmetric");
    h_attr_str(&h, "nearest_mode", "floor");
    if (resize_1d(&h, x, 3, 4, out)) CHECK(f32_near(&out[0], (float[]){10, 10, 20, 30}, 4, 0));
    h_clear(out, 1);
}

static void test_tf_crop_and_resize(void) {
    /* roi [0.5, 1.5] over 3 elements: x = 0.5*2 + o * (1.0 * 2) / 2 = 1, 2, 3; 3 lies outside */
    int64_t three = 3, two = 2;
    cort_value x = h_f32(1, &three, (float[]){0, 10, 20});
    cort_value roi = h_f32(1, &two, (float[]){0.5f, 1.5f});
    int64_t size = 3, one = 1;
    cort_value sizes = h_i64(1, &one, &size), out[1];
    cort_value *in[4] = {&x, &roi, NULL, &sizes};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "linear");
    h_attr_str(&h, "coordinate_transformation_mode", "tf_crop_and_resize");
    h_attr_float(&h, "extrapolation_value", 99);
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){10, 20, 99}, 3, 1e-5f));
    h_clear(out, 1);
    /* the roi is required in this mode */
    in[1] = NULL;
    h_fails(&h, in, "needs an roi");
    cort_value_clear(&x);
    cort_value_clear(&roi);
    cort_value_clear(&sizes);
}

static void test_cubic(void) {
    /* x = (o + 0.5) / 2 - 0.5: o = 3 -> 1.25 (s = 0.25, taps 0..3 all inside), o = 4 -> 1.75 */
    const float ramp[4] = {0, 1, 2, 3};
    h_node h;
    cort_value out[1];
    /* with A = -0.5 cubic convolution reproduces a linear ramp */
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "cubic");
    h_attr_float(&h, "cubic_coeff_a", -0.5f);
    if (resize_1d(&h, ramp, 4, 8, out)) {
        const float *y = out[0].t.data;
        CHECK(fabsf(y[3] - 1.25f) < 1e-5f && fabsf(y[4] - 1.75f) < 1e-5f);
    }
    h_clear(out, 1);
    /* with the default A = -0.75 the weights at s = 0.25 are -0.10546875, 0.87890625, 0.26171875,
     * -0.03515625, so y = 0.87890625 + 2 * 0.26171875 - 3 * 0.03515625 = 1.296875 */
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "cubic");
    if (resize_1d(&h, ramp, 4, 8, out)) {
        const float *y = out[0].t.data;
        CHECK(fabsf(y[3] - 1.296875f) < 1e-6f && fabsf(y[4] - 1.703125f) < 1e-6f);
    }
    h_clear(out, 1);
    /* exclude_outside at o = 0: x = -0.25, taps -2..1 with s = 0.75; only taps 0 and 1 remain, with
     * weights 0.87890625 and -0.10546875, renormalised: (0 * 0.87890625 + 1 * -0.10546875) / 0.7734375 */
    h_attr_int(&h, "exclude_outside", 1);
    if (resize_1d(&h, ramp, 4, 8, out)) CHECK(fabsf(((float *)out[0].t.data)[0] - (-0.10546875f / 0.7734375f)) < 1e-6f);
    h_clear(out, 1);
}

/* A 2-D (N, C, H, W) linear resize with scales touches only H and W. */
static void test_scales_4d_and_errors(void) {
    int64_t xd[4] = {1, 1, 2, 2}, four = 4;
    cort_value x = h_f32(4, xd, (float[]){1, 2, 3, 4});
    cort_value scales = h_f32(1, &four, (float[]){1, 1, 2, 2}), out[1];
    cort_value sizes = h_i64(1, &four, (int64_t[]){1, 1, 4, 4});
    cort_value *in[4] = {&x, NULL, &scales, NULL};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "linear");
    h_attr_str(&h, "coordinate_transformation_mode", "align_corners");
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 4, (int64_t[]){1, 1, 4, 4}));
        /* align_corners 2 -> 4: x = 0, 1/3, 2/3, 1 */
        const float *y = out[0].t.data;
        CHECK(fabsf(y[0] - 1) < 1e-5f && fabsf(y[1] - (1 + 1.0f / 3)) < 1e-5f && fabsf(y[15] - 4) < 1e-5f);
        CHECK(fabsf(y[5] - (1 + 1.0f / 3 + 2.0f / 3)) < 1e-5f); /* (1/3, 1/3): 1 + dx*1 + dy*2 */
    }
    h_clear(out, 1);
    in[3] = &sizes;
    h_fails(&h, in, "only one of scales and sizes");
    in[2] = NULL;
    in[3] = NULL;
    h_fails(&h, in, "one of scales and sizes must be given");
    cort_value bad = h_f32(1, &four, (float[]){1, 1, 0, 2});
    in[2] = &bad;
    h_fails(&h, in, "must be positive");
    cort_value_clear(&bad);
    cort_value_clear(&x);
    cort_value_clear(&scales);
    cort_value_clear(&sizes);
}

static void test_upsample(void) {
    int64_t xd[2] = {1, 2}, two = 2;
    cort_value x = h_f32(2, xd, (float[]){1, 2}), out[1];
    cort_value *in[2] = {&x, NULL};
    h_node h;
    h_init(&h, "Upsample", 7, 1, 1);
    cort_attr *a = &h.attrs[h.node.n_attrs++];
    a->name = "scales";
    a->type = CORT_ATTR_FLOATS;
    a->floats = (float[]){1, 2};
    a->n = 2;
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){1, 4}));
        CHECK(f32_near(&out[0], (float[]){1, 1, 2, 2}, 4, 0));
    }
    h_clear(out, 1);
    /* opset 9 takes scales as input; linear is asymmetric: x = 0, 0.5, 1, 1.5 (clamped) */
    cort_value scales = h_f32(1, &two, (float[]){1, 2});
    in[1] = &scales;
    h_init(&h, "Upsample", 9, 2, 1);
    h_attr_str(&h, "mode", "linear");
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){1, 1.5f, 2, 2}, 4, 0));
    h_clear(out, 1);
    cort_value_clear(&scales);
    cort_value_clear(&x);
}

static void test_grid_sample(void) {
    int64_t xd[4] = {1, 1, 2, 2}, gd[4] = {1, 1, 2, 2};
    cort_value x = h_f32(4, xd, (float[]){1, 2, 3, 4});
    /* two grid points: the centre (0, 0) and the top-left corner (-1, -1) */
    cort_value grid = h_f32(4, gd, (float[]){0, 0, -1, -1}), out[1];
    cort_value *in[2] = {&x, &grid};
    const struct { const char *pad; int align; float expect[2]; } cases[] = {
        {"zeros", 0, {2.5f, 0.25f}},   /* corner -> (-0.5, -0.5): a quarter of pixel 1 */
        {"border", 0, {2.5f, 1}},      /* clamped to (0, 0) */
        {"reflection", 0, {2.5f, 1}},  /* reflected about -0.5 to (-0.5 -> -0.5), clamped to 0 */
        {"zeros", 1, {2.5f, 1}},       /* align_corners: -1 is the centre of pixel 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_node h;
        h_init(&h, "GridSample", 16, 2, 1);
        h_attr_str(&h, "padding_mode", cases[i].pad);
        h_attr_int(&h, "align_corners", cases[i].align);
        if (h_ok(&h, in, out)) {
            CHECK(h_shape_is(&out[0], 4, (int64_t[]){1, 1, 1, 2}));
            if (!f32_near(&out[0], cases[i].expect, 2, 1e-6f)) {
                fprintf(stderr, "  (padding %s, align_corners %d)\n", cases[i].pad, cases[i].align);
                check_failures++;
            }
        }
        h_clear(out, 1);
    }
    h_node h;
    h_init(&h, "GridSample", 16, 2, 1);
    h_attr_str(&h, "mode", "bogus");
    h_fails(&h, in, "mode 'bogus' is not supported");
    cort_value_clear(&x);
    cort_value_clear(&grid);
}

/* Non-finite coordinates must not reach an integer cast: they read as padding / extrapolation. */
static void test_non_finite_coordinates(void) {
    int64_t xd[4] = {1, 1, 2, 2}, gd[4] = {1, 1, 2, 2};
    cort_value x = h_f32(4, xd, (float[]){1, 2, 3, 4});
    cort_value grid = h_f32(4, gd, (float[]){NAN, 0, 1e30f, -1e30f}), out[1];
    cort_value *in[2] = {&x, &grid};
    const char *modes[3] = {"nearest", "bilinear", "bicubic"};
    for (int m = 0; m < 3; m++) {
        h_node h;
        h_init(&h, "GridSample", 16, 2, 1);
        h_attr_str(&h, "mode", modes[m]);
        if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 4, (int64_t[]){1, 1, 1, 2}));
        h_clear(out, 1);
    }
    cort_value_clear(&grid);
    cort_value_clear(&x);

    int64_t three = 3, two = 2, one = 1, size = 2;
    cort_value xs = h_f32(1, &three, (float[]){0, 10, 20});
    cort_value roi = h_f32(1, &two, (float[]){NAN, INFINITY});
    cort_value sizes = h_i64(1, &one, &size);
    cort_value *rin[4] = {&xs, &roi, NULL, &sizes};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "coordinate_transformation_mode", "tf_crop_and_resize");
    h_attr_float(&h, "extrapolation_value", -1);
    if (h_ok(&h, rin, out)) CHECK(f32_near(&out[0], (float[]){-1, -1}, 2, 0));
    h_clear(out, 1);
    cort_value_clear(&xs);
    cort_value_clear(&roi);
    cort_value_clear(&sizes);
}

/* Coordinates are computed in float like ONNX Runtime: with scale 0.6f, output 1 maps to
 * 1.5f / 0.6f - 0.5f = 2.0 exactly (in double it is 1.9999999, which floors to 1). */
static void test_float_coordinates(void) {
    int64_t five = 5, one = 1;
    cort_value x = h_f32(1, &five, (float[]){0, 1, 2, 3, 4});
    cort_value scales = h_f32(1, &one, (float[]){0.6f}), out[1];
    cort_value *in[4] = {&x, NULL, &scales, NULL};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "coordinate_transformation_mode", "pytorch_half_pixel");
    h_attr_str(&h, "nearest_mode", "floor");
    /* floor(5 * 0.6f) = 3 outputs at 0.333, 2.0, 3.667 */
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){0, 2, 3}, 3, 0));
    h_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&scales);
}

/* Cubic overshoot on uint8 saturates instead of wrapping. */
static void test_integer_saturation(void) {
    int64_t four = 4, one = 1, size = 8;
    cort_value x = h_tensor(CORT_UINT8, 1, &four, (uint8_t[]){0, 0, 255, 255});
    cort_value sizes = h_i64(1, &one, &size), out[1];
    cort_value *in[4] = {&x, NULL, NULL, &sizes};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "cubic");
    if (h_ok(&h, in, out)) {
        const uint8_t *y = out[0].t.data;
        /* around the step the cubic undershoots below 0 and overshoots above 255 */
        CHECK(y[2] == 0 && y[5] == 255);
        CHECK(y[3] > 0 && y[3] < 128 && y[4] > 128 && y[4] < 255);
    }
    h_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&sizes);

    /* linear on uint8 truncates: [0, 255] to 4 columns gives 0, 63.75, 191.25, 255 */
    int64_t xd[2] = {1, 2}, two = 2;
    x = h_tensor(CORT_UINT8, 2, xd, (uint8_t[]){0, 255});
    sizes = h_i64(1, &two, (int64_t[]){2, 4});
    in[3] = &sizes;
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "mode", "linear");
    if (h_ok(&h, in, out)) CHECK(!memcmp(out[0].t.data, (uint8_t[]){0, 63, 191, 255, 0, 63, 191, 255}, 8));
    h_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&sizes);
}

static void test_resize_errors(void) {
    int64_t xd[2] = {2, 2}, one = 1;
    cort_value x = h_f32(2, xd, (float[]){1, 2, 3, 4});
    cort_value scales = h_f32(1, &one, (float[]){2});
    cort_value *in[4] = {&x, NULL, &scales, NULL};
    h_node h;
    h_init(&h, "Resize", 13, 4, 1);
    h_fails(&h, in, "scales must be float with one value per axis (2)");
    h_init(&h, "Resize", 13, 4, 1);
    h_attr_str(&h, "coordinate_transformation_mode", "sideways");
    h_fails(&h, in, "coordinate_transformation_mode 'sideways' is not supported");
    h_init(&h, "Resize", 10, 2, 1);
    h_attr_str(&h, "mode", "cubic"); /* cubic arrived in opset 11 */
    h_fails(&h, in, "mode 'cubic' is not supported");
    cort_value grid = h_f32(2, xd, (float[]){0, 0, 0, 0});
    cort_value *gin[2] = {&x, &grid};
    h_init(&h, "GridSample", 16, 2, 1);
    h_fails(&h, gin, "X must be 4-D");
    cort_value_clear(&grid);
    cort_value_clear(&x);
    cort_value_clear(&scales);
}

int main(void) {
    test_resize_errors();
    test_float_coordinates();
    test_integer_saturation();
    test_non_finite_coordinates();
    test_linear_coordinate_modes();
    test_nearest_modes();
    test_tf_crop_and_resize();
    test_cubic();
    test_scales_4d_and_errors();
    test_upsample();
    test_grid_sample();
    return check_report("test_resize");
}
