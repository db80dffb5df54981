/* The common case of SegmentMapping._envelope (mapping.py), out of the interpreter.
 *
 * envelope(message, given, name, now, versions, cities, apps, library_apps) returns the
 * envelope dict mapping.py's _envelope returns for a decoded SegmentMessage `message`, its
 * (merged) SegmentContext `given` and the catalogue event `name`, or None for any case it
 * does not handle: then mapping.py's Python path runs, unchanged. mapping.py stays the
 * reference; the tests compare both on every case they can think of. Handled here (the
 * rows of the mapping table in docs/segment-api.md the SDKs and the benchmark send):
 *
 *   context.app.name in APPS, or else context.library.name a key of LIBRARY_APPS
 *                                                  -> context.app
 *   context.os.name, else the library, else the app -> context.platform
 *   context.location.city by the cities table        -> context.city | location_city
 *   context.locale / app.version (str) / referrer.type -> locale / app_version / referrer_kind
 *   context.rastup {v, session_id, ids}, context.sessionId -> v, session_id, ids
 *   messageId, a 36-character UUID                   -> ids.event_id (lower case)
 *   userId / anonymousId (str or int)                -> user_id / anon_id (u_ / a_ prefix)
 *   timestamp, else originalTimestamp, else now      -> occurred_at
 *   properties                                       -> payload
 *
 * Not handled (None): an app that cannot be told (quarantine), a name to lower-case, a
 * library not spelled as a key of LIBRARY_APPS, a messageId that is not a UUID (name-based
 * ids need the message's text), context.rastup that is not a dict, ids of other types.
 * Nothing is changed before the answer is known, except the message's own ids dict, which
 * mapping.py completes in place too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

enum { FAIL = -1, FALLBACK = 0, DONE = 1 };

/* Interned attribute names and keys, made once at module init. */
static PyObject *a_app, *a_library, *a_os, *a_location, *a_locale, *a_referrer;
static PyObject *a_sessionId, *a_rastup, *a_name, *a_version, *a_city, *a_type;
static PyObject *a_event, *a_properties, *a_userId, *a_anonymousId, *a_timestamp;
static PyObject *a_originalTimestamp, *a_messageId;
static PyObject *k_v, *k_occurred_at, *k_user_id, *k_anon_id, *k_session_id, *k_context;
static PyObject *k_ids, *k_payload, *k_event_id, *k_platform, *k_location_city;
static PyObject *k_app_version, *k_referrer_kind, *m_strip, *m_lower, *p_u, *p_a, *p_s;
static PyObject *one; /* the version of an event the versions table does not name */

static const struct { PyObject **slot; const char *text; } NAMES[] = {
    {&a_app, "app"}, {&a_library, "library"}, {&a_os, "os"}, {&a_location, "location"},
    {&a_locale, "locale"}, {&a_referrer, "referrer"}, {&a_sessionId, "sessionId"},
    {&a_rastup, "rastup"}, {&a_name, "name"}, {&a_version, "version"}, {&a_city, "city"},
    {&a_type, "type"}, {&a_event, "event"}, {&a_properties, "properties"},
    {&a_userId, "userId"}, {&a_anonymousId, "anonymousId"}, {&a_timestamp, "timestamp"},
    {&a_originalTimestamp, "originalTimestamp"}, {&a_messageId, "messageId"},
    {&k_v, "v"}, {&k_occurred_at, "occurred_at"}, {&k_user_id, "user_id"},
    {&k_anon_id, "anon_id"}, {&k_session_id, "session_id"}, {&k_context, "context"},
    {&k_ids, "ids"}, {&k_payload, "payload"}, {&k_event_id, "event_id"},
    {&k_platform, "platform"}, {&k_location_city, "location_city"},
    {&k_app_version, "app_version"}, {&k_referrer_kind, "referrer_kind"},
    {&m_strip, "strip"}, {&m_lower, "lower"}, {&p_u, "u_"}, {&p_a, "a_"}, {&p_s, "s_"},
};

typedef struct {
    PyObject *versions, *cities, *apps, *library_apps;
} Tables;

/* An attribute of a struct, or NULL (error) ; a None struct has only None fields. */
static PyObject *field(PyObject *owner, PyObject *name)
{
    if (owner == Py_None) {
        return Py_NewRef(Py_None);
    }
    return PyObject_GetAttr(owner, name);
}

/* A dict's value for key, borrowed, or NULL (absent; check PyErr_Occurred). */
static PyObject *lookup(PyObject *dict, PyObject *key)
{
    return PyDict_GetItemWithError(dict, key);
}

/* True when every character of s is a letter, digit, _ or - (mapping.py's _ID_CHARS). */
static int all_id_chars(PyObject *s)
{
    if (!PyUnicode_IS_ASCII(s)) {
        return 0;
    }
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(s); i++) {
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z')
              || (c[i] >= '0' && c[i] <= '9') || c[i] == '_' || c[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

/* person_id() of mapping.py: an id with its prefix as it is, "" or None as None, an int or
 * an id of letters, digits, _ and - with the prefix put in front, any other str unchanged.
 * Other types: FALLBACK. */
static int person_id(PyObject *value, PyObject *prefix, PyObject **out)
{
    PyObject *text;
    if (value == Py_None) {
        *out = Py_NewRef(Py_None);
        return DONE;
    }
    if (PyLong_CheckExact(value)) { /* str(value) is digits, maybe after a minus sign */
        text = PyObject_Str(value);
    } else if (PyUnicode_CheckExact(value)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(value);
        if (n == 0) {
            *out = Py_NewRef(Py_None);
            return DONE;
        }
        if ((n >= 2 && PyUnicode_READ_CHAR(value, 0) == PyUnicode_READ_CHAR(prefix, 0)
             && PyUnicode_READ_CHAR(value, 1) == '_')
            || !all_id_chars(value)) {
            *out = Py_NewRef(value); /* prefixed already, or for the validator to judge */
            return DONE;
        }
        text = Py_NewRef(value);
    } else {
        return FALLBACK;
    }
    if (text == NULL) {
        return FAIL;
    }
    *out = PyUnicode_Concat(prefix, text);
    Py_DECREF(text);
    return *out != NULL ? DONE : FAIL;
}

/* True when s is a 36-character UUID in canonical form (either case). */
static int is_uuid(PyObject *s)
{
    if (!PyUnicode_CheckExact(s) || PyUnicode_GET_LENGTH(s) != 36 || !PyUnicode_IS_ASCII(s)) {
        return 0;
    }
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    for (int i = 0; i < 36; i++) {
        int hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        int hex = (c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f')
                  || (c[i] >= 'A' && c[i] <= 'F');
        if (hyphen ? c[i] != '-' : !hex) {
            return 0;
        }
    }
    return 1;
}

/* The UUID in lower case: the same object when it already is. */
static PyObject *lower_uuid(PyObject *s)
{
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    int upper = 0;
    for (int i = 0; i < 36; i++) {
        upper |= c[i] >= 'A' && c[i] <= 'F';
    }
    if (!upper) {
        return Py_NewRef(s);
    }
    PyObject *lowered = PyUnicode_New(36, 127);
    if (lowered == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(lowered);
    for (int i = 0; i < 36; i++) {
        out[i] = (c[i] >= 'A' && c[i] <= 'F') ? (Py_UCS1)(c[i] + 32) : c[i];
    }
    return lowered;
}

/* context.app: the app named (exactly one of APPS), else the library's app (the library
 * spelled as a key of LIBRARY_APPS, whose keys are lower case). Anything else: FALLBACK,
 * where mapping.py lower-cases the names or quarantines the message. */
static int app_of(PyObject *name, PyObject *library, const Tables *t, PyObject **out)
{
    if (name != Py_None) {
        if (!PyUnicode_CheckExact(name)) {
            return FALLBACK;
        }
        int known = PySet_Contains(t->apps, name);
        if (known != 0) {
            *out = known > 0 ? Py_NewRef(name) : NULL;
            return known > 0 ? DONE : FAIL;
        }
    }
    if (!PyUnicode_CheckExact(library)) {
        return FALLBACK;
    }
    PyObject *app = lookup(t->library_apps, library);
    if (app == NULL) {
        return PyErr_Occurred() ? FAIL : FALLBACK;
    }
    if (name != Py_None) { /* a display name: is it an app in another case? Python's turn */
        return FALLBACK;
    }
    *out = Py_NewRef(app);
    return DONE;
}

/* The city code of `city` (the table's keys are lower-case codes and names): the exact
 * key, else the stripped lower-case one; NULL with no error when the table has none. */
static PyObject *city_code(PyObject *city, PyObject *cities)
{
    PyObject *code = lookup(cities, city);
    int truthy = code != NULL ? PyObject_IsTrue(code) : PyErr_Occurred() ? -1 : 0;
    if (truthy != 0) {
        return truthy > 0 ? Py_NewRef(code) : NULL;
    }
    PyObject *stripped = PyObject_CallMethodNoArgs(city, m_strip);
    if (stripped == NULL) {
        return NULL;
    }
    PyObject *key = PyObject_CallMethodNoArgs(stripped, m_lower);
    Py_DECREF(stripped);
    if (key == NULL) {
        return NULL;
    }
    code = lookup(cities, key); /* borrowed from the table, not from the key */
    Py_DECREF(key);
    return Py_XNewRef(code);
}

/* context.city (a code of the cities table) or context.location_city (any other name). */
static int add_city(PyObject *context, PyObject *given, PyObject *cities)
{
    PyObject *location = PyObject_GetAttr(given, a_location);
    PyObject *city = location != NULL ? field(location, a_city) : NULL;
    Py_XDECREF(location);
    if (city == NULL) {
        return FAIL;
    }
    int status = DONE;
    if (PyUnicode_CheckExact(city) && PyUnicode_GET_LENGTH(city) > 0) {
        PyObject *code = city_code(city, cities);
        if (code == NULL && PyErr_Occurred()) {
            status = FAIL;
        } else if (code != NULL) {
            status = PyDict_SetItem(context, a_city, code) < 0 ? FAIL : DONE;
        } else {
            status = PyDict_SetItem(context, k_location_city, city) < 0 ? FAIL : DONE;
        }
        Py_XDECREF(code);
    }
    Py_DECREF(city);
    return status;
}

/* Sets context[key] = value when value is not None. */
static int set_given(PyObject *context, PyObject *key, PyObject *value)
{
    if (value == NULL) {
        return FAIL;
    }
    int status = value == Py_None || PyDict_SetItem(context, key, value) == 0 ? DONE : FAIL;
    Py_DECREF(value);
    return status;
}

/* locale, app_version (a str; other versions: FALLBACK, Python's str()) and referrer_kind. */
static int describe(PyObject *context, PyObject *given, PyObject *app_info)
{
    if (set_given(context, a_locale, PyObject_GetAttr(given, a_locale)) != DONE) {
        return FAIL;
    }
    PyObject *version = field(app_info, a_version);
    if (version != NULL && version != Py_None && !PyUnicode_CheckExact(version)) {
        Py_DECREF(version);
        return FALLBACK;
    }
    if (set_given(context, k_app_version, version) != DONE) {
        return FAIL;
    }
    PyObject *referrer = PyObject_GetAttr(given, a_referrer);
    if (referrer == NULL) {
        return FAIL;
    }
    PyObject *kind = field(referrer, a_type);
    Py_DECREF(referrer);
    return set_given(context, k_referrer_kind, kind);
}

/* context.platform: os.name, else the library, else the app (the first that is not
 * empty), or NULL (FALLBACK) for names that are not str. */
static PyObject *platform_of(PyObject *os_name, PyObject *library, PyObject *app)
{
    PyObject *names[] = {os_name, library};
    for (int i = 0; i < 2; i++) {
        if (names[i] != Py_None && !PyUnicode_CheckExact(names[i])) {
            return NULL;
        }
        if (names[i] != Py_None && PyUnicode_GET_LENGTH(names[i]) > 0) {
            return names[i];
        }
    }
    return app;
}

/* The envelope's context (app, platform, then city, locale, app_version, referrer_kind). */
static int build_context(PyObject *given, const Tables *t, PyObject **out)
{
    PyObject *app_info = PyObject_GetAttr(given, a_app);
    PyObject *lib = app_info != NULL ? PyObject_GetAttr(given, a_library) : NULL;
    PyObject *os = lib != NULL ? PyObject_GetAttr(given, a_os) : NULL;
    PyObject *name = os != NULL ? field(app_info, a_name) : NULL;
    PyObject *library = name != NULL ? field(lib, a_name) : NULL;
    PyObject *os_name = library != NULL ? field(os, a_name) : NULL;
    PyObject *app = NULL, *context = NULL;
    int status = os_name == NULL ? FAIL : app_of(name, library, t, &app);
    if (status == DONE) {
        PyObject *platform = platform_of(os_name, library, app);
        context = platform == NULL ? NULL : PyDict_New();
        status = platform == NULL ? FALLBACK : context == NULL ? FAIL : DONE;
        if (status == DONE && (PyDict_SetItem(context, a_app, app) < 0
                               || PyDict_SetItem(context, k_platform, platform) < 0)) {
            status = FAIL;
        }
    }
    if (status == DONE) {
        status = add_city(context, given, t->cities);
    }
    if (status == DONE) {
        status = describe(context, given, app_info);
    }
    Py_XDECREF(app_info); Py_XDECREF(lib); Py_XDECREF(os); Py_XDECREF(name);
    Py_XDECREF(library); Py_XDECREF(os_name); Py_XDECREF(app);
    if (status != DONE) {
        Py_XDECREF(context);
        return status;
    }
    *out = context;
    return DONE;
}

/* v, session_id and ids from context.rastup (a dict, or FALLBACK) and context.sessionId:
 * replaces *version, sets *session (new references) and *ids (borrowed: the dict is the
 * message's own, held by its struct) when rastup names them. */
static int extras(PyObject *rastup, PyObject *sid, PyObject **version, PyObject **session,
                  PyObject **ids)
{
    PyObject *session_id = sid;
    if (rastup != Py_None) {
        if (!PyDict_CheckExact(rastup)) {
            return FALLBACK;
        }
        PyObject *named = lookup(rastup, k_v);
        if (named != NULL && named != Py_None) {
            Py_SETREF(*version, Py_NewRef(named));
        }
        PyObject *given_session = lookup(rastup, k_session_id);
        session_id = given_session != NULL ? given_session : session_id;
        PyObject *found = lookup(rastup, k_ids);
        *ids = found != NULL && PyDict_CheckExact(found) ? found : NULL;
        if (PyErr_Occurred()) {
            return FAIL;
        }
    }
    return person_id(session_id, p_s, session);
}

/* occurred_at: timestamp, else originalTimestamp, else now (the first that is truthy). */
static PyObject *occurred_at(PyObject *message, PyObject *now)
{
    PyObject *names[] = {a_timestamp, a_originalTimestamp};
    for (int i = 0; i < 2; i++) {
        PyObject *value = PyObject_GetAttr(message, names[i]);
        int truthy = value == NULL ? -1 : PyObject_IsTrue(value);
        if (truthy != 0) {
            if (truthy < 0) {
                Py_XDECREF(value);
                return NULL;
            }
            return value;
        }
        Py_DECREF(value);
    }
    return Py_NewRef(now);
}

/* The envelope dict, in mapping.py's key order; steals every value. */
static PyObject *assemble(PyObject *values[9])
{
    static PyObject **const keys[9] = {&a_event, &k_v, &k_occurred_at, &k_user_id,
                                       &k_anon_id, &k_session_id, &k_context, &k_ids,
                                       &k_payload};
    PyObject *envelope = PyDict_New();
    for (int i = 0; i < 9; i++) {
        if (envelope != NULL && PyDict_SetItem(envelope, *keys[i], values[i]) < 0) {
            Py_CLEAR(envelope);
        }
        Py_DECREF(values[i]);
    }
    return envelope;
}

/* event_id (the messageId as a lower-case UUID) into ids, the message's own dict, or a
 * new one. A new reference to the ids dict. */
static PyObject *complete_ids(PyObject *ids, PyObject *message_id)
{
    PyObject *event_id = lower_uuid(message_id);
    if (event_id == NULL) {
        return NULL;
    }
    PyObject *out = ids != NULL ? Py_NewRef(ids) : PyDict_New();
    if (out != NULL && PyDict_SetItem(out, k_event_id, event_id) < 0) {
        Py_CLEAR(out);
    }
    Py_DECREF(event_id);
    return out;
}

/* Everything but the context, in envelope order into `values` (new references); v is
 * there already. Nothing is changed unless the answer is DONE. */
static int fill(PyObject *message, PyObject *given, PyObject *values[9], PyObject *now)
{
    PyObject *ids = NULL, *message_id = PyObject_GetAttr(message, a_messageId);
    if (message_id == NULL) {
        return FAIL;
    }
    int status = is_uuid(message_id) ? DONE : FALLBACK; /* else a name-based id: Python's */
    PyObject *rastup = NULL, *sid = NULL, *user = NULL, *anon = NULL;
    if (status == DONE && ((rastup = PyObject_GetAttr(given, a_rastup)) == NULL
                           || (sid = PyObject_GetAttr(given, a_sessionId)) == NULL)) {
        status = FAIL;
    }
    if (status == DONE && rastup == Py_None && sid == Py_None) { /* what the SDKs send */
        values[5] = Py_NewRef(Py_None);
    } else if (status == DONE) {
        status = extras(rastup, sid, &values[1], &values[5], &ids);
    }
    if (status == DONE && ((user = PyObject_GetAttr(message, a_userId)) == NULL
                           || (anon = PyObject_GetAttr(message, a_anonymousId)) == NULL)) {
        status = FAIL;
    }
    if (status == DONE) {
        status = person_id(user, p_u, &values[3]);
    }
    if (status == DONE) {
        status = person_id(anon, p_a, &values[4]);
    }
    if (status == DONE) { /* the last step: completes the message's own ids in place */
        values[2] = occurred_at(message, now);
        values[8] = values[2] == NULL ? NULL : PyObject_GetAttr(message, a_properties);
        values[7] = values[8] == NULL ? NULL : complete_ids(ids, message_id);
        status = values[7] == NULL ? FAIL : DONE;
    }
    Py_XDECREF(rastup); Py_XDECREF(sid); Py_XDECREF(user); Py_XDECREF(anon);
    Py_DECREF(message_id);
    return status;
}

static PyObject *envelope(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 8) {
        PyErr_Format(PyExc_TypeError, "envelope() takes 8 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *message = args[0], *given = args[1], *name = args[2], *now = args[3];
    Tables t = {args[4], args[5], args[6], args[7]};
    if (!PyDict_CheckExact(t.versions) || !PyDict_CheckExact(t.cities)
        || !PyAnySet_CheckExact(t.apps) || !PyDict_CheckExact(t.library_apps)) {
        Py_RETURN_NONE;
    }
    PyObject *values[9] = {NULL};
    int status = build_context(given, &t, &values[6]);
    if (status == DONE) {
        PyObject *version = lookup(t.versions, name);
        values[0] = Py_NewRef(name);
        values[1] = Py_NewRef(version != NULL ? version : one);
        status = PyErr_Occurred() ? FAIL : fill(message, given, values, now);
    }
    if (status == DONE) {
        if (values[8] == Py_None) { /* no properties: an empty payload */
            Py_SETREF(values[8], PyDict_New());
            if (values[8] == NULL) {
                status = FAIL;
            }
        }
    }
    if (status == DONE) {
        return assemble(values);
    }
    for (int i = 0; i < 9; i++) {
        Py_XDECREF(values[i]);
    }
    if (status == FAIL) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"envelope", (PyCFunction)(void (*)(void))envelope, METH_FASTCALL,
     "envelope(message, given, name, now, versions, cities, apps, library_apps)\n--\n\n"
     "The envelope SegmentMapping._envelope returns, or None for a case left to it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fastmap = {
    PyModuleDef_HEAD_INIT, "rastup_data.collector.segment._fastmap",
    "The common case of the Segment mapping in C (see mapping.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastmap(void)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        *NAMES[i].slot = PyUnicode_InternFromString(NAMES[i].text);
        if (*NAMES[i].slot == NULL) {
            return NULL;
        }
    }
    one = PyLong_FromLong(1);
    return one == NULL ? NULL : PyModule_Create(&fastmap);
}
