/*
 * img — the small image library the cort apps share (OCR, faces): RGB8 images, PNG/JPEG/BMP
 * decoding and PNG encoding (stb, from Debian's libstb-dev), resizing, cropping, affine and
 * perspective warps, colour conversion, normalisation into float CHW tensors and drawing.
 *
 * It has no global state and never calls exit(): functions that can fail return 0 on success
 * and -1 on failure (bad arguments, out of memory, unreadable file). It does not depend on cort;
 * apps pass the tensors it fills to cort's public API.
 *
 * Coordinates: pixel (x, y) covers [x, x+1) x [y, y+1); its centre is (x+0.5, y+0.5), the
 * convention of OpenCV's resize, so models trained on OpenCV pre-processing see the same pixels.
 */
#ifndef CORT_APPS_IMG_H
#define CORT_APPS_IMG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An 8-bit RGB image; rows are packed: the pixel (x, y) is px[3 * (y * w + x) + {0,1,2}]. */
typedef struct img {
    int w, h;
    uint8_t *px;
} img;

typedef struct img_color {
    uint8_t r, g, b;
} img_color;

/** The largest side accepted anywhere (keeps w * h * 3 far from overflow). */
#define IMG_MAX_SIDE 32768

/* ---------------------------------------------------------------- memory and I/O */

/** Allocates a black w x h image into *im (sides 1..IMG_MAX_SIDE). */
int img_alloc(img *im, int w, int h);
/** Frees the pixels and zeroes *im; accepts an empty image. */
void img_free(img *im);
/** Decodes a PNG, JPEG, BMP, GIF, TGA or PNM file as RGB (grey and alpha are dropped to RGB).
 *  On failure writes a reason naming the file into err (if errlen > 0). */
int img_load(const char *path, img *out, char *err, size_t errlen);
/** As img_load, from encoded bytes in memory. */
int img_load_memory(const void *data, size_t size, img *out, char *err, size_t errlen);
/** Writes the image as an RGB PNG. */
int img_write_png(const img *im, const char *path);

/* ------------------------------------------------------------ geometry and colour */

/** Copies the w x h region at (x, y) into *dst; parts outside the source are black. */
int img_crop(const img *src, int x, int y, int w, int h, img *dst);
/** How samples between pixels are interpolated. */
typedef enum img_interp {
    IMG_LINEAR = 0, /**< bilinear: fast, slightly soft */
    IMG_CUBIC = 1   /**< bicubic (Catmull-Rom): sharper when enlarging, e.g. small text for OCR */
} img_interp;

/** Resizes to w x h (pixel centres aligned as OpenCV's resize; no anti-aliasing when shrinking). */
int img_resize(const img *src, int w, int h, img_interp interp, img *dst);
/** Mirrors the image left to right in place. */
void img_flip_h(img *im);
/** Builds an RGB image from 8-bit grey samples (stride = w). */
int img_from_gray(const uint8_t *gray, int w, int h, img *dst);
/** Writes the luma (ITU-R BT.601) of every pixel into gray[w * h]. */
void img_to_gray(const img *im, uint8_t *gray);

/** What a warp reads outside the source image. */
typedef enum img_border {
    IMG_BORDER_CONSTANT = 0, /**< black */
    IMG_BORDER_REPLICATE = 1 /**< the nearest edge pixel */
} img_border;

/**
 * Affine warp into a w x h image. `m` (2x3, row-major) maps source coordinates to destination
 * coordinates, as OpenCV's warpAffine (integer coordinates are pixel centres).
 */
int img_warp_affine(const img *src, const double m[6], int w, int h, img_interp interp, img_border border,
                    img *dst);
/** Perspective warp into a w x h image; `hm` (3x3, row-major) maps source to destination. */
int img_warp_perspective(const img *src, const double hm[9], int w, int h, img_interp interp,
                         img_border border, img *dst);
/** Inverts a 2x3 affine map; -1 if it is singular. */
int img_affine_invert(const double m[6], double inv[6]);
/** Inverts a 3x3 matrix; -1 if it is singular. */
int img_mat3_invert(const double m[9], double inv[9]);
/** The perspective map taking the 4 points src[8] (x0,y0,...,x3,y3) to dst[8]; -1 if degenerate. */
int img_perspective_from_quads(const double src[8], const double dst[8], double hm[9]);
/**
 * The least-squares similarity (rotation, uniform scale, translation; no reflection) taking the n
 * points src[2n] onto dst[2n], as a 2x3 affine map (Umeyama's estimate, used to align faces to a
 * landmark template). -1 if n < 2 or the source points coincide.
 */
int img_similarity_from_points(const double *src, const double *dst, int n, double m[6]);

/* ------------------------------------------------------------------ model input */

/** Channel order of a tensor filled by img_to_chw. */
typedef enum img_order { IMG_RGB = 0, IMG_BGR = 1 } img_order;

/**
 * Fills a float CHW tensor of 3 x out_h x out_w from the image: channel c holds
 * (sample - mean[c]) * scale[c] with samples in 0..255, in the given channel order (mean and scale
 * are indexed by tensor channel). The image lands in the top-left corner; the rest of the tensor is
 * zero (the padding PaddleOCR's recogniser expects). Requires im->w <= out_w, im->h <= out_h.
 */
int img_to_chw(const img *im, const float mean[3], const float scale[3], img_order order, float *out,
               int out_w, int out_h);

/* ------------------------------------------------------------------------ drawing */

/** Sets the pixel if it is inside the image. */
void img_put(img *im, int x, int y, img_color c);
/** Fills the rectangle [x0, x1] x [y0, y1] (inclusive, clipped). */
void img_fill_rect(img *im, int x0, int y0, int x1, int y1, img_color c);
/** A line `thick` pixels wide (square pen) between two points. */
void img_draw_line(img *im, double x0, double y0, double x1, double y1, img_color c, int thick);
/** The outline of the rectangle with corners (x0, y0) and (x1, y1), drawn inwards `thick` pixels. */
void img_draw_rect(img *im, int x0, int y0, int x1, int y1, img_color c, int thick);
/** The closed outline through n points xy[2n]. */
void img_draw_polygon(img *im, const double *xy, int n, img_color c, int thick);
/** Height in pixels of one line of text at `scale` (an integer magnification, >= 1). */
int img_text_height(int scale);
/** Width in pixels of `text` at `scale`. */
int img_text_width(const char *text, int scale);
/**
 * Draws ASCII text with its top-left corner at (x, y) in a small built-in bitmap font
 * (stb_easy_font), each font pixel a scale x scale square; characters outside 32..126 show as '?'.
 */
void img_draw_text(img *im, int x, int y, const char *text, img_color c, int scale);
/** Text on a filled background box (for labels on boxes): the box is padded by `scale` pixels. */
void img_draw_label(img *im, int x, int y, const char *text, img_color fg, img_color bg, int scale);

#ifdef __cplusplus
}
#endif
#endif /* CORT_APPS_IMG_H */
