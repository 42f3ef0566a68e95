/* The gallery of enrolled faces: a text file of names and normalised embeddings, cosine matching. */
#include "face.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text format so a gallery can be read and diffed; the header pins the embedding size. */
#define GALLERY_MAGIC "cort-face-gallery 1"

void face_gallery_free(face_gallery *g) {
    free(g->names);
    free(g->emb);
    memset(g, 0, sizeof *g);
}

static int valid_name(const char *name) {
    size_t n = strlen(name);
    if (n < 1 || n >= FACE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) return 0; /* tabs and newlines frame entries */
    return 1;
}

static int grow(face_gallery *g) {
    if (g->n < g->cap) return 0;
    int nc = g->cap ? 2 * g->cap : 8;
    char(*names)[FACE_NAME_MAX] = realloc(g->names, (size_t)nc * sizeof *names);
    if (!names) return -1;
    g->names = names;
    float *emb = realloc(g->emb, (size_t)nc * FACE_EMBED_DIM * sizeof *emb);
    if (!emb) return -1;
    g->emb = emb;
    g->cap = nc;
    return 0;
}

int face_gallery_add(face_gallery *g, const char *name, const float emb[FACE_EMBED_DIM], char *err, size_t errlen) {
    if (!valid_name(name)) {
        snprintf(err, errlen, "invalid name \"%s\": 1 to %d printable bytes, no tabs", name, FACE_NAME_MAX - 1);
        return -1;
    }
    if (grow(g)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    strcpy(g->names[g->n], name);
    memcpy(g->emb + (size_t)g->n * FACE_EMBED_DIM, emb, FACE_EMBED_DIM * sizeof *emb);
    g->n++;
    return 0;
}

/* Parses "name<TAB>v1 v2 ... v128" (the newline already removed); renormalises against rounding. */
static int parse_entry(char *line, face_gallery *g, char *err, size_t errlen) {
    char *tab = strchr(line, '\t');
    if (!tab) return -1;
    *tab = 0;
    float emb[FACE_EMBED_DIM];
    char *p = tab + 1, *end;
    double ss = 0;
    for (int i = 0; i < FACE_EMBED_DIM; i++, p = end) {
        emb[i] = strtof(p, &end);
        if (end == p || !isfinite(emb[i])) return -1;
        ss += (double)emb[i] * emb[i];
    }
    while (*p == ' ') p++;
    if (*p || ss <= 0) return -1;
    for (int i = 0; i < FACE_EMBED_DIM; i++) emb[i] = (float)(emb[i] / sqrt(ss));
    return face_gallery_add(g, line, emb, err, errlen);
}

static int read_entries(FILE *f, const char *path, face_gallery *g, char *err, size_t errlen) {
    char line[FACE_NAME_MAX + FACE_EMBED_DIM * 24 + 8];
    if (!fgets(line, sizeof line, f) || strncmp(line, GALLERY_MAGIC, strlen(GALLERY_MAGIC)) != 0 ||
        atoi(line + strlen(GALLERY_MAGIC)) != FACE_EMBED_DIM) {
        snprintf(err, errlen, "%s: not a cort-face gallery of %d-d embeddings", path, FACE_EMBED_DIM);
        return -1;
    }
    for (int lineno = 2; fgets(line, sizeof line, f); lineno++) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        if (!n) continue;
        char why[256] = "";
        if (parse_entry(line, g, why, sizeof why)) {
            snprintf(err, errlen, "%s:%d: bad gallery entry%s%s", path, lineno, *why ? ": " : "", why);
            return -1;
        }
    }
    return 0;
}

int face_gallery_load(const char *path, int missing_ok, face_gallery *g, char *err, size_t errlen) {
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (missing_ok && errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = read_entries(f, path, g, err, errlen);
    fclose(f);
    if (rc) face_gallery_free(g);
    return rc;
}

int face_gallery_save(const face_gallery *g, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%s %d\n", GALLERY_MAGIC, FACE_EMBED_DIM);
    for (int i = 0; i < g->n; i++) {
        fprintf(f, "%s\t", g->names[i]);
        const float *e = g->emb + (size_t)i * FACE_EMBED_DIM;
        for (int k = 0; k < FACE_EMBED_DIM; k++) fprintf(f, "%s%.9g", k ? " " : "", (double)e[k]);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

float face_cosine(const float a[FACE_EMBED_DIM], const float b[FACE_EMBED_DIM]) {
    float s = 0;
    for (int i = 0; i < FACE_EMBED_DIM; i++) s += a[i] * b[i];
    return s;
}

int face_gallery_best(const face_gallery *g, const float emb[FACE_EMBED_DIM], float *sim) {
    int best = -1;
    *sim = -2;
    for (int i = 0; i < g->n; i++) {
        float s = face_cosine(emb, g->emb + (size_t)i * FACE_EMBED_DIM);
        if (s > *sim) *sim = s, best = i;
    }
    return best;
}
