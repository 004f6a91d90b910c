/*
 * ctrl_events.c - core/v1 Events as kube-controller-manager records them:
 * one Event per object, reason and message, named <object>.<unique suffix>;
 * a repeat within the series bumps count and lastTimestamp instead of
 * creating another.
 */
#include "ctrl_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "k1s_time.h"

typedef struct findctx {
    const char *uid, *reason, *message;
    const json_t *found;
} findctx;

static int find_same(void *vctx, const json_t *ev)
{
    findctx *f = vctx;
    const json_t *io = json_object_get(ev, "involvedObject");
    const char *uid = json_string_value(json_object_get(io, "uid"));
    const char *reason = json_string_value(json_object_get(ev, "reason"));
    const char *msg = json_string_value(json_object_get(ev, "message"));
    if (uid && reason && msg && !strcmp(uid, f->uid) && !strcmp(reason, f->reason) &&
        !strcmp(msg, f->message)) {
        f->found = ev;
        return 1;
    }
    return 0;
}

void k1s_ctrl_event(k1s_ctrl *c, const char *component, const json_t *obj, const char *type,
                    const char *reason, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const json_t *m = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(m, "namespace"));
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *uid = json_string_value(json_object_get(m, "uid"));
    if (!name || !uid)
        return;
    if (!ns || !*ns)
        ns = "default"; /* events about cluster objects live in default */
    char ts[K1S_TIME_LEN];
    k1s_time_format_now(ts, sizeof ts);
    k1s_informer *inf = k1s_ctrl_informer(c, "", "Event");
    findctx f = {uid, reason, message, NULL};
    if (inf)
        k1s_informer_each(inf, ns, find_same, &f);
    if (f.found) {
        json_t *ev = json_deep_copy(f.found);
        json_int_t count = json_integer_value(json_object_get(ev, "count"));
        json_object_set_new(ev, "count", json_integer(count + 1));
        json_object_set_new(ev, "lastTimestamp", json_string(ts));
        k1s_ctrl_update(c, "", "Event", ns, NULL, ev, NULL);
        json_decref(ev);
        return;
    }
    /* kube names events <object name>.<hex of the time in ns>; base's
       clocks stop at milliseconds, where two events would share a name */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char evname[320];
    snprintf(evname, sizeof evname, "%.240s.%llx", name,
             (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *av = json_string_value(json_object_get(obj, "apiVersion"));
    const char *rv = json_string_value(json_object_get(m, "resourceVersion"));
    json_t *io = json_pack("{s:s, s:s, s:s}", "kind", kind ? kind : "", "name", name, "uid", uid);
    if (json_string_value(json_object_get(m, "namespace")))
        json_object_set_new(io, "namespace", json_string(ns));
    if (av)
        json_object_set_new(io, "apiVersion", json_string(av));
    if (rv)
        json_object_set_new(io, "resourceVersion", json_string(rv));
    json_t *ev =
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s, s:s, s:s}",
                  "apiVersion", "v1", "kind", "Event", "metadata", "name", evname, "namespace", ns,
                  "involvedObject", io, "reason", reason, "message", message, "source", "component",
                  component, "firstTimestamp", ts, "lastTimestamp", ts, "count", 1, "type", type,
                  "reportingComponent", component, "reportingInstance", "");
    k1s_ctrl_create(c, "", "Event", ns, ev, NULL);
    json_decref(ev);
}
