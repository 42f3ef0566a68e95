#include "ops/op.h"

const cort_op_def cort_ops_cast[] = {
    {0},
};
