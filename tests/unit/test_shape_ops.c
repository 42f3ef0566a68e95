/* Shape family (src/ops/shape.c): Reshape 0/-1/allowzero, Squeeze/Unsqueeze, Shape, Transpose of
 * strings and of empty tensors, Expand, DepthToSpace, and load-time shape inference. */
#include "test_shape_ops_harness.h"

static void test_reshape_zero_and_minus_one(void) {
    int64_t xd[3] = {2, 3, 4};
    float data[24];
    for (int i = 0; i < 24; i++) data[i] = (float)i;
    cort_value x = h_f32(3, xd, data), out[1];
    h_node h;

    /* 0 copies the input dim, -1 takes the rest */
    int64_t s1[2] = {0, -1}, d1 = 2;
    cort_value shape = h_i64(1, &d1, s1);
    cort_value *in[2] = {&x, &shape};
    h_init(&h, "Reshape", 14, 2, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 12}));
        CHECK(h_f32_is(&out[0], data, 24));
    }
    h_clear(out, 1);
    cort_value_clear(&shape);

    int64_t s2[3] = {4, 0, -1}, d2 = 3;
    shape = h_i64(1, &d2, s2);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 3, (int64_t[]){4, 3, 2}));
    h_clear(out, 1);
    cort_value_clear(&shape);

    /* two -1 are ambiguous */
    int64_t s3[2] = {-1, -1};
    shape = h_i64(1, &d1, s3);
    h_fails(&h, in, "more than one -1");
    cort_value_clear(&shape);

    /* element count must match */
    int64_t s4[2] = {5, 5};
    shape = h_i64(1, &d1, s4);
    h_fails(&h, in, "cannot reshape [2,3,4] into [5,5]");
    cort_value_clear(&shape);
    cort_value_clear(&x);

    /* allowzero keeps a literal 0; without it 0 copies the input dim */
    int64_t ed[2] = {0, 3}, s5[2] = {3, 0};
    x = h_f32(2, ed, NULL);
    shape = h_i64(1, &d1, s5);
    h_init(&h, "Reshape", 14, 2, 1);
    h_attr_int(&h, "allowzero", 1);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 0}));
    h_clear(out, 1);
    h_init(&h, "Reshape", 14, 2, 1);
    h_fails(&h, in, "cannot reshape");
    /* allowzero with both 0 and -1 is invalid */
    int64_t s6[2] = {0, -1};
    cort_value_clear(&shape);
    shape = h_i64(1, &d1, s6);
    h_init(&h, "Reshape", 14, 2, 1);
    h_attr_int(&h, "allowzero", 1);
    h_fails(&h, in, "both 0 and -1");
    cort_value_clear(&shape);
    cort_value_clear(&x);
}

static void test_reshape_opset1_attribute(void) {
    int64_t xd[2] = {2, 3}, target[2] = {3, -1};
    float data[6] = {1, 2, 3, 4, 5, 6};
    cort_value x = h_f32(2, xd, data), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "Reshape", 1, 1, 1);
    h_attr_ints(&h, "shape", target, 2);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 2}) && h_f32_is(&out[0], data, 6));
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_squeeze_unsqueeze(void) {
    int64_t xd[4] = {1, 3, 1, 2};
    cort_value x = h_f32(4, xd, (float[]){1, 2, 3, 4, 5, 6}), out[1];
    h_node h;
    cort_value *in1[1] = {&x};
    h_init(&h, "Squeeze", 13, 1, 1);
    if (h_ok(&h, in1, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 2}));
    h_clear(out, 1);

    int64_t one = 1, ax = -2;
    cort_value axes = h_i64(1, &one, &ax);
    cort_value *in2[2] = {&x, &axes};
    h_init(&h, "Squeeze", 13, 2, 1);
    if (h_ok(&h, in2, out)) CHECK(h_shape_is(&out[0], 3, (int64_t[]){1, 3, 2}));
    h_clear(out, 1);
    cort_value_clear(&axes);
    ax = 1; /* dim 1 is 3, not squeezable */
    axes = h_i64(1, &one, &ax);
    h_fails(&h, in2, "cannot squeeze axis 1");
    cort_value_clear(&axes);

    /* Unsqueeze-11 attribute, negative axes count from the output rank */
    int64_t uax[2] = {0, -1};
    h_init(&h, "Unsqueeze", 11, 1, 1);
    h_attr_ints(&h, "axes", uax, 2);
    if (h_ok(&h, in1, out)) CHECK(h_shape_is(&out[0], 6, (int64_t[]){1, 1, 3, 1, 2, 1}));
    h_clear(out, 1);
    int64_t dup[2] = {1, 1};
    h_init(&h, "Unsqueeze", 11, 1, 1);
    h_attr_ints(&h, "axes", dup, 2);
    h_fails(&h, in1, "repeated");
    cort_value_clear(&x);
}

static void test_shape_and_size(void) {
    int64_t xd[4] = {2, 3, 4, 5};
    cort_value x = h_f32(4, xd, NULL), out[1];
    memset(x.t.data, 0, cort_tensor_nbytes(&x.t));
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "Shape", 15, 1, 1);
    h_attr_int(&h, "start", -3);
    h_attr_int(&h, "end", 100);
    if (h_ok(&h, in, out)) CHECK(h_i64_is(&out[0], (int64_t[]){3, 4, 5}, 3));
    h_clear(out, 1);
    h_init(&h, "Shape", 15, 1, 1);
    h_attr_int(&h, "start", 3);
    h_attr_int(&h, "end", 1);
    if (h_ok(&h, in, out)) CHECK(h_i64_is(&out[0], NULL, 0) && h_shape_is(&out[0], 1, (int64_t[]){0}));
    h_clear(out, 1);
    h_init(&h, "Size", 13, 1, 1);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 0, NULL) && h_i64_is(&out[0], (int64_t[]){120}, 1));
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_transpose_strings(void) {
    int64_t xd[2] = {2, 3};
    const char *s[6] = {"a", "bb", NULL, "dddd", "e", "f"};
    cort_value x = h_tensor(CORT_STRING, 2, xd, s), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "Transpose", 13, 1, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 2}));
        char **o = out[0].t.data, **src = x.t.data;
        const char *expect[6] = {"a", "dddd", "bb", "e", "", "f"};
        for (int i = 0; i < 6; i++) CHECK(o[i] && !strcmp(o[i], expect[i]));
        CHECK(o[0] != src[0]); /* the output owns its own copies */
    }
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_transpose_perm_and_empty(void) {
    int64_t xd[3] = {2, 3, 4}, perm[3] = {1, 2, 0};
    float data[24];
    for (int i = 0; i < 24; i++) data[i] = (float)i;
    cort_value x = h_f32(3, xd, data), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "Transpose", 13, 1, 1);
    h_attr_ints(&h, "perm", perm, 3);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 3, (int64_t[]){3, 4, 2}));
        const float *o = out[0].t.data;
        int bad = 0;
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                for (int i = 0; i < 2; i++) bad += o[(j * 4 + k) * 2 + i] != data[(i * 3 + j) * 4 + k];
        CHECK(bad == 0);
    }
    h_clear(out, 1);
    int64_t badperm[3] = {0, 0, 1};
    h_init(&h, "Transpose", 13, 1, 1);
    h_attr_ints(&h, "perm", badperm, 3);
    h_fails(&h, in, "not a permutation");
    cort_value_clear(&x);

    int64_t ed[3] = {0, 3, 2};
    x = h_f32(3, ed, NULL);
    h_init(&h, "Transpose", 13, 1, 1);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 3, (int64_t[]){2, 3, 0}));
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_expand_and_depth_to_space(void) {
    int64_t xd[2] = {3, 1}, sd = 3, shape[3] = {2, 1, 2};
    cort_value x = h_f32(2, xd, (float[]){1, 2, 3}), s = h_i64(1, &sd, shape), out[1];
    cort_value *in[2] = {&x, &s};
    h_node h;
    h_init(&h, "Expand", 13, 2, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 3, (int64_t[]){2, 3, 2}));
        CHECK(h_f32_is(&out[0], (float[]){1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, 12));
    }
    h_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&s);

    /* DepthToSpace CRD on [1, 4, 1, 1]: channels become a 2x2 block */
    int64_t dd[4] = {1, 4, 1, 1};
    x = h_f32(4, dd, (float[]){1, 2, 3, 4});
    cort_value *in1[1] = {&x};
    h_init(&h, "DepthToSpace", 13, 1, 1);
    h_attr_int(&h, "blocksize", 2);
    h_attr_str(&h, "mode", "CRD");
    if (h_ok(&h, in1, out)) {
        CHECK(h_shape_is(&out[0], 4, (int64_t[]){1, 1, 2, 2}));
        CHECK(h_f32_is(&out[0], (float[]){1, 2, 3, 4}, 4));
    }
    h_clear(out, 1);
    /* SpaceToDepth undoes it */
    int64_t sd4[4] = {1, 1, 2, 2};
    cort_value_clear(&x);
    x = h_f32(4, sd4, (float[]){1, 2, 3, 4});
    h_init(&h, "SpaceToDepth", 13, 1, 1);
    h_attr_int(&h, "blocksize", 2);
    if (h_ok(&h, in1, out)) {
        CHECK(h_shape_is(&out[0], 4, (int64_t[]){1, 4, 1, 1}));
        CHECK(h_f32_is(&out[0], (float[]){1, 2, 3, 4}, 4));
    }
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void test_infer_reshape_and_transpose(void) {
    const char *why;
    const cort_op_def *def = cort_registry_find("", "Reshape", 14, CORT_FLOAT, &why);
    CHECK(def && def->infer);
    if (!def || !def->infer) return;
    cort_pool pool;
    cort_pool_init(&pool);
    h_node h;
    h_init(&h, "Reshape", 14, 2, 1);
    cort_dim xdims[3] = {{-1, "N"}, {3, NULL}, {4, NULL}};
    cort_type xt = {CORT_TYPE_TENSOR, CORT_FLOAT, 3, xdims, NULL}, st = {CORT_TYPE_TENSOR, CORT_INT64, 1, NULL, NULL};
    int64_t sd = 2, shape[2] = {0, 12};
    cort_value sv = h_i64(1, &sd, shape);
    const cort_type *ins[2] = {&xt, &st};
    const cort_tensor *consts[2] = {NULL, &sv.t};
    cort_type out[1];
    memset(out, 0, sizeof out);
    void *params = cort_pool_alloc(&pool, def->params_size);
    cort_parse_ctx pc = {&h.node, NULL, params, &pool};
    CHECK_OK(def->parse(&pc));
    cort_infer_ctx ic = {&h.node, params, 2, 1, ins, consts, out, &pool};
    CHECK_OK(def->infer(&ic));
    CHECK(out[0].elem == CORT_FLOAT && out[0].rank == 2);
    if (out[0].rank == 2) {
        CHECK(out[0].dims[0].value < 0 && out[0].dims[0].symbol && !strcmp(out[0].dims[0].symbol, "N"));
        CHECK(out[0].dims[1].value == 12);
    }
    cort_value_clear(&sv);

    def = cort_registry_find("", "Transpose", 13, CORT_FLOAT, &why);
    h_init(&h, "Transpose", 13, 1, 1);
    params = cort_pool_alloc(&pool, def->params_size);
    cort_parse_ctx pc2 = {&h.node, NULL, params, &pool};
    CHECK_OK(def->parse(&pc2));
    cort_infer_ctx ic2 = {&h.node, params, 1, 1, ins, consts, out, &pool};
    CHECK_OK(def->infer(&ic2));
    CHECK(out[0].rank == 3 && out[0].dims[0].value == 4 && out[0].dims[2].symbol);
    cort_pool_release(&pool);
}

/* A known-shape tensor type (dims from the pool). */
static cort_type tensor_type(cort_pool *pool, int32_t elem, int rank, const int64_t *dims) {
    cort_dim *d = rank ? cort_pool_calloc(pool, (size_t)rank, sizeof *d) : NULL;
    for (int i = 0; i < rank; i++) d[i].value = dims[i];
    cort_type t = {CORT_TYPE_TENSOR, elem, rank, d, NULL};
    return t;
}

static void test_infer_with_constants(void) {
    cort_pool pool;
    cort_pool_init(&pool);
    h_node h;
    cort_type out[3];
    int64_t one = 1, two = 2;
    cort_type x = tensor_type(&pool, CORT_FLOAT, 2, (int64_t[]){4, 6});
    cort_type ints = tensor_type(&pool, CORT_INT64, 1, &one);

    /* Slice [1:INT64_MAX:2] on axis 1 */
    cort_value s = h_i64(1, &one, (int64_t[]){1}), e = h_i64(1, &one, (int64_t[]){INT64_MAX});
    cort_value a = h_i64(1, &one, (int64_t[]){-1}), st = h_i64(1, &one, (int64_t[]){2});
    const cort_type *in5[5] = {&x, &ints, &ints, &ints, &ints};
    const cort_tensor *c5[5] = {NULL, &s.t, &e.t, &a.t, &st.t};
    h_init(&h, "Slice", 13, 5, 1);
    CHECK_OK(h_infer(&h, in5, c5, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){4, 3}));
    c5[4] = NULL; /* steps not constant: shape unknown */
    CHECK_OK(h_infer(&h, in5, c5, out, &pool));
    CHECK(out[0].elem == CORT_FLOAT && out[0].rank == -1);

    /* Split-13 with constant sizes, Split-11 equal parts */
    cort_value sizes = h_i64(1, &two, (int64_t[]){1, 3});
    const cort_type *in2[2] = {&x, &ints};
    const cort_tensor *c2[2] = {NULL, &sizes.t};
    h_init(&h, "Split", 13, 2, 2);
    h_attr_int(&h, "axis", 0);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){1, 6}) && h_type_is(&out[1], CORT_FLOAT, 2, (int64_t[]){3, 6}));
    h_init(&h, "Split", 11, 1, 3);
    h_attr_int(&h, "axis", 1);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[2], CORT_FLOAT, 2, (int64_t[]){4, 2}));

    /* Expand [4,6] to [3,1,6], Pad by [1,0,0,2], Tile by [2,1] */
    cort_value shape = h_i64(1, (int64_t[]){3}, (int64_t[]){3, 1, 6});
    c2[1] = &shape.t;
    h_init(&h, "Expand", 13, 2, 1);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 3, (int64_t[]){3, 4, 6}));
    cort_value pads = h_i64(1, (int64_t[]){4}, (int64_t[]){1, 0, 0, 2});
    c2[1] = &pads.t;
    h_init(&h, "Pad", 13, 2, 1);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){5, 8}));
    cort_value reps = h_i64(1, &two, (int64_t[]){2, 1});
    c2[1] = &reps.t;
    h_init(&h, "Tile", 13, 2, 1);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){8, 6}));

    /* Gather of int64 indices [2,3] on axis 1; Concat along axis 0; Unsqueeze-13 with constant axes */
    cort_type idx = tensor_type(&pool, CORT_INT64, 2, (int64_t[]){2, 3});
    const cort_tensor *none2[2] = {NULL, NULL};
    in2[1] = &idx;
    h_init(&h, "Gather", 13, 2, 1);
    h_attr_int(&h, "axis", 1);
    CHECK_OK(h_infer(&h, in2, none2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 3, (int64_t[]){4, 2, 3}));
    cort_type y = tensor_type(&pool, CORT_FLOAT, 2, (int64_t[]){5, 6});
    in2[1] = &y;
    h_init(&h, "Concat", 13, 2, 1);
    h_attr_int(&h, "axis", 0);
    CHECK_OK(h_infer(&h, in2, none2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){9, 6}));
    cort_value axes = h_i64(1, &two, (int64_t[]){0, -1});
    in2[1] = &ints;
    c2[1] = &axes.t;
    h_init(&h, "Unsqueeze", 13, 2, 1);
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 4, (int64_t[]){1, 4, 6, 1}));
    h_init(&h, "Squeeze", 13, 1, 1); /* no axes, all dims known and none is 1 */
    CHECK_OK(h_infer(&h, in2, c2, out, &pool));
    CHECK(h_type_is(&out[0], CORT_FLOAT, 2, (int64_t[]){4, 6}));

    cort_value *vals[] = {&s, &e, &a, &st, &sizes, &shape, &pads, &reps, &axes};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) cort_value_clear(vals[i]);
    cort_pool_release(&pool);
}

/* Every infer copes with omitted inputs, unknown ranks and odd constants without failing or crashing. */
static void test_infer_on_unknowns(void) {
    static const struct { const char *op; int opset; } ops[] = {
        {"Reshape", 1}, {"Reshape", 14}, {"Flatten", 13}, {"Squeeze", 11}, {"Squeeze", 13}, {"Unsqueeze", 11},
        {"Unsqueeze", 13}, {"Shape", 15}, {"Size", 13}, {"Expand", 13}, {"Transpose", 13}, {"DepthToSpace", 13},
        {"SpaceToDepth", 13}, {"Slice", 9}, {"Slice", 13}, {"Concat", 13}, {"Split", 11}, {"Split", 13},
        {"Tile", 13}, {"Pad", 2}, {"Pad", 13}, {"ReverseSequence", 10}, {"Compress", 11}, {"Trilu", 14},
        {"Gather", 13}, {"GatherElements", 13}, {"GatherND", 13}, {"ScatterElements", 16}, {"ScatterND", 16},
        {"OneHot", 11}};
    cort_pool pool;
    cort_pool_init(&pool);
    cort_type unknown = {CORT_TYPE_TENSOR, CORT_FLOAT, -1, NULL, NULL};
    cort_type scalar = {CORT_TYPE_TENSOR, CORT_INT64, 0, NULL, NULL};
    cort_type seq = {CORT_TYPE_SEQUENCE, 0, -1, NULL, NULL};
    int64_t weird_vals[3] = {-7, INT64_MAX, 0}, three = 3;
    cort_value weird = h_i64(1, &three, weird_vals);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for (int variant = 0; variant < 4; variant++) {
            h_node h;
            h_init(&h, ops[k].op, ops[k].opset, 4, 2);
            h_attr_int(&h, "axis", 5);
            h_attr_int(&h, "blocksize", 2);
            h_attr_ints(&h, "perm", weird_vals, 3);
            const cort_type *in[4] = {NULL, NULL, NULL, NULL};
            const cort_tensor *consts[4] = {NULL, NULL, NULL, NULL};
            for (int i = 0; i < 4; i++) {
                in[i] = variant == 0 ? NULL : variant == 1 ? &unknown : variant == 2 ? &scalar : &seq;
                consts[i] = variant == 2 ? &weird.t : NULL;
            }
            cort_type out[2];
            cort_status *st = h_infer(&h, in, consts, out, &pool);
            if (st && cort_status_code(st) != CORT_INVALID_GRAPH) { /* parse may reject the attributes */
                fprintf(stderr, "%s-%d infer variant %d: %s\n", ops[k].op, ops[k].opset, variant,
                        cort_status_message(st));
                check_failures++;
            }
            cort_status_free(st);
        }
    }
    cort_value_clear(&weird);
    cort_pool_release(&pool);
}

int main(void) {
    test_reshape_zero_and_minus_one();
    test_reshape_opset1_attribute();
    test_squeeze_unsqueeze();
    test_shape_and_size();
    test_transpose_strings();
    test_transpose_perm_and_empty();
    test_expand_and_depth_to_space();
    test_infer_reshape_and_transpose();
    test_infer_with_constants();
    test_infer_on_unknowns();
    return check_report("test_shape_ops");
}
