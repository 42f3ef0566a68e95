/* Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2015) for 3x3 kernels with stride 1 and dilation 1.
 * Each 2x2 block of outputs ("tile") is computed from a 4x4 patch of the input: the patch is
 * transformed (V = B^T d B), multiplied elementwise by the transformed filter (U = G g G^T) and
 * summed over input channels, and the sum transformed back (Y = A^T M A). Summed over channels, each
 * of the 16 positions of a 4x4 transformed tile is an ordinary matrix product, U[p] (out x in) times
 * V[p] (in x tiles), which the packed SGEMM computes: 16 products of depth in_ch instead of one of
 * depth 9 * in_ch, 2.25 times fewer multiply-adds.
 *
 * Work is split into blocks of whole tile rows, sized so that a block's transformed input and
 * products stay in the L2 cache; each block runs transform, 16 products and inverse transform on one
 * thread with its own scratch, so threads never wait on each other inside a convolution. The
 * transforms are loops over whole rows that compilers vectorise. */
#include <string.h>

#include "kernels/kernels.h"

enum { POS = 16 };

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t tiles_of(int64_t n) { return (n + 1) / 2; }

bool cort_winograd_ok(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch) {
    if (g->spatial != 2 || in_ch < 8 || out_ch < 8) return false;
    for (int d = 0; d < 2; d++)
        if (g->kernel[d] != 3 || g->stride[d] != 1 || g->dilation[d] != 1 || g->pad_begin[d] > 2) return false;
    /* With few tiles the 16 products are too thin to beat one GEMM on the padded image (measured with
     * sgemm_bench conv): not below 24 tiles, nor below 64 for wide layers, whose transformed weights
     * (16/9 the size) would cost more memory than they save time; few output channels need many
     * tiles. */
    int64_t tiles = tiles_of(g->out[0]) * tiles_of(g->out[1]);
    if (tiles < 24 || (tiles < 64 && in_ch * out_ch > 256 * 512)) return false;
    return out_ch >= 64 || tiles >= 100;
}

size_t cort_winograd_packed_size(int64_t out_ch, int64_t in_ch) {
    return POS * cort_sgemm_packed_a_size(out_ch, in_ch);
}

/* U = G g G^T with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], for each (out, in) filter, into
 * `tmp` (16 * out_ch * in_ch floats) as 16 matrices U[p] (out x in); each is then packed as an SGEMM
 * A operand, one after another in `packed`. */
void cort_winograd_pack_weights(int64_t out_ch, int64_t in_ch, const float *w, float *tmp, float *packed) {
    int64_t plane = out_ch * in_ch;
    for (int64_t f = 0; f < plane; f++) {
        const float *g = w + f * 9;
        float t[4][3]; /* G g */
        for (int j = 0; j < 3; j++) {
            t[0][j] = g[j];
            t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
            t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
            t[3][j] = g[6 + j];
        }
        for (int i = 0; i < 4; i++) { /* (G g) G^T */
            float u[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                          t[i][2]};
            for (int j = 0; j < 4; j++) tmp[(i * 4 + j) * plane + f] = u[j];
        }
    }
    size_t each = cort_sgemm_packed_a_size(out_ch, in_ch) / sizeof(float);
    for (int p = 0; p < POS; p++)
        cort_sgemm_pack_a(false, out_ch, in_ch, tmp + p * plane, in_ch, packed + (size_t)p * each);
}

/* The blocking of one convolution: tile rows per block, and each block's scratch. */
typedef struct wino_plan {
    int64_t tiles_h, tiles_w, rows_per_block, blocks, max_tiles;
    int64_t in_ch, out_ch;
    int64_t padded_w;   /* width of a zero-padded input row: 2 * tiles_w + 2 */
    size_t v_floats;    /* transformed input of a block: 16 x in_ch x max_tiles */
    size_t m_floats;    /* products of a block: 16 x out_ch x max_tiles */
    size_t rows_floats; /* 4 padded input rows + 4 vertically transformed rows */
    size_t gemm_bytes, each_bytes;
} wino_plan;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static wino_plan plan_for(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch, int threads) {
    wino_plan w;
    w.tiles_h = tiles_of(g->out[0]);
    w.tiles_w = tiles_of(g->out[1]);
    w.in_ch = in_ch, w.out_ch = out_ch;
    w.padded_w = 2 * w.tiles_w + 2;
    /* a block's V and M (16 floats per tile and channel) in about 384 KiB, half the L2 (sgemm_bench conv
     * measured 192..1536 KiB: 384 was best or close to it on every shape), and at least one
     * task per thread when there are tile rows enough */
    int64_t per_tile = POS * (in_ch + out_ch) * (int64_t)sizeof(float);
    int64_t tiles = (384 * 1024) / (per_tile > 0 ? per_tile : 1);
    if (tiles < 32) tiles = 32;
    int64_t rows = tiles / w.tiles_w;
    if (rows < 1) rows = 1;
    if (threads > 1 && rows * threads > w.tiles_h) rows = (w.tiles_h + threads - 1) / threads;
    if (rows < 1) rows = 1;
    w.rows_per_block = min64(rows, w.tiles_h);
    w.blocks = (w.tiles_h + w.rows_per_block - 1) / w.rows_per_block;
    w.max_tiles = w.rows_per_block * w.tiles_w;
    w.v_floats = (size_t)(POS * in_ch * w.max_tiles);
    w.m_floats = (size_t)(POS * out_ch * w.max_tiles);
    w.rows_floats = (size_t)(8 * w.padded_w + 4 * w.tiles_w * 2);
    w.gemm_bytes = cort_sgemm_work_size(out_ch, w.max_tiles, in_ch);
    w.each_bytes = align64(w.v_floats * sizeof(float)) + align64(w.m_floats * sizeof(float)) +
                   align64(w.rows_floats * sizeof(float)) + align64(w.gemm_bytes) + 64;
    return w;
}

size_t cort_winograd_work_size(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch, int threads) {
    wino_plan w = plan_for(g, in_ch, out_ch, threads);
    int64_t tasks = min64(w.blocks, threads < 1 ? 1 : threads);
    return w.each_bytes * (size_t)tasks;
}

typedef struct wino_job {
    wino_plan plan;
    const cort_conv_geom *g;
    const float *x, *packed, *z;
    const cort_sgemm_epilogue *ep;
    float *y;
    char *work;
    int64_t tasks;
} wino_job;

/* Input padded row r (image row r - pad_begin[0]) of channel plane x into dst (padded_w floats). */
static void padded_row(const cort_conv_geom *g, int64_t pw, const float *x, int64_t r, float *dst) {
    int64_t ih = r - g->pad_begin[0], left = g->pad_begin[1], w = g->in[1];
    if (ih < 0 || ih >= g->in[0]) {
        memset(dst, 0, sizeof(float) * (size_t)pw);
        return;
    }
    int64_t n = min64(w, pw - left);
    memset(dst, 0, sizeof(float) * (size_t)left);
    memcpy(dst + left, x + ih * w, sizeof(float) * (size_t)n);
    for (int64_t i = left + n; i < pw; i++) dst[i] = 0;
}

/* V for one channel and tile row: the vertical half of B^T d B over whole rows (t = B^T d, B^T =
 * [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]), then the horizontal half per tile. v[p * stride + tx]. */
static void input_tile_row(const float *restrict r0, const float *restrict r1, const float *restrict r2,
                           const float *restrict r3, int64_t pw, int64_t tw, float *restrict t, float *restrict v,
                           int64_t stride) {
    float *restrict t0 = t, *restrict t1 = t + pw, *restrict t2 = t + 2 * pw, *restrict t3 = t + 3 * pw;
    for (int64_t i = 0; i < pw; i++) {
        t0[i] = r0[i] - r2[i];
        t1[i] = r1[i] + r2[i];
        t2[i] = r2[i] - r1[i];
        t3[i] = r1[i] - r3[i];
    }
    for (int i = 0; i < 4; i++) {
        const float *restrict a = t + i * pw;
        float *restrict v0 = v + (4 * i) * stride, *restrict v1 = v0 + stride, *restrict v2 = v1 + stride,
                        *restrict v3 = v2 + stride;
        for (int64_t x = 0; x < tw; x++) {
            float a0 = a[2 * x], a1 = a[2 * x + 1], a2 = a[2 * x + 2], a3 = a[2 * x + 3];
            v0[x] = a0 - a2;
            v1[x] = a1 + a2;
            v2[x] = a2 - a1;
            v3[x] = a1 - a3;
        }
    }
}

/* Y = A^T M A for one output channel and tile row, A^T = [1 1 1 0; 0 1 -1 -1]: m[p * stride + tx]
 * gives two output rows of width 2 * tw in out0, out1. */
static void output_tile_row(const float *restrict m, int64_t stride, int64_t tw, float *restrict out0,
                            float *restrict out1) {
    for (int64_t x = 0; x < tw; x++) {
        float s[4][4];
        for (int p = 0; p < POS; p++) s[p / 4][p % 4] = m[p * stride + x];
        float c0[4], c1[4]; /* A^T applied down the columns */
        for (int j = 0; j < 4; j++) {
            c0[j] = s[0][j] + s[1][j] + s[2][j];
            c1[j] = s[1][j] - s[2][j] - s[3][j];
        }
        out0[2 * x] = c0[0] + c0[1] + c0[2];
        out0[2 * x + 1] = c0[1] - c0[2] - c0[3];
        out1[2 * x] = c1[0] + c1[1] + c1[2];
        out1[2 * x + 1] = c1[1] - c1[2] - c1[3];
    }
}

/* Bias, residual and activation on one finished output row, then its copy into Y. */
static void finish_row(const wino_job *j, const float *src, int64_t m, int64_t oh, float *tmp) {
    int64_t ow = j->g->out[1], at = (m * j->g->out[0] + oh) * ow;
    float b = j->ep->bias ? j->ep->bias[m] : 0.0f;
    float *dst = j->y + at;
    if (j->z) {
        const float *z = j->z + at;
        for (int64_t i = 0; i < ow; i++) tmp[i] = src[i] + b + z[i];
    } else {
        for (int64_t i = 0; i < ow; i++) tmp[i] = src[i] + b;
    }
    cort_activation_apply(j->ep, tmp, ow);
    memcpy(dst, tmp, sizeof(float) * (size_t)ow);
}

static void run_block(const wino_job *j, int64_t block, char *scratch) {
    const wino_plan *w = &j->plan;
    const cort_conv_geom *g = j->g;
    int64_t ty0 = block * w->rows_per_block, ty1 = min64(ty0 + w->rows_per_block, w->tiles_h);
    int64_t tw = w->tiles_w, nt = (ty1 - ty0) * tw, pw = w->padded_w, isize = g->in[0] * g->in[1];
    float *v = (float *)scratch;
    float *mm = (float *)(scratch + align64(w->v_floats * sizeof(float)));
    float *rows = (float *)((char *)mm + align64(w->m_floats * sizeof(float)));
    void *gemm_work = (char *)rows + align64(w->rows_floats * sizeof(float));
    float *t = rows + 4 * pw, *out = t + 4 * pw; /* out: two rows of 2 * tw, then a row for finish_row */
    int64_t vstride = w->in_ch * nt, mstride = w->out_ch * nt;
    for (int64_t c = 0; c < w->in_ch; c++) {
        const float *xc = j->x + c * isize;
        for (int64_t ty = ty0; ty < ty1; ty++) {
            for (int r = 0; r < 4; r++) padded_row(g, pw, xc, 2 * ty + r, rows + r * pw);
            input_tile_row(rows, rows + pw, rows + 2 * pw, rows + 3 * pw, pw, tw, t,
                           v + c * nt + (ty - ty0) * tw, vstride);
        }
    }
    size_t each = cort_sgemm_packed_a_size(w->out_ch, w->in_ch) / sizeof(float);
    for (int p = 0; p < POS; p++)
        cort_sgemm_packed_mt(NULL, j->packed + (size_t)p * each, w->out_ch, nt, w->in_ch, false, v + p * vstride, nt,
                             0.0f, mm + p * mstride, nt, gemm_work);
    int64_t oh_max = g->out[0];
    for (int64_t m = 0; m < w->out_ch; m++)
        for (int64_t ty = ty0; ty < ty1; ty++) {
            float *o0 = out, *o1 = out + 2 * tw;
            output_tile_row(mm + m * nt + (ty - ty0) * tw, mstride, tw, o0, o1);
            finish_row(j, o0, m, 2 * ty, rows);
            if (2 * ty + 1 < oh_max) finish_row(j, o1, m, 2 * ty + 1, rows);
        }
}

static void wino_tasks(void *arg, int64_t begin, int64_t end) {
    const wino_job *j = arg;
    for (int64_t t = begin; t < end; t++) {
        char *scratch = (char *)(((uintptr_t)(j->work + (size_t)t * j->plan.each_bytes) + 63) & ~(uintptr_t)63);
        for (int64_t b = t; b < j->plan.blocks; b += j->tasks) run_block(j, b, scratch);
    }
}

void cort_winograd_conv(const cort_threads *th, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch,
                        const float *x, const float *packed, const cort_sgemm_epilogue *ep, const float *z, float *y,
                        void *work) {
    int threads = th ? th->count : 1;
    static const cort_sgemm_epilogue none = {NULL, CORT_ACT_NONE, 0, 0, 0, 0};
    wino_job j;
    if (!ep) ep = &none;
    j.plan = plan_for(g, in_ch, out_ch, threads);
    j.g = g, j.x = x, j.packed = packed, j.z = z, j.ep = ep, j.y = y, j.work = work;
    j.tasks = min64(j.plan.blocks, threads < 1 ? 1 : threads);
    if (j.tasks <= 1 || !th) {
        j.tasks = 1;
        wino_tasks(&j, 0, 1);
        return;
    }
    th->parallel_for(th->self, j.tasks, 1, wino_tasks, &j);
}
