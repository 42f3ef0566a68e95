/*
 * _cort.RunOptions: a cort_run_options handle. `terminate` is forwarded at once, so setting it from another
 * thread stops runs in flight at the next node boundary. Subclassable: the Python RunOptions adds ORT's
 * other attributes (log levels, run tag) in its instance dict.
 */
#include "cortpy.h"

typedef struct RunOptionsObject {
    PyObject_HEAD
    cort_run_options *opts;
    int terminate;
} RunOptionsObject;

static PyObject *run_options_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    RunOptionsObject *self = (RunOptionsObject *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    cort_status *st = cort_run_options_create(&self->opts);
    if (st) {
        Py_DECREF(self);
        return cortpy_raise(st);
    }
    return (PyObject *)self;
}

static void run_options_dealloc(RunOptionsObject *self) {
    cort_run_options_free(self->opts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *get_terminate(RunOptionsObject *self, void *closure) { return PyBool_FromLong(self->terminate); }

static int set_terminate(RunOptionsObject *self, PyObject *value, void *closure) {
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "terminate cannot be deleted");
        return -1;
    }
    int t = PyObject_IsTrue(value);
    if (t < 0) return -1;
    self->terminate = t;
    cort_run_options_set_terminate(self->opts, t);
    return 0;
}

static PyGetSetDef run_options_getset[] = {
    {"terminate", (getter)get_terminate, (setter)set_terminate, "stop runs using these options", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject cortpy_RunOptionsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cort._cort.RunOptions",
    .tp_basicsize = sizeof(RunOptionsObject),
    .tp_dealloc = (destructor)run_options_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Options of one run (terminate).",
    .tp_getset = run_options_getset,
    .tp_new = run_options_new,
};

int cortpy_run_options_handle(PyObject *obj, const cort_run_options **out) {
    *out = NULL;
    if (obj == Py_None) return 0;
    if (!PyObject_TypeCheck(obj, &cortpy_RunOptionsType)) {
        PyErr_Format(PyExc_TypeError, "run_options must be a cort.RunOptions, got %R", (PyObject *)Py_TYPE(obj));
        return -1;
    }
    *out = ((RunOptionsObject *)obj)->opts;
    return 0;
}
