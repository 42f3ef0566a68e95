/* Frame sources: a folder of images in name order, or a YUV4MPEG2 stream. */
#include "frames.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Chroma subsampling of a y4m stream: shifts of the chroma plane's width and height (mono: none). */
typedef struct y4m_layout {
    int sx, sy, mono, full_range;
} y4m_layout;

struct frame_source {
    /* folder */
    char *dir;
    char **files;
    int n_files, next_file;
    /* y4m */
    FILE *f;
    long data_start;
    int w, h;
    y4m_layout lay;
    uint8_t *planes; /* Y, Cb, Cr of one frame */
};

void frames_ycbcr_to_rgb(int y, int cb, int cr, int full_range, unsigned char rgb[3]) {
    /* BT.601; y4m from ffmpeg and most cameras is limited range (Y 16..235) unless it says otherwise. */
    double yy = full_range ? y : (y - 16) * (255.0 / 219.0);
    double u = (cb - 128) * (full_range ? 1.0 : 255.0 / 224.0), v = (cr - 128) * (full_range ? 1.0 : 255.0 / 224.0);
    double c[3] = {yy + 1.402 * v, yy - 0.344136 * u - 0.714136 * v, yy + 1.772 * u};
    for (int i = 0; i < 3; i++) rgb[i] = (unsigned char)(c[i] < 0 ? 0 : c[i] > 255 ? 255 : c[i] + 0.5);
}

/* ------------------------------------------------------------------------------ folders */

static int is_image_name(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_folder(frame_source *s, const char *path, char *err, size_t errlen) {
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int cap = 0, rc = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL && !rc;) {
        if (!is_image_name(de->d_name)) continue;
        if (s->n_files == cap) {
            cap = cap ? 2 * cap : 64;
            char **v = realloc(s->files, (size_t)cap * sizeof *v);
            if (!v) rc = -1;
            else s->files = v;
        }
        if (!rc && !(s->files[s->n_files] = strdup(de->d_name))) rc = -1;
        if (!rc) s->n_files++;
    }
    closedir(d);
    if (rc) snprintf(err, errlen, "out of memory listing %s", path);
    else if (!s->n_files) snprintf(err, errlen, "%s: no .png or .jpg frames in the folder", path), rc = -1;
    else qsort(s->files, (size_t)s->n_files, sizeof *s->files, by_name);
    return rc;
}

static int next_file(frame_source *s, img *im, char *err, size_t errlen) {
    if (s->next_file >= s->n_files) return 0;
    size_t n = strlen(s->dir) + strlen(s->files[s->next_file]) + 2;
    char *p = malloc(n);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(p, n, "%s/%s", s->dir, s->files[s->next_file++]);
    img_free(im);
    int rc = img_load(p, im, err, errlen);
    free(p);
    return rc ? -1 : 1;
}

/* ---------------------------------------------------------------------------------- y4m */

static int parse_colorspace(const char *c, y4m_layout *lay) {
    memset(lay, 0, sizeof *lay);
    if (!strncmp(c, "420", 3)) lay->sx = lay->sy = 1;
    else if (!strncmp(c, "422", 3)) lay->sx = 1;
    else if (!strncmp(c, "444", 3) && strncmp(c, "444alpha", 8)) return 0;
    else if (!strncmp(c, "mono", 4)) lay->mono = 1;
    else return -1;
    /* Only 8-bit samples: "420p10", "mono12" and the like carry 16-bit ones. */
    const char *rest = c + (lay->mono ? 4 : 3);
    if (rest[0] == 'p') rest++;
    return isdigit((unsigned char)rest[0]) ? -1 : 0;
}

/* Reads the header line: "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg ...". */
static int read_y4m_header(frame_source *s, const char *path, char *err, size_t errlen) {
    char line[1024];
    if (!fgets(line, sizeof line, s->f) || strncmp(line, "YUV4MPEG2 ", 10) || !strchr(line, '\n')) {
        snprintf(err, errlen, "%s: not a YUV4MPEG2 file", path);
        return -1;
    }
    parse_colorspace("420jpeg", &s->lay); /* the format's default */
    for (char *tok = strtok(line + 10, " \n"); tok; tok = strtok(NULL, " \n")) {
        if (tok[0] == 'W') s->w = atoi(tok + 1);
        else if (tok[0] == 'H') s->h = atoi(tok + 1);
        else if (tok[0] == 'C' && parse_colorspace(tok + 1, &s->lay)) {
            snprintf(err, errlen, "%s: colour space %s is not supported (8-bit 420, 422, 444, mono)", path, tok + 1);
            return -1;
        } else if (!strcmp(tok, "XCOLORRANGE=FULL")) s->lay.full_range = 1;
    }
    if (s->w < 1 || s->h < 1 || s->w > IMG_MAX_SIDE || s->h > IMG_MAX_SIDE) {
        snprintf(err, errlen, "%s: bad frame size %dx%d", path, s->w, s->h);
        return -1;
    }
    s->data_start = ftell(s->f);
    return 0;
}

static size_t chroma_bytes(const frame_source *s) {
    if (s->lay.mono) return 0;
    size_t cw = ((size_t)s->w + (size_t)s->lay.sx) >> s->lay.sx, ch = ((size_t)s->h + (size_t)s->lay.sy) >> s->lay.sy;
    return cw * ch;
}

static int open_y4m(frame_source *s, const char *path, char *err, size_t errlen) {
    if (!(s->f = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (read_y4m_header(s, path, err, errlen)) return -1;
    s->planes = malloc((size_t)s->w * (size_t)s->h + 2 * chroma_bytes(s));
    if (!s->planes) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void y4m_to_rgb(const frame_source *s, img *im) {
    const uint8_t *Y = s->planes, *U = Y + (size_t)s->w * s->h, *V = U + chroma_bytes(s);
    size_t cw = ((size_t)s->w + (size_t)s->lay.sx) >> s->lay.sx;
    for (int y = 0; y < s->h; y++) {
        for (int x = 0; x < s->w; x++) {
            size_t ci = (size_t)(y >> s->lay.sy) * cw + (size_t)(x >> s->lay.sx);
            int cb = s->lay.mono ? 128 : U[ci], cr = s->lay.mono ? 128 : V[ci];
            frames_ycbcr_to_rgb(Y[(size_t)y * s->w + x], cb, cr, s->lay.full_range,
                                im->px + 3 * ((size_t)y * s->w + x));
        }
    }
}

static int next_y4m(frame_source *s, img *im, char *err, size_t errlen) {
    char tag[256];
    if (!fgets(tag, sizeof tag, s->f)) return 0;
    if (strncmp(tag, "FRAME", 5) || !strchr(tag, '\n')) {
        snprintf(err, errlen, "y4m: expected a FRAME header");
        return -1;
    }
    size_t n = (size_t)s->w * (size_t)s->h + 2 * chroma_bytes(s);
    if (fread(s->planes, 1, n, s->f) != n) {
        snprintf(err, errlen, "y4m: truncated frame");
        return -1;
    }
    if (im->w != s->w || im->h != s->h) {
        img_free(im);
        if (img_alloc(im, s->w, s->h)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    y4m_to_rgb(s, im);
    return 1;
}

/* ------------------------------------------------------------------------------- common */

int frames_open(const char *path, frame_source **out, char *err, size_t errlen) {
    *out = NULL;
    frame_source *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct stat st;
    int rc;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        s->dir = strdup(path);
        rc = s->dir ? list_folder(s, path, err, errlen) : -1;
        if (!s->dir) snprintf(err, errlen, "out of memory");
    } else {
        rc = open_y4m(s, path, err, errlen);
    }
    if (rc) {
        frames_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

int frames_next(frame_source *s, img *im, char *err, size_t errlen) {
    return s->f ? next_y4m(s, im, err, errlen) : next_file(s, im, err, errlen);
}

int frames_rewind(frame_source *s, char *err, size_t errlen) {
    s->next_file = 0;
    if (s->f && fseek(s->f, s->data_start, SEEK_SET) != 0) {
        snprintf(err, errlen, "y4m: cannot seek back: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void frames_close(frame_source *s) {
    if (!s) return;
    for (int i = 0; i < s->n_files; i++) free(s->files[i]);
    free(s->files);
    free(s->dir);
    if (s->f) fclose(s->f);
    free(s->planes);
    free(s);
}
