/* Malformed inputs to the data-movement operators: each must fail with a message naming the node and
 * the problem, never crash or read out of bounds (run under the sanitizers in CI). */
#include "test_shape_ops_harness.h"

static cort_value f32(int rank, const int64_t *dims) {
    cort_value v = h_f32(rank, dims, NULL);
    memset(v.t.data, 0, cort_tensor_nbytes(&v.t));
    return v;
}

static void expect_error(const char *op, int opset, cort_value **in, int n_in, int n_out, const char *needle) {
    h_node h;
    h_init(&h, op, opset, n_in, n_out);
    h_fails(&h, in, needle);
}

static void test_shape_family_errors(void) {
    int64_t d23[2] = {2, 3}, two = 2, one = 1;
    cort_value x = f32(2, d23);
    cort_value fshape = h_f32(1, &two, (float[]){3, 2});
    cort_value *in[3] = {&x, &fshape, NULL};
    expect_error("Reshape", 14, in, 2, 1, "must hold integers");
    int64_t sd[2] = {1, 2};
    cort_value shape2d = h_i64(2, sd, (int64_t[]){3, 2});
    in[1] = &shape2d;
    expect_error("Reshape", 14, in, 2, 1, "must be 1-D");
    cort_value big = h_i64(1, (int64_t[]){17}, (int64_t[17]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6});
    in[1] = &big;
    expect_error("Reshape", 14, in, 2, 1, "at most 16");
    cort_value neg = h_i64(1, &two, (int64_t[]){-2, 3});
    in[1] = &neg;
    expect_error("Reshape", 14, in, 2, 1, "shape[0] = -2 is invalid");
    expect_error("Expand", 13, in, 2, 1, "negative");
    cort_value bad = h_i64(1, &two, (int64_t[]){4, 3});
    in[1] = &bad;
    expect_error("Expand", 13, in, 2, 1, "cannot expand [2,3] to [4,3]");

    /* Unsqueeze past the rank limit */
    int64_t axes16[16];
    for (int i = 0; i < 16; i++) axes16[i] = i;
    cort_value ax = h_i64(1, (int64_t[]){16}, axes16);
    in[1] = &ax;
    expect_error("Unsqueeze", 13, in, 2, 1, "exceeds the supported 16");
    expect_error("Unsqueeze", 13, in, 1, 1, "axes are required");

    /* DepthToSpace needs 4-D input with channels divisible by blocksize^2 */
    h_node h;
    h_init(&h, "DepthToSpace", 13, 1, 1);
    h_attr_int(&h, "blocksize", 2);
    h_fails(&h, in, "must be 4-D");
    h_init(&h, "DepthToSpace", 13, 1, 1);
    h_fails(&h, in, "blocksize 0 is invalid");
    int64_t d4[4] = {1, 3, 2, 2};
    cort_value x4 = f32(4, d4);
    cort_value *in4[1] = {&x4};
    h_init(&h, "DepthToSpace", 13, 1, 1);
    h_attr_int(&h, "blocksize", 2);
    h_fails(&h, in4, "not a multiple");
    h_init(&h, "SpaceToDepth", 13, 1, 1);
    h_attr_int(&h, "blocksize", 3);
    h_fails(&h, in4, "not multiples");
    (void)one;
    cort_value *all[] = {&x, &fshape, &shape2d, &big, &neg, &bad, &ax, &x4};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) cort_value_clear(all[i]);
}

static void test_slice_family_errors(void) {
    int64_t d23[2] = {2, 3}, one = 1, two = 2;
    cort_value x = f32(2, d23), y = f32(2, (int64_t[]){2, 4});
    cort_value i1 = h_i64(1, &one, (int64_t[]){0}), i2 = h_i64(1, &two, (int64_t[]){0, 1});
    cort_value *in[5] = {&x, &i1, &i2, NULL, NULL};
    expect_error("Slice", 13, in, 3, 1, "starts has 1 values but ends has 2");
    cort_value ax = h_i64(1, &one, (int64_t[]){2});
    in[2] = &i1;
    in[3] = &ax;
    expect_error("Slice", 13, in, 4, 1, "axis 2 is out of range");

    cort_value *cin[2] = {&x, &y};
    h_node h;
    h_init(&h, "Concat", 13, 2, 1);
    h_attr_int(&h, "axis", 0);
    h_fails(&h, cin, "does not match");
    h_init(&h, "Concat", 13, 2, 1);
    h_fails(&h, cin, "attribute 'axis' is required");
    cort_value z = h_i64(2, d23, (int64_t[]){0, 0, 0, 0, 0, 0});
    cin[1] = &z;
    h_init(&h, "Concat", 13, 2, 1);
    h_attr_int(&h, "axis", 0);
    h_fails(&h, cin, "input 1 is int64, input 0 float");

    cort_value split = h_i64(1, &two, (int64_t[]){1, 1});
    cort_value *sin[2] = {&x, &split};
    h_init(&h, "Split", 13, 2, 2);
    h_attr_int(&h, "axis", 1);
    h_fails(&h, sin, "split sums to 2, axis has 3");

    cort_value reps = h_i64(1, &two, (int64_t[]){1, -1});
    cort_value *tin[2] = {&x, &reps};
    expect_error("Tile", 13, tin, 2, 1, "repeats[1] = -1 is negative");
    cort_value huge = h_i64(1, &two, (int64_t[]){INT64_MAX, INT64_MAX});
    tin[1] = &huge;
    expect_error("Tile", 13, tin, 2, 1, "too large");
    tin[1] = &i1;
    expect_error("Tile", 13, tin, 2, 1, "repeats has 1 values for rank 2");

    cort_value pads = h_i64(1, (int64_t[]){4}, (int64_t[]){0, 0, INT64_MAX, 0});
    cort_value *pin[2] = {&x, &pads};
    expect_error("Pad", 13, pin, 2, 1, "out of range");
    h_init(&h, "Pad", 13, 2, 1);
    h_attr_str(&h, "mode", "wrap");
    h_fails(&h, pin, "pad mode 'wrap' is not supported");

    cort_value cond = h_tensor(CORT_BOOL, 1, (int64_t[]){4}, (uint8_t[]){1, 0, 1, 1});
    cort_value *cmp[2] = {&x, &cond};
    h_init(&h, "Compress", 11, 2, 1);
    h_attr_int(&h, "axis", 1);
    h_fails(&h, cmp, "condition has 4 values, the axis only 3");

    cort_value v1 = f32(1, &two);
    cort_value *tri[1] = {&v1};
    expect_error("Trilu", 14, tri, 1, 1, "rank >= 2");

    cort_value lens = h_i64(1, &one, (int64_t[]){1});
    cort_value *rs[2] = {&x, &lens};
    expect_error("ReverseSequence", 10, rs, 2, 1, "sequence_lens must be 1-D with 3 values");

    cort_value *all[] = {&x, &y, &i1, &i2, &ax, &z, &split, &reps, &huge, &pads, &cond, &v1, &lens};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) cort_value_clear(all[i]);
}

static void test_gather_family_errors(void) {
    int64_t d23[2] = {2, 3}, two = 2, one = 1;
    cort_value x = f32(2, d23);
    cort_value fidx = h_f32(1, &one, (float[]){0});
    cort_value *in[3] = {&x, &fidx, NULL};
    expect_error("Gather", 13, in, 2, 1, "indices must be int32 or int64, got float");

    /* GatherND: batch dims must agree, tuple length fit the data */
    cort_value nd = h_i64(2, (int64_t[]){3, 1}, (int64_t[]){0, 1, 0});
    in[1] = &nd;
    h_node h;
    h_init(&h, "GatherND", 13, 2, 1);
    h_attr_int(&h, "batch_dims", 1);
    h_fails(&h, in, "batch dim 0 differs");
    cort_value nd3 = h_i64(2, (int64_t[]){1, 3}, (int64_t[]){0, 0, 0});
    in[1] = &nd3;
    expect_error("GatherND", 13, in, 2, 1, "last dim 3 must be in [1, 2]");
    cort_value ndo = h_i64(2, (int64_t[]){1, 2}, (int64_t[]){1, 3});
    in[1] = &ndo;
    expect_error("GatherND", 13, in, 2, 1, "index 3 (element 1 of indices) is out of range");

    /* GatherElements: indices larger than data off the axis */
    cort_value ge = h_i64(2, (int64_t[]){1, 4}, (int64_t[]){0, 0, 0, 0});
    in[1] = &ge;
    expect_error("GatherElements", 13, in, 2, 1, "indices dim 1 is 4, larger than data's 3");

    /* Scatters */
    cort_value sidx = h_i64(2, (int64_t[]){1, 1}, (int64_t[]){5}), upd = f32(2, (int64_t[]){1, 1});
    cort_value *sc[3] = {&x, &sidx, &upd};
    expect_error("ScatterElements", 13, sc, 3, 1, "index 5");
    cort_value i64u = f32(2, (int64_t[]){1, 4});
    sc[1] = &ge;
    sc[2] = &i64u;
    expect_error("ScatterElements", 13, sc, 3, 1, "indices dim 1 is 4");
    cort_value ndi = h_i64(2, (int64_t[]){1, 1}, (int64_t[]){1}), ndu = f32(1, &two);
    sc[1] = &ndi;
    sc[2] = &ndu;
    expect_error("ScatterND", 13, sc, 3, 1, "updates' shape must be");
    const char *strs[1] = {"a"};
    cort_value sdata = h_tensor(CORT_STRING, 1, &one, strs), sup = h_tensor(CORT_STRING, 1, &one, strs);
    cort_value s0 = h_i64(1, &one, (int64_t[]){0});
    cort_value *ss[3] = {&sdata, &s0, &sup};
    h_init(&h, "ScatterElements", 16, 3, 1);
    h_attr_str(&h, "reduction", "add");
    h_fails(&h, ss, "reduction is not defined for string");

    /* OneHot */
    cort_value depth = h_i64(0, NULL, (int64_t[]){-1}), vals = h_f32(1, &two, (float[]){0, 1});
    cort_value *oh[3] = {&s0, &depth, &vals};
    expect_error("OneHot", 11, oh, 3, 1, "depth -1 is invalid");
    cort_value vals3 = h_f32(1, (int64_t[]){3}, (float[]){0, 1, 2});
    oh[2] = &vals3;
    expect_error("OneHot", 11, oh, 3, 1, "values must be [off_value, on_value]");

    cort_value *all[] = {&x, &fidx, &nd, &nd3, &ndo, &ge, &sidx, &upd, &i64u, &ndi, &ndu, &sdata, &sup, &s0,
                         &depth, &vals, &vals3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) cort_value_clear(all[i]);
}

/* ---- chaos: random small inputs of random types and attributes; any status is fine, a crash or a
 * sanitizer report is not. */
static uint64_t chaos_state = 0x2545f4914f6cdd1dull;
static int64_t chaos(int64_t n) {
    chaos_state ^= chaos_state << 13;
    chaos_state ^= chaos_state >> 7;
    chaos_state ^= chaos_state << 17;
    return (int64_t)(chaos_state % (uint64_t)n);
}

static cort_value chaos_tensor(void) {
    static const int32_t types[] = {CORT_INT64, CORT_INT64, CORT_INT32, CORT_FLOAT, CORT_BOOL, CORT_STRING,
                                    CORT_FLOAT16};
    int32_t type = types[chaos(7)];
    int rank = (int)chaos(4);
    int64_t dims[4];
    for (int i = 0; i < rank; i++) dims[i] = chaos(4);
    cort_value v = h_tensor(type, rank, dims, NULL);
    int64_t n = cort_tensor_count(&v.t);
    for (int64_t i = 0; i < n; i++) {
        int64_t val = chaos(11) - 5;
        if (chaos(20) == 0) val = chaos(2) ? INT64_MAX : INT64_MIN;
        if (type == CORT_STRING) cort_status_free(cort_value_set_string(&v, i, "s", 1));
        else cort_set_i64(&v.t, i, val);
    }
    return v;
}

static void chaos_runs(void) {
    static const struct { const char *op; int opset; } ops[] = {
        {"Reshape", 14}, {"Reshape", 1}, {"Flatten", 13}, {"Squeeze", 13}, {"Unsqueeze", 13}, {"Unsqueeze", 11},
        {"Shape", 15}, {"Size", 13}, {"Expand", 13}, {"Transpose", 13}, {"DepthToSpace", 13}, {"SpaceToDepth", 13},
        {"Slice", 13}, {"Slice", 9}, {"Concat", 13}, {"Split", 13}, {"Split", 11}, {"Tile", 13}, {"Tile", 1},
        {"Pad", 13}, {"Pad", 2}, {"ReverseSequence", 10}, {"Compress", 11}, {"Trilu", 14}, {"Gather", 13},
        {"GatherElements", 13}, {"GatherND", 13}, {"Scatter", 9}, {"ScatterElements", 16}, {"ScatterND", 16},
        {"OneHot", 11}};
    static const char *const modes[] = {"constant", "reflect", "edge"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for (int iter = 0; iter < 300; iter++) {
            int n_in = 1 + (int)chaos(5), n_out = 1 + (int)chaos(3);
            cort_value vals[5], *in[5], out[H_MAX_IO];
            for (int i = 0; i < n_in; i++) {
                vals[i] = chaos_tensor();
                in[i] = chaos(8) ? &vals[i] : NULL;
            }
            int64_t ints[3] = {chaos(7) - 3, chaos(7) - 3, chaos(7) - 3};
            h_node h;
            h_init(&h, ops[k].op, ops[k].opset, n_in, n_out);
            for (int i = 0; i < n_in; i++)
                if (!in[i]) h.inputs[i] = -1;
            h_attr_int(&h, "axis", chaos(7) - 3);
            h_attr_int(&h, "blocksize", chaos(3));
            h_attr_int(&h, "batch_dims", chaos(3));
            h_attr_int(&h, "allowzero", chaos(2));
            h_attr_ints(&h, chaos(2) ? "perm" : "axes", ints, (int)chaos(4));
            h_attr_ints(&h, chaos(2) ? "shape" : "starts", ints, (int)chaos(4));
            h_attr_ints(&h, chaos(2) ? "ends" : "pads", ints, (int)chaos(4));
            h_attr_str(&h, "mode", modes[chaos(3)]);
            memset(out, 0, sizeof out);
            cort_status_free(h_run(&h, in, out));
            h_clear(out, n_out);
            for (int i = 0; i < n_in; i++) cort_value_clear(&vals[i]);
        }
    }
}

int main(void) {
    test_shape_family_errors();
    test_slice_family_errors();
    test_gather_family_errors();
    chaos_runs();
    return check_report("test_shape_ops_errors");
}
