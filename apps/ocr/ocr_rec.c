/* Recognition helpers: the key list, rectifying a text box, the input width, CTC decoding. */
#include "ocr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REC_HEIGHT = 48, MAX_KEYS_BYTES = 1 << 24 };

static char *read_file(const char *path, size_t *size, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    char *buf = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len < 0 || len > MAX_KEYS_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: not a readable key list (too large or not seekable)", path);
    } else if (!(buf = malloc((size_t)len + 2))) {
        snprintf(err, errlen, "out of memory reading %s", path);
    } else if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        buf = NULL;
    } else {
        buf[len] = 0;
        *size = (size_t)len;
    }
    fclose(f);
    return buf;
}

int ocr_keys_load(const char *path, ocr_keys *keys, char *err, size_t errlen) {
    memset(keys, 0, sizeof *keys);
    size_t size = 0;
    char *buf = read_file(path, &size, err, errlen);
    if (!buf) return -1;
    int lines = 1;
    for (size_t i = 0; i < size; i++) lines += buf[i] == '\n';
    keys->keys = malloc(sizeof(char *) * ((size_t)lines + 1));
    if (!keys->keys) {
        free(buf);
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    keys->buf = buf;
    /* One key per line; a final line without a newline counts, an empty one after it does not. */
    for (char *p = buf; p < buf + size;) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        char *end = nl ? nl : buf + size;
        if (end > p && end[-1] == '\r') end[-1] = 0;
        *end = 0;
        keys->keys[keys->n++] = p;
        p = end + 1;
    }
    keys->keys[keys->n++] = " "; /* PaddleOCR's use_space_char */
    return 0;
}

void ocr_keys_free(ocr_keys *keys) {
    free(keys->keys);
    free(keys->buf);
    memset(keys, 0, sizeof *keys);
}

static double dist(const double *a, const double *b) { return hypot(a[0] - b[0], a[1] - b[1]); }

int ocr_rectify(const img *image, const double quad[8], img *strip) {
    int w = (int)fmax(dist(quad, quad + 2), dist(quad + 4, quad + 6));
    int h = (int)fmax(dist(quad, quad + 6), dist(quad + 2, quad + 4));
    if (w < 1 || h < 1 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE) return -1;
    double dst[8] = {0, 0, w, 0, w, h, 0, h};
    int out_w = w, out_h = h;
    if ((double)h / w >= 1.5) {
        /* Vertical text: map the box's corners onto the strip turned a quarter counter-clockwise. */
        double turned[8] = {0, w, 0, 0, h, 0, h, w};
        memcpy(dst, turned, sizeof dst);
        out_w = h, out_h = w;
    }
    double hm[9];
    /* Bicubic, as PaddleOCR crops: small text stays sharper, and the recogniser then keeps the gaps
     * between words that a softer crop loses. */
    if (img_perspective_from_quads(quad, dst, hm) != 0) return -1;
    return img_warp_perspective(image, hm, out_w, out_h, IMG_CUBIC, IMG_BORDER_REPLICATE, strip);
}

int ocr_rec_scaled_width(int w, int h) {
    double sw = ceil(REC_HEIGHT * (double)w / h);
    return sw < 1 ? 1 : sw > IMG_MAX_SIDE ? IMG_MAX_SIDE : (int)sw;
}

int ocr_ctc_decode(const float *probs, int t_steps, int classes, const ocr_keys *keys, char **text, float *score) {
    size_t longest = 0, len = 0;
    for (int i = 0; i < keys->n; i++) {
        size_t kl = strlen(keys->keys[i]);
        longest = kl > longest ? kl : longest;
    }
    size_t cap = (size_t)(t_steps > 0 ? t_steps : 0) * longest + 1;
    char *s = malloc(cap);
    if (!s) return -1;
    double sum = 0;
    int kept = 0, prev = -1;
    for (int t = 0; t < t_steps; t++) {
        const float *row = probs + (size_t)t * (size_t)classes;
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (row[c] > row[best]) best = c;
        /* A class repeated on consecutive steps is one character; blanks separate true repeats. */
        if (best != 0 && best != prev && best <= keys->n) {
            const char *k = keys->keys[best - 1];
            size_t kl = strlen(k);
            memcpy(s + len, k, kl);
            len += kl;
            sum += row[best];
            kept++;
        }
        prev = best;
    }
    s[len] = 0;
    *text = s;
    *score = kept ? (float)(sum / kept) : 0.0f;
    return 0;
}
