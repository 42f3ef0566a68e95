/* Sequence and optional operators end to end through a session: split a tensor into a sequence and
 * put it back together, edit sequences, wrap and unwrap optionals, and reject bad positions. */
#include "test_control_model.h"

enum { OPSET = 15 };

static void attr_int(cort_node *n, int slot, const char *name, int64_t v) {
    n->attrs[slot] = (cort_attr){.name = name, .type = CORT_ATTR_INT, .i = v};
}

static cort_node *op(cort_graph *g, const char *type, int n_in, const char *const *ins, const char *out, int n_attrs) {
    return node(g, OPSET, type, n_in, ins, 1, (const char *[]){out}, n_attrs);
}

static cort_session *sequence_model(void) {
    cort_model *m = new_model(OPSET);
    cort_graph *g = m->graph;
    float_input(g, "X");
    typed_input(g, "S", CORT_INT64);
    typed_input(g, "pos", CORT_INT64);
    initializer(g, "zero", int64_scalar(&m->pool, 0));
    cort_node *n = op(g, "SplitToSequence", 2, (const char *[]){"X", "S"}, "rows", 1);
    attr_int(n, 0, "axis", 0);
    op(g, "SequenceLength", 1, (const char *[]){"rows"}, "len", 0);
    op(g, "SequenceAt", 2, (const char *[]){"rows", "pos"}, "at", 0);
    n = op(g, "ConcatFromSequence", 1, (const char *[]){"rows"}, "back", 1);
    attr_int(n, 0, "axis", 0);
    n = op(g, "SplitToSequence", 1, (const char *[]){"X"}, "cols", 2);
    attr_int(n, 0, "axis", 1);
    attr_int(n, 1, "keepdims", 0);
    n = op(g, "ConcatFromSequence", 1, (const char *[]){"cols"}, "stacked", 2);
    attr_int(n, 0, "axis", -1);
    attr_int(n, 1, "new_axis", 1);
    op(g, "SequenceInsert", 3, (const char *[]){"rows", "X", "zero"}, "inserted", 0);
    op(g, "SequenceErase", 1, (const char *[]){"inserted"}, "erased", 0);
    op(g, "SequenceLength", 1, (const char *[]){"erased"}, "erased_len", 0);
    op(g, "SequenceAt", 2, (const char *[]){"erased", "zero"}, "first", 0);
    op(g, "Optional", 1, (const char *[]){"X"}, "opt", 0);
    op(g, "OptionalHasElement", 1, (const char *[]){"opt"}, "has", 0);
    op(g, "OptionalGetElement", 1, (const char *[]){"opt"}, "got", 0);
    op(g, "SequenceEmpty", 0, NULL, "empty", 0);
    op(g, "SequenceLength", 1, (const char *[]){"empty"}, "empty_len", 0);
    const char *outs[] = {"len", "at", "back", "stacked", "erased_len", "first", "has", "got", "empty_len"};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) output(g, outs[i]);
    return open_session(m);
}

static bool same_floats(cort_value *v, const float *want, int64_t n) {
    if (!v || cort_value_kind(v) != 1 || cort_tensor_element_count(v) != n) return false;
    for (int64_t i = 0; i < n; i++)
        if (fdata(v)[i] != want[i]) return false;
    return true;
}

static int64_t int_at(cort_value *v) { return v ? *(const int64_t *)cort_tensor_data(v) : -1; }

static void test_sequence_round_trips(cort_session *s) {
    static const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const int64_t split[2] = {1, 3};
    int64_t pos = -1;
    io ins[3] = {{"X", 2, {4, 2}, x, 0}, {"S", 1, {2}, split, CORT_INT64}, {"pos", 0, {0}, &pos, CORT_INT64}};
    const char *names[] = {"len", "at", "back", "stacked", "erased_len", "first", "has", "got", "empty_len"};
    cort_value *o[9] = {0};
    CHECK_OK(run(s, ins, 3, names, 9, o));
    CHECK(int_at(o[0]) == 2);
    CHECK(same_floats(o[1], x + 2, 6) && cort_tensor_dims(o[1])[0] == 3); /* the last chunk: rows 1..3 */
    CHECK(same_floats(o[2], x, 8) && cort_tensor_rank(o[2]) == 2);
    CHECK(same_floats(o[3], x, 8) && cort_tensor_rank(o[3]) == 2 && cort_tensor_dims(o[3])[1] == 2);
    CHECK(int_at(o[4]) == 2); /* X inserted in front, the last chunk erased */
    CHECK(same_floats(o[5], x, 8));
    CHECK(o[6] && *(const uint8_t *)cort_tensor_data(o[6]) == 1);
    CHECK(same_floats(o[7], x, 8));
    CHECK(int_at(o[8]) == 0);
    for (int i = 0; i < 9; i++) cort_value_free(o[i]);
}

static void test_bad_position_and_split_are_errors(cort_session *s) {
    static const float x[8] = {0};
    static const int64_t split[2] = {1, 3}, bad_split[2] = {2, 3};
    int64_t pos = 2;
    io ins[3] = {{"X", 2, {4, 2}, x, 0}, {"S", 1, {2}, split, CORT_INT64}, {"pos", 0, {0}, &pos, CORT_INT64}};
    cort_value *o = NULL;
    cort_status *st = run(s, ins, 3, (const char *[]){"at"}, 1, &o);
    CHECK(st && strstr(cort_status_message(st), "SequenceAt") && strstr(cort_status_message(st), "position"));
    cort_status_free(st);
    cort_value_free(o);
    o = NULL;
    pos = 0;
    ins[1].data = bad_split;
    st = run(s, ins, 3, (const char *[]){"back"}, 1, &o);
    CHECK(st && strstr(cort_status_message(st), "SplitToSequence"));
    cort_status_free(st);
    cort_value_free(o);
}

int main(void) {
    cort_session *s = sequence_model();
    if (s) {
        test_sequence_round_trips(s);
        test_bad_position_and_split_are_errors(s);
    }
    cort_session_free(s);
    return check_report("test_sequence");
}
