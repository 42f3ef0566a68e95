/* Gather family (src/ops/gather.c): negative and out-of-range indices, GatherElements, GatherND with
 * batch_dims, scatters with reductions, OneHot. */
#include "test_shape_ops_harness.h"

static void test_gather_negative_indices(void) {
    int64_t dd = 5, idd = 3;
    cort_value data = h_f32(1, &dd, (float[]){10, 11, 12, 13, 14}), out[1];
    cort_value idx = h_i64(1, &idd, (int64_t[]){-1, 0, -5});
    cort_value *in[2] = {&data, &idx};
    h_node h;
    h_init(&h, "Gather", 13, 2, 1);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){14, 10, 10}, 3));
    h_clear(out, 1);
    cort_value_clear(&idx);
    idx = h_i64(1, &idd, (int64_t[]){0, 5, 1});
    h_fails(&h, in, "index 5 (element 1 of indices) is out of range [-5, 4]");
    cort_value_clear(&idx);
    idx = h_i64(1, &idd, (int64_t[]){-6, 0, 1});
    h_fails(&h, in, "index -6");
    cort_value_clear(&idx);
    cort_value_clear(&data);

    /* axis 1 of a 2x3 with 2-D indices, int32 */
    int64_t d2[2] = {2, 3}, i2[2] = {2, 2};
    data = h_f32(2, d2, (float[]){1, 2, 3, 4, 5, 6});
    idx = h_tensor(CORT_INT32, 2, i2, (int32_t[]){0, 2, -1, 1});
    h_init(&h, "Gather", 13, 2, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 3, (int64_t[]){2, 2, 2}));
        CHECK(h_f32_is(&out[0], (float[]){1, 3, 3, 2, 4, 6, 6, 5}, 8));
    }
    h_clear(out, 1);
    cort_value_clear(&idx);
    /* scalar index drops the axis */
    int64_t zero = 0;
    idx = h_i64(0, NULL, &zero);
    h_init(&h, "Gather", 13, 2, 1);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 1, (int64_t[]){3}) && h_f32_is(&out[0], (float[]){1, 2, 3}, 3));
    h_clear(out, 1);
    cort_value_clear(&idx);
    /* no indices from an empty axis is fine */
    int64_t ed[2] = {0, 3}, en = 0;
    cort_value_clear(&data);
    data = h_f32(2, ed, NULL);
    idx = h_i64(1, &en, NULL);
    if (h_ok(&h, in, out)) CHECK(h_shape_is(&out[0], 2, (int64_t[]){0, 3}));
    h_clear(out, 1);
    cort_value_clear(&idx);
    cort_value_clear(&data);
}

static void test_gather_elements_and_nd(void) {
    int64_t d2[2] = {2, 2};
    cort_value data = h_f32(2, d2, (float[]){1, 2, 3, 4}), out[1];
    cort_value idx = h_i64(2, d2, (int64_t[]){0, 0, -1, 0});
    cort_value *in[2] = {&data, &idx};
    h_node h;
    h_init(&h, "GatherElements", 13, 2, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){1, 1, 4, 3}, 4));
    h_clear(out, 1);
    cort_value_clear(&idx);
    idx = h_i64(2, d2, (int64_t[]){0, 2, 0, 0});
    h_fails(&h, in, "index 2");
    cort_value_clear(&idx);

    /* GatherND, batch_dims 1: data [2,2,2], indices [2,1] */
    int64_t d3[3] = {2, 2, 2}, i2[2] = {2, 1};
    cort_value_clear(&data);
    data = h_f32(3, d3, (float[]){0, 1, 2, 3, 4, 5, 6, 7});
    idx = h_i64(2, i2, (int64_t[]){1, 0});
    h_init(&h, "GatherND", 13, 2, 1);
    h_attr_int(&h, "batch_dims", 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){2, 2}));
        CHECK(h_f32_is(&out[0], (float[]){2, 3, 4, 5}, 4));
    }
    h_clear(out, 1);
    cort_value_clear(&idx);
    int64_t i3[2] = {2, 2};
    idx = h_i64(2, i3, (int64_t[]){0, 1, -1, -1});
    h_init(&h, "GatherND", 13, 2, 1);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){2, 3, 6, 7}, 4));
    h_clear(out, 1);
    cort_value_clear(&idx);
    cort_value_clear(&data);
}

static void test_scatters(void) {
    int64_t d2[2] = {2, 3}, i2[2] = {1, 2};
    cort_value data = h_f32(2, d2, (float[]){1, 1, 1, 1, 1, 1}), out[1];
    cort_value idx = h_i64(2, i2, (int64_t[]){2, -3}), upd = h_f32(2, i2, (float[]){5, 7});
    cort_value *in[3] = {&data, &idx, &upd};
    h_node h;
    h_init(&h, "ScatterElements", 16, 3, 1);
    h_attr_int(&h, "axis", 1);
    h_attr_str(&h, "reduction", "add");
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){8, 1, 6, 1, 1, 1}, 6));
    h_clear(out, 1);
    h_init(&h, "Scatter", 9, 3, 1);
    h_attr_int(&h, "axis", 1);
    if (h_ok(&h, in, out)) CHECK(h_f32_is(&out[0], (float[]){7, 1, 5, 1, 1, 1}, 6));
    h_clear(out, 1);
    h_init(&h, "ScatterElements", 16, 3, 1);
    h_attr_str(&h, "reduction", "max");
    h_fails(&h, in, "reduction 'max'");
    cort_value_clear(&idx);
    cort_value_clear(&upd);

    /* ScatterND multiply on int64 rows */
    int64_t one[2] = {1, 1}, ud[2] = {1, 3};
    cort_value di = h_i64(2, d2, (int64_t[]){1, 2, 3, 4, 5, 6});
    cort_value ii = h_i64(2, one, (int64_t[]){-1}), uu = h_i64(2, ud, (int64_t[]){2, 2, -1});
    cort_value *in2[3] = {&di, &ii, &uu};
    h_init(&h, "ScatterND", 16, 3, 1);
    h_attr_str(&h, "reduction", "mul");
    if (h_ok(&h, in2, out)) CHECK(h_i64_is(&out[0], (int64_t[]){1, 2, 3, 8, 10, -6}, 6));
    h_clear(out, 1);
    cort_value_clear(&uu);
    int64_t bad[2] = {1, 2};
    uu = h_i64(2, bad, (int64_t[]){2, 2});
    h_fails(&h, in2, "updates' shape");
    cort_value_clear(&uu);
    cort_value_clear(&ii);
    cort_value_clear(&di);
    cort_value_clear(&data);

    /* strings scatter by copy */
    int64_t sd = 3, id = 1;
    const char *s[3] = {"a", "b", "c"}, *u[1] = {"zz"};
    cort_value sdata = h_tensor(CORT_STRING, 1, &sd, s), sidx = h_i64(1, &id, (int64_t[]){1});
    cort_value supd = h_tensor(CORT_STRING, 1, &id, u);
    cort_value *in3[3] = {&sdata, &sidx, &supd};
    h_init(&h, "ScatterElements", 13, 3, 1);
    if (h_ok(&h, in3, out)) {
        char **o = out[0].t.data;
        CHECK(!strcmp(o[0], "a") && !strcmp(o[1], "zz") && !strcmp(o[2], "c"));
    }
    h_clear(out, 1);
    cort_value_clear(&sdata);
    cort_value_clear(&sidx);
    cort_value_clear(&supd);
}

/* An executor that plans output 0 into input 0's buffer, as CORT_OP_INPLACE_INPUT0 allows. */
static cort_status *inplace_alloc(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                                  cort_tensor **out) {
    h_exec *e = ctx->exec;
    cort_value *v = &e->outs[index];
    memset(v, 0, sizeof *v);
    v->kind = CORT_VALUE_TENSOR;
    v->t = ctx->in[0]->t;
    *out = &v->t;
    return NULL;
}

static void test_scatter_in_place_with_self_updates(void) {
    static const cort_kctx_services inplace = {
        .alloc_output = inplace_alloc, .scratch = h_scratch, .parallel_for = h_parallel_for};
    int64_t n = 4;
    cort_value x = h_f32(1, &n, (float[]){1, 2, 3, 4}), idx = h_i64(1, &n, (int64_t[]){3, 2, 1, 0}), out[1];
    cort_value *in[3] = {&x, &idx, &x}; /* updates is the same value as data */
    h_node h;
    h_init(&h, "ScatterElements", 13, 3, 1);
    cort_status *st = h_run_with(&h, in, out, &inplace);
    CHECK(!st);
    cort_status_free(st);
    CHECK(out[0].t.data == x.t.data && h_f32_is(&out[0], (float[]){4, 3, 2, 1}, 4));
    cort_value_clear(&x); /* out[0] only borrowed x's buffer */
    cort_value_clear(&idx);
}

static void test_one_hot(void) {
    int64_t id = 4, two = 2;
    cort_value idx = h_i64(1, &id, (int64_t[]){0, -1, 3, 2}), depth = h_f32(0, NULL, (float[]){3});
    cort_value vals = h_f32(1, &two, (float[]){-1, 5}), out[1];
    cort_value *in[3] = {&idx, &depth, &vals};
    h_node h;
    h_init(&h, "OneHot", 11, 3, 1);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){4, 3}));
        CHECK(h_f32_is(&out[0], (float[]){5, -1, -1, -1, -1, 5, -1, -1, -1, -1, -1, 5}, 12));
    }
    h_clear(out, 1);
    h_init(&h, "OneHot", 11, 3, 1);
    h_attr_int(&h, "axis", 0);
    if (h_ok(&h, in, out)) {
        CHECK(h_shape_is(&out[0], 2, (int64_t[]){3, 4}));
        CHECK(h_f32_is(&out[0], (float[]){5, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1, 5}, 12));
    }
    h_clear(out, 1);
    cort_value_clear(&idx);
    cort_value_clear(&depth);
    cort_value_clear(&vals);
}

int main(void) {
    test_gather_negative_indices();
    test_gather_elements_and_nd();
    test_scatters();
    test_scatter_in_place_with_self_updates();
    test_one_hot();
    return check_report("test_shape_ops_gather");
}
