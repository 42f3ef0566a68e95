/* If, Loop and Scan end to end: models built in memory, with bodies that read values of the enclosing
 * graph, run through a session and compared with values worked out by hand. */
#include "test_control_model.h"

/* ------------------------------------------------------------------ If */

/* Y = If(c) then A + B else A - B, the branches reading A and B from the main graph. */
static void test_if_picks_branch(void) {
    cort_model *m = new_model(13);
    cort_graph *g = m->graph;
    typed_input(g, "c", CORT_BOOL);
    float_input(g, "A");
    float_input(g, "B");
    cort_graph *then_g = cort_graph_new(&m->pool, g, "then"), *else_g = cort_graph_new(&m->pool, g, "else");
    node(then_g, 13, "Add", 2, (const char *[]){"A", "B"}, 1, (const char *[]){"sum"}, 0);
    output(then_g, "sum");
    node(else_g, 13, "Sub", 2, (const char *[]){"A", "B"}, 1, (const char *[]){"diff"}, 0);
    output(else_g, "diff");
    cort_node *n = node(g, 13, "If", 1, (const char *[]){"c"}, 1, (const char *[]){"Y"}, 2);
    n->attrs[0] = (cort_attr){.name = "then_branch", .type = CORT_ATTR_GRAPH, .g = then_g};
    n->attrs[1] = (cort_attr){.name = "else_branch", .type = CORT_ATTR_GRAPH, .g = else_g};
    output(g, "Y");
    cort_session *s = open_session(m);
    if (!s) return;
    static const float a[2] = {5, 7}, b[2] = {1, 2};
    for (int c = 0; c < 2; c++) {
        uint8_t cond = (uint8_t)c;
        io ins[3] = {{"c", 0, {0}, &cond, CORT_BOOL}, {"A", 1, {2}, a, 0}, {"B", 1, {2}, b, 0}};
        cort_value *y = NULL;
        CHECK_OK(run(s, ins, 3, (const char *[]){"Y"}, 1, &y));
        if (y) {
            CHECK(cort_tensor_element_count(y) == 2);
            CHECK(fdata(y)[0] == (c ? 6.0f : 4.0f) && fdata(y)[1] == (c ? 9.0f : 5.0f));
        }
        cort_value_free(y);
    }
    cort_session_free(s);
}

/* ------------------------------------------------------------------ Loop */

/* acc = acc + X per iteration, stopping early once iter >= stop_at (body cond = iter + 1 < stop_at is
 * computed as Less(iter, limit)); scan output is acc after each iteration. */
static void test_loop_carried_scan_and_early_exit(void) {
    cort_model *m = new_model(13);
    cort_graph *g = m->graph;
    typed_input(g, "M", CORT_INT64);
    typed_input(g, "cond", CORT_BOOL);
    float_input(g, "acc0");
    float_input(g, "X");
    cort_graph *body = cort_graph_new(&m->pool, g, "body");
    typed_input(body, "iter", CORT_INT64);
    typed_input(body, "cond_in", CORT_BOOL);
    float_input(body, "acc_in");
    initializer(body, "limit", int64_scalar(&m->pool, 2));
    node(body, 13, "Less", 2, (const char *[]){"iter", "limit"}, 1, (const char *[]){"cond_out"}, 0);
    node(body, 13, "Add", 2, (const char *[]){"acc_in", "X"}, 1, (const char *[]){"acc_out"}, 0);
    node(body, 13, "Identity", 1, (const char *[]){"acc_out"}, 1, (const char *[]){"acc_scan"}, 0);
    output(body, "cond_out");
    output(body, "acc_out");
    output(body, "acc_scan");
    cort_node *n = node(g, 13, "Loop", 3, (const char *[]){"M", "cond", "acc0"}, 2,
                        (const char *[]){"acc_final", "accs"}, 1);
    n->attrs[0] = (cort_attr){.name = "body", .type = CORT_ATTR_GRAPH, .g = body};
    output(g, "acc_final");
    output(g, "accs");
    cort_session *s = open_session(m);
    if (!s) return;
    static const float acc0[2] = {1, 2}, x[2] = {10, 20};
    /* M = 5 but the body's cond turns false after iteration 2: three iterations */
    int64_t trips = 5;
    uint8_t cond = 1;
    io ins[4] = {{"M", 0, {0}, &trips, CORT_INT64}, {"cond", 0, {0}, &cond, CORT_BOOL}, {"acc0", 1, {2}, acc0, 0},
                 {"X", 1, {2}, x, 0}};
    cort_value *outs[2] = {0};
    CHECK_OK(run(s, ins, 4, (const char *[]){"acc_final", "accs"}, 2, outs));
    if (outs[0] && outs[1]) {
        CHECK(fdata(outs[0])[0] == 31 && fdata(outs[0])[1] == 62);
        CHECK(cort_tensor_rank(outs[1]) == 2 && cort_tensor_dims(outs[1])[0] == 3 && cort_tensor_dims(outs[1])[1] == 2);
        static const float want[6] = {11, 22, 21, 42, 31, 62};
        for (int i = 0; i < 6; i++) CHECK(fdata(outs[1])[i] == want[i]);
    }
    cort_value_free(outs[0]);
    cort_value_free(outs[1]);

    /* M = 1 limits it to one iteration; cond false runs none (the state passes through) */
    for (int c = 0; c < 2; c++) {
        trips = c ? 1 : 5;
        cond = (uint8_t)c;
        cort_value *o[2] = {0};
        CHECK_OK(run(s, ins, 4, (const char *[]){"acc_final", "accs"}, 2, o));
        if (o[0] && o[1]) {
            CHECK(fdata(o[0])[0] == (c ? 11.0f : 1.0f));
            CHECK(cort_tensor_dims(o[1])[0] == (c ? 1 : 0));
        }
        cort_value_free(o[0]);
        cort_value_free(o[1]);
    }
    cort_session_free(s);
}

/* ------------------------------------------------------------------ Scan */

/* Running sums over the rows of X [3, 2], scanned in reverse, the sums stacked along axis 1. */
static void test_scan_reverse_with_output_axis(void) {
    cort_model *m = new_model(11);
    cort_graph *g = m->graph;
    float_input(g, "init");
    float_input(g, "X");
    cort_graph *body = cort_graph_new(&m->pool, g, "body");
    float_input(body, "sum_in");
    float_input(body, "row");
    node(body, 11, "Add", 2, (const char *[]){"sum_in", "row"}, 1, (const char *[]){"sum_out"}, 0);
    node(body, 11, "Identity", 1, (const char *[]){"sum_out"}, 1, (const char *[]){"sums"}, 0);
    output(body, "sum_out");
    output(body, "sums");
    cort_node *n = node(g, 11, "Scan", 2, (const char *[]){"init", "X"}, 2, (const char *[]){"total", "Ys"}, 4);
    static int64_t one[1] = {1};
    n->attrs[0] = (cort_attr){.name = "body", .type = CORT_ATTR_GRAPH, .g = body};
    n->attrs[1] = (cort_attr){.name = "num_scan_inputs", .type = CORT_ATTR_INT, .i = 1};
    n->attrs[2] = (cort_attr){.name = "scan_input_directions", .type = CORT_ATTR_INTS, .n = 1, .ints = one};
    n->attrs[3] = (cort_attr){.name = "scan_output_axes", .type = CORT_ATTR_INTS, .n = 1, .ints = one};
    output(g, "total");
    output(g, "Ys");
    cort_session *s = open_session(m);
    if (!s) return;
    static const float init[2] = {0, 100}, x[6] = {1, 2, 3, 4, 5, 6};
    io ins[2] = {{"init", 1, {2}, init, 0}, {"X", 2, {3, 2}, x, 0}};
    cort_value *outs[2] = {0};
    CHECK_OK(run(s, ins, 2, (const char *[]){"total", "Ys"}, 2, outs));
    if (outs[0] && outs[1]) {
        CHECK(fdata(outs[0])[0] == 9 && fdata(outs[0])[1] == 112);
        /* rows visited 2, 1, 0: sums (5,106), (8,110), (9,112); stacked on axis 1 -> [2, 3] */
        CHECK(cort_tensor_dims(outs[1])[0] == 2 && cort_tensor_dims(outs[1])[1] == 3);
        static const float want[6] = {5, 8, 9, 106, 110, 112};
        for (int i = 0; i < 6; i++) CHECK(fdata(outs[1])[i] == want[i]);
    }
    cort_value_free(outs[0]);
    cort_value_free(outs[1]);

    cort_session_free(s);
}

/* Opset 8: batch axis first, per-row sequence lengths, scan outputs padded with zeros. */
static void test_scan8_sequence_lens(void) {
    cort_model *m = new_model(8);
    cort_graph *g = m->graph;
    typed_input(g, "lens", CORT_INT64);
    float_input(g, "init");
    float_input(g, "X");
    cort_graph *body = cort_graph_new(&m->pool, g, "body");
    float_input(body, "sum_in");
    float_input(body, "x");
    node(body, 8, "Add", 2, (const char *[]){"sum_in", "x"}, 1, (const char *[]){"sum_out"}, 0);
    node(body, 8, "Identity", 1, (const char *[]){"sum_out"}, 1, (const char *[]){"sums"}, 0);
    output(body, "sum_out");
    output(body, "sums");
    cort_node *n = node(g, 8, "Scan", 3, (const char *[]){"lens", "init", "X"}, 2, (const char *[]){"total", "Ys"}, 2);
    n->attrs[0] = (cort_attr){.name = "body", .type = CORT_ATTR_GRAPH, .g = body};
    n->attrs[1] = (cort_attr){.name = "num_scan_inputs", .type = CORT_ATTR_INT, .i = 1};
    output(g, "total");
    output(g, "Ys");
    cort_session *s = open_session(m);
    if (!s) return;
    /* batch 2, seq 3, one value per step; row 1 stops after 2 steps */
    static const int64_t lens[2] = {3, 2};
    static const float init[2] = {0, 0}, x[6] = {1, 2, 3, 10, 20, 30};
    io ins[3] = {{"lens", 1, {2}, lens, CORT_INT64}, {"init", 1, {2}, init, 0}, {"X", 2, {2, 3}, x, 0}};
    cort_value *outs[2] = {0};
    CHECK_OK(run(s, ins, 3, (const char *[]){"total", "Ys"}, 2, outs));
    if (outs[0] && outs[1]) {
        CHECK(fdata(outs[0])[0] == 6 && fdata(outs[0])[1] == 30);
        static const float want[6] = {1, 3, 6, 10, 30, 0};
        for (int i = 0; i < 6; i++) CHECK(fdata(outs[1])[i] == want[i]);
    }
    cort_value_free(outs[0]);
    cort_value_free(outs[1]);

    static const int64_t bad_lens[2] = {4, 1};
    io bad[3] = {{"lens", 1, {2}, bad_lens, CORT_INT64}, {"init", 1, {2}, init, 0}, {"X", 2, {2, 3}, x, 0}};
    cort_value *o2[2] = {0};
    cort_status *st = run(s, bad, 3, (const char *[]){"total", "Ys"}, 2, o2);
    CHECK(st && strstr(cort_status_message(st), "sequence_lens"));
    cort_status_free(st);
    cort_value_free(o2[0]);
    cort_value_free(o2[1]);
    cort_session_free(s);
}

int main(void) {
    test_if_picks_branch();
    test_loop_carried_scan_and_early_exit();
    test_scan_reverse_with_output_axis();
    test_scan8_sequence_lens();
    return check_report("test_control");
}
