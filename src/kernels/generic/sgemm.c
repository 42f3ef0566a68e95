/* Cache-blocked single-precision GEMM in the style of BLIS/GotoBLAS: panels of A (MC x KC) and B
 * (KC x NC) are packed into contiguous micro-panels, then a register-blocked mr x nr micro-kernel
 * runs over them. The micro-tile shape belongs to the micro-kernel, chosen once per process by CPU
 * features: 6 x 8 in portable C (vectorised by gcc/clang), 6 x 16 with AVX2+FMA and 12 x 32 with
 * AVX-512 on x86-64 (intrinsics, src/kernels/x86), 12 x 8 with NEON on AArch64 (src/kernels/arm),
 * 4 x 8 with SIMD128 in WebAssembly (src/kernels/wasm). Packed layouts follow the chosen shape, so
 * weights packed at load and the kernels that read them always agree. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/transformer.h"

enum {
    MR_MAX = 12, /* largest micro-tile of any kernel */
    NR_MAX = 32,
    MC = 240,    /* A block: at most MC x KC floats (240 KB), to stay in L2 (a multiple of every mr) */
    KC = 256,
    NC = 2048,   /* B block: KC x NC floats stay in L3 (a multiple of every nr) */
};

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define CORT_SGEMM_X86_FMA 1
#include "kernels/x86/sgemm_x86.h"
#endif
#if defined(__wasm_simd128__)
#include "kernels/wasm/wasm_kernels.h" /* SIMD128 is chosen at compile time (-msimd128) */
#endif
#if defined(__aarch64__)
#include "kernels/arm/neon.h" /* NEON is part of every AArch64 CPU: chosen at compile time */
#endif

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/* Rows per A block: m split evenly into the fewest blocks of at most MC rows, each a whole number of
 * micro-panels. A fixed MC would leave a thin last block (128 rows: 120 + 8), and every block is a
 * further pass over the packed B block, which lives in L3. */
static int64_t block_rows(int64_t m, int64_t mr) {
    int64_t blocks = (m + MC - 1) / MC;
    return min64(MC, round_up((m + blocks - 1) / blocks, mr));
}

/* Whether a task packs all of its A once (into the tail of its work) instead of again for every
 * column block of C: when there may be several (n past the smallest block an epilogue asks for) and
 * the packed A stays small (a transformer's token rows; gpt2's LM head has 25 column blocks). */
static bool prepack_room(int64_t m, int64_t n, int64_t k) {
    return n > 256 && (double)round_up(m, MR_MAX) * (double)k * sizeof(float) <= 2.0 * 1024 * 1024;
}

static size_t prepack_size(int64_t m, int64_t n, int64_t k) {
    /* rows rounded up to the kernel's mr, which may exceed a round-up to MR_MAX (m 9, mr 8) */
    return prepack_room(m, n, k) ? (size_t)((round_up(m, MR_MAX) + MR_MAX) * k) * sizeof(float) + 64 : 0;
}

size_t cort_sgemm_work_size(int64_t m, int64_t n, int64_t k) {
    if (m <= 0 || n <= 0 || k <= 0) return 64;
    int64_t kc = min64(k, KC);
    int64_t a_panel = round_up(min64(m, MC), MR_MAX) * kc;
    int64_t b_panel = round_up(min64(n, NC), NR_MAX) * kc;
    return (size_t)(a_panel + b_panel) * sizeof(float) + 128 + prepack_size(m, n, k);
}

/* A micro-kernel's own packing of one panel of an untransposed A (see cort_sgemm_pack_a_avx512). */
typedef void (*pack_a_fn)(const float *a, int64_t lda, int64_t rows, int64_t kc, float alpha, float *out);

/* Packs alpha * op(A)[i0 .. i0+mc, p0 .. p0+kc) as mr-row micro-panels, k-major, zero-padded. */
static void pack_a(bool trans, const float *a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                   float alpha, int64_t mr, pack_a_fn fast, float *out) {
    for (int64_t ir = 0; ir < mc; ir += mr) {
        int64_t rows = min64(mr, mc - ir);
        if (!trans && fast) {
            fast(a + (i0 + ir) * lda + p0, lda, rows, kc, alpha, out);
            out += mr * kc;
            continue;
        }
        if (!trans) { /* read each row of A contiguously */
            for (int64_t i = 0; i < rows; i++) {
                const float *src = a + (i0 + ir + i) * lda + p0;
                for (int64_t p = 0; p < kc; p++) out[p * mr + i] = alpha * src[p];
            }
        } else {
            for (int64_t p = 0; p < kc; p++) {
                const float *src = a + (p0 + p) * lda + i0 + ir;
                for (int64_t i = 0; i < rows; i++) out[p * mr + i] = alpha * src[i];
            }
        }
        for (int64_t i = rows; i < mr; i++)
            for (int64_t p = 0; p < kc; p++) out[p * mr + i] = 0;
        out += mr * kc;
    }
}

/* Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) as nr-column micro-panels, k-major, zero-padded. */
static void pack_b(bool trans, const float *b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                   int64_t nr, float *out) {
    for (int64_t jr = 0; jr < nc; jr += nr) {
        int64_t cols = min64(nr, nc - jr);
        if (trans) { /* read each column of op(B), a row of B, contiguously */
            for (int64_t j = 0; j < cols; j++) {
                const float *src = b + (j0 + jr + j) * ldb + p0;
                for (int64_t p = 0; p < kc; p++) out[p * nr + j] = src[p];
            }
        } else {
            for (int64_t p = 0; p < kc; p++) { /* rows of at most nr floats: a loop beats a memcpy call */
                const float *restrict src = b + (p0 + p) * ldb + j0 + jr;
                float *restrict dst = out + p * nr;
                for (int64_t j = 0; j < cols; j++) dst[j] = src[j];
            }
        }
        for (int64_t j = cols; j < nr; j++)
            for (int64_t p = 0; p < kc; p++) out[p * nr + j] = 0;
        out += nr * kc;
    }
}

/* The portable micro-kernel: for every micro-tile of a packed block, acc = packed A micro-panel
 * (6 x kc) * packed B micro-panel (kc x 16), then the tile meets C as `st` says. With GNU C a row of
 * the tile is two 4-wide vector values (one SSE/NEON register each), so the accumulators stay in
 * registers whatever the target ISA. The x86 kernels live in src/kernels/x86. */
static float apply_store(float v, float old, int64_t row, const cort_sgemm_store *st) {
    if (st->beta != 0) v += st->beta * old;
    if (st->bias) v += st->bias[row];
    if (st->clamp) v = v < st->lo ? st->lo : v > st->hi ? st->hi : v;
    return v;
}

static void store_tile(const float *tile, int64_t tile_ld, float *c, int64_t ldc, int64_t mr, int64_t nr,
                       const cort_sgemm_store *st) {
    for (int64_t i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        const float *ti = tile + i * tile_ld;
        if (st->beta == 0 && !st->bias && !st->clamp) {
            memcpy(ci, ti, sizeof(float) * (size_t)nr);
        } else {
            for (int64_t j = 0; j < nr; j++) ci[j] = apply_store(ti[j], st->beta != 0 ? ci[j] : 0.0f, i, st);
        }
    }
}

enum { PLAIN_MR = 6, PLAIN_NR = 8 };
#if defined(__GNUC__) || defined(__clang__)
typedef float vec4 __attribute__((vector_size(16)));
/* unaligned load; a macro because passing vectors between functions can change the ABI */
#define LOADV(v, p) memcpy(&(v), (p), sizeof(v))
static void block_plain(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                        const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += PLAIN_NR) {
        for (int64_t ir = 0; ir < mc; ir += PLAIN_MR) {
            const float *a = ap + ir * kc, *b = bp + jr * kc;
            vec4 acc[PLAIN_MR][2];
            for (int i = 0; i < PLAIN_MR; i++) acc[i][0] = acc[i][1] = (vec4){0, 0, 0, 0};
            for (int64_t p = 0; p < kc; p++) {
                vec4 b0, b1;
                LOADV(b0, b);
                LOADV(b1, b + 4);
                for (int i = 0; i < PLAIN_MR; i++) {
                    acc[i][0] += a[i] * b0;
                    acc[i][1] += a[i] * b1;
                }
                a += PLAIN_MR;
                b += PLAIN_NR;
            }
            float tile[PLAIN_MR * PLAIN_NR];
            memcpy(tile, acc, sizeof tile);
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            store_tile(tile, PLAIN_NR, c + ir * ldc + jr, ldc, min64(PLAIN_MR, mc - ir), min64(PLAIN_NR, nc - jr),
                       &here);
        }
    }
}
#else
static void block_plain(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                        const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += PLAIN_NR) {
        for (int64_t ir = 0; ir < mc; ir += PLAIN_MR) {
            const float *a = ap + ir * kc, *b = bp + jr * kc;
            float tile[PLAIN_MR * PLAIN_NR] = {0};
            for (int64_t p = 0; p < kc; p++, a += PLAIN_MR, b += PLAIN_NR)
                for (int i = 0; i < PLAIN_MR; i++)
                    for (int j = 0; j < PLAIN_NR; j++) tile[i * PLAIN_NR + j] += a[i] * b[j];
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            store_tile(tile, PLAIN_NR, c + ir * ldc + jr, ldc, min64(PLAIN_MR, mc - ir), min64(PLAIN_NR, nc - jr),
                       &here);
        }
    }
}
#endif

typedef void (*block_fn)(int64_t, int64_t, int64_t, const float *, const float *, float *, int64_t,
                         const cort_sgemm_store *);

/* A block function reading B in place (row p at b + p * ldb) instead of from packed panels; `edge`
 * is scratch of kc * nr floats. */
typedef void (*direct_fn)(int64_t, int64_t, int64_t, const float *, const float *, int64_t, float *, int64_t,
                          const cort_sgemm_store *, float *);

typedef struct ukernel {
    int64_t mr, nr;
    block_fn block;
    direct_fn direct; /* NULL: B is always packed */
    int64_t direct_rows; /* at most so many rows with B in place (past 16; see direct_b) */
    pack_a_fn pack_a; /* NULL: A is packed in plain C */
} ukernel;

/* Kernel variants, best last; variant 0 runs anywhere. */
static bool variant_at(int v, ukernel *uk) {
    if (v == 0) {
        *uk = (ukernel){PLAIN_MR, PLAIN_NR, block_plain, NULL, 0, NULL};
        return true;
    }
#ifdef CORT_SGEMM_X86_FMA
    __builtin_cpu_init();
    if (v == 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        /* B in place up to 64 rows: past that, 6-row tiles read each panel too often for its
         * unaligned rows to pay (512x49x2048 83 -> 75 GFLOP/s, where 16x3025x128 gains 83 -> 115) */
        *uk = (ukernel){6, 16, cort_sgemm_block_avx2, cort_sgemm_block_direct_avx2, 64, NULL};
        return true;
    }
    if (v == 2 && __builtin_cpu_supports("avx512f")) {
        *uk = (ukernel){12, 32, cort_sgemm_block_avx512, cort_sgemm_block_direct_avx512, INT64_MAX,
                        cort_sgemm_pack_a_avx512};
        return true;
    }
#endif
#if defined(__aarch64__)
    if (v == 1) {
        *uk = (ukernel){CORT_NEON_SGEMM_MR, CORT_NEON_SGEMM_NR, cort_sgemm_block_neon, NULL, 0, NULL};
        return true;
    }
#endif
#if defined(__wasm_simd128__)
    if (v == 1) {
        *uk = (ukernel){CORT_WASM_SGEMM_MR, CORT_WASM_SGEMM_NR, cort_sgemm_block_wasm, NULL, 0, NULL};
        return true;
    }
#endif
    return false;
}

static ukernel pick_kernel(void) {
    ukernel uk;
    for (int v = 2; v > 0; v--)
        if (variant_at(v, &uk)) return uk;
    variant_at(0, &uk);
    return uk;
}

/* The store for the k block starting at pc: bias and activation only with the last one. */
static cort_sgemm_store store_for(const cort_sgemm_epilogue *ep, float beta, bool last) {
    cort_sgemm_store st = {beta, NULL, false, 0, 0};
    if (!ep || !last) return st;
    st.bias = ep->bias;
    if (ep->act == CORT_ACT_RELU) st.clamp = true, st.lo = 0, st.hi = INFINITY;
    else if (ep->act == CORT_ACT_CLIP) st.clamp = true, st.lo = ep->lo, st.hi = ep->hi;
    return st;
}

/* An activation the micro-kernels' store cannot apply runs over each finished block of C instead. */
static bool act_after_store(const cort_sgemm_epilogue *ep) {
    return ep && ep->act != CORT_ACT_NONE && ep->act != CORT_ACT_RELU && ep->act != CORT_ACT_CLIP;
}

static void activate_block(const cort_sgemm_epilogue *ep, float *c, int64_t ldc, int64_t rows, int64_t cols) {
    for (int64_t i = 0; i < rows; i++) cort_activation_apply(ep, c + i * ldc, cols);
}

/* The per-column epilogue over a finished block of C whose first column is column j0 of the call. */
static void finish_cols(const cort_sgemm_col_epilogue *cep, float *c, int64_t ldc, int64_t rows, int64_t cols,
                        int64_t j0) {
    const float *bias = cep->bias ? cep->bias + j0 : NULL;
    for (int64_t i = 0; i < rows; i++) {
        float *restrict y = c + i * ldc;
        if (cep->gelu) cort_bias_gelu_rows(y, bias, 1, cols, cep->tanh_form);
        else if (bias)
            for (int64_t j = 0; j < cols; j++) y[j] += bias[j];
    }
}

/* C = beta * C with the epilogue, for products with nothing to multiply (k == 0 or alpha == 0). */
static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc, const cort_sgemm_epilogue *ep) {
    cort_sgemm_store st = store_for(ep, beta, true);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float v = beta == 0 ? 0 : beta * c[i * ldc + j];
            if (st.bias) v += st.bias[i];
            if (st.clamp) v = v < st.lo ? st.lo : v > st.hi ? st.hi : v;
            c[i * ldc + j] = v;
        }
    if (act_after_store(ep)) activate_block(ep, c, ldc, m, n);
}

/* Where the packed A panels come from: packed on the fly into `work`, or a whole matrix packed
 * beforehand by cort_sgemm_pack_a (rows_total rounded up to mr, row0 the first row this call uses). */
typedef struct a_source {
    bool trans;
    const float *a;
    int64_t lda;
    const float *packed;
    int64_t rows_total, row0;
} a_source;

/* Where the packed B panels come from: a matrix packed on the fly, a whole B packed beforehand by
 * cort_sgemm_pack_b, or a caller's packing function (columns numbered from col0). */
typedef struct b_source {
    bool trans;
    const float *b;
    int64_t ldb;
    const float *packed;
    cort_pack_b_fn pack;
    const void *pack_src;
    int64_t col0, n_total; /* n_total: the columns of a packed B, of which this call computes col0 on */
} b_source;

/* A whole B packed beforehand: the nr-column panels of block (jc, pc) start at
 * packed + jc * k + pc * round_up(nc, nr). */
static const float *packed_b_block(const float *packed, int64_t k, int64_t jc, int64_t nc, int64_t pc, int64_t nr) {
    return packed + jc * k + pc * round_up(nc, nr);
}

/* Columns from local column jc to the end of its NC block of a packed B (blocks counted from its
 * column 0, so that a call computing only some columns, a thread's share, finds them). */
static int64_t packed_cols(const b_source *bs, int64_t n, int64_t jc) {
    int64_t g = bs->col0 + jc;
    return min64(NC - g % NC, n - jc);
}

/* The k block pc of a packed B from local column jc on (a whole number of nr panels into its block). */
static const float *packed_b_at(const b_source *bs, int64_t k, int64_t jc, int64_t pc, int64_t kc, int64_t nr) {
    int64_t g = bs->col0 + jc, block = g - g % NC;
    return packed_b_block(bs->packed, k, block, min64(NC, bs->n_total - block), pc, nr) + (g - block) * kc;
}

/* Whether a column panel of B read in place (kc rows, ldb floats apart, up to three cache lines
 * each) spreads over the L2 cache's sets: taken as 1024 sets of 64-byte lines (1 MiB, 16 ways), a row
 * stride of a multiple of 4 KiB lands every row in the same few sets, and the panel, which each row
 * tile reads again, no longer stays in L2. At most 4 lines per set, a quarter of the ways. */
static bool panel_spreads(int64_t ldb, int64_t kc) {
    enum { SETS = 1024, MAX_PER_SET = 4 };
    uint8_t lines[SETS] = {0};
    uint64_t fresh = 0; /* rows closer than a line share theirs: each line counts once */
    for (int64_t p = 0; p < kc; p++) {
        uint64_t line = (uint64_t)p * (uint64_t)ldb * sizeof(float) / 64;
        for (uint64_t l = line > fresh ? line : fresh; l < line + 3; l++)
            if (++lines[l % SETS] > MAX_PER_SET) return false;
        fresh = line + 3;
    }
    return true;
}

/* Whether the kernel reads B in place instead of packing it: a plain row-major B shared by few row
 * tiles, where packing cost more than it saved (sgemm_bench zoo: 16 x 3025 x 128 130 -> 150-220
 * GFLOP/s, 24 x 3136 x 96 155 -> 220). Up to 16 rows (two tiles) always; more when the panel stays in
 * L2 between tiles, and B is either small or read at most twice (each block of MC rows reads all of
 * it, where a packed block serves them all). */
static bool direct_b(const ukernel *uk, const b_source *bs, int64_t m, int64_t n, int64_t k) {
    if (!uk->direct || bs->packed || bs->pack || bs->trans) return false;
    if (m <= 16) return true;
    if (m > uk->direct_rows) return false;
    bool small_b = (double)k * (double)n * sizeof(float) <= 1024.0 * 1024.0;
    return (m <= 2 * MC || small_b) && panel_spreads(bs->ldb, min64(k, KC));
}

static void sgemm_core(ukernel uk, int64_t m, int64_t n, int64_t k, float alpha, const a_source *as_in,
                       const b_source *bs, float beta, float *c, int64_t ldc, const cort_sgemm_epilogue *ep,
                       const cort_sgemm_col_epilogue *cep, void *work) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0) {
        scale_c(m, n, beta, c, ldc, ep);
        if (cep) finish_cols(cep, c, ldc, m, n, 0);
        return;
    }
    a_source a_here = *as_in;
    const a_source *as = &a_here;
    int64_t kc_max = min64(k, KC), mc_max = block_rows(m, uk.mr);
    float *ap = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    float *bp = ap + round_up(mc_max, MR_MAX) * kc_max;
    bool direct = direct_b(&uk, bs, m, n, k);
    /* an activation applied after the store reads each block of C again: about 256 KiB of it stays in L2 */
    bool after = act_after_store(ep) || (cep && cep->gelu); /* a bias alone is cheap: whole blocks */
    int64_t nc_max = after ? min64(NC, max64(256, round_up((INT64_C(1) << 16) / mc_max, 32))) : NC;
    if (!as->packed && n > nc_max && prepack_room(m, n, k)) {
        /* several column blocks: A packed once for all of them (alpha folded in), after the panels */
        float *past = bp + (bs->packed ? 0 : round_up(min64(n, NC), NR_MAX) * kc_max);
        float *whole = (float *)(((uintptr_t)past + 63) & ~(uintptr_t)63);
        int64_t rows = round_up(m, uk.mr);
        for (int64_t pc = 0; pc < k; pc += KC)
            pack_a(as->trans, as->a, as->lda, 0, m, pc, min64(KC, k - pc), alpha, uk.mr, uk.pack_a, whole + pc * rows);
        a_here = (a_source){false, NULL, 0, whole, rows, 0};
    }
    for (int64_t jc = 0, nc; jc < n; jc += nc) {
        nc = bs->packed ? min64(packed_cols(bs, n, jc), after ? nc_max : NC) : min64(nc_max, n - jc);
        for (int64_t pc = 0; pc < k; pc += KC) {
            int64_t kc = min64(KC, k - pc);
            cort_sgemm_store st = store_for(ep, pc == 0 ? beta : 1.0f, pc + kc >= k);
            const float *bpanel = bp;
            if (direct) bpanel = NULL;
            else if (bs->packed) bpanel = packed_b_at(bs, k, jc, pc, kc, uk.nr);
            else if (bs->pack) bs->pack(bs->pack_src, pc, kc, bs->col0 + jc, nc, uk.nr, bp);
            else pack_b(bs->trans, bs->b, bs->ldb, pc, kc, jc, nc, uk.nr, bp);
            for (int64_t ic = 0; ic < m; ic += mc_max) {
                int64_t mc = min64(mc_max, m - ic);
                const float *panel = ap;
                if (as->packed) panel = as->packed + pc * as->rows_total + (as->row0 + ic) * kc;
                else pack_a(as->trans, as->a, as->lda, ic, mc, pc, kc, alpha, uk.mr, uk.pack_a, ap);
                cort_sgemm_store here = st;
                if (here.bias) here.bias += ic;
                float *cblock = c + ic * ldc + jc;
                if (direct) uk.direct(mc, nc, kc, panel, bs->b + pc * bs->ldb + jc, bs->ldb, cblock, ldc, &here, bp);
                else uk.block(mc, nc, kc, panel, bpanel, cblock, ldc, &here);
                if (pc + kc >= k && act_after_store(ep)) activate_block(ep, c + ic * ldc + jc, ldc, mc, nc);
                if (pc + kc >= k && cep) finish_cols(cep, c + ic * ldc + jc, ldc, mc, nc, jc);
            }
        }
    }
}

void cort_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work) {
    a_source as = {trans_a, a, lda, NULL, 0, 0};
    b_source bs = {trans_b, b, ldb, NULL, NULL, NULL, 0, 0};
    sgemm_core(pick_kernel(), m, n, k, alpha, &as, &bs, beta, c, ldc, NULL, NULL, work);
}

bool cort_sgemm_variant_ep(int variant, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                           const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                           int64_t ldc, const cort_sgemm_epilogue *ep, void *work) {
    ukernel uk;
    if (!variant_at(variant, &uk)) return false;
    a_source as = {trans_a, a, lda, NULL, 0, 0};
    b_source bs = {trans_b, b, ldb, NULL, NULL, NULL, 0, 0};
    sgemm_core(uk, m, n, k, alpha, &as, &bs, beta, c, ldc, ep, NULL, work);
    return true;
}

bool cort_sgemm_variant(int variant, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                        void *work) {
    return cort_sgemm_variant_ep(variant, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL,
                                 work);
}

size_t cort_sgemm_packed_a_size(int64_t m, int64_t k) {
    if (m <= 0 || k <= 0) return sizeof(float);
    return (size_t)(round_up(m, pick_kernel().mr) * k) * sizeof(float);
}

void cort_sgemm_pack_a(bool trans_a, int64_t m, int64_t k, const float *a, int64_t lda, float *packed) {
    ukernel uk = pick_kernel();
    int64_t rows = round_up(m, uk.mr);
    for (int64_t pc = 0; pc < k; pc += KC) {
        int64_t kc = min64(KC, k - pc);
        pack_a(trans_a, a, lda, 0, m, pc, kc, 1.0f, uk.mr, uk.pack_a, packed + pc * rows);
    }
}

size_t cort_sgemm_packed_b_size(int64_t k, int64_t n) {
    if (n <= 0 || k <= 0) return sizeof(float);
    return (size_t)(round_up(n, pick_kernel().nr) * k) * sizeof(float);
}

void cort_sgemm_pack_b(bool trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, float *packed) {
    int64_t nr = pick_kernel().nr;
    for (int64_t jc = 0; jc < n; jc += NC) {
        int64_t nc = min64(NC, n - jc);
        for (int64_t pc = 0; pc < k; pc += KC)
            pack_b(trans_b, b, ldb, pc, min64(KC, k - pc), jc, nc, nr,
                   (float *)packed_b_block(packed, k, jc, nc, pc, nr));
    }
}

/* ------------------------------------------------------------------ threaded */

typedef struct sgemm_split {
    a_source a;
    b_source b;
    bool split_rows;
    int64_t m, n, k, chunk, ldc;
    float alpha, beta;
    float *c;
    const cort_sgemm_epilogue *ep;
    const cort_sgemm_col_epilogue *cep;
    char *work;
    size_t work_each;
} sgemm_split;

/* How to split: along rows when m >= n, else along columns, so that each thread reads a share of the
 * larger operand (a weight matrix streamed from memory, with the few rows of a transformer's tokens),
 * and the shares differ by at most a micro-tile. */
static int sgemm_tasks(int64_t m, int64_t n, int64_t k, int threads, bool *split_rows, int64_t *chunk) {
    ukernel uk = pick_kernel();
    *split_rows = m >= n;
    int64_t len = *split_rows ? m : n, unit = *split_rows ? uk.mr : uk.nr;
    /* below ~64k multiply-adds per thread the fork costs more than it saves */
    double by_work = (double)m * (double)n * (double)(k > 0 ? k : 1) / 65536.0;
    int64_t tasks = threads < 1 ? 1 : threads;
    if ((double)tasks > by_work) tasks = by_work >= 1 ? (int64_t)by_work : 1;
    if (tasks > (len + unit - 1) / unit) tasks = (len + unit - 1) / unit;
    if (tasks < 1) tasks = 1;
    *chunk = round_up((len + tasks - 1) / tasks, unit);
    return (int)((len + *chunk - 1) / *chunk);
}

/* The scratch of one task: A and B panels, or with B packed beforehand only A panels. */
static size_t task_work_size(bool split_rows, bool b_packed, int64_t m, int64_t n, int64_t k, int64_t chunk) {
    int64_t rows = split_rows ? chunk : m, cols = split_rows ? n : chunk;
    if (!b_packed) return cort_sgemm_work_size(rows, cols, k);
    if (rows <= 0 || cols <= 0 || k <= 0) return 64;
    return (size_t)(round_up(min64(rows, MC), MR_MAX) * min64(k, KC)) * sizeof(float) + 128 +
           prepack_size(rows, cols, k);
}

static size_t split_work_size(int64_t m, int64_t n, int64_t k, int threads, bool b_packed) {
    bool rows;
    int64_t chunk;
    int tasks = sgemm_tasks(m, n, k, threads, &rows, &chunk);
    return task_work_size(rows, b_packed, m, n, k, chunk) * (size_t)tasks;
}

size_t cort_sgemm_mt_work_size(int64_t m, int64_t n, int64_t k, int threads) {
    return split_work_size(m, n, k, threads, false);
}

size_t cort_sgemm_packed_b_mt_work_size(int64_t m, int64_t n, int64_t k, int threads) {
    return split_work_size(m, n, k, threads, true);
}

static void sgemm_task(void *arg, int64_t begin, int64_t end) {
    const sgemm_split *s = arg;
    for (int64_t t = begin; t < end; t++) {
        void *work = s->work + (size_t)t * s->work_each;
        int64_t lo = t * s->chunk;
        a_source as = s->a;
        b_source bs = s->b;
        if (s->split_rows) {
            int64_t rows = min64(s->chunk, s->m - lo);
            if (as.a) as.a += as.trans ? lo : lo * as.lda;
            as.row0 = lo;
            cort_sgemm_epilogue ep;
            if (s->ep) {
                ep = *s->ep;
                if (ep.bias) ep.bias += lo;
            }
            sgemm_core(pick_kernel(), rows, s->n, s->k, s->alpha, &as, &bs, s->beta, s->c + lo * s->ldc, s->ldc,
                       s->ep ? &ep : NULL, s->cep, work);
        } else {
            int64_t cols = min64(s->chunk, s->n - lo);
            if (bs.b) bs.b += bs.trans ? lo * bs.ldb : lo;
            bs.col0 += lo;
            cort_sgemm_col_epilogue cep;
            if (s->cep) {
                cep = *s->cep;
                if (cep.bias) cep.bias += lo;
            }
            sgemm_core(pick_kernel(), s->m, cols, s->k, s->alpha, &as, &bs, s->beta, s->c + lo, s->ldc, s->ep,
                       s->cep ? &cep : NULL, work);
        }
    }
}

static void sgemm_split_run(const cort_threads *th, sgemm_split *s, void *work) {
    int tasks = sgemm_tasks(s->m, s->n, s->k, th ? th->count : 1, &s->split_rows, &s->chunk);
    s->a.rows_total = round_up(s->m, pick_kernel().mr);
    s->work_each = task_work_size(s->split_rows, s->b.packed != NULL, s->m, s->n, s->k, s->chunk);
    s->work = work;
    if (tasks <= 1 || !th) {
        s->chunk = s->split_rows ? s->m : s->n;
        sgemm_task(s, 0, 1);
        return;
    }
    th->parallel_for(th->self, tasks, 1, sgemm_task, s);
}

static void split_init(sgemm_split *s, int64_t m, int64_t n, int64_t k, float alpha, float beta, float *c,
                       int64_t ldc) {
    memset(s, 0, sizeof *s);
    s->m = m, s->n = n, s->k = k, s->alpha = alpha, s->beta = beta, s->c = c, s->ldc = ldc;
}

void cort_sgemm_mt(const cort_threads *th, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                   float *c, int64_t ldc, void *work) {
    cort_sgemm_mt_ep(th, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, work);
}

void cort_sgemm_mt_ep(const cort_threads *th, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                      int64_t ldc, const cort_sgemm_epilogue *ep, void *work) {
    sgemm_split s;
    split_init(&s, m, n, k, alpha, beta, c, ldc);
    s.ep = ep;
    s.a = (a_source){trans_a, a, lda, NULL, 0, 0};
    s.b = (b_source){trans_b, b, ldb, NULL, NULL, NULL, 0, 0};
    sgemm_split_run(th, &s, work);
}

void cort_sgemm_packed_b_mt(const cort_threads *th, bool trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *a, int64_t lda, const float *packed_b, float beta, float *c, int64_t ldc,
                            void *work) {
    sgemm_split s;
    split_init(&s, m, n, k, alpha, beta, c, ldc);
    s.a = (a_source){trans_a, a, lda, NULL, 0, 0};
    s.b = (b_source){false, NULL, 0, packed_b, NULL, NULL, 0, n};
    sgemm_split_run(th, &s, work);
}

void cort_sgemm_packed_mt(const cort_threads *th, const float *packed_a, int64_t m, int64_t n, int64_t k,
                          bool trans_b, const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work) {
    cort_sgemm_packed_mt_ep(th, packed_a, m, n, k, trans_b, b, ldb, beta, c, ldc, NULL, work);
}

void cort_sgemm_packed_mt_ep(const cort_threads *th, const float *packed_a, int64_t m, int64_t n, int64_t k,
                             bool trans_b, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                             const cort_sgemm_epilogue *ep, void *work) {
    sgemm_split s;
    split_init(&s, m, n, k, 1.0f, beta, c, ldc);
    s.ep = ep;
    s.a = (a_source){false, NULL, 0, packed_a, 0, 0};
    s.b = (b_source){trans_b, b, ldb, NULL, NULL, NULL, 0, 0};
    sgemm_split_run(th, &s, work);
}

void cort_sgemm_gather_b_mt(const cort_threads *th, const float *packed_a, const float *a, int64_t lda, int64_t m,
                            int64_t n, int64_t k, cort_pack_b_fn pack, const void *pack_src, float beta, float *c,
                            int64_t ldc, void *work) {
    cort_sgemm_gather_b_mt_ep(th, packed_a, a, lda, m, n, k, pack, pack_src, beta, c, ldc, NULL, work);
}

void cort_sgemm_gather_b_mt_ep(const cort_threads *th, const float *packed_a, const float *a, int64_t lda, int64_t m,
                               int64_t n, int64_t k, cort_pack_b_fn pack, const void *pack_src, float beta, float *c,
                               int64_t ldc, const cort_sgemm_epilogue *ep, void *work) {
    sgemm_split s;
    split_init(&s, m, n, k, 1.0f, beta, c, ldc);
    s.ep = ep;
    s.a = (a_source){false, a, lda, packed_a, 0, 0};
    s.b = (b_source){false, NULL, 0, NULL, pack, pack_src, 0, 0};
    sgemm_split_run(th, &s, work);
}

size_t cort_sgemm_col_ep_mt_work_size(int64_t m, int64_t n, int64_t k, int threads, bool b_packed) {
    return split_work_size(m, n, k, threads, b_packed);
}

void cort_sgemm_col_ep_mt(const cort_threads *th, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                          const float *packed_b, bool trans_b, const float *b, int64_t ldb, float *c, int64_t ldc,
                          const cort_sgemm_col_epilogue *ep, void *work) {
    sgemm_split s;
    split_init(&s, m, n, k, 1.0f, 0.0f, c, ldc);
    s.cep = ep;
    s.a = (a_source){false, a, lda, NULL, 0, 0};
    if (packed_b) s.b = (b_source){false, NULL, 0, packed_b, NULL, NULL, 0, n};
    else s.b = (b_source){trans_b, b, ldb, NULL, NULL, NULL, 0, 0};
    sgemm_split_run(th, &s, work);
}

/* ------------------------------------------------------------------ double */

void cort_dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
                int64_t lda, const double *b, int64_t ldb, double beta, double *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        double *ci = c + i * ldc;
        for (int64_t j = 0; j < n; j++) ci[j] = beta == 0 ? 0 : beta * ci[j];
        for (int64_t p = 0; p < k; p++) {
            double av = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
            if (!trans_b) {
                const double *bp = b + p * ldb;
                for (int64_t j = 0; j < n; j++) ci[j] += av * bp[j];
            } else {
                for (int64_t j = 0; j < n; j++) ci[j] += av * b[j * ldb + p];
            }
        }
    }
}
