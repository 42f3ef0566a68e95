/* Winograd convolution (Lavin & Gray, 2015) for 3x3 kernels with stride 1 and dilation 1, as
 * F(2x2, 3x3) or F(4x4, 3x3). Each t x t block of outputs ("tile", t = 2 or 4) is computed from an
 * a x a patch of the input (a = t + 2): the patch is transformed (V = B^T d B), multiplied elementwise
 * by the transformed filter (U = G g G^T) and summed over input channels, and the sum transformed
 * back (Y = A^T M A). Summed over channels, each of the a * a positions of a transformed tile is an
 * ordinary matrix product, U[p] (out x in) times V[p] (in x tiles), which the packed SGEMM computes:
 * 2.25 (t = 2) or 4 (t = 4) times fewer multiply-adds than the direct product, for 16/9 or 36/9 times
 * the weights' memory.
 *
 * Work is split into blocks of whole tile rows, sized so that a block's transformed input and
 * products stay in the L2 cache, as many on every thread; each block runs transform, products and
 * inverse transform on one thread with its own scratch, so threads never wait on each other inside a
 * convolution. The transforms are loops over whole rows that compilers vectorise. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

enum { MAX_A = 6, MAX_POS = 36 };

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t tiles_of(int64_t n, int t) { return (n + t - 1) / t; }

static bool shape_ok(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch) {
    if (g->spatial != 2 || in_ch < 8 || out_ch < 8) return false;
    for (int d = 0; d < 2; d++)
        if (g->kernel[d] != 3 || g->stride[d] != 1 || g->dilation[d] != 1 || g->pad_begin[d] > 2) return false;
    return true;
}

int cort_winograd_tile(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch) {
    if (!shape_ok(g, in_ch, out_ch)) return 0;
    /* F(4x4): images of 36 tiles and more with layers whose 4x weights stay small (at most 128 x 256
     * filters: 4.5 MiB transformed); the products' depth (in_ch) must be worth 36 of them. Measured
     * against F(2x2): 1.4x on 64 channels at 56x56, 1.3x on 128 at 28x28. */
    int64_t tiles4 = tiles_of(g->out[0], 4) * tiles_of(g->out[1], 4);
    if (tiles4 >= 36 && in_ch >= 16 && in_ch * out_ch <= 128 * 256) return 4;
    /* F(2x2): with few tiles the 16 products are too thin to beat one GEMM on the padded image
     * (sgemm_bench conv): not below 24 tiles, nor below 64 for wide layers, whose transformed weights
     * (16/9 the size) would cost more memory than they save time; few output channels need many tiles */
    int64_t tiles = tiles_of(g->out[0], 2) * tiles_of(g->out[1], 2);
    if (tiles < 24 || (tiles < 64 && in_ch * out_ch > 256 * 512)) return 0;
    return out_ch >= 64 || tiles >= 100 ? 2 : 0;
}

bool cort_winograd_ok(const cort_conv_geom *g, int64_t in_ch, int64_t out_ch) {
    return cort_winograd_tile(g, in_ch, out_ch) != 0;
}

size_t cort_winograd_packed_size(int tile, int64_t out_ch, int64_t in_ch) {
    int a = tile + 2;
    return (size_t)(a * a) * cort_sgemm_packed_a_size(out_ch, in_ch);
}

/* G for t = 2 (4 x 3) and t = 4 (6 x 3). */
static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double G4[6][3] = {{1.0 / 4, 0, 0},
                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                {0, 0, 1}};

/* U = G g G^T for each (out, in) filter, one position p = (i, j) at a time: U[p] = sum over the 3x3
 * taps (l, k) of G[i][l] G[j][k] g[l][k], into `tmp` (out_ch * in_ch floats, reused for every p and
 * so warm in cache), then packed as an SGEMM A operand, one after another in `packed`. */
void cort_winograd_pack_weights(int tile, int64_t out_ch, int64_t in_ch, const float *w, float *tmp, float *packed) {
    int a = tile + 2;
    int64_t plane = out_ch * in_ch;
    size_t each = cort_sgemm_packed_a_size(out_ch, in_ch) / sizeof(float);
    for (int p = 0; p < a * a; p++) {
        const double *gi = tile == 2 ? G2[p / a] : G4[p / a], *gj = tile == 2 ? G2[p % a] : G4[p % a];
        float coef[9];
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++) coef[l * 3 + k] = (float)(gi[l] * gj[k]);
        for (int64_t f = 0; f < plane; f++) {
            const float *g = w + f * 9;
            float u = 0;
            for (int t = 0; t < 9; t++) u += coef[t] * g[t];
            tmp[f] = u;
        }
        cort_sgemm_pack_a(false, out_ch, in_ch, tmp, in_ch, packed + (size_t)p * each);
    }
}

/* The blocking of one convolution: tile rows per block (at most rows_per_block), and each block's
 * scratch. */
typedef struct wino_plan {
    int tile, a, pos;
    int64_t tiles_h, tiles_w, rows_per_block, blocks, max_tiles;
    int64_t in_ch, out_ch;
    int64_t padded_w;   /* width of a zero-padded input row: tile * tiles_w + 2 */
    size_t v_floats;    /* transformed input of a block: pos x in_ch x max_tiles */
    size_t m_floats;    /* products of a block: pos x out_ch x max_tiles */
    size_t rows_floats; /* a padded input rows + a vertically transformed rows + the block's output rows */
    size_t gemm_bytes, each_bytes;
} wino_plan;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static wino_plan plan_for(int tile, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch, int threads) {
    wino_plan w;
    w.tile = tile, w.a = tile + 2, w.pos = w.a * w.a;
    w.tiles_h = tiles_of(g->out[0], tile);
    w.tiles_w = tiles_of(g->out[1], tile);
    w.in_ch = in_ch, w.out_ch = out_ch;
    w.padded_w = tile * w.tiles_w + 2;
    /* a block's V and M (pos floats per tile and channel) in about 384 KiB, half the L2 (sgemm_bench conv
     * measured 192..1536 KiB: 384 was best or close to it on every shape), but not under 128 tiles
     * (F(4x4)) or 64 (F(2x2)): the products are computed in 32-column panels, and a 7x7 grid cut in
     * 28 + 21 tiles costs two panels where 49 cost one and a half (ResNet's 3x3 256 -> 256 at 14x14,
     * one thread: 0.76 -> 0.63 ms). Then as many blocks on every thread, their rows differing by
     * at most one: 13 tile rows in 4 blocks are 3, 3, 3, 4 rows (7:6 on two threads), not
     * 4, 4, 4, 1 (8:5). */
    int64_t per_tile = w.pos * (in_ch + out_ch) * (int64_t)sizeof(float);
    int64_t tiles = (384 * 1024) / (per_tile > 0 ? per_tile : 1), least = tile == 4 ? 128 : 64;
    if (tiles < least) tiles = least;
    int64_t rows = tiles / w.tiles_w, n = threads < 1 ? 1 : threads;
    if (rows < 1) rows = 1;
    int64_t blocks = (w.tiles_h + rows - 1) / rows;
    w.blocks = min64((blocks + n - 1) / n * n, w.tiles_h);
    w.rows_per_block = (w.tiles_h + w.blocks - 1) / w.blocks;
    w.max_tiles = w.rows_per_block * w.tiles_w;
    w.v_floats = (size_t)(w.pos * in_ch * w.max_tiles);
    w.m_floats = (size_t)(w.pos * out_ch * w.max_tiles);
    w.rows_floats = (size_t)(2 * w.a * w.padded_w + tile * tile * w.max_tiles + 4 * (w.tiles_w + 1));
    w.gemm_bytes = cort_sgemm_work_size(out_ch, w.max_tiles, in_ch);
    w.each_bytes = align64(w.v_floats * sizeof(float)) + align64(w.m_floats * sizeof(float)) +
                   align64(w.rows_floats * sizeof(float)) + align64(w.gemm_bytes) + 64;
    return w;
}

size_t cort_winograd_work_size(int tile, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch, int threads) {
    wino_plan w = plan_for(tile, g, in_ch, out_ch, threads);
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

/* F(2x2) V for one channel and tile row: the vertical half of B^T d B over whole rows (t = B^T d,
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]), then the horizontal half per tile.
 * v[p * stride + tx]. */
static void input_tile_row2(const float *restrict r, int64_t pw, int64_t tw, float *restrict t, float *restrict v,
                            int64_t stride) {
    const float *r0 = r, *r1 = r + pw, *r2 = r + 2 * pw, *r3 = r + 3 * pw;
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

/* F(4x4) V likewise with B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0;
 * 0 2 -1 -2 1 0; 0 4 0 -5 0 1]: the same six combinations of six values, down whole rows first, then
 * across each tile. Each vertically transformed row is split into its four column phases
 * (e[k][x] = row[4x + k]) so that the horizontal half reads contiguous arrays. The loops sit in
 * functions of their own: gcc vectorises them only when the arrays are restrict parameters. */
#define NOINLINE __attribute__((noinline))
static NOINLINE void bt6(const float *restrict a0, const float *restrict a1, const float *restrict a2,
                         const float *restrict a3, const float *restrict a4, const float *restrict a5, int64_t n,
                         float *restrict v0, float *restrict v1, float *restrict v2, float *restrict v3,
                         float *restrict v4, float *restrict v5) {
    for (int64_t x = 0; x < n; x++) {
        v0[x] = 4 * a0[x] - 5 * a2[x] + a4[x];
        v1[x] = -4 * (a1[x] + a2[x]) + a3[x] + a4[x];
        v2[x] = 4 * (a1[x] - a2[x]) - a3[x] + a4[x];
        v3[x] = 2 * (a3[x] - a1[x]) - a2[x] + a4[x];
        v4[x] = 2 * (a1[x] - a3[x]) - a2[x] + a4[x];
        v5[x] = 4 * a1[x] - 5 * a3[x] + a5[x];
    }
}

static NOINLINE void split_phases(const float *restrict a, int64_t tw, float *restrict e0, float *restrict e1,
                                  float *restrict e2, float *restrict e3) {
    for (int64_t x = 0; x < tw; x++) e0[x] = a[4 * x], e1[x] = a[4 * x + 1], e2[x] = a[4 * x + 2], e3[x] = a[4 * x + 3];
    e0[tw] = a[4 * tw], e1[tw] = a[4 * tw + 1];
}

/* `e` holds 4 * (tw + 1) floats. */
static void input_tile_row4(const float *r, int64_t pw, int64_t tw, float *t, float *e, float *v, int64_t stride) {
    bt6(r, r + pw, r + 2 * pw, r + 3 * pw, r + 4 * pw, r + 5 * pw, pw, t, t + pw, t + 2 * pw, t + 3 * pw, t + 4 * pw,
        t + 5 * pw);
    int64_t n = tw + 1; /* pw = 4 * tw + 2: phases 0 and 1 have tw + 1 values, 2 and 3 have tw */
    float *e0 = e, *e1 = e + n, *e2 = e + 2 * n, *e3 = e + 3 * n;
    for (int i = 0; i < 6; i++) {
        split_phases(t + i * pw, tw, e0, e1, e2, e3);
        float *v0 = v + (6 * i) * stride;
        bt6(e0, e1, e2, e3, e0 + 1, e1 + 1, tw, v0, v0 + stride, v0 + 2 * stride, v0 + 3 * stride, v0 + 4 * stride,
            v0 + 5 * stride);
    }
}

/* F(2x2) Y = A^T M A for one output channel and tile row, A^T = [1 1 1 0; 0 1 -1 -1]:
 * m[p * stride + tx] gives 2 output rows of width 2 * tw at out, out + 2 * tw. */
static void output_tile_row2(const float *restrict m, int64_t stride, int64_t tw, float *restrict out) {
    float *restrict out0 = out, *restrict out1 = out + 2 * tw;
    for (int64_t x = 0; x < tw; x++) {
        float s[4][4];
        for (int p = 0; p < 16; p++) s[p / 4][p % 4] = m[p * stride + x];
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

/* F(4x4) likewise with A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1], for all nt tiles
 * of a block at once (tile rows of tw tiles; one tile row of a small image has too few tiles for the
 * vector loops): out holds 4 output rows of width 4 * tw per tile row. Tiles go in chunks through
 * arrays indexed by tile, so every step is a loop over contiguous values. */
enum { OUT_CHUNK = 64 };
static void output_tile_rows4(const float *restrict m, int64_t stride, int64_t nt, int64_t tw, float *restrict out) {
    int64_t ow = 4 * tw;
    float c[4][6][OUT_CHUNK], o[4][4][OUT_CHUNK];
    for (int64_t x0 = 0; x0 < nt; x0 += OUT_CHUNK) {
        int64_t n = min64(OUT_CHUNK, nt - x0);
        for (int j = 0; j < 6; j++) { /* A^T down column j of the 6x6 tile */
            const float *restrict s0 = m + j * stride + x0, *restrict s1 = s0 + 6 * stride, *restrict s2 = s1 + 6 * stride,
                                  *restrict s3 = s2 + 6 * stride, *restrict s4 = s3 + 6 * stride,
                                  *restrict s5 = s4 + 6 * stride;
            for (int64_t x = 0; x < n; x++) {
                float p12 = s1[x] + s2[x], m12 = s1[x] - s2[x], p34 = s3[x] + s4[x], m34 = s3[x] - s4[x];
                c[0][j][x] = s0[x] + p12 + p34;
                c[1][j][x] = m12 + 2 * m34;
                c[2][j][x] = p12 + 4 * p34;
                c[3][j][x] = m12 + 8 * m34 + s5[x];
            }
        }
        for (int i = 0; i < 4; i++) { /* then along row i */
            const float *restrict q0 = c[i][0], *restrict q1 = c[i][1], *restrict q2 = c[i][2], *restrict q3 = c[i][3],
                                  *restrict q4 = c[i][4], *restrict q5 = c[i][5];
            for (int64_t x = 0; x < n; x++) {
                float p12 = q1[x] + q2[x], m12 = q1[x] - q2[x], p34 = q3[x] + q4[x], m34 = q3[x] - q4[x];
                o[i][0][x] = q0[x] + p12 + p34;
                o[i][1][x] = m12 + 2 * m34;
                o[i][2][x] = p12 + 4 * p34;
                o[i][3][x] = m12 + 8 * m34 + q5[x];
            }
        }
        for (int64_t x = 0; x < n;) { /* runs of tiles within one tile row */
            int64_t t = x0 + x, ty = t / tw, tx = t % tw, run = min64(n - x, tw - tx);
            for (int i = 0; i < 4; i++) {
                float *restrict dst = out + (4 * ty + i) * ow + 4 * tx;
                const float *restrict e0 = o[i][0] + x, *restrict e1 = o[i][1] + x, *restrict e2 = o[i][2] + x,
                                      *restrict e3 = o[i][3] + x;
                for (int64_t r = 0; r < run; r++)
                    dst[4 * r] = e0[r], dst[4 * r + 1] = e1[r], dst[4 * r + 2] = e2[r], dst[4 * r + 3] = e3[r];
            }
            x += run;
        }
    }
}

/* One finished output row into Y with bias and residual, then the activation there (Z is never Y's
 * memory here: the operator adds such a residual itself). */
static void finish_row(const wino_job *j, const float *restrict src, int64_t m, int64_t oh) {
    int64_t ow = j->g->out[1], at = (m * j->g->out[0] + oh) * ow;
    float b = j->ep->bias ? j->ep->bias[m] : 0.0f;
    float *restrict dst = j->y + at;
    if (j->z) {
        const float *restrict z = j->z + at;
        for (int64_t i = 0; i < ow; i++) dst[i] = src[i] + b + z[i];
    } else if (j->ep->act == CORT_ACT_RELU) { /* in the same pass (a pass of its own was a tenth of F(4x4)) */
        for (int64_t i = 0; i < ow; i++) {
            float v = src[i] + b;
            dst[i] = v < 0.0f ? 0.0f : v; /* NaN passes, as in cort_activation_apply */
        }
        return;
    } else {
        for (int64_t i = 0; i < ow; i++) dst[i] = src[i] + b;
    }
    cort_activation_apply(j->ep, dst, ow);
}

static void run_block(const wino_job *j, int64_t block, char *scratch) {
    const wino_plan *w = &j->plan;
    const cort_conv_geom *g = j->g;
    int tile = w->tile, a = w->a;
    int64_t ty0 = block * w->tiles_h / w->blocks, ty1 = (block + 1) * w->tiles_h / w->blocks;
    int64_t tw = w->tiles_w, nt = (ty1 - ty0) * tw, pw = w->padded_w, isize = g->in[0] * g->in[1];
    float *v = (float *)scratch;
    float *mm = (float *)(scratch + align64(w->v_floats * sizeof(float)));
    float *rows = (float *)((char *)mm + align64(w->m_floats * sizeof(float)));
    void *gemm_work = (char *)rows + align64(w->rows_floats * sizeof(float));
    float *t = rows + a * pw, *out = t + a * pw; /* out: `tile` rows of tile * tw per tile row of the block */
    float *phases = out + tile * tile * w->max_tiles;
    int64_t vstride = w->in_ch * nt, mstride = w->out_ch * nt;
    for (int64_t c = 0; c < w->in_ch; c++) {
        const float *xc = j->x + c * isize;
        for (int64_t ty = ty0; ty < ty1; ty++) {
            for (int r = 0; r < a; r++) padded_row(g, pw, xc, tile * ty + r, rows + r * pw);
            float *vt = v + c * nt + (ty - ty0) * tw;
            if (tile == 2) input_tile_row2(rows, pw, tw, t, vt, vstride);
            else input_tile_row4(rows, pw, tw, t, phases, vt, vstride);
        }
    }
    size_t each = cort_sgemm_packed_a_size(w->out_ch, w->in_ch) / sizeof(float);
    for (int p = 0; p < w->pos; p++)
        cort_sgemm_packed_mt(NULL, j->packed + (size_t)p * each, w->out_ch, nt, w->in_ch, false, v + p * vstride, nt,
                             0.0f, mm + p * mstride, nt, gemm_work);
    int64_t oh_max = g->out[0];
    for (int64_t m = 0; m < w->out_ch; m++) {
        if (tile == 4) output_tile_rows4(mm + m * nt, mstride, nt, tw, out);
        for (int64_t ty = ty0; ty < ty1; ty++) {
            float *rows_out = out + (ty - ty0) * tile * tile * tw; /* F(4x4): done for the whole block */
            if (tile == 2) output_tile_row2(mm + m * nt + (ty - ty0) * tw, mstride, tw, rows_out = out);
            for (int i = 0; i < tile && tile * ty + i < oh_max; i++)
                finish_row(j, rows_out + i * tile * tw, m, tile * ty + i);
        }
    }
}

/* Task t runs a run of consecutive blocks (image rows top to bottom), as the pool hands the caller the
 * first tasks and the workers the last: the rows a thread reads are then mostly those it wrote at
 * the step before, not lines in the other core's cache. */
static void wino_tasks(void *arg, int64_t begin, int64_t end) {
    const wino_job *j = arg;
    for (int64_t t = begin; t < end; t++) {
        char *scratch = (char *)(((uintptr_t)(j->work + (size_t)t * j->plan.each_bytes) + 63) & ~(uintptr_t)63);
        int64_t b0 = t * j->plan.blocks / j->tasks, b1 = (t + 1) * j->plan.blocks / j->tasks;
        for (int64_t b = b0; b < b1; b++) run_block(j, b, scratch);
    }
}

void cort_winograd_conv(int tile, const cort_threads *th, const cort_conv_geom *g, int64_t in_ch, int64_t out_ch,
                        const float *x, const float *packed, const cort_sgemm_epilogue *ep, const float *z, float *y,
                        void *work) {
    int threads = th ? th->count : 1;
    static const cort_sgemm_epilogue none = {NULL, CORT_ACT_NONE, 0, 0, 0, 0};
    wino_job j;
    if (!ep) ep = &none;
    j.plan = plan_for(tile, g, in_ch, out_ch, threads);
    j.g = g, j.x = x, j.packed = packed, j.z = z, j.ep = ep, j.y = y, j.work = work;
    j.tasks = min64(j.plan.blocks, threads < 1 ? 1 : threads);
    if (j.tasks <= 1 || !th) {
        j.tasks = 1;
        wino_tasks(&j, 0, 1);
        return;
    }
    th->parallel_for(th->self, j.tasks, 1, wino_tasks, &j);
}
