/* Drawing: rectangles, lines, polygon outlines and ASCII text in stb_easy_font's bitmap font. */
#include "img.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* stb_easy_font is a public-domain header whose static helpers we do not all use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

/* The font's line height in font pixels, and the vertex bytes it needs per character at most
 * (each quad is 4 vertices of 16 bytes; no glyph has more than 20 segments). */
enum { FONT_LINE = 12, FONT_BYTES_PER_CHAR = 20 * 64 };

void img_put(img *im, int x, int y, img_color c) {
    if (!im || !im->px || x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    uint8_t *p = im->px + 3 * ((size_t)y * (size_t)im->w + (size_t)x);
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

void img_fill_rect(img *im, int x0, int y0, int x1, int y1, img_color c) {
    if (!im || !im->px) return;
    if (x0 > x1) { int t = x0; x0 = x1; x1 = t; }
    if (y0 > y1) { int t = y0; y0 = y1; y1 = t; }
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 >= im->w ? im->w - 1 : x1, y1 = y1 >= im->h ? im->h - 1 : y1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) img_put(im, x, y, c);
}

void img_draw_line(img *im, double x0, double y0, double x1, double y1, img_color c, int thick) {
    if (!im || !im->px || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    if (thick < 1) thick = 1;
    /* Step one pixel at a time along the longer axis and stamp a square pen; the step count is
     * bounded by the image size so far-away endpoints cannot make it loop for long. */
    double dx = x1 - x0, dy = y1 - y0;
    double len = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
    double limit = 4.0 * (im->w + im->h);
    int steps = (int)(len > limit ? limit : len) + 1;
    int lo = -(thick - 1) / 2, hi = thick / 2;
    for (int i = 0; i <= steps; i++) {
        double t = steps ? (double)i / steps : 0;
        int x = (int)floor(x0 + dx * t + 0.5), y = (int)floor(y0 + dy * t + 0.5);
        img_fill_rect(im, x + lo, y + lo, x + hi, y + hi, c);
    }
}

void img_draw_rect(img *im, int x0, int y0, int x1, int y1, img_color c, int thick) {
    if (x0 > x1) { int t = x0; x0 = x1; x1 = t; }
    if (y0 > y1) { int t = y0; y0 = y1; y1 = t; }
    if (thick < 1) thick = 1;
    img_fill_rect(im, x0, y0, x1, y0 + thick - 1, c);
    img_fill_rect(im, x0, y1 - thick + 1, x1, y1, c);
    img_fill_rect(im, x0, y0, x0 + thick - 1, y1, c);
    img_fill_rect(im, x1 - thick + 1, y0, x1, y1, c);
}

void img_draw_polygon(img *im, const double *xy, int n, img_color c, int thick) {
    if (!xy || n < 2) return;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        img_draw_line(im, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1], c, thick);
    }
}

/* A copy of the text the font can draw: characters outside 32..126 (which would index past its
 * tables) become '?', and a newline ends it (labels are one line). */
static char *printable_copy(const char *text) {
    size_t n = strcspn(text, "\n");
    char *s = malloc(n + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        s[i] = ch >= 32 && ch <= 126 ? (char)ch : '?';
    }
    s[n] = 0;
    return s;
}

int img_text_height(int scale) { return FONT_LINE * (scale < 1 ? 1 : scale); }

int img_text_width(const char *text, int scale) {
    if (!text) return 0;
    char *s = printable_copy(text);
    if (!s) return 0;
    int w = stb_easy_font_width(s) * (scale < 1 ? 1 : scale);
    free(s);
    return w;
}

void img_draw_text(img *im, int x, int y, const char *text, img_color c, int scale) {
    if (!im || !im->px || !text) return;
    if (scale < 1) scale = 1;
    char *s = printable_copy(text);
    size_t n = s ? strlen(s) : 0;
    float *quads = n ? malloc(n * FONT_BYTES_PER_CHAR) : NULL;
    if (!quads) {
        free(s);
        return;
    }
    int nq = stb_easy_font_print(0, 0, s, NULL, quads, (int)(n * FONT_BYTES_PER_CHAR));
    /* Each quad is an axis-aligned rectangle: vertex 0 is its top-left, vertex 2 its bottom-right
     * (4 floats per vertex: x, y, z, packed colour). */
    for (int q = 0; q < nq; q++) {
        const float *v = quads + 16 * q;
        int qx0 = (int)v[0], qy0 = (int)v[1], qx1 = (int)v[8], qy1 = (int)v[9];
        img_fill_rect(im, x + qx0 * scale, y + qy0 * scale, x + qx1 * scale - 1, y + qy1 * scale - 1, c);
    }
    free(quads);
    free(s);
}

void img_draw_label(img *im, int x, int y, const char *text, img_color fg, img_color bg, int scale) {
    if (scale < 1) scale = 1;
    int w = img_text_width(text, scale), h = img_text_height(scale);
    img_fill_rect(im, x, y, x + w + 2 * scale - 1, y + h + scale - 1, bg);
    img_draw_text(im, x + scale, y + scale, text, fg, scale);
}
