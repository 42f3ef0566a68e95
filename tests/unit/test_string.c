/* StringNormalizer and TfIdfVectorizer through a session: UTF-8 case folding and stopwords, the empty
 * result, n-gram counting with skips and the three weighting modes. */
#include "test_control_model.h"

static cort_attr strings_attr(const char *name, const char **v, int64_t n) {
    return (cort_attr){.name = name, .type = CORT_ATTR_STRINGS, .n = n, .strings = v};
}

static cort_attr string_attr(const char *name, const char *v) {
    return (cort_attr){.name = name, .type = CORT_ATTR_STRING, .s = v, .s_len = strlen(v)};
}

static cort_attr int_attr(const char *name, int64_t v) {
    return (cort_attr){.name = name, .type = CORT_ATTR_INT, .i = v};
}

static cort_attr ints_attr(const char *name, int64_t *v, int64_t n) {
    return (cort_attr){.name = name, .type = CORT_ATTR_INTS, .n = n, .ints = v};
}

/* Y = op(X) with the given attributes; X is a string or int64 tensor. */
static cort_session *one_node_model(const char *op, int opset, int32_t x_type, const cort_attr *attrs, int n_attrs) {
    cort_model *m = new_model(opset);
    cort_graph *g = m->graph;
    typed_input(g, "X", x_type);
    cort_node *n = node(g, opset, op, 1, (const char *[]){"X"}, 1, (const char *[]){"Y"}, n_attrs);
    for (int i = 0; i < n_attrs; i++) n->attrs[i] = attrs[i];
    output(g, "Y");
    return open_session(m);
}

static const char *str_at(cort_value *v, int64_t i) {
    char **s = cort_tensor_data(v);
    return s[i] ? s[i] : "";
}

static void test_normalizer_folds_utf8_and_drops_stopwords(void) {
    static const char *stop[] = {"monday", "THE"};
    static const char *words[] = {"Stra\xc3\x9f" "e", "\xc3\x89" "COLE", "Monday", "the", "\xd0\x9c\xd0\x98\xd0\xa0"};
    cort_attr attrs[3] = {string_attr("case_change_action", "LOWER"), int_attr("is_case_sensitive", 0),
                          strings_attr("stopwords", stop, 2)};
    cort_session *s = one_node_model("StringNormalizer", 10, CORT_STRING, attrs, 3);
    if (!s) return;
    io in = {"X", 1, {5}, words, CORT_STRING};
    cort_value *y = NULL;
    CHECK_OK(run(s, &in, 1, (const char *[]){"Y"}, 1, &y));
    if (y) {
        CHECK(cort_tensor_element_count(y) == 3);
        CHECK(!strcmp(str_at(y, 0), "stra\xc3\x9f" "e"));
        CHECK(!strcmp(str_at(y, 1), "\xc3\xa9" "cole"));           /* É -> é */
        CHECK(!strcmp(str_at(y, 2), "\xd0\xbc\xd0\xb8\xd1\x80")); /* МИР -> мир */
    }
    cort_value_free(y);
    cort_session_free(s);
}

static void test_normalizer_case_sensitive_upper_and_empty_result(void) {
    static const char *stop[] = {"the"};
    cort_attr attrs[3] = {string_attr("case_change_action", "UPPER"), int_attr("is_case_sensitive", 1),
                          strings_attr("stopwords", stop, 1)};
    cort_session *s = one_node_model("StringNormalizer", 10, CORT_STRING, attrs, 3);
    if (!s) return;
    static const char *words[] = {"the", "The", "\xc3\xa9t\xc3\xa9"};
    io in = {"X", 2, {1, 3}, words, CORT_STRING};
    cort_value *y = NULL;
    CHECK_OK(run(s, &in, 1, (const char *[]){"Y"}, 1, &y));
    if (y) {
        CHECK(cort_tensor_rank(y) == 2 && cort_tensor_dims(y)[1] == 2);
        CHECK(!strcmp(str_at(y, 0), "THE") && !strcmp(str_at(y, 1), "\xc3\x89T\xc3\x89"));
    }
    cort_value_free(y);
    y = NULL;
    static const char *only_stop[] = {"the", "the"};
    io all_stop = {"X", 1, {2}, only_stop, CORT_STRING};
    CHECK_OK(run(s, &all_stop, 1, (const char *[]){"Y"}, 1, &y));
    if (y) CHECK(cort_tensor_rank(y) == 1 && cort_tensor_element_count(y) == 1 && !strcmp(str_at(y, 0), ""));
    cort_value_free(y);
    cort_session_free(s);
}

/* Pool: unigrams "a", "c"; bigram ("a", "b"); output columns 0, 1, 2. */
static void check_tfidf_strings(const char *mode, const float *want) {
    static const char *pool[] = {"a", "c", "a", "b"};
    static int64_t counts[] = {0, 2}, indexes[] = {0, 1, 2};
    static const float weights[] = {0.5f, 2, 4};
    cort_attr attrs[8] = {string_attr("mode", mode), int_attr("min_gram_length", 1), int_attr("max_gram_length", 2),
                          int_attr("max_skip_count", 0), ints_attr("ngram_counts", counts, 2),
                          ints_attr("ngram_indexes", indexes, 3), strings_attr("pool_strings", pool, 4),
                          {.name = "weights", .type = CORT_ATTR_FLOATS, .n = 3, .floats = (float *)weights}};
    cort_session *s = one_node_model("TfIdfVectorizer", 9, CORT_STRING, attrs, 8);
    if (!s) return;
    static const char *words[] = {"a", "b", "a", "c", "a"};
    io in = {"X", 1, {5}, words, CORT_STRING};
    cort_value *y = NULL;
    CHECK_OK(run(s, &in, 1, (const char *[]){"Y"}, 1, &y));
    if (y) {
        CHECK(cort_tensor_element_count(y) == 3);
        for (int i = 0; i < 3; i++) CHECK(fdata(y)[i] == want[i]);
    }
    cort_value_free(y);
    cort_session_free(s);
}

static void test_tfidf_modes(void) {
    /* counts: a = 3, c = 1, (a, b) = 1 */
    check_tfidf_strings("TF", (const float[]){3, 1, 1});
    check_tfidf_strings("IDF", (const float[]){0.5f, 2, 4});
    check_tfidf_strings("TFIDF", (const float[]){1.5f, 2, 4});
}

/* Bigram (1, 3) appears only when one item may be skipped; rows of a batch are counted apart. */
static void test_tfidf_skips_and_rows(void) {
    static int64_t pool[] = {1, 3}, counts[] = {0, 0}, indexes[] = {0};
    for (int skip = 0; skip <= 1; skip++) {
        cort_attr attrs[7] = {string_attr("mode", "TF"), int_attr("min_gram_length", 2), int_attr("max_gram_length", 2),
                              int_attr("max_skip_count", skip), ints_attr("ngram_counts", counts, 2),
                              ints_attr("ngram_indexes", indexes, 1), ints_attr("pool_int64s", pool, 2)};
        cort_session *s = one_node_model("TfIdfVectorizer", 9, CORT_INT64, attrs, 7);
        if (!s) return;
        static const int64_t x[8] = {1, 2, 3, 1, 3, 0, 0, 1};
        io in = {"X", 2, {2, 4}, x, CORT_INT64};
        cort_value *y = NULL;
        CHECK_OK(run(s, &in, 1, (const char *[]){"Y"}, 1, &y));
        if (y) {
            CHECK(cort_tensor_rank(y) == 2 && cort_tensor_dims(y)[0] == 2 && cort_tensor_dims(y)[1] == 1);
            /* row 0 [1 2 3 1]: (1,3) with skip 1 only; row 1 [3 0 0 1]: never */
            CHECK(fdata(y)[0] == (float)skip && fdata(y)[1] == 0);
        }
        cort_value_free(y);
        cort_session_free(s);
    }
}

int main(void) {
    test_normalizer_folds_utf8_and_drops_stopwords();
    test_normalizer_case_sensitive_upper_and_empty_result();
    test_tfidf_modes();
    test_tfidf_skips_and_rows();
    return check_report("test_string");
}
