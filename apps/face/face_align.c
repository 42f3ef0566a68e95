/* Alignment: 5 landmarks onto the ArcFace 112x112 template by a similarity transform. */
#include "face.h"

/* The landmark template of insightface's ArcFace crops (eyes, nose, mouth corners; image-left
 * first), which MobileFaceNet's training crops follow. */
static const double ARCFACE_TEMPLATE[10] = {38.2946, 51.6963, 73.5318, 51.5014, 56.0252,
                                            71.7366, 41.5493, 92.3655, 70.7299, 92.2041};

/* Where YuNet's 5 landmarks fall inside UltraFace's box of the same frontal face, as fractions of
 * the box's width and height: measured on skimage's astronaut.png and its mirror image, averaged
 * and made left-right symmetric. */
static const float BOX_LANDMARKS[10] = {0.255f, 0.37f, 0.745f, 0.37f, 0.50f, 0.575f, 0.28f, 0.74f, 0.72f, 0.74f};

void face_box_landmarks(face *f) {
    float w = f->box[2] - f->box[0], h = f->box[3] - f->box[1];
    for (int j = 0; j < 5; j++) {
        f->lm[2 * j] = f->box[0] + BOX_LANDMARKS[2 * j] * w;
        f->lm[2 * j + 1] = f->box[1] + BOX_LANDMARKS[2 * j + 1] * h;
    }
    f->lm_from_box = 1;
}

int face_align(const img *image, const face *f, img *aligned) {
    double src[10], m[6];
    for (int i = 0; i < 10; i++) src[i] = f->lm[i];
    if (img_similarity_from_points(src, ARCFACE_TEMPLATE, 5, m)) return -1;
    /* Black outside the image, as insightface's warpAffine with borderValue 0. */
    return img_warp_affine(image, m, FACE_ALIGNED_SIDE, FACE_ALIGNED_SIDE, IMG_LINEAR, IMG_BORDER_CONSTANT, aligned);
}
