/* Reductions and generators (src/ops/reduce.c, src/ops/generator.c): empty axes with and without
 * noop_with_empty_axes, reductions over zero-sized axes (identity elements), exact int64 sums,
 * stable LogSumExp, ArgMax ties, axis errors; Constant/ConstantOfShape/Range/EyeLike/Random*. */
#include <math.h>

#include "test_shape_ops_harness.h"

static bool f32_near(const cort_value *v, const float *expect, int64_t n, float tol) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.type != CORT_FLOAT || cort_tensor_count(&v->t) != n) return false;
    const float *d = v->t.data;
    for (int64_t i = 0; i < n; i++) {
        if (isinf(expect[i]) ? d[i] != expect[i] : !(fabsf(d[i] - expect[i]) <= tol)) {
            fprintf(stderr, "  element %lld: got %g expected %g\n", (long long)i, d[i], expect[i]);
            return false;
        }
    }
    return true;
}

static const float x23[6] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */

static void test_reduce_sum_axes_input(void) {
    int64_t xd[2] = {2, 3}, zero = 0, one = 1;
    cort_value x = h_f32(2, xd, x23), out[1];
    cort_value empty_axes = h_i64(1, &zero, NULL);
    h_node h;

    /* empty axes input and noop_with_empty_axes: the input comes back unchanged */
    h_init(&h, "ReduceSum", 13, 2, 1);
    h_attr_int(&h, "noop_with_empty_axes", 1);
    cort_value *in[2] = {&x, &empty_axes};
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, xd));
        CHECK(h_f32_is(&out[0], x23, 6));
    }
    h_clear(out, 1);

    /* without the flag, empty axes reduce everything (keepdims keeps rank 2) */
    h_init(&h, "ReduceSum", 13, 2, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){1, 1}));
        CHECK(f32_near(&out[0], (float[]){21}, 1, 0));
    }
    h_clear(out, 1);

    /* omitted axes input: the same as empty */
    cort_value *in_omitted[2] = {&x, NULL};
    h_attr_int(&h, "keepdims", 0);
    if (h_ok(&h, in_omitted, out)) {
        CHECK(h_shape_is(&out[0], 0, NULL));
        CHECK(f32_near(&out[0], (float[]){21}, 1, 0));
    }
    h_clear(out, 1);

    /* a negative axis */
    int64_t neg = -1;
    cort_value axes = h_i64(1, &one, &neg);
    cort_value *in_axes[2] = {&x, &axes};
    if (h_ok(&h, in_axes, out)) {
        CHECK(h_shape_is(&out[0], 1, (int64_t[]){2}));
        CHECK(f32_near(&out[0], (float[]){6, 15}, 2, 0));
    }
    h_clear(out, 1);

    /* repeated and out-of-range axes are errors naming the axis */
    int64_t twice[2] = {0, -2}, two = 2;
    cort_value bad = h_i64(1, &two, twice);
    cort_value *in_bad[2] = {&x, &bad};
    h_fails(&h, in_bad, "axis -2 is out of range or repeated");
    cort_value_clear(&bad);
    int64_t far = 2;
    bad = h_i64(1, &one, &far);
    h_fails(&h, in_bad, "axis 2 is out of range");
    cort_value_clear(&bad);
    cort_value_clear(&axes);
    cort_value_clear(&empty_axes);
    cort_value_clear(&x);
}

static void test_reduce_attribute_axes(void) {
    int64_t xd[2] = {2, 3};
    cort_value x = h_f32(2, xd, x23), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    int64_t axis0[1] = {0};

    h_init(&h, "ReduceMean", 13, 1, 1);
    h_attr_ints(&h, "axes", axis0, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){1, 3}));
        CHECK(f32_near(&out[0], (float[]){2.5f, 3.5f, 4.5f}, 3, 0));
    }
    h_clear(out, 1);

    /* opset 11 ReduceSum still takes axes as an attribute */
    h_init(&h, "ReduceSum", 11, 1, 1);
    h_attr_ints(&h, "axes", axis0, 1);
    h_attr_int(&h, "keepdims", 0);
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){5, 7, 9}, 3, 0));
    h_clear(out, 1);

    /* no axes attribute: everything */
    const struct { const char *op; float expect; } all[] = {
        {"ReduceMax", 6},
        {"ReduceMin", 1},
        {"ReduceProd", 720},
        {"ReduceL1", 21},
        {"ReduceL2", 9.539392f},
        {"ReduceSumSquare", 91},
        {"ReduceLogSum", 3.0445224f},
        {"ReduceLogSumExp", 6.4561934f},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        h_init(&h, all[i].op, 13, 1, 1);
        h_attr_int(&h, "keepdims", 0);
        if (h_ok(&h, in, out)) {
            CHECK(h_shape_is(&out[0], 0, NULL));
            if (!f32_near(&out[0], &all[i].expect, 1, 1e-5f)) {
                fprintf(stderr, "  (%s)\n", all[i].op);
                check_failures++;
            }
        }
        h_clear(out, 1);
    }
    cort_value_clear(&x);
}

/* Reducing an empty set gives the identity of the operation. */
static void test_reduce_zero_sized(void) {
    int64_t xd[2] = {2, 0}, axis1[1] = {1};
    cort_value x = h_f32(2, xd, NULL), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    const struct { const char *op; float expect; } cases[] = {
        {"ReduceSum", 0}, {"ReduceProd", 1}, {"ReduceMax", -INFINITY}, {"ReduceMin", INFINITY},
        {"ReduceL1", 0}, {"ReduceL2", 0}, {"ReduceSumSquare", 0}, {"ReduceLogSumExp", -INFINITY},
        {"ReduceLogSum", -INFINITY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_init(&h, cases[i].op, 11, 1, 1);
        h_attr_ints(&h, "axes", axis1, 1);
        if (h_ok(&h, in, out)) {
            CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 1}));
            float e[2] = {cases[i].expect, cases[i].expect};
            if (!f32_near(&out[0], e, 2, 0)) {
                fprintf(stderr, "  (%s)\n", cases[i].op);
                check_failures++;
            }
        }
        h_clear(out, 1);
    }
    /* the output itself may be empty: reduce axis 0 of [2, 0] */
    int64_t axis0[1] = {0};
    h_init(&h, "ReduceMax", 11, 1, 1);
    h_attr_ints(&h, "axes", axis0, 1);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){1, 0}));
    h_clear(out, 1);
    cort_value_clear(&x);

    /* integer identities are the type's limits */
    cort_value xi = h_tensor(CORT_INT32, 2, xd, NULL);
    cort_value *ini[1] = {&xi};
    h_init(&h, "ReduceMin", 11, 1, 1);
    h_attr_ints(&h, "axes", axis1, 1);
    if (h_ok(&h, ini, out)) {
        CHECK(out[0].t.type == CORT_INT32);
        CHECK(((int32_t *)out[0].t.data)[0] == INT32_MAX && ((int32_t *)out[0].t.data)[1] == INT32_MAX);
    }
    h_clear(out, 1);
    cort_value_clear(&xi);
}

static void test_reduce_integers(void) {
    /* int64 sums stay exact beyond 2^53 */
    int64_t big[2] = {((int64_t)1 << 53) + 1, 1}, two = 2;
    cort_value x = h_i64(1, &two, big), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "ReduceSum", 13, 2, 1);
    cort_value *in2[2] = {&x, NULL};
    if (h_ok(&h, in2, out)) CHECK(h_i64_is(&out[0], (int64_t[]){((int64_t)1 << 53) + 2}, 1));
    h_clear(out, 1);
    cort_value_clear(&x);

    /* integer mean truncates like integer division */
    int32_t vals[3] = {1, 2, 2};
    int64_t three = 3;
    x = h_tensor(CORT_INT32, 1, &three, vals);
    h_init(&h, "ReduceMean", 13, 1, 1);
    if (h_ok(&h, in, out)) CHECK(out[0].t.type == CORT_INT32 && ((int32_t *)out[0].t.data)[0] == 1);
    h_clear(out, 1);
    cort_value_clear(&x);
}

/* Enough rows to take the threaded row path; every row's sum is known in closed form. */
static void test_reduce_many_rows(void) {
    enum { ROWS = 300, COLS = 256 };
    float *v = malloc(sizeof(float) * ROWS * COLS);
    if (!v) return;
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) v[r * COLS + c] = (float)(r + c);
    int64_t xd[2] = {ROWS, COLS}, axis = 1;
    cort_value x = h_f32(2, xd, v), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "ReduceMax", 13, 1, 1);
    h_attr_ints(&h, "axes", &axis, 1);
    h_attr_int(&h, "keepdims", 0);
    if (h_ok(&h, in, out)) {
        bool ok = h_shape_is(&out[0], 1, (int64_t[]){ROWS});
        for (int r = 0; r < ROWS && ok; r++) ok = ((float *)out[0].t.data)[r] == (float)(r + COLS - 1);
        CHECK(ok);
    }
    h_clear(out, 1);
    h_init(&h, "ReduceMean", 13, 1, 1);
    h_attr_ints(&h, "axes", &axis, 1);
    if (h_ok(&h, in, out)) {
        bool ok = h_shape_is(&out[0], 2, (int64_t[]){ROWS, 1});
        for (int r = 0; r < ROWS && ok; r++) ok = ((float *)out[0].t.data)[r] == (float)r + (COLS - 1) / 2.0f;
        CHECK(ok);
    }
    h_clear(out, 1);
    cort_value_clear(&x);
    free(v);
}

/* Large inputs must not overflow exp(). */
static void test_log_sum_exp_is_stable(void) {
    float v[2] = {1000, 1000};
    int64_t two = 2;
    cort_value x = h_f32(1, &two, v), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "ReduceLogSumExp", 13, 1, 1);
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){1000.6931472f}, 1, 1e-3f));
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_argmax_ties(void) {
    float v[6] = {3, 1, 3, 0, 0, 0};
    int64_t xd[2] = {2, 3};
    cort_value x = h_f32(2, xd, v), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "ArgMax", 13, 1, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 1}));
        CHECK(h_i64_is(&out[0], (int64_t[]){0, 0}, 2));
    }
    h_clear(out, 1);
    h_attr_int(&h, "select_last_index", 1);
    h_attr_int(&h, "keepdims", 0);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 1, (int64_t[]){2}));
        CHECK(h_i64_is(&out[0], (int64_t[]){2, 2}, 2));
    }
    h_clear(out, 1);
    h_init(&h, "ArgMin", 13, 1, 1);
    h_attr_int(&h, "axis", 0);
    if (h_ok(&h, in, out)) CHECK(h_i64_is(&out[0], (int64_t[]){1, 1, 1}, 3));
    h_clear(out, 1);
    h_init(&h, "ArgMin", 13, 1, 1);
    h_attr_int(&h, "axis", 2);
    h_fails(&h, in, "axis 2 is out of range");
    cort_value_clear(&x);
}

/* Shape inference for Reduce with a constant axes input and with symbolic dims. */
static void test_reduce_infer(void) {
    const cort_op_def *def = cort_registry_find("", "ReduceSum", 13, CORT_FLOAT, NULL);
    CHECK(def && def->infer);
    if (!def || !def->infer) return;
    h_node h;
    h_init(&h, "ReduceSum", 13, 2, 1);
    h_attr_int(&h, "keepdims", 0);
    cort_pool pool;
    cort_pool_init(&pool);
    void *params = cort_pool_alloc(&pool, def->params_size);
    cort_parse_ctx pc = {&h.node, NULL, params, &pool};
    CHECK_OK(def->parse(&pc));
    cort_dim xdims[3] = {{-1, "batch"}, {4, NULL}, {5, NULL}};
    cort_type xt = {CORT_TYPE_TENSOR, CORT_FLOAT, 3, xdims, NULL};
    cort_type at = {CORT_TYPE_TENSOR, CORT_INT64, 1, (cort_dim[]){{1, NULL}}, NULL};
    int64_t axis = 1, one = 1;
    cort_value axes = h_i64(1, &one, &axis);
    const cort_type *ins[2] = {&xt, &at};
    const cort_tensor *consts[2] = {NULL, &axes.t};
    cort_type out = {0};
    cort_infer_ctx ic = {&h.node, params, 2, 1, ins, consts, &out, &pool};
    CHECK_OK(def->infer(&ic));
    CHECK(out.elem == CORT_FLOAT && out.rank == 2);
    if (out.rank == 2) {
        CHECK(out.dims[0].symbol && !strcmp(out.dims[0].symbol, "batch"));
        CHECK(out.dims[1].value == 5);
    }
    cort_value_clear(&axes);
    cort_pool_release(&pool);
}

/* ---------------------------------------------------------------- generators */

static void test_constant(void) {
    h_node h;
    cort_value out[1];
    cort_value *none[1] = {NULL};
    int64_t ints[3] = {7, -1, 9};
    h_init(&h, "Constant", 13, 0, 1);
    h_attr_ints(&h, "value_ints", ints, 3);
    if (h_ok(&h, none, out)) {
        CHECK(h_shape_is(&out[0], 1, (int64_t[]){3}));
        CHECK(h_i64_is(&out[0], ints, 3));
    }
    h_clear(out, 1);

    h_init(&h, "Constant", 13, 0, 1);
    h_attr_float(&h, "value_float", 2.5f);
    if (h_ok(&h, none, out)) {
        CHECK(h_shape_is(&out[0], 0, NULL));
        CHECK(f32_near(&out[0], (float[]){2.5f}, 1, 0));
    }
    h_clear(out, 1);

    h_init(&h, "Constant", 13, 0, 1);
    h_attr_str(&h, "value_string", "hello");
    if (h_ok(&h, none, out)) {
        CHECK(out[0].t.type == CORT_STRING && out[0].t.rank == 0);
        CHECK(!strcmp(((char **)out[0].t.data)[0], "hello"));
        out[0].owns_strings = true; /* the executor's output value owns kernel-allocated strings */
    }
    h_clear(out, 1);

    /* two value attributes are ambiguous */
    h_init(&h, "Constant", 13, 0, 1);
    h_attr_float(&h, "value_float", 1);
    h_attr_int(&h, "value_int", 1);
    h_fails(&h, none, "exactly one is allowed");
    h_init(&h, "Constant", 13, 0, 1);
    h_fails(&h, none, "no value attribute");

    /* infer gives type and shape from the attribute, so the session knows constants at load */
    const cort_op_def *def = cort_registry_find("", "Constant", 13, 0, NULL);
    h_init(&h, "Constant", 13, 0, 1);
    h_attr_ints(&h, "value_ints", ints, 3);
    cort_pool pool;
    cort_pool_init(&pool);
    void *params = cort_pool_alloc(&pool, def->params_size);
    cort_parse_ctx pc = {&h.node, NULL, params, &pool};
    CHECK_OK(def->parse(&pc));
    cort_type t = {0};
    cort_infer_ctx ic = {&h.node, params, 0, 1, NULL, NULL, &t, &pool};
    CHECK_OK(def->infer(&ic));
    CHECK(t.kind == CORT_TYPE_TENSOR && t.elem == CORT_INT64 && t.rank == 1 && t.dims[0].value == 3);
    cort_pool_release(&pool);
}

static void test_constant_of_shape_and_range(void) {
    h_node h;
    cort_value out[1];
    int64_t shape[2] = {2, 0}, two = 2;
    cort_value s = h_i64(1, &two, shape);
    cort_value *in[3] = {&s, NULL, NULL};
    h_init(&h, "ConstantOfShape", 9, 1, 1);
    if (h_ok(&h, in, out)) {
        CHECK(out[0].t.type == CORT_FLOAT);
        CHECK(h_shape_is(&out[0], 2, shape));
    }
    h_clear(out, 1);
    int64_t neg[2] = {2, -1};
    memcpy(s.t.data, neg, sizeof neg);
    h_fails(&h, in, "negative");
    cort_value_clear(&s);

    int32_t a = 10, b = 6, c = -3;
    cort_value start = h_tensor(CORT_INT32, 0, NULL, &a), limit = h_tensor(CORT_INT32, 0, NULL, &b);
    cort_value delta = h_tensor(CORT_INT32, 0, NULL, &c);
    cort_value *rin[3] = {&start, &limit, &delta};
    h_init(&h, "Range", 11, 3, 1);
    if (h_ok(&h, rin, out)) {
        CHECK(h_shape_is(&out[0], 1, (int64_t[]){2}));
        CHECK(((int32_t *)out[0].t.data)[0] == 10 && ((int32_t *)out[0].t.data)[1] == 7);
    }
    h_clear(out, 1);
    *(int32_t *)delta.t.data = 0;
    h_fails(&h, rin, "delta is zero");
    /* a range going the wrong way is empty */
    *(int32_t *)delta.t.data = 1;
    if (h_ok(&h, rin, out)) CHECK(h_shape_is(&out[0], 1, (int64_t[]){0}));
    h_clear(out, 1);
    cort_value_clear(&start);
    cort_value_clear(&limit);
    cort_value_clear(&delta);
}

static void test_eye_like(void) {
    h_node h;
    cort_value out[1];
    int64_t xd[2] = {2, 3};
    cort_value x = h_tensor(CORT_INT32, 2, xd, (int32_t[]){9, 9, 9, 9, 9, 9});
    cort_value *in[1] = {&x};
    h_init(&h, "EyeLike", 9, 1, 1);
    h_attr_int(&h, "k", 1);
    h_attr_int(&h, "dtype", CORT_FLOAT);
    if (h_ok(&h, in, out)) CHECK(f32_near(&out[0], (float[]){0, 1, 0, 0, 0, 1}, 6, 0));
    h_clear(out, 1);
    cort_value_clear(&x);
}

/* A seed makes runs repeat; shape, type and range follow the attributes. */
static void test_random_seeded(void) {
    h_node h;
    cort_value a[1], b[1];
    cort_value *none[1] = {NULL};
    int64_t shape[2] = {3, 4};
    h_init(&h, "RandomUniform", 1, 0, 1);
    h_attr_ints(&h, "shape", shape, 2);
    h_attr_float(&h, "low", 2);
    h_attr_float(&h, "high", 3);
    h_attr_float(&h, "seed", 5);
    if (h_ok(&h, none, a) && h_ok(&h, none, b)) {
        CHECK(h_shape_is(&a[0], 2, shape) && a[0].t.type == CORT_FLOAT);
        CHECK(!memcmp(a[0].t.data, b[0].t.data, 12 * sizeof(float)));
        bool in_range = true, varied = false;
        for (int i = 0; i < 12; i++) {
            float v = ((float *)a[0].t.data)[i];
            in_range &= v >= 2 && v < 3;
            varied |= v != ((float *)a[0].t.data)[0];
        }
        CHECK(in_range && varied);
    }
    h_clear(a, 1);
    h_clear(b, 1);

    h_init(&h, "RandomNormal", 1, 0, 1);
    h_attr_ints(&h, "shape", shape, 2);
    h_attr_int(&h, "dtype", CORT_DOUBLE);
    if (h_ok(&h, none, a)) CHECK(a[0].t.type == CORT_DOUBLE && h_shape_is(&a[0], 2, shape));
    h_clear(a, 1);

    /* Bernoulli with probabilities 0 and 1 is certain */
    int64_t four = 4;
    cort_value p = h_f32(1, &four, (float[]){0, 1, 1, 0});
    cort_value *in[1] = {&p};
    h_init(&h, "Bernoulli", 15, 1, 1);
    h_attr_int(&h, "dtype", CORT_BOOL);
    if (h_ok(&h, in, a)) {
        CHECK(a[0].t.type == CORT_BOOL);
        CHECK(!memcmp(a[0].t.data, (uint8_t[]){0, 1, 1, 0}, 4));
    }
    h_clear(a, 1);
    cort_value_clear(&p);

    /* Multinomial: a class with all the mass is always drawn */
    int64_t md[2] = {1, 3};
    cort_value logits = h_f32(2, md, (float[]){-INFINITY, 0, -INFINITY});
    cort_value *min[1] = {&logits};
    h_init(&h, "Multinomial", 7, 1, 1);
    h_attr_int(&h, "sample_size", 5);
    h_attr_int(&h, "dtype", CORT_INT64);
    if (h_ok(&h, min, a)) CHECK(h_i64_is(&a[0], (int64_t[]){1, 1, 1, 1, 1}, 5));
    h_clear(a, 1);
    cort_value_clear(&logits);
}

int main(void) {
    test_reduce_sum_axes_input();
    test_reduce_attribute_axes();
    test_reduce_zero_sized();
    test_reduce_integers();
    test_log_sum_exp_is_stable();
    test_reduce_many_rows();
    test_argmax_ties();
    test_reduce_infer();
    test_constant();
    test_constant_of_shape_and_range();
    test_eye_like();
    test_random_seeded();
    return check_report("test_reduce");
}
