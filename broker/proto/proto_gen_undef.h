/*
 * Ends one expansion pass over a .def: forgets the description vocabulary
 * so the next pass (or any later code) can define it afresh. Included many
 * times on purpose, so it has no include guard.
 */
#undef MESSAGE
#undef STRUCT
#undef FIELD
#undef NFIELD
#undef ARRAY
#undef NARRAY
#undef SARRAY
#undef NSARRAY
#undef TAGS
#undef TAGGED
#undef END
#undef LATEST
