#include "ops/op.h"

const cort_op_def cort_ops_rnn[] = {
    {0},
};
