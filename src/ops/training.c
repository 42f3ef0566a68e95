/* Training-only operators: recognised so that loading a model that uses them fails with a clear
 * message instead of "unknown operator". */
#include "ops/op.h"

static cort_status *refuse_training_op(cort_kctx *ctx) {
    return cort_kerr(ctx, "training operator not supported");
}

#define TRAINING_ROW(domain, name) {domain, name, 1, 1000, CORT_TS_ANY, 0, 0, NULL, NULL, NULL, refuse_training_op, CORT_OP_TRAINING}

const cort_op_def cort_ops_training[] = {
    TRAINING_ROW("", "Gradient"),
    TRAINING_ROW("ai.onnx.preview.training", "Gradient"),
    TRAINING_ROW("ai.onnx.preview.training", "Adagrad"),
    TRAINING_ROW("ai.onnx.preview.training", "Adam"),
    TRAINING_ROW("ai.onnx.preview.training", "Momentum"),
    TRAINING_ROW("", "Adagrad"),
    TRAINING_ROW("", "Adam"),
    TRAINING_ROW("", "Momentum"),
    {0},
};
