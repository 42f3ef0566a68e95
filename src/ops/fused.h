/* The activations the graph optimizer recognises in decomposed form (src/opt/fuse_transformer.c), as
 * array functions (src/kernels/transformer.h) shared by the com.cort ops that apply them: Gelu, FastGelu and FusedMatMul. */
#ifndef CORT_OPS_FUSED_H
#define CORT_OPS_FUSED_H
#include <stdbool.h>
#include <stdint.h>

typedef enum cort_fused_act { CORT_FUSED_NONE = 0, CORT_FUSED_GELU, CORT_FUSED_FAST_GELU } cort_fused_act;

/* "" / NULL, "Gelu" or "FastGelu" → the activation; false for any other name. */
bool cort_fused_act_from_name(const char *name, cort_fused_act *out);
/* y = act(y + bias) over `rows` rows of n values; bias (n values) may be NULL. */
void cort_fused_act_rows(cort_fused_act act, const float *bias, float *y, int64_t rows, int64_t n);
#endif
