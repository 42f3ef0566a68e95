/* The operator registry: which op_def serves (domain, op, opset, type). */
#include <string.h>

#include "ops/op.h"

#define CORT_OP_TABLE(family) extern const cort_op_def cort_ops_##family[];
#include "ops/tables.def"
#undef CORT_OP_TABLE

#define CORT_OP_TABLE(family) cort_ops_##family,
static const cort_op_def *const op_tables[] = {
#include "ops/tables.def"
};
#undef CORT_OP_TABLE

static bool same_domain(const char *a, const char *b) {
    if (!strcmp(a, "ai.onnx")) a = "";
    if (!strcmp(b, "ai.onnx")) b = "";
    return !strcmp(a, b);
}

const cort_op_def *cort_registry_find(const char *domain, const char *op_type, int opset, int32_t type,
                                      const char **why) {
    const char *reason = "unknown operator";
    for (size_t t = 0; t < sizeof op_tables / sizeof op_tables[0]; t++) {
        for (const cort_op_def *d = op_tables[t]; d->op_type; d++) {
            if (strcmp(d->op_type, op_type) || !same_domain(d->domain, domain)) continue;
            if (opset < d->since || opset > d->until) {
                if (strcmp(reason, "type not supported")) reason = "opset not supported";
                continue;
            }
            if (type > 0 && d->types != CORT_TS_ANY && (type >= 32 || !(d->types & CORT_T(type)))) {
                reason = "type not supported";
                continue;
            }
            return d;
        }
    }
    if (why) *why = reason;
    return NULL;
}
