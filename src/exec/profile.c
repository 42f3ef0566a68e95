/* The profiler: per-node timings of runs, kept as totals per step and as Chrome trace events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"

enum { MAX_TRACE_EVENTS = 1 << 22 }; /* beyond this, totals still accumulate but the trace stops growing */

double cort_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

cort_status *cort_profiler_init(cort_profiler *p, const char *prefix, int n_steps) {
    memset(p, 0, sizeof *p);
    if (!prefix || !*prefix) return NULL;
    p->file_prefix = strdup(prefix);
    p->step_total_ms = calloc((size_t)n_steps + 1, sizeof *p->step_total_ms);
    p->step_calls = calloc((size_t)n_steps + 1, sizeof *p->step_calls);
    if (!p->file_prefix || !p->step_total_ms || !p->step_calls) return cort_oom();
    p->origin_us = cort_now_us();
    p->on = true;
    return NULL;
}

void cort_profiler_free(cort_profiler *p) {
    free(p->file_prefix);
    free(p->path);
    free(p->events);
    free(p->step_total_ms);
    free(p->step_calls);
    memset(p, 0, sizeof *p);
}

void cort_profiler_record(cort_session *s, const cort_trace_event *events, size_t n) {
    pthread_mutex_lock(&s->lock);
    cort_profiler *p = &s->prof;
    if (p->on) {
        for (size_t i = 0; i < n; i++) {
            p->step_total_ms[events[i].step] += events[i].dur_us / 1e3;
            p->step_calls[events[i].step]++;
        }
        if (p->n_events + n > p->cap_events && p->n_events + n <= MAX_TRACE_EVENTS) {
            size_t cap = p->cap_events ? p->cap_events : 1024;
            while (cap < p->n_events + n) cap *= 2;
            cort_trace_event *e = realloc(p->events, cap * sizeof *e);
            if (e) {
                p->events = e;
                p->cap_events = cap;
            }
        }
        if (p->n_events + n <= p->cap_events) {
            memcpy(p->events + p->n_events, events, n * sizeof *events);
            p->n_events += n;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

cort_status *cort_profiler_nodes(cort_session *s, cort_node_profile **out, size_t *n) {
    *out = NULL;
    *n = 0;
    const cort_exec_graph *eg = s->main;
    cort_node_profile *nodes = calloc((size_t)eg->n_steps + 1, sizeof *nodes);
    if (!nodes) return cort_oom();
    pthread_mutex_lock(&s->lock);
    bool on = s->prof.on;
    for (int i = 0; on && i < eg->n_steps; i++)
        nodes[i] = (cort_node_profile){eg->steps[i].node->name, eg->steps[i].node->op_type,
                                       s->prof.step_total_ms[i], s->prof.step_calls[i]};
    pthread_mutex_unlock(&s->lock);
    if (!on) {
        free(nodes);
        return cort_error(CORT_FAIL, "profiling is not enabled for this session");
    }
    *out = nodes;
    *n = (size_t)eg->n_steps;
    return NULL;
}

static void write_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void write_event(FILE *f, const cort_exec_graph *eg, const cort_trace_event *e, double origin) {
    const cort_node *n = eg->steps[e->step].node;
    char fallback[32];
    snprintf(fallback, sizeof fallback, "node_%d", e->step);
    fprintf(f, "{\"cat\":\"Node\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":", e->tid,
            e->start_us - origin, e->dur_us);
    write_json_string(f, *n->name ? n->name : fallback);
    fprintf(f, ",\"args\":{\"op_name\":");
    write_json_string(f, n->op_type);
    fprintf(f, "}}");
}

cort_status *cort_profiler_write(cort_session *s, const char **path) {
    *path = NULL;
    pthread_mutex_lock(&s->lock);
    cort_profiler *p = &s->prof;
    cort_status *st = NULL;
    if (!p->on) {
        st = p->path ? NULL : cort_error(CORT_FAIL, "profiling is not enabled for this session");
        *path = p->path;
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    char stamp[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", &tm);
    size_t len = strlen(p->file_prefix) + strlen(stamp) + 8;
    p->path = malloc(len);
    FILE *f = p->path ? (snprintf(p->path, len, "%s_%s.json", p->file_prefix, stamp), fopen(p->path, "w")) : NULL;
    if (!p->path) st = cort_oom();
    else if (!f) st = cort_error(CORT_FAIL, "cannot write the profile to '%s'", p->path);
    if (f) {
        fputs("[\n", f);
        for (size_t i = 0; i < p->n_events; i++) {
            write_event(f, s->main, &p->events[i], p->origin_us);
            fputs(i + 1 < p->n_events ? ",\n" : "\n", f);
        }
        fputs("]\n", f);
        if (fclose(f) != 0) st = cort_error(CORT_FAIL, "cannot write the profile to '%s'", p->path);
    }
    p->on = false;
    *path = p->path;
    pthread_mutex_unlock(&s->lock);
    return st;
}
