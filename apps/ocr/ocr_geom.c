/* Geometry of text boxes: convex hull, minimum-area rectangle, corner order, unclip. */
#include "ocr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_point(const void *a, const void *b) {
    const double *p = a, *q = b;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    if (p[1] != q[1]) return p[1] < q[1] ? -1 : 1;
    return 0;
}

static double cross(const double *o, const double *a, const double *b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* Andrew's monotone chain over sorted points; returns the hull's size (collinear points dropped). */
static int convex_hull(const double *sorted, int n, double *hull) {
    if (n < 3) {
        memcpy(hull, sorted, 2 * (size_t)n * sizeof(double));
        return n;
    }
    int k = 0;
    for (int i = 0; i < n; i++) { /* lower hull */
        while (k >= 2 && cross(hull + 2 * (k - 2), hull + 2 * (k - 1), sorted + 2 * i) <= 0) k--;
        memcpy(hull + 2 * k++, sorted + 2 * i, 2 * sizeof(double));
    }
    for (int i = n - 2, lower = k + 1; i >= 0; i--) { /* upper hull */
        while (k >= lower && cross(hull + 2 * (k - 2), hull + 2 * (k - 1), sorted + 2 * i) <= 0) k--;
        memcpy(hull + 2 * k++, sorted + 2 * i, 2 * sizeof(double));
    }
    return k - 1; /* the last point repeats the first */
}

/* The bounding rectangle of the hull aligned with direction (ux, uy); returns its area. */
static double fit_along(const double *hull, int n, double ux, double uy, ocr_rect *r) {
    double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        double u = hull[2 * i] * ux + hull[2 * i + 1] * uy;
        double v = -hull[2 * i] * uy + hull[2 * i + 1] * ux;
        umin = u < umin ? u : umin, umax = u > umax ? u : umax;
        vmin = v < vmin ? v : vmin, vmax = v > vmax ? v : vmax;
    }
    double cu = (umin + umax) / 2, cv = (vmin + vmax) / 2;
    r->cx = cu * ux - cv * uy;
    r->cy = cu * uy + cv * ux;
    r->ux = ux, r->uy = uy;
    r->w = umax - umin, r->h = vmax - vmin;
    return r->w * r->h;
}

int ocr_min_area_rect(const double *pts, int n, ocr_rect *r) {
    if (!pts || n < 1 || !r) return -1;
    double *work = malloc(sizeof(double) * 2 * ((size_t)n * 2 + 2));
    if (!work) return -1;
    double *sorted = work, *hull = work + 2 * (size_t)n;
    memcpy(sorted, pts, 2 * (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, 2 * sizeof(double), cmp_point);
    int h = convex_hull(sorted, n, hull);
    /* The optimal rectangle has a side along some hull edge: try each edge's direction. */
    fit_along(hull, h, 1, 0, r);
    double best = INFINITY;
    for (int i = 0; i < h && h >= 2; i++) {
        const double *a = hull + 2 * i, *b = hull + 2 * ((i + 1) % h);
        double dx = b[0] - a[0], dy = b[1] - a[1], len = hypot(dx, dy);
        if (len < 1e-9) continue;
        ocr_rect cand;
        double area = fit_along(hull, h, dx / len, dy / len, &cand);
        if (area < best - 1e-9) best = area, *r = cand;
    }
    free(work);
    return 0;
}

void ocr_rect_corners(const ocr_rect *r, double quad[8]) {
    double hx = r->w / 2, hy = r->h / 2;
    double p[4][2] = {{r->cx - hx * r->ux + hy * r->uy, r->cy - hx * r->uy - hy * r->ux},
                      {r->cx + hx * r->ux + hy * r->uy, r->cy + hx * r->uy - hy * r->ux},
                      {r->cx + hx * r->ux - hy * r->uy, r->cy + hx * r->uy + hy * r->ux},
                      {r->cx - hx * r->ux - hy * r->uy, r->cy - hx * r->uy + hy * r->ux}};
    qsort(p, 4, sizeof p[0], cmp_point); /* by x: p[0], p[1] form the left side */
    int tl = p[0][1] <= p[1][1] ? 0 : 1, bl = 1 - tl;
    int tr = p[2][1] <= p[3][1] ? 2 : 3, br = 5 - tr;
    const int order[4] = {tl, tr, br, bl};
    for (int i = 0; i < 4; i++) quad[2 * i] = p[order[i]][0], quad[2 * i + 1] = p[order[i]][1];
}

ocr_rect ocr_unclip(const ocr_rect *r, double ratio) {
    ocr_rect g = *r;
    double perimeter = 2 * (r->w + r->h);
    double d = perimeter > 0 ? r->w * r->h * ratio / perimeter : 0;
    g.w += 2 * d;
    g.h += 2 * d;
    return g;
}
