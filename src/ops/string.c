/* Text operators (default domain): StringNormalizer (opset 10) and TfIdfVectorizer (opset 9).
 *
 * Case folding works on UTF-8 text without touching the process locale: ASCII, Latin-1, basic Greek
 * and Cyrillic letters are mapped; every other code point (and any byte that is not valid UTF-8) is
 * kept as it is. */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

typedef enum { CASE_NONE, CASE_LOWER, CASE_UPPER } case_action;

typedef struct normalizer_params {
    case_action action;
    bool case_sensitive;
    int64_t n_stopwords;
    char **stopwords; /* lower-cased when matching ignores case (pool memory) */
} normalizer_params;

/* ------------------------------------------------------------------ UTF-8 and case mapping */

/* Decodes one code point at s (n bytes left); returns its length, or 0 when the bytes are not UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n) return 0;
    uint32_t v = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_for_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Upper- and lower-case ranges that map by a constant offset. */
typedef struct case_range {
    uint32_t upper_first, upper_last;
    int32_t offset; /* lower = upper + offset */
} case_range;

static const case_range case_ranges[] = {
    {0x41, 0x5a, 32},     {0xc0, 0xd6, 32},     {0xd8, 0xde, 32},     /* ASCII, Latin-1 */
    {0x391, 0x3a1, 32},   {0x3a3, 0x3ab, 32},                         /* Greek */
    {0x410, 0x42f, 32},   {0x400, 0x40f, 80},                         /* Cyrillic */
};

static uint32_t map_case(uint32_t cp, case_action action) {
    for (size_t i = 0; i < sizeof case_ranges / sizeof case_ranges[0]; i++) {
        const case_range *r = &case_ranges[i];
        if (action == CASE_LOWER && cp >= r->upper_first && cp <= r->upper_last) return cp + (uint32_t)r->offset;
        if (action == CASE_UPPER && cp >= r->upper_first + (uint32_t)r->offset &&
            cp <= r->upper_last + (uint32_t)r->offset)
            return cp - (uint32_t)r->offset;
    }
    return cp;
}

/* A malloc'ed copy of s with its case changed (the encoded length of a mapped letter never changes:
 * each range maps within one UTF-8 length class). */
static char *change_case(const char *s, case_action action) {
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (!len || action == CASE_NONE) {
            out[o++] = s[i++];
            continue;
        }
        o += utf8_encode(map_case(cp, action), out + o);
        i += len;
    }
    out[o] = 0;
    return out;
}

/* ------------------------------------------------------------------ StringNormalizer */

static cort_status *parse_string_normalizer(cort_parse_ctx *pc) {
    normalizer_params *p = pc->params;
    const cort_node *node = pc->node;
    const char *action = cort_attr_string(node, "case_change_action", "NONE");
    if (!strcmp(action, "NONE")) p->action = CASE_NONE;
    else if (!strcmp(action, "LOWER")) p->action = CASE_LOWER;
    else if (!strcmp(action, "UPPER")) p->action = CASE_UPPER;
    else
        return cort_node_error(node, CORT_INVALID_GRAPH, "case_change_action must be NONE, LOWER or UPPER, got '%s'",
                               action);
    p->case_sensitive = cort_attr_int(node, "is_case_sensitive", 0) != 0;
    const cort_attr *sw = cort_node_attr(node, "stopwords");
    if (!sw) return NULL;
    if (sw->type != CORT_ATTR_STRINGS)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'stopwords' must be a list of strings");
    p->n_stopwords = sw->n;
    p->stopwords = cort_pool_calloc(pc->pool, (size_t)(sw->n ? sw->n : 1), sizeof *p->stopwords);
    if (!p->stopwords) return cort_oom();
    for (int64_t i = 0; i < sw->n; i++) {
        char *folded = change_case(sw->strings[i], p->case_sensitive ? CASE_NONE : CASE_LOWER);
        if (!folded) return cort_oom();
        p->stopwords[i] = cort_pool_strdup(pc->pool, folded);
        free(folded);
        if (!p->stopwords[i]) return cort_oom();
    }
    return NULL;
}

static cort_status *is_stopword(const normalizer_params *p, const char *s, bool *out) {
    *out = false;
    if (!p->n_stopwords) return NULL;
    char *folded = change_case(s, p->case_sensitive ? CASE_NONE : CASE_LOWER);
    if (!folded) return cort_oom();
    for (int64_t i = 0; i < p->n_stopwords && !*out; i++) *out = !strcmp(folded, p->stopwords[i]);
    free(folded);
    return NULL;
}

static cort_status *run_string_normalizer(cort_kctx *ctx) {
    const normalizer_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x || x->type != CORT_STRING) return cort_kerr(ctx, "input X must be a string tensor");
    if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
        return cort_kerr(ctx, "input X must have shape [C] or [1, C], got rank %d", x->rank);
    int64_t n = x->dims[x->rank - 1];
    char *const *in = x->data;
    bool *keep = ctx->svc->scratch(ctx, (size_t)(n ? n : 1));
    if (!keep) return cort_oom();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        bool stop;
        CORT_TRY(is_stopword(p, in[i] ? in[i] : "", &stop));
        keep[i] = !stop;
        kept += keep[i];
    }
    /* with every word removed the output still holds one empty string */
    int64_t dims[2] = {1, kept ? kept : 1};
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, CORT_STRING, x->rank, x->rank == 2 ? dims : dims + 1, &out));
    char **o = out->data;
    memset(o, 0, (size_t)(kept ? kept : 1) * sizeof *o);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!keep[i]) continue;
        o[k] = change_case(in[i] ? in[i] : "", p->action);
        if (!o[k]) return cort_oom();
        k++;
    }
    if (!kept && !(o[0] = calloc(1, 1))) return cort_oom();
    return NULL;
}


/* ------------------------------------------------------------------ TfIdfVectorizer */

typedef enum { TFIDF_TF, TFIDF_IDF, TFIDF_TFIDF } tfidf_mode;

/* The pool's n-grams, found through an open-addressing hash table built at load. */
typedef struct tfidf_params {
    tfidf_mode mode;
    int64_t min_n, max_n, max_skip;
    bool strings;              /* pool_strings (else pool_int64s) */
    const int64_t *pool_ints;
    const char **pool_strs;
    int64_t n_ngrams;
    int64_t *gram_start;       /* per n-gram: first pool item */
    int64_t *gram_len;         /* per n-gram: its n */
    const int64_t *out_index;  /* ngram_indexes */
    int64_t out_size;
    const float *weights;      /* NULL: all 1 */
    int64_t n_weights;
    int64_t *table;            /* n-gram id + 1, 0 empty */
    int64_t table_cap;         /* a power of two */
} tfidf_params;

static uint64_t mix64(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    return h * 0xbf58476d1ce4e5b9ull;
}

static uint64_t hash_string(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Items of a candidate n-gram: either pool items (gram_start) or input positions with a stride. */
typedef struct gram_ref {
    const int64_t *ints;       /* int items, or NULL */
    const cort_tensor *tensor; /* input items, or NULL */
    const char *const *strs;   /* string items, or NULL */
    int64_t start, stride, n;
} gram_ref;

static int64_t gram_int(const gram_ref *g, int64_t k) {
    int64_t i = g->start + k * g->stride;
    return g->tensor ? cort_get_i64(g->tensor, i) : g->ints[i];
}

static const char *gram_str(const gram_ref *g, int64_t k) {
    const char *s = g->strs[g->start + k * g->stride];
    return s ? s : "";
}

static uint64_t gram_hash(const gram_ref *g, bool strings) {
    uint64_t h = (uint64_t)g->n;
    for (int64_t k = 0; k < g->n; k++) h = mix64(h, strings ? hash_string(gram_str(g, k)) : (uint64_t)gram_int(g, k));
    return h;
}

static bool gram_equal(const gram_ref *a, const gram_ref *b, bool strings) {
    if (a->n != b->n) return false;
    for (int64_t k = 0; k < a->n; k++)
        if (strings ? strcmp(gram_str(a, k), gram_str(b, k)) != 0 : gram_int(a, k) != gram_int(b, k)) return false;
    return true;
}

static gram_ref pool_gram(const tfidf_params *p, int64_t id) {
    return (gram_ref){p->strings ? NULL : p->pool_ints, NULL, p->strings ? p->pool_strs : NULL,
                      p->gram_start[id], 1, p->gram_len[id]};
}

/* The pool n-gram equal to g, or -1. */
static int64_t tfidf_lookup(const tfidf_params *p, const gram_ref *g) {
    uint64_t mask = (uint64_t)p->table_cap - 1;
    for (uint64_t slot = gram_hash(g, p->strings) & mask;; slot = (slot + 1) & mask) {
        int64_t e = p->table[slot];
        if (!e) return -1;
        gram_ref cand = pool_gram(p, e - 1);
        if (gram_equal(&cand, g, p->strings)) return e - 1;
    }
}

static cort_status *tfidf_parse_mode(const cort_node *node, tfidf_params *p) {
    const char *mode = cort_attr_string(node, "mode", "");
    if (!strcmp(mode, "TF")) p->mode = TFIDF_TF;
    else if (!strcmp(mode, "IDF")) p->mode = TFIDF_IDF;
    else if (!strcmp(mode, "TFIDF")) p->mode = TFIDF_TFIDF;
    else return cort_node_error(node, CORT_INVALID_GRAPH, "mode must be TF, IDF or TFIDF, got '%s'", mode);
    p->min_n = cort_attr_int(node, "min_gram_length", 0);
    p->max_n = cort_attr_int(node, "max_gram_length", 0);
    p->max_skip = cort_attr_int(node, "max_skip_count", 0);
    if (p->min_n < 1 || p->max_n < p->min_n || p->max_skip < 0 || p->max_n > 64 || p->max_skip > (1 << 20))
        return cort_node_error(node, CORT_INVALID_GRAPH, "invalid n-gram lengths [%lld, %lld] or skip count %lld",
                               (long long)p->min_n, (long long)p->max_n, (long long)p->max_skip);
    return NULL;
}

/* Splits the pool into n-grams: ngram_counts[i] is where the (i+1)-grams start. */
static cort_status *tfidf_parse_pool(cort_parse_ctx *pc, tfidf_params *p) {
    const cort_node *node = pc->node;
    const cort_attr *strs = cort_node_attr(node, "pool_strings");
    const int64_t *ints = NULL, *starts = NULL;
    int64_t n_items = cort_attr_ints(node, "pool_int64s", &ints);
    p->strings = strs != NULL;
    if (strs) {
        p->pool_strs = strs->strings;
        n_items = strs->n;
    }
    p->pool_ints = ints;
    if (n_items < 0 || (strs && ints))
        return cort_node_error(node, CORT_INVALID_GRAPH, "exactly one of pool_strings and pool_int64s is required");
    int64_t levels = cort_attr_ints(node, "ngram_counts", &starts);
    if (levels < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'ngram_counts' is required");
    p->gram_start = cort_pool_calloc(pc->pool, (size_t)n_items + 1, sizeof *p->gram_start);
    p->gram_len = cort_pool_calloc(pc->pool, (size_t)n_items + 1, sizeof *p->gram_len);
    if (!p->gram_start || !p->gram_len) return cort_oom();
    for (int64_t lv = 0; lv < levels; lv++) {
        int64_t begin = starts[lv], end = lv + 1 < levels ? starts[lv + 1] : n_items, n = lv + 1;
        if (begin < 0 || end < begin || end > n_items || (end - begin) % n)
            return cort_node_error(node, CORT_INVALID_GRAPH,
                                   "ngram_counts[%lld] = %lld does not split the pool into %lld-grams",
                                   (long long)lv, (long long)begin, (long long)n);
        for (int64_t at = begin; at < end; at += n) {
            p->gram_start[p->n_ngrams] = at;
            p->gram_len[p->n_ngrams++] = n;
        }
    }
    return NULL;
}

static cort_status *tfidf_parse_outputs(const cort_node *node, tfidf_params *p) {
    int64_t n = cort_attr_ints(node, "ngram_indexes", &p->out_index);
    if (n != p->n_ngrams)
        return cort_node_error(node, CORT_INVALID_GRAPH, "ngram_indexes has %lld entries for %lld n-grams in the pool",
                               (long long)n, (long long)p->n_ngrams);
    for (int64_t i = 0; i < n; i++) {
        if (p->out_index[i] < 0 || p->out_index[i] >= ((int64_t)1 << 30))
            return cort_node_error(node, CORT_INVALID_GRAPH, "ngram_indexes[%lld] = %lld is out of range", (long long)i,
                                   (long long)p->out_index[i]);
        if (p->out_index[i] + 1 > p->out_size) p->out_size = p->out_index[i] + 1;
    }
    p->n_weights = cort_attr_floats(node, "weights", &p->weights);
    if (p->n_weights < 0) p->weights = NULL;
    else if (p->n_weights < p->out_size)
        return cort_node_error(node, CORT_INVALID_GRAPH, "weights has %lld entries, the output %lld",
                               (long long)p->n_weights, (long long)p->out_size);
    return NULL;
}

static cort_status *tfidf_build_table(cort_parse_ctx *pc, tfidf_params *p) {
    p->table_cap = 16;
    while (p->table_cap < 2 * p->n_ngrams) p->table_cap *= 2;
    p->table = cort_pool_calloc(pc->pool, (size_t)p->table_cap, sizeof *p->table);
    if (!p->table) return cort_oom();
    uint64_t mask = (uint64_t)p->table_cap - 1;
    for (int64_t id = 0; id < p->n_ngrams; id++) {
        gram_ref g = pool_gram(p, id);
        if (tfidf_lookup(p, &g) >= 0) continue; /* a repeated n-gram: the first one counts */
        uint64_t slot = gram_hash(&g, p->strings) & mask;
        while (p->table[slot]) slot = (slot + 1) & mask;
        p->table[slot] = id + 1;
    }
    return NULL;
}

static cort_status *parse_tfidf(cort_parse_ctx *pc) {
    tfidf_params *p = pc->params;
    CORT_TRY(tfidf_parse_mode(pc->node, p));
    CORT_TRY(tfidf_parse_pool(pc, p));
    CORT_TRY(tfidf_parse_outputs(pc->node, p));
    return tfidf_build_table(pc, p);
}

/* Counts the pool n-grams of one row (items [start, start + len) of x) into counts[out_size]. */
static void tfidf_count_row(const tfidf_params *p, const cort_tensor *x, int64_t start, int64_t len, float *counts) {
    for (int64_t n = p->min_n; n <= p->max_n; n++) {
        int64_t skips = n == 1 ? 0 : p->max_skip; /* a 1-gram is the same whatever the skip */
        for (int64_t skip = 0; skip <= skips; skip++) {
            int64_t span = (n - 1) * (skip + 1);
            for (int64_t i = 0; i + span < len; i++) {
                gram_ref g = {NULL, p->strings ? NULL : x, p->strings ? (const char *const *)x->data : NULL,
                              start + i, skip + 1, n};
                int64_t id = tfidf_lookup(p, &g);
                if (id >= 0) counts[p->out_index[id]] += 1;
            }
        }
    }
}

static cort_status *run_tfidf(cort_kctx *ctx) {
    const tfidf_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input X must be a tensor");
    bool x_strings = x->type == CORT_STRING;
    if (!x_strings && x->type != CORT_INT32 && x->type != CORT_INT64)
        return cort_kerr(ctx, "input X must be string, int32 or int64, got %s", cort_type_name(x->type));
    if (x_strings != p->strings)
        return cort_kerr(ctx, "input X is %s but the pool holds %s", cort_type_name(x->type),
                         p->strings ? "strings" : "integers");
    if (x->rank != 1 && x->rank != 2) return cort_kerr(ctx, "input X must have rank 1 or 2, got %d", x->rank);
    int64_t rows = x->rank == 2 ? x->dims[0] : 1, len = x->dims[x->rank - 1];
    int64_t dims[2] = {rows, p->out_size};
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, CORT_FLOAT, x->rank, x->rank == 2 ? dims : dims + 1, &out));
    float *y = out->data;
    for (int64_t r = 0; r < rows; r++) {
        float *row = y + r * p->out_size;
        memset(row, 0, (size_t)p->out_size * sizeof *row);
        tfidf_count_row(p, x, r * len, len, row);
        for (int64_t k = 0; k < p->out_size; k++) {
            float w = p->weights ? p->weights[k] : 1.0f;
            if (p->mode == TFIDF_IDF) row[k] = row[k] > 0 ? w : 0;
            else if (p->mode == TFIDF_TFIDF) row[k] *= w;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ type inference */

/* Output 0: a tensor of elem with X's rank, X's leading dim kept and the last one `last` (-1 unknown). */
static cort_status *infer_rows_out(cort_infer_ctx *ic, int32_t elem, int64_t last) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR || (x->rank != 1 && x->rank != 2)) return NULL;
    cort_dim *dims = cort_pool_calloc(ic->pool, 2, sizeof *dims);
    if (!dims) return cort_oom();
    if (x->rank == 2) dims[0] = x->dims[0];
    dims[x->rank - 1].value = last;
    cort_type_set_tensor(&ic->out[0], elem, x->rank, dims);
    return NULL;
}

static cort_status *infer_string_normalizer(cort_infer_ctx *ic) { return infer_rows_out(ic, CORT_STRING, -1); }

static cort_status *infer_tfidf(cort_infer_ctx *ic) {
    const tfidf_params *p = ic->params;
    return infer_rows_out(ic, CORT_FLOAT, p->out_size);
}

const cort_op_def cort_ops_string[] = {
    {"", "StringNormalizer", 10, CORT_OPSET_MAX, CORT_T(CORT_STRING), 0, sizeof(normalizer_params),
     parse_string_normalizer, infer_string_normalizer, NULL, run_string_normalizer, 0},
    {"", "TfIdfVectorizer", 9, CORT_OPSET_MAX, CORT_T(CORT_STRING) | CORT_T(CORT_INT32) | CORT_T(CORT_INT64), 0,
     sizeof(tfidf_params), parse_tfidf, infer_tfidf, NULL, run_tfidf, 0},
    {0},
};
