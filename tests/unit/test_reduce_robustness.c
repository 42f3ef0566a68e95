/* Robustness of the reduce/generator/index/resize operators: random (often malformed) inputs and
 * attributes must end in success or an error status, never a crash or an out-of-bounds access
 * (run under -DCORT_SANITIZE=ON to catch the latter). Deterministic: a fixed-seed generator. */
#include <math.h>

#include "test_shape_ops_harness.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int64_t pick(int64_t n) { return (int64_t)(next_u64() % (uint64_t)n); }

static const int32_t types[] = {CORT_FLOAT, CORT_DOUBLE, CORT_FLOAT16, CORT_INT32, CORT_INT64, CORT_UINT8,
                                CORT_INT8, CORT_BOOL, CORT_STRING};

/* A random tensor: rank 0..4, dims 0..4, random contents (strings are "a".."c"). */
static cort_value random_tensor(int32_t type) {
    int rank = (int)pick(5);
    int64_t dims[4];
    for (int d = 0; d < rank; d++) dims[d] = pick(5);
    cort_value v = {0};
    cort_status *st = cort_value_alloc_tensor(&v, type, rank, dims);
    if (st) {
        cort_status_free(st);
        return v;
    }
    int64_t n = cort_tensor_count(&v.t);
    for (int64_t i = 0; i < n; i++) {
        if (type == CORT_STRING) {
            cort_status_free(cort_value_set_string(&v, i, &"abc"[pick(3)], 1));
            continue;
        }
        double x = (double)pick(7) - 3;
        if (pick(20) == 0) x = pick(2) ? NAN : INFINITY;
        if (type == CORT_FLOAT || type == CORT_DOUBLE || type == CORT_FLOAT16) cort_set_f64(&v.t, i, x);
        else cort_set_i64(&v.t, i, (int64_t)(isfinite(x) ? x : 1));
    }
    return v;
}

/* A small int64 vector input (axes, k, sizes, shape...), sometimes with wild values. */
static cort_value random_ints(void) {
    int64_t n = pick(5), vals[4];
    for (int64_t i = 0; i < n; i++) vals[i] = pick(10) == 0 ? INT64_MAX - pick(2) : pick(9) - 4;
    return h_i64(pick(4) == 0 ? 0 : 1, &n, vals);
}

static cort_value random_floats(void) {
    int64_t n = pick(9);
    float vals[8];
    for (int64_t i = 0; i < n; i++) vals[i] = pick(10) == 0 ? NAN : (float)(pick(9) - 2) * 0.75f;
    return h_f32(1, &n, vals);
}

typedef struct op_case {
    const char *op;
    int opset, n_in, n_out;
    const char *int_attrs[4];
    const char *str_attr;
    const char *str_values[4];
} op_case;

static const op_case cases[] = {
    {"ReduceSum", 13, 2, 1, {"keepdims", "noop_with_empty_axes"}, NULL, {NULL}},
    {"ReduceMean", 13, 1, 1, {"keepdims"}, NULL, {NULL}},
    {"ReduceLogSumExp", 11, 1, 1, {"keepdims"}, NULL, {NULL}},
    {"ArgMax", 13, 1, 1, {"axis", "keepdims", "select_last_index"}, NULL, {NULL}},
    {"TopK", 11, 2, 2, {"axis", "largest", "sorted"}, NULL, {NULL}},
    {"NonZero", 13, 1, 1, {NULL}, NULL, {NULL}},
    {"Unique", 11, 1, 4, {"axis", "sorted"}, NULL, {NULL}},
    {"CumSum", 14, 2, 1, {"exclusive", "reverse"}, NULL, {NULL}},
    {"NonMaxSuppression", 11, 5, 1, {"center_point_box"}, NULL, {NULL}},
    {"RoiAlign", 16, 3, 1, {"output_height", "output_width", "sampling_ratio"}, "mode", {"avg", "max"}},
    {"Resize", 13, 4, 1, {"exclude_outside"}, "mode", {"nearest", "linear", "cubic"}},
    {"Resize", 11, 4, 1, {NULL}, "coordinate_transformation_mode", {"tf_crop_and_resize", "align_corners", "asymmetric"}},
    {"Upsample", 9, 2, 1, {NULL}, "mode", {"nearest", "linear"}},
    {"GridSample", 16, 2, 1, {"align_corners"}, "padding_mode", {"zeros", "border", "reflection"}},
    {"ConstantOfShape", 9, 1, 1, {NULL}, NULL, {NULL}},
    {"Range", 11, 3, 1, {NULL}, NULL, {NULL}},
    {"EyeLike", 9, 1, 1, {"k"}, NULL, {NULL}},
    {"Bernoulli", 15, 1, 1, {NULL}, NULL, {NULL}},
    {"Multinomial", 7, 1, 1, {"sample_size"}, NULL, {NULL}},
};

/* Inputs after the first: the kinds the op expects, with random shapes and values. */
static cort_value random_input(const char *op, int i) {
    if (!strcmp(op, "Resize") && i == 3) return random_ints();
    if ((!strcmp(op, "Resize") && i < 3) || !strcmp(op, "Upsample") || !strcmp(op, "GridSample") ||
        (!strcmp(op, "NonMaxSuppression") && i >= 3) || (!strcmp(op, "RoiAlign") && i == 1))
        return pick(3) ? random_floats() : random_tensor(CORT_FLOAT);
    if (!strcmp(op, "Range")) return random_tensor(pick(2) ? CORT_INT32 : CORT_FLOAT);
    if (pick(3) == 0) return random_tensor(types[pick(sizeof types / sizeof types[0])]);
    return random_ints();
}

static void run_random(const op_case *c) {
    h_node h;
    h_init(&h, c->op, c->opset, c->n_in, c->n_out);
    for (int a = 0; a < 4 && c->int_attrs[a]; a++)
        if (pick(2)) h_attr_int(&h, c->int_attrs[a], pick(7) - 2);
    if (c->str_attr && pick(4)) {
        int n = 0;
        while (n < 4 && c->str_values[n]) n++;
        h_attr_str(&h, c->str_attr, c->str_values[pick(n)]);
    }
    cort_value vals[H_MAX_IO];
    cort_value *in[H_MAX_IO];
    int32_t first_type = types[pick(sizeof types / sizeof types[0])];
    for (int i = 0; i < c->n_in; i++) {
        vals[i] = i == 0 ? random_tensor(first_type) : random_input(c->op, i);
        in[i] = pick(6) == 0 && i > 0 ? NULL : &vals[i];
    }
    cort_value outs[H_MAX_IO];
    memset(outs, 0, sizeof outs); /* h_run leaves them untouched when the op is not found */
    cort_status *st = h_run(&h, in, outs);
    cort_status_free(st);
    for (int o = 0; o < c->n_out; o++) {
        if (outs[o].kind == CORT_VALUE_TENSOR && outs[o].t.type == CORT_STRING) outs[o].owns_strings = true;
        cort_value_clear(&outs[o]);
    }
    for (int i = 0; i < c->n_in; i++) cort_value_clear(&vals[i]);
}

int main(void) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int iter = 0; iter < 400; iter++) run_random(&cases[c]);
    CHECK(true); /* reaching here without a crash or sanitizer report is the test */
    return check_report("test_reduce_robustness");
}
