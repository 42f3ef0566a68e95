/* Pieces of the OCR pipeline, exposed to each other and to the unit tests. */
#ifndef CORT_APPS_OCR_INTERNAL_H
#define CORT_APPS_OCR_INTERNAL_H

#include "ocr.h"

/* ------------------------------------------------------------------- geometry (ocr_geom.c) */

/** A rotated rectangle: centre, unit vector along its width, and its sides. */
typedef struct ocr_rect {
    double cx, cy;
    double ux, uy;
    double w, h;
} ocr_rect;

/**
 * The minimum-area rectangle enclosing the n points pts[2n] (rotating calipers over their convex
 * hull). -1 if n < 1 or out of memory.
 */
int ocr_min_area_rect(const double *pts, int n, ocr_rect *r);
/** The rectangle's corners ordered as PaddleOCR orders them: top-left, top-right, bottom-right,
 *  bottom-left (the two leftmost points are the left side, each side split by y). */
void ocr_rect_corners(const ocr_rect *r, double quad[8]);
/** Grows a rectangle on every side by area * ratio / perimeter: the offset PaddleOCR's unclip
 *  applies to a rectangle, whose rounded corners the next min-area rectangle squares off again. */
ocr_rect ocr_unclip(const ocr_rect *r, double ratio);

/* --------------------------------------------------------------- detection (ocr_det.c) */

typedef struct ocr_det_box {
    double quad[8]; /**< tl, tr, br, bl in probability-map pixels */
    float score;
} ocr_det_box;

/** The detector's input size for a w x h image: sides multiples of 32, longer side <= limit. */
void ocr_det_input_size(int w, int h, int limit, int *dw, int *dh);
/**
 * DB post-processing of a w x h probability map: threshold, 8-connected components, min-area
 * rectangles, box scores and unclip. *boxes is malloc'ed (free it); -1 only when out of memory.
 */
int ocr_db_boxes(const float *prob, int w, int h, const ocr_options *opt, ocr_det_box **boxes, int *n);

/* ------------------------------------------------------------- recognition (ocr_rec.c) */

/** The recogniser's alphabet: class k >= 1 is keys[k - 1]; class 0 is the CTC blank. */
typedef struct ocr_keys {
    char **keys;
    int n;
    char *buf;
} ocr_keys;

/** Reads the key list (one UTF-8 string per line) and appends the space PaddleOCR appends. */
int ocr_keys_load(const char *path, ocr_keys *keys, char *err, size_t errlen);
void ocr_keys_free(ocr_keys *keys);
/** Warps the quadrilateral (tl, tr, br, bl) of the image to an upright strip; strips much taller
 *  than wide are turned a quarter counter-clockwise (vertical text), as PaddleOCR does. */
int ocr_rectify(const img *image, const double quad[8], img *strip);
/** The width of a w x h strip scaled to the recogniser's height (48), keeping its aspect. */
int ocr_rec_scaled_width(int w, int h);
/**
 * Greedy CTC decoding of T x C probabilities: the best class per step, repeats merged, blanks
 * dropped. *text is malloc'ed UTF-8; *score is the mean probability of the kept steps (0 if none).
 */
int ocr_ctc_decode(const float *probs, int t_steps, int classes, const ocr_keys *keys, char **text, float *score);

#endif /* CORT_APPS_OCR_INTERNAL_H */
