/* Index operators (src/ops/index.c): TopK tie order and k checks, NonZero of scalars, Unique with
 * sorted=0 and all four outputs, CumSum exclusive+reverse, NonMaxSuppression, RoiAlign max mode. */
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

/* Equal values come out lowest index first, for largest and smallest alike. */
static void test_topk_ties(void) {
    int64_t five = 5, one = 1, k = 3;
    cort_value x = h_f32(1, &five, (float[]){3, 1, 3, 1, 3}), kv = h_i64(1, &one, &k), out[2];
    cort_value *in[2] = {&x, &kv};
    h_node h;
    h_init(&h, "TopK", 11, 2, 2);
    if (h_ok(&h, in, out)) {
        CHECK(f32_near(&out[0], (float[]){3, 3, 3}, 3, 0));
        CHECK(h_i64_is(&out[1], (int64_t[]){0, 2, 4}, 3));
    }
    h_clear(out, 2);
    h_attr_int(&h, "largest", 0);
    if (h_ok(&h, in, out)) {
        CHECK(f32_near(&out[0], (float[]){1, 1, 3}, 3, 0));
        CHECK(h_i64_is(&out[1], (int64_t[]){1, 3, 0}, 3));
    }
    h_clear(out, 2);
    ((int64_t *)kv.t.data)[0] = 6;
    h_fails(&h, in, "k = 6 is out of range");
    ((int64_t *)kv.t.data)[0] = 0; /* k = 0 gives empty outputs */
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 1, (int64_t[]){0}) && h_shape_is(&out[1], 1, (int64_t[]){0}));
    h_clear(out, 2);
    cort_value_clear(&x);
    cort_value_clear(&kv);

    /* opset 1: k is an attribute; axis 0 of a 2-D int tensor */
    int64_t xd[2] = {3, 2};
    cort_value xi = h_i64(2, xd, (int64_t[]){5, 0, 7, 0, 6, 1});
    cort_value *in1[1] = {&xi};
    h_init(&h, "TopK", 1, 1, 2);
    h_attr_int(&h, "k", 2);
    h_attr_int(&h, "axis", 0);
    if (h_ok(&h, in1, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 2}));
        CHECK(h_i64_is(&out[0], (int64_t[]){7, 1, 6, 0}, 4));
        CHECK(h_i64_is(&out[1], (int64_t[]){1, 2, 2, 0}, 4));
    }
    h_clear(out, 2);
    cort_value_clear(&xi);
}

/* Large k takes the merge-sort path; it must order ties the same way as the selection path. */
static void test_topk_large_k(void) {
    enum { N = 200 };
    float v[N];
    for (int i = 0; i < N; i++) v[i] = (float)(i % 10); /* each value 20 times */
    int64_t n = N, one = 1, k = 100;
    cort_value x = h_f32(1, &n, v), kv = h_i64(1, &one, &k), out[2];
    cort_value *in[2] = {&x, &kv};
    h_node h;
    h_init(&h, "TopK", 11, 2, 2);
    if (h_ok(&h, in, out)) {
        const float *val = out[0].t.data;
        const int64_t *idx = out[1].t.data;
        bool ok = true;
        for (int j = 0; j < 100; j++) {
            /* the top 100 are the 9s, 8s, 7s, 6s, 5s, each group in increasing index order */
            ok &= val[j] == (float)(9 - j / 20) && idx[j] == (9 - j / 20) + 10 * (j % 20);
        }
        CHECK(ok);
    }
    h_clear(out, 2);
    cort_value_clear(&x);
    cort_value_clear(&kv);
}

static void test_nonzero(void) {
    h_node h;
    cort_value out[1];
    int64_t xd[2] = {2, 2};
    cort_value x = h_tensor(CORT_BOOL, 2, xd, (uint8_t[]){1, 0, 0, 1});
    cort_value *in[1] = {&x};
    h_init(&h, "NonZero", 13, 1, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 2}));
        CHECK(h_i64_is(&out[0], (int64_t[]){0, 1, 0, 1}, 4));
    }
    h_clear(out, 1);
    cort_value_clear(&x);
    /* a scalar has one coordinate */
    float v = 3;
    x = h_f32(0, NULL, &v);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){1, 1}));
        CHECK(h_i64_is(&out[0], (int64_t[]){0}, 1));
    }
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_unique(void) {
    h_node h;
    cort_value out[4];
    int64_t six = 6;
    cort_value x = h_f32(1, &six, (float[]){2, 1, 1, 3, 4, 3});
    cort_value *in[1] = {&x};
    h_init(&h, "Unique", 11, 1, 4);
    h_attr_int(&h, "sorted", 0);
    if (h_ok(&h, in, out)) {
        CHECK(f32_near(&out[0], (float[]){2, 1, 3, 4}, 4, 0));
        CHECK(h_i64_is(&out[1], (int64_t[]){0, 1, 3, 4}, 4));
        CHECK(h_i64_is(&out[2], (int64_t[]){0, 1, 1, 2, 3, 2}, 6));
        CHECK(h_i64_is(&out[3], (int64_t[]){1, 2, 2, 1}, 4));
    }
    h_clear(out, 4);
    h_init(&h, "Unique", 11, 1, 4);
    if (h_ok(&h, in, out)) {
        CHECK(f32_near(&out[0], (float[]){1, 2, 3, 4}, 4, 0));
        CHECK(h_i64_is(&out[1], (int64_t[]){1, 0, 3, 4}, 4));
        CHECK(h_i64_is(&out[2], (int64_t[]){1, 0, 0, 2, 3, 2}, 6));
        CHECK(h_i64_is(&out[3], (int64_t[]){2, 1, 2, 1}, 4));
    }
    h_clear(out, 4);
    cort_value_clear(&x);

    /* unique rows of strings along axis 0 */
    int64_t sd[2] = {3, 2};
    const char *strs[6] = {"b", "a", "a", "z", "b", "a"};
    cort_value s = h_tensor(CORT_STRING, 2, sd, strs);
    cort_value *sin[1] = {&s};
    h_init(&h, "Unique", 11, 1, 4);
    h_attr_int(&h, "axis", 0);
    if (h_ok(&h, sin, out)) {
        out[0].owns_strings = true;
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 2}));
        char **d = out[0].t.data;
        CHECK(!strcmp(d[0], "a") && !strcmp(d[1], "z") && !strcmp(d[2], "b") && !strcmp(d[3], "a"));
        CHECK(h_i64_is(&out[2], (int64_t[]){1, 0, 1}, 3));
    }
    h_clear(out, 4);
    cort_value_clear(&s);
}

static void test_cumsum(void) {
    h_node h;
    cort_value out[1];
    int64_t four = 4;
    int32_t axis = 0;
    cort_value x = h_tensor(CORT_INT32, 1, &four, (int32_t[]){1, 2, 3, 4});
    cort_value a = h_tensor(CORT_INT32, 0, NULL, &axis);
    cort_value *in[2] = {&x, &a};
    h_init(&h, "CumSum", 14, 2, 1);
    h_attr_int(&h, "exclusive", 1);
    h_attr_int(&h, "reverse", 1);
    if (h_ok(&h, in, out)) CHECK(!memcmp(out[0].t.data, (int32_t[]){9, 7, 4, 0}, 16));
    h_clear(out, 1);
    *(int32_t *)a.t.data = 1;
    h_fails(&h, in, "axis 1 is out of range");
    cort_value_clear(&x);
    cort_value_clear(&a);
}

static void test_nms(void) {
    h_node h;
    cort_value out[1];
    /* three boxes [y1, x1, y2, x2]: 0 and 1 overlap by IoU 0.81, 2 is apart */
    int64_t bd[3] = {1, 3, 4}, sd[3] = {1, 1, 3};
    cort_value boxes = h_f32(3, bd, (float[]){0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 5, 1, 6});
    cort_value scores = h_f32(3, sd, (float[]){0.8f, 0.9f, 0.5f});
    int64_t max_out = 10;
    float iou = 0.5f, score_th = 0.6f;
    cort_value mo = h_i64(0, NULL, &max_out), it = h_f32(0, NULL, &iou), st = h_f32(0, NULL, &score_th);
    cort_value *in[5] = {&boxes, &scores, &mo, &it, NULL};
    h_init(&h, "NonMaxSuppression", 11, 5, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 3}));
        CHECK(h_i64_is(&out[0], (int64_t[]){0, 0, 1, 0, 0, 2}, 6));
    }
    h_clear(out, 1);
    in[4] = &st; /* the score threshold drops box 2 */
    if (h_ok(&h, in, out)) CHECK(h_i64_is(&out[0], (int64_t[]){0, 0, 1}, 3));
    h_clear(out, 1);
    in[2] = NULL; /* no max_output_boxes_per_class: nothing selected */
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){0, 3}));
    h_clear(out, 1);
    cort_value_clear(&boxes);
    cort_value_clear(&scores);
    cort_value_clear(&mo);
    cort_value_clear(&it);
    cort_value_clear(&st);
}

/* One output bin over a 2x2 map with a single sample at a pixel centre. */
static void test_roi_align(void) {
    h_node h;
    cort_value out[1];
    int64_t xd[4] = {1, 1, 2, 2}, rd[2] = {1, 4}, one = 1;
    cort_value x = h_f32(4, xd, (float[]){1, 2, 3, 4});
    cort_value rois = h_f32(2, rd, (float[]){0, 0, 2, 2});
    cort_value bi = h_i64(1, &one, (int64_t[]){0});
    cort_value *in[3] = {&x, &rois, &bi};
    /* half_pixel: roi [-0.5, 1.5], 2x2 samples at 0 and 1 in each axis: the four pixels */
    h_init(&h, "RoiAlign", 16, 3, 1);
    h_attr_int(&h, "output_height", 1);
    h_attr_int(&h, "output_width", 1);
    h_attr_int(&h, "sampling_ratio", 2);
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){2.5f}, 1, 1e-6f));
    h_clear(out, 1);
    h_attr_str(&h, "mode", "max");
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){4}, 1, 1e-6f));
    h_clear(out, 1);
    ((int64_t *)bi.t.data)[0] = 1;
    h_fails(&h, in, "batch index 1 is out of range");
    cort_value_clear(&x);
    cort_value_clear(&rois);
    cort_value_clear(&bi);
}

/* Malformed inputs give errors naming the problem, never a crash. */
static void test_index_errors(void) {
    h_node h;
    int64_t xd[3] = {1, 2, 4}, sd[3] = {1, 1, 3};
    cort_value boxes = h_f32(3, xd, (float[]){0, 0, 1, 1, 0, 0, 1, 1});
    cort_value scores = h_f32(3, sd, (float[]){1, 1, 1});
    cort_value *nin[2] = {&boxes, &scores};
    h_init(&h, "NonMaxSuppression", 11, 2, 1);
    h_fails(&h, nin, "scores must be [batch, classes, spatial]");
    h_init(&h, "NonMaxSuppression", 11, 2, 1);
    h_attr_int(&h, "center_point_box", 2);
    h_fails(&h, nin, "center_point_box must be 0 or 1");
    cort_value_clear(&boxes);
    cort_value_clear(&scores);

    int64_t four = 4;
    cort_value x = h_f32(1, &four, (float[]){1, 2, 3, 4});
    cort_value *uin[1] = {&x};
    h_init(&h, "Unique", 11, 1, 4);
    h_attr_int(&h, "axis", 1);
    h_fails(&h, uin, "axis 1 is out of range");

    cort_value axis64 = h_f32(0, NULL, (float[]){0});
    cort_value *cin[2] = {&x, &axis64};
    h_init(&h, "CumSum", 14, 2, 1);
    h_fails(&h, cin, "axis must be an int32 or int64 scalar");
    cort_value_clear(&axis64);

    cort_value *kin[2] = {&x, NULL};
    h_init(&h, "TopK", 11, 2, 2);
    h_fails(&h, kin, "K must be a one-element int64 tensor");
    h_init(&h, "TopK", 1, 1, 2);
    h_fails(&h, kin, "attribute 'k' is required");

    h_init(&h, "RoiAlign", 16, 3, 1);
    h_attr_str(&h, "mode", "median");
    h_fails(&h, kin, "mode 'median' is not avg or max");
    cort_value_clear(&x);
}

int main(void) {
    test_index_errors();
    test_topk_ties();
    test_topk_large_k();
    test_nonzero();
    test_unique();
    test_cumsum();
    test_nms();
    test_roi_align();
    return check_report("test_index");
}
