/* Image decoding and PNG encoding through stb (Debian's libstb-dev). The only file that holds
 * the stb implementations, so the apps link exactly one copy. */
#include "img.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stb is third-party code that does not build clean under our warning flags: silence them only
 * around the includes. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
/* Files come from users: decode only the common formats and never trust declared sizes. */
#define STBI_NO_HDR
#define STBI_NO_PIC
#define STBI_NO_PSD
#define STBI_MAX_DIMENSIONS IMG_MAX_SIDE
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

static void set_error(char *err, size_t errlen, const char *what, const char *why) {
    if (err && errlen) snprintf(err, errlen, "%s: %s", what, why);
}

/* Takes ownership of stb's pixel buffer by copying it into an img (stb frees with its own free). */
static int adopt_pixels(unsigned char *px, int w, int h, img *out, char *err, size_t errlen, const char *what) {
    if (img_alloc(out, w, h) != 0) {
        stbi_image_free(px);
        set_error(err, errlen, what, "image too large or out of memory");
        return -1;
    }
    memcpy(out->px, px, (size_t)w * (size_t)h * 3);
    stbi_image_free(px);
    return 0;
}

int img_load(const char *path, img *out, char *err, size_t errlen) {
    if (!path || !out) return -1;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_error(err, errlen, path, "cannot open the file");
        return -1;
    }
    int w = 0, h = 0, channels = 0;
    unsigned char *px = stbi_load_from_file(f, &w, &h, &channels, 3);
    fclose(f);
    if (!px) {
        set_error(err, errlen, path, stbi_failure_reason() ? stbi_failure_reason() : "cannot decode the image");
        return -1;
    }
    return adopt_pixels(px, w, h, out, err, errlen, path);
}

int img_load_memory(const void *data, size_t size, img *out, char *err, size_t errlen) {
    if (!data || !out || size == 0 || size > (size_t)0x7fffffff) {
        set_error(err, errlen, "image in memory", "no data or too large");
        return -1;
    }
    memset(out, 0, sizeof *out);
    int w = 0, h = 0, channels = 0;
    unsigned char *px = stbi_load_from_memory(data, (int)size, &w, &h, &channels, 3);
    if (!px) {
        set_error(err, errlen, "image in memory", stbi_failure_reason() ? stbi_failure_reason() : "cannot decode");
        return -1;
    }
    return adopt_pixels(px, w, h, out, err, errlen, "image in memory");
}

int img_write_png(const img *im, const char *path) {
    if (!im || !im->px || !path) return -1;
    return stbi_write_png(path, im->w, im->h, 3, im->px, im->w * 3) ? 0 : -1;
}
