/*
 * cortface — face detection, alignment, embedding and matching on cort's public C API.
 *
 * Detectors: UltraFace (RFB-320, boxes only) and YuNet (boxes and 5 landmarks). Recogniser:
 * MobileFaceNet, 128-d embeddings compared by cosine. Faces are aligned to the 112x112 ArcFace
 * template by a least-squares similarity on 5 landmarks. UltraFace gives no landmarks, so its faces
 * get "box landmarks": where YuNet puts the 5 points inside an UltraFace box on average (measured on
 * frontal faces, see face_box_landmarks). That keeps one alignment path; it cannot undo in-plane
 * rotation, which YuNet's real landmarks do, so YuNet is the default detector for identities.
 *
 * The library keeps no global state and never exits; functions return 0 on success and -1 with a
 * message in err. It is separate from the command line so other front ends (a browser build) can
 * reuse it.
 */
#ifndef CORT_APPS_FACE_H
#define CORT_APPS_FACE_H

#include <stddef.h>

#include "img.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Model file names, looked up in the models folder (--models or $CORT_MODELS). */
#define FACE_ULTRAFACE_MODEL "ultraface_rfb320.onnx"
#define FACE_YUNET_MODEL "yunet_2023mar_640.onnx"
#define FACE_EMBED_MODEL "mobilefacenet.onnx"
/** Where the models come from (printed when one is missing). */
#define FACE_MODELS_SOURCE                                                                                   \
    "in this project's workspace they are in ../shared/models; upstream:\n"                                  \
    "  " FACE_ULTRAFACE_MODEL ": github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB, "           \
    "models/onnx/version-RFB-320.onnx\n"                                                                      \
    "  " FACE_YUNET_MODEL ": github.com/ShiqiYu/libfacedetection.train, onnx/yunet_s_640_640.onnx "           \
    "(= opencv_zoo face_detection_yunet_2023mar.onnx)\n"                                                      \
    "  " FACE_EMBED_MODEL ": github.com/foamliu/MobileFaceNet, weights/MobileFaceNet.onnx"

enum { FACE_EMBED_DIM = 128, FACE_ALIGNED_SIDE = 112, FACE_NAME_MAX = 64 };

typedef enum face_detector { FACE_DET_ULTRAFACE = 0, FACE_DET_YUNET = 1 } face_detector;

/** Tunable settings; face_default_options gives the upstream defaults. */
typedef struct face_options {
    face_detector detector;
    int with_embedder;  /**< load MobileFaceNet too (identify, enroll, video) */
    float score_thresh; /**< detections below are dropped; <= 0 picks 0.7 */
    float nms_iou;      /**< a box overlapping a better one more than this (IoU) is dropped */
    float match_thresh; /**< cosine similarity needed to name a face */
    int threads;        /**< cort intra-op threads; 0 for one per core */
} face_options;

/** One detected face in input-image pixels. */
typedef struct face {
    float box[4];     /**< x1, y1, x2, y2 */
    float score;
    float lm[10];     /**< 5 landmarks (x, y): eye, eye, nose, mouth corner, mouth corner, image-left first */
    int lm_from_box;  /**< 1 when lm were placed from the box (UltraFace), 0 when detected (YuNet) */
} face;

/** Faces found in one image, best score first. */
typedef struct face_list {
    face *v;
    int n;
} face_list;

/** Milliseconds per stage, accumulated by the calls that do the stage. */
typedef struct face_timing {
    double pre, detect, align, embed, match;
} face_timing;

typedef struct face_engine face_engine;

void face_default_options(face_options *opt);
/** Loads the chosen detector (and MobileFaceNet if asked) from models_dir (NULL: $CORT_MODELS). */
int face_engine_create(const char *models_dir, const face_options *opt, face_engine **out, char *err,
                       size_t errlen);
void face_engine_free(face_engine *eng);
const face_options *face_engine_options(const face_engine *eng);

/** Finds the faces in an image. `t` (may be NULL) gets pre and detect added. Free with face_list_free. */
int face_detect(face_engine *eng, const img *image, face_list *out, face_timing *t, char *err, size_t errlen);
void face_list_free(face_list *l);

/** Fills f->lm from f->box with the average landmark layout of a frontal face (for UltraFace). */
void face_box_landmarks(face *f);
/** Warps the face to the FACE_ALIGNED_SIDE square of the ArcFace template using its landmarks. */
int face_align(const img *image, const face *f, img *aligned);
/** The L2-normalised MobileFaceNet embedding of an aligned face. */
int face_embed(face_engine *eng, const img *aligned, float emb[FACE_EMBED_DIM], char *err, size_t errlen);

/** Keeps the boxes that no better-scoring box overlaps by more than iou (list sorted best first). */
void face_nms(face *faces, int *n, float iou);
/** Intersection over union of two x1, y1, x2, y2 boxes. */
float face_iou(const float a[4], const float b[4]);

/* ----------------------------------------------------------------------------- gallery */

/** Named embeddings; a name may have several (one per enrolled photo). */
typedef struct face_gallery {
    int n, cap;
    char (*names)[FACE_NAME_MAX];
    float *emb; /**< n x FACE_EMBED_DIM, each L2-normalised */
} face_gallery;

/** Loads a gallery file; a file that does not exist gives an empty gallery when missing_ok. */
int face_gallery_load(const char *path, int missing_ok, face_gallery *g, char *err, size_t errlen);
/** Writes the gallery (text: a header line, then one "name<TAB>128 numbers" line per entry). */
int face_gallery_save(const face_gallery *g, const char *path, char *err, size_t errlen);
/** Adds an embedding under a name (1..FACE_NAME_MAX-1 printable bytes, no tab). */
int face_gallery_add(face_gallery *g, const char *name, const float emb[FACE_EMBED_DIM], char *err, size_t errlen);
void face_gallery_free(face_gallery *g);
/** Cosine similarity of two normalised embeddings. */
float face_cosine(const float a[FACE_EMBED_DIM], const float b[FACE_EMBED_DIM]);
/** The entry most similar to emb (-1 if the gallery is empty); its similarity goes to *sim. */
int face_gallery_best(const face_gallery *g, const float emb[FACE_EMBED_DIM], float *sim);

#ifdef __cplusplus
}
#endif
#endif /* CORT_APPS_FACE_H */
