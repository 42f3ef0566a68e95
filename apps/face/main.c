/* cort-face: face detection, enrolment, identification and a camera loop on cort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "face.h"
#include "frames.h"
#include "img.h"

static const char USAGE[] =
    "usage: cort-face detect IMAGE [-o OUT.png] [--json]\n"
    "       cort-face enroll NAME IMAGE... --db FILE\n"
    "       cort-face identify IMAGE --db FILE [-o OUT.png] [--json]\n"
    "       cort-face video FRAMES_DIR|VIDEO.y4m [--db FILE] [--repeat N]\n"
    "\n"
    "Finds faces with UltraFace or YuNet, aligns them to the ArcFace template, embeds them with\n"
    "MobileFaceNet and names them from a gallery file by cosine similarity.\n"
    "\n"
    "  --detector D    ultraface or yunet (default yunet: its 5 landmarks align faces best)\n"
    "  --models DIR    folder holding " FACE_ULTRAFACE_MODEL ", " FACE_YUNET_MODEL "\n"
    "                  and " FACE_EMBED_MODEL " (default: $" APP_MODELS_ENV ")\n"
    "  --db FILE       the gallery of enrolled faces (enroll creates or extends it)\n"
    "  --json          print only {\"faces\": [{\"box\": [x1, y1, x2, y2], \"score\": s, \"name\": ...}, ...]}\n"
    "  -o OUT.png      also write the image with boxes and names drawn on it\n"
    "  --score S       detection score threshold (default 0.7)\n"
    "  --match S       cosine similarity needed to name a face (default 0.4)\n"
    "  --threads N     intra-op threads (default 0: one per core)\n"
    "  --repeat N      video: play the frames N times (timings of longer runs)\n";

typedef struct args {
    const char *cmd, *models, *db, *out_png, *name;
    const char **inputs;
    int n_inputs, json, repeat;
    face_options opt;
} args;

static int parse_float(const char *s, float lo, float hi, float *out) {
    char *end;
    float v = strtof(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Options that take a value; returns 0 if `opt` was one of them, -1 on a bad value, 1 otherwise. */
static int parse_valued(args *a, const char *opt, const char *v) {
    if (!strcmp(opt, "--models")) a->models = v;
    else if (!strcmp(opt, "--db")) a->db = v;
    else if (!strcmp(opt, "-o")) a->out_png = v;
    else if (!strcmp(opt, "--detector")) {
        if (!strcmp(v, "yunet")) a->opt.detector = FACE_DET_YUNET;
        else if (!strcmp(v, "ultraface")) a->opt.detector = FACE_DET_ULTRAFACE;
        else return -1;
    } else if (!strcmp(opt, "--score")) return parse_float(v, 0.001f, 1, &a->opt.score_thresh);
    else if (!strcmp(opt, "--match")) return parse_float(v, -1, 1, &a->opt.match_thresh);
    else if (!strcmp(opt, "--threads")) return parse_int(v, 0, 1024, &a->opt.threads);
    else if (!strcmp(opt, "--repeat")) return parse_int(v, 1, 100000, &a->repeat);
    else return 1;
    return 0;
}

/* Returns 0 on success, 1 when help was asked for, 2 on a usage error. */
static int parse_args(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    face_default_options(&a->opt);
    a->repeat = 1;
    if (!(a->inputs = calloc((size_t)argc, sizeof *a->inputs))) return 2;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        if (!strcmp(s, "--json")) {
            a->json = 1;
            continue;
        }
        if (s[0] == '-' && s[1]) {
            int rc = i + 1 < argc ? parse_valued(a, s, argv[i + 1]) : 1;
            if (rc) {
                fprintf(stderr, "cort-face: %s option or value: %s%s%s\n", rc < 0 ? "bad" : "unknown", s,
                        rc < 0 ? " " : "", rc < 0 ? argv[i + 1] : "");
                return 2;
            }
            i++;
        } else if (!a->cmd) a->cmd = s;
        else a->inputs[a->n_inputs++] = s;
    }
    return a->cmd ? 0 : 2;
}

/* ------------------------------------------------------------------------------ output */

typedef struct named_face {
    face f;
    const char *name; /* NULL when unknown or not identified */
    float sim;
} named_face;

static void print_json(const named_face *v, int n) {
    printf("{\"faces\": [");
    for (int i = 0; i < n; i++) {
        const float *b = v[i].f.box;
        printf("%s{\"box\": [%.1f, %.1f, %.1f, %.1f], \"score\": %.4f, \"name\": ", i ? ", " : "", (double)b[0],
               (double)b[1], (double)b[2], (double)b[3], (double)v[i].f.score);
        if (v[i].name) app_json_string(stdout, v[i].name);
        else printf("null");
        printf("}");
    }
    printf("]}\n");
}

static void print_text(const char *path, const img *im, const named_face *v, int n, int identified) {
    printf("%s: %dx%d, %d face%s\n", path, im->w, im->h, n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        const float *b = v[i].f.box;
        printf("  [%4.0f, %4.0f, %4.0f, %4.0f] score %.3f", (double)b[0], (double)b[1], (double)b[2], (double)b[3],
               (double)v[i].f.score);
        if (identified) printf("  %s (similarity %.3f)", v[i].name ? v[i].name : "unknown", (double)v[i].sim);
        printf("\n");
    }
}

static void draw_faces(img *im, const named_face *v, int n) {
    static const img_color known = {40, 220, 40}, unknown = {240, 60, 40}, mark = {255, 220, 0};
    int side = im->w < im->h ? im->w : im->h, thick = side / 300 + 1, scale = side / 400 + 1;
    for (int i = 0; i < n; i++) {
        const face *f = &v[i].f;
        img_color c = v[i].name ? known : unknown;
        img_draw_rect(im, (int)f->box[0], (int)f->box[1], (int)f->box[2], (int)f->box[3], c, thick);
        for (int j = 0; j < 5 && !f->lm_from_box; j++)
            img_fill_rect(im, (int)f->lm[2 * j] - thick, (int)f->lm[2 * j + 1] - thick, (int)f->lm[2 * j] + thick,
                          (int)f->lm[2 * j + 1] + thick, mark);
        char label[FACE_NAME_MAX + 16];
        if (v[i].name) snprintf(label, sizeof label, "%s %.2f", v[i].name, (double)v[i].sim);
        else snprintf(label, sizeof label, "%.2f", (double)f->score);
        int y = (int)f->box[1] - img_text_height(scale) - 2 * scale;
        img_draw_label(im, (int)f->box[0], y < 0 ? (int)f->box[3] + scale : y, label, (img_color){0, 0, 0}, c, scale);
    }
}

/* ---------------------------------------------------------------------------- pipeline */

/* Aligns, embeds and matches every face; fills v[i].name from the gallery (may be NULL). */
static int identify_faces(face_engine *eng, const img *im, const face_gallery *g, named_face *v, int n,
                          face_timing *t, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        double t0 = app_now_ms();
        img aligned = {0};
        if (face_align(im, &v[i].f, &aligned)) {
            snprintf(err, errlen, "cannot align face %d", i);
            return -1;
        }
        double t1 = app_now_ms();
        float emb[FACE_EMBED_DIM];
        int rc = face_embed(eng, &aligned, emb, err, errlen);
        img_free(&aligned);
        if (rc) return -1;
        double t2 = app_now_ms();
        int best = g ? face_gallery_best(g, emb, &v[i].sim) : -1;
        if (best >= 0 && v[i].sim >= face_engine_options(eng)->match_thresh) v[i].name = g->names[best];
        t->align += t1 - t0, t->embed += t2 - t1, t->match += app_now_ms() - t2;
    }
    return 0;
}

/* Detects (and, with a gallery or `embed`, identifies) the faces of one image. */
static int analyse(face_engine *eng, const img *im, const face_gallery *g, int embed, named_face **out, int *n,
                   face_timing *t, char *err, size_t errlen) {
    face_list l;
    *out = NULL;
    *n = 0;
    if (face_detect(eng, im, &l, t, err, errlen)) return -1;
    named_face *v = calloc((size_t)l.n + 1, sizeof *v);
    if (!v) {
        face_list_free(&l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < l.n; i++) v[i].f = l.v[i];
    *n = l.n;
    face_list_free(&l);
    *out = v;
    return embed ? identify_faces(eng, im, g, v, *n, t, err, errlen) : 0;
}

static int open_engine(const args *a, int with_embedder, face_engine **eng) {
    char err[8192];
    face_options o = a->opt;
    o.with_embedder = with_embedder;
    if (face_engine_create(a->models, &o, eng, err, sizeof err) == 0) return 0;
    fprintf(stderr, "cort-face: %s\n", err);
    return -1;
}

static int load_image(const char *path, img *im) {
    char err[1024];
    if (img_load(path, im, err, sizeof err) == 0) return 0;
    fprintf(stderr, "cort-face: %s\n", err);
    return -1;
}

/* ---------------------------------------------------------------------------- commands */

/* detect and identify: one image in, faces printed (and drawn). */
static int cmd_image(const args *a, int identify) {
    if (a->n_inputs != 1 || (identify && !a->db)) {
        fprintf(stderr, "cort-face: %s takes one IMAGE%s\n", a->cmd, identify ? " and --db FILE" : "");
        return 2;
    }
    char err[4096];
    face_gallery g = {0};
    if (identify && face_gallery_load(a->db, 0, &g, err, sizeof err)) {
        fprintf(stderr, "cort-face: %s\n", err);
        return 1;
    }
    img im = {0};
    face_engine *eng = NULL;
    named_face *v = NULL;
    int n = 0, rc = 1;
    face_timing t = {0};
    if (load_image(a->inputs[0], &im) || open_engine(a, identify, &eng)) goto done;
    if (analyse(eng, &im, identify ? &g : NULL, identify, &v, &n, &t, err, sizeof err)) {
        fprintf(stderr, "cort-face: %s: %s\n", a->inputs[0], err);
        goto done;
    }
    if (a->json) print_json(v, n);
    else print_text(a->inputs[0], &im, v, n, identify);
    rc = 0;
    if (a->out_png) {
        draw_faces(&im, v, n);
        if (img_write_png(&im, a->out_png)) fprintf(stderr, "cort-face: cannot write %s\n", a->out_png), rc = 1;
    }
done:
    free(v);
    face_engine_free(eng);
    img_free(&im);
    face_gallery_free(&g);
    return rc;
}

/* Embeds the best-scoring face of one image into the gallery. */
static int enroll_one(face_engine *eng, const char *name, const char *path, face_gallery *g) {
    char err[4096];
    img im = {0};
    face_list l = {0};
    int rc = -1;
    if (load_image(path, &im)) return -1;
    if (face_detect(eng, &im, &l, NULL, err, sizeof err)) fprintf(stderr, "cort-face: %s: %s\n", path, err);
    else if (l.n == 0) fprintf(stderr, "cort-face: %s: no face found\n", path);
    else {
        img aligned = {0};
        float emb[FACE_EMBED_DIM];
        if (face_align(&im, &l.v[0], &aligned)) snprintf(err, sizeof err, "cannot align the face");
        else if (!face_embed(eng, &aligned, emb, err, sizeof err) && !face_gallery_add(g, name, emb, err, sizeof err))
            rc = 0;
        if (rc) fprintf(stderr, "cort-face: %s: %s\n", path, err);
        else printf("enrolled %s from %s (face score %.3f, %d in the gallery)\n", name, path, (double)l.v[0].score, g->n);
        img_free(&aligned);
    }
    face_list_free(&l);
    img_free(&im);
    return rc;
}

static int cmd_enroll(const args *a) {
    if (a->n_inputs < 2 || !a->db) {
        fprintf(stderr, "cort-face: enroll takes NAME IMAGE... --db FILE\n");
        return 2;
    }
    char err[4096];
    face_gallery g;
    if (face_gallery_load(a->db, 1, &g, err, sizeof err)) {
        fprintf(stderr, "cort-face: %s\n", err);
        return 1;
    }
    face_engine *eng = NULL;
    int rc = open_engine(a, 1, &eng) ? 1 : 0;
    for (int i = 1; i < a->n_inputs && !rc; i++) rc = enroll_one(eng, a->inputs[0], a->inputs[i], &g) ? 1 : 0;
    if (!rc && face_gallery_save(&g, a->db, err, sizeof err)) fprintf(stderr, "cort-face: %s\n", err), rc = 1;
    face_engine_free(eng);
    face_gallery_free(&g);
    return rc;
}

static void print_frame(int index, const named_face *v, int n, double ms) {
    printf("frame %d: %d face%s", index, n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) printf("%s%s %.2f", i ? ", " : " (", v[i].name ? v[i].name : "unknown", (double)v[i].sim);
    printf("%s %.1f ms\n", n ? ")" : "", ms);
}

static void print_video_summary(const face_timing *t, int frames, double total_ms, double first_ms) {
    double k = frames ? 1.0 / frames : 0;
    printf("%d frames, per frame: pre-process %.2f ms, detect %.2f ms, align %.2f ms, embed %.2f ms, match %.3f ms\n",
           frames, t->pre * k, t->detect * k, t->align * k, t->embed * k, t->match * k);
    printf("fps: %.2f (all frames)", total_ms > 0 ? frames * 1000.0 / total_ms : 0);
    /* The first frame plans memory and warms caches; the steady rate is what a camera loop sees. */
    if (frames > 1) printf(", %.2f (after the first frame)", (frames - 1) * 1000.0 / (total_ms - first_ms));
    printf("\n");
}

/* Plays a frame sequence through detect, align, embed and match, as a camera loop would. */
static int play(const args *a, face_engine *eng, frame_source *src, const face_gallery *g) {
    char err[4096];
    img im = {0};
    face_timing t = {0};
    double total = 0, first = 0;
    int frames = 0, rc = 0;
    for (int pass = 0; pass < a->repeat && !rc; pass++) {
        if (pass && frames_rewind(src, err, sizeof err)) rc = -1;
        for (int got; !rc && (got = frames_next(src, &im, err, sizeof err)) != 0;) {
            named_face *v = NULL;
            int n = 0;
            double t0 = app_now_ms();
            if (got < 0 || analyse(eng, &im, g, 1, &v, &n, &t, err, sizeof err)) rc = -1;
            double ms = app_now_ms() - t0;
            if (!rc) print_frame(frames, v, n, ms);
            if (!rc && frames++ == 0) first = ms;
            total += ms;
            free(v);
        }
    }
    if (rc) fprintf(stderr, "cort-face: frame %d: %s\n", frames, err);
    else print_video_summary(&t, frames, total, first);
    img_free(&im);
    return rc ? 1 : 0;
}

static int cmd_video(const args *a) {
    if (a->n_inputs != 1) {
        fprintf(stderr, "cort-face: video takes one FRAMES_DIR or VIDEO.y4m\n");
        return 2;
    }
    char err[4096];
    face_gallery g = {0};
    if (a->db && face_gallery_load(a->db, 0, &g, err, sizeof err)) {
        fprintf(stderr, "cort-face: %s\n", err);
        return 1;
    }
    frame_source *src = NULL;
    face_engine *eng = NULL;
    int rc = 1;
    if (frames_open(a->inputs[0], &src, err, sizeof err)) fprintf(stderr, "cort-face: %s\n", err);
    else if (!open_engine(a, 1, &eng)) {
        printf("video %s: %s + %s\n", a->inputs[0],
               a->opt.detector == FACE_DET_YUNET ? FACE_YUNET_MODEL : FACE_ULTRAFACE_MODEL, FACE_EMBED_MODEL);
        rc = play(a, eng, src, &g);
    }
    face_engine_free(eng);
    frames_close(src);
    face_gallery_free(&g);
    return rc;
}

int main(int argc, char **argv) {
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0) {
        if (!strcmp(a.cmd, "detect")) rc = cmd_image(&a, 0);
        else if (!strcmp(a.cmd, "identify")) rc = cmd_image(&a, 1);
        else if (!strcmp(a.cmd, "enroll")) rc = cmd_enroll(&a);
        else if (!strcmp(a.cmd, "video")) rc = cmd_video(&a);
        else {
            fprintf(stderr, "cort-face: unknown command %s\n", a.cmd);
            rc = 2;
        }
    } else {
        fputs(USAGE, rc == 1 ? stdout : stderr);
        rc = rc == 1 ? 0 : 2;
    }
    free(a.inputs);
    return rc;
}
