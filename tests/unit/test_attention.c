/* The com.cort operators the transformer fusions emit, run through their registry rows against plain
 * loops: Attention (batch-first and sequence-first, with and without a mask, odd sizes, some query rows
 * only), FusedMatMul
 * (bias, transB, Gelu/FastGelu), Gelu, FastGelu and LayerNormalization; and their errors. */
#include "test_conv_harness.h"

static uint32_t seed = 12345;
static float rnd(void) {
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
}

/* nn_run for a com.cort row. */
static cort_status *run_cort(nn_case *c) {
    const char *why = "";
    c->node.domain = "com.cort";
    c->node.opset = 1;
    const cort_op_def *d = cort_registry_find("com.cort", c->node.op_type, 1, CORT_FLOAT, &why);
    if (!d) return cort_error(CORT_NOT_IMPLEMENTED, "%s: %s", c->node.op_type, why);
    return nn_run_def(c, d);
}

/* Attention by the definition: per batch b and head h, softmax(scale * q k^T, masked) v. */
static void attention_reference(const float *qkv, const unsigned char *mask, int64_t d0, int64_t d1, int seq_axis,
                                int64_t heads, int64_t e, float scale, float fill, float *y) {
    int64_t seq = seq_axis ? d1 : d0, batch = seq_axis ? d0 : d1, dh = e / heads;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++)
            for (int64_t i = 0; i < seq; i++) {
                int64_t ri = seq_axis ? b * seq + i : i * batch + b;
                double p[64], mx = -1e30, sum = 0;
                for (int64_t j = 0; j < seq; j++) {
                    int64_t rj = seq_axis ? b * seq + j : j * batch + b;
                    double s = 0;
                    for (int64_t t = 0; t < dh; t++) s += qkv[ri * 3 * e + h * dh + t] * qkv[rj * 3 * e + e + h * dh + t];
                    p[j] = mask && !mask[i * seq + j] ? fill : scale * s;
                    mx = p[j] > mx ? p[j] : mx;
                }
                for (int64_t j = 0; j < seq; j++) sum += (p[j] = exp(p[j] - mx));
                for (int64_t t = 0; t < dh; t++) {
                    double acc = 0;
                    for (int64_t j = 0; j < seq; j++) {
                        int64_t rj = seq_axis ? b * seq + j : j * batch + b;
                        acc += p[j] / sum * qkv[rj * 3 * e + 2 * e + h * dh + t];
                    }
                    y[ri * e + h * dh + t] = (float)acc;
                }
            }
}

static void check_attention(int64_t d0, int64_t d1, int seq_axis, int64_t heads, int64_t dh, bool masked) {
    int64_t e = heads * dh, seq = seq_axis ? d1 : d0, dims[3] = {d0, d1, 3 * e}, mdims[2] = {seq, seq};
    float qkv[2 * 64 * 3 * 24], want[2 * 64 * 24];
    unsigned char mask[64 * 64];
    for (int64_t i = 0; i < d0 * d1 * 3 * e; i++) qkv[i] = 2 * rnd();
    for (int64_t i = 0; i < seq * seq; i++) mask[i] = i % seq <= i / seq;
    attention_reference(qkv, masked ? mask : NULL, d0, d1, seq_axis, heads, e, 0.3f, -10000.0f, want);
    nn_case c;
    nn_init(&c, "Attention", 1, masked ? 2 : 1, 1);
    nn_attr_int(&c, "num_heads", heads);
    nn_attr_int(&c, "seq_axis", seq_axis);
    nn_attr_float(&c, "scale", 0.3f);
    nn_input(&c, 0, CORT_FLOAT, 3, dims, qkv);
    if (masked) nn_input(&c, 1, CORT_BOOL, 2, mdims, mask);
    CHECK_OK(run_cort(&c));
    int64_t ydims[3] = {d0, d1, e};
    CHECK(nn_out_shape(&c, 0, 3, ydims));
    CHECK(nn_out_close(&c, 0, want, d0 * d1 * e, 1e-5f));
    nn_free(&c);
}

/* With query indices (input 2): only those rows, as a Gather of them along the sequence axis keeps:
 * the axis of their count for a vector, gone for a scalar; an index out of range is refused. */
static void check_attention_queries(int64_t d0, int64_t d1, int seq_axis, bool masked, bool scalar) {
    enum { HEADS = 2, DH = 8, E = HEADS * DH };
    int64_t seq = seq_axis ? d1 : d0, batch = seq_axis ? d0 : d1, dims[3] = {d0, d1, 3 * E}, mdims[2] = {seq, seq};
    float qkv[2 * 64 * 3 * E], full[2 * 64 * E], want[2 * 3 * E];
    unsigned char mask[64 * 64];
    for (int64_t i = 0; i < d0 * d1 * 3 * E; i++) qkv[i] = 2 * rnd();
    for (int64_t i = 0; i < seq * seq; i++) mask[i] = i % seq <= i / seq;
    attention_reference(qkv, masked ? mask : NULL, d0, d1, seq_axis, HEADS, E, 0.3f, -10000.0f, full);
    int64_t idx[3] = {seq - 1, 0, -2}, rows[3] = {seq - 1, 0, seq - 2}, k = scalar ? 1 : 3, kdims[1] = {k};
    for (int64_t b = 0; b < batch; b++)
        for (int64_t r = 0; r < k; r++) {
            int64_t from = seq_axis ? b * seq + rows[r] : rows[r] * batch + b, to = seq_axis ? b * k + r : r * batch + b;
            memcpy(want + to * E, full + from * E, E * sizeof *want);
        }
    for (int bad = 0; bad < 2; bad++) {
        nn_case c;
        nn_init(&c, "Attention", 1, 3, 1);
        nn_attr_int(&c, "num_heads", HEADS);
        nn_attr_int(&c, "seq_axis", seq_axis);
        nn_attr_float(&c, "scale", 0.3f);
        nn_input(&c, 0, CORT_FLOAT, 3, dims, qkv);
        if (masked) nn_input(&c, 1, CORT_BOOL, 2, mdims, mask);
        int64_t out_of_range[3] = {0, seq, 0}; /* as many indices as idx, one of them past the end */
        if (scalar) out_of_range[0] = seq;
        nn_input(&c, 2, CORT_INT64, scalar ? 0 : 1, kdims, bad ? out_of_range : idx);
        cort_status *st = run_cort(&c);
        if (bad) {
            CHECK(st && strstr(cort_status_message(st), "out of range"));
        } else {
            CHECK(!st);
            int64_t ydims[3] = {d0, d1, E};
            if (scalar) memmove(ydims + seq_axis, ydims + seq_axis + 1, (size_t)(2 - seq_axis) * sizeof *ydims);
            else ydims[seq_axis] = k;
            CHECK(!st && nn_out_shape(&c, 0, scalar ? 2 : 3, ydims));
            CHECK(!st && nn_out_close(&c, 0, want, batch * k * E, 1e-5f));
        }
        cort_status_free(st);
        nn_free(&c);
    }
}

static void check_attention_errors(void) {
    float qkv[2 * 3 * 13] = {0};
    int64_t dims[3] = {2, 3, 13}, ok_dims[3] = {1, 2, 12}, mdims[2] = {3, 3};
    unsigned char mask[9] = {0};
    nn_case c;
    nn_init(&c, "Attention", 1, 1, 1);
    nn_attr_int(&c, "num_heads", 2);
    nn_input(&c, 0, CORT_FLOAT, 3, dims, qkv); /* 13 is not 3 x heads x head size */
    cort_status *st = run_cort(&c);
    CHECK(st && strstr(cort_status_message(st), "'t'") && strstr(cort_status_message(st), "num_heads"));
    cort_status_free(st);
    nn_free(&c);
    nn_init(&c, "Attention", 1, 2, 1);
    nn_attr_int(&c, "num_heads", 2);
    nn_input(&c, 0, CORT_FLOAT, 3, ok_dims, qkv);
    nn_input(&c, 1, CORT_BOOL, 2, mdims, mask); /* a 3 x 3 mask for 2 tokens */
    st = run_cort(&c);
    CHECK(st && strstr(cort_status_message(st), "mask"));
    cort_status_free(st);
    nn_free(&c);
    nn_init(&c, "Attention", 1, 1, 1);
    nn_attr_int(&c, "num_heads", 0);
    nn_input(&c, 0, CORT_FLOAT, 3, ok_dims, qkv);
    st = run_cort(&c);
    CHECK(st && strstr(cort_status_message(st), "num_heads"));
    cort_status_free(st);
    nn_free(&c);
}

static double gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double fast_gelu(double x) { return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }

static void check_fused_matmul(bool trans_b, const char *act) {
    enum { M = 7, K = 9, N = 33 };
    float a[M * K], b[K * N], bias[N], want[M * N];
    for (int i = 0; i < M * K; i++) a[i] = rnd();
    for (int i = 0; i < K * N; i++) b[i] = rnd();
    for (int i = 0; i < N; i++) bias[i] = rnd();
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = bias[j];
            for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[trans_b ? j * K + k : k * N + j];
            want[i * N + j] = (float)(!strcmp(act, "Gelu") ? gelu(s) : !strcmp(act, "FastGelu") ? fast_gelu(s) : s);
        }
    int64_t ad[3] = {1, M, K}, bd[2] = {trans_b ? N : K, trans_b ? K : N}, cd[1] = {N}, yd[3] = {1, M, N};
    nn_case c;
    nn_init(&c, "FusedMatMul", 1, 3, 1);
    nn_attr_int(&c, "transB", trans_b);
    if (*act) nn_attr_string(&c, "activation", act);
    nn_input(&c, 0, CORT_FLOAT, 3, ad, a);
    nn_input(&c, 1, CORT_FLOAT, 2, bd, b);
    nn_input(&c, 2, CORT_FLOAT, 1, cd, bias);
    CHECK_OK(run_cort(&c));
    CHECK(nn_out_shape(&c, 0, 3, yd));
    CHECK(nn_out_close(&c, 0, want, M * N, 1e-5f));
    nn_free(&c);
    /* a bias of the wrong length and an unknown activation are refused */
    int64_t short_bias[1] = {N - 1};
    nn_init(&c, "FusedMatMul", 1, 3, 1);
    nn_attr_int(&c, "transB", trans_b);
    nn_input(&c, 0, CORT_FLOAT, 3, ad, a);
    nn_input(&c, 1, CORT_FLOAT, 2, bd, b);
    nn_input(&c, 2, CORT_FLOAT, 1, short_bias, bias);
    cort_status *st = run_cort(&c);
    CHECK(st && strstr(cort_status_message(st), "bias"));
    cort_status_free(st);
    nn_free(&c);
    nn_init(&c, "FusedMatMul", 1, 2, 1);
    nn_attr_string(&c, "activation", "Swish");
    nn_input(&c, 0, CORT_FLOAT, 3, ad, a);
    nn_input(&c, 1, CORT_FLOAT, 2, bd, b);
    st = run_cort(&c);
    CHECK(st && strstr(cort_status_message(st), "Swish"));
    cort_status_free(st);
    nn_free(&c);
}

static void check_gelu_ops(void) {
    enum { N = 1031 }; /* several blocks and a tail */
    static float x[N], want_erf[N], want_tanh[N];
    for (int i = 0; i < N; i++) {
        x[i] = 12 * rnd();
        want_erf[i] = (float)gelu(x[i]);
        want_tanh[i] = (float)fast_gelu(x[i]);
    }
    int64_t dims[2] = {1, N};
    const char *ops[2] = {"Gelu", "FastGelu"};
    for (int k = 0; k < 2; k++) {
        nn_case c;
        nn_init(&c, ops[k], 1, 1, 1);
        nn_input(&c, 0, CORT_FLOAT, 2, dims, x);
        CHECK_OK(run_cort(&c));
        CHECK(nn_out_close(&c, 0, k ? want_tanh : want_erf, N, 2e-5f));
        nn_free(&c);
    }
}

static void check_layernorm(void) {
    enum { R = 3, N = 37 };
    float x[R * N], scale[N], bias[N], want[R * N];
    for (int i = 0; i < R * N; i++) x[i] = 3 * rnd() + 1;
    for (int i = 0; i < N; i++) scale[i] = rnd(), bias[i] = rnd();
    for (int r = 0; r < R; r++) {
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += x[r * N + i] / (double)N;
        for (int i = 0; i < N; i++) var += (x[r * N + i] - mean) * (x[r * N + i] - mean) / N;
        for (int i = 0; i < N; i++) want[r * N + i] = (float)((x[r * N + i] - mean) / sqrt(var + 1e-3) * scale[i] + bias[i]);
    }
    int64_t dims[2] = {R, N}, vd[1] = {N};
    nn_case c;
    nn_init(&c, "LayerNormalization", 1, 3, 1);
    nn_attr_float(&c, "epsilon", 1e-3f);
    nn_input(&c, 0, CORT_FLOAT, 2, dims, x);
    nn_input(&c, 1, CORT_FLOAT, 1, vd, scale);
    nn_input(&c, 2, CORT_FLOAT, 1, vd, bias);
    CHECK_OK(run_cort(&c));
    CHECK(nn_out_close(&c, 0, want, R * N, 1e-5f));
    nn_free(&c);
}

int main(void) {
    check_attention(2, 7, 1, 3, 4, false); /* [batch, seq, 3E] */
    check_attention(1, 64, 1, 2, 8, true); /* causal mask */
    check_attention(5, 2, 0, 3, 4, false); /* [seq, batch, 3E] */
    check_attention(9, 1, 0, 1, 24, true);
    check_attention_queries(2, 9, 1, true, false); /* [batch, seq, 3E], causal mask, three rows */
    check_attention_queries(2, 9, 1, false, true);
    check_attention_queries(11, 1, 0, false, true); /* [seq, batch, 3E], ViT's class token */
    check_attention_queries(7, 2, 0, true, false);
    check_attention_errors();
    check_fused_matmul(false, "");
    check_fused_matmul(false, "Gelu");
    check_fused_matmul(true, "FastGelu");
    check_gelu_ops();
    check_layernorm();
    return check_report("test_attention");
}
