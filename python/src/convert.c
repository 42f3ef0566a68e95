/*
 * numpy <-> cort values. Inputs in a layout cort can read (C order, aligned, native byte order) are
 * wrapped as views; outputs hand their cort buffer to numpy, with a capsule owning the cort value as the
 * array's base, so neither direction copies numeric data.
 */
#include "cortpy.h"

#include <string.h>

#define CORTPY_MAX_RANK 32

/* ------------------------------------------------------------ element types */

static cort_elem_type elem_type_of_sized_int(int itemsize, int is_signed) {
    switch (itemsize) {
    case 1: return is_signed ? CORT_INT8 : CORT_UINT8;
    case 2: return is_signed ? CORT_INT16 : CORT_UINT16;
    case 4: return is_signed ? CORT_INT32 : CORT_UINT32;
    case 8: return is_signed ? CORT_INT64 : CORT_UINT64;
    default: return CORT_UNDEFINED;
    }
}

/* Element type of a numpy array; CORT_UNDEFINED when cort has no equivalent. */
static cort_elem_type elem_type_of_array(PyArrayObject *a) {
    int itemsize = (int)PyArray_ITEMSIZE(a);
    switch (PyArray_TYPE(a)) {
    case NPY_BOOL: return CORT_BOOL;
    case NPY_BYTE: case NPY_SHORT: case NPY_INT: case NPY_LONG: case NPY_LONGLONG:
        return elem_type_of_sized_int(itemsize, 1);
    case NPY_UBYTE: case NPY_USHORT: case NPY_UINT: case NPY_ULONG: case NPY_ULONGLONG:
        return elem_type_of_sized_int(itemsize, 0);
    case NPY_HALF: return CORT_FLOAT16;
    case NPY_FLOAT: return CORT_FLOAT;
    case NPY_DOUBLE: return CORT_DOUBLE;
    case NPY_CFLOAT: return CORT_COMPLEX64;
    case NPY_CDOUBLE: return CORT_COMPLEX128;
    case NPY_OBJECT: case NPY_STRING: case NPY_UNICODE: return CORT_STRING;
    default: return CORT_UNDEFINED;
    }
}

int cortpy_npy_type(cort_elem_type type) {
    switch (type) {
    case CORT_FLOAT: return NPY_FLOAT32;
    case CORT_UINT8: return NPY_UINT8;
    case CORT_INT8: return NPY_INT8;
    case CORT_UINT16: return NPY_UINT16;
    case CORT_INT16: return NPY_INT16;
    case CORT_INT32: return NPY_INT32;
    case CORT_INT64: return NPY_INT64;
    case CORT_STRING: return NPY_OBJECT;
    case CORT_BOOL: return NPY_BOOL;
    case CORT_FLOAT16: return NPY_FLOAT16;
    case CORT_DOUBLE: return NPY_FLOAT64;
    case CORT_UINT32: return NPY_UINT32;
    case CORT_UINT64: return NPY_UINT64;
    case CORT_COMPLEX64: return NPY_COMPLEX64;
    case CORT_COMPLEX128: return NPY_COMPLEX128;
    case CORT_BFLOAT16: return NPY_UINT16; /* numpy has no bfloat16: the raw bits */
    default: return -1;
    }
}

static int copy_dims(PyArrayObject *a, const char *name, int64_t *dims) {
    int rank = PyArray_NDIM(a);
    if (rank > CORTPY_MAX_RANK) {
        cortpy_raise_code(CORT_INVALID_ARGUMENT, "input '%s' has rank %d; at most %d is supported", name, rank,
                          CORTPY_MAX_RANK);
        return -1;
    }
    for (int d = 0; d < rank; d++) dims[d] = (int64_t)PyArray_DIM(a, d);
    return 0;
}

/* ------------------------------------------------------------------ inputs */

static int set_string_element(cort_value *v, int64_t index, PyObject *item, const char *name) {
    const char *s = NULL;
    Py_ssize_t len = 0;
    PyObject *text = NULL;
    if (PyBytes_Check(item)) {
        if (PyBytes_AsStringAndSize(item, (char **)&s, &len) < 0) return -1;
    } else {
        text = PyUnicode_Check(item) ? (Py_INCREF(item), item) : PyObject_Str(item);
        if (!text) return -1;
        s = PyUnicode_AsUTF8AndSize(text, &len);
        if (!s) {
            Py_DECREF(text);
            return -1;
        }
    }
    cort_status *st = cort_tensor_set_string(v, index, s, (size_t)len);
    Py_XDECREF(text);
    if (st) {
        cortpy_raise(st);
        return -1;
    }
    (void)name;
    return 0;
}

/* Strings are copied element by element into an owned string tensor. */
static int string_input(PyArrayObject *a, const char *name, cortpy_input *in) {
    int64_t dims[CORTPY_MAX_RANK];
    if (copy_dims(a, name, dims) < 0) return -1;
    cort_status *st = cort_tensor_create(CORT_STRING, dims, (size_t)PyArray_NDIM(a), &in->value);
    if (st) {
        cortpy_raise(st);
        return -1;
    }
    PyArrayObject *flat = (PyArrayObject *)PyArray_Ravel(a, NPY_CORDER);
    if (!flat) return -1;
    npy_intp n = PyArray_SIZE(flat);
    for (npy_intp i = 0; i < n; i++) {
        PyObject *item = PyArray_GETITEM(flat, PyArray_GETPTR1(flat, i));
        int rc = item ? set_string_element(in->value, (int64_t)i, item, name) : -1;
        Py_XDECREF(item);
        if (rc < 0) {
            Py_DECREF(flat);
            return -1;
        }
    }
    Py_DECREF(flat);
    return 0;
}

/* Returns a C-ordered, aligned, native-endian array equal to `a` (the same object when it already is). */
static PyArrayObject *readable_layout(PyArrayObject *a) {
    if (PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISALIGNED(a) && PyArray_ISNOTSWAPPED(a)) {
        Py_INCREF(a);
        return a;
    }
    PyArray_Descr *native = PyArray_DescrNewByteorder(PyArray_DESCR(a), NPY_NATIVE);
    if (!native) return NULL;
    return (PyArrayObject *)PyArray_FromArray(a, native, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
}

static int numeric_input(PyArrayObject *a, cort_elem_type type, const char *name, cortpy_input *in) {
    int64_t dims[CORTPY_MAX_RANK];
    if (copy_dims(a, name, dims) < 0) return -1;
    PyArrayObject *readable = readable_layout(a);
    if (!readable) return -1;
    cort_status *st = cort_tensor_create_view(type, dims, (size_t)PyArray_NDIM(readable), PyArray_DATA(readable),
                                              (size_t)PyArray_NBYTES(readable), &in->value);
    if (st) {
        Py_DECREF(readable);
        cortpy_raise(st);
        return -1;
    }
    in->array = (PyObject *)readable;
    return 0;
}

int cortpy_input_from_object(PyObject *obj, const char *name, cortpy_input *in) {
    in->value = NULL;
    in->array = NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_O(obj);
    if (!a) return -1;
    cort_elem_type type = elem_type_of_array(a);
    int rc;
    if (type == CORT_UNDEFINED) {
        cortpy_raise_code(CORT_INVALID_ARGUMENT, "input '%s': numpy dtype %R has no ONNX tensor type", name,
                          (PyObject *)PyArray_DESCR(a));
        rc = -1;
    } else if (type == CORT_STRING) {
        rc = string_input(a, name, in);
    } else {
        rc = numeric_input(a, type, name, in);
    }
    Py_DECREF(a);
    if (rc < 0) cortpy_input_clear(in);
    return rc;
}

void cortpy_input_clear(cortpy_input *in) {
    cort_value_free(in->value);
    Py_XDECREF(in->array);
    in->value = NULL;
    in->array = NULL;
}

int cortpy_output_view(PyObject *array, const char *name, cort_value **out) {
    *out = NULL;
    if (!PyArray_Check(array)) {
        PyErr_Format(PyExc_TypeError, "output '%s' must be bound to a numpy array", name);
        return -1;
    }
    PyArrayObject *a = (PyArrayObject *)array;
    if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a) || !PyArray_ISWRITEABLE(a)) {
        cortpy_raise_code(CORT_INVALID_ARGUMENT, "output '%s' must be bound to a writable C-contiguous array", name);
        return -1;
    }
    cort_elem_type type = elem_type_of_array(a);
    if (type == CORT_UNDEFINED || type == CORT_STRING) {
        cortpy_raise_code(CORT_INVALID_ARGUMENT, "output '%s': cannot bind an array of dtype %R", name,
                          (PyObject *)PyArray_DESCR(a));
        return -1;
    }
    int64_t dims[CORTPY_MAX_RANK];
    if (copy_dims(a, name, dims) < 0) return -1;
    cort_status *st = cort_tensor_create_view(type, dims, (size_t)PyArray_NDIM(a), PyArray_DATA(a),
                                              (size_t)PyArray_NBYTES(a), out);
    if (st) {
        cortpy_raise(st);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- outputs */

static void free_value_capsule(PyObject *capsule) {
    cort_value_free((cort_value *)PyCapsule_GetPointer(capsule, "cort_value"));
}

static PyObject *strings_to_array(const cort_value *t) {
    int rank = (int)cort_tensor_rank(t);
    npy_intp dims[CORTPY_MAX_RANK];
    for (int d = 0; d < rank; d++) dims[d] = (npy_intp)cort_tensor_dims(t)[d];
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(rank, dims, NPY_OBJECT);
    if (!a) return NULL;
    char *const *s = (char *const *)cort_tensor_data((cort_value *)t);
    PyObject **items = (PyObject **)PyArray_DATA(a);
    int64_t n = cort_tensor_element_count(t);
    for (int64_t i = 0; i < n; i++) {
        PyObject *str = PyUnicode_DecodeUTF8(s[i] ? s[i] : "", s[i] ? (Py_ssize_t)strlen(s[i]) : 0, "replace");
        if (!str) {
            Py_DECREF(a);
            return NULL;
        }
        Py_XSETREF(items[i], str);
    }
    return (PyObject *)a;
}

/* An ndarray over the buffer of tensor `t`, kept alive by `owner` (a capsule holding the cort value);
 * strings and empty tensors are copied instead. */
static PyObject *tensor_to_array(const cort_value *t, PyObject *owner) {
    cort_elem_type type = cort_tensor_elem_type(t);
    if (type == CORT_STRING) return strings_to_array(t);
    int npy = cortpy_npy_type(type);
    if (npy < 0) return cortpy_raise_code(CORT_NOT_IMPLEMENTED, "outputs of type %s", cort_elem_type_name(type));
    int rank = (int)cort_tensor_rank(t);
    if (rank > CORTPY_MAX_RANK) return cortpy_raise_code(CORT_NOT_IMPLEMENTED, "outputs of rank %d", rank);
    npy_intp dims[CORTPY_MAX_RANK];
    for (int d = 0; d < rank; d++) dims[d] = (npy_intp)cort_tensor_dims(t)[d];
    if (cort_tensor_element_count(t) == 0) return PyArray_ZEROS(rank, dims, npy, 0);
    PyObject *a = PyArray_SimpleNewFromData(rank, dims, npy, cort_tensor_data((cort_value *)t));
    if (!a) return NULL;
    Py_INCREF(owner);
    if (PyArray_SetBaseObject((PyArrayObject *)a, owner) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

static PyObject *sequence_to_list(const cort_value *seq, PyObject *owner) {
    size_t n = cort_sequence_length(seq);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        const cort_value *t = NULL;
        cort_status *st = cort_sequence_at(seq, i, &t);
        PyObject *a = st ? cortpy_raise(st) : tensor_to_array(t, owner);
        if (!a) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, a);
    }
    return list;
}

PyObject *cortpy_value_to_python(cort_value *value) {
    int kind = cort_value_kind(value);
    if (kind == 3) {
        cort_value_free(value);
        Py_RETURN_NONE;
    }
    PyObject *owner = PyCapsule_New(value, "cort_value", free_value_capsule);
    if (!owner) {
        cort_value_free(value);
        return NULL;
    }
    PyObject *result = kind == 2 ? sequence_to_list(value, owner) : tensor_to_array(value, owner);
    Py_DECREF(owner); /* the arrays hold it now (or nothing does, and the value is freed here) */
    return result;
}
