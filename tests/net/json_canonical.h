/* json_canonical.h: see json_canonical.c. */
#ifndef TESTS_NET_JSON_CANONICAL_H
#define TESTS_NET_JSON_CANONICAL_H

#include "net/json.h"

/* Appends value v of document d to o in the canonical form. */
void json_write_canonical(const struct json_doc *d, const struct json_value *v, struct json_out *o);

#endif
