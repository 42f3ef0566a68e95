/*
 * The cortface library on real models and Debian's skimage images: faces found where they are
 * with both detectors, none in images without faces, flipped / cropped / re-lit copies of the
 * astronaut matching each other and not the camera-man, and the gallery file round trip.
 *
 * usage: face_pipeline_test SOURCE_DIR            run the checks
 *        face_pipeline_test SOURCE_DIR frames DIR write test frames (PNGs and a .y4m) into DIR
 * Models come from $CORT_MODELS or SOURCE_DIR/../shared/models; exits 77 (skipped) without them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/check.h"
#include "face.h"
#include "img.h"

#define SKIMAGE "/usr/lib/python3/dist-packages/skimage/data/"

/* Measured by eye on the images (x1, y1, x2, y2): hairline to chin, cheek to cheek. */
static const float ASTRONAUT_FACE[4] = {175, 70, 272, 180};
static const float CAMERAMAN_FACE[4] = {195, 105, 262, 200};

static const char *models_dir(const char *source_dir, char *buf, size_t n) {
    const char *env = getenv("CORT_MODELS");
    if (env && *env) return env;
    snprintf(buf, n, "%s/../shared/models", source_dir);
    return buf;
}

static int have_inputs(const char *models) {
    static const char *const need[] = {FACE_ULTRAFACE_MODEL, FACE_YUNET_MODEL, FACE_EMBED_MODEL};
    char p[4096];
    for (int i = 0; i < 3; i++) {
        int len = snprintf(p, sizeof p, "%s/%s", models, need[i]);
        if (len < 0 || (size_t)len >= sizeof p || access(p, R_OK)) {
            printf("SKIPPED: %s not found (set CORT_MODELS or put the models in ../shared/models)\n", p);
            return 0;
        }
    }
    if (access(SKIMAGE "astronaut.png", R_OK) || access(SKIMAGE "camera.png", R_OK)) {
        printf("SKIPPED: Debian's skimage images are missing (apt-get install python3-skimage)\n");
        return 0;
    }
    return 1;
}

static img load(const char *name) {
    img im = {0};
    char err[512];
    if (img_load(name, &im, err, sizeof err)) fprintf(stderr, "%s\n", err);
    CHECK(im.px != NULL);
    return im;
}

/* ------------------------------------------------------------------------ image variants */

static img crop(const img *src, int x, int y, int w, int h) {
    img out = {0};
    CHECK(img_crop(src, x, y, w, h, &out) == 0);
    return out;
}

static img flipped(const img *src) {
    img out = crop(src, 0, 0, src->w, src->h);
    img_flip_h(&out);
    return out;
}

/* Darker and lower in contrast, as under dim light: v * 0.55 + 20. */
static img relit(const img *src) {
    img out = crop(src, 0, 0, src->w, src->h);
    for (size_t i = 0; i < (size_t)out.w * out.h * 3; i++) out.px[i] = (uint8_t)(out.px[i] * 0.55 + 20);
    return out;
}

/* ----------------------------------------------------------------------------- detection */

static int detect(face_engine *e, const img *im, face_list *l) {
    char err[1024];
    int rc = face_detect(e, im, l, NULL, err, sizeof err);
    if (rc) fprintf(stderr, "detect: %s\n", err);
    CHECK(rc == 0);
    return rc ? 0 : l->n;
}

static void check_one_face(face_engine *e, const img *im, const float want[4], const char *what) {
    face_list l = {0};
    int n = detect(e, im, &l);
    if (n >= 1)
        printf("  %s: [%.0f %.0f %.0f %.0f] score %.3f, IoU with the measured face %.2f\n", what,
               (double)l.v[0].box[0], (double)l.v[0].box[1], (double)l.v[0].box[2], (double)l.v[0].box[3],
               (double)l.v[0].score, (double)face_iou(l.v[0].box, want));
    CHECK(n == 1);
    if (n >= 1) CHECK(face_iou(l.v[0].box, want) > 0.6f);
    face_list_free(&l);
}

static void check_no_face(face_engine *e, const img *im, const char *what) {
    face_list l = {0};
    int n = detect(e, im, &l);
    if (n) printf("  %s: unexpected face score %.3f\n", what, (double)l.v[0].score);
    CHECK(n == 0);
    face_list_free(&l);
}

static void check_detector(const char *models, face_detector d) {
    face_options o;
    face_default_options(&o);
    o.detector = d;
    face_engine *e = NULL;
    char err[8192];
    CHECK(face_engine_create(models, &o, &e, err, sizeof err) == 0);
    if (!e) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    printf("%s:\n", d == FACE_DET_YUNET ? "YuNet" : "UltraFace");
    img astro = load(SKIMAGE "astronaut.png"), cam = load(SKIMAGE "camera.png");
    check_one_face(e, &astro, ASTRONAUT_FACE, "astronaut");
    check_one_face(e, &cam, CAMERAMAN_FACE, "camera-man");
    img sky = crop(&cam, 0, 0, 512, 100), grass = crop(&cam, 300, 260, 212, 252), flag = crop(&astro, 0, 0, 100, 400);
    check_no_face(e, &sky, "camera sky");
    check_no_face(e, &grass, "camera grass");
    check_no_face(e, &flag, "astronaut flag");
    img text = load(SKIMAGE "text.png"), page = load(SKIMAGE "page.png");
    check_no_face(e, &text, "text.png");
    check_no_face(e, &page, "page.png");
    img *all[] = {&astro, &cam, &sky, &grass, &flag, &text, &page};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) img_free(all[i]);
    face_engine_free(e);
}

/* ------------------------------------------------------------------------------ matching */

/* The embedding of the best face of an image; 0 if there is none. */
static int embed_best(face_engine *e, const img *im, float emb[FACE_EMBED_DIM]) {
    face_list l = {0};
    char err[1024];
    int ok = detect(e, im, &l) > 0;
    img aligned = {0};
    ok = ok && face_align(im, &l.v[0], &aligned) == 0;
    ok = ok && face_embed(e, &aligned, emb, err, sizeof err) == 0;
    CHECK(ok);
    img_free(&aligned);
    face_list_free(&l);
    return ok;
}

static void check_matching(const char *models, face_detector d) {
    face_options o;
    face_default_options(&o);
    o.detector = d;
    o.with_embedder = 1;
    face_engine *e = NULL;
    char err[8192];
    CHECK(face_engine_create(models, &o, &e, err, sizeof err) == 0);
    if (!e) return;
    img astro = load(SKIMAGE "astronaut.png"), cam = load(SKIMAGE "camera.png");
    img v[4] = {crop(&astro, 0, 0, 512, 512), flipped(&astro), crop(&astro, 110, 10, 240, 260), relit(&astro)};
    static const char *const names[4] = {"original", "flipped", "cropped", "re-lit"};
    float emb[4][FACE_EMBED_DIM], other[FACE_EMBED_DIM];
    int ok = embed_best(e, &cam, other);
    for (int i = 0; i < 4; i++) ok &= embed_best(e, &v[i], emb[i]);
    printf("%s + MobileFaceNet, cosine similarities (match threshold %.2f):\n", d == FACE_DET_YUNET ? "YuNet" : "UltraFace",
           (double)o.match_thresh);
    for (int i = 0; i < 4 && ok; i++) {
        for (int j = i + 1; j < 4; j++) {
            float s = face_cosine(emb[i], emb[j]);
            printf("  astronaut %s ~ %s: %.3f\n", names[i], names[j], (double)s);
            CHECK(s > o.match_thresh);
        }
        float s = face_cosine(emb[i], other);
        printf("  astronaut %s ~ camera-man: %.3f\n", names[i], (double)s);
        CHECK(s < o.match_thresh);
    }
    for (int i = 0; i < 4; i++) img_free(&v[i]);
    img_free(&astro);
    img_free(&cam);
    face_engine_free(e);
}

/* ---------------------------------------------------------------------- models not needed */

static void check_nms(void) {
    face f[3] = {{.box = {0, 0, 10, 10}, .score = 0.5f}, {.box = {1, 1, 11, 11}, .score = 0.9f},
                 {.box = {20, 20, 30, 30}, .score = 0.6f}};
    int n = 3;
    face_nms(f, &n, 0.3f);
    CHECK(n == 2);
    CHECK(f[0].score == 0.9f && f[1].score == 0.6f);
    CHECK(fabsf(face_iou(f[0].box, f[0].box) - 1) < 1e-6f);
}

static void check_gallery(const char *dir) {
    face_gallery g = {0}, h = {0};
    float a[FACE_EMBED_DIM] = {0}, b[FACE_EMBED_DIM] = {0};
    a[0] = 1, b[1] = 0.6f, b[2] = 0.8f;
    char err[512], path[4096];
    snprintf(path, sizeof path, "%s/gallery.txt", dir);
    CHECK(face_gallery_add(&g, "Eileen Collins", a, err, sizeof err) == 0);
    CHECK(face_gallery_add(&g, "camera\tman", b, err, sizeof err) == -1);
    CHECK(face_gallery_add(&g, "camera man", b, err, sizeof err) == 0);
    CHECK(face_gallery_save(&g, path, err, sizeof err) == 0);
    CHECK(face_gallery_load(path, 0, &h, err, sizeof err) == 0);
    CHECK(h.n == 2 && !strcmp(h.names[0], "Eileen Collins") && !strcmp(h.names[1], "camera man"));
    float sim;
    CHECK(face_gallery_best(&h, b, &sim) == 1 && fabsf(sim - 1) < 1e-5f);
    face_gallery_free(&h);
    CHECK(face_gallery_load("/nonexistent/gallery", 1, &h, err, sizeof err) == 0 && h.n == 0);
    CHECK(face_gallery_load("/nonexistent/gallery", 0, &h, err, sizeof err) == -1);
    FILE *f = fopen(path, "w");
    if (f) fputs("cort-face-gallery 1 128\nbob\t1 2 3\n", f), fclose(f);
    CHECK(face_gallery_load(path, 0, &h, err, sizeof err) == -1);
    face_gallery_free(&g);
    remove(path);
}

/* ------------------------------------------------------------------------------- frames */

static uint8_t clamp_byte(double v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5); }

/* Writes 4:2:0 limited-range BT.601 frames, the usual output of ffmpeg -f yuv4mpegpipe. */
static int write_y4m(const char *path, img *const *frames, int n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int w = frames[0]->w, h = frames[0]->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
    fprintf(f, "YUV4MPEG2 W%d H%d F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", w, h);
    for (int k = 0; k < n; k++) {
        const uint8_t *p = frames[k]->px;
        fprintf(f, "FRAME\n");
        for (int i = 0; i < w * h; i++)
            fputc(clamp_byte(16 + (65.481 * p[3 * i] + 128.553 * p[3 * i + 1] + 24.966 * p[3 * i + 2]) / 255), f);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < ch; y++) {
                for (int x = 0; x < cw; x++) {
                    const uint8_t *q = p + 3 * ((size_t)(2 * y < h ? 2 * y : h - 1) * w + (2 * x < w ? 2 * x : w - 1));
                    double v = c == 0 ? (-37.797 * q[0] - 74.203 * q[1] + 112.0 * q[2])
                                      : (112.0 * q[0] - 93.786 * q[1] - 18.214 * q[2]);
                    fputc(clamp_byte(128 + v / 255), f);
                }
            }
        }
    }
    return fclose(f);
}

/* Six 512x512 frames: the astronaut, her mirror image, dimmed, the camera-man, the sky, again. */
static int write_frames(const char *dir) {
    img astro = load(SKIMAGE "astronaut.png"), cam = load(SKIMAGE "camera.png");
    if (!astro.px || !cam.px) return 1;
    img sky = {0};
    img sky_strip = crop(&cam, 0, 0, 512, 100);
    CHECK(img_resize(&sky_strip, 512, 512, IMG_LINEAR, &sky) == 0);
    img fl = flipped(&astro), dim = relit(&astro);
    img *frames[6] = {&astro, &fl, &dim, &cam, &sky, &astro};
    char path[4096];
    int rc = 0;
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/frame_%03d.png", dir, i);
        rc |= img_write_png(frames[i], path);
    }
    snprintf(path, sizeof path, "%s/frames.y4m", dir);
    rc |= write_y4m(path, frames, 6);
    img *all[] = {&astro, &cam, &sky, &sky_strip, &fl, &dim};
    for (int i = 0; i < 6; i++) img_free(all[i]);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[2], "frames")) return write_frames(argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: face_pipeline_test SOURCE_DIR [frames DIR]\n");
        return 2;
    }
    check_nms();
    check_gallery(P_tmpdir);
    char buf[4096];
    const char *models = models_dir(argv[1], buf, sizeof buf);
    if (!have_inputs(models)) return check_failures ? 1 : 77;
    check_detector(models, FACE_DET_YUNET);
    check_detector(models, FACE_DET_ULTRAFACE);
    check_matching(models, FACE_DET_YUNET);
    check_matching(models, FACE_DET_ULTRAFACE);
    return check_report("face_pipeline_test");
}
