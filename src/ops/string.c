/* String operators (default domain): StringNormalizer (opset 10).
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
    else return cort_node_error(node, CORT_INVALID_GRAPH, "case_change_action must be NONE, LOWER or UPPER, got '%s'", action);
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

const cort_op_def cort_ops_string[] = {
    {"", "StringNormalizer", 10, CORT_OPSET_MAX, CORT_T(CORT_STRING), 0, sizeof(normalizer_params),
     parse_string_normalizer, NULL, NULL, run_string_normalizer, 0},
    {0},
};
