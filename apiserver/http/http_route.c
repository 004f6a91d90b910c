/*
 * http_route.c - splits a request path into kube's RequestInfo:
 *   /api/v1[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUB]]
 *   /apis/GROUP/VERSION[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUB]]
 * /api/v1/namespaces/NAME[/SUB] names the namespace itself.
 */
#include "http_internal.h"

#include <string.h>

#define MAX_PARTS 10

int k1s__route_parse(char *path, k1s_route *r)
{
    memset(r, 0, sizeof *r);
    char *parts[MAX_PARTS + 1];
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (n == MAX_PARTS)
            return -1;
        parts[n++] = p;
    }
    int i;
    if (n >= 2 && !strcmp(parts[0], "api")) {
        r->group = "";
        r->version = parts[1];
        i = 2;
    } else if (n >= 3 && !strcmp(parts[0], "apis")) {
        r->group = parts[1];
        r->version = parts[2];
        i = 3;
    } else {
        return 1;
    }
    if (i == n)
        return 1; /* /api/v1 or /apis/g/v: discovery */
    if (!strcmp(parts[i], "watch")) {
        r->legacy_watch = true;
        i++;
    }
    if (i < n && !strcmp(parts[i], "namespaces") && i + 1 < n) {
        if (i + 2 == n ||
            (i + 3 == n && *r->group == 0 &&
             (!strcmp(parts[i + 2], "status") || !strcmp(parts[i + 2], "finalize")))) {
            /* the namespace object itself */
            r->resource = "namespaces";
            r->name = parts[i + 1];
            r->sub = i + 3 == n ? parts[i + 2] : NULL;
            return 0;
        }
        r->ns = parts[i + 1];
        i += 2;
    }
    if (i >= n)
        return -1;
    r->resource = parts[i++];
    if (i < n)
        r->name = parts[i++];
    if (i < n)
        r->sub = parts[i++];
    return i == n ? 0 : -1;
}
