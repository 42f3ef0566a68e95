/*
 * _cort.Session: one cort_session plus what `run` needs on every call precomputed (output names, the
 * inputs that must be fed). The Python InferenceSession class wraps it with ONNX Runtime's API.
 */
#include "cortpy.h"

#include <time.h>

typedef struct SessionObject {
    PyObject_HEAD
    cort_session *session;
    size_t n_outputs;
    const char **output_names; /* owned by the session */
    PyObject *required;        /* tuple of the input names without a default */
    PyObject *sequence_inputs; /* set of the names of sequence inputs (which cannot be fed, see below) */
} SessionObject;

/* ------------------------------------------------------------ construction */

typedef struct session_settings {
    int threads, opt_level, log_level;
    const char *profile_prefix, *optimized_path;
} session_settings;

static cort_status *make_options(const session_settings *s, cort_session_options **out) {
    cort_session_options *o = NULL;
    cort_status *st = cort_session_options_create(&o);
    if (!st) st = cort_session_options_set_threads(o, s->threads);
    if (!st) st = cort_session_options_set_opt_level(o, (cort_opt_level)s->opt_level);
    if (!st) st = cort_session_options_set_log_level(o, (cort_log_level)s->log_level);
    if (!st && s->profile_prefix) st = cort_session_options_enable_profiling(o, s->profile_prefix);
    if (!st && s->optimized_path) st = cort_session_options_set_optimized_model_path(o, s->optimized_path);
    if (st) cort_session_options_free(o);
    else *out = o;
    return st;
}

static int is_model_bytes(PyObject *model) {
    return PyBytes_Check(model) || PyByteArray_Check(model) || PyMemoryView_Check(model);
}

/* Loads the model from a path or from bytes with the GIL released (parsing and preparing take a while). */
static cort_status *load_model(PyObject *model, const cort_session_options *opts, cort_session **out, int *failed) {
    cort_status *st = NULL;
    *failed = 0;
    if (is_model_bytes(model)) {
        Py_buffer view;
        if (PyObject_GetBuffer(model, &view, PyBUF_SIMPLE) < 0) return (*failed = 1), NULL;
        Py_BEGIN_ALLOW_THREADS
        st = cort_session_create_from_bytes(NULL, view.buf, (size_t)view.len, opts, out);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&view);
        return st;
    }
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(model, &path)) return (*failed = 1), NULL;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = cort_session_create(NULL, p, opts, out);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    return st;
}

static int cache_io(SessionObject *self) {
    size_t n_in = cort_session_input_count(self->session);
    self->n_outputs = cort_session_output_count(self->session);
    self->output_names = PyMem_Calloc(self->n_outputs + 1, sizeof *self->output_names);
    PyObject *required = PyList_New(0);
    self->sequence_inputs = PySet_New(NULL);
    if (!self->output_names || !required || !self->sequence_inputs) {
        Py_XDECREF(required);
        PyErr_NoMemory();
        return -1;
    }
    cort_io_info info;
    for (size_t i = 0; i < self->n_outputs; i++) {
        cort_status *st = cort_session_output_info(self->session, i, &info);
        if (st) return Py_DECREF(required), cortpy_raise(st), -1;
        self->output_names[i] = info.name;
    }
    for (size_t i = 0; i < n_in; i++) {
        cort_status *st = cort_session_input_info(self->session, i, &info);
        if (st) return Py_DECREF(required), cortpy_raise(st), -1;
        PyObject *name = PyUnicode_FromString(info.name);
        if (!name) return Py_DECREF(required), -1;
        int rc = info.kind == 2 ? PySet_Add(self->sequence_inputs, name) : 0;
        if (!rc && !info.has_default) rc = PyList_Append(required, name);
        if (rc < 0) return Py_DECREF(name), Py_DECREF(required), -1;
        Py_DECREF(name);
    }
    self->required = PyList_AsTuple(required);
    Py_DECREF(required);
    return self->required ? 0 : -1;
}

static int session_init(SessionObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"model", "threads", "opt_level", "log_level", "profile_prefix", "optimized_path", NULL};
    PyObject *model;
    session_settings s = {0, CORT_OPT_ALL, CORT_LOG_WARNING, NULL, NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|iiizz", kwlist, &model, &s.threads, &s.opt_level, &s.log_level,
                                     &s.profile_prefix, &s.optimized_path))
        return -1;
    if (self->session) {
        PyErr_SetString(PyExc_RuntimeError, "session already initialised");
        return -1;
    }
    cort_session_options *opts = NULL;
    cort_status *st = make_options(&s, &opts);
    if (st) return cortpy_raise(st), -1;
    int failed;
    st = load_model(model, opts, &self->session, &failed);
    cort_session_options_free(opts);
    if (failed) return -1;
    if (st) return cortpy_raise(st), -1;
    return cache_io(self);
}

static void session_dealloc(SessionObject *self) {
    cort_session_free(self->session);
    PyMem_Free(self->output_names);
    Py_XDECREF(self->required);
    Py_XDECREF(self->sequence_inputs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_ready(SessionObject *self) {
    if (self->session) return 0;
    PyErr_SetString(PyExc_RuntimeError, "session is not initialised");
    return -1;
}

/* --------------------------------------------------------------- metadata */

static PyObject *dim_object(const cort_io_info *info, int d) {
    if (info->dims[d] >= 0) return PyLong_FromLongLong((long long)info->dims[d]);
    if (info->dim_names && info->dim_names[d]) return PyUnicode_FromString(info->dim_names[d]);
    Py_RETURN_NONE;
}

static PyObject *shape_object(const cort_io_info *info) {
    if (info->rank < 0) Py_RETURN_NONE;
    PyObject *shape = PyList_New(info->rank);
    for (int d = 0; shape && d < info->rank; d++) {
        PyObject *dim = dim_object(info, d);
        if (!dim) Py_CLEAR(shape);
        else PyList_SET_ITEM(shape, d, dim);
    }
    return shape;
}

static PyObject *io_tuple(const cort_io_info *info) {
    PyObject *shape = shape_object(info);
    if (!shape) return NULL;
    return Py_BuildValue("(siiNi)", info->name, info->kind, (int)info->elem_type, shape, info->has_default);
}

typedef cort_status *(*io_info_fn)(const cort_session *, size_t, cort_io_info *);

static PyObject *io_list(SessionObject *self, size_t n, io_info_fn get) {
    if (check_ready(self) < 0) return NULL;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        cort_io_info info;
        cort_status *st = get(self->session, i, &info);
        PyObject *item = st ? cortpy_raise(st) : io_tuple(&info);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static PyObject *session_inputs(SessionObject *self, PyObject *unused) {
    return io_list(self, self->session ? cort_session_input_count(self->session) : 0, cort_session_input_info);
}

static PyObject *session_outputs(SessionObject *self, PyObject *unused) {
    return io_list(self, self->n_outputs, cort_session_output_info);
}

static PyObject *custom_metadata(const cort_model_meta *m) {
    PyObject *map = PyDict_New();
    for (size_t i = 0; map && i < m->n_custom; i++) {
        PyObject *v = PyUnicode_FromString(m->custom_values[i]);
        if (!v || PyDict_SetItemString(map, m->custom_keys[i], v) < 0) Py_CLEAR(map);
        Py_XDECREF(v);
    }
    return map;
}

static PyObject *session_meta(SessionObject *self, PyObject *unused) {
    if (check_ready(self) < 0) return NULL;
    cort_model_meta m;
    cort_status *st = cort_session_model_meta(self->session, &m);
    if (st) return cortpy_raise(st);
    PyObject *custom = custom_metadata(&m);
    if (!custom) return NULL;
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:L,s:L,s:N}", "producer_name", m.producer_name, "producer_version",
                         m.producer_version, "domain", m.domain, "graph_name", m.graph_name, "description",
                         m.description, "version", (long long)m.version, "ir_version", (long long)m.ir_version,
                         "custom_metadata_map", custom);
}

static PyObject *session_end_profiling(SessionObject *self, PyObject *unused) {
    if (check_ready(self) < 0) return NULL;
    const char *path = NULL;
    cort_status *st = cort_session_end_profiling(self->session, &path);
    if (st) return cortpy_raise(st);
    return PyUnicode_FromString(path ? path : "");
}

static PyObject *session_arena_bytes(SessionObject *self, PyObject *unused) {
    if (check_ready(self) < 0) return NULL;
    return PyLong_FromSize_t(cort_session_arena_bytes(self->session));
}

/* -------------------------------------------------------------------- run */

/* Everything one call of run owns; freed by run_call_clear. */
typedef struct run_call {
    Py_ssize_t n_in;
    const char **in_names;
    cortpy_input *in;
    const cort_value **in_values;
    size_t n_out;
    const char **out_names;
    PyObject *out_names_seq; /* keeps the names' UTF-8 alive */
    cort_value **out;
    PyObject **bound; /* borrowed from bound_seq: caller arrays written in place, or NULL */
    PyObject *bound_seq;
} run_call;

static void run_call_clear(run_call *c) {
    for (Py_ssize_t i = 0; c->in && i < c->n_in; i++) cortpy_input_clear(&c->in[i]);
    for (size_t i = 0; c->out && i < c->n_out; i++) cort_value_free(c->out[i]);
    PyMem_Free(c->in_names);
    PyMem_Free(c->in);
    PyMem_Free(c->in_values);
    PyMem_Free(c->out);
    PyMem_Free(c->bound);
    Py_XDECREF(c->out_names_seq);
    Py_XDECREF(c->bound_seq);
}

static int report_missing(SessionObject *self, PyObject *feed) {
    PyObject *missing = PyList_New(0), *keys = PyDict_Keys(feed);
    Py_ssize_t n = PyTuple_GET_SIZE(self->required);
    for (Py_ssize_t i = 0; missing && keys && i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(self->required, i);
        int has = PyDict_Contains(feed, name);
        if (has < 0 || (!has && PyList_Append(missing, name) < 0)) Py_CLEAR(missing);
    }
    if (missing && keys)
        PyErr_Format(PyExc_ValueError, "Required inputs (%R) are missing from input feed (%R).", missing, keys);
    Py_XDECREF(missing);
    Py_XDECREF(keys);
    return -1;
}

/* ORT's Python layer reports inputs missing from the feed as ValueError before running; so does cort. */
static int check_required(SessionObject *self, PyObject *feed) {
    Py_ssize_t n = PyTuple_GET_SIZE(self->required);
    for (Py_ssize_t i = 0; i < n; i++) {
        int has = PyDict_Contains(feed, PyTuple_GET_ITEM(self->required, i));
        if (has < 0) return -1;
        if (has) continue;
        return report_missing(self, feed);
    }
    return 0;
}

/* The public C API has no way to build a sequence value, so sequence inputs cannot be fed. */
static int refuse_sequence_input(SessionObject *self, PyObject *name) {
    if (PySet_GET_SIZE(self->sequence_inputs) == 0) return 0;
    int is_seq = PySet_Contains(self->sequence_inputs, name);
    if (is_seq > 0)
        cortpy_raise_code(CORT_NOT_IMPLEMENTED, "input '%U' is a sequence: sequence inputs are not supported", name);
    return is_seq ? -1 : 0;
}

static int gather_inputs(SessionObject *self, PyObject *feed, run_call *c) {
    c->n_in = PyDict_GET_SIZE(feed);
    c->in_names = PyMem_Calloc((size_t)c->n_in + 1, sizeof *c->in_names);
    c->in = PyMem_Calloc((size_t)c->n_in + 1, sizeof *c->in);
    c->in_values = PyMem_Calloc((size_t)c->n_in + 1, sizeof *c->in_values);
    if (!c->in_names || !c->in || !c->in_values) return PyErr_NoMemory(), -1;
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (i < c->n_in && PyDict_Next(feed, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_Format(PyExc_TypeError, "input names must be str, got %R", key);
            return -1;
        }
        if (refuse_sequence_input(self, key) < 0) return -1;
        c->in_names[i] = PyUnicode_AsUTF8(key);
        if (!c->in_names[i] || cortpy_input_from_object(value, c->in_names[i], &c->in[i]) < 0) return -1;
        c->in_values[i] = c->in[i].value;
        i++;
    }
    c->n_in = i;
    return 0;
}

static int gather_output_names(SessionObject *self, PyObject *names, run_call *c) {
    if (names == Py_None) {
        c->n_out = self->n_outputs;
        c->out_names = self->output_names;
        return 0;
    }
    if (PyUnicode_Check(names)) {
        PyErr_SetString(PyExc_TypeError, "output_names must be a list of str, not a str");
        return -1;
    }
    c->out_names_seq = PySequence_Fast(names, "output_names must be a list of str or None");
    if (!c->out_names_seq) return -1;
    c->n_out = (size_t)PySequence_Fast_GET_SIZE(c->out_names_seq);
    if (c->n_out == 0) {
        c->n_out = self->n_outputs; /* ORT: an empty list asks for every output */
        c->out_names = self->output_names;
        return 0;
    }
    const char **owned = PyMem_Calloc(c->n_out, sizeof *owned);
    if (!owned) return PyErr_NoMemory(), -1;
    c->out_names = owned;
    for (size_t i = 0; i < c->n_out; i++) {
        PyObject *name = PySequence_Fast_GET_ITEM(c->out_names_seq, (Py_ssize_t)i);
        if (!PyUnicode_Check(name)) {
            PyErr_Format(PyExc_TypeError, "output names must be str, got %R", name);
            return -1;
        }
        owned[i] = PyUnicode_AsUTF8(name);
        if (!owned[i]) return -1;
    }
    return 0;
}

static int bind_outputs(PyObject *bound, run_call *c) {
    c->out = PyMem_Calloc(c->n_out + 1, sizeof *c->out);
    c->bound = PyMem_Calloc(c->n_out + 1, sizeof *c->bound);
    if (!c->out || !c->bound) return PyErr_NoMemory(), -1;
    if (bound == Py_None) return 0;
    c->bound_seq = PySequence_Fast(bound, "bound outputs must be a list");
    if (!c->bound_seq) return -1;
    if ((size_t)PySequence_Fast_GET_SIZE(c->bound_seq) != c->n_out) {
        PyErr_SetString(PyExc_ValueError, "one bound output (or None) is needed per output name");
        return -1;
    }
    for (size_t i = 0; i < c->n_out; i++) {
        PyObject *a = PySequence_Fast_GET_ITEM(c->bound_seq, (Py_ssize_t)i);
        if (a == Py_None) continue;
        if (cortpy_output_view(a, c->out_names[i], &c->out[i]) < 0) return -1;
        c->bound[i] = a;
    }
    return 0;
}

static PyObject *collect_results(run_call *c) {
    PyObject *list = PyList_New((Py_ssize_t)c->n_out);
    for (size_t i = 0; list && i < c->n_out; i++) {
        PyObject *item;
        if (c->bound[i]) {
            Py_INCREF(c->bound[i]);
            item = c->bound[i];
        } else {
            item = cortpy_value_to_python(c->out[i]);
            c->out[i] = NULL; /* taken over even on failure */
        }
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static PyObject *session_run(SessionObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"output_names", "input_feed", "run_options", "bound_outputs", NULL};
    PyObject *names, *feed, *ro_obj = Py_None, *bound = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO", kwlist, &names, &feed, &ro_obj, &bound)) return NULL;
    if (check_ready(self) < 0) return NULL;
    const cort_run_options *ro = NULL;
    if (cortpy_run_options_handle(ro_obj, &ro) < 0) return NULL;
    if (!PyDict_Check(feed)) {
        PyErr_SetString(PyExc_TypeError, "input_feed must be a dict of input name to array");
        return NULL;
    }
    run_call c = {0};
    PyObject *result = NULL;
    if (check_required(self, feed) < 0 || gather_inputs(self, feed, &c) < 0 ||
        gather_output_names(self, names, &c) < 0 || bind_outputs(bound, &c) < 0)
        goto done;
    cort_status *st;
    Py_BEGIN_ALLOW_THREADS
    st = cort_session_run(self->session, ro, c.in_names, c.in_values, (size_t)c.n_in, c.out_names, c.n_out, c.out);
    Py_END_ALLOW_THREADS
    if (st) {
        cortpy_raise(st);
        goto done;
    }
    result = collect_results(&c);
done:
    if (c.out_names == self->output_names) c.out_names = NULL;
    PyMem_Free((void *)c.out_names);
    run_call_clear(&c);
    return result;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Times the bare C call (cort_session_run, freeing its outputs) `repeats` times over inputs converted
 * once: the floor under `run`, for measuring what the Python layer adds. Returns the times in ns. */
static PyObject *session_time_c_run(SessionObject *self, PyObject *args) {
    PyObject *names, *feed;
    int repeats;
    if (!PyArg_ParseTuple(args, "OO!i", &names, &PyDict_Type, &feed, &repeats)) return NULL;
    if (check_ready(self) < 0) return NULL;
    run_call c = {0};
    PyObject *times = NULL;
    if (repeats < 1 || gather_inputs(self, feed, &c) < 0 || gather_output_names(self, names, &c) < 0 ||
        bind_outputs(Py_None, &c) < 0 || !(times = PyList_New(repeats)))
        goto done;
    cort_status *st = NULL;
    for (int r = 0; r < repeats && !st; r++) {
        double t0 = now_ns();
        st = cort_session_run(self->session, NULL, c.in_names, c.in_values, (size_t)c.n_in, c.out_names, c.n_out,
                              c.out);
        double t1 = now_ns();
        for (size_t i = 0; i < c.n_out; i++) {
            cort_value_free(c.out[i]);
            c.out[i] = NULL;
        }
        PyList_SET_ITEM(times, r, PyFloat_FromDouble(t1 - t0));
    }
    if (st) {
        Py_CLEAR(times);
        cortpy_raise(st);
    }
done:
    if (c.out_names == self->output_names) c.out_names = NULL;
    PyMem_Free((void *)c.out_names);
    run_call_clear(&c);
    return times;
}

static PyMethodDef session_methods[] = {
    {"time_c_run", (PyCFunction)session_time_c_run, METH_VARARGS,
     "time_c_run(output_names, input_feed, repeats) -> [ns per cort_session_run call]"},
    {"run", (PyCFunction)(void (*)(void))session_run, METH_VARARGS | METH_KEYWORDS,
     "run(output_names, input_feed, run_options=None, bound_outputs=None) -> list"},
    {"inputs", (PyCFunction)session_inputs, METH_NOARGS, "[(name, kind, elem_type, shape, has_default)]"},
    {"outputs", (PyCFunction)session_outputs, METH_NOARGS, "[(name, kind, elem_type, shape, has_default)]"},
    {"meta", (PyCFunction)session_meta, METH_NOARGS, "model metadata as a dict"},
    {"end_profiling", (PyCFunction)session_end_profiling, METH_NOARGS, "writes the profile; returns its path"},
    {"arena_bytes", (PyCFunction)session_arena_bytes, METH_NOARGS, "bytes of the largest planned arena"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject cortpy_SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cort._cort.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Session(model, threads=0, opt_level=99, log_level=2, profile_prefix=None, optimized_path=None)",
    .tp_methods = session_methods,
    .tp_init = (initproc)session_init,
    .tp_new = PyType_GenericNew,
};
