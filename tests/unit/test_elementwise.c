/* Elementwise operators: numpy and legacy broadcasting against a naive reference, NaN in Min/Max/Clip,
 * Round half to even, integer Div/Mod signs and errors, float16 rounding, Cast strings, Softmax axes,
 * Where and quantization; the per-row scaling kernel. */
#include <float.h>
#include <stdint.h>

#include "kernels/generic/elementwise.h"
#include "test_elementwise_harness.h"

/* Index into a right-aligned broadcast operand of shape `dims` for output coordinates `coord`. */
static int64_t bcast_index(const int64_t *coord, int out_rank, const int64_t *dims, int rank) {
    int64_t idx = 0;
    for (int i = 0; i < rank; i++) {
        int64_t c = coord[out_rank - rank + i];
        idx = idx * dims[i] + (dims[i] == 1 ? 0 : c);
    }
    return idx;
}

/* Add and Mul over several broadcast patterns, compared with a coordinate-by-coordinate reference. */
static void test_broadcast_patterns(void) {
    static const struct {
        int ra, rb;
        int64_t a[4], b[4];
    } cases[] = {
        {3, 2, {2, 3, 1}, {1, 4}},       {3, 3, {2, 1, 3}, {2, 4, 3}}, {2, 0, {5, 7}, {0}},
        {1, 1, {6}, {6}},                {4, 2, {2, 1, 3, 1}, {3, 5}}, {2, 2, {1, 300}, {4, 1}},
        {3, 1, {2, 3, 4}, {4}},          {2, 3, {3, 1}, {2, 1, 5}},    {2, 2, {0, 3}, {1, 3}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t na = cort_shape_count(cases[c].a, cases[c].ra), nb = cort_shape_count(cases[c].b, cases[c].rb);
        float *da = malloc(sizeof(float) * (size_t)(na + 1)), *db = malloc(sizeof(float) * (size_t)(nb + 1));
        for (int64_t i = 0; i < na; i++) da[i] = (float)(i * 3 % 17) - 5.0f;
        for (int64_t i = 0; i < nb; i++) db[i] = (float)(i * 7 % 11) + 0.5f;
        cort_value a = ew_tensor(CORT_FLOAT, cases[c].ra, cases[c].a, da);
        cort_value b = ew_tensor(CORT_FLOAT, cases[c].rb, cases[c].b, db);
        cort_value *in[2] = {&a, &b}, out[1];
        ew_node h = ew_make("Mul", 14, 2, 1);
        if (ew_ok(&h, in, out)) {
            int64_t dims[CORT_MAX_RANK];
            int rank;
            CHECK(cort_broadcast_shape(cases[c].a, cases[c].ra, cases[c].b, cases[c].rb, dims, &rank));
            CHECK(out[0].t.rank == rank);
            for (int i = 0; i < rank; i++) CHECK(out[0].t.dims[i] == dims[i]);
            int64_t n = cort_shape_count(dims, rank), coord[CORT_MAX_RANK] = {0};
            const float *y = out[0].t.data;
            for (int64_t i = 0; i < n; i++) {
                int64_t rem = i;
                for (int d = rank - 1; d >= 0; d--) coord[d] = rem % dims[d], rem /= dims[d];
                float want = da[bcast_index(coord, rank, cases[c].a, cases[c].ra)] *
                             db[bcast_index(coord, rank, cases[c].b, cases[c].rb)];
                if (y[i] != want) {
                    fprintf(stderr, "case %zu element %lld: got %g want %g\n", c, (long long)i, y[i], want);
                    CHECK(y[i] == want);
                    break;
                }
            }
        }
        ew_clear(out, 1);
        cort_value_clear(&a);
        cort_value_clear(&b);
        free(da);
        free(db);
    }
}

static void test_broadcast_mismatch_and_legacy(void) {
    int64_t da[2] = {2, 3}, db[1] = {2};
    float xa[6] = {1, 2, 3, 4, 5, 6}, xb[2] = {10, 20};
    cort_value a = ew_tensor(CORT_FLOAT, 2, da, xa), b = ew_tensor(CORT_FLOAT, 1, db, xb);
    cort_value *in[2] = {&a, &b}, out[1];
    ew_node h = ew_make("Add", 14, 2, 1);
    CHECK(ew_fails(&h, in, "do not broadcast"));
    /* opset 6 with broadcast=1, axis=0: B runs along A's first dim */
    h = ew_make("Add", 6, 2, 1);
    ew_attr_int(&h, "broadcast", 1);
    ew_attr_int(&h, "axis", 0);
    if (ew_ok(&h, in, out)) {
        const float want[6] = {11, 12, 13, 24, 25, 26};
        CHECK(out[0].t.rank == 2 && !memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    /* without broadcast=1 the shapes must match */
    h = ew_make("Add", 6, 2, 1);
    CHECK(ew_fails(&h, in, "broadcast is 0"));
    cort_value_clear(&a);
    cort_value_clear(&b);
}

static void test_nan_in_min_max_clip(void) {
    int64_t d = 4;
    float xa[4] = {NAN, 1, 2, NAN}, xb[4] = {0, NAN, 3, NAN};
    cort_value a = ew_tensor(CORT_FLOAT, 1, &d, xa), b = ew_tensor(CORT_FLOAT, 1, &d, xb);
    cort_value *in[2] = {&a, &b}, out[1];
    const char *ops[2] = {"Max", "Min"};
    for (int k = 0; k < 2; k++) {
        ew_node h = ew_make(ops[k], 13, 2, 1);
        if (ew_ok(&h, in, out)) {
            const float *y = out[0].t.data;
            CHECK(isnan(y[0]) && isnan(y[1]) && isnan(y[3]));
            CHECK(y[2] == (k == 0 ? 3.0f : 2.0f));
        }
        ew_clear(out, 1);
    }
    /* Clip keeps NaN; bounds from inputs (opset 13) and from attributes (opset 6) */
    float lo = 0.5f, hi = 1.5f;
    cort_value vlo = ew_tensor(CORT_FLOAT, 0, NULL, &lo), vhi = ew_tensor(CORT_FLOAT, 0, NULL, &hi);
    cort_value *cin[3] = {&b, &vlo, &vhi};
    ew_node h = ew_make("Clip", 13, 3, 1);
    if (ew_ok(&h, cin, out)) {
        const float *y = out[0].t.data;
        CHECK(y[0] == 0.5f && isnan(y[1]) && y[2] == 1.5f && isnan(y[3]));
    }
    ew_clear(out, 1);
    h = ew_make("Clip", 6, 1, 1);
    ew_attr_float(&h, "min", -1.0f);
    ew_attr_float(&h, "max", 2.5f);
    if (ew_ok(&h, cin, out)) {
        const float *y = out[0].t.data;
        CHECK(y[0] == 0.0f && isnan(y[1]) && y[2] == 2.5f);
    }
    ew_clear(out, 1);
    cort_value_clear(&vlo);
    cort_value_clear(&vhi);
    cort_value_clear(&a);
    cort_value_clear(&b);
}

static void test_round_half_even(void) {
    int64_t d = 9;
    float x[9] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, 2.6f, -0.0f};
    float want[9] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 2.0f, 3.0f, -0.0f};
    cort_value a = ew_tensor(CORT_FLOAT, 1, &d, x);
    cort_value *in[1] = {&a}, out[1];
    ew_node h = ew_make("Round", 11, 1, 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        for (int i = 0; i < 9; i++) CHECK(ew_same_f32(y[i], want[i]));
    }
    ew_clear(out, 1);
    cort_value_clear(&a);
}

static void test_integer_mod_and_div(void) {
    int64_t d = 4;
    int32_t xa[4] = {-4, 4, -4, 7}, xb[4] = {3, -3, -3, 2};
    cort_value a = ew_tensor(CORT_INT32, 1, &d, xa), b = ew_tensor(CORT_INT32, 1, &d, xb);
    cort_value *in[2] = {&a, &b}, out[1];
    ew_node h = ew_make("Mod", 13, 2, 1); /* fmod=0: the sign of the divisor */
    if (ew_ok(&h, in, out)) {
        const int32_t want[4] = {2, -2, -1, 1};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    h = ew_make("Mod", 13, 2, 1);
    ew_attr_int(&h, "fmod", 1); /* C's truncating remainder */
    if (ew_ok(&h, in, out)) {
        const int32_t want[4] = {-1, 1, -1, 1};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    h = ew_make("Div", 14, 2, 1); /* truncation toward zero */
    if (ew_ok(&h, in, out)) {
        const int32_t want[4] = {-1, -1, 1, 3};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    cort_value_clear(&b);

    /* INT32_MIN / -1 wraps instead of trapping; a zero divisor is an error */
    int32_t xmin[4] = {INT32_MIN, 1, 2, 3}, xm1[4] = {-1, 1, 1, 1}, xz[4] = {1, 0, 1, 1};
    cort_value_clear(&a);
    a = ew_tensor(CORT_INT32, 1, &d, xmin);
    b = ew_tensor(CORT_INT32, 1, &d, xm1);
    h = ew_make("Div", 14, 2, 1);
    if (ew_ok(&h, in, out)) CHECK(((int32_t *)out[0].t.data)[0] == INT32_MIN);
    ew_clear(out, 1);
    cort_value_clear(&b);
    b = ew_tensor(CORT_INT32, 1, &d, xz);
    h = ew_make("Div", 14, 2, 1);
    CHECK(ew_fails(&h, in, "division by zero"));
    h = ew_make("Mod", 13, 2, 1);
    CHECK(ew_fails(&h, in, "division by zero"));
    cort_value_clear(&a);
    cort_value_clear(&b);

    /* float Mod needs fmod=1 */
    float fa[1] = {-4.5f}, fb[1] = {2.0f};
    int64_t one = 1;
    a = ew_tensor(CORT_FLOAT, 1, &one, fa);
    b = ew_tensor(CORT_FLOAT, 1, &one, fb);
    h = ew_make("Mod", 13, 2, 1);
    CHECK(ew_fails(&h, in, "fmod must be 1"));
    h = ew_make("Mod", 13, 2, 1);
    ew_attr_int(&h, "fmod", 1);
    if (ew_ok(&h, in, out)) CHECK(((float *)out[0].t.data)[0] == -0.5f);
    ew_clear(out, 1);
    cort_value_clear(&a);
    cort_value_clear(&b);
}

/* float16 results round to nearest even, over more elements than one conversion chunk. */
static void test_float16_rounding(void) {
    enum { N = 1000 };
    int64_t d = N;
    uint16_t xa[N], xb[N];
    for (int i = 0; i < N; i++) {
        xa[i] = cort_f32_to_f16(1.0f + (float)(i % 8) / 1024.0f); /* 1 + k ulp */
        xb[i] = cort_f32_to_f16(1.0f / 2048.0f);                  /* half an ulp of 1 */
    }
    cort_value a = ew_tensor(CORT_FLOAT16, 1, &d, xa), b = ew_tensor(CORT_FLOAT16, 1, &d, xb);
    cort_value *in[2] = {&a, &b}, out[1];
    ew_node h = ew_make("Add", 14, 2, 1);
    if (ew_ok(&h, in, out)) {
        const uint16_t *y = out[0].t.data;
        bool all = true;
        for (int i = 0; i < N; i++) {
            int k = i % 8; /* 1 + k ulp + half ulp rounds to the even neighbour */
            float want = 1.0f + (float)(k % 2 ? k + 1 : k) / 1024.0f;
            all = all && cort_f16_to_f32(y[i]) == want;
        }
        CHECK(all);
    }
    ew_clear(out, 1);
    /* float16 -> float32 -> float16 through an activation keeps representable values */
    ew_node r = ew_make("Relu", 14, 1, 1);
    if (ew_ok(&r, in, out)) CHECK(!memcmp(out[0].t.data, xa, sizeof xa));
    ew_clear(out, 1);
    cort_value_clear(&a);
    cort_value_clear(&b);
    /* direct conversions: ties to even and overflow to infinity */
    CHECK(cort_f32_to_f16(65520.0f) == 0x7c00);
    CHECK(cort_f32_to_f16(1.0f + 1.0f / 2048.0f) == 0x3c00);
    CHECK(cort_f32_to_f16(1.0f + 3.0f / 2048.0f) == 0x3c02);
}

/* The vectorised chunk conversions agree with the reference helpers of base/tensor.h. */
static bool f16_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff); }

static void test_half_conversions_match_reference(void) {
    enum { N = 1 << 16 };
    uint16_t *h = malloc(sizeof *h * N), *back = malloc(sizeof *back * N);
    float *f = malloc(sizeof *f * N);
    for (int i = 0; i < N; i++) h[i] = (uint16_t)i;
    cort_ew_half_to_f32(CORT_FLOAT16, h, f, N);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float want = cort_f16_to_f32(h[i]);
        if (!(memcmp(&want, &f[i], sizeof want) == 0 || (isnan(want) && isnan(f[i])))) bad++;
    }
    CHECK(bad == 0);
    /* random bit patterns, and values just around every half and half-way point */
    uint32_t seed = 12345;
    bad = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t u;
            if (round < 20) {
                seed = seed * 1664525u + 1013904223u;
                u = seed;
            } else {
                float base = cort_f16_to_f32((uint16_t)i);
                memcpy(&u, &base, sizeof u);
                u += (uint32_t)(round - 30) * 0x400u; /* steps of 1/8 half-ulp around the value */
            }
            memcpy(&f[i], &u, sizeof u);
        }
        cort_ew_f32_to_half(CORT_FLOAT16, f, back, N);
        for (int i = 0; i < N; i++) {
            uint16_t want = cort_f32_to_f16(f[i]);
            if (back[i] != want && !(f16_is_nan(want) && f16_is_nan(back[i]))) {
                if (bad++ < 3) fprintf(stderr, "f32 %a -> f16 %04x, want %04x\n", (double)f[i], back[i], want);
            }
        }
    }
    CHECK(bad == 0);
    /* bfloat16 both ways */
    for (int i = 0; i < N; i++) h[i] = (uint16_t)i;
    cort_ew_half_to_f32(CORT_BFLOAT16, h, f, N);
    cort_ew_f32_to_half(CORT_BFLOAT16, f, back, N);
    bad = 0;
    for (int i = 0; i < N; i++) {
        if (back[i] != cort_f32_to_bf16(cort_bf16_to_f32(h[i]))) bad++;
    }
    CHECK(bad == 0);
    free(h);
    free(back);
    free(f);
}

static void test_cast_strings(void) {
    int64_t d = 5;
    float x[5] = {0.1f, 1.0f, -2.5f, NAN, -INFINITY};
    cort_value a = ew_tensor(CORT_FLOAT, 1, &d, x);
    cort_value *in[1] = {&a}, out[1];
    ew_node h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_STRING);
    if (ew_ok(&h, in, out)) {
        char **s = out[0].t.data;
        CHECK(!strcmp(s[0], "0.1") && !strcmp(s[1], "1") && !strcmp(s[2], "-2.5"));
        CHECK(!strcmp(s[3], "NaN") && !strcmp(s[4], "-INF"));
    }
    ew_clear(out, 1);
    cort_value_clear(&a);
    const char *strs[3] = {"42", "-7", "1e3"};
    d = 3;
    a = ew_tensor(CORT_STRING, 1, &d, strs);
    h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_INT64);
    if (ew_ok(&h, in, out)) {
        const int64_t *y = out[0].t.data;
        CHECK(y[0] == 42 && y[1] == -7 && y[2] == 1000); /* exponents parse as numbers, not as "1" */
    }
    ew_clear(out, 1);
    h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_DOUBLE);
    if (ew_ok(&h, in, out)) CHECK(((double *)out[0].t.data)[2] == 1000.0);
    ew_clear(out, 1);
    cort_value_clear(&a);
    const char *bad[1] = {"seven"};
    d = 1;
    a = ew_tensor(CORT_STRING, 1, &d, bad);
    h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_INT32);
    CHECK(ew_fails(&h, in, "cannot parse 'seven'"));
    cort_value_clear(&a);
    d = 3;
    /* float to int8 saturates through int64 and wraps like a C conversion, NaN gives 0 */
    float f[3] = {1e30f, -3.9f, NAN};
    a = ew_tensor(CORT_FLOAT, 1, &d, f);
    h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_INT64);
    if (ew_ok(&h, in, out)) {
        const int64_t *y = out[0].t.data;
        CHECK(y[0] == INT64_MAX && y[1] == -3 && y[2] == 0);
    }
    ew_clear(out, 1);
    cort_value_clear(&a);
}

static void test_softmax_axes(void) {
    int64_t d[3] = {2, 2, 2};
    float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    cort_value a = ew_tensor(CORT_FLOAT, 3, d, x);
    cort_value *in[1] = {&a}, out[1];
    /* opset 11, axis 1: each batch's 4 values form one softmax */
    ew_node h = ew_make("Softmax", 11, 1, 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        float s = 0;
        for (int i = 0; i < 4; i++) s += y[i];
        CHECK(fabsf(s - 1) < 1e-6f && y[3] > y[2] && y[2] > y[1]);
    }
    ew_clear(out, 1);
    /* opset 13, axis 1: pairs 2 apart */
    h = ew_make("Softmax", 13, 1, 1);
    ew_attr_int(&h, "axis", 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        CHECK(fabsf(y[0] + y[2] - 1) < 1e-6f && fabsf(y[1] + y[3] - 1) < 1e-6f);
        CHECK(fabsf(y[0] - 1 / (1 + expf(2))) < 1e-6f);
    }
    ew_clear(out, 1);
    h = ew_make("Hardmax", 13, 1, 1);
    if (ew_ok(&h, in, out)) {
        const float want[8] = {0, 1, 0, 1, 0, 1, 0, 1};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    h = ew_make("LogSoftmax", 13, 1, 1);
    ew_attr_int(&h, "axis", 3);
    CHECK(ew_fails(&h, in, "out of range"));
    cort_value_clear(&a);
}

static void test_where_and_strings(void) {
    int64_t dc[2] = {2, 1}, dx[1] = {3};
    uint8_t c[2] = {1, 0};
    const char *xs[3] = {"a", "b", "c"}, *zs[1] = {"z"};
    int64_t one = 1;
    cort_value vc = ew_tensor(CORT_BOOL, 2, dc, c), vx = ew_tensor(CORT_STRING, 1, dx, xs);
    cort_value vz = ew_tensor(CORT_STRING, 1, &one, zs);
    cort_value *in[3] = {&vc, &vx, &vz}, out[1];
    ew_node h = ew_make("Where", 16, 3, 1);
    if (ew_ok(&h, in, out)) {
        char **y = out[0].t.data;
        CHECK(out[0].t.rank == 2 && out[0].t.dims[0] == 2 && out[0].t.dims[1] == 3);
        CHECK(!strcmp(y[0], "a") && !strcmp(y[2], "c") && !strcmp(y[3], "z") && !strcmp(y[5], "z"));
    }
    ew_clear(out, 1);
    /* Equal on strings */
    cort_value *ein[2] = {&vx, &vz};
    h = ew_make("Equal", CORT_OPSET_MAX, 2, 1);
    const char *zz[1] = {"b"};
    cort_value_clear(&vz);
    vz = ew_tensor(CORT_STRING, 1, &one, zz);
    if (ew_ok(&h, ein, out)) {
        const uint8_t *y = out[0].t.data;
        CHECK(y[0] == 0 && y[1] == 1 && y[2] == 0);
    }
    ew_clear(out, 1);
    cort_value_clear(&vc);
    cort_value_clear(&vx);
    cort_value_clear(&vz);
}

static void test_quantize_round_trip(void) {
    int64_t d[2] = {2, 3}, two = 2;
    float x[6] = {0, 1.5f, 2.5f, -1, 1000, 3.5f}, scale[2] = {1, 2};
    uint8_t zp[2] = {10, 0};
    cort_value vx = ew_tensor(CORT_FLOAT, 2, d, x), vs = ew_tensor(CORT_FLOAT, 1, &two, scale);
    cort_value vz = ew_tensor(CORT_UINT8, 1, &two, zp);
    cort_value *in[3] = {&vx, &vs, &vz}, out[1];
    ew_node h = ew_make("QuantizeLinear", 13, 3, 1);
    ew_attr_int(&h, "axis", 0);
    if (ew_ok(&h, in, out)) {
        /* row 0: x + 10 with 1.5 -> 2 and 2.5 -> 2 (half to even); row 1: x/2 saturating at 0 and 255 */
        const uint8_t want[6] = {10, 12, 12, 0, 255, 2};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    cort_value q = out[0];
    cort_value *din[3] = {&q, &vs, &vz};
    h = ew_make("DequantizeLinear", 13, 3, 1);
    ew_attr_int(&h, "axis", 0);
    if (ew_ok(&h, din, out)) {
        const float want[6] = {0, 2, 2, 0, 510, 4};
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    cort_value_clear(&q);
    /* a scale that matches no axis is an error */
    h = ew_make("QuantizeLinear", 13, 3, 1);
    CHECK(ew_fails(&h, in, "scale has 2 elements"));
    cort_value_clear(&vx);
    cort_value_clear(&vs);
    cort_value_clear(&vz);
}

static void test_empty_and_scalar(void) {
    int64_t d[2] = {0, 4};
    cort_value a = ew_tensor(CORT_FLOAT, 2, d, NULL);
    float s = 2;
    cort_value b = ew_tensor(CORT_FLOAT, 0, NULL, &s);
    cort_value *in[2] = {&a, &b}, out[1];
    ew_node h = ew_make("Pow", 15, 2, 1);
    if (ew_ok(&h, in, out)) CHECK(out[0].t.rank == 2 && out[0].t.dims[0] == 0 && cort_tensor_count(&out[0].t) == 0);
    ew_clear(out, 1);
    cort_value *sin[2] = {&b, &b};
    h = ew_make("Sub", 14, 2, 1);
    if (ew_ok(&h, sin, out)) CHECK(out[0].t.rank == 0 && ((float *)out[0].t.data)[0] == 0);
    ew_clear(out, 1);
    cort_value_clear(&a);
    cort_value_clear(&b);
}

/* cort_ew_scale_rows: rows of odd lengths (every vector width's tail), separate and in place. */
static void test_scale_rows(void) {
    enum { ROWS = 5, MAX_LEN = 53 };
    static float x[ROWS * MAX_LEN], y[ROWS * MAX_LEN];
    float scale[ROWS] = {2.0f, -0.5f, 0.0f, 3.25f, -1.0f};
    for (int64_t len = 1; len <= MAX_LEN; len += 13) {
        for (int64_t i = 0; i < ROWS * len; i++) x[i] = (float)(i % 17) - 8.5f;
        cort_ew_scale_rows(x, scale, ROWS, len, y);
        for (int64_t i = 0; i < ROWS * len; i++) CHECK(y[i] == x[i] * scale[i / len]);
        cort_ew_scale_rows(y, scale, ROWS, len, y);
        for (int64_t i = 0; i < ROWS * len; i++) CHECK(y[i] == x[i] * scale[i / len] * scale[i / len]);
    }
}

int main(void) {
    test_broadcast_patterns();
    test_scale_rows();
    test_broadcast_mismatch_and_legacy();
    test_nan_in_min_max_clip();
    test_round_half_even();
    test_integer_mod_and_div();
    test_float16_rounding();
    test_half_conversions_match_reference();
    test_cast_strings();
    test_softmax_axes();
    test_where_and_strings();
    test_quantize_round_trip();
    test_empty_and_scalar();
    return check_report("test_elementwise");
}
