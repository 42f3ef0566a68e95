/*
 * Classifies an image with the cort C API and prints the top-5 classes and timings.
 *
 *   classify MODEL.onnx IMAGE [LABELS.txt] [RUNS]
 *
 * IMAGE is a .npy (float32 already shaped like the model's input, or uint8 HxWxC / HxW pixels) or a binary
 * PPM (P6). Pixels are resized (nearest) to the model's input size, scaled to [0,1] and, for 3-channel
 * models, normalised with the ImageNet mean and deviation (what torchvision's models expect).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <cort/cort.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct image {
    int is_float;    /* 1: float32 data already in the model's layout; 0: uint8 pixels h x w x c */
    int64_t count;   /* elements */
    int h, w, c;     /* for pixels */
    void *data;
} image;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(const char *what) {
    fprintf(stderr, "classify: %s\n", what);
    return 1;
}

static int check(cort_status *st) {
    if (!st) return 0;
    fprintf(stderr, "classify: %s\n", cort_status_message(st));
    cort_status_free(st);
    return 1;
}

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* .npy version 1/2, C order, '<f4' or '|u1'. */
static int load_npy(const unsigned char *raw, size_t size, image *img) {
    if (size < 12 || memcmp(raw, "\x93NUMPY", 6) != 0) return -1;
    size_t hlen = raw[6] == 1 ? (size_t)(raw[8] | raw[9] << 8) : (size_t)(raw[8] | raw[9] << 8 | raw[10] << 16);
    size_t off = raw[6] == 1 ? 10 : 12;
    if (off + hlen > size) return -1;
    char header[1024] = {0};
    memcpy(header, raw + off, hlen < sizeof header - 1 ? hlen : sizeof header - 1);
    if (strstr(header, "True")) return -1; /* fortran_order */
    img->is_float = strstr(header, "'<f4'") != NULL;
    if (!img->is_float && !strstr(header, "'|u1'")) return -1;
    const char *p = strstr(header, "'shape': (");
    if (!p) return -1;
    p += strlen("'shape': (");
    int64_t dims[8];
    int rank = 0;
    while (*p && *p != ')' && rank < 8) {
        dims[rank++] = strtoll(p, (char **)&p, 10);
        while (*p == ',' || *p == ' ') p++;
    }
    img->count = 1;
    for (int i = 0; i < rank; i++) img->count *= dims[i];
    size_t bytes = (size_t)img->count * (img->is_float ? 4 : 1);
    if (off + hlen + bytes > size) return -1;
    img->h = rank >= 2 ? (int)dims[0] : 1;
    img->w = rank >= 2 ? (int)dims[1] : (int)img->count;
    img->c = rank == 3 ? (int)dims[2] : 1;
    img->data = malloc(bytes ? bytes : 1);
    if (!img->data) return -1;
    memcpy(img->data, raw + off + hlen, bytes);
    return 0;
}

/* Binary PPM: "P6 <w> <h> <maxval>\n" then w*h*3 bytes (comments not supported). */
static int load_ppm(const unsigned char *raw, size_t size, image *img) {
    int w, h, maxval, used = 0;
    if (size < 2 || sscanf((const char *)raw, "P6 %d %d %d%n", &w, &h, &maxval, &used) != 3 || maxval != 255) return -1;
    size_t bytes = (size_t)w * (size_t)h * 3;
    if (w <= 0 || h <= 0 || (size_t)used + 1 + bytes > size) return -1;
    img->is_float = 0;
    img->h = h, img->w = w, img->c = 3;
    img->count = (int64_t)bytes;
    img->data = malloc(bytes);
    if (!img->data) return -1;
    memcpy(img->data, raw + used + 1, bytes);
    return 0;
}

/* Pixels -> float NCHW of the model's size: nearest resize, [0,1], ImageNet normalisation for RGB. */
static void preprocess(const image *img, int c, int h, int w, float *out) {
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std_dev[3] = {0.229f, 0.224f, 0.225f};
    const unsigned char *px = img->data;
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int sy = y * img->h / h, sx = x * img->w / w, sc = ch < img->c ? ch : 0;
                float v = px[((size_t)sy * img->w + sx) * img->c + sc] / 255.0f;
                out[((size_t)ch * h + y) * w + x] = c == 3 ? (v - mean[ch]) / std_dev[ch] : v;
            }
}

static char **load_labels(const char *path, int *n) {
    *n = 0;
    size_t size;
    char *text = path ? (char *)read_all(path, &size) : NULL;
    if (!text) return NULL;
    text[size] = 0;
    char **labels = calloc(size + 1, sizeof *labels);
    if (!labels) {
        free(text);
        return NULL;
    }
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) labels[(*n)++] = line;
    return labels; /* labels[0] points at the start of `text` */
}

/* Scores -> probabilities, unless they already are (the model ends in a softmax). */
static void to_probabilities(float *s, int64_t n) {
    double sum = 0, mx = -INFINITY;
    int already = 1;
    for (int64_t i = 0; i < n; i++) {
        sum += s[i];
        if (s[i] < 0 || s[i] > 1) already = 0;
        if (s[i] > mx) mx = s[i];
    }
    if (already && fabs(sum - 1) < 1e-3) return;
    sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (s[i] = (float)exp(s[i] - mx));
    for (int64_t i = 0; i < n; i++) s[i] = (float)(s[i] / sum);
}

static void print_top5(const float *p, int64_t n, char **labels, int n_labels) {
    int used[5] = {-1, -1, -1, -1, -1};
    for (int k = 0; k < 5 && k < n; k++) {
        int best = -1;
        for (int64_t i = 0; i < n; i++) {
            int taken = 0;
            for (int j = 0; j < k; j++) taken |= used[j] == i;
            if (!taken && (best < 0 || p[i] > p[best])) best = (int)i;
        }
        used[k] = best;
        if (best < n_labels) printf("  %d. %-24s p=%.4f\n", k + 1, labels[best], p[best]);
        else printf("  %d. class %-18d p=%.4f\n", k + 1, best, p[best]);
    }
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) return fail("usage: classify MODEL.onnx IMAGE(.npy|.ppm) [LABELS.txt] [RUNS]");
    int runs = argc > 4 ? atoi(argv[4]) : 10;
    if (runs < 1) runs = 1;
    size_t size;
    unsigned char *raw = read_all(argv[2], &size);
    image img = {0};
    if (!raw || (load_npy(raw, size, &img) != 0 && load_ppm(raw, size, &img) != 0)) {
        free(raw);
        return fail("cannot read the image (expected .npy float32/uint8 or binary PPM)");
    }
    free(raw);

    double t0 = now_ms();
    cort_session *session = NULL;
    if (check(cort_session_create(NULL, argv[1], NULL, &session))) return free(img.data), 1;
    double t_load = now_ms() - t0;

    cort_io_info in, out;
    int rc = check(cort_session_input_info(session, 0, &in)) || check(cort_session_output_info(session, 0, &out));
    int64_t dims[4] = {1, img.c, 224, 224};
    if (!rc && in.rank == 4)
        for (int d = 0; d < 4; d++)
            if (in.dims[d] > 0) dims[d] = in.dims[d];
    int64_t count = dims[0] * dims[1] * dims[2] * dims[3];
    float *input = malloc((size_t)count * sizeof *input);
    if (!rc && (!input || in.rank != 4)) rc = fail("the model's first input must be a 4-D image tensor");
    if (!rc && img.is_float && img.count != count) rc = fail("the float .npy does not match the model's input size");
    if (!rc) {
        if (img.is_float) memcpy(input, img.data, (size_t)count * sizeof *input);
        else preprocess(&img, (int)dims[1], (int)dims[2], (int)dims[3], input);
    }
    cort_value *x = NULL, *y = NULL;
    if (!rc) rc = check(cort_tensor_create_view(CORT_FLOAT, dims, 4, input, (size_t)count * sizeof *input, &x));
    const cort_value *inputs[1] = {x};
    double *times = calloc((size_t)runs + 1, sizeof *times);
    for (int r = 0; !rc && r <= runs; r++) { /* run 0 is the first (planning) run */
        cort_value_free(y);
        y = NULL;
        double t = now_ms();
        rc = check(cort_session_run(session, NULL, &in.name, inputs, 1, &out.name, 1, &y));
        times[r] = now_ms() - t;
    }
    if (!rc && (cort_tensor_elem_type(y) != CORT_FLOAT)) rc = fail("the model's first output is not float");
    if (!rc) {
        int n_labels;
        char **labels = load_labels(argc > 3 ? argv[3] : NULL, &n_labels);
        float *p = cort_tensor_data(y);
        int64_t n = cort_tensor_element_count(y);
        to_probabilities(p, n);
        printf("%s on %s: top-5\n", argv[1], argv[2]);
        print_top5(p, n, labels, n_labels);
        double first = times[0];
        qsort(times + 1, (size_t)runs, sizeof *times, compare_double);
        printf("load %.2f ms, first run %.2f ms, median of %d runs %.3f ms\n", t_load, first, runs,
               times[1 + runs / 2]);
        if (labels) free(labels[0]);
        free(labels);
    }
    free(times);
    cort_value_free(y);
    cort_value_free(x);
    cort_session_free(session);
    free(input);
    free(img.data);
    return rc;
}
