"""ctypes declarations of libwinsum's public C API (include/winsum.h).

The library is looked up, in order: at $WINSUM_LIBRARY when it is set (and
only there: a variable that names a library that does not load is an
error), beside this package (in the package folder, the folder above it,
or PREFIX/lib when the package is installed in
PREFIX/lib/python3*/{dist,site}-packages), then by the installed soname
(libwinsum.so.0, then libwinsum.so) through the dynamic loader.
"""
import ctypes
import os

MAX_DIMS = 32
MAX_GUARDS = 4
MAX_SPATIAL = 3

# winsum_status, in the header's order
STATUS_NAMES = [
    "WINSUM_OK", "WINSUM_ERR_ARGUMENT", "WINSUM_ERR_SUBSCRIPTS", "WINSUM_ERR_SHAPE",
    "WINSUM_ERR_BOUNDS", "WINSUM_ERR_OVERLAP", "WINSUM_ERR_ALIAS", "WINSUM_ERR_DTYPE",
    "WINSUM_ERR_OVERFLOW", "WINSUM_ERR_CONV", "WINSUM_ERR_MEMORY", "WINSUM_ERR_OPENCL",
    "WINSUM_ERR_BUILD", "WINSUM_ERR_NO_DEVICE", "WINSUM_ERR_IO", "WINSUM_ERR_FORMAT",
    "WINSUM_ERR_CONTEXT", "WINSUM_ERR_UNSUPPORTED",
]
OK = 0
ERR_ARGUMENT, ERR_SUBSCRIPTS, ERR_SHAPE = 1, 2, 3
ERR_BOUNDS, ERR_OVERLAP, ERR_ALIAS, ERR_DTYPE = 4, 5, 6, 7
ERR_CONV = 9
ERR_CONTEXT = 16
ERR_UNSUPPORTED = 17

F32, F64, F16 = 0, 1, 2
HOST, DEVICE = 0, 1
BACKEND_AUTO, BACKEND_OPENCL, BACKEND_REF = 0, 1, 2
LAYOUT_NCHW, LAYOUT_NHWC = 0, 1

i64 = ctypes.c_int64
cl_mem = ctypes.c_void_p


class Buffer(ctypes.Structure):
    _fields_ = [("where", ctypes.c_int), ("host", ctypes.c_void_p), ("mem", cl_mem),
                ("bytes", ctypes.c_size_t)]


class Guard(ctypes.Structure):
    _fields_ = [("coef", i64 * MAX_DIMS), ("offset", i64), ("extent", i64)]


class View(ctypes.Structure):
    _fields_ = [("buffer", ctypes.POINTER(Buffer)), ("dtype", ctypes.c_int), ("offset", i64),
                ("ndim", ctypes.c_int), ("shape", i64 * MAX_DIMS), ("strides", i64 * MAX_DIMS),
                ("nguards", ctypes.c_int), ("guards", Guard * MAX_GUARDS)]


class ConvDesc(ctypes.Structure):
    _fields_ = [("nspatial", ctypes.c_int), ("stride", i64 * MAX_SPATIAL),
                ("dilation", i64 * MAX_SPATIAL), ("pad_lo", i64 * MAX_SPATIAL),
                ("pad_hi", i64 * MAX_SPATIAL), ("pad_same", ctypes.c_int),
                ("output_padding", i64 * MAX_SPATIAL), ("groups", i64), ("layout", ctypes.c_int)]


def _beside(here):
    """The folders "beside the package": its own, the one above it, and
    PREFIX/lib when it sits in PREFIX/lib/python3*/(dist|site)-packages/ (an
    installed tree; a source checkout's parent folder is not one)."""
    above = os.path.dirname(here)
    dirs = [here, above]
    pyver = os.path.dirname(above)
    if os.path.basename(above) in ("dist-packages", "site-packages") \
            and os.path.basename(pyver).startswith("python3"):
        dirs.append(os.path.dirname(pyver))
    return dirs


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in _beside(here):
        for name in ("libwinsum.so.0", "libwinsum.so"):
            p = os.path.join(d, name)
            if os.path.exists(p):
                yield p
    yield "libwinsum.so.0"
    yield "libwinsum.so"


def _load():
    env = os.environ.get("WINSUM_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError("winsum: $WINSUM_LIBRARY=%s does not load: %s" % (env, e)) from None
    errors = []
    for cand in _candidates():
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            errors.append("%s: %s" % (cand, e))
    raise ImportError("winsum: cannot load libwinsum ($WINSUM_LIBRARY is not set; tried beside "
                      "the package, then the sonames):\n  " + "\n  ".join(errors))


lib, path = _load()

_c = ctypes
P = ctypes.POINTER
_S = ctypes.c_int  # winsum_status
_ctx = ctypes.c_void_p
_decls = {
    "winsum_version_string": (_c.c_char_p, []),
    "winsum_status_string": (_c.c_char_p, [_S]),
    "winsum_device_count": (_c.c_int, []),
    "winsum_device_info": (_S, [_c.c_int, _c.c_char_p, _c.c_size_t, P(_c.c_int)]),
    "winsum_context_create": (_S, [P(_ctx), _c.c_int, _c.c_char_p]),
    "winsum_context_create_cl": (_S, [P(_ctx), _c.c_void_p, _c.c_void_p]),
    "winsum_context_destroy": (None, [_ctx]),
    "winsum_last_error": (_c.c_char_p, [_ctx]),
    "winsum_context_backend": (_c.c_int, [_ctx]),
    "winsum_context_device_name": (_c.c_char_p, [_ctx]),
    "winsum_context_cl": (_c.c_void_p, [_ctx]),
    "winsum_context_queue": (_c.c_void_p, [_ctx]),
    "winsum_context_has_dtype": (_c.c_int, [_ctx, _c.c_int]),
    "winsum_finish": (_S, [_ctx]),
    "winsum_memory_usage": (None, [_ctx, P(_c.c_size_t), P(_c.c_size_t)]),
    "winsum_buffer_alloc": (_S, [_ctx, _c.c_size_t, P(Buffer)]),
    "winsum_buffer_free": (None, [_ctx, P(Buffer)]),
    "winsum_buffer_write": (_S, [_ctx, P(Buffer), _c.c_size_t, _c.c_void_p, _c.c_size_t]),
    "winsum_buffer_read": (_S, [_ctx, P(Buffer), _c.c_size_t, _c.c_void_p, _c.c_size_t]),
    "winsum_buffer_map_host": (_S, [_ctx, _c.c_void_p, _c.c_size_t, P(Buffer)]),
    "winsum_buffer_unmap_host": (_S, [_ctx, P(Buffer), _c.c_int]),
    "winsum_fault_count": (_c.c_long, [_c.c_int]),
    "winsum_plan_create": (_S, [_ctx, P(_c.c_void_p), _c.c_char_p, _c.c_int, P(View), P(View)]),
    "winsum_plan_execute": (_S, [_c.c_void_p, P(P(Buffer)), P(Buffer), _c.c_double,
                                 _c.c_double, _c.c_void_p]),
    "winsum_plan_destroy": (None, [_c.c_void_p]),
    "winsum_plan_describe": (_c.c_char_p, [_c.c_void_p]),
    "winsum_einsum": (_S, [_ctx, _c.c_char_p, _c.c_int, P(View), P(View), _c.c_double,
                           _c.c_double]),
    "winsum_einsum_output_shape": (_S, [_ctx, _c.c_char_p, _c.c_int, P(View), P(_c.c_int),
                                        P(i64)]),
    "winsum_elementwise": (_S, [_ctx, _c.c_int, _c.c_double, P(View), _c.c_double, P(View),
                                P(View)]),
    "winsum_view_window": (_S, [P(View), _c.c_int, P(_c.c_int), P(i64), P(i64), P(i64), P(i64),
                                P(i64), P(View), _c.c_char_p, _c.c_size_t]),
    "winsum_conv_desc_init": (None, [P(ConvDesc)]),
    "winsum_conv_output_shape": (_S, [P(ConvDesc), _c.c_int, P(i64), P(i64), P(i64),
                                      _c.c_char_p, _c.c_size_t]),
    "winsum_conv_transpose_output_shape": (_S, [P(ConvDesc), _c.c_int, P(i64), P(i64),
                                                P(i64), _c.c_char_p, _c.c_size_t]),
    "winsum_conv_forward": (_S, [_ctx, P(ConvDesc), P(View), P(View), P(View), P(View),
                                 _c.c_double, _c.c_double]),
    "winsum_conv_backward_data": (_S, [_ctx, P(ConvDesc), P(View), P(View), P(View),
                                       _c.c_double, _c.c_double]),
    "winsum_conv_backward_weight": (_S, [_ctx, P(ConvDesc), P(View), P(View), P(View),
                                         _c.c_double, _c.c_double]),
    "winsum_conv_backward_bias": (_S, [_ctx, P(ConvDesc), P(View), P(View), _c.c_double,
                                       _c.c_double]),
    "winsum_conv_transpose": (_S, [_ctx, P(ConvDesc), P(View), P(View), P(View), _c.c_double,
                                   _c.c_double]),
}
for _name, (_res, _args) in _decls.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def status_name(st):
    s = lib.winsum_status_string(st)
    return s.decode() if s else "WINSUM_STATUS_%d" % st
