/* What the cortface source files share: the engine's layout and the model-running helper. */
#ifndef CORT_APPS_FACE_INTERNAL_H
#define CORT_APPS_FACE_INTERNAL_H

#include <cort/cort.h>

#include "face.h"

struct face_engine {
    face_options opt;
    cort_session *det, *emb;
    const char *det_in, *emb_in, *emb_out; /* owned by the sessions */
    float *det_input;                     /* 3 x H x W, reused from frame to frame */
    float emb_input[3 * FACE_ALIGNED_SIDE * FACE_ALIGNED_SIDE];
};

/* Copies a cort status into err and frees it; returns -1 if there was one. */
int face_take_status(cort_status *st, const char *what, char *err, size_t errlen);

/* Runs a model on one float NCHW input and fetches the named outputs (freed by the caller). */
int face_run(cort_session *s, const char *in_name, float *data, int c, int h, int w, const char *const *out_names,
             size_t n_out, cort_value **outs, char *err, size_t errlen);

/* Float data of an output, checked to hold at least `count` elements. */
const float *face_output(cort_value *v, int64_t count, const char *name, char *err, size_t errlen);

/* The detectors' pre- and post-processing (face_detect.c). */
int face_detect_ultraface(face_engine *e, const img *im, face_list *out, face_timing *t, char *err, size_t errlen);
int face_detect_yunet(face_engine *e, const img *im, face_list *out, face_timing *t, char *err, size_t errlen);

#endif
