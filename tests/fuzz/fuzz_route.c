/*
 * fuzz_route.c - libFuzzer target for what k1s reads from a request line
 * after libmicrohttpd: the path split into kube's RequestInfo and the
 * resourceVersion argument. Never a crash or an overrun; a resource path
 * names a resource, and its namespace, name and subresource lie inside the
 * path it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http_internal.h"

static void inside(const char *s, const char *buf, size_t n)
{
    MUST(!s || (s >= buf && s < buf + n + 1) || *s == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = malloc(size + 1);
    MUST(path != NULL);
    memcpy(path, data, size);
    path[size] = '\0';
    int64_t rv = 0;
    (void)k1s_parse_rv(path, &rv);
    k1s_route r;
    int kind = k1s__route_parse(path, &r);
    MUST(kind >= -1 && kind <= 1);
    if (kind == 0) {
        MUST(r.resource && *r.resource); /* may be the literal "namespaces" */
        inside(r.ns, path, size);
        inside(r.name, path, size);
        inside(r.sub, path, size);
    }
    free(path);
    return 0;
}
