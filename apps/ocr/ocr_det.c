/* DB post-processing: from the detector's text-probability map to one quadrilateral per line. */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Components beyond this many are ignored (PaddleOCR's max_candidates). */
enum { MAX_CANDIDATES = 1000, MIN_SIDE = 3 };

static int round32(double v) {
    int r = (int)floor(v / 32 + 0.5) * 32;
    return r < 32 ? 32 : r;
}

void ocr_det_input_size(int w, int h, int limit, int *dw, int *dh) {
    double ratio = 1;
    int longer = w > h ? w : h;
    if (limit > 0 && longer > limit) ratio = (double)limit / longer;
    *dw = round32(w * ratio);
    *dh = round32(h * ratio);
}

/* Buffers for labelling one component at a time. */
typedef struct flood {
    const uint8_t *mask;
    const float *prob;
    uint8_t *seen;
    int *stack;
    int w, h;
    int *row_min, *row_max; /* x extent of the component per row */
} flood;

/* Flood-fills the 8-connected component at `seed`, recording each row's leftmost and rightmost
 * pixel (all a convex hull needs); returns the component's top row, height and mean probability.
 * The score is taken over the component itself, as PaddleOCR's "slow" mode takes it inside the
 * contour: scoring the whole min-area rectangle (its "fast" mode) would count the background a
 * curved line leaves in its box and drop the lines of a page photographed with a bend. */
static void fill_component(flood *f, int seed, int *top, int *rows, float *score) {
    double sum = 0;
    long count = 0;
    int y0 = seed / f->w, y1 = y0, sp = 0;
    f->stack[sp++] = seed;
    f->seen[seed] = 1;
    while (sp) {
        int p = f->stack[--sp], x = p % f->w, y = p / f->w;
        sum += f->prob[p], count++;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < f->row_min[y]) f->row_min[y] = x;
        if (x > f->row_max[y]) f->row_max[y] = x;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int nx = x + dx, ny = y + dy;
                if (nx < 0 || ny < 0 || nx >= f->w || ny >= f->h) continue;
                int q = ny * f->w + nx;
                if (f->mask[q] && !f->seen[q]) f->seen[q] = 1, f->stack[sp++] = q;
            }
    }
    *top = y0;
    *rows = y1 - y0 + 1;
    *score = (float)(sum / count);
}

/* Turns one component (its per-row extents) into a scored, unclipped box; 0 if it is kept. */
static int component_box(const flood *f, int top, int rows, float score, const ocr_options *opt, double *pts,
                         ocr_det_box *out) {
    if (score < opt->box_thresh) return -1;
    int n = 0;
    for (int r = 0; r < rows; r++) {
        int y = top + r;
        if (f->row_min[y] > f->row_max[y]) continue;
        pts[2 * n] = f->row_min[y], pts[2 * n + 1] = y, n++;
        pts[2 * n] = f->row_max[y], pts[2 * n + 1] = y, n++;
    }
    ocr_rect rect;
    if (ocr_min_area_rect(pts, n, &rect) != 0) return -1;
    if (fmin(rect.w, rect.h) < MIN_SIDE) return -1;
    ocr_rect grown = ocr_unclip(&rect, opt->unclip_ratio);
    if (fmin(grown.w, grown.h) < MIN_SIDE + 2) return -1;
    ocr_rect_corners(&grown, out->quad);
    out->score = score;
    return 0;
}

int ocr_db_boxes(const float *prob, int w, int h, const ocr_options *opt, ocr_det_box **boxes, int *n) {
    *boxes = NULL;
    *n = 0;
    size_t npx = (size_t)w * (size_t)h;
    flood f = {.w = w, .h = h};
    uint8_t *mask = malloc(npx);
    f.seen = calloc(npx, 1);
    f.stack = malloc(npx * sizeof(int));
    f.row_min = malloc((size_t)h * sizeof(int));
    f.row_max = malloc((size_t)h * sizeof(int));
    double *pts = malloc((size_t)h * 4 * sizeof(double));
    ocr_det_box *out = malloc(MAX_CANDIDATES * sizeof(ocr_det_box));
    int rc = -1, count = 0;
    if (!mask || !f.seen || !f.stack || !f.row_min || !f.row_max || !pts || !out) goto done;
    for (size_t i = 0; i < npx; i++) mask[i] = prob[i] > opt->thresh;
    f.mask = mask;
    f.prob = prob;
    for (int y = 0; y < h; y++) f.row_min[y] = w, f.row_max[y] = -1;
    int components = 0;
    for (size_t i = 0; i < npx && components < MAX_CANDIDATES; i++) {
        if (!mask[i] || f.seen[i]) continue;
        int top, rows;
        float score;
        fill_component(&f, (int)i, &top, &rows, &score);
        components++;
        if (component_box(&f, top, rows, score, opt, pts, &out[count]) == 0) count++;
        for (int r = 0; r < rows; r++) f.row_min[top + r] = w, f.row_max[top + r] = -1;
    }
    rc = 0;
done:
    free(mask);
    free(f.seen);
    free(f.stack);
    free(f.row_min);
    free(f.row_max);
    free(pts);
    if (rc == 0) *boxes = out, *n = count;
    else free(out);
    return rc;
}
