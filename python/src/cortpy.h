/*
 * Private header of the cort Python extension (cort._cort). The extension talks to the runtime only
 * through the public C API in cort/cort.h; the library's sources are compiled into the same module.
 */
#ifndef CORTPY_H
#define CORTPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL cortpy_ARRAY_API
#ifndef CORTPY_IMPORTS_NUMPY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "cort/cort.h"

/* ---- errors (module.c) */

/** Raises the Python exception matching the status code (Fail, InvalidArgument, ...), frees `st`, returns NULL. */
PyObject *cortpy_raise(cort_status *st);
/** Raises the exception class of `code` with a formatted message; returns NULL. */
PyObject *cortpy_raise_code(cort_code code, const char *fmt, ...);
/** Creates the exception classes and adds them to the module; -1 on failure. */
int cortpy_add_exceptions(PyObject *module);

/* ---- numpy conversion (convert.c) */

/** What an input conversion keeps alive until the run ends. */
typedef struct cortpy_input {
    cort_value *value; /* view over `array`'s buffer, or an owned copy (strings) */
    PyObject *array;   /* the ndarray the view reads (a strong reference), or NULL */
} cortpy_input;

/** Wraps a numpy array (or anything numpy.asarray accepts) as a cort tensor, without copying where the
 * layout allows. `name` is used in error messages. Returns 0, or -1 with a Python exception set. */
int cortpy_input_from_object(PyObject *obj, const char *name, cortpy_input *in);
/** Releases what cortpy_input_from_object made. */
void cortpy_input_clear(cortpy_input *in);

/** Wraps a writable C-contiguous ndarray as a tensor view the run writes into; -1 with an exception set. */
int cortpy_output_view(PyObject *array, const char *name, cort_value **out);

/** Turns an output value into a Python object (ndarray, list of ndarrays for sequences, None for an empty
 * optional). Takes ownership of `value` in every case: numeric tensors are not copied, the array's base
 * object frees the value. */
PyObject *cortpy_value_to_python(cort_value *value);

/** numpy type number of an element type, or -1 when numpy has none. */
int cortpy_npy_type(cort_elem_type type);

/* ---- types (session.c, runopts.c) */

extern PyTypeObject cortpy_SessionType;
extern PyTypeObject cortpy_RunOptionsType;

/** The cort run options behind a _cort.RunOptions object (NULL for None); -1 with TypeError otherwise. */
int cortpy_run_options_handle(PyObject *obj, const cort_run_options **out);

#endif
