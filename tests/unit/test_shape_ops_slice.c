/* Slice family (src/ops/slice.c): Slice clamping and negative steps, Pad modes and cropping, Concat of
 * strings and empty inputs, Split, Tile, Trilu, Compress, ReverseSequence. */
#include <stdint.h>

#include "test_shape_ops_harness.h"

static cort_value iota_f32(int rank, const int64_t *dims) {
    cort_value v = h_f32(rank, dims, NULL);
    float *p = v.t.data;
    for (int64_t i = 0; i < cort_tensor_count(&v.t); i++) p[i] = (float)i;
    return v;
}

/* Slice-13 of a 1-D iota with one (start, end, step). */
static void slice_1d(int64_t start, int64_t end, int64_t step, const float *expect, int64_t n) {
    int64_t xd = 10, one = 1;
    cort_value x = iota_f32(1, &xd), s = h_i64(1, &one, &start), e = h_i64(1, &one, &end);
    cort_value st = h_i64(1, &one, &step), out[1];
    cort_value *in[5] = {&x, &s, &e, NULL, &st};
    h_node h;
    h_init(&h, "Slice", 13, 5, 1);
    h.inputs[3] = -1;
    if (h_ok(&h, in, out)) {
        bool ok = h_shape_is(&out[0], 1, &n) && h_f32_is(&out[0], expect, n);
        if (!ok)
            fprintf(stderr, "slice [%lld:%lld:%lld] wrong\n", (long long)start, (long long)end, (long long)step);
        CHECK(ok);
    }
    h_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&s);
    cort_value_clear(&e);
    cort_value_clear(&st);
}

static void test_slice_steps_and_clamping(void) {
    slice_1d(-1, INT64_MIN, -1, (float[]){9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 10);
    slice_1d(20, -100, -3, (float[]){9, 6, 3, 0}, 4);
    slice_1d(1, INT64_MAX, 4, (float[]){1, 5, 9}, 3);
    slice_1d(-3, -1, 1, (float[]){7, 8}, 2);
    slice_1d(12, 20, 1, NULL, 0);             /* start past the end: empty */
    slice_1d(5, 2, 1, NULL, 0);               /* end before start with a positive step */
    slice_1d(8, 0, INT64_MIN, (float[]){8}, 1); /* a huge negative step takes one element */
    slice_1d(0, 10, INT64_MAX, (float[]){0}, 1);
}

static void test_slice_axes_and_errors(void) {
    int64_t xd[2] = {3, 4}, two = 2, one = 1;
    cort_value x = iota_f32(2, xd), out[1];
    int64_t starts[2] = {1, -1}, ends[2] = {INT64_MAX, -4}, axes[2] = {1, 0}, steps[2] = {2, -1};
    cort_value s = h_i64(1, &two, starts), e = h_i64(1, &two, ends), a = h_i64(1, &two, axes);
    cort_value st = h_i64(1, &two, steps);
    cort_value *in[5] = {&x, &s, &e, &a, &st};
    h_node h;
    h_init(&h, "Slice", 13, 5, 1);
    if (h_ok(&h, in, out)) { /* rows 2,1,0 reversed; columns 1,3 */
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 2}));
        CHECK(h_f32_is(&out[0], (float[]){9, 11, 5, 7, 1, 3}, 6));
    }
    h_clear(out, 1);
    int64_t zero_step[2] = {0, 1};
    cort_value_clear(&st);
    st = h_i64(1, &two, zero_step);
    h_fails(&h, in, "step for axis 1 is 0");
    int64_t dup_axes[2] = {1, -1};
    cort_value_clear(&a);
    a = h_i64(1, &two, dup_axes);
    cort_value_clear(&st);
    st = h_i64(1, &two, steps);
    h_fails(&h, in, "repeated");
    cort_value_clear(&a);
    cort_value_clear(&st);
    cort_value_clear(&s);
    cort_value_clear(&e);
    (void)one;

    /* Slice-1 with attributes and default axes */
    int64_t as[1] = {1}, ae[1] = {1000};
    cort_value *in1[1] = {&x};
    h_init(&h, "Slice", 1, 1, 1);
    h_attr_ints(&h, "starts", as, 1);
    h_attr_ints(&h, "ends", ae, 1);
    if (h_ok(&h, in1, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 4}));
        CHECK(h_f32_is(&out[0], (float[]){4, 5, 6, 7, 8, 9, 10, 11}, 8));
    }
    h_clear(out, 1);
    cort_value_clear(&x);
}

static cort_value pad_1d(const char *mode, int64_t begin, int64_t end, int opset) {
    int64_t xd = 3, pd = 2, pads[2] = {begin, end};
    cort_value x = h_f32(1, &xd, (float[]){1, 2, 3}), p = h_i64(1, &pd, pads), c = h_f32(0, NULL, (float[]){9});
    cort_value out[1];
    cort_value *in[3] = {&x, &p, &c};
    h_node h;
    h_init(&h, "Pad", opset, opset >= 11 ? 3 : 1, 1);
    h_attr_str(&h, "mode", mode);
    if (opset < 11) {
        h_attr_ints(&h, "pads", pads, 2);
        h_attr_float(&h, "value", 9);
    }
    if (!h_ok(&h, in, out)) memset(out, 0, sizeof out);
    cort_value_clear(&x);
    cort_value_clear(&p);
    cort_value_clear(&c);
    return out[0];
}

static void test_pad_modes(void) {
    cort_value y = pad_1d("reflect", 2, 2, 13);
    CHECK(h_f32_is(&y, (float[]){3, 2, 1, 2, 3, 2, 1}, 7));
    cort_value_clear(&y);
    y = pad_1d("reflect", 5, 0, 13); /* longer than the axis: reflects again */
    CHECK(h_f32_is(&y, (float[]){2, 1, 2, 3, 2, 1, 2, 3}, 8));
    cort_value_clear(&y);
    y = pad_1d("edge", 2, 1, 13);
    CHECK(h_f32_is(&y, (float[]){1, 1, 1, 2, 3, 3}, 6));
    cort_value_clear(&y);
    y = pad_1d("constant", 1, -1, 13); /* negative pads crop */
    CHECK(h_f32_is(&y, (float[]){9, 1, 2}, 3));
    cort_value_clear(&y);
    y = pad_1d("constant", -2, 2, 2); /* opset 2 attributes */
    CHECK(h_f32_is(&y, (float[]){3, 9, 9}, 3));
    cort_value_clear(&y);
    y = pad_1d("edge", -3, 0, 13);
    CHECK(h_shape_is(&y, 1, (int64_t[]){0}));
    cort_value_clear(&y);

    /* the ONNX reflect example: pads only at the start of axis 1 */
    int64_t xd[2] = {3, 2}, pd = 4, pads[4] = {0, 2, 0, 0};
    cort_value x = h_f32(2, xd, (float[]){1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}), p = h_i64(1, &pd, pads), out[1];
    cort_value *in[2] = {&x, &p};
    h_node h;
    h_init(&h, "Pad", 11, 2, 1);
    h_attr_str(&h, "mode", "reflect");
    if (h_ok(&h, in, out))
        CHECK(h_f32_is(&out[0], (float[]){1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}, 12));
    h_clear(out, 1);
    int64_t crop[4] = {0, -3, 0, 0};
    cort_value_clear(&p);
    p = h_i64(1, &pd, crop);
    h_fails(&h, in, "below zero");
    cort_value_clear(&p);
    cort_value_clear(&x);
}

static void test_concat_strings_and_empty(void) {
    int64_t ad[2] = {1, 2}, bd[2] = {0, 2}, cd[2] = {2, 2};
    const char *as[2] = {"x", NULL}, *cs[4] = {"p", "q", "r", "s"};
    cort_value a = h_tensor(CORT_STRING, 2, ad, as), b = h_tensor(CORT_STRING, 2, bd, NULL);
    cort_value c = h_tensor(CORT_STRING, 2, cd, cs), out[1];
    cort_value *in[3] = {&a, &b, &c};
    h_node h;
    h_init(&h, "Concat", 13, 3, 1);
    h_attr_int(&h, "axis", -2);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 2}));
        char **o = out[0].t.data;
        const char *expect[6] = {"x", "", "p", "q", "r", "s"};
        for (int i = 0; i < 6; i++) CHECK(o[i] && !strcmp(o[i], expect[i]));
        CHECK(o[2] != ((char **)c.t.data)[0]);
    }
    h_clear(out, 1);
    h_init(&h, "Concat", 13, 3, 1);
    h_attr_int(&h, "axis", 1);
    h_fails(&h, in, "does not match");
    cort_value_clear(&a);
    cort_value_clear(&b);
    cort_value_clear(&c);

    /* along axis 1, with all-empty inputs */
    int64_t ed[2] = {2, 0};
    cort_value e1 = h_f32(2, ed, NULL), e2 = h_f32(2, ed, NULL);
    cort_value *in2[2] = {&e1, &e2};
    h_init(&h, "Concat", 13, 2, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in2, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 0}));
    h_clear(out, 1);
    cort_value_clear(&e1);
    cort_value_clear(&e2);
}

static void test_split_and_tile(void) {
    int64_t xd[2] = {2, 5};
    cort_value x = iota_f32(2, xd), out[3];
    int64_t sd = 3, sizes[3] = {1, 0, 4};
    cort_value s = h_i64(1, &sd, sizes);
    cort_value *in[2] = {&x, &s};
    h_node h;
    h_init(&h, "Split", 13, 2, 3);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_f32_is(&out[0], (float[]){0, 5}, 2) && h_shape_is(&out[0], 2, (int64_t[]){2, 1}));
        CHECK(h_shape_is(&out[1], 2, (int64_t[]){2, 0}));
        CHECK(h_f32_is(&out[2], (float[]){1, 2, 3, 4, 6, 7, 8, 9}, 8));
    }
    h_clear(out, 3);
    cort_value_clear(&s);
    h_init(&h, "Split", 11, 1, 2);
    h_attr_int(&h, "axis", 1);
    h_fails(&h, in, "does not split equally");
    h_init(&h, "Split", 11, 1, 2);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[1], (float[]){5, 6, 7, 8, 9}, 5));
    h_clear(out, 2);
    cort_value_clear(&x);

    int64_t td[2] = {1, 2}, rd = 2, reps[2] = {2, 2};
    x = h_f32(2, td, (float[]){1, 2});
    cort_value r = h_i64(1, &rd, reps);
    cort_value *in2[2] = {&x, &r};
    h_init(&h, "Tile", 13, 2, 1);
    if (h_ok(&h, in2, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 4}));
        CHECK(h_f32_is(&out[0], (float[]){1, 2, 1, 2, 1, 2, 1, 2}, 8));
    }
    h_clear(out, 1);
    cort_value_clear(&r);
    cort_value_clear(&x);
}

static void test_trilu_compress_reverse(void) {
    int64_t xd[2] = {3, 3}, one = 1, k = -1;
    cort_value x = h_f32(2, xd, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9}), kv = h_i64(0, &one, &k), out[1];
    cort_value *in[2] = {&x, &kv};
    h_node h;
    h_init(&h, "Trilu", 14, 2, 1);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){1, 2, 3, 4, 5, 6, 0, 8, 9}, 9));
    h_clear(out, 1);
    h_init(&h, "Trilu", 14, 2, 1);
    h_attr_int(&h, "upper", 0);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){0, 0, 0, 4, 0, 0, 7, 8, 0}, 9));
    h_clear(out, 1);
    cort_value_clear(&kv);

    int64_t cd = 3;
    uint8_t cond[3] = {0, 1, 1};
    cort_value c = h_tensor(CORT_BOOL, 1, &cd, cond);
    cort_value *in2[2] = {&x, &c};
    h_init(&h, "Compress", 11, 2, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in2, out)) CHECK(h_f32_is(&out[0], (float[]){2, 3, 5, 6, 8, 9}, 6));
    h_clear(out, 1);
    h_init(&h, "Compress", 11, 2, 1); /* flattened: only the first 3 elements are considered */
    if (h_ok(&h, in2, out)) CHECK(h_f32_is(&out[0], (float[]){2, 3}, 2));
    h_clear(out, 1);
    cort_value_clear(&c);

    int64_t ld = 3, lens[3] = {3, 1, 2};
    cort_value l = h_i64(1, &ld, lens);
    cort_value *in3[2] = {&x, &l};
    h_init(&h, "ReverseSequence", 10, 2, 1); /* time axis 0, batch axis 1 */
    if (h_ok(&h, in3, out)) CHECK(h_f32_is(&out[0], (float[]){7, 2, 6, 4, 5, 3, 1, 8, 9}, 9));
    h_clear(out, 1);
    lens[0] = 4;
    cort_value_clear(&l);
    l = h_i64(1, &ld, lens);
    h_fails(&h, in3, "outside [0, 3]");
    cort_value_clear(&l);
    cort_value_clear(&x);
}

int main(void) {
    test_slice_steps_and_clamping();
    test_slice_axes_and_errors();
    test_pad_modes();
    test_concat_strings_and_empty();
    test_split_and_tile();
    test_trilu_compress_reverse();
    return check_report("test_shape_ops_slice");
}
