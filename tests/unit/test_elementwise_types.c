/* Elementwise operators across element types and opset variants: the Cast matrix, variadic ops with
 * broadcasting, BitShift widths, mixed-type Pow, legacy PRelu, IsInf flags, integer Abs/Sign/Clip,
 * Dropout, Identity of sequences, DynamicQuantizeLinear of zeros, and load-time inference. */
#include <stdint.h>

#include "test_elementwise_harness.h"

static const int32_t numeric_types[] = {CORT_FLOAT, CORT_DOUBLE, CORT_FLOAT16, CORT_BFLOAT16, CORT_INT8,
                                        CORT_INT16, CORT_INT32,  CORT_INT64,   CORT_UINT8,    CORT_UINT16,
                                        CORT_UINT32, CORT_UINT64, CORT_BOOL};
#define N_NUMERIC ((int)(sizeof numeric_types / sizeof numeric_types[0]))

/* A 1-D tensor of `type` holding `vals` converted with the shared setter. */
static cort_value typed_vector(int32_t type, const double *vals, int64_t n) {
    cort_value v = ew_tensor(type, 1, &n, NULL);
    for (int64_t i = 0; i < n; i++) cort_set_f64(&v.t, i, vals[i]);
    return v;
}

static void test_cast_matrix(void) {
    const double vals[4] = {0, 1, 2, 100};
    int bad = 0;
    for (int s = 0; s < N_NUMERIC; s++) {
        for (int d = 0; d < N_NUMERIC; d++) {
            cort_value x = typed_vector(numeric_types[s], vals, 4), out[1];
            cort_value *in[1] = {&x};
            ew_node h = ew_make("Cast", 13, 1, 1);
            ew_attr_int(&h, "to", numeric_types[d]);
            if (ew_ok(&h, in, out)) {
                for (int i = 0; i < 4; i++) {
                    double src = cort_get_f64(&x.t, i), got = cort_get_f64(&out[0].t, i);
                    double want = numeric_types[d] == CORT_BOOL ? src != 0 : src;
                    if (out[0].t.type != numeric_types[d] || got != want) {
                        if (bad++ < 5)
                            fprintf(stderr, "cast %s -> %s [%d]: got %g want %g\n", cort_type_name(numeric_types[s]),
                                    cort_type_name(numeric_types[d]), i, got, want);
                    }
                }
            }
            ew_clear(out, 1);
            cort_value_clear(&x);
        }
    }
    CHECK(bad == 0);
    /* opset 1 names the target type with a string */
    cort_value x = typed_vector(CORT_FLOAT, (const double[]){2.75, -1.5}, 2), out[1];
    cort_value *in[1] = {&x};
    ew_node h = ew_make("Cast", 1, 1, 1);
    cort_attr *a = &h.attrs[h.node.n_attrs++];
    a->name = "to", a->type = CORT_ATTR_STRING, a->s = "INT32", a->s_len = 5;
    if (ew_ok(&h, in, out)) {
        CHECK(out[0].t.type == CORT_INT32);
        CHECK(((int32_t *)out[0].t.data)[0] == 2 && ((int32_t *)out[0].t.data)[1] == -1);
    }
    ew_clear(out, 1);
    /* uint64 values above INT64_MAX survive a round trip through strings */
    cort_value_clear(&x);
    int64_t one = 1;
    uint64_t big = UINT64_MAX - 5;
    x = ew_tensor(CORT_UINT64, 1, &one, &big);
    h = ew_make("Cast", 13, 1, 1);
    ew_attr_int(&h, "to", CORT_STRING);
    if (ew_ok(&h, in, out)) {
        CHECK(!strcmp(((char **)out[0].t.data)[0], "18446744073709551610"));
        cort_value s = out[0];
        cort_value *sin[1] = {&s};
        h = ew_make("Cast", 13, 1, 1);
        ew_attr_int(&h, "to", CORT_UINT64);
        if (ew_ok(&h, sin, out)) CHECK(((uint64_t *)out[0].t.data)[0] == big);
        ew_clear(out, 1);
        cort_value_clear(&s);
    }
    cort_value_clear(&x);
}

static void test_variadic_broadcast(void) {
    int64_t d0[2] = {2, 1}, d1[1] = {3}, d2[2] = {1, 1};
    float x0[2] = {1, 2}, x1[3] = {10, 20, 30}, x2[1] = {100};
    cort_value a = ew_tensor(CORT_FLOAT, 2, d0, x0), b = ew_tensor(CORT_FLOAT, 1, d1, x1);
    cort_value c = ew_tensor(CORT_FLOAT, 2, d2, x2);
    cort_value *in[3] = {&a, &b, &c}, out[1];
    ew_node h = ew_make("Sum", 13, 3, 1);
    if (ew_ok(&h, in, out)) {
        const float want[6] = {111, 121, 131, 112, 122, 132};
        CHECK(out[0].t.rank == 2 && out[0].t.dims[0] == 2 && out[0].t.dims[1] == 3);
        CHECK(!memcmp(out[0].t.data, want, sizeof want));
    }
    ew_clear(out, 1);
    h = ew_make("Mean", 13, 3, 1);
    if (ew_ok(&h, in, out)) CHECK(((float *)out[0].t.data)[0] == 37.0f);
    ew_clear(out, 1);
    h = ew_make("Max", 13, 3, 1);
    if (ew_ok(&h, in, out)) CHECK(((float *)out[0].t.data)[5] == 100.0f);
    ew_clear(out, 1);
    /* in place: output 0 in input 0's buffer, with input 0 passed again as input 2 */
    cort_value x = ew_tensor(CORT_FLOAT, 2, d0, x0), y = ew_tensor(CORT_FLOAT, 2, d0, (float[]){10, 20});
    cort_value *rep[3] = {&x, &y, &x};
    h = ew_make("Sum", 13, 3, 1);
    h.inplace = true;
    if (ew_ok(&h, rep, out)) {
        CHECK(out[0].t.data == x.t.data);
        CHECK(((float *)x.t.data)[0] == 12 && ((float *)x.t.data)[1] == 24);
    }
    ew_clear(out, 1);
    cort_value_clear(&x);
    cort_value_clear(&y);
    /* one input: a copy */
    h = ew_make("Min", 13, 1, 1);
    if (ew_ok(&h, in, out)) CHECK(!memcmp(out[0].t.data, x0, sizeof x0));
    ew_clear(out, 1);
    /* mixed types are refused */
    cort_value_clear(&c);
    c = typed_vector(CORT_DOUBLE, (const double[]){1}, 1);
    h = ew_make("Sum", 13, 3, 1);
    CHECK(ew_fails(&h, in, "has type double"));
    cort_value_clear(&a);
    cort_value_clear(&b);
    cort_value_clear(&c);
    /* Mean of float16 divides in float */
    a = typed_vector(CORT_FLOAT16, (const double[]){1, 2}, 2);
    b = typed_vector(CORT_FLOAT16, (const double[]){2, 2}, 2);
    cort_value *hin[2] = {&a, &b};
    h = ew_make("Mean", 13, 2, 1);
    if (ew_ok(&h, hin, out)) CHECK(cort_get_f64(&out[0].t, 0) == 1.5 && cort_get_f64(&out[0].t, 1) == 2.0);
    ew_clear(out, 1);
    cort_value_clear(&a);
    cort_value_clear(&b);
}

static void test_bitshift_widths(void) {
    int64_t n = 4;
    uint64_t x[4] = {1, 1, UINT64_MAX, 0x8000000000000000u}, s[4] = {63, 64, 4, 200};
    cort_value a = ew_tensor(CORT_UINT64, 1, &n, x), b = ew_tensor(CORT_UINT64, 1, &n, s);
    cort_value *in[2] = {&a, &b}, out[1];
    ew_node h = ew_make("BitShift", 11, 2, 1);
    cort_attr *dir = &h.attrs[h.node.n_attrs++];
    dir->name = "direction", dir->type = CORT_ATTR_STRING, dir->s = "LEFT", dir->s_len = 4;
    if (ew_ok(&h, in, out)) {
        const uint64_t *y = out[0].t.data;
        CHECK(y[0] == 0x8000000000000000u && y[1] == 0 && y[2] == 0xfffffffffffffff0u && y[3] == 0);
    }
    ew_clear(out, 1);
    cort_value_clear(&a);
    cort_value_clear(&b);
    uint8_t x8[2] = {0x81, 0x81}, s8[2] = {1, 7};
    n = 2;
    a = ew_tensor(CORT_UINT8, 1, &n, x8);
    b = ew_tensor(CORT_UINT8, 1, &n, s8);
    dir->s = "RIGHT", dir->s_len = 5;
    if (ew_ok(&h, in, out)) CHECK(((uint8_t *)out[0].t.data)[0] == 0x40 && ((uint8_t *)out[0].t.data)[1] == 1);
    ew_clear(out, 1);
    dir->s = "UP", dir->s_len = 2;
    CHECK(ew_fails(&h, in, "LEFT or RIGHT"));
    cort_value_clear(&a);
    cort_value_clear(&b);
}

static void test_pow_mixed_types(void) {
    cort_value base = typed_vector(CORT_INT32, (const double[]){2, 3, -2, 5}, 4);
    cort_value expo = typed_vector(CORT_FLOAT, (const double[]){3, 0.5, 2, -1}, 4);
    cort_value *in[2] = {&base, &expo}, out[1];
    ew_node h = ew_make("Pow", 15, 2, 1);
    if (ew_ok(&h, in, out)) {
        const int32_t *y = out[0].t.data; /* int base: the result truncates toward zero */
        CHECK(out[0].t.type == CORT_INT32 && y[0] == 8 && y[1] == 1 && y[2] == 4 && y[3] == 0);
    }
    ew_clear(out, 1);
    cort_value_clear(&expo);
    /* int64 exponent on int32 base: exact integer powers */
    expo = typed_vector(CORT_INT64, (const double[]){30, 19, 3, -1}, 4);
    if (ew_ok(&h, in, out)) {
        const int32_t *y = out[0].t.data;
        CHECK(y[0] == 1073741824 && y[1] == 1162261467 && y[2] == -8 && y[3] == 0);
    }
    ew_clear(out, 1);
    cort_value_clear(&base);
    /* float base with an int64 exponent, broadcasting a scalar exponent */
    base = typed_vector(CORT_FLOAT, (const double[]){1.5, -2, 4, 0}, 4);
    cort_value_clear(&expo);
    int64_t two = 2;
    expo = ew_tensor(CORT_INT64, 0, NULL, &two);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        CHECK(y[0] == 2.25f && y[1] == 4.0f && y[2] == 16.0f && y[3] == 0.0f);
    }
    ew_clear(out, 1);
    cort_value_clear(&expo);
    /* float exponents given once: squares, roots and the general case; a higher-rank exponent grows
     * the output's rank */
    const struct {
        float e;
        float want[4];
    } cases[] = {{2, {2.25f, 4, 16, 0}}, {0.5f, {sqrtf(1.5f), NAN, 2, 0}}, {-1, {1 / 1.5f, -0.5f, 0.25f, -INFINITY}}};
    float *bv = base.t.data;
    bv[3] = -0.0f; /* pow(-0, 0.5) is +0, pow(-0, 2) is +0, pow(-0, -1) is -inf */
    for (int c = 0; c < 3; c++) {
        int64_t one[2] = {1, 1};
        expo = ew_tensor(CORT_FLOAT, 1, one, &cases[c].e);
        if (ew_ok(&h, in, out)) {
            const float *y = out[0].t.data;
            for (int i = 0; i < 4; i++) CHECK(ew_same_f32(y[i], cases[c].want[i]));
        }
        ew_clear(out, 1);
        cort_value_clear(&expo);
        expo = ew_tensor(CORT_FLOAT, 2, one, &cases[c].e);
        if (ew_ok(&h, in, out)) CHECK(out[0].t.rank == 2 && out[0].t.dims[0] == 1 && out[0].t.dims[1] == 4);
        ew_clear(out, 1);
        cort_value_clear(&expo);
    }
    cort_value_clear(&base);
}

static void test_legacy_prelu_and_slope_broadcast(void) {
    int64_t dx[3] = {2, 3, 2}, ds = 3;
    float x[12] = {-1, 1, -1, 1, -1, 1, -2, 2, -2, 2, -2, 2}, s[3] = {0.1f, 0.2f, 0.3f};
    cort_value a = ew_tensor(CORT_FLOAT, 3, dx, x), b = ew_tensor(CORT_FLOAT, 1, &ds, s);
    cort_value *in[2] = {&a, &b}, out[1];
    /* opset 6: a 1-D slope runs along the channel axis */
    ew_node h = ew_make("PRelu", 6, 2, 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        CHECK(y[0] == -0.1f && y[1] == 1 && y[2] == -0.2f && y[4] == -0.3f && y[6] == -0.2f);
    }
    ew_clear(out, 1);
    /* opset 16: numpy rules align the slope with the last dim (2), which does not match 3 */
    h = ew_make("PRelu", 16, 2, 1);
    CHECK(ew_fails(&h, in, "do not broadcast"));
    cort_value_clear(&b);
    /* a slope that would grow X is refused */
    int64_t dbig[4] = {2, 2, 3, 2};
    float sb[24] = {0};
    b = ew_tensor(CORT_FLOAT, 4, dbig, sb);
    CHECK(ew_fails(&h, in, "does not broadcast to X"));
    cort_value_clear(&a);
    cort_value_clear(&b);
}

static void test_integer_unary_and_flags(void) {
    int64_t n = 4;
    int8_t xi[4] = {INT8_MIN, -3, 0, 5};
    cort_value a = ew_tensor(CORT_INT8, 1, &n, xi), out[1];
    cort_value *in[1] = {&a};
    ew_node h = ew_make("Abs", 13, 1, 1);
    if (ew_ok(&h, in, out)) {
        const int8_t *y = out[0].t.data; /* |INT8_MIN| wraps, as in C on two's complement */
        CHECK(y[0] == INT8_MIN && y[1] == 3 && y[2] == 0 && y[3] == 5);
    }
    ew_clear(out, 1);
    h = ew_make("Sign", 13, 1, 1);
    if (ew_ok(&h, in, out)) {
        const int8_t *y = out[0].t.data;
        CHECK(y[0] == -1 && y[1] == -1 && y[2] == 0 && y[3] == 1);
    }
    ew_clear(out, 1);
    h = ew_make("Neg", 13, 1, 1);
    if (ew_ok(&h, in, out)) CHECK(((int8_t *)out[0].t.data)[1] == 3);
    ew_clear(out, 1);
    cort_value_clear(&a);
    /* Neg is not defined for unsigned types */
    a = typed_vector(CORT_UINT8, (const double[]){1}, 1);
    h = ew_make("Neg", 13, 1, 1);
    CHECK(ew_fails(&h, in, "type not supported"));
    cort_value_clear(&a);

    float xf[4] = {INFINITY, -INFINITY, NAN, 1};
    a = ew_tensor(CORT_FLOAT, 1, &n, xf);
    h = ew_make("IsInf", 10, 1, 1);
    ew_attr_int(&h, "detect_positive", 0);
    if (ew_ok(&h, in, out)) {
        const uint8_t *y = out[0].t.data;
        CHECK(out[0].t.type == CORT_BOOL && y[0] == 0 && y[1] == 1 && y[2] == 0 && y[3] == 0);
    }
    ew_clear(out, 1);
    h = ew_make("IsNaN", 13, 1, 1);
    if (ew_ok(&h, in, out)) CHECK(!memcmp(out[0].t.data, (uint8_t[]){0, 0, 1, 0}, 4));
    ew_clear(out, 1);
    cort_value_clear(&a);

    /* Clip of uint8 with only a max input (min omitted) */
    uint8_t xu[4] = {0, 100, 200, 255}, hi = 150;
    a = ew_tensor(CORT_UINT8, 1, &n, xu);
    cort_value vhi = ew_tensor(CORT_UINT8, 0, NULL, &hi);
    cort_value *cin[3] = {&a, NULL, &vhi};
    h = ew_make("Clip", 13, 3, 1);
    if (ew_ok(&h, cin, out)) CHECK(!memcmp(out[0].t.data, (uint8_t[]){0, 100, 150, 150}, 4));
    ew_clear(out, 1);
    /* bounds must have the input's type */
    cort_value fhi = typed_vector(CORT_FLOAT, (const double[]){1}, 1);
    cin[2] = &fhi;
    CHECK(ew_fails(&h, cin, "expected uint8"));
    cort_value_clear(&fhi);
    cort_value_clear(&vhi);
    cort_value_clear(&a);
}

static void test_dropout_and_identity(void) {
    cort_value x = typed_vector(CORT_FLOAT, (const double[]){1, 2, 3}, 3), out[2];
    cort_value *in[3] = {&x, NULL, NULL};
    ew_node h = ew_make("Dropout", 13, 1, 2);
    if (ew_ok(&h, in, out)) {
        CHECK(!memcmp(out[0].t.data, x.t.data, 3 * sizeof(float)));
        CHECK(out[1].t.type == CORT_BOOL && !memcmp(out[1].t.data, (uint8_t[]){1, 1, 1}, 3));
    }
    ew_clear(out, 2);
    uint8_t yes = 1;
    float ratio = 0.25f;
    cort_value train = ew_tensor(CORT_BOOL, 0, NULL, &yes), r = ew_tensor(CORT_FLOAT, 0, NULL, &ratio);
    in[1] = &r;
    in[2] = &train;
    h = ew_make("Dropout", 13, 3, 1);
    CHECK(ew_fails(&h, in, "training mode is not supported"));
    ratio = 0;
    cort_value_clear(&r);
    r = ew_tensor(CORT_FLOAT, 0, NULL, &ratio);
    if (ew_ok(&h, in, out)) CHECK(!memcmp(out[0].t.data, x.t.data, 3 * sizeof(float)));
    ew_clear(out, 1);
    cort_value_clear(&r);
    cort_value_clear(&train);

    /* Identity of a sequence goes through set_output_value */
    cort_value seq = {0};
    seq.kind = CORT_VALUE_SEQUENCE;
    seq.seq_elem_type = CORT_FLOAT;
    seq.seq_len = 1;
    seq.seq = calloc(1, sizeof *seq.seq);
    CHECK_OK(cort_value_copy(&seq.seq[0], &x));
    cort_value *sin[1] = {&seq};
    h = ew_make("Identity", 16, 1, 1);
    if (ew_ok(&h, sin, out)) {
        CHECK(out[0].kind == CORT_VALUE_SEQUENCE && out[0].seq_len == 1);
        if (out[0].seq_len == 1) CHECK(!memcmp(out[0].seq[0].t.data, x.t.data, 3 * sizeof(float)));
    }
    ew_clear(out, 1);
    cort_value_clear(&seq);
    cort_value_clear(&x);
}

static void test_dynamic_quantize_zeros(void) {
    cort_value x = typed_vector(CORT_FLOAT, (const double[]){0, 0, 0}, 3), out[3];
    cort_value *in[1] = {&x};
    ew_node h = ew_make("DynamicQuantizeLinear", 11, 1, 3);
    if (ew_ok(&h, in, out)) {
        CHECK(!memcmp(out[0].t.data, (uint8_t[]){0, 0, 0}, 3));
        CHECK(*(float *)out[1].t.data == 0 && *(uint8_t *)out[2].t.data == 0);
    }
    ew_clear(out, 3);
    cort_value_clear(&x);
    /* [-1, 2]: scale 3/255, zero point round(255/3) = 85 */
    x = typed_vector(CORT_FLOAT, (const double[]){-1, 2, 0.5}, 3);
    if (ew_ok(&h, in, out)) {
        const uint8_t *y = out[0].t.data;
        CHECK(*(uint8_t *)out[2].t.data == 85 && y[0] == 0 && y[1] == 255);
        CHECK(fabsf(*(float *)out[1].t.data - 3.0f / 255) < 1e-9f);
    }
    ew_clear(out, 3);
    cort_value_clear(&x);
}

/* Where over element sizes 1..8, contiguous and broadcast. */
static void test_where_sizes(void) {
    const int32_t types[4] = {CORT_INT8, CORT_FLOAT16, CORT_INT32, CORT_DOUBLE};
    int64_t n = 5;
    uint8_t c[5] = {1, 0, 0, 1, 1};
    cort_value vc = ew_tensor(CORT_BOOL, 1, &n, c);
    for (int t = 0; t < 4; t++) {
        cort_value x = typed_vector(types[t], (const double[]){1, 2, 3, 4, 5}, 5);
        cort_value z = typed_vector(types[t], (const double[]){-1, -2, -3, -4, -5}, 5), out[1];
        cort_value zs = typed_vector(types[t], (const double[]){9}, 1);
        zs.t.rank = 0;
        cort_value *in[3] = {&vc, &x, &z}, *bin[3] = {&vc, &x, &zs};
        ew_node h = ew_make("Where", 16, 3, 1);
        if (ew_ok(&h, in, out)) {
            CHECK(out[0].t.type == types[t]);
            const double want[5] = {1, -2, -3, 4, 5};
            for (int i = 0; i < 5; i++) CHECK(cort_get_f64(&out[0].t, i) == want[i]);
        }
        ew_clear(out, 1);
        if (ew_ok(&h, bin, out)) {
            const double want[5] = {1, 9, 9, 4, 5};
            for (int i = 0; i < 5; i++) CHECK(cort_get_f64(&out[0].t, i) == want[i]);
        }
        ew_clear(out, 1);
        cort_value_clear(&x);
        cort_value_clear(&z);
        cort_value_clear(&zs);
    }
    cort_value_clear(&vc);
}

/* Activations at their edges: signed zeros, tiny and huge magnitudes, infinities and NaN. */
static void test_activation_edges(void) {
    const float x[11] = {-INFINITY, -20, -1, -1e-6f, -0.0f, 0.0f, 1e-30f, 0.5f, 3, INFINITY, NAN};
    int64_t n = 11;
    cort_value a = ew_tensor(CORT_FLOAT, 1, &n, x), out[1];
    cort_value *in[1] = {&a};
    ew_node h = ew_make("Tanh", 13, 1, 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        for (int i = 0; i < 11; i++) {
            double want = tanh((double)x[i]);
            bool ok = isnan(want) ? isnan(y[i]) : fabs(y[i] - want) <= 2e-7 * fabs(want) && !signbit(y[i]) == !signbit(want);
            if (!ok) fprintf(stderr, "tanh(%g) = %g, want %g\n", x[i], y[i], want);
            CHECK(ok);
        }
    }
    ew_clear(out, 1);
    h = ew_make("Sigmoid", 13, 1, 1);
    if (ew_ok(&h, in, out)) {
        const float *y = out[0].t.data;
        for (int i = 0; i < 11; i++) {
            double want = 1 / (1 + exp(-(double)x[i]));
            bool ok = isnan(want) ? isnan(y[i]) : fabs(y[i] - want) <= 2e-7 * fabs(want);
            if (!ok) fprintf(stderr, "sigmoid(%g) = %g, want %g\n", x[i], y[i], want);
            CHECK(ok);
        }
    }
    ew_clear(out, 1);
    cort_value_clear(&a);
}

/* Every row flagged CORT_OP_INPLACE_INPUT0 gives the same result when output 0 is input 0's buffer. */
static void test_inplace_matches(void) {
    static const char *const unary_ops[] = {"Abs",     "Neg",     "Sqrt",    "Exp",       "Round",    "Relu",
                                            "Sigmoid", "Tanh",    "Elu",     "HardSwish", "Softplus", "Softmax",
                                            "LogSoftmax", "Hardmax", "Shrink", "Sign",     "Erf",      "Celu"};
    static const char *const binary_ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu"};
    int64_t d[2] = {3, 37};
    float xa[111], xb[111];
    for (int i = 0; i < 111; i++) xa[i] = (float)(i % 13) * 0.37f - 2.0f, xb[i] = (float)(i % 7) * 0.5f + 0.25f;
    int32_t types[2] = {CORT_FLOAT, CORT_FLOAT16};
    for (int t = 0; t < 2; t++) {
        for (size_t k = 0; k < sizeof unary_ops / sizeof unary_ops[0] + sizeof binary_ops / sizeof binary_ops[0]; k++) {
            bool unary = k < sizeof unary_ops / sizeof unary_ops[0];
            const char *op = unary ? unary_ops[k] : binary_ops[k - sizeof unary_ops / sizeof unary_ops[0]];
            int n_in = unary ? 1 : 2;
            double va[111], vb[111];
            for (int i = 0; i < 111; i++) va[i] = xa[i], vb[i] = xb[i];
            cort_value a = typed_vector(types[t], va, 111), b = typed_vector(types[t], vb, 111), out[1];
            a.t.rank = b.t.rank = 2;
            a.t.dims[0] = b.t.dims[0] = d[0];
            a.t.dims[1] = b.t.dims[1] = d[1];
            cort_value a2 = {0};
            CHECK_OK(cort_value_copy(&a2, &a));
            cort_value *in[2] = {&a, &b}, *in2[2] = {&a2, &b};
            ew_node h = ew_make(op, 17, n_in, 1);
            if (ew_ok(&h, in, out)) {
                h.inplace = true;
                cort_value out2[1];
                if (ew_ok(&h, in2, out2)) {
                    bool same = out2[0].t.data == a2.t.data && !memcmp(out[0].t.data, a2.t.data, cort_tensor_nbytes(&a.t));
                    if (!same) fprintf(stderr, "%s (%s) differs in place\n", op, cort_type_name(types[t]));
                    CHECK(same);
                }
                ew_clear(out2, 1);
            }
            ew_clear(out, 1);
            cort_value_clear(&a);
            cort_value_clear(&a2);
            cort_value_clear(&b);
        }
    }
}

/* ---- load-time inference */
static cort_status *infer_node(const char *op, int opset, int n_in, const cort_type *const *in, cort_type *out,
                               cort_pool *pool) {
    const char *why = "";
    const cort_op_def *def = cort_registry_find("", op, opset, 0, &why);
    if (!def || !def->infer) return cort_error(CORT_FAIL, "%s: no infer (%s)", op, why);
    ew_node h = ew_make(op, opset, n_in, 1);
    h.node.inputs = h.ids;
    h.node.outputs = h.out_ids;
    h.node.attrs = h.attrs;
    void *params = def->params_size ? cort_pool_alloc(pool, def->params_size) : NULL;
    cort_parse_ctx pc = {&h.node, NULL, params, pool};
    if (def->parse) CORT_TRY(def->parse(&pc));
    const cort_tensor *consts[4] = {0};
    cort_infer_ctx ic = {&h.node, params, n_in, 1, in, consts, out, pool};
    return def->infer(&ic);
}

static void test_infer_broadcast(void) {
    cort_pool pool;
    cort_pool_init(&pool);
    cort_dim da[3] = {{-1, "N"}, {3, NULL}, {1, NULL}}, db[2] = {{-1, NULL}, {5, NULL}};
    cort_type ta = {0}, tb = {0}, out = {0};
    cort_type_set_tensor(&ta, CORT_FLOAT, 3, da);
    cort_type_set_tensor(&tb, CORT_FLOAT, 2, db);
    const cort_type *in[2] = {&ta, &tb};
    CHECK_OK(infer_node("Add", 14, 2, in, &out, &pool));
    CHECK(out.kind == CORT_TYPE_TENSOR && out.elem == CORT_FLOAT && out.rank == 3);
    if (out.rank == 3) {
        CHECK(out.dims[0].value < 0 && out.dims[0].symbol && !strcmp(out.dims[0].symbol, "N"));
        CHECK(out.dims[1].value == 3); /* unknown vs 3: must be 3 (or 1, which leaves 3) */
        CHECK(out.dims[2].value == 5);
    }
    memset(&out, 0, sizeof out);
    CHECK_OK(infer_node("Less", 13, 2, in, &out, &pool));
    CHECK(out.elem == CORT_BOOL && out.rank == 3);
    /* an unknown rank leaves the shape unknown but keeps the type */
    cort_type tu = {0};
    cort_type_set_tensor(&tu, CORT_FLOAT, -1, NULL);
    const cort_type *uin[2] = {&ta, &tu};
    memset(&out, 0, sizeof out);
    CHECK_OK(infer_node("Mul", 14, 2, uin, &out, &pool));
    CHECK(out.elem == CORT_FLOAT && out.rank == -1);
    /* Cast changes only the element type */
    memset(&out, 0, sizeof out);
    const char *why;
    const cort_op_def *def = cort_registry_find("", "Sigmoid", 13, CORT_FLOAT, &why);
    CHECK(def && def->infer);
    CHECK_OK(infer_node("Sigmoid", 13, 1, in, &out, &pool));
    CHECK(out.rank == 3 && out.dims[1].value == 3 && out.elem == CORT_FLOAT);
    cort_pool_release(&pool);
}

int main(void) {
    test_cast_matrix();
    test_variadic_broadcast();
    test_bitshift_widths();
    test_pow_mixed_types();
    test_legacy_prelu_and_slope_broadcast();
    test_integer_unary_and_flags();
    test_dropout_and_identity();
    test_dynamic_quantize_zeros();
    test_where_sizes();
    test_activation_edges();
    test_inplace_matches();
    test_infer_broadcast();
    return check_report("test_elementwise_types");
}
