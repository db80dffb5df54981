/* The common case of the Segment mapping (mapping.py) out of the interpreter.
 *
 * track(message, call, shared, now, versions, cities, apps, library_apps) returns the
 * envelope dict SegmentMapping.envelope returns for a track call naming a catalogue event
 * (keys in its order), or None for any case not handled here, which mapping.py (the
 * reference) then maps. Handled (the rows of docs/segment-api.md's table the SDKs send):
 *   context.app.name one of APPS, else context.library.name a key of LIBRARY_APPS -> app
 *   context.os.name, else the library, else the app           -> context.platform
 *   context.location.city through the cities table            -> city | location_city
 *   context.locale, app.version (a str), referrer.type        -> locale, app_version, referrer_kind
 *   context.rastup (a dict: v, session_id, ids), context.sessionId -> v, session_id, ids
 *   messageId, a UUID                                         -> ids.event_id, lower case
 *   userId / anonymousId (str or int)                         -> user_id / anon_id, prefixed
 *   timestamp, else originalTimestamp, else now; properties   -> occurred_at; payload
 * Left to Python: an app that cannot be told (quarantine), names to lower-case, a messageId
 * that is not a UUID (its name-based id may need the text), a batch's shared context,
 * identify and alias calls, other types. Nothing is changed before the answer is known but the message's own ids dict,
 * completed in place as mapping.py does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX: how msgspec declares a struct's fields */

enum { FAIL = -1, FALLBACK = 0, DONE = 1 };

/* Interned attribute names and keys, made once at module init. */
static PyObject *a_app, *a_library, *a_os, *a_location, *a_locale, *a_referrer;
static PyObject *a_sessionId, *a_rastup, *a_name, *a_version, *a_city, *a_type;
static PyObject *a_event, *a_properties, *a_userId, *a_anonymousId, *a_timestamp;
static PyObject *a_originalTimestamp, *a_messageId, *a_track;
static PyObject *k_v, *k_occurred_at, *k_user_id, *k_anon_id, *k_session_id, *k_context;
static PyObject *k_ids, *k_payload, *k_event_id, *k_platform, *k_location_city;
static PyObject *k_app_version, *k_referrer_kind, *m_strip, *m_lower, *p_u, *p_a, *p_s;

static const struct { PyObject **slot; const char *text; } NAMES[] = {
    {&a_app, "app"}, {&a_library, "library"}, {&a_os, "os"}, {&a_location, "location"},
    {&a_locale, "locale"}, {&a_referrer, "referrer"}, {&a_sessionId, "sessionId"},
    {&a_rastup, "rastup"}, {&a_name, "name"}, {&a_version, "version"}, {&a_city, "city"},
    {&a_type, "type"}, {&a_event, "event"}, {&a_properties, "properties"},
    {&a_userId, "userId"}, {&a_anonymousId, "anonymousId"}, {&a_timestamp, "timestamp"},
    {&a_originalTimestamp, "originalTimestamp"}, {&a_messageId, "messageId"}, {&a_track, "track"},
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

/* A field of one of wire.py's msgspec structs: read at its offset in the object (the
 * struct type's member descriptor, found at import) when the object is of that type, else
 * by name. */
typedef struct {
    const char *type_name;
    PyObject **name;
    PyTypeObject *type; /* NULL: always by name */
    Py_ssize_t offset;
} Slot;

#define SLOT(type, name) {#type, &name, NULL, 0}
static Slot M_TYPE = SLOT(SegmentMessage, a_type), M_EVENT = SLOT(SegmentMessage, a_event),
            M_PROPERTIES = SLOT(SegmentMessage, a_properties),
            M_USER = SLOT(SegmentMessage, a_userId), M_ANON = SLOT(SegmentMessage, a_anonymousId),
            M_TIMESTAMP = SLOT(SegmentMessage, a_timestamp),
            M_ORIGINAL = SLOT(SegmentMessage, a_originalTimestamp),
            M_MESSAGE_ID = SLOT(SegmentMessage, a_messageId),
            M_CONTEXT = SLOT(SegmentMessage, k_context), C_APP = SLOT(SegmentContext, a_app),
            C_LIBRARY = SLOT(SegmentContext, a_library), C_OS = SLOT(SegmentContext, a_os),
            C_LOCATION = SLOT(SegmentContext, a_location),
            C_LOCALE = SLOT(SegmentContext, a_locale),
            C_REFERRER = SLOT(SegmentContext, a_referrer),
            C_SESSION = SLOT(SegmentContext, a_sessionId),
            C_RASTUP = SLOT(SegmentContext, a_rastup), APP_NAME = SLOT(SegmentApp, a_name),
            APP_VERSION = SLOT(SegmentApp, a_version), NAMED_NAME = SLOT(SegmentNamed, a_name),
            LOCATION_CITY = SLOT(SegmentLocation, a_city),
            REFERRER_TYPE = SLOT(SegmentReferrer, a_type);

static Slot *const SLOTS[] = {
    &M_EVENT, &M_PROPERTIES, &M_USER, &M_ANON, &M_TIMESTAMP, &M_ORIGINAL, &M_MESSAGE_ID,
    &C_APP, &C_LIBRARY, &C_OS, &C_LOCATION, &C_LOCALE, &C_REFERRER, &C_SESSION, &C_RASTUP,
    &APP_NAME, &APP_VERSION, &NAMED_NAME, &LOCATION_CITY, &REFERRER_TYPE, &M_TYPE, &M_CONTEXT,
};

/* A field's value (a new reference), or NULL (error); a None struct has only None fields. */
static PyObject *field(PyObject *owner, const Slot *slot)
{
    if (owner == Py_None) return Py_NewRef(Py_None);
    if (Py_TYPE(owner) == slot->type) {
        PyObject *value = *(PyObject **)((char *)owner + slot->offset);
        if (value != NULL) return Py_NewRef(value);
    }
    return PyObject_GetAttr(owner, *slot->name);
}

/* Finds each slot's offset from its struct type's member descriptor; a slot whose
 * descriptor is not a plain object member stays read by name. */
static int resolve_slots(void)
{
    PyObject *wire = PyImport_ImportModule("rastup_data.collector.segment.wire");
    if (wire == NULL) return -1;
    for (size_t i = 0; i < sizeof SLOTS / sizeof SLOTS[0]; i++) {
        Slot *slot = SLOTS[i];
        PyObject *type = PyObject_GetAttrString(wire, slot->type_name);
        PyObject *descr = type != NULL ? PyObject_GetAttr(type, *slot->name) : NULL;
        if (descr == NULL) {
            Py_XDECREF(type);
            Py_DECREF(wire);
            return -1;
        }
        if (PyType_Check(type) && Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
            if (member->type == T_OBJECT_EX || member->type == T_OBJECT) {
                slot->type = (PyTypeObject *)type;
                slot->offset = member->offset;
            }
        }
        Py_DECREF(descr);
        Py_DECREF(type); /* the module keeps the type */
    }
    Py_DECREF(wire);
    return 0;
}

/* A dict's value for key, borrowed, or NULL (absent; check PyErr_Occurred). */
#define lookup PyDict_GetItemWithError

/* Each byte's class: HEX_LOWER (a digit or a-f), HEX_UPPER (A-F), HEX (either), ID (a
 * letter, digit, _ or -: mapping.py's _ID_CHARS), filled at import. */
enum { HEX_LOWER = 1, HEX_UPPER = 2, ID = 4, HEX = 8 /* either */ };
static unsigned char CLASS[256];

/* True when every character of s is an ID character. */
static int all_id_chars(PyObject *s)
{
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(s);
    while (i < n && (CLASS[c[i]] & ID)) {
        i++;
    }
    return PyUnicode_IS_ASCII(s) && i == n;
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
    if (text == NULL) return FAIL;
    *out = PyUnicode_Concat(prefix, text);
    Py_DECREF(text);
    return *out != NULL ? DONE : FAIL;
}

/* Where a UUID's 32 hex digits are in its text (hyphens at 8, 13, 18 and 23). */
static const unsigned char HEX_AT[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11,
                                         12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25,
                                         26, 27, 28, 29, 30, 31, 32, 33, 34, 35};

/* 1 when s is a 36-character UUID in canonical form with no upper-case letter, 2 when it
 * has one, else 0. */
static int uuid_kind(PyObject *s)
{
    if (!PyUnicode_CheckExact(s) || PyUnicode_GET_LENGTH(s) != 36 || !PyUnicode_IS_ASCII(s))
        return 0;
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    if (c[8] != '-' || c[13] != '-' || c[18] != '-' || c[23] != '-')
        return 0;
    unsigned all = HEX, any = 0; /* AND and OR of the classes of the 32 hex digits */
    for (int i = 0; i < 32; i++) {
        all &= CLASS[c[HEX_AT[i]]];
        any |= CLASS[c[HEX_AT[i]]];
    }
    return (all & HEX) == 0 ? 0 : (any & HEX_UPPER) ? 2 : 1;
}

/* The UUID (uuid_kind 2) in lower case. */
static PyObject *lower_uuid(PyObject *s)
{
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    PyObject *lowered = PyUnicode_New(36, 127);
    if (lowered == NULL) return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(lowered);
    for (int i = 0; i < 36; i++) {
        out[i] = CLASS[c[i]] & HEX_UPPER ? (Py_UCS1)(c[i] + 32) : c[i];
    }
    return lowered;
}

/* context.app: the app named (exactly one of APPS), else the library's app (the library
 * spelled as a key of LIBRARY_APPS, whose keys are lower case). Anything else: FALLBACK,
 * where mapping.py lower-cases the names or quarantines the message. */
static int app_of(PyObject *name, PyObject *library, const Tables *t, PyObject **out)
{
    if (name != Py_None) {
        if (!PyUnicode_CheckExact(name)) return FALLBACK;
        int known = PySet_Contains(t->apps, name);
        if (known != 0) {
            *out = known > 0 ? Py_NewRef(name) : NULL;
            return known > 0 ? DONE : FAIL;
        }
    }
    if (!PyUnicode_CheckExact(library)) return FALLBACK;
    PyObject *app = lookup(t->library_apps, library);
    if (app == NULL) return PyErr_Occurred() ? FAIL : FALLBACK;
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
    if (truthy != 0) return truthy > 0 ? Py_NewRef(code) : NULL;
    PyObject *stripped = PyObject_CallMethodNoArgs(city, m_strip);
    if (stripped == NULL) return NULL;
    PyObject *key = PyObject_CallMethodNoArgs(stripped, m_lower);
    Py_DECREF(stripped);
    if (key == NULL) return NULL;
    code = lookup(cities, key); /* borrowed from the table, not from the key */
    Py_DECREF(key);
    return Py_XNewRef(code);
}

/* context.city (a code of the cities table) or context.location_city (any other name). */
static int add_city(PyObject *context, PyObject *given, PyObject *cities)
{
    PyObject *location = field(given, &C_LOCATION);
    PyObject *city = location != NULL ? field(location, &LOCATION_CITY) : NULL;
    Py_XDECREF(location);
    if (city == NULL) return FAIL;
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
    if (value == NULL) return FAIL;
    int status = value == Py_None || PyDict_SetItem(context, key, value) == 0 ? DONE : FAIL;
    Py_DECREF(value);
    return status;
}

/* locale, app_version (a str; other versions: FALLBACK, Python's str()) and referrer_kind. */
static int describe(PyObject *context, PyObject *given, PyObject *app_info)
{
    if (set_given(context, a_locale, field(given, &C_LOCALE)) != DONE) return FAIL;
    PyObject *version = field(app_info, &APP_VERSION);
    if (version != NULL && version != Py_None && !PyUnicode_CheckExact(version)) {
        Py_DECREF(version);
        return FALLBACK;
    }
    if (set_given(context, k_app_version, version) != DONE) return FAIL;
    PyObject *referrer = field(given, &C_REFERRER);
    if (referrer == NULL) return FAIL;
    PyObject *kind = field(referrer, &REFERRER_TYPE);
    Py_DECREF(referrer);
    return set_given(context, k_referrer_kind, kind);
}

/* context.platform: os.name, else the library, else the app (the first that is not
 * empty), or NULL (FALLBACK) for names that are not str. */
static PyObject *platform_of(PyObject *os_name, PyObject *library, PyObject *app)
{
    PyObject *names[] = {os_name, library};
    for (int i = 0; i < 2; i++) {
        if (names[i] != Py_None && !PyUnicode_CheckExact(names[i])) return NULL;
        if (names[i] != Py_None && PyUnicode_GET_LENGTH(names[i]) > 0) return names[i];
    }
    return app;
}

/* The envelope's context (app, platform, then city, locale, app_version, referrer_kind). */
static int build_context(PyObject *given, const Tables *t, PyObject **out)
{
    PyObject *app_info = field(given, &C_APP);
    PyObject *lib = app_info != NULL ? field(given, &C_LIBRARY) : NULL;
    PyObject *os = lib != NULL ? field(given, &C_OS) : NULL;
    PyObject *name = os != NULL ? field(app_info, &APP_NAME) : NULL;
    PyObject *library = name != NULL ? field(lib, &NAMED_NAME) : NULL;
    PyObject *os_name = library != NULL ? field(os, &NAMED_NAME) : NULL;
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
        if (!PyDict_CheckExact(rastup)) return FALLBACK;
        PyObject *named = lookup(rastup, k_v);
        if (named != NULL && named != Py_None) {
            Py_SETREF(*version, Py_NewRef(named));
        }
        PyObject *given_session = lookup(rastup, k_session_id);
        session_id = given_session != NULL ? given_session : session_id;
        PyObject *found = lookup(rastup, k_ids);
        *ids = found != NULL && PyDict_CheckExact(found) ? found : NULL;
        if (PyErr_Occurred()) return FAIL;
    }
    return person_id(session_id, p_s, session);
}

/* occurred_at: timestamp, else originalTimestamp, else now (the first that is truthy). */
static PyObject *occurred_at(PyObject *message, PyObject *now)
{
    const Slot *slots[] = {&M_TIMESTAMP, &M_ORIGINAL};
    for (int i = 0; i < 2; i++) {
        PyObject *value = field(message, slots[i]);
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
static PyObject *complete_ids(PyObject *ids, PyObject *message_id, int kind)
{
    PyObject *event_id = kind == 2 ? lower_uuid(message_id) : Py_NewRef(message_id);
    if (event_id == NULL) return NULL;
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
    PyObject *ids = NULL, *message_id = field(message, &M_MESSAGE_ID);
    if (message_id == NULL) return FAIL;
    int kind = uuid_kind(message_id);
    int status = kind != 0 ? DONE : FALLBACK; /* else a name-based id: Python's */
    PyObject *rastup = NULL, *sid = NULL, *user = NULL, *anon = NULL;
    if (status == DONE && ((rastup = field(given, &C_RASTUP)) == NULL
                           || (sid = field(given, &C_SESSION)) == NULL)) {
        status = FAIL;
    }
    if (status == DONE && rastup == Py_None && sid == Py_None) { /* what the SDKs send */
        values[5] = Py_NewRef(Py_None);
    } else if (status == DONE) {
        status = extras(rastup, sid, &values[1], &values[5], &ids);
    }
    if (status == DONE && ((user = field(message, &M_USER)) == NULL
                           || (anon = field(message, &M_ANON)) == NULL)) {
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
        values[8] = values[2] == NULL ? NULL : field(message, &M_PROPERTIES);
        values[7] = values[8] == NULL ? NULL : complete_ids(ids, message_id, kind);
        status = values[7] == NULL ? FAIL : DONE;
    }
    Py_XDECREF(rastup); Py_XDECREF(sid); Py_XDECREF(user); Py_XDECREF(anon);
    Py_DECREF(message_id);
    return status;
}

/* The tables of the last four arguments, or 0 when one is not of the type read here. */
static int tables_of(PyObject *const *args, Tables *t)
{
    *t = (Tables){args[0], args[1], args[2], args[3]};
    return PyDict_CheckExact(t->versions) && PyDict_CheckExact(t->cities)
           && PyAnySet_CheckExact(t->apps) && PyDict_CheckExact(t->library_apps);
}

/* The envelope of event `name` at `version` (borrowed), or None (FALLBACK). */
static PyObject *map_message(PyObject *message, PyObject *given, PyObject *name,
                             PyObject *version, PyObject *now, const Tables *t)
{
    PyObject *values[9] = {NULL};
    int status = build_context(given, t, &values[6]);
    if (status == DONE) {
        values[0] = Py_NewRef(name);
        values[1] = Py_NewRef(version);
        status = fill(message, given, values, now);
    }
    if (status == DONE && values[8] == Py_None) { /* no properties: an empty payload */
        Py_SETREF(values[8], PyDict_New());
        status = values[8] == NULL ? FAIL : DONE;
    }
    if (status == DONE) return assemble(values);
    for (int i = 0; i < 9; i++) {
        Py_XDECREF(values[i]);
    }
    if (status == FAIL) return NULL;
    Py_RETURN_NONE;
}

/* SegmentMapping.envelope's first case: a track call (`call`, else the message's type)
 * naming a catalogue event, with no batch context (merged in Python). */
static PyObject *track(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Tables t;
    (void)module;
    if (nargs != 8) {
        PyErr_Format(PyExc_TypeError, "track() takes 8 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *message = args[0], *call = args[1], *result = NULL;
    if (args[2] != Py_None || !tables_of(args + 4, &t)
        || (call != Py_None && !PyUnicode_CheckExact(call))) {
        Py_RETURN_NONE;
    }
    PyObject *kind = call != Py_None && PyUnicode_GET_LENGTH(call) > 0 ? Py_NewRef(call)
                                                                        : field(message, &M_TYPE);
    PyObject *name = kind != NULL ? field(message, &M_EVENT) : NULL;
    PyObject *given = name != NULL ? field(message, &M_CONTEXT) : NULL;
    if (given != NULL) {
        PyObject *version = PyUnicode_CheckExact(kind) && PyUnicode_CheckExact(name)
                                    && given != Py_None && PyUnicode_Compare(kind, a_track) == 0
                                ? lookup(t.versions, name)
                                : NULL;
        result = version != NULL ? map_message(message, given, name, version, args[3], &t)
                 : PyErr_Occurred() ? NULL
                                    : Py_NewRef(Py_None);
    }
    Py_XDECREF(kind); Py_XDECREF(name); Py_XDECREF(given);
    return result;
}

static PyMethodDef methods[] = {
    {"track", (PyCFunction)(void (*)(void))track, METH_FASTCALL,
     "track(message, call, shared, now, versions, cities, apps, library_apps)\n--\n\n"
     "The envelope SegmentMapping.envelope returns for a track call naming a catalogue\n"
     "event without a batch context, or None for any other case."},
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
        if (*NAMES[i].slot == NULL) return NULL;
    }
    for (int c = 0; c < 128; c++) {
        int digit = c >= '0' && c <= '9', lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
        int hex_lower = digit || (c >= 'a' && c <= 'f'), hex_upper = c >= 'A' && c <= 'F';
        CLASS[c] = (hex_lower ? HEX_LOWER | HEX : 0) | (hex_upper ? HEX_UPPER | HEX : 0)
                   | (digit || lower || upper || c == '_' || c == '-' ? ID : 0);
    }
    return resolve_slots() < 0 ? NULL : PyModule_Create(&fastmap);
}
