/*
 * symbols.h - the selectors for client/symbols.def, the one list of the
 * client's functions.
 *
 * Each row of the .def names the function's role in three columns (shim,
 * topic, pull); a user of the list keeps the rows of one role by pasting the
 * column's value onto a selector name:
 *
 *   #define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
 *       RC_IF_CLIENT_##shim(ret (*name) params;)
 *   #include "client/symbols.def"
 *
 * A selector expands to its arguments or to nothing. It is variadic so that
 * what it keeps may hold commas (an initializer). Macros only: the export map
 * template (shim/exports.map.in) is run through the preprocessor with this
 * file, and anything but macros would end up in the map.
 */
#ifndef RECONSUME_CLIENT_SYMBOLS_H
#define RECONSUME_CLIENT_SYMBOLS_H

/* shim column: INTERPOSED (exported by the shim, forwarded to the client),
 * READ (called by the shim), NO. */
#define RC_IF_INTERPOSED_INTERPOSED(...) __VA_ARGS__
#define RC_IF_INTERPOSED_READ(...)
#define RC_IF_INTERPOSED_NO(...)
/* in struct rc_client: what the shim resolves, interposed or read */
#define RC_IF_CLIENT_INTERPOSED(...) __VA_ARGS__
#define RC_IF_CLIENT_READ(...) __VA_ARGS__
#define RC_IF_CLIENT_NO(...)

/* topic column (struct rc_topic_api) and pull column (the spool tool's pull
 * consumer): NEED (the API is unusable without it), OPT (may be missing;
 * the caller checks), NO. */
#define RC_IF_USED_NEED(...) __VA_ARGS__
#define RC_IF_USED_OPT(...) __VA_ARGS__
#define RC_IF_USED_NO(...)
#define RC_IF_NEED_NEED(...) __VA_ARGS__
#define RC_IF_NEED_OPT(...)
#define RC_IF_NEED_NO(...)
#define RC_IF_OPT_NEED(...)
#define RC_IF_OPT_OPT(...) __VA_ARGS__
#define RC_IF_OPT_NO(...)

#endif
