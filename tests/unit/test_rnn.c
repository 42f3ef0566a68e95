/* RNN, GRU and LSTM kernels run directly through their registry rows with a minimal kernel context:
 * single steps against hand-computed values, and longer bidirectional runs with sequence_lens and both
 * layouts against a plain reference written here from the ONNX equations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/op.h"

/* ------------------------------------------------------------------ a minimal kernel context */

typedef struct fake_run {
    cort_value outs[3];
    void *scratch[64];
    int n_scratch;
} fake_run;

static cort_status *fake_alloc_output(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                                      cort_tensor **out) {
    fake_run *fr = ctx->exec;
    CORT_TRY(cort_value_alloc_tensor(&fr->outs[index], type, rank, dims));
    *out = &fr->outs[index].t;
    return NULL;
}

static void *fake_scratch(cort_kctx *ctx, size_t bytes) {
    fake_run *fr = ctx->exec;
    if (fr->n_scratch == 64) return NULL;
    void *p = cort_aligned_alloc(bytes);
    if (p) fr->scratch[fr->n_scratch++] = p;
    return p;
}

/* Runs the chunks one after another but unevenly, so kernels that split work see chunk boundaries. */
static void serial_for(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    int64_t chunk = n / 3 + 1;
    for (int64_t b = 0; b < n; b += chunk) fn(arg, b, b + chunk < n ? b + chunk : n);
}

static const cort_kctx_services fake_services = {
    .alloc_output = fake_alloc_output, .scratch = fake_scratch, .parallel_for = serial_for};

typedef struct op_case {
    const char *op;
    int opset;
    cort_attr attrs[8];
    int n_attrs;
    cort_value ins[8];
    int n_in;
    fake_run run;
} op_case;

static void add_int(op_case *c, const char *name, int64_t v) {
    c->attrs[c->n_attrs++] = (cort_attr){.name = name, .type = CORT_ATTR_INT, .i = v};
}

static void add_string(op_case *c, const char *name, const char *s) {
    c->attrs[c->n_attrs++] = (cort_attr){.name = name, .type = CORT_ATTR_STRING, .s = s, .s_len = strlen(s)};
}

/* Input i as a float tensor viewing `data` (NULL leaves the input omitted). */
static void set_input(op_case *c, int i, int rank, const int64_t *dims, const float *data) {
    if (i >= c->n_in) c->n_in = i + 1;
    if (!data) return;
    cort_value *v = &c->ins[i];
    v->kind = CORT_VALUE_TENSOR;
    v->t.type = CORT_FLOAT;
    v->t.rank = rank;
    memcpy(v->t.dims, dims, (size_t)rank * sizeof *dims);
    v->t.data = (void *)data;
}

static void set_lens(op_case *c, int64_t batch, const int32_t *lens) {
    if (c->n_in < 5) c->n_in = 5;
    cort_value *v = &c->ins[4];
    v->kind = CORT_VALUE_TENSOR;
    v->t.type = CORT_INT32;
    v->t.rank = 1;
    v->t.dims[0] = batch;
    v->t.data = (void *)lens;
}

/* The thread count kernels see; serial_for runs their chunks one after another either way. */
static int ctx_threads = 1;

static cort_status *run_case(op_case *c) {
    const char *why = NULL;
    const cort_op_def *def = cort_registry_find("", c->op, c->opset, CORT_FLOAT, &why);
    if (!def) return cort_error(CORT_FAIL, "%s: %s", c->op, why);
    int outputs[3] = {0, 1, 2}, inputs[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    cort_node node = {.name = "n", .op_type = c->op, .domain = "", .opset = c->opset, .n_inputs = c->n_in,
                      .n_outputs = 3, .n_attrs = c->n_attrs, .inputs = inputs, .outputs = outputs, .attrs = c->attrs};
    cort_pool pool;
    cort_pool_init(&pool);
    void *params = cort_pool_alloc(&pool, def->params_size);
    cort_parse_ctx pc = {&node, NULL, params, &pool};
    cort_status *st = def->parse ? def->parse(&pc) : NULL;
    if (!st) {
        const cort_value *in[8];
        for (int i = 0; i < 8; i++) in[i] = c->ins[i].kind ? &c->ins[i] : NULL;
        cort_kctx ctx = {.node = &node, .params = params, .n_in = c->n_in, .n_out = 3, .in = in,
                         .svc = &fake_services, .exec = &c->run, .threads = ctx_threads};
        st = def->run(&ctx);
    }
    for (int i = 0; i < c->run.n_scratch; i++) cort_aligned_free(c->run.scratch[i]);
    c->run.n_scratch = 0;
    cort_pool_release(&pool);
    return st;
}

static void free_case(op_case *c) {
    for (int i = 0; i < 3; i++) cort_value_clear(&c->run.outs[i]);
}

static float out_at(const op_case *c, int i, int64_t k) { return ((const float *)c->run.outs[i].t.data)[k]; }

static bool near(double a, double b) { return fabs(a - b) <= 1e-5 + 1e-5 * fabs(b); }

/* ------------------------------------------------------------------ single steps by hand */

static void test_lstm_step_by_hand(void) {
    /* x = 1, every W = 0.5, R = 0, no bias: i = o = f = sigmoid(0.5), c~ = tanh(0.5) */
    static const float x[1] = {1}, w[4] = {0.5f, 0.5f, 0.5f, 0.5f}, r[4] = {0};
    op_case c = {.op = "LSTM", .opset = 14};
    add_int(&c, "hidden_size", 1);
    set_input(&c, 0, 3, (int64_t[]){1, 1, 1}, x);
    set_input(&c, 1, 3, (int64_t[]){1, 4, 1}, w);
    set_input(&c, 2, 3, (int64_t[]){1, 4, 1}, r);
    CHECK_OK(run_case(&c));
    CHECK(c.run.outs[0].t.rank == 4 && c.run.outs[0].t.dims[0] == 1 && c.run.outs[0].t.dims[3] == 1);
    CHECK(near(out_at(&c, 0, 0), 0.17426971865610508));
    CHECK(near(out_at(&c, 1, 0), 0.17426971865610508));
    CHECK(near(out_at(&c, 2, 0), 0.28764913664496794));
    free_case(&c);
}

static void test_gru_step_by_hand(void) {
    /* x = 1, W = 0.5, R = 0.3, Wb = 0, Rb = 0.1, h0 = 0.2 */
    static const float x[1] = {1}, w[3] = {0.5f, 0.5f, 0.5f}, r[3] = {0.3f, 0.3f, 0.3f};
    static const float b[6] = {0, 0, 0, 0.1f, 0.1f, 0.1f}, h0[1] = {0.2f};
    const double want[2] = {0.3242326080934722, 0.3161713227887454};
    for (int lbr = 0; lbr < 2; lbr++) {
        op_case c = {.op = "GRU", .opset = 7};
        add_int(&c, "hidden_size", 1);
        add_int(&c, "linear_before_reset", lbr);
        set_input(&c, 0, 3, (int64_t[]){1, 1, 1}, x);
        set_input(&c, 1, 3, (int64_t[]){1, 3, 1}, w);
        set_input(&c, 2, 3, (int64_t[]){1, 3, 1}, r);
        set_input(&c, 3, 2, (int64_t[]){1, 6}, b);
        set_input(&c, 5, 3, (int64_t[]){1, 1, 1}, h0);
        CHECK_OK(run_case(&c));
        CHECK(near(out_at(&c, 1, 0), want[lbr]));
        free_case(&c);
    }
}

static void test_rnn_relu_step_by_hand(void) {
    /* H = relu(x W^T + h0 R^T + Wb + Rb) with two hidden units */
    static const float x[2] = {1, -2}, w[4] = {1, 1, 2, 1}, r[4] = {1, 0, 0, 1}, b[4] = {0.5f, 0, 0, -1};
    static const float h0[2] = {0.25f, 3};
    op_case c = {.op = "RNN", .opset = 14};
    add_int(&c, "hidden_size", 2);
    c.attrs[c.n_attrs++] = (cort_attr){.name = "activations", .type = CORT_ATTR_STRINGS, .n = 1,
                                       .strings = (const char *[]){"Relu"}};
    set_input(&c, 0, 3, (int64_t[]){1, 1, 2}, x);
    set_input(&c, 1, 3, (int64_t[]){1, 2, 2}, w);
    set_input(&c, 2, 3, (int64_t[]){1, 2, 2}, r);
    set_input(&c, 3, 2, (int64_t[]){1, 4}, b);
    set_input(&c, 5, 3, (int64_t[]){1, 1, 2}, h0);
    CHECK_OK(run_case(&c));
    /* unit 0: 1 - 2 + 0.25 + 0.5 = -0.25 -> 0; unit 1: 2 - 2 + 3 - 1 = 2 */
    CHECK(out_at(&c, 0, 0) == 0.0f && out_at(&c, 0, 1) == 2.0f);
    free_case(&c);
}

/* ------------------------------------------------------------------ longer runs against a reference */

static double sigmoid(double v) { return 1 / (1 + exp(-v)); }

/* One direction of an LSTM with peepholes over batch row b, written straight from the equations. */
static void reference_lstm(int64_t seq_len, int64_t in_size, int64_t H, const float *x_row_at(int64_t t, void *),
                           void *xa, const float *w, const float *r, const float *bias, const float *p, bool reverse,
                           double *ys /* [seq_len][H] */, double *h_out, double *c_out) {
    double h[8] = {0}, c[8] = {0}, g[32];
    for (int64_t s = 0; s < seq_len; s++) {
        int64_t t = reverse ? seq_len - 1 - s : s;
        const float *x = x_row_at(t, xa);
        for (int64_t k = 0; k < 4 * H; k++) {
            double v = bias[k] + bias[4 * H + k];
            for (int64_t q = 0; q < in_size; q++) v += x[q] * w[k * in_size + q];
            for (int64_t q = 0; q < H; q++) v += h[q] * r[k * H + q];
            g[k] = v;
        }
        for (int64_t k = 0; k < H; k++) {
            double i = sigmoid(g[k] + p[k] * c[k]);
            double f = sigmoid(g[2 * H + k] + p[2 * H + k] * c[k]);
            double cc = tanh(g[3 * H + k]);
            c[k] = f * c[k] + i * cc;
            double o = sigmoid(g[H + k] + p[H + k] * c[k]);
            h[k] = o * tanh(c[k]);
            ys[t * H + k] = h[k];
        }
    }
    memcpy(h_out, h, (size_t)H * sizeof *h);
    memcpy(c_out, c, (size_t)H * sizeof *c);
}

enum { SEQ = 3, BATCH = 2, IN = 3, HID = 2, DIRS = 2 };

typedef struct x_at_arg {
    const float *x;
    int64_t b;
    int layout;
} x_at_arg;

static const float *x_row(int64_t t, void *arg) {
    const x_at_arg *a = arg;
    return a->x + (a->layout ? a->b * SEQ + t : t * BATCH + a->b) * IN;
}

static float pseudo_random(unsigned *state) {
    *state = *state * 1103515245u + 12345u;
    return (float)((*state >> 16) & 0x7fff) / 32768.0f - 0.5f;
}

static void test_lstm_bidirectional_against_reference(int layout) {
    float x[SEQ * BATCH * IN], w[DIRS * 4 * HID * IN], r[DIRS * 4 * HID * HID], b[DIRS * 8 * HID],
        p[DIRS * 3 * HID];
    unsigned seed = 7;
    float *arrays[5] = {x, w, r, b, p};
    size_t sizes[5] = {SEQ * BATCH * IN, DIRS * 4 * HID * IN, DIRS * 4 * HID * HID, DIRS * 8 * HID, DIRS * 3 * HID};
    for (int a = 0; a < 5; a++)
        for (size_t k = 0; k < sizes[a]; k++) arrays[a][k] = 2 * pseudo_random(&seed);
    static const int32_t lens[BATCH] = {3, 2};

    op_case c = {.op = "LSTM", .opset = 14};
    add_int(&c, "hidden_size", HID);
    add_string(&c, "direction", "bidirectional");
    add_int(&c, "layout", layout);
    int64_t x_dims[3] = {SEQ, BATCH, IN};
    if (layout) { x_dims[0] = BATCH; x_dims[1] = SEQ; }
    set_input(&c, 0, 3, x_dims, x);
    set_input(&c, 1, 3, (int64_t[]){DIRS, 4 * HID, IN}, w);
    set_input(&c, 2, 3, (int64_t[]){DIRS, 4 * HID, HID}, r);
    set_input(&c, 3, 2, (int64_t[]){DIRS, 8 * HID}, b);
    set_lens(&c, BATCH, lens);
    set_input(&c, 7, 2, (int64_t[]){DIRS, 3 * HID}, p);
    CHECK_OK(run_case(&c));
    if (c.run.outs[0].kind != CORT_VALUE_TENSOR) { free_case(&c); return; }

    for (int d = 0; d < DIRS; d++)
        for (int64_t bi = 0; bi < BATCH; bi++) {
            double ys[SEQ * HID] = {0}, h[HID], cs[HID];
            x_at_arg xa = {x, bi, layout};
            reference_lstm(lens[bi], IN, HID, x_row, &xa, w + d * 4 * HID * IN, r + d * 4 * HID * HID, b + d * 8 * HID,
                           p + d * 3 * HID, d == 1, ys, h, cs);
            for (int64_t t = 0; t < SEQ; t++)
                for (int64_t k = 0; k < HID; k++) {
                    int64_t off = layout ? ((bi * SEQ + t) * DIRS + d) * HID + k
                                         : ((t * DIRS + d) * BATCH + bi) * HID + k;
                    CHECK(near(out_at(&c, 0, off), t < lens[bi] ? ys[t * HID + k] : 0.0));
                }
            for (int64_t k = 0; k < HID; k++) {
                int64_t off = layout ? (bi * DIRS + d) * HID + k : (d * BATCH + bi) * HID + k;
                CHECK(near(out_at(&c, 1, off), h[k]));
                CHECK(near(out_at(&c, 2, off), cs[k]));
            }
        }
    free_case(&c);
}

/* A batch large enough for the GEMM path must give, row by row, what the single-row (GEMV) path gives. */
static void test_large_batch_matches_single_rows(const char *op, int gates, int lbr) {
    enum { S = 4, B = 7, I = 5, H = 3 };
    float x[S * B * I], w[2 * 4 * H * I], r[2 * 4 * H * H], b[2 * 8 * H], h0[2 * B * H];
    unsigned seed = 11;
    for (size_t k = 0; k < sizeof x / sizeof x[0]; k++) x[k] = 2 * pseudo_random(&seed);
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) w[k] = 2 * pseudo_random(&seed);
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) r[k] = 2 * pseudo_random(&seed);
    for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) b[k] = pseudo_random(&seed);
    for (size_t k = 0; k < sizeof h0 / sizeof h0[0]; k++) h0[k] = pseudo_random(&seed);
    static const int32_t lens[B] = {4, 1, 3, 0, 4, 2, 4};
    op_case all = {.op = op, .opset = 14};
    add_int(&all, "hidden_size", H);
    add_string(&all, "direction", "bidirectional");
    add_int(&all, "linear_before_reset", lbr); /* read by GRU only */
    set_input(&all, 0, 3, (int64_t[]){S, B, I}, x);
    set_input(&all, 1, 3, (int64_t[]){2, gates * H, I}, w);
    set_input(&all, 2, 3, (int64_t[]){2, gates * H, H}, r);
    set_input(&all, 3, 2, (int64_t[]){2, 2 * gates * H}, b);
    set_lens(&all, B, lens);
    set_input(&all, 5, 3, (int64_t[]){2, B, H}, h0);
    CHECK_OK(run_case(&all));
    if (all.run.outs[0].kind != CORT_VALUE_TENSOR) { free_case(&all); return; }
    for (int64_t bi = 0; bi < B; bi++) {
        float xr[S * I], h0r[2 * H];
        for (int64_t t = 0; t < S; t++) memcpy(xr + t * I, x + (t * B + bi) * I, sizeof(float) * I);
        for (int d = 0; d < 2; d++) memcpy(h0r + d * H, h0 + (d * B + bi) * H, sizeof(float) * H);
        op_case one = all;
        memset(&one.run, 0, sizeof one.run);
        set_input(&one, 0, 3, (int64_t[]){S, 1, I}, xr);
        set_lens(&one, 1, &lens[bi]);
        set_input(&one, 5, 3, (int64_t[]){2, 1, H}, h0r);
        CHECK_OK(run_case(&one));
        if (one.run.outs[0].kind != CORT_VALUE_TENSOR) { free_case(&one); continue; }
        for (int64_t t = 0; t < S; t++)
            for (int d = 0; d < 2; d++)
                for (int64_t k = 0; k < H; k++)
                    CHECK(near(out_at(&one, 0, (t * 2 + d) * H + k), out_at(&all, 0, ((t * 2 + d) * B + bi) * H + k)));
        for (int d = 0; d < 2; d++)
            for (int64_t k = 0; k < H; k++)
                CHECK(near(out_at(&one, 1, d * H + k), out_at(&all, 1, (d * B + bi) * H + k)));
        free_case(&one);
    }
    free_case(&all);
}

/* float16 and bfloat16 layers run in float: the GRU step by hand within half precision. */
static void test_half_precision_gru_step(void) {
    static const float xf[1] = {1}, wf[3] = {0.5f, 0.5f, 0.5f}, rf[3] = {0.3f, 0.3f, 0.3f};
    static const float bf[6] = {0, 0, 0, 0.1f, 0.1f, 0.1f}, h0f[1] = {0.2f};
    const float *srcs[5] = {xf, wf, rf, bf, h0f};
    const int slots[5] = {0, 1, 2, 3, 5}, counts[5] = {1, 3, 3, 6, 1};
    const int64_t dims[5][3] = {{1, 1, 1}, {1, 3, 1}, {1, 3, 1}, {1, 6}, {1, 1, 1}};
    const int ranks[5] = {3, 3, 3, 2, 3};
    const int32_t types[2] = {CORT_FLOAT16, CORT_BFLOAT16};
    for (int ti = 0; ti < 2; ti++) {
        uint16_t half[5][6];
        op_case c = {.op = "GRU", .opset = 14};
        add_int(&c, "hidden_size", 1);
        for (int i = 0; i < 5; i++) {
            for (int k = 0; k < counts[i]; k++)
                half[i][k] = types[ti] == CORT_FLOAT16 ? cort_f32_to_f16(srcs[i][k]) : cort_f32_to_bf16(srcs[i][k]);
            set_input(&c, slots[i], ranks[i], dims[i], NULL);
            cort_value *v = &c.ins[slots[i]];
            v->kind = CORT_VALUE_TENSOR;
            v->t.type = types[ti];
            v->t.rank = ranks[i];
            memcpy(v->t.dims, dims[i], (size_t)ranks[i] * sizeof(int64_t));
            v->t.data = half[i];
        }
        CHECK_OK(run_case(&c));
        if (c.run.outs[1].kind == CORT_VALUE_TENSOR) {
            CHECK(c.run.outs[1].t.type == types[ti]);
            uint16_t h = ((const uint16_t *)c.run.outs[1].t.data)[0];
            float got = types[ti] == CORT_FLOAT16 ? cort_f16_to_f32(h) : cort_bf16_to_f32(h);
            CHECK(fabs(got - 0.3242326080934722) < (types[ti] == CORT_FLOAT16 ? 2e-3 : 1e-2));
        }
        free_case(&c);
    }
}

/* The gates' own tanh and sigmoid at the edges: huge values saturate, NaN propagates (through the
 * input projection it reaches every unit), small values keep their precision. */
static void test_activation_extremes(void) {
    static const float w[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, r[9] = {0};
    const float x[5][3] = {{1e30f, -1e30f, 1e-3f}, {30.0f, -0.15f, -3e-6f}, {0.5f, -9.0f, 88}, {-88, 0, 2},
                           {NAN, 1, 2}};
    for (int row = 0; row < 5; row++) {
        for (int act = 0; act < 2; act++) {
            op_case c = {.op = "RNN", .opset = 14};
            add_int(&c, "hidden_size", 3);
            c.attrs[c.n_attrs++] = (cort_attr){.name = "activations", .type = CORT_ATTR_STRINGS, .n = 1,
                                               .strings = (const char *[]){act ? "Sigmoid" : "Tanh"}};
            set_input(&c, 0, 3, (int64_t[]){1, 1, 3}, x[row]);
            set_input(&c, 1, 3, (int64_t[]){1, 3, 3}, w);
            set_input(&c, 2, 3, (int64_t[]){1, 3, 3}, r);
            CHECK_OK(run_case(&c));
            for (int k = 0; k < 3 && c.run.outs[0].kind == CORT_VALUE_TENSOR; k++) {
                double v = x[row][k], want = act ? 1 / (1 + exp(-v)) : tanh(v), got = out_at(&c, 0, k);
                if (isnan(x[row][0])) CHECK(isnan(got));
                else CHECK(fabs(got - want) <= 1e-7 + 4e-7 * fabs(want));
            }
            free_case(&c);
        }
    }
}

static void test_bad_shapes_are_errors(void) {
    static const float x[6] = {0}, w[4] = {0};
    op_case c = {.op = "LSTM", .opset = 14};
    add_int(&c, "hidden_size", 1);
    set_input(&c, 0, 3, (int64_t[]){1, 2, 3}, x);
    set_input(&c, 1, 3, (int64_t[]){1, 4, 1}, w); /* input size 1, X says 3 */
    set_input(&c, 2, 3, (int64_t[]){1, 4, 1}, w);
    cort_status *st = run_case(&c);
    CHECK(st != NULL);
    CHECK(st && strstr(cort_status_message(st), "W"));
    cort_status_free(st);
    free_case(&c);

    op_case bad = {.op = "GRU", .opset = 14};
    add_string(&bad, "direction", "sideways");
    set_input(&bad, 0, 3, (int64_t[]){1, 2, 3}, x);
    st = run_case(&bad);
    CHECK(st != NULL);
    cort_status_free(st);
    free_case(&bad);
}

/* A step product large enough to be split by rows across two threads gives what one thread gives. */
static void test_wide_lstm_split_rows(void) {
    enum { S = 3, I = 4, H = 200 }; /* 4H x H = 160000 MACs per step: split from 2^17 */
    static float x[S * I], w[4 * H * I], r[4 * H * H];
    unsigned seed = 11;
    for (int k = 0; k < S * I; k++) x[k] = pseudo_random(&seed);
    for (int k = 0; k < 4 * H * I; k++) w[k] = 0.5f * pseudo_random(&seed);
    for (int k = 0; k < 4 * H * H; k++) r[k] = 0.1f * pseudo_random(&seed);
    float got[2][S * H];
    for (int threads = 1; threads <= 2; threads++) {
        ctx_threads = threads;
        op_case c = {.op = "LSTM", .opset = 14};
        add_int(&c, "hidden_size", H);
        set_input(&c, 0, 3, (int64_t[]){S, 1, I}, x);
        set_input(&c, 1, 3, (int64_t[]){1, 4 * H, I}, w);
        set_input(&c, 2, 3, (int64_t[]){1, 4 * H, H}, r);
        CHECK_OK(run_case(&c));
        if (c.run.outs[0].kind == CORT_VALUE_TENSOR)
            for (int k = 0; k < S * H; k++) got[threads - 1][k] = out_at(&c, 0, k);
        free_case(&c);
    }
    ctx_threads = 1;
    bool moved = false;
    for (int k = 0; k < S * H; k++) {
        CHECK(got[0][k] == got[1][k]);
        moved |= fabsf(got[0][k]) > 0.01f;
    }
    CHECK(moved);
}

int main(void) {
    test_lstm_step_by_hand();
    test_gru_step_by_hand();
    test_rnn_relu_step_by_hand();
    test_lstm_bidirectional_against_reference(0);
    test_lstm_bidirectional_against_reference(1);
    test_large_batch_matches_single_rows("GRU", 3, 0);
    test_large_batch_matches_single_rows("GRU", 3, 1);
    test_large_batch_matches_single_rows("LSTM", 4, 0);
    test_large_batch_matches_single_rows("RNN", 1, 0);
    test_half_precision_gru_step();
    test_activation_extremes();
    test_bad_shapes_are_errors();
    test_wide_lstm_split_rows();
    return check_report("test_rnn");
}
