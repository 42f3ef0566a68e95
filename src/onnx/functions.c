/* Model-local functions (ModelProto.functions): read once, then every call is inlined at load so that
 * the rest of cort only ever sees primitive operators. */
#include <stdio.h>
#include <string.h>

#include "onnx/reader.h"

enum { MP_FUNCTIONS = 25 };
enum {
    FP_NAME = 1, FP_INPUT = 4, FP_OUTPUT = 5, FP_NODE = 7, FP_OPSET_IMPORT = 9, FP_DOMAIN = 10,
    FP_ATTRIBUTE_PROTO = 11, FP_OVERLOAD = 13
};
enum { NP_INPUT = 1, NP_OUTPUT = 2, NP_NAME = 3, NP_OP_TYPE = 4, NP_ATTRIBUTE = 5, NP_DOMAIN = 7, NP_OVERLOAD = 8 };

static const char *norm_domain(const char *d) { return strcmp(d, "ai.onnx") ? d : ""; }

static cort_status *fn_error(const char *name, const char *why) {
    return cort_error(CORT_INVALID_PROTOBUF, "function '%s': %s", name, why);
}

/* Reads the repeated string field `number` of msg into a pool array. */
static cort_status *read_names(cort_pool *pool, const uint8_t *msg, size_t len, uint32_t number, const char ***out,
                               int *n) {
    cort_pb_reader r;
    cort_pb_field f;
    *n = 0;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) *n += f.number == number && *n < 100000;
    *out = cort_pool_calloc(pool, (size_t)*n + 1, sizeof **out);
    if (!*out) return cort_oom();
    int k = 0;
    cort_pb_init(&r, msg, len);
    while (k < *n && cort_pb_next(&r, &f) > 0) {
        if (f.number != number) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "name list with a wrong wire type");
        (*out)[k] = cort_pool_strndup(pool, (const char *)f.data, f.len);
        if (!(*out)[k++]) return cort_oom();
    }
    return NULL;
}

static cort_status *read_function(cort_loader *L, const uint8_t *msg, size_t len, cort_onnx_function *fn) {
    cort_pool *pool = &L->model->pool;
    fn->name = fn->domain = fn->overload = "";
    fn->msg = msg;
    fn->len = len;
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        const char **slot = f.number == FP_NAME ? &fn->name : f.number == FP_DOMAIN ? &fn->domain
                            : f.number == FP_OVERLOAD ? &fn->overload : NULL;
        if (!slot) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "FunctionProto: string field with a wrong wire type");
        *slot = cort_pool_strndup(pool, (const char *)f.data, f.len);
        if (!*slot) return cort_oom();
    }
    if (rc < 0) return cort_error(CORT_INVALID_PROTOBUF, "malformed FunctionProto: %s", r.error);
    if (!*fn->name) return cort_error(CORT_INVALID_PROTOBUF, "a model-local function has no name");
    fn->domain = norm_domain(fn->domain);
    CORT_TRY(read_names(pool, msg, len, FP_INPUT, &fn->inputs, &fn->n_inputs));
    CORT_TRY(read_names(pool, msg, len, FP_OUTPUT, &fn->outputs, &fn->n_outputs));
    return cort_onnx_load_opsets(pool, msg, len, FP_OPSET_IMPORT, &fn->opsets, &fn->n_opsets);
}

cort_status *cort_onnx_read_functions(cort_loader *L, const uint8_t *model, size_t len) {
    cort_pb_reader r;
    cort_pb_field f;
    int n = 0;
    cort_pb_init(&r, model, len);
    while (cort_pb_next(&r, &f) > 0) n += f.number == MP_FUNCTIONS && n < 100000;
    if (!n) return NULL;
    L->functions = cort_pool_calloc(&L->model->pool, (size_t)n, sizeof *L->functions);
    if (!L->functions) return cort_oom();
    cort_pb_init(&r, model, len);
    while (L->n_functions < n && cort_pb_next(&r, &f) > 0) {
        if (f.number != MP_FUNCTIONS) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "ModelProto.functions is not a message");
        cort_onnx_function *fn = &L->functions[L->n_functions];
        CORT_TRY(read_function(L, f.data, f.len, fn));
        if (cort_onnx_find_function(L, fn->domain, fn->name, fn->overload))
            return fn_error(fn->name, "defined twice");
        L->n_functions++;
    }
    return NULL;
}

const cort_onnx_function *cort_onnx_find_function(const cort_loader *L, const char *domain, const char *name,
                                                  const char *overload) {
    domain = norm_domain(domain);
    for (int i = 0; i < L->n_functions; i++) {
        const cort_onnx_function *fn = &L->functions[i];
        if (!strcmp(fn->name, name) && !strcmp(fn->domain, domain) && !strcmp(fn->overload, overload)) return fn;
    }
    return NULL;
}

const char *cort_onnx_scoped_name(cort_loader *L, const cort_fn_scope *scope, const char *name) {
    if (!scope || !*name) return name;
    for (int i = 0; i < scope->fn->n_inputs; i++)
        if (!strcmp(scope->fn->inputs[i], name)) return scope->actual_inputs[i];
    for (int i = 0; i < scope->fn->n_outputs; i++)
        if (!strcmp(scope->fn->outputs[i], name)) return scope->actual_outputs[i];
    size_t n = strlen(scope->prefix) + strlen(name) + 1;
    char *s = cort_pool_alloc(&L->model->pool, n);
    if (s) snprintf(s, n, "%s%s", scope->prefix, name);
    return s;
}

/* The call node's inputs, outputs and name as the enclosing scope names them. */
typedef struct call_site {
    const char *name;
    const char **inputs, **outputs;
    int n_inputs, n_outputs;
} call_site;

static cort_status *read_call_site(cort_loader *L, const uint8_t *msg, size_t len, const cort_fn_scope *scope,
                                   call_site *cs) {
    cort_pool *pool = &L->model->pool;
    int n_names;
    const char **names;
    CORT_TRY(read_names(pool, msg, len, NP_NAME, &names, &n_names));
    cs->name = n_names ? names[n_names - 1] : "";
    CORT_TRY(read_names(pool, msg, len, NP_INPUT, &cs->inputs, &cs->n_inputs));
    CORT_TRY(read_names(pool, msg, len, NP_OUTPUT, &cs->outputs, &cs->n_outputs));
    for (int i = 0; i < cs->n_inputs; i++)
        if (!(cs->inputs[i] = cort_onnx_scoped_name(L, scope, cs->inputs[i]))) return cort_oom();
    for (int i = 0; i < cs->n_outputs; i++)
        if (!(cs->outputs[i] = cort_onnx_scoped_name(L, scope, cs->outputs[i]))) return cort_oom();
    return NULL;
}

static bool has_attr(const cort_attr *attrs, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(attrs[i].name, name)) return true;
    return false;
}

/* The call's attributes (references resolved in the enclosing scope), then the function's defaults
 * for those the call leaves out. */
static cort_status *read_call_attrs(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                    const cort_onnx_function *fn, const cort_fn_scope *scope, int depth,
                                    cort_fn_scope *inner) {
    cort_pb_reader r;
    cort_pb_field f;
    int cap = 0;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) cap += f.number == NP_ATTRIBUTE && cap < 100000;
    cort_pb_init(&r, fn->msg, fn->len);
    while (cort_pb_next(&r, &f) > 0) cap += f.number == FP_ATTRIBUTE_PROTO && cap < 200000;
    cort_attr *attrs = cort_pool_calloc(&L->model->pool, (size_t)cap + 1, sizeof *attrs);
    if (!attrs) return cort_oom();
    int n = 0;
    bool keep;
    cort_pb_init(&r, msg, len);
    while (n < cap && cort_pb_next(&r, &f) > 0) {
        if (f.number != NP_ATTRIBUTE) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "NodeProto.attribute is not a message");
        CORT_TRY(cort_onnx_load_attr(L, g, f.data, f.len, scope, depth, false, &attrs[n], &keep));
        n += keep;
    }
    int given = n;
    cort_pb_init(&r, fn->msg, fn->len);
    while (n < cap && cort_pb_next(&r, &f) > 0) {
        if (f.number != FP_ATTRIBUTE_PROTO) continue;
        if (f.wire != CORT_PB_LEN) return fn_error(fn->name, "attribute_proto is not a message");
        CORT_TRY(cort_onnx_load_attr(L, g, f.data, f.len, NULL, depth, false, &attrs[n], &keep));
        if (keep && !has_attr(attrs, given, attrs[n].name)) n++;
    }
    inner->attrs = attrs;
    inner->n_attrs = n;
    return NULL;
}

static cort_status *bind_parameters(cort_loader *L, const cort_onnx_function *fn, const call_site *cs,
                                    cort_fn_scope *inner) {
    cort_pool *pool = &L->model->pool;
    if (cs->n_inputs > fn->n_inputs || cs->n_outputs > fn->n_outputs)
        return fn_error(fn->name, "called with more inputs or outputs than it declares");
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%.100s/%.100s#%lld/", *cs->name ? cs->name : fn->name, fn->name,
             (long long)L->inline_serial++);
    inner->prefix = cort_pool_strdup(pool, prefix);
    inner->actual_inputs = cort_pool_calloc(pool, (size_t)fn->n_inputs + 1, sizeof(char *));
    inner->actual_outputs = cort_pool_calloc(pool, (size_t)fn->n_outputs + 1, sizeof(char *));
    if (!inner->prefix || !inner->actual_inputs || !inner->actual_outputs) return cort_oom();
    for (int i = 0; i < fn->n_inputs; i++) inner->actual_inputs[i] = i < cs->n_inputs ? cs->inputs[i] : "";
    for (int i = 0; i < fn->n_outputs; i++) {
        if (i < cs->n_outputs && *cs->outputs[i]) {
            inner->actual_outputs[i] = cs->outputs[i];
            continue;
        }
        /* an output the caller ignores still needs a name of its own inside the body */
        size_t n = strlen(inner->prefix) + strlen(fn->outputs[i]) + 1;
        char *s = cort_pool_alloc(pool, n);
        if (!s) return cort_oom();
        snprintf(s, n, "%s%s", inner->prefix, fn->outputs[i]);
        inner->actual_outputs[i] = s;
    }
    return NULL;
}

static bool slice_is(const uint8_t *p, size_t n, const char *s) { return strlen(s) == n && (!n || !memcmp(p, s, n)); }

/* The local function a body NodeProto calls, or NULL when it is a primitive operator. */
static const cort_onnx_function *callee_of(const cort_loader *L, const uint8_t *msg, size_t len) {
    const uint8_t *field[3] = {NULL, NULL, NULL}; /* op_type, domain, overload */
    size_t flen[3] = {0, 0, 0};
    cort_pb_reader r;
    cort_pb_field f;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) {
        int k = f.number == NP_OP_TYPE ? 0 : f.number == NP_DOMAIN ? 1 : f.number == NP_OVERLOAD ? 2 : -1;
        if (k >= 0 && f.wire == CORT_PB_LEN) {
            field[k] = f.data;
            flen[k] = f.len;
        }
    }
    if (field[1] && slice_is(field[1], flen[1], "ai.onnx")) flen[1] = 0;
    for (int i = 0; i < L->n_functions; i++) {
        const cort_onnx_function *fn = &L->functions[i];
        if (slice_is(field[0], flen[0], fn->name) && slice_is(field[1], flen[1], fn->domain) &&
            slice_is(field[2], flen[2], fn->overload))
            return fn;
    }
    return NULL;
}

/* How many primitive nodes one call of fn expands to, saturating just above the inlining limit; -1
 * when the calls recurse or nest too deeply (inlining then stops with the precise reason). */
static int64_t function_cost(cort_loader *L, cort_onnx_function *fn, int depth) {
    if (fn->cost_state == 2) return fn->cost;
    if (fn->cost_state == 1 || depth > CORT_PB_MAX_DEPTH) return -1;
    fn->cost_state = 1;
    int64_t cost = 0;
    cort_pb_reader r;
    cort_pb_field f;
    cort_pb_init(&r, fn->msg, fn->len);
    while (cost >= 0 && cost <= L->inline_budget && cort_pb_next(&r, &f) > 0) {
        if (f.number != FP_NODE || f.wire != CORT_PB_LEN) continue;
        const cort_onnx_function *callee = callee_of(L, f.data, f.len);
        int64_t c = callee ? function_cost(L, (cort_onnx_function *)callee, depth + 1) : 1;
        cost = c < 0 ? -1 : cost + c;
    }
    fn->cost = cost > L->inline_budget ? L->inline_budget + 1 : cost;
    fn->cost_state = 2;
    return fn->cost;
}

static cort_status *inline_body(cort_loader *L, cort_graph *g, const cort_onnx_function *fn,
                                const cort_fn_scope *inner, int depth) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, fn->msg, fn->len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number != FP_NODE) continue;
        if (f.wire != CORT_PB_LEN) return fn_error(fn->name, "node is not a message");
        if (++L->inlined_nodes > L->inline_budget)
            return fn_error(fn->name, "inlining model-local functions creates too many nodes");
        CORT_TRY(cort_onnx_load_node(L, g, f.data, f.len, inner, depth + 1));
    }
    return rc < 0 ? fn_error(fn->name, r.error) : NULL;
}

cort_status *cort_onnx_inline_call(cort_loader *L, cort_graph *g, const uint8_t *call_msg, size_t call_len,
                                   const cort_onnx_function *fn, const cort_fn_scope *scope, int depth) {
    if (depth > CORT_PB_MAX_DEPTH) return fn_error(fn->name, "function calls nested too deeply");
    for (const cort_fn_scope *s = scope; s; s = s->caller)
        if (s->fn == fn) return fn_error(fn->name, "calls itself (recursive functions cannot be inlined)");
    /* checked before expanding anything, so that a small file cannot make the loader build millions
     * of nodes before it finds out */
    int64_t cost = function_cost(L, (cort_onnx_function *)fn, 0);
    if (cost > L->inline_budget - L->inlined_nodes)
        return fn_error(fn->name, "inlining model-local functions creates too many nodes");
    call_site cs;
    CORT_TRY(read_call_site(L, call_msg, call_len, scope, &cs));
    cort_fn_scope inner;
    memset(&inner, 0, sizeof inner);
    inner.fn = fn;
    inner.caller = scope;
    cort_status *st = bind_parameters(L, fn, &cs, &inner);
    if (!st) st = read_call_attrs(L, g, call_msg, call_len, fn, scope, depth, &inner);
    if (!st) st = inline_body(L, g, fn, &inner, depth);
    if (st && st->code != CORT_OUT_OF_MEMORY && strlen(cort_status_message(st)) <= 400)
        return cort_error_wrap(st, "in function '%s' called by node '%s': ", fn->name, cs.name);
    return st;
}
