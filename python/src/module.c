/*
 * cort._cort: module definition and the exception classes. The classes carry ONNX Runtime's names and
 * live (by __module__) where ORT scripts import them from: cort.capi.onnxruntime_pybind11_state.
 */
#define CORTPY_IMPORTS_NUMPY
#include "cortpy.h"

#include <stdarg.h>

/* Exception classes, indexed by cort_code; created once at import (CPython's single-phase init keeps module
 * objects for the life of the interpreter). */
#define CORTPY_N_CODES 13
static PyObject *exception_of_code[CORTPY_N_CODES];

typedef struct code_name {
    cort_code code;
    const char *class_name; /* ORT's Python class */
    const char *code_name;  /* ORT's status code name, shown in messages */
} code_name;

static const code_name code_names[] = {
    {CORT_FAIL, "Fail", "FAIL"},
    {CORT_INVALID_ARGUMENT, "InvalidArgument", "INVALID_ARGUMENT"},
    {CORT_NO_SUCH_FILE, "NoSuchFile", "NO_SUCHFILE"},
    {CORT_NO_MODEL, "NoModel", "NO_MODEL"},
    {CORT_ENGINE_ERROR, "EngineError", "ENGINE_ERROR"},
    {CORT_RUNTIME_EXCEPTION, "RuntimeException", "RUNTIME_EXCEPTION"},
    {CORT_INVALID_PROTOBUF, "InvalidProtobuf", "INVALID_PROTOBUF"},
    {CORT_MODEL_LOADED, "ModelLoaded", "MODEL_LOADED"},
    {CORT_NOT_IMPLEMENTED, "NotImplemented", "NOT_IMPLEMENTED"},
    {CORT_INVALID_GRAPH, "InvalidGraph", "INVALID_GRAPH"},
    /* ORT has no out-of-memory code: its allocators fail as runtime exceptions */
    {CORT_OUT_OF_MEMORY, "RuntimeException", "RUNTIME_EXCEPTION"},
};
#define N_CODE_NAMES (sizeof code_names / sizeof code_names[0])

static const code_name *lookup_code(cort_code code) {
    for (size_t i = 0; i < N_CODE_NAMES; i++)
        if (code_names[i].code == code) return &code_names[i];
    return &code_names[0];
}

static PyObject *exception_class(cort_code code) {
    const code_name *cn = lookup_code(code);
    PyObject *cls = (int)cn->code < CORTPY_N_CODES ? exception_of_code[cn->code] : NULL;
    return cls ? cls : PyExc_RuntimeError;
}

static PyObject *raise_message(cort_code code, const char *message) {
    const code_name *cn = lookup_code(code);
    PyErr_Format(exception_class(code), "[cort] : %d : %s : %s", (int)code, cn->code_name, message);
    return NULL;
}

PyObject *cortpy_raise(cort_status *st) {
    raise_message(cort_status_code(st), cort_status_message(st));
    cort_status_free(st);
    return NULL;
}

PyObject *cortpy_raise_code(cort_code code, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return raise_message(code, buf);
}

static PyObject *new_exception(PyObject *module, const char *class_name) {
    char qualified[128];
    snprintf(qualified, sizeof qualified, "cort.capi.onnxruntime_pybind11_state.%s", class_name);
    PyObject *cls = PyErr_NewException(qualified, PyExc_Exception, NULL);
    if (cls && PyModule_AddObject(module, class_name, cls) < 0) {
        Py_DECREF(cls);
        return NULL;
    }
    return cls; /* borrowed from the module, which keeps it */
}

int cortpy_add_exceptions(PyObject *module) {
    for (size_t i = 0; i < N_CODE_NAMES; i++) {
        PyObject *existing = PyObject_GetAttrString(module, code_names[i].class_name);
        if (existing) {
            exception_of_code[code_names[i].code] = existing;
            Py_DECREF(existing);
            continue;
        }
        PyErr_Clear();
        PyObject *cls = new_exception(module, code_names[i].class_name);
        if (!cls) return -1;
        exception_of_code[code_names[i].code] = cls;
    }
    /* ORT classes cort never raises, so `except EPFail` in a script still resolves */
    return new_exception(module, "EPFail") && new_exception(module, "NotFound") ? 0 : -1;
}

static PyObject *library_version(PyObject *self, PyObject *unused) { return PyUnicode_FromString(cort_version()); }

static PyMethodDef module_methods[] = {
    {"version", library_version, METH_NOARGS, "Version of the cort library compiled into this module."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cort_module = {
    PyModuleDef_HEAD_INIT, "_cort", "Low-level binding of the cort C API (use the cort package instead).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

static int add_type(PyObject *module, PyTypeObject *type, const char *name) {
    if (PyType_Ready(type) < 0) return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__cort(void) {
    import_array();
    PyObject *module = PyModule_Create(&cort_module);
    if (!module) return NULL;
    if (cortpy_add_exceptions(module) < 0 || add_type(module, &cortpy_SessionType, "Session") < 0 ||
        add_type(module, &cortpy_RunOptionsType, "RunOptions") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
