/* yaml_int.h - private to the YAML decoder (k1s_yaml.h). */
#ifndef K1S_YAML_INT_H
#define K1S_YAML_INT_H

#include <jansson.h>

#include "k1s_yaml.h"

/* The JSON value of a plain (unquoted, untagged) scalar: 0, K1S_EINVAL
 * (.inf/.nan, which JSON cannot hold; not UTF-8) or K1S_ENOMEM. */
int k1s__yaml_plain(const char *s, json_t **out);

#endif
