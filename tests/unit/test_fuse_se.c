/* Squeeze-and-excitation fusion at level 2 (src/opt/fuse_se.c, src/ops/squeeze_excite.c):
 *   block A (EfficientNet's): GlobalAveragePool -> Conv1x1 + bias -> x * Sigmoid(x) -> Conv1x1 + bias ->
 *     Sigmoid -> Mul(X, s), batch 2, a plane of 30x31 (X large enough to be split among threads);
 *   block B (MobileNetV3's): the same with Relu and HardSigmoid, the second Conv without bias, and
 *     Mul(s, X) with the gate first;
 *   block C: as B but its gate s is also a graph output, so it must stay unfused.
 * A 1x1 Conv (40 -> 40 channels) reads block A's output: with one image its weights take A's product
 * (the SqueezeExcite node scales them instead of X), with two they cannot.
 * A and B each become one com.cort::SqueezeExcite; every output matches level 1's and a plain
 * computation of the formula, at 1 and 2 threads, for one and two images, and on 288 channels of 7x7
 * with 144 hidden values, where both products are split among the threads. */
#include <math.h>
#include <string.h>

#include "graph_builder.h"

/* The model's shape: N images of C channels of H x W, R hidden values; two cases (see main). */
enum { MAX_N = 2, MAX_C = 288, MAX_R = 144, MAX_LEN = 2 * 40 * 30 * 31 };
static int N, C, R, H, W, PLANE;

static uint32_t rng_state = 7;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* A float initializer: [d0, d1, 1, 1] weights, or with d1 0 a bias [d0]; random, copied to `copy`. */
static int weight(cort_model *m, const char *name, int64_t d0, int64_t d1, float *copy) {
    const int64_t wd[4] = {d0, d1, 1, 1}, bd[1] = {d0};
    float *d;
    int id = gb_initializer(m, name, CORT_FLOAT, d1 ? 4 : 1, d1 ? wd : bd, (void **)&d);
    int64_t count = d1 ? d0 * d1 : d0;
    float scale = d1 ? 2.0f / sqrtf((float)d1) : 0.5f; /* sums of d1 products keep their size */
    for (int64_t i = 0; d && i < count; i++) d[i] = copy[i] = rnd() * scale;
    return id;
}

static void add_node(cort_graph *g, const char *op, const char *name, int a, int b, int out) {
    cort_node *n = gb_node(g, op, name, a, b, out, 14, !strcmp(op, "HardSigmoid") ? 2 : 0);
    if (n && !strcmp(op, "HardSigmoid")) {
        n->attrs[0] = (cort_attr){.name = "alpha", .type = CORT_ATTR_FLOAT, .f = 1.0f / 6.0f};
        n->attrs[1] = (cort_attr){.name = "beta", .type = CORT_ATTR_FLOAT, .f = 0.5f};
    }
}

static void add_conv(cort_graph *g, const char *name, int x, int w, int b, int out) {
    cort_node *n = cort_graph_add_node(g, "Conv", "", name, b >= 0 ? 3 : 2, 1, 0);
    n->inputs[0] = x, n->inputs[1] = w, n->outputs[0] = out, n->opset = 14;
    if (b >= 0) n->inputs[2] = b;
}

/* The weights of each block, as the model holds them. */
typedef struct block_weights {
    float w1[MAX_R * MAX_C], b1[MAX_R], w2[MAX_C * MAX_R], b2[MAX_C];
} block_weights;
static block_weights wts[3];
static float proj_w[MAX_C * MAX_C], proj_b[MAX_C];

typedef enum { BLOCK_A, BLOCK_B, BLOCK_C } block_kind;

/* One block reading x; returns its output value. */
static int add_block(cort_model *m, cort_graph *g, int x, block_kind kind) {
    static const char *const names[3] = {"A", "B", "C"};
    const char *k = names[kind];
    char nm[16][16];
    for (int i = 0; i < 16; i++) snprintf(nm[i], sizeof nm[i], "%s%d", k, i);
    block_weights *bw = &wts[kind];
    int w1 = weight(m, nm[0], R, C, bw->w1), b1 = weight(m, nm[1], R, 0, bw->b1);
    int w2 = weight(m, nm[2], C, R, bw->w2), b2 = kind == BLOCK_A ? weight(m, nm[3], C, 0, bw->b2) : -1;
    if (b2 < 0) memset(bw->b2, 0, sizeof bw->b2);
    int pooled = cort_graph_value(g, nm[4]), h = cort_graph_value(g, nm[5]), a = cort_graph_value(g, nm[6]);
    int z = cort_graph_value(g, nm[7]), s = cort_graph_value(g, nm[8]), y = cort_graph_value(g, nm[9]);
    add_node(g, "GlobalAveragePool", nm[10], x, -1, pooled);
    add_conv(g, nm[11], pooled, w1, b1, h);
    if (kind == BLOCK_A) {
        int sig = cort_graph_value(g, nm[12]);
        add_node(g, "Sigmoid", nm[13], h, -1, sig);
        add_node(g, "Mul", nm[14], h, sig, a);
    } else {
        add_node(g, "Relu", nm[13], h, -1, a);
    }
    add_conv(g, nm[15], a, w2, b2, z);
    add_node(g, kind == BLOCK_A ? "Sigmoid" : "HardSigmoid", nm[12 + (kind != BLOCK_A) * 2], z, -1, s);
    if (kind == BLOCK_B) add_node(g, "Mul", "mulB", s, x, y);
    else add_node(g, "Mul", kind == BLOCK_A ? "mulA" : "mulC", x, s, y);
    if (kind == BLOCK_C) cort_graph_add_output(g, s);
    return y;
}

static cort_model *make_model(void) {
    cort_model *m = gb_model(14, "se");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    const int64_t xd[4] = {N, C, H, W};
    int x = gb_float_input(m, "X", 4, xd, NULL);
    rng_state = 7; /* the same weights at every level */
    int ya = add_block(m, g, x, BLOCK_A), pw = weight(m, "pw", C, C, proj_w), pb = weight(m, "pb", C, 0, proj_b);
    int proj = cort_graph_value(g, "proj");
    add_conv(g, "proj_conv", ya, pw, pb, proj);
    int yb = add_block(m, g, proj, BLOCK_B), yc = add_block(m, g, yb, BLOCK_C);
    int out = cort_graph_value(g, "Y");
    add_node(g, "Identity", "out", yc, -1, out);
    cort_graph_add_output(g, out);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

/* Runs the model on x; Y to y and block C's gate to gate_c; counts the SqueezeExcite steps, and those
 * that scale a Conv's weights. */
static void run_model(int level, int threads, const float *x, float *y, float *gate_c, int *se_steps,
                      int *se_folded) {
    cort_session *s = gb_session(make_model(), level, threads, NULL);
    if (!s) return;
    *se_steps = *se_folded = 0;
    for (int i = 0; i < s->main->n_steps; i++) {
        const cort_node *n = s->main->steps[i].node;
        *se_steps += !strcmp(n->op_type, "SqueezeExcite");
        *se_folded += !strcmp(n->op_type, "SqueezeExcite") && n->n_inputs == 6;
    }
    const int64_t dims[4] = {N, C, H, W};
    static const char *const y_name[1] = {"Y"}, *const gate_name[1] = {"C8"};
    gb_run_floats(s, "X", 4, dims, x, 1, y_name, y, N * C * PLANE);
    gb_run_floats(s, "X", 4, dims, x, 1, gate_name, gate_c, N * C);
    cort_session_free(s);
}

static float act_of(block_kind kind, float v, bool gate) {
    if (!gate) return kind == BLOCK_A ? v / (1.0f + expf(-v)) : (v > 0 ? v : 0);
    if (kind == BLOCK_A) return 1.0f / (1.0f + expf(-v));
    float t = v / 6.0f + 0.5f;
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

/* The 1x1 projection, in double. */
static void reference_proj(const float *x, float *y) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < C; o++)
            for (int i = 0; i < PLANE; i++) {
                double s = proj_b[o];
                for (int c = 0; c < C; c++) s += (double)proj_w[o * C + c] * x[(n * C + c) * PLANE + i];
                y[(n * C + o) * PLANE + i] = (float)s;
            }
}

/* The block's formula, in double where it sums. */
static void reference_block(block_kind kind, const float *x, float *y) {
    const block_weights *bw = &wts[kind];
    for (int n = 0; n < N; n++) {
        float mean[MAX_C], hid[MAX_R];
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int i = 0; i < PLANE; i++) s += x[(n * C + c) * PLANE + i];
            mean[c] = (float)(s / PLANE);
        }
        for (int r = 0; r < R; r++) {
            double s = bw->b1[r];
            for (int c = 0; c < C; c++) s += (double)bw->w1[r * C + c] * mean[c];
            hid[r] = act_of(kind, (float)s, false);
        }
        for (int c = 0; c < C; c++) {
            double s = bw->b2[c];
            for (int r = 0; r < R; r++) s += (double)bw->w2[c * R + r] * hid[r];
            float g = act_of(kind, (float)s, true);
            for (int i = 0; i < PLANE; i++) y[(n * C + c) * PLANE + i] = x[(n * C + c) * PLANE + i] * g;
        }
    }
}

static float worst_difference(const float *a, const float *b, int64_t n) {
    float worst = 0;
    for (int64_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]) / (1.0f + fabsf(b[i]));
        worst = d > worst ? d : worst;
    }
    return worst;
}

int main(void) {
    static float x[MAX_LEN], want[MAX_LEN], t1[MAX_LEN], t2[MAX_LEN], plain[MAX_LEN], fused[MAX_LEN];
    static float gate_plain[MAX_N * MAX_C], gate_fused[MAX_N * MAX_C];
    /* 40 channels of 30x31, two images and one (whose projection takes A's product); then 288 of 7x7
     * with 144 hidden values, whose products are large enough to be split among the threads */
    static const int cases[3][5] = {{2, 40, 10, 30, 31}, {1, 40, 10, 30, 31}, {1, 288, 144, 7, 7}};
    for (int k = 0; k < 3; k++) {
        N = cases[k][0], C = cases[k][1], R = cases[k][2], H = cases[k][3], W = cases[k][4], PLANE = H * W;
        int len = N * C * PLANE;
        for (int i = 0; i < len; i++) x[i] = rnd() * 2.0f + 0.3f * (float)((i / PLANE) % 5); /* means differ */
        int se0 = -1, se2 = -1, folded0 = -1, folded2 = -1;
        run_model(CORT_OPT_BASIC, 1, x, plain, gate_plain, &se0, &folded0);
        CHECK(se0 == 0 && folded0 == 0);
        reference_block(BLOCK_A, x, t1);
        reference_proj(t1, t2);
        reference_block(BLOCK_B, t2, t1);
        reference_block(BLOCK_C, t1, want);
        CHECK(worst_difference(plain, want, len) <= 1e-5f);
        for (int threads = 1; threads <= 2; threads++) {
            run_model(CORT_OPT_ALL, threads, x, fused, gate_fused, &se2, &folded2);
            CHECK(se2 == 2); /* A and B; C's gate is a graph output */
            CHECK(folded2 == (k == 1)); /* A's product goes into proj_conv's weights: one image, a large plane */
            float d = worst_difference(fused, plain, len);
            if (!(d <= 1e-5f)) fprintf(stderr, "case %d threads %d: relative difference %g\n", k, threads, (double)d);
            CHECK(d <= 1e-5f);
            CHECK(worst_difference(gate_fused, gate_plain, N * C) <= 1e-5f);
        }
    }
    return check_report("test_fuse_se");
}
