/* Running a prepared session: frames of values, the services kernels call, the arena plan cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "exec/exec.h"
#include "plan/memplan.h"

#define NOT_PLANNED SIZE_MAX

typedef struct frame {
    const cort_exec_graph *eg;
    struct frame *parent;
    cort_run_ctx *rc;
    cort_value *own;   /* storage for values this frame defines (initializer views included) */
    cort_value **slot; /* where each value lives: &own[v], a caller's input, or an ancestor's slot */
    const cort_value **in_buf;
    bool top;
} frame;

typedef struct scratch_block {
    struct scratch_block *next;
    _Alignas(64) unsigned char data[];
} scratch_block;

/* Scratch memory of one run context, reused by every step: a bump area used as a stack (a Loop's body
 * steps allocate above their Loop's scratch), with heap blocks for what does not fit, after which the
 * area grows so that the next run fits. */
typedef struct scratch_area {
    unsigned char *base;
    size_t cap, used;
    size_t high;      /* most bytes in use at once in the area this round */
    size_t overflow;  /* bytes that went to heap blocks this round */
} scratch_area;

struct cort_run_ctx {
    cort_run_ctx *next_idle; /* must stay first: the session links idle contexts through it */
    cort_session *s;
    const cort_run_options *ro;
    frame top;
    unsigned char *arena;
    size_t arena_cap;
    bool have_plan, recording;
    size_t *plan_offsets, *plan_sizes; /* copies of the plan in use, per top-graph value */
    size_t *seen_sizes;                /* bytes each planned value needed in this run */
    bool plan_broken;                  /* a value was not eligible for the arena this run */
    cort_value **bound;                /* caller-provided output tensors, per top-graph value */
    scratch_area scratch;
    int id;                            /* trace thread id */
    bool profiling;                    /* this run records per-node times */
    cort_trace_event *events;          /* one per main-graph step */
    size_t n_events;
};


typedef struct step_exec {
    cort_kctx k;
    frame *f;
    const cort_step *step;
    cort_value discard[8]; /* outputs the graph omits */
    cort_value *direct;    /* when set (constant folding), the node's outputs go here */
    size_t scratch_mark;   /* the area's use when the step began */
    scratch_block *scratch; /* heap blocks of this step */
} step_exec;

static cort_status *run_frame(frame *f);

/* ------------------------------------------------------------------ frames */

static size_t max_inputs(const cort_exec_graph *eg) {
    size_t m = 1;
    for (int i = 0; i < eg->n_steps; i++)
        if ((size_t)eg->steps[i].node->n_inputs > m) m = (size_t)eg->steps[i].node->n_inputs;
    return m;
}

static cort_status *frame_alloc(frame *f, const cort_exec_graph *eg) {
    size_t nv = (size_t)eg->graph->n_values + 1;
    f->eg = eg;
    f->own = calloc(nv, sizeof *f->own);
    f->slot = calloc(nv, sizeof *f->slot);
    f->in_buf = calloc(max_inputs(eg), sizeof *f->in_buf);
    return f->own && f->slot && f->in_buf ? NULL : cort_oom();
}

static void frame_clear_values(frame *f) {
    const cort_graph *g = f->eg->graph;
    for (int v = 0; v < g->n_values; v++) {
        cort_value_clear(&f->own[v]);
        f->slot[v] = NULL;
    }
}

static void frame_free(frame *f) {
    if (f->own) frame_clear_values(f);
    free(f->own);
    free(f->slot);
    free(f->in_buf);
    f->own = NULL;
    f->slot = NULL;
    f->in_buf = NULL;
}

static const frame *frame_up(const frame *f, int depth) {
    while (depth-- > 0 && f) f = f->parent;
    return f;
}

/* Initializers become read-only views; values of enclosing graphs are borrowed from their frames. */
static void frame_bind_constants(frame *f) {
    const cort_graph *g = f->eg->graph;
    for (int v = 0; v < g->n_values; v++) {
        const cort_ir_value *iv = &g->values[v];
        f->slot[v] = &f->own[v];
        if ((iv->flags & CORT_VF_INITIALIZER) && iv->init) {
            f->own[v].kind = CORT_VALUE_TENSOR;
            f->own[v].t = *iv->init;
        } else if (iv->flags & CORT_VF_OUTER) {
            const frame *a = frame_up(f, f->eg->outer_depth[v]);
            if (a) f->slot[v] = a->slot[f->eg->outer_ids[v]];
        }
    }
}

/* --------------------------------------------------------------- services */

static step_exec *exec_of(cort_kctx *k) { return (step_exec *)k; }

static cort_value *output_slot(step_exec *x, int index) {
    int v = index < x->step->node->n_outputs ? x->step->node->outputs[index] : -1;
    if (v >= 0) return x->direct ? &x->direct[index] : &x->f->own[v];
    return index < 8 ? &x->discard[index] : NULL;
}

static bool planned_intermediate(const frame *f, int v) {
    return f->top && v >= 0 && f->eg->def_step[v] >= 0 &&
           !(f->eg->graph->values[v].flags & CORT_VF_GRAPH_OUTPUT);
}

static bool bound_fits(const cort_value *b, int32_t type, int rank, const int64_t *dims) {
    if (!b || b->kind != CORT_VALUE_TENSOR || b->t.type != type || b->t.rank != rank || type == CORT_STRING)
        return false;
    return rank == 0 || !memcmp(b->t.dims, dims, (size_t)rank * sizeof *dims);
}

static cort_status *svc_alloc_output(cort_kctx *k, int index, int32_t type, int rank, const int64_t *dims,
                                     cort_tensor **out) {
    step_exec *x = exec_of(k);
    /* outputs past the node's last (omitted trailing outputs) land in discard slots */
    cort_value *dst = index >= 0 ? output_slot(x, index) : NULL;
    if (!dst) return cort_kerr(k, "kernel asked for output %d of %d", index, k->n_out);
    if (rank < 0 || rank > CORT_MAX_RANK) return cort_kerr(k, "output %d has rank %d (limit %d)", index, rank, CORT_MAX_RANK);
    int64_t count = cort_shape_count(dims, rank);
    if (count < 0) {
        char buf[256];
        return cort_kerr(k, "output %d has an invalid or too large shape %s", index,
                         cort_shape_str(dims, rank, buf, sizeof buf));
    }
    if (!cort_elem_type_valid(type)) return cort_kerr(k, "output %d has unsupported element type %d", index, type);
    cort_value_clear(dst);
    frame *f = x->f;
    cort_run_ctx *rc = f->rc;
    int v = index < x->step->node->n_outputs ? x->step->node->outputs[index] : -1;
    size_t bytes = (size_t)count * cort_elem_size(type);
    if (f->top && v >= 0 && bound_fits(rc->bound[v], type, rank, dims)) {
        *dst = (cort_value){.kind = CORT_VALUE_TENSOR, .t = rc->bound[v]->t};
    } else if (type != CORT_STRING && planned_intermediate(f, v) && rc->have_plan &&
               rc->plan_offsets[v] != NOT_PLANNED && bytes <= rc->plan_sizes[v]) {
        dst->kind = CORT_VALUE_TENSOR;
        dst->t.type = type;
        dst->t.rank = rank;
        if (rank) memcpy(dst->t.dims, dims, (size_t)rank * sizeof *dims);
        dst->t.data = rc->arena + rc->plan_offsets[v];
    } else {
        cort_status *st = cort_value_alloc_tensor(dst, type, rank, dims);
        if (st) return cort_error_wrap(st, "node '%s' (%s): output %d: ", k->node->name, k->node->op_type, index);
        if (planned_intermediate(f, v)) {
            if (rc->have_plan) rc->plan_broken = true;
            else if (type != CORT_STRING) rc->seen_sizes[v] = bytes;
        }
    }
    *out = &dst->t;
    return NULL;
}

static cort_status *svc_alloc_sequence(cort_kctx *k, int index, int32_t elem_type, int64_t len, cort_value **items) {
    step_exec *x = exec_of(k);
    cort_value *dst = index >= 0 && index < k->n_out ? output_slot(x, index) : NULL;
    if (!dst) return cort_kerr(k, "kernel asked for output %d of %d", index, k->n_out);
    cort_value_clear(dst);
    dst->seq_elem_type = elem_type;
    if (items) *items = NULL;
    if (len < 0) {
        dst->kind = CORT_VALUE_NONE;
        return NULL;
    }
    if (len > CORT_MAX_ELEMENTS) return cort_kerr(k, "sequence of %lld items is too long", (long long)len);
    if (len > 0) {
        dst->seq = calloc((size_t)len, sizeof *dst->seq);
        if (!dst->seq) return cort_oom();
    }
    dst->kind = CORT_VALUE_SEQUENCE;
    dst->seq_len = len;
    if (items) *items = dst->seq;
    return NULL;
}

static cort_status *svc_set_output_value(cort_kctx *k, int index, const cort_value *v) {
    step_exec *x = exec_of(k);
    cort_value *dst = index >= 0 && index < k->n_out ? output_slot(x, index) : NULL;
    if (!dst) return cort_kerr(k, "kernel asked for output %d of %d", index, k->n_out);
    return cort_value_copy(dst, v);
}

static void *svc_scratch(cort_kctx *k, size_t bytes) {
    step_exec *x = exec_of(k);
    scratch_area *a = &x->f->rc->scratch;
    if (bytes > SIZE_MAX - sizeof(scratch_block) - 64) return NULL;
    size_t need = (bytes + 63) & ~(size_t)63;
    if (a->used + need <= a->cap) {
        void *p = a->base + a->used;
        a->used += need;
        if (a->used > a->high) a->high = a->used;
        return p;
    }
    scratch_block *b = aligned_alloc(64, (sizeof *b + need + 63) & ~(size_t)63);
    if (!b) return NULL;
    b->next = x->scratch;
    x->scratch = b;
    a->overflow += need;
    return b->data;
}

/* The outermost step returns the area to empty; if heap blocks were needed, the area grows to hold the
 * whole round (its contents are dead by then). */
static void release_scratch(step_exec *x) {
    scratch_area *a = &x->f->rc->scratch;
    while (x->scratch) {
        scratch_block *b = x->scratch;
        x->scratch = b->next;
        free(b);
    }
    a->used = x->scratch_mark;
    if (x->scratch_mark || !a->overflow) return;
    size_t want = a->high + a->overflow;
    unsigned char *grown = aligned_alloc(64, (want + 63) & ~(size_t)63);
    if (grown) {
        free(a->base);
        a->base = grown;
        a->cap = want;
    }
    a->high = a->overflow = 0;
}

static const cort_exec_graph *child_exec(const cort_exec_graph *eg, const cort_graph *g) {
    for (int i = 0; i < eg->n_children; i++)
        if (eg->children[i].graph == g) return eg->children[i].exec;
    return NULL;
}

/* A subgraph's result leaves its frame: moved when the frame owns it and nothing else returns it. */
static cort_status *take_result(frame *f, int k, cort_value *dst) {
    const cort_graph *g = f->eg->graph;
    int v = g->outputs[k];
    cort_value *src = f->slot[v];
    if (!src || src->kind == CORT_VALUE_EMPTY)
        return cort_error(CORT_RUNTIME_EXCEPTION, "subgraph '%s' did not compute its output '%s'", g->name,
                          g->values[v].name);
    bool later_use = false;
    for (int j = k + 1; j < g->n_outputs; j++) later_use |= g->outputs[j] == v;
    bool movable = src == &f->own[v] && !later_use &&
                   ((src->kind == CORT_VALUE_TENSOR && src->owns_data) || src->kind == CORT_VALUE_SEQUENCE);
    if (!movable) return cort_value_copy(dst, src);
    *dst = *src;
    memset(src, 0, sizeof *src);
    return NULL;
}

static cort_status *svc_run_subgraph(cort_kctx *k, const cort_graph *g, int n_in, const cort_value *const *inputs,
                                     int n_out, cort_value *outputs) {
    step_exec *x = exec_of(k);
    const cort_exec_graph *eg = child_exec(x->f->eg, g);
    if (!eg) return cort_kerr(k, "subgraph '%s' is not an attribute of this node", g->name);
    if (n_in != g->n_inputs || n_out != g->n_outputs)
        return cort_kerr(k, "subgraph '%s' takes %d inputs and %d outputs, called with %d and %d", g->name,
                         g->n_inputs, g->n_outputs, n_in, n_out);
    frame child = {.parent = x->f, .rc = x->f->rc};
    cort_status *st = frame_alloc(&child, eg);
    if (!st) {
        frame_bind_constants(&child);
        for (int i = 0; i < n_in; i++) child.slot[g->inputs[i]] = (cort_value *)inputs[i];
        st = run_frame(&child);
    }
    for (int i = 0; !st && i < n_out; i++) st = take_result(&child, i, &outputs[i]);
    if (st)
        for (int i = 0; i < n_out; i++) cort_value_clear(&outputs[i]);
    frame_free(&child);
    return st;
}

static cort_status *svc_alias_output(cort_kctx *k, int out, int in, int rank, const int64_t *dims) {
    step_exec *x = exec_of(k);
    if (!(x->step->def->flags & CORT_OP_ALIAS_INPUT0) || in != 0 || out != 0)
        return cort_kerr(k, "operator row does not allow output %d to alias input %d", out, in);
    const cort_tensor *src = cort_in(k, in);
    if (!src || src->type == CORT_STRING) return cort_kerr(k, "input %d cannot be aliased", in);
    if (rank < 0 || rank > CORT_MAX_RANK || cort_shape_count(dims, rank) != cort_tensor_count(src))
        return cort_kerr(k, "view of input %d must keep its %lld elements", in, (long long)cort_tensor_count(src));
    cort_value *dst = output_slot(x, out);
    cort_value_clear(dst);
    dst->kind = CORT_VALUE_TENSOR;
    dst->t = *src;
    dst->t.rank = rank;
    if (rank) memcpy(dst->t.dims, dims, (size_t)rank * sizeof *dims);
    return NULL;
}

static void svc_parallel_for(cort_kctx *k, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    cort_threadpool_for(exec_of(k)->f->rc->s->threadpool, n, min_chunk, fn, arg);
}

static const cort_kctx_services services = {
    svc_alloc_output, svc_alloc_sequence, svc_set_output_value, svc_scratch, svc_run_subgraph, svc_parallel_for,
    svc_alias_output,
};

/* ------------------------------------------------------------------ steps */

static cort_status *gather_inputs(frame *f, const cort_node *n) {
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        const cort_value *val = v >= 0 ? f->slot[v] : NULL;
        if (v >= 0 && (!val || val->kind == CORT_VALUE_EMPTY))
            return cort_node_error(n, CORT_INVALID_ARGUMENT, "input %d ('%s') has no value", i,
                                   f->eg->graph->values[v].name);
        f->in_buf[i] = val;
    }
    return NULL;
}

static cort_status *check_outputs_written(const step_exec *x) {
    const cort_node *n = x->step->node;
    for (int i = 0; i < n->n_outputs; i++) {
        int v = n->outputs[i];
        if (v >= 0 && (x->direct ? x->direct[i].kind : x->f->own[v].kind) == CORT_VALUE_EMPTY)
            return cort_node_error(n, CORT_RUNTIME_EXCEPTION, "kernel did not produce output %d ('%s')", i,
                                   x->direct ? "" : x->f->eg->graph->values[v].name);
    }
    return NULL;
}

static void finish_step(step_exec *x) {
    release_scratch(x);
    for (int i = 0; i < 8; i++) cort_value_clear(&x->discard[i]);
    const cort_step *st = x->step;
    for (int r = 0; r < st->n_release; r++) {
        int v = st->release[r];
        if (x->f->slot[v] == &x->f->own[v]) cort_value_clear(&x->f->own[v]);
    }
}

static cort_status *run_steps(frame *f) {
    const cort_exec_graph *eg = f->eg;
    const cort_run_options *ro = f->rc->ro;
    for (int i = 0; i < eg->n_steps; i++) {
        const cort_step *st = &eg->steps[i];
        const cort_node *n = st->node;
        if (ro && ro->terminate) return cort_error(CORT_FAIL, "run terminated by the caller");
        CORT_TRY(gather_inputs(f, n));
        /* a node's outputs are fresh each run (a Loop body runs its steps many times) */
        for (int o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0) cort_value_clear(&f->own[n->outputs[o]]);
        step_exec x = {
            .k = {n, st->params, st->state, n->n_inputs, n->n_outputs, f->in_buf, &services, NULL,
                  cort_threadpool_threads(f->rc->s->threadpool)},
            .f = f,
            .step = st,
            .scratch_mark = f->rc->scratch.used,
        };
        x.k.exec = &x;
        double t0 = f->top && f->rc->profiling ? cort_now_us() : 0;
        cort_status *status = st->def->run(&x.k);
        if (t0 > 0) f->rc->events[f->rc->n_events++] = (cort_trace_event){i, f->rc->id, t0, cort_now_us() - t0};
        if (!status) status = check_outputs_written(&x);
        finish_step(&x);
        if (status) return status;
    }
    return NULL;
}

/* A top-level run keeps the pool's workers spinning from its start to its end (they sleep between
 * runs, not between its parallel steps). */
static cort_status *run_frame(frame *f) {
    if (!f->top) return run_steps(f);
    cort_threadpool *pool = f->rc->s->threadpool;
    cort_threadpool_wake(pool);
    cort_status *status = run_steps(f);
    cort_threadpool_rest(pool);
    return status;
}

cort_status *cort_eval_step(cort_session *s, const cort_step *st, const cort_value *const *inputs,
                            cort_value *outputs) {
    const cort_node *n = st->node;
    cort_run_ctx rc = {.s = s};
    frame f = {.rc = &rc};
    step_exec x = {
        .k = {n, st->params, st->state, n->n_inputs, n->n_outputs, inputs, &services, NULL,
              cort_threadpool_threads(s->threadpool)},
        .f = &f,
        .step = st,
        .direct = outputs,
    };
    x.k.exec = &x;
    cort_status *status = st->def->run(&x.k);
    if (!status) status = check_outputs_written(&x);
    finish_step(&x);
    free(rc.scratch.base);
    if (status)
        for (int i = 0; i < n->n_outputs; i++) cort_value_clear(&outputs[i]);
    return status;
}

/* ------------------------------------------------------------ run contexts */

void cort_run_ctx_free(cort_run_ctx *rc) {
    if (!rc) return;
    frame_free(&rc->top);
    free(rc->arena);
    free(rc->plan_offsets);
    free(rc->plan_sizes);
    free(rc->seen_sizes);
    free(rc->bound);
    free(rc->events);
    free(rc->scratch.base);
    free(rc);
}

static cort_status *run_ctx_new(cort_session *s, cort_run_ctx **out) {
    cort_run_ctx *rc = calloc(1, sizeof *rc);
    if (!rc) return cort_oom();
    rc->s = s;
    size_t nv = (size_t)s->main->graph->n_values + 1;
    rc->top.top = true;
    rc->top.rc = rc;
    cort_status *st = frame_alloc(&rc->top, s->main);
    rc->plan_offsets = malloc(nv * sizeof(size_t));
    rc->plan_sizes = malloc(nv * sizeof(size_t));
    rc->seen_sizes = malloc(nv * sizeof(size_t));
    rc->bound = calloc(nv, sizeof *rc->bound);
    rc->events = calloc((size_t)s->main->n_steps + 1, sizeof *rc->events);
    if (!st && (!rc->plan_offsets || !rc->plan_sizes || !rc->seen_sizes || !rc->bound || !rc->events))
        st = cort_oom();
    if (st) {
        cort_run_ctx_free(rc);
        return st;
    }
    *out = rc;
    return NULL;
}

static cort_status *acquire_ctx(cort_session *s, cort_run_ctx **out) {
    pthread_mutex_lock(&s->lock);
    cort_run_ctx *rc = s->idle;
    if (rc) s->idle = rc->next_idle;
    bool profiling = s->prof.on;
    int id = ++s->n_run_ctx;
    pthread_mutex_unlock(&s->lock);
    if (!rc) CORT_TRY(run_ctx_new(s, &rc));
    if (!rc->id) rc->id = id;
    rc->profiling = profiling;
    rc->n_events = 0;
    *out = rc;
    return NULL;
}

static void release_ctx(cort_session *s, cort_run_ctx *rc) {
    if (rc->profiling && rc->n_events) cort_profiler_record(s, rc->events, rc->n_events);
    frame_clear_values(&rc->top);
    memset(rc->bound, 0, ((size_t)s->main->graph->n_values + 1) * sizeof *rc->bound);
    pthread_mutex_lock(&s->lock);
    rc->next_idle = s->idle;
    s->idle = rc;
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ plan cache */

static char *shape_signature(const cort_session *s, const cort_value *const *fed) {
    size_t cap = 64, len = 0;
    char *sig = malloc(cap);
    if (!sig) return NULL;
    sig[0] = 0;
    for (int i = 0; i < s->n_inputs; i++) {
        char item[32 + CORT_MAX_RANK * 21];
        const cort_value *v = fed[i];
        int n = 0;
        if (!v) n = snprintf(item, sizeof item, "d;");
        else if (v->kind != CORT_VALUE_TENSOR) n = snprintf(item, sizeof item, "k%d;", (int)v->kind);
        else {
            n = snprintf(item, sizeof item, "%d:", v->t.type);
            for (int d = 0; d < v->t.rank; d++) n += snprintf(item + n, sizeof item - (size_t)n, "%lld,", (long long)v->t.dims[d]);
            n += snprintf(item + n, sizeof item - (size_t)n, ";");
        }
        if (len + (size_t)n + 1 > cap) {
            while (len + (size_t)n + 1 > cap) cap *= 2;
            char *p = realloc(sig, cap);
            if (!p) {
                free(sig);
                return NULL;
            }
            sig = p;
        }
        memcpy(sig + len, item, (size_t)n + 1);
        len += (size_t)n;
    }
    return sig;
}

static cort_status *use_cached_plan(cort_session *s, cort_run_ctx *rc, const char *sig) {
    size_t nv = (size_t)s->main->graph->n_values + 1;
    rc->have_plan = false;
    rc->plan_broken = false;
    pthread_mutex_lock(&s->lock);
    cort_plan *p = NULL;
    for (int i = 0; i < CORT_PLAN_CACHE && !p; i++)
        if (s->plans[i].signature && !strcmp(s->plans[i].signature, sig)) p = &s->plans[i];
    if (p) {
        p->last_used = ++s->plan_clock;
        memcpy(rc->plan_offsets, p->offsets, nv * sizeof(size_t));
        memcpy(rc->plan_sizes, p->sizes, nv * sizeof(size_t));
        rc->have_plan = true;
    }
    size_t need = p ? p->arena_bytes : 0;
    pthread_mutex_unlock(&s->lock);
    if (rc->have_plan && need > rc->arena_cap) {
        free(rc->arena);
        rc->arena_cap = 0;
        rc->arena = cort_aligned_alloc(need);
        if (!rc->arena) {
            rc->have_plan = false;
            return cort_oom();
        }
        rc->arena_cap = need;
    }
    if (!rc->have_plan)
        for (size_t v = 0; v < nv; v++) rc->seen_sizes[v] = NOT_PLANNED;
    return NULL;
}

/* In-place: output 0 of a row that allows it shares input 0's buffer when the input dies at that step
 * and needs the same bytes. share[v] names the value whose buffer v uses (v itself when none). */
static void find_inplace_pairs(const cort_exec_graph *eg, const size_t *sizes, int *share) {
    for (int v = 0; v < eg->graph->n_values; v++) share[v] = v;
    for (int i = 0; i < eg->n_steps; i++) {
        const cort_step *st = &eg->steps[i];
        if (!(st->def->flags & CORT_OP_INPLACE_INPUT0) || st->node->n_inputs < 1 || st->node->n_outputs < 1) continue;
        int in = st->node->inputs[0], out = st->node->outputs[0];
        if (in < 0 || out < 0 || sizes[in] == NOT_PLANNED || sizes[out] != sizes[in] || eg->last_step[in] != i)
            continue;
        bool read_twice = false; /* Add(x, x) in place would overwrite x before its second read */
        for (int k = 1; k < st->node->n_inputs; k++) read_twice |= st->node->inputs[k] == in;
        if (read_twice) continue;
        share[out] = share[in];
    }
}

/* After a run without a plan: lay out what it allocated, for the next run with the same shapes. */
static cort_status *store_plan(cort_session *s, cort_run_ctx *rc, char *sig) {
    const cort_exec_graph *eg = s->main;
    int nv = eg->graph->n_values;
    size_t n1 = (size_t)nv + 1;
    cort_buffer_req *reqs = malloc(n1 * sizeof *reqs);
    int *req_of = malloc(n1 * sizeof *req_of), *share = malloc(n1 * sizeof *share);
    size_t *offsets = malloc(n1 * sizeof *offsets);
    size_t *plan_off = malloc(n1 * sizeof *plan_off);
    size_t *plan_size = calloc(n1, sizeof *plan_size);
    cort_status *st = reqs && req_of && share && offsets && plan_off && plan_size ? NULL : cort_oom();
    int n = 0;
    if (!st) find_inplace_pairs(eg, rc->seen_sizes, share);
    /* one buffer per chain of in-place values, living from the first one's definition to the last's death */
    for (int v = 0; !st && v < nv; v++) {
        plan_off[v] = NOT_PLANNED;
        req_of[v] = -1;
    }
    for (int pass = 0; !st && pass < 2; pass++) { /* chain roots first, then the values sharing them */
        for (int v = 0; v < nv; v++) {
            if (rc->seen_sizes[v] == NOT_PLANNED || (share[v] == v) != (pass == 0)) continue;
            int last = eg->last_step[v] >= 0 ? eg->last_step[v] : eg->def_step[v];
            if (pass == 1) {
                cort_buffer_req *r = &reqs[req_of[share[v]]];
                if (last > r->last) r->last = last;
                req_of[v] = req_of[share[v]];
                continue;
            }
            reqs[n] = (cort_buffer_req){rc->seen_sizes[v], eg->def_step[v], last};
            req_of[v] = n++;
        }
    }
    size_t total = 0;
    if (!st) st = cort_memplan(reqs, n, offsets, &total);
    if (!st) {
        for (int v = 0; v < nv; v++) {
            if (req_of[v] < 0) continue;
            plan_off[v] = offsets[req_of[v]];
            plan_size[v] = rc->seen_sizes[v];
        }
        pthread_mutex_lock(&s->lock);
        cort_plan *victim = &s->plans[0];
        for (int i = 0; i < CORT_PLAN_CACHE; i++) {
            if (!s->plans[i].signature) { victim = &s->plans[i]; break; }
            if (s->plans[i].last_used < victim->last_used) victim = &s->plans[i];
        }
        free(victim->signature);
        free(victim->offsets);
        free(victim->sizes);
        cort_log(s->log_level, CORT_LOG_VERBOSE, "run: planned %d buffers into an arena of %zu bytes for shapes %s", n,
                 total, sig);
        *victim = (cort_plan){sig, total, plan_off, plan_size, ++s->plan_clock};
        if (total > s->max_arena) s->max_arena = total;
        pthread_mutex_unlock(&s->lock);
        sig = NULL;
        plan_off = NULL;
        plan_size = NULL;
    }
    free(sig);
    free(reqs);
    free(req_of);
    free(share);
    free(offsets);
    free(plan_off);
    free(plan_size);
    return st;
}

/* --------------------------------------------------------------- the run */

static int find_io(const cort_io_entry *e, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(e[i].info.name, name)) return i;
    return -1;
}

static cort_status *check_input(const cort_io_entry *e, const cort_value *v) {
    const cort_io_info *info = &e->info;
    if (!v) return cort_error(CORT_INVALID_ARGUMENT, "input '%s' is NULL", info->name);
    if (info->kind == CORT_TYPE_TENSOR) {
        if (v->kind != CORT_VALUE_TENSOR)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' must be a tensor", info->name);
        if (info->elem_type && v->t.type != (int32_t)info->elem_type)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has element type %s, expected %s", info->name,
                              cort_type_name(v->t.type), cort_type_name(info->elem_type));
        if (info->rank >= 0 && v->t.rank != info->rank)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has rank %d, expected %d", info->name, v->t.rank,
                              info->rank);
        for (int d = 0; info->rank > 0 && d < info->rank; d++)
            if (info->dims[d] >= 0 && v->t.dims[d] != info->dims[d])
                return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has dimension %d of size %lld, expected %lld",
                                  info->name, d, (long long)v->t.dims[d], (long long)info->dims[d]);
        if (cort_tensor_count(&v->t) < 0)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has an invalid shape", info->name);
    } else if (info->kind == CORT_TYPE_SEQUENCE && v->kind != CORT_VALUE_SEQUENCE) {
        return cort_error(CORT_INVALID_ARGUMENT, "input '%s' must be a sequence", info->name);
    }
    return NULL;
}

static cort_status *match_inputs(const cort_session *s, const char *const *names, const cort_value *const *inputs,
                                 size_t n, const cort_value **fed) {
    for (int i = 0; i < s->n_inputs; i++) fed[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names || !names[i]) return cort_error(CORT_INVALID_ARGUMENT, "input name %zu is NULL", i);
        int k = find_io(s->inputs, s->n_inputs, names[i]);
        if (k < 0) return cort_error(CORT_INVALID_ARGUMENT, "the model has no input named '%s'", names[i]);
        if (fed[k]) return cort_error(CORT_INVALID_ARGUMENT, "input '%s' is given twice", names[i]);
        CORT_TRY(check_input(&s->inputs[k], inputs[i]));
        fed[k] = inputs[i];
    }
    for (int i = 0; i < s->n_inputs; i++)
        if (!fed[i] && !s->inputs[i].info.has_default)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' is required but was not given", s->inputs[i].info.name);
    return NULL;
}

static cort_status *match_outputs(const cort_session *s, const char *const *names, size_t n, int *ids) {
    for (size_t i = 0; i < n; i++) {
        if (!names || !names[i]) return cort_error(CORT_INVALID_ARGUMENT, "output name %zu is NULL", i);
        int k = find_io(s->outputs, s->n_outputs, names[i]);
        if (k < 0) return cort_error(CORT_INVALID_ARGUMENT, "the model has no output named '%s'", names[i]);
        ids[i] = s->outputs[k].value_id;
    }
    return NULL;
}

static cort_status *deliver_bound(const cort_value *src, cort_value *dst, const char *name) {
    if (src->kind == CORT_VALUE_TENSOR && src->t.data == dst->t.data) return NULL;
    if (src->kind != CORT_VALUE_TENSOR || !bound_fits(dst, src->t.type, src->t.rank, src->t.dims)) {
        char a[256];
        return cort_error(CORT_INVALID_ARGUMENT, "output '%s' is %s %s; the buffer given does not match", name,
                          src->kind == CORT_VALUE_TENSOR ? cort_type_name(src->t.type) : "not a tensor",
                          src->kind == CORT_VALUE_TENSOR ? cort_shape_str(src->t.dims, src->t.rank, a, sizeof a) : "");
    }
    memcpy(dst->t.data, src->t.data, cort_tensor_nbytes(&src->t));
    return NULL;
}

static cort_status *deliver_outputs(cort_run_ctx *rc, const int *ids, size_t n, cort_value **outputs,
                                    bool *created) {
    frame *f = &rc->top;
    const cort_graph *g = f->eg->graph;
    for (size_t i = 0; i < n; i++) {
        int v = ids[i];
        cort_value *src = f->slot[v];
        if (!src || src->kind == CORT_VALUE_EMPTY)
            return cort_error(CORT_RUNTIME_EXCEPTION, "output '%s' was not computed", g->values[v].name);
        if (outputs[i] && !created[i]) {
            CORT_TRY(deliver_bound(src, outputs[i], g->values[v].name));
            continue;
        }
        cort_value *out = calloc(1, sizeof *out);
        if (!out) return cort_oom();
        bool later_use = false;
        for (size_t j = i + 1; j < n; j++) later_use |= ids[j] == v;
        bool movable = src == &f->own[v] && !later_use &&
                       ((src->kind == CORT_VALUE_TENSOR && src->owns_data) || src->kind == CORT_VALUE_SEQUENCE);
        if (movable) {
            *out = *src;
            memset(src, 0, sizeof *src);
        } else {
            cort_status *st = cort_value_copy(out, src);
            if (st) {
                free(out);
                return st;
            }
        }
        outputs[i] = out;
        created[i] = true;
    }
    return NULL;
}

static void bind_inputs(cort_session *s, cort_run_ctx *rc, const cort_value **fed) {
    frame_bind_constants(&rc->top);
    for (int i = 0; i < s->n_inputs; i++)
        if (fed[i]) rc->top.slot[s->inputs[i].value_id] = (cort_value *)fed[i];
}

cort_status *cort_session_execute(cort_session *s, const cort_run_options *ro, const char *const *input_names,
                                  const cort_value *const *inputs, size_t n_inputs,
                                  const char *const *output_names, size_t n_outputs, cort_value **outputs) {
    if (!outputs && n_outputs) return cort_error(CORT_INVALID_ARGUMENT, "outputs array is NULL");
    const cort_value **fed = calloc((size_t)s->n_inputs + 1, sizeof *fed);
    int *ids = calloc(n_outputs + 1, sizeof *ids);
    bool *created = calloc(n_outputs + 1, sizeof *created);
    cort_status *st = fed && ids && created ? NULL : cort_oom();
    if (!st) st = match_inputs(s, input_names, inputs, n_inputs, fed);
    if (!st) st = match_outputs(s, output_names, n_outputs, ids);
    cort_run_ctx *rc = NULL;
    if (!st) st = acquire_ctx(s, &rc);
    char *sig = NULL;
    if (!st) {
        rc->ro = ro;
        bind_inputs(s, rc, fed);
        for (size_t i = 0; i < n_outputs; i++)
            if (outputs[i]) rc->bound[ids[i]] = outputs[i];
        sig = shape_signature(s, fed);
        st = sig ? use_cached_plan(s, rc, sig) : cort_oom();
    }
    if (!st) st = run_frame(&rc->top);
    if (!st) st = deliver_outputs(rc, ids, n_outputs, outputs, created);
    if (!st && !rc->have_plan && !rc->plan_broken) {
        cort_status *plan_st = store_plan(s, rc, sig);
        sig = NULL;
        cort_status_free(plan_st); /* planning is an optimisation: the run itself succeeded */
    }
    if (st) {
        for (size_t i = 0; i < n_outputs; i++)
            if (created[i]) {
                cort_value_clear(outputs[i]);
                free(outputs[i]);
                outputs[i] = NULL;
            }
    }
    if (rc) release_ctx(s, rc);
    free(sig);
    free(fed);
    free(ids);
    free(created);
    return st;
}
