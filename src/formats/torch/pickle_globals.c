/*
 * pickle_globals.c - every global a pickle names, classified.
 *
 * The allow-list is what torch.save and transformers' Trainer write
 * (torch's own weights_only unpickler allows the same kind of names):
 * collections.OrderedDict, torch._utils._rebuild_*, torch.*Storage, torch
 * dtypes, torch.Size, torch.device, and the numpy/_codecs reconstructors of
 * an RNG state. The deny-list is the callables pickle scanners (picklescan,
 * modelscan) treat as code execution. Anything else is unknown: reported,
 * not refused. A name part with a dot is refused (dotted(), below). Below
 * protocol 3 a Python 2 name is classified as the Python 3 global Python
 * maps it to (mm_pickle_fix_import(), below). Nothing named here is ever
 * imported or called.
 */
#include <string.h>

#include "formats/torch/pickle.h"

struct gname {
    const char *module;
    const char *name; /* NULL: every name in the module (and its submodules) */
};

static const struct gname safe[] = {
    {"collections", "OrderedDict"},
    {"collections", "defaultdict"},
    {"torch._utils", "_rebuild_tensor"},
    {"torch._utils", "_rebuild_tensor_v2"},
    {"torch._utils", "_rebuild_tensor_v3"},
    {"torch._utils", "_rebuild_parameter"},
    {"torch._utils", "_rebuild_parameter_with_state"},
    {"torch._utils", "_rebuild_meta_tensor_no_storage"},
    {"torch._utils", "_rebuild_qtensor"},
    {"torch._utils", "_rebuild_sparse_tensor"},
    {"torch._utils", "_rebuild_nested_tensor"},
    {"torch._utils", "_rebuild_device_tensor_from_numpy"},
    {"torch._utils", "_rebuild_wrapper_subclass"},
    {"torch._tensor", "_rebuild_from_type_v2"},
    {"torch._tensor", "_rebuild_from_type"},
    {"torch", "Size"},
    {"torch", "device"},
    {"torch", "strided"},
    {"torch", "sparse_coo"},
    {"torch", "contiguous_format"},
    {"torch", "channels_last"},
    {"torch", "preserve_format"},
    {"torch", "per_tensor_affine"},
    {"torch", "per_channel_affine"},
    {"torch", "per_channel_affine_float_qparams"},
    {"torch.nn.parameter", "Parameter"},
    {"numpy.core.multiarray", "_reconstruct"},
    {"numpy._core.multiarray", "_reconstruct"},
    {"numpy.core.multiarray", "scalar"},
    {"numpy._core.multiarray", "scalar"},
    {"numpy", "ndarray"},
    {"numpy", "dtype"},
    {"_codecs", "encode"},
    {"copyreg", "_reconstructor"},
    {"copy_reg", "_reconstructor"},
    {"builtins", "object"},
    {"builtins", "set"},
    {"builtins", "frozenset"},
    {"builtins", "bytearray"},
    {"builtins", "complex"},
    {"builtins", "slice"},
    {"__builtin__", "object"},
    {"__builtin__", "set"},
    {"__builtin__", "frozenset"},
    {"__builtin__", "bytearray"},
    {"__builtin__", "complex"},
};

/* torch dtype objects (torch.float32 ...), by every name torch gives them. */
static const char *const torch_dtypes[] = {
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long",
    "int32", "int", "int16", "short", "int8", "uint8", "uint16", "uint32", "uint64", "bool",
    "complex32", "chalf", "complex64", "cfloat", "complex128", "cdouble", "qint8", "quint8",
    "qint32", "quint4x2", "quint2x4", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
    "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16",
};

static const struct gname unsafe[] = {
    {"os", NULL},
    {"posix", NULL},
    {"nt", NULL},
    {"subprocess", NULL},
    {"_posixsubprocess", NULL},
    {"runpy", NULL},
    {"shutil", NULL},
    {"socket", NULL},
    {"webbrowser", NULL},
    {"pty", NULL},
    {"importlib", NULL},
    {"sys", NULL},
    {"ctypes", NULL},
    {"multiprocessing", NULL},
    {"code", NULL},
    {"codeop", NULL},
    {"pdb", NULL},
    {"bdb", NULL},
    {"commands", NULL},
    {"pickle", NULL},
    {"_pickle", NULL},
    {"marshal", NULL},
    {"asyncio", NULL},
    {"urllib", NULL},
    {"urllib2", NULL},
    {"http", NULL},
    {"httplib", NULL},
    {"requests", NULL},
    {"ftplib", NULL},
    {"telnetlib", NULL},
    {"smtplib", NULL},
    {"signal", NULL},
    {"pydoc", NULL},
    {"timeit", NULL},
    {"cProfile", NULL},
    {"profile", NULL},
    {"trace", NULL},
    {"builtins", "eval"},
    {"builtins", "exec"},
    {"builtins", "compile"},
    {"builtins", "open"},
    {"builtins", "getattr"},
    {"builtins", "setattr"},
    {"builtins", "delattr"},
    {"builtins", "__import__"},
    {"builtins", "globals"},
    {"builtins", "locals"},
    {"builtins", "vars"},
    {"builtins", "input"},
    {"builtins", "breakpoint"},
    {"__builtin__", "eval"},
    {"__builtin__", "exec"},
    {"__builtin__", "execfile"},
    {"__builtin__", "compile"},
    {"__builtin__", "open"},
    {"__builtin__", "file"},
    {"__builtin__", "getattr"},
    {"__builtin__", "setattr"},
    {"__builtin__", "__import__"},
    {"__builtin__", "apply"},
    {"__builtin__", "reload"},
    {"__builtin__", "input"},
    {"operator", "attrgetter"},
    {"operator", "methodcaller"},
    {"numpy.testing._private.utils", "runstring"},
    {"torch.hub", NULL},
    {"torch.serialization", "load"},
    {"torch", "load"},
};

/*
 * Python 2 names, as CPython's Unpickler maps them.
 *
 * Unpickler.find_class (Lib/pickle.py; _pickle.c does the same), when the
 * pickle's protocol is below 3 and fix_imports is on (the default, and what
 * torch.load uses), looks the (module, name) pair up in
 * _compat_pickle.NAME_MAPPING and, if it is not there, the module alone in
 * _compat_pickle.IMPORT_MAPPING, and imports what it finds instead: the
 * pair the pickle spells is never imported. So "\x80\x02c__builtin__\neval\n"
 * is builtins.eval, cPickle.loads is pickle.loads, commands.getoutput is
 * subprocess.getoutput. The tables below hold every entry of CPython 3's
 * Lib/_compat_pickle.py (3.6 to 3.13; tkinter.tix, gone in 3.13, kept).
 */
struct rename {
    const char *from_module;
    const char *from_name;
    const char *module;
    const char *name;
};

/* NAME_MAPPING, but for the exceptions below */
static const struct rename renamed_globals[] = {
    {"__builtin__", "basestring", "builtins", "str"},
    {"__builtin__", "intern", "sys", "intern"},
    {"__builtin__", "long", "builtins", "int"},
    {"__builtin__", "reduce", "functools", "reduce"},
    {"__builtin__", "unichr", "builtins", "chr"},
    {"__builtin__", "unicode", "builtins", "str"},
    {"__builtin__", "xrange", "builtins", "range"},
    {"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
    {"_socket", "fromfd", "socket", "fromfd"},
    {"exceptions", "StandardError", "builtins", "Exception"},
    {"itertools", "ifilter", "builtins", "filter"},
    {"itertools", "ifilterfalse", "itertools", "filterfalse"},
    {"itertools", "imap", "builtins", "map"},
    {"itertools", "izip", "builtins", "zip"},
    {"itertools", "izip_longest", "itertools", "zip_longest"},
    {"multiprocessing", "AuthenticationError", "multiprocessing.context",
     "AuthenticationError"},
    {"multiprocessing", "BufferTooShort", "multiprocessing.context", "BufferTooShort"},
    {"multiprocessing", "ProcessError", "multiprocessing.context", "ProcessError"},
    {"multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError"},
    {"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
    {"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
    {"socket", "_socketobject", "socket", "SocketType"},
    {"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
    {"urllib", "getproxies", "urllib.request", "getproxies"},
    {"urllib", "pathname2url", "urllib.request", "pathname2url"},
    {"urllib", "quote", "urllib.parse", "quote"},
    {"urllib", "quote_plus", "urllib.parse", "quote_plus"},
    {"urllib", "unquote", "urllib.parse", "unquote"},
    {"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
    {"urllib", "url2pathname", "urllib.request", "url2pathname"},
    {"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
    {"urllib", "urlencode", "urllib.parse", "urlencode"},
    {"urllib", "urlopen", "urllib.request", "urlopen"},
    {"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
    {"urllib2", "HTTPError", "urllib.error", "HTTPError"},
    {"urllib2", "URLError", "urllib.error", "URLError"},
    {"whichdb", "whichdb", "dbm", "whichdb"},
};

/* NAME_MAPPING's exceptions.X -> builtins.X (PYTHON2_EXCEPTIONS;
 * WindowsError only where Python runs on Windows) */
static const char *const py2_exceptions[] = {
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BufferError",
    "BytesWarning", "DeprecationWarning", "EOFError", "EnvironmentError", "Exception",
    "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
    "ImportWarning", "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt",
    "LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError",
    "OverflowError", "PendingDeprecationWarning", "ReferenceError", "RuntimeError",
    "RuntimeWarning", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError",
    "SystemExit", "TabError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
    "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "UnicodeWarning",
    "UserWarning", "ValueError", "Warning", "ZeroDivisionError", "WindowsError",
};

/* IMPORT_MAPPING: whole module names, not their submodules */
static const struct {
    const char *from_module;
    const char *module;
} renamed_modules[] = {
    {"BaseHTTPServer", "http.server"},
    {"CGIHTTPServer", "http.server"},
    {"ConfigParser", "configparser"},
    {"Cookie", "http.cookies"},
    {"Dialog", "tkinter.dialog"},
    {"DocXMLRPCServer", "xmlrpc.server"},
    {"FileDialog", "tkinter.filedialog"},
    {"HTMLParser", "html.parser"},
    {"Queue", "queue"},
    {"ScrolledText", "tkinter.scrolledtext"},
    {"SimpleDialog", "tkinter.simpledialog"},
    {"SimpleHTTPServer", "http.server"},
    {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"SocketServer", "socketserver"},
    {"StringIO", "io"},
    {"Tix", "tkinter.tix"},
    {"Tkconstants", "tkinter.constants"},
    {"Tkdnd", "tkinter.dnd"},
    {"Tkinter", "tkinter"},
    {"UserDict", "collections"},
    {"UserList", "collections"},
    {"UserString", "collections"},
    {"__builtin__", "builtins"},
    {"_abcoll", "collections.abc"},
    {"_elementtree", "xml.etree.ElementTree"},
    {"_winreg", "winreg"},
    {"anydbm", "dbm"},
    {"cPickle", "pickle"},
    {"cStringIO", "io"},
    {"commands", "subprocess"},
    {"cookielib", "http.cookiejar"},
    {"copy_reg", "copyreg"},
    {"dbhash", "dbm.bsd"},
    {"dbm", "dbm.ndbm"},
    {"dumbdbm", "dbm.dumb"},
    {"dummy_thread", "_dummy_thread"},
    {"gdbm", "dbm.gnu"},
    {"htmlentitydefs", "html.entities"},
    {"httplib", "http.client"},
    {"markupbase", "_markupbase"},
    {"repr", "reprlib"},
    {"robotparser", "urllib.robotparser"},
    {"test.test_support", "test.support"},
    {"thread", "_thread"},
    {"tkColorChooser", "tkinter.colorchooser"},
    {"tkCommonDialog", "tkinter.commondialog"},
    {"tkFileDialog", "tkinter.filedialog"},
    {"tkFont", "tkinter.font"},
    {"tkMessageBox", "tkinter.messagebox"},
    {"tkSimpleDialog", "tkinter.simpledialog"},
    {"ttk", "tkinter.ttk"},
    {"urllib2", "urllib.request"},
    {"urlparse", "urllib.parse"},
    {"whichdb", "dbm"},
    {"xmlrpclib", "xmlrpc.client"},
};

static bool eq(const char *s, size_t len, const char *z)
{
    return strlen(z) == len && memcmp(s, z, len) == 0;
}

/* `module` is z or a submodule of z. */
static bool in_module(const char *module, size_t mlen, const char *z)
{
    const size_t zl = strlen(z);
    return mlen >= zl && memcmp(module, z, zl) == 0 && (mlen == zl || module[zl] == '.');
}

static bool listed(const struct gname *list, size_t n, const char *module, size_t mlen,
                   const char *name, size_t nlen)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (list[i].name == NULL ? in_module(module, mlen, list[i].module)
                                 : (eq(module, mlen, list[i].module) &&
                                    eq(name, nlen, list[i].name))) {
            return true;
        }
    }
    return false;
}

/*
 * A name part with a dot: what Python reaches with it, and why it is refused.
 *
 * CPython's Unpickler.find_class (Lib/pickle.py; _pickle.c's find_class does
 * the same) runs __import__(module), then, when the pickle's protocol is 4 or
 * more, _getattribute(sys.modules[module], name): one getattr per
 * dot-separated part of the name, each on the object the previous one gave.
 * Below protocol 4 it is a single getattr of the whole name, which fails on
 * the dot. GLOBAL, STACK_GLOBAL and INST all go through find_class, and the
 * protocol is whatever the last PROTO opcode said, wherever in the stream it
 * came (checked on CPython 3.11, both implementations). So
 * "\x80\x04ctorch\nos.system\n" is torch.os, the os module that torch
 * imported, then its system: os.system. Likewise torch + builtins.eval is
 * builtins.eval, torch + hub.load is torch.hub.load (which downloads and runs
 * a repository's code), torch + _utils.os.system is os.system wherever
 * torch._utils imports os.
 *
 * A module's attributes include every module it imported, and every object
 * has __class__ (a class has __subclasses__, a function __globals__), so a
 * dotted name can reach any callable whatever its first part says: what an
 * attribute chain holds is not something the names alone can vouch for.
 * Every dotted name is taken as resolved, and refused, whatever the
 * protocol (below 4 Python fails on it, so no checkpoint needs one):
 *  - through an attribute that is not on the allow-list (torch.os,
 *    torch.hub, builtins.object.__subclasses__, ...): it reaches what that
 *    attribute holds, which nothing here can know;
 *  - with an empty part (a..b, a leading or trailing dot): Python fails on
 *    it, and nothing a checkpoint needs is spelled that way;
 *  - even when it spells an allow-listed global from a parent module (torch
 *    + _utils._rebuild_tensor_v2). Python would reach the same function, as
 *    long as the package's __init__ has not bound that attribute to
 *    something else, but no writer produces it: pickle's save_global writes
 *    obj.__module__ and obj.__qualname__, and every allow-listed global is
 *    defined at the top of its module, so its qualname has no dot. Such a
 *    name is therefore hand-made, and the allow-list stays a list of exact
 *    (module, name) pairs.
 * --allow-unsafe-pickle reads such a file anyway, as for any unsafe global.
 */
static bool dotted(const char *name, size_t nlen)
{
    return memchr(name, '.', nlen) != NULL;
}

bool mm_pickle_fix_import(const char **module, size_t *mlen, const char **name, size_t *nlen,
                          unsigned proto)
{
    size_t i;
    if (proto >= 3) {
        return false;
    }
    for (i = 0; i < sizeof(renamed_globals) / sizeof(renamed_globals[0]); i++) {
        if (eq(*module, *mlen, renamed_globals[i].from_module) &&
            eq(*name, *nlen, renamed_globals[i].from_name)) {
            *module = renamed_globals[i].module;
            *name = renamed_globals[i].name;
            *mlen = strlen(*module);
            *nlen = strlen(*name);
            return true;
        }
    }
    if (eq(*module, *mlen, "exceptions")) {
        for (i = 0; i < sizeof(py2_exceptions) / sizeof(py2_exceptions[0]); i++) {
            if (eq(*name, *nlen, py2_exceptions[i])) {
                *module = "builtins";
                *name = py2_exceptions[i];
                *mlen = strlen(*module);
                return true;
            }
        }
    }
    for (i = 0; i < sizeof(renamed_modules) / sizeof(renamed_modules[0]); i++) {
        if (eq(*module, *mlen, renamed_modules[i].from_module)) {
            *module = renamed_modules[i].module;
            *mlen = strlen(*module);
            return true;
        }
    }
    return false;
}

/*
 * Below protocol 3 the global classified is the one Python imports
 * (mm_pickle_fix_import): __builtin__.eval is builtins.eval, unsafe;
 * copy_reg._reconstructor is copyreg._reconstructor, allowed. The name as
 * the pickle spells it is still refused when it is on the deny-list
 * (__builtin__.execfile, which Python 3 maps to a builtins.execfile it does
 * not have): mapping never makes a global safer than it was.
 */
enum mm_global_class mm_pickle_classify(const char *module, size_t mlen, const char *name,
                                        size_t nlen, unsigned proto)
{
    size_t i;
    if (dotted(name, nlen)) {
        return MM_GLOBAL_UNSAFE;
    }
    if (listed(unsafe, sizeof(unsafe) / sizeof(unsafe[0]), module, mlen, name, nlen)) {
        return MM_GLOBAL_UNSAFE;
    }
    if (mm_pickle_fix_import(&module, &mlen, &name, &nlen, proto) &&
        listed(unsafe, sizeof(unsafe) / sizeof(unsafe[0]), module, mlen, name, nlen)) {
        return MM_GLOBAL_UNSAFE;
    }
    if (listed(safe, sizeof(safe) / sizeof(safe[0]), module, mlen, name, nlen)) {
        return MM_GLOBAL_SAFE;
    }
    /* torch.FloatStorage ... torch.UntypedStorage, torch.cuda.HalfStorage */
    if ((eq(module, mlen, "torch") || eq(module, mlen, "torch.cuda")) && nlen > 7 &&
        memcmp(name + nlen - 7, "Storage", 7) == 0) {
        return MM_GLOBAL_SAFE;
    }
    if (eq(module, mlen, "torch")) {
        for (i = 0; i < sizeof(torch_dtypes) / sizeof(torch_dtypes[0]); i++) {
            if (eq(name, nlen, torch_dtypes[i])) {
                return MM_GLOBAL_SAFE;
            }
        }
    }
    return MM_GLOBAL_UNKNOWN;
}
