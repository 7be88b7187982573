/*
 * Completes one expansion pass over a .def: every word of the description
 * vocabulary the pass has not defined expands to nothing, so a pass defines
 * only the words it acts on. Included many times on purpose, so it has no
 * include guard; proto_gen_undef.h ends the pass.
 */
#define LATEST INT16_MAX
#ifndef MESSAGE
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)
#endif
#ifndef STRUCT
#define STRUCT(Api, S)
#endif
#ifndef FIELD
#define FIELD(T, name, lo, hi, dflt)
#endif
#ifndef NFIELD
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt)
#endif
#ifndef ARRAY
#define ARRAY(T, name, lo, hi)
#endif
#ifndef NARRAY
#define NARRAY(T, name, lo, hi, nlo, nhi)
#endif
#ifndef SARRAY
#define SARRAY(S, name, lo, hi)
#endif
#ifndef NSARRAY
#define NSARRAY(S, name, lo, hi, nlo, nhi)
#endif
#ifndef TAGS
#define TAGS
#endif
#ifndef TAGGED
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt)
#endif
#ifndef END
#define END(Api, S)
#endif
