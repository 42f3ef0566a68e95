/* The recurrence of RNN, GRU and LSTM for one element type. rnn.c includes this file once per type
 * with RNN_T (float or double) and RNN_FN(name) (a suffixing macro) defined, so the cell math runs in
 * the tensor's own precision without a copy of the code per type. Not a standalone header. */
/* Optional per type: RNN_VTANH / RNN_VSIGMOID(x, y, n) array activations and RNN_DOT_ROWS(rows, k,
 * w, ldw, x, y), the product of rows of w with one vector. */
#if !defined(RNN_T) || !defined(RNN_FN)
#error "rnn_steps.h is included by rnn.c with RNN_T, RNN_FN and the RNN_<MATH> macros defined"
#endif
/* rnn.c defines, per type, gemm_nt (c = a * b^T), gemm_work (its workspace bytes), pack_weights (B packed
 * for gemm_packed, or NULL where the type has no packed GEMM) and gemm_packed. */

static void RNN_FN(activate)(const rnn_act *f, RNN_T *x, int64_t n) {
    RNN_T a = (RNN_T)f->alpha, b = (RNN_T)f->beta;
    switch (f->kind) {
    case ACT_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case ACT_TANH:
#ifdef RNN_VTANH
        RNN_VTANH(x, x, n);
#else
        for (int64_t i = 0; i < n; i++) x[i] = RNN_TANH(x[i]);
#endif
        break;
    case ACT_SIGMOID:
#ifdef RNN_VSIGMOID
        RNN_VSIGMOID(x, x, n);
#else
        for (int64_t i = 0; i < n; i++) x[i] = RNN_SIGMOID(x[i]);
#endif
        break;
    case ACT_AFFINE:
        for (int64_t i = 0; i < n; i++) x[i] = a * x[i] + b;
        break;
    case ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] : a * x[i];
        break;
    case ACT_THRESHOLDED_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > a ? x[i] : 0;
        break;
    case ACT_SCALED_TANH:
        for (int64_t i = 0; i < n; i++) x[i] = a * RNN_TANH(b * x[i]);
        break;
    case ACT_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            RNN_T v = a * x[i] + b;
            x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        break;
    case ACT_ELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] : a * (RNN_EXP(x[i]) - 1);
        break;
    case ACT_SOFTSIGN:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1 + RNN_FABS(x[i]));
        break;
    case ACT_SOFTPLUS:
        /* log(1 + e^x) without overflow for large x */
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] + RNN_LOG1P(RNN_EXP(-x[i])) : RNN_LOG1P(RNN_EXP(x[i]));
        break;
    }
}

static void RNN_FN(clip)(RNN_T *x, int64_t n, const rnn_params *p) {
    if (!p->has_clip) return;
    RNN_T c = (RNN_T)p->clip;
    for (int64_t i = 0; i < n; i++) x[i] = x[i] < -c ? -c : x[i] > c ? c : x[i];
}

/* Scratch of one direction's run, all of the element type. */
typedef struct RNN_FN(rnn_bufs) {
    void *work;   /* GEMM workspace */
    RNN_T *xw;    /* [seq*batch, G*H]: input projection plus folded biases, rows in X's order */
    RNN_T *gates; /* [batch, G*H]: recurrent projection of the step */
    RNN_T *h, *c; /* [batch, H] state */
    RNN_T *rh;    /* [batch, H]: GRU r (.) H_{t-1} */
    RNN_T *rh_r;  /* [batch, H]: (r (.) H_{t-1}) * R_h^T */
} RNN_FN(rnn_bufs);

static cort_status *RNN_FN(alloc_bufs)(const rnn_job *j, RNN_FN(rnn_bufs) *bf) {
    int64_t gh = j->gates * j->hidden, bh = j->batch * j->hidden;
    size_t work = RNN_FN(gemm_work)(j, j->seq * j->batch, gh, j->input);
    size_t step_work = RNN_FN(gemm_work)(j, j->batch, gh, j->hidden);
    if (step_work > work) work = step_work;
    bf->work = j->ctx->svc->scratch(j->ctx, work);
    if (!bf->work) return cort_kerr(j->ctx, "out of memory for %zu bytes of GEMM workspace", work);
    int64_t sizes[6] = {j->seq * j->batch * gh, j->batch * gh, bh, bh, bh, bh};
    RNN_T **dst[6] = {&bf->xw, &bf->gates, &bf->h, &bf->c, &bf->rh, &bf->rh_r};
    for (int i = 0; i < 6; i++) {
        size_t bytes = (size_t)(sizes[i] ? sizes[i] : 1) * sizeof(RNN_T);
        *dst[i] = j->ctx->svc->scratch(j->ctx, bytes);
        if (!*dst[i]) return cort_kerr(j->ctx, "out of memory for %zu bytes of RNN scratch", bytes);
    }
    return NULL;
}

/* Input projection of every time step at once, with the biases that sit outside the recurrence. */
static void RNN_FN(project_inputs)(const rnn_job *j, int d, RNN_FN(rnn_bufs) *bf) {
    int64_t gh = j->gates * j->hidden, rows = j->seq * j->batch;
    const RNN_T *w = (const RNN_T *)j->w + (int64_t)d * gh * j->input;
    if (j->packed_w[d])
        RNN_FN(gemm_packed)(j, bf->work, rows, gh, j->input, j->x, j->input, j->packed_w[d], bf->xw, gh);
    else RNN_FN(gemm_nt)(j, bf->work, rows, gh, j->input, j->x, j->input, w, j->input, bf->xw, gh);
    if (!j->b) return;
    const RNN_T *wb = (const RNN_T *)j->b + (int64_t)d * 2 * gh, *rb = wb + gh;
    /* GRU with linear_before_reset keeps R's h-gate bias inside r (.) (...) */
    int64_t rb_cols = (j->p->cell == CELL_GRU && j->p->linear_before_reset) ? 2 * j->hidden : gh;
    for (int64_t r = 0; r < rows; r++) {
        RNN_T *row = bf->xw + r * gh;
        for (int64_t k = 0; k < gh; k++) row[k] += wb[k];
        for (int64_t k = 0; k < rb_cols; k++) row[k] += rb[k];
    }
}

static void RNN_FN(load_state)(const rnn_job *j, int d, const void *init, RNN_T *state) {
    int64_t H = j->hidden;
    for (int64_t b = 0; b < j->batch; b++) {
        RNN_T *dst = state + b * H;
        if (!init) {
            for (int64_t k = 0; k < H; k++) dst[k] = 0;
            continue;
        }
        memcpy(dst, (const RNN_T *)init + rnn_state_offset(j, d, b), (size_t)H * sizeof(RNN_T));
    }
}

static void RNN_FN(store_state)(const rnn_job *j, int d, const RNN_T *state, void *out) {
    if (!out) return;
    for (int64_t b = 0; b < j->batch; b++)
        memcpy((RNN_T *)out + rnn_state_offset(j, d, b), state + b * j->hidden,
               (size_t)j->hidden * sizeof(RNN_T));
}

static void RNN_FN(simple_cell)(const rnn_job *j, int d, const RNN_T *x, RNN_T *g, RNN_T *h) {
    for (int64_t k = 0; k < j->hidden; k++) g[k] += x[k];
    RNN_FN(clip)(g, j->hidden, j->p);
    RNN_FN(activate)(&j->p->acts[d][0], g, j->hidden);
    memcpy(h, g, (size_t)j->hidden * sizeof(RNN_T));
}

/* Gate order i, o, f, c; peepholes P in order i, o, f. */
static void RNN_FN(lstm_cell)(const rnn_job *j, int d, const RNN_T *x, RNN_T *g, RNN_T *h, RNN_T *c) {
    int64_t H = j->hidden;
    const rnn_act *acts = j->p->acts[d];
    const RNN_T *peep = j->peep ? (const RNN_T *)j->peep + (int64_t)d * 3 * H : NULL;
    RNN_T *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
    for (int64_t k = 0; k < 4 * H; k++) g[k] += x[k];
    if (peep)
        for (int64_t k = 0; k < H; k++) {
            gi[k] += peep[k] * c[k];
            gf[k] += peep[2 * H + k] * c[k];
        }
    /* o waits for the new cell state (its peephole reads C_t), so it is clipped later */
    RNN_FN(clip)(gi, H, j->p);
    RNN_FN(clip)(gf, 2 * H, j->p); /* f and c are adjacent */
    RNN_FN(activate)(&acts[0], gi, H);
    if (j->p->input_forget)
        for (int64_t k = 0; k < H; k++) gf[k] = 1 - gi[k];
    else
        RNN_FN(activate)(&acts[0], gf, H);
    RNN_FN(activate)(&acts[1], gc, H);
    for (int64_t k = 0; k < H; k++) c[k] = gf[k] * c[k] + gi[k] * gc[k];
    if (peep)
        for (int64_t k = 0; k < H; k++) go[k] += peep[H + k] * c[k];
    RNN_FN(clip)(go, H, j->p);
    RNN_FN(activate)(&acts[0], go, H);
    memcpy(h, c, (size_t)H * sizeof(RNN_T));
    RNN_FN(activate)(&acts[2], h, H);
    for (int64_t k = 0; k < H; k++) h[k] *= go[k];
}

/* z and r of one batch row, and r (.) H_{t-1} for the h gate when the reset comes before R_h. */
static void RNN_FN(gru_gates)(const rnn_job *j, int d, const RNN_T *x, RNN_T *g, const RNN_T *h, RNN_T *rh) {
    int64_t H = j->hidden;
    for (int64_t k = 0; k < 2 * H; k++) g[k] += x[k];
    RNN_FN(clip)(g, 2 * H, j->p);
    RNN_FN(activate)(&j->p->acts[d][0], g, 2 * H);
    if (!j->p->linear_before_reset)
        for (int64_t k = 0; k < H; k++) rh[k] = g[H + k] * h[k];
}

/* h~ and the new state; `rec` is R_h's contribution: (r (.) H) R_h^T, or H R_h^T + Rb_h to be reset. */
static void RNN_FN(gru_finish)(const rnn_job *j, int d, const RNN_T *x, RNN_T *g, const RNN_T *rec,
                               RNN_T *h) {
    int64_t H = j->hidden;
    RNN_T *z = g, *r = g + H, *hh = g + 2 * H;
    if (j->p->linear_before_reset) {
        const RNN_T *rb = j->b ? (const RNN_T *)j->b + (int64_t)d * 6 * H + 5 * H : NULL;
        for (int64_t k = 0; k < H; k++) hh[k] = x[2 * H + k] + r[k] * (rec[k] + (rb ? rb[k] : 0));
    } else {
        for (int64_t k = 0; k < H; k++) hh[k] = x[2 * H + k] + rec[k];
    }
    RNN_FN(clip)(hh, H, j->p);
    RNN_FN(activate)(&j->p->acts[d][1], hh, H);
    for (int64_t k = 0; k < H; k++) h[k] = (1 - z[k]) * hh[k] + z[k] * h[k];
}

/* Time index of step s for batch row b, or -1 when the row's sequence has ended. */
static int64_t RNN_FN(step_time)(const rnn_job *j, bool reverse, int64_t s, int64_t b) {
    int64_t len = j->lens ? j->lens[b] : j->seq;
    if (s >= len) return -1;
    return reverse ? len - 1 - s : s;
}

/* Outputs [begin, end) of c[b, :] = a[b, :] * r^T for every batch row: one dot product per row of r. */
typedef struct RNN_FN(gemv_task) {
    int64_t batch, k, lda, ldr, ldc;
    const RNN_T *a, *r;
    RNN_T *c;
} RNN_FN(gemv_task);

static void RNN_FN(gemv_rows)(void *arg, int64_t begin, int64_t end) {
    const RNN_FN(gemv_task) *t = arg;
#ifdef RNN_DOT_ROWS /* a vectorised product of the type, when there is one */
    for (int64_t b = 0; b < t->batch; b++)
        RNN_DOT_ROWS(end - begin, t->k, t->r + begin * t->ldr, t->ldr, t->a + b * t->lda, t->c + b * t->ldc + begin);
    return;
#endif
    for (int64_t row = begin; row < end; row++) {
        const RNN_T *w = t->r + row * t->ldr;
        for (int64_t b = 0; b < t->batch; b++) {
            const RNN_T *a = t->a + b * t->lda;
            /* eight independent partial sums: a reduction the compiler can vectorise without
             * reassociating floating-point additions itself */
            RNN_T acc[8] = {0};
            int64_t p = 0;
            for (; p + 8 <= t->k; p += 8)
                for (int q = 0; q < 8; q++) acc[q] += w[p + q] * a[p + q];
            RNN_T sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
            for (; p < t->k; p++) sum += w[p] * a[p];
            t->c[b * t->ldc + row] = sum;
        }
    }
}

/* R (or a block of its rows) as each step multiplies by it: packed once for the GEMM when the batch
 * is large and the type has a packed GEMM, else as stored. */
typedef struct RNN_FN(rec_weights) {
    const RNN_T *r; /* n x k, rows k apart */
    const void *packed;
    int64_t n, k;
} RNN_FN(rec_weights);

static cort_status *RNN_FN(rec_weights_init)(const rnn_job *j, const RNN_T *r, int64_t n, int64_t k,
                                             RNN_FN(rec_weights) *w) {
    *w = (RNN_FN(rec_weights)){r, NULL, n, k};
    if (j->batch <= RNN_GEMV_MAX_BATCH) return NULL;
    return RNN_FN(pack_weights)(j, r, n, k, &w->packed);
}

/* c[m x n] = a[m x k] * R^T. Small batches take dot products over R's rows as they are stored
 * (a GEMM would pack R at every step); large ones use R packed once per run. */
static void RNN_FN(recurrent)(const rnn_job *j, const RNN_FN(rnn_bufs) *bf, int64_t m, const RNN_T *a, int64_t lda,
                              const RNN_FN(rec_weights) *w, RNN_T *c, int64_t ldc) {
    int64_t n = w->n, k = w->k;
    if (w->packed) {
        RNN_FN(gemm_packed)(j, bf->work, m, n, k, a, lda, w->packed, c, ldc);
        return;
    }
    RNN_FN(gemv_task) t = {m, k, lda, k, ldc, a, w->r, c};
    /* From 2^17 MACs (some 5 us) a step's product is split in one block of rows per thread. Each thread
     * then tends to take the same rows at every step, which stay in its own L2 cache: R of an LSTM
     * with 256 hidden units is 1 MiB, as much as one core's L2, and half of it fits. Smaller products
     * finish before a worker could be woken and joined. */
    int threads = j->ctx->threads > 1 ? j->ctx->threads : 1;
    int64_t chunk = n;
    if (threads > 1 && m * n * k >= ((int64_t)1 << 17)) chunk = ((n + threads - 1) / threads + 15) / 16 * 16;
    j->ctx->svc->parallel_for(j->ctx, n, chunk, RNN_FN(gemv_rows), &t);
}

/* One direction's buffers and weights, set up before any direction computes: scratch memory is
 * allocated on the kernel's thread only, so the directions can then run on two threads. */
typedef struct RNN_FN(dir_run) {
    RNN_FN(rnn_bufs) bf;
    RNN_FN(rec_weights) w_main, w_reset; /* w_reset: GRU's R_h when the reset comes before it */
} RNN_FN(dir_run);

static bool RNN_FN(gru_split)(const rnn_job *j) { return j->p->cell == CELL_GRU && !j->p->linear_before_reset; }

static cort_status *RNN_FN(prepare_direction)(const rnn_job *j, int d, RNN_FN(dir_run) *dr) {
    memset(dr, 0, sizeof *dr);
    CORT_TRY(RNN_FN(alloc_bufs)(j, &dr->bf));
    int64_t H = j->hidden, gh = j->gates * H;
    const RNN_T *r = (const RNN_T *)j->r + (int64_t)d * gh * H;
    bool split = RNN_FN(gru_split)(j);
    CORT_TRY(RNN_FN(rec_weights_init)(j, r, split ? 2 * H : gh, H, &dr->w_main));
    if (split) CORT_TRY(RNN_FN(rec_weights_init)(j, r + 2 * H * H, H, H, &dr->w_reset));
    return NULL;
}

static void RNN_FN(compute_direction)(const rnn_job *j, int d, RNN_FN(dir_run) *dr) {
    RNN_FN(rnn_bufs) bf = dr->bf;
    int64_t H = j->hidden, gh = j->gates * H;
    bool reverse = j->p->direction == DIR_REVERSE || d == 1, gru_split = RNN_FN(gru_split)(j);
    RNN_FN(project_inputs)(j, d, &bf);
    RNN_FN(load_state)(j, d, j->init_h, bf.h);
    if (j->p->cell == CELL_LSTM) RNN_FN(load_state)(j, d, j->init_c, bf.c);
    if (gru_split) memset(bf.rh, 0, (size_t)(j->batch * H) * sizeof(RNN_T));

    for (int64_t s = 0; s < j->seq; s++) {
        RNN_FN(recurrent)(j, &bf, j->batch, bf.h, H, &dr->w_main, bf.gates, gh);
        for (int64_t b = 0; b < j->batch; b++) {
            int64_t t = RNN_FN(step_time)(j, reverse, s, b);
            if (t < 0) continue;
            const RNN_T *x = bf.xw + rnn_input_row(j, t, b) * gh;
            RNN_T *g = bf.gates + b * gh, *h = bf.h + b * H;
            if (j->p->cell == CELL_SIMPLE) RNN_FN(simple_cell)(j, d, x, g, h);
            else if (j->p->cell == CELL_LSTM) RNN_FN(lstm_cell)(j, d, x, g, h, bf.c + b * H);
            else RNN_FN(gru_gates)(j, d, x, g, h, bf.rh + b * H);
        }
        if (j->p->cell == CELL_GRU) {
            const RNN_T *rec = bf.gates + 2 * H;
            int64_t rec_ld = gh;
            if (gru_split) {
                RNN_FN(recurrent)(j, &bf, j->batch, bf.rh, H, &dr->w_reset, bf.rh_r, H);
                rec = bf.rh_r;
                rec_ld = H;
            }
            for (int64_t b = 0; b < j->batch; b++) {
                int64_t t = RNN_FN(step_time)(j, reverse, s, b);
                if (t < 0) continue;
                RNN_FN(gru_finish)(j, d, bf.xw + rnn_input_row(j, t, b) * gh, bf.gates + b * gh,
                                   rec + b * rec_ld, bf.h + b * H);
            }
        }
        if (j->y)
            for (int64_t b = 0; b < j->batch; b++) {
                int64_t t = RNN_FN(step_time)(j, reverse, s, b);
                if (t >= 0)
                    memcpy((RNN_T *)j->y + rnn_output_offset(j, t, d, b), bf.h + b * H, (size_t)H * sizeof(RNN_T));
            }
    }
    RNN_FN(store_state)(j, d, bf.h, j->y_h);
    if (j->p->cell == CELL_LSTM) RNN_FN(store_state)(j, d, bf.c, j->y_c);
}

typedef struct RNN_FN(directions_task) {
    const rnn_job *j;
    RNN_FN(dir_run) *dirs;
} RNN_FN(directions_task);

static void RNN_FN(directions_range)(void *arg, int64_t begin, int64_t end) {
    const RNN_FN(directions_task) *t = arg;
    for (int64_t d = begin; d < end; d++) RNN_FN(compute_direction)(t->j, (int)d, &t->dirs[d]);
}

/* Both directions of a bidirectional layer run at once when the pool has threads; the steps'
 * own parallel_for calls then run on the calling thread. */
static cort_status *RNN_FN(run_directions)(const rnn_job *j) {
    RNN_FN(dir_run) dirs[2];
    for (int d = 0; d < j->num_dirs; d++) CORT_TRY(RNN_FN(prepare_direction)(j, d, &dirs[d]));
    RNN_FN(directions_task) task = {j, dirs};
    j->ctx->svc->parallel_for(j->ctx, j->num_dirs, 1, RNN_FN(directions_range), &task);
    return NULL;
}
