/* Affine and perspective warps, and the small linear algebra that builds their matrices. */
#include "img_internal.h"

#include <math.h>
#include <string.h>

/* One interpolated sample at source position (sx, sy) in pixel-index coordinates: 2 x 2 taps for
 * bilinear, 4 x 4 for bicubic. Outside taps are black (constant border) or the nearest edge pixel. */
static void sample(const img *src, double sx, double sy, img_interp interp, img_border border, uint8_t out[3]) {
    if (border == IMG_BORDER_CONSTANT && (sx <= -2 || sy <= -2 || sx >= src->w + 1 || sy >= src->h + 1)) {
        out[0] = out[1] = out[2] = 0;
        return;
    }
    double fx0 = floor(sx), fy0 = floor(sy);
    double wx[4] = {0, 1 - (sx - fx0), sx - fx0, 0}, wy[4] = {0, 1 - (sy - fy0), sy - fy0, 0};
    if (interp == IMG_CUBIC) {
        img_cubic_weights(sx - fx0, wx);
        img_cubic_weights(sy - fy0, wy);
    }
    int first = interp == IMG_CUBIC ? 0 : 1, last = interp == IMG_CUBIC ? 3 : 2;
    double acc[3] = {0, 0, 0};
    for (int j = first; j <= last; j++)
        for (int i = first; i <= last; i++) {
            int x = (int)fx0 - 1 + i, y = (int)fy0 - 1 + j;
            int inside = x >= 0 && y >= 0 && x < src->w && y < src->h;
            if (!inside && border == IMG_BORDER_CONSTANT) continue;
            x = x < 0 ? 0 : x >= src->w ? src->w - 1 : x;
            y = y < 0 ? 0 : y >= src->h ? src->h - 1 : y;
            const uint8_t *p = src->px + 3 * ((size_t)y * (size_t)src->w + (size_t)x);
            for (int c = 0; c < 3; c++) acc[c] += wx[i] * wy[j] * p[c];
        }
    for (int c = 0; c < 3; c++) out[c] = (uint8_t)(acc[c] <= 0 ? 0 : acc[c] >= 255 ? 255 : acc[c] + 0.5);
}

int img_mat3_invert(const double m[9], double inv[9]) {
    double c0 = m[4] * m[8] - m[5] * m[7], c1 = m[5] * m[6] - m[3] * m[8], c2 = m[3] * m[7] - m[4] * m[6];
    double det = m[0] * c0 + m[1] * c1 + m[2] * c2;
    if (fabs(det) < 1e-12) return -1;
    double r[9] = {c0, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                   c1, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                   c2, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
    for (int i = 0; i < 9; i++) inv[i] = r[i] / det;
    return 0;
}

int img_affine_invert(const double m[6], double inv[6]) {
    double full[9] = {m[0], m[1], m[2], m[3], m[4], m[5], 0, 0, 1}, r[9];
    if (img_mat3_invert(full, r) != 0) return -1;
    memcpy(inv, r, 6 * sizeof(double));
    return 0;
}

/* Both warps map each destination pixel centre back through the inverse matrix; an affine map is
 * the perspective map whose last row is (0, 0, 1). */
int img_warp_perspective(const img *src, const double hm[9], int w, int h, img_interp interp,
                         img_border border, img *dst) {
    double inv[9];
    if (!img_valid(src) || !hm || !dst || img_mat3_invert(hm, inv) != 0) return -1;
    if (img_alloc(dst, w, h) != 0) return -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double z = inv[6] * x + inv[7] * y + inv[8];
            uint8_t *out = dst->px + 3 * ((size_t)y * (size_t)w + (size_t)x);
            if (fabs(z) < 1e-12) continue; /* the point maps to infinity: leave it black */
            double sx = (inv[0] * x + inv[1] * y + inv[2]) / z;
            double sy = (inv[3] * x + inv[4] * y + inv[5]) / z;
            sample(src, sx, sy, interp, border, out);
        }
    return 0;
}

int img_warp_affine(const img *src, const double m[6], int w, int h, img_interp interp, img_border border,
                    img *dst) {
    if (!m) return -1;
    double full[9] = {m[0], m[1], m[2], m[3], m[4], m[5], 0, 0, 1};
    return img_warp_perspective(src, full, w, h, interp, border, dst);
}

/* Solves the n x n system a x = b (a row-major, n <= 8) by Gaussian elimination with partial
 * pivoting; a and b are overwritten. */
static int solve(double *a, double *b, int n) {
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(a[r * n + col]) > fabs(a[piv * n + col])) piv = r;
        if (fabs(a[piv * n + col]) < 1e-12) return -1;
        if (piv != col) {
            for (int k = 0; k < n; k++) {
                double t = a[col * n + k];
                a[col * n + k] = a[piv * n + k];
                a[piv * n + k] = t;
            }
            double t = b[col];
            b[col] = b[piv];
            b[piv] = t;
        }
        for (int r = col + 1; r < n; r++) {
            double f = a[r * n + col] / a[col * n + col];
            for (int k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
            b[r] -= f * b[col];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < n; k++) s -= a[r * n + k] * b[k];
        b[r] = s / a[r * n + r];
    }
    return 0;
}

int img_perspective_from_quads(const double src[8], const double dst[8], double hm[9]) {
    /* h33 = 1; each correspondence gives two linear equations in the other eight entries. */
    double a[64], b[8];
    for (int i = 0; i < 4; i++) {
        double x = src[2 * i], y = src[2 * i + 1], u = dst[2 * i], v = dst[2 * i + 1];
        double r0[8] = {x, y, 1, 0, 0, 0, -x * u, -y * u};
        double r1[8] = {0, 0, 0, x, y, 1, -x * v, -y * v};
        memcpy(a + 16 * i, r0, sizeof r0);
        memcpy(a + 16 * i + 8, r1, sizeof r1);
        b[2 * i] = u;
        b[2 * i + 1] = v;
    }
    if (solve(a, b, 8) != 0) return -1;
    memcpy(hm, b, 8 * sizeof(double));
    hm[8] = 1;
    return 0;
}

int img_similarity_from_points(const double *src, const double *dst, int n, double m[6]) {
    if (!src || !dst || !m || n < 2) return -1;
    double sx = 0, sy = 0, dx = 0, dy = 0;
    for (int i = 0; i < n; i++) {
        sx += src[2 * i];
        sy += src[2 * i + 1];
        dx += dst[2 * i];
        dy += dst[2 * i + 1];
    }
    sx /= n, sy /= n, dx /= n, dy /= n;
    /* With both point sets centred, the best map is q = [a -b; b a] p with these a, b. */
    double num_a = 0, num_b = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double px = src[2 * i] - sx, py = src[2 * i + 1] - sy;
        double qx = dst[2 * i] - dx, qy = dst[2 * i + 1] - dy;
        num_a += px * qx + py * qy;
        num_b += px * qy - py * qx;
        den += px * px + py * py;
    }
    if (den < 1e-12) return -1;
    double a = num_a / den, b = num_b / den;
    m[0] = a, m[1] = -b, m[2] = dx - (a * sx - b * sy);
    m[3] = b, m[4] = a, m[5] = dy - (b * sx + a * sy);
    return 0;
}
