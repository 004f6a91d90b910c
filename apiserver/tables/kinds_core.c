/*
 * kinds_core.c - tables of the core group's kinds other than Pod and the
 * volume kinds: PodTemplate, ReplicationController, Service, Endpoints,
 * Node, Namespace, Secret, ServiceAccount, ConfigMap, ComponentStatus,
 * ResourceQuota and Event, plus events.k8s.io Event (kube serves both from
 * one store, so both print the same columns).
 */
#include "tables_int.h"

#include <stdio.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *or_none(const char *s)
{
    return k1s__tb_nonempty(s) ? s : "<none>";
}

/* ---- PodTemplate, ReplicationController ------------------------------------ */

static const k1s__tb_column podtemplate_columns[] = {
    K1S__COL_NAME,
    K1S__COL_CONTAINERS("template.spec.containers", 0),
    K1S__COL_IMAGES("template.spec.containers", 0),
    {"Pod Labels", "string", "", 0, "Labels of the pods made from the template.",
     K1S__LABELS("template.metadata.labels")},
};

static const k1s__tb_column rc_columns[] = {
    K1S__COL_NAME,
    {"Desired", "integer", "", 0, "Number of replicas asked for.", K1S__INT("spec.replicas", 1)},
    {"Current", "integer", "", 0, "Number of replicas that exist.", K1S__INT("status.replicas", 0)},
    {"Ready", "integer", "", 0, "Number of replicas that are ready.",
     K1S__INT("status.readyReplicas", 0)},
    K1S__COL_AGE,
    K1S__COL_CONTAINERS("spec.template.spec.containers", 1),
    K1S__COL_IMAGES("spec.template.spec.containers", 1),
    {"Selector", "string", "", 1, "Labels of the pods the controller owns.",
     K1S__LABELS("spec.selector")},
};

/* ---- Service ------------------------------------------------------------------ */

static const char *service_type(const json_t *o)
{
    return k1s_json_str_or(o, "spec.type", "ClusterIP");
}

static json_t *svc_cluster_ip(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    /* clusterIPs is authoritative; decoding fills it from clusterIP. */
    const json_t *ips = k1s__tb_array(o, "spec.clusterIPs");
    if (json_array_size(ips)) {
        const json_t *ip = json_array_get(ips, 0);
        return k1s__tb_jstr(json_is_string(ip) ? json_string_value(ip) : "");
    }
    return k1s__tb_jstr(or_none(k1s_json_str(o, "spec.clusterIP")));
}

static void sb_string_list(k1s_buf *sb, const json_t *list, bool *first)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *v = json_array_get(list, i);
        if (!*first)
            k1s_buf_adds(sb, ",");
        k1s_buf_adds(sb, json_is_string(v) ? json_string_value(v) : "");
        *first = false;
    }
}

/* Load balancer ingress points: IPs or hostnames, sorted, without repeats. */
static size_t lb_addresses(const json_t *ingress, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(ingress) && n < max; i++) {
        const json_t *e = json_array_get(ingress, i);
        const char *a = k1s_json_str(e, "ip");
        if (!k1s__tb_nonempty(a))
            a = k1s_json_str(e, "hostname");
        if (k1s__tb_nonempty(a))
            out[n++] = a;
    }
    k1s__tb_sort_strings(out, n);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(out[u - 1], out[i]) != 0)
            out[u++] = out[i];
    return u;
}

static json_t *svc_external_ip(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const char *type = service_type(o);
    const json_t *ext = k1s__tb_array(o, "spec.externalIPs");
    k1s_buf sb = K1S__CELL_BUF;
    bool first = true;

    if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
        if (json_array_size(ext) == 0)
            return json_string("<none>");
        sb_string_list(&sb, ext, &first);
        return k1s__tb_jbuf(&sb);
    }
    if (strcmp(type, "ExternalName") == 0)
        return k1s__tb_jstr(k1s_json_str(o, "spec.externalName"));
    if (strcmp(type, "LoadBalancer") != 0)
        return json_string("<unknown>");

    /* The server prints wide, so load balancer addresses are not clipped. */
    const json_t *ingress = k1s__tb_array(o, "status.loadBalancer.ingress");
    size_t cap = json_array_size(ingress);
    const char *addrs[64];
    size_t n = lb_addresses(ingress, addrs, cap < 64 ? cap : 64);
    for (size_t i = 0; i < n; i++) {
        if (!first)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, addrs[i]);
        first = false;
    }
    sb_string_list(&sb, ext, &first);
    if (first) {
        k1s_buf_free(&sb);
        return json_string("<pending>");
    }
    return k1s__tb_jbuf(&sb);
}

static json_t *svc_ports(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *ports = k1s__tb_array(o, "spec.ports");
    k1s_buf sb = K1S__CELL_BUF;
    if (json_array_size(ports) == 0)
        return json_string("<none>");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        long long node_port = k1s_json_int(p, "nodePort", 0);
        if (i)
            k1s_buf_adds(&sb, ",");
        if (node_port > 0)
            k1s_buf_addf(&sb, "%lld:%lld/", k1s_json_int(p, "port", 0), node_port);
        else
            k1s_buf_addf(&sb, "%lld/", k1s_json_int(p, "port", 0));
        k1s_buf_adds(&sb, k1s_json_str_or(p, "protocol", "TCP"));
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column service_columns[] = {
    K1S__COL_NAME,
    {"Type", "string", "", 0, "How the service is exposed.", K1S__STR_OR("spec.type", "ClusterIP")},
    {"Cluster-IP", "string", "", 0, "The service's virtual IP inside the cluster.",
     K1S__FN(svc_cluster_ip)},
    {"External-IP", "string", "", 0, "Addresses the service is reachable at from outside.",
     K1S__FN(svc_external_ip)},
    {"Port(s)", "string", "", 0, "Ports the service exposes (port:nodePort/protocol).",
     K1S__FN(svc_ports)},
    K1S__COL_AGE,
    {"Selector", "string", "", 1, "Labels of the pods traffic is sent to.",
     K1S__LABELS("spec.selector")},
};

/* ---- Endpoints ------------------------------------------------------------------ */

#define LIST_MAX 3 /* kube lists three entries, then "+ N more..." */

static json_t *ep_endpoints(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *subsets = k1s__tb_array(o, "subsets");
    k1s_buf sb = K1S__CELL_BUF;
    size_t shown = 0;
    long long count = 0;
    bool more = false;

    if (json_array_size(subsets) == 0)
        return json_string("<none>");
    for (size_t s = 0; s < json_array_size(subsets); s++) {
        const json_t *ss = json_array_get(subsets, s);
        const json_t *addrs = k1s__tb_array(ss, "addresses");
        const json_t *ports = k1s__tb_array(ss, "ports");
        size_t na = json_array_size(addrs);
        /* Headless services may list addresses without ports. */
        size_t np = json_array_size(ports) ? json_array_size(ports) : 1;
        for (size_t p = 0; p < np; p++) {
            const json_t *port = json_array_get(ports, p);
            count += (long long)na;
            for (size_t a = 0; a < na; a++) {
                if (shown == LIST_MAX) {
                    more = true;
                    break;
                }
                if (shown)
                    k1s_buf_adds(&sb, ",");
                const char *ip = k1s_json_str_or(json_array_get(addrs, a), "ip", "");
                if (port)
                    k1s__tb_add_hostport(&sb, ip, k1s_json_int(port, "port", 0));
                else
                    k1s_buf_adds(&sb, ip);
                shown++;
            }
        }
    }
    if (more)
        k1s_buf_addf(&sb, " + %lld more...", count - LIST_MAX);
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column endpoints_columns[] = {
    K1S__COL_NAME,
    {"Endpoints", "string", "", 0, "Addresses and ports of the endpoints.", K1S__FN(ep_endpoints)},
    K1S__COL_AGE,
};

/* ---- Node --------------------------------------------------------------------- */

static json_t *node_status(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *conds = k1s__tb_array(o, "status.conditions");
    const json_t *ready = NULL;
    k1s_buf sb = K1S__CELL_BUF;
    /* kube keeps the last condition of each type. */
    for (size_t i = 0; i < json_array_size(conds); i++)
        if (str_eq(k1s_json_str(json_array_get(conds, i), "type"), "Ready"))
            ready = json_array_get(conds, i);
    if (!ready)
        k1s_buf_adds(&sb, "Unknown");
    else if (str_eq(k1s_json_str(ready, "status"), "True"))
        k1s_buf_adds(&sb, "Ready");
    else
        k1s_buf_adds(&sb, "NotReady");
    if (k1s_json_bool(o, "spec.unschedulable", false))
        k1s_buf_adds(&sb, ",SchedulingDisabled");
    return k1s__tb_jbuf(&sb);
}

static json_t *node_roles(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    static const char prefix[] = "node-role.kubernetes.io/";
    const json_t *labels = k1s_json_at(o, "metadata.labels");
    size_t n = json_is_object(labels) ? json_object_size(labels) : 0;
    const char *roles[256];
    size_t nr = 0;
    const char *key;
    json_t *val;
    k1s_buf sb = K1S__CELL_BUF;

    if (n) {
        json_object_foreach((json_t *)labels, key, val)
        {
            const char *role = NULL;
            if (strncmp(key, prefix, sizeof prefix - 1) == 0 && key[sizeof prefix - 1])
                role = key + sizeof prefix - 1;
            else if (strcmp(key, "kubernetes.io/role") == 0 && json_is_string(val) &&
                     *json_string_value(val))
                role = json_string_value(val);
            if (role && nr < sizeof roles / sizeof roles[0])
                roles[nr++] = role;
        }
    }
    k1s__tb_sort_strings(roles, nr);
    for (size_t i = 0; i < nr; i++) {
        if (i && strcmp(roles[i], roles[i - 1]) == 0)
            continue; /* a set */
        if (sb.len)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, roles[i]);
    }
    if (sb.len == 0)
        k1s_buf_adds(&sb, "<none>");
    return k1s__tb_jbuf(&sb);
}

/* The first address of the type arg in the list at path. */
static json_t *node_address(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const json_t *addrs = k1s__tb_array(o, cell->path);
    for (size_t i = 0; i < json_array_size(addrs); i++) {
        const json_t *a = json_array_get(addrs, i);
        if (str_eq(k1s_json_str(a, "type"), cell->arg))
            return k1s__tb_jstr(k1s_json_str(a, "address"));
    }
    return json_string("<none>");
}

static const k1s__tb_column node_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "Whether the node is ready, and schedulable.",
     K1S__FN(node_status)},
    {"Roles", "string", "", 0, "The node's roles, from its node-role labels.", K1S__FN(node_roles)},
    K1S__COL_AGE,
    {"Version", "string", "", 0, "The kubelet's version.",
     K1S__STR("status.nodeInfo.kubeletVersion")},
    {"Internal-IP", "string", "", 1, "The node's internal IP address.",
     K1S__FN_AT(node_address, "status.addresses", "InternalIP")},
    {"External-IP", "string", "", 1, "The node's external IP address.",
     K1S__FN_AT(node_address, "status.addresses", "ExternalIP")},
    {"OS-Image", "string", "", 1, "The node's operating system image.",
     K1S__NONEMPTY_OR("status.nodeInfo.osImage", "<unknown>")},
    {"Kernel-Version", "string", "", 1, "The node's kernel version.",
     K1S__NONEMPTY_OR("status.nodeInfo.kernelVersion", "<unknown>")},
    {"Container-Runtime", "string", "", 1, "The container runtime and its version.",
     K1S__NONEMPTY_OR("status.nodeInfo.containerRuntimeVersion", "<unknown>")},
};

/* ---- Namespace, Secret, ServiceAccount, ConfigMap ------------------------------ */

static const k1s__tb_column namespace_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "Whether the namespace is active or terminating.",
     K1S__STR("status.phase")},
    K1S__COL_AGE,
};

static const k1s__tb_column secret_columns[] = {
    K1S__COL_NAME,
    {"Type", "string", "", 0, "The kind of secret.", K1S__STR("type")},
    {"Data", "string", "", 0, "Number of data entries.", K1S__COUNT("data")},
    K1S__COL_AGE,
};

static const k1s__tb_column serviceaccount_columns[] = {
    K1S__COL_NAME,
    {"Secrets", "string", "", 0, "Number of secrets the service account lists.",
     K1S__COUNT("secrets")},
    K1S__COL_AGE,
};

static json_t *cm_data(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    return k1s__tb_jint((long long)(k1s__tb_count(o, "data") + k1s__tb_count(o, "binaryData")));
}

static const k1s__tb_column configmap_columns[] = {
    K1S__COL_NAME,
    {"Data", "string", "", 0, "Number of data and binaryData entries.", K1S__FN(cm_data)},
    K1S__COL_AGE,
};

/* ---- ComponentStatus, ResourceQuota ------------------------------------------ */

static const json_t *cs_healthy(const json_t *o)
{
    const json_t *conds = k1s__tb_array(o, "conditions");
    for (size_t i = 0; i < json_array_size(conds); i++)
        if (str_eq(k1s_json_str(json_array_get(conds, i), "type"), "Healthy"))
            return json_array_get(conds, i);
    return NULL;
}

static json_t *cs_status(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *c = cs_healthy(o);
    if (!c)
        return json_string("Unknown");
    return json_string(str_eq(k1s_json_str(c, "status"), "True") ? "Healthy" : "Unhealthy");
}

/* The member arg of the Healthy condition. */
static json_t *cs_healthy_field(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(cs_healthy(o), cell->arg));
}

static const k1s__tb_column componentstatus_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "Whether the component is healthy.", K1S__FN(cs_status)},
    {"Message", "string", "", 0, "Message of the health condition.",
     K1S__FN_AT(cs_healthy_field, NULL, "message")},
    {"Error", "string", "", 0, "Error of the health condition.",
     K1S__FN_AT(cs_healthy_field, NULL, "error")},
};

/* "resource: used/hard, ..." for the hard limits whose name starts with
 * "limits." (arg "limits") or not (arg "requests"), sorted by name. */
static json_t *quota_cell(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    bool limits = strcmp(cell->arg, "limits") == 0;
    const json_t *hard = k1s_json_at(o, "status.hard");
    const json_t *used = k1s_json_at(o, "status.used");
    size_t n = json_is_object(hard) ? json_object_size(hard) : 0;
    const char *names[512];
    size_t nn = 0;
    const char *key;
    json_t *val;
    k1s_buf sb = K1S__CELL_BUF;

    if (n) {
        json_object_foreach((json_t *)hard, key, val)
        {
            if (nn < sizeof names / sizeof names[0])
                names[nn++] = key;
        }
    }
    k1s__tb_sort_strings(names, nn);
    for (size_t i = 0; i < nn; i++) {
        const char *dot = strchr(names[i], '.');
        bool is_limit = dot && (size_t)(dot - names[i]) == 6 && strncmp(names[i], "limits", 6) == 0;
        if (is_limit != limits)
            continue;
        if (sb.len)
            k1s_buf_adds(&sb, ", ");
        k1s_buf_adds(&sb, names[i]);
        k1s_buf_adds(&sb, ": ");
        k1s__tb_add_quantity(&sb, json_object_get(used, names[i]), "0");
        k1s_buf_adds(&sb, "/");
        k1s__tb_add_quantity(&sb, json_object_get(hard, names[i]), "0");
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column resourcequota_columns[] = {
    K1S__COL_NAME,
    {"Request", "string", "", 0, "Used and hard quota of requests and object counts.",
     K1S__FN_AT(quota_cell, NULL, "requests")},
    {"Limit", "string", "", 0, "Used and hard quota of limits.",
     K1S__FN_AT(quota_cell, NULL, "limits")},
    K1S__COL_AGE,
};

/* ---- Event (core/v1 and events.k8s.io/v1) ------------------------------------ */

/* The two versions of Event name their fields differently; each column
 * says which it reads. */

static void event_first_seen(const json_t *o, const char *first, time_t now, char *buf, size_t len)
{
    k1s__tb_time t = k1s__tb_time_at(o, first);
    if (t.zero)
        t = k1s__tb_time_at(o, "eventTime");
    k1s__tb_since(buf, len, t, now);
}

/* path: the last timestamp; arg: the first one. */
static json_t *event_last(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    char buf[32];
    if (json_is_object(k1s_json_at(o, "series"))) {
        k1s__tb_since(buf, sizeof buf, k1s__tb_time_at(o, "series.lastObservedTime"), now);
    } else {
        k1s__tb_time t = k1s__tb_time_at(o, cell->path);
        if (t.zero)
            event_first_seen(o, cell->arg, now, buf, sizeof buf);
        else
            k1s__tb_since(buf, sizeof buf, t, now);
    }
    return json_string(buf);
}

/* path: the first timestamp. */
static json_t *event_first(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    char buf[32];
    event_first_seen(o, cell->path, now, buf, sizeof buf);
    return json_string(buf);
}

/* path: the count. */
static json_t *event_count(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    if (json_is_object(k1s_json_at(o, "series")))
        return k1s__tb_jint(k1s_json_int(o, "series.count", 0));
    long long c = k1s_json_int(o, cell->path, 0);
    return k1s__tb_jint(c ? c : 1); /* singleton events carry no count */
}

/* path: the object reference, printed as kind/name (kind lower-cased). */
static json_t *event_object(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const json_t *ref = k1s_json_at(o, cell->path);
    const char *name = k1s_json_str(ref, "name");
    k1s_buf sb = K1S__CELL_BUF;
    k1s__tb_add_lower(&sb, k1s_json_str_or(ref, "kind", ""));
    if (k1s__tb_nonempty(name)) {
        k1s_buf_adds(&sb, "/");
        k1s_buf_adds(&sb, name);
    }
    return k1s__tb_jbuf(&sb);
}

/* path: the source; arg: the reporting controller, read when the source
 * names no component. */
static json_t *event_source(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const json_t *src = k1s_json_at(o, cell->path);
    const char *component = k1s_json_str(src, "component");
    const char *instance = k1s_json_str(src, "host");
    k1s_buf sb = K1S__CELL_BUF;
    if (!k1s__tb_nonempty(component))
        component = k1s_json_str_or(o, cell->arg, "");
    if (!k1s__tb_nonempty(instance))
        instance = k1s_json_str(o, "reportingInstance");
    k1s_buf_adds(&sb, component);
    if (k1s__tb_nonempty(instance)) {
        k1s_buf_adds(&sb, ", ");
        k1s_buf_adds(&sb, instance);
    }
    return k1s__tb_jbuf(&sb);
}

/* path: the message, trimmed. */
static json_t *event_message(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const char *m = k1s_json_str_or(o, cell->path, "");
    size_t n = strlen(m);
    /* strings.TrimSpace, ASCII white space only. */
    while (n && strchr(" \t\n\v\f\r", m[n - 1]))
        n--;
    while (n && strchr(" \t\n\v\f\r", *m)) {
        m++;
        n--;
    }
    k1s_buf sb = K1S__CELL_BUF;
    k1s_buf_add(&sb, m, n);
    return k1s__tb_jbuf(&sb);
}

/* The columns of an Event, from the field names of its version. */
#define EVENT_COLUMNS(first, last, count, object, source, controller, message)                 \
    {                                                                                          \
        {"Last Seen",                                                                          \
         "string",                                                                             \
         "",                                                                                   \
         0,                                                                                    \
         "Time since the event was last seen.",                                                \
         K1S__FN_AT(event_last, last, first)},                                                 \
            {"Type", "string", "", 0, "Normal or Warning.", K1S__STR("type")},                 \
            {"Reason", "string", "", 0, "Short machine-readable reason.", K1S__STR("reason")}, \
            {"Object",                                                                         \
             "string",                                                                         \
             "",                                                                               \
             0,                                                                                \
             "The object the event is about.",                                                 \
             K1S__FN_AT(event_object, object, NULL)},                                          \
            {"Subobject",                                                                      \
             "string",                                                                         \
             "",                                                                               \
             1,                                                                                \
             "The part of the object (field path).",                                           \
             K1S__STR(object ".fieldPath")},                                                   \
            {"Source",                                                                         \
             "string",                                                                         \
             "",                                                                               \
             1,                                                                                \
             "The component that reported the event.",                                         \
             K1S__FN_AT(event_source, source, controller)},                                    \
            {"Message",                                                                        \
             "string",                                                                         \
             "",                                                                               \
             0,                                                                                \
             "What happened, for humans.",                                                     \
             K1S__FN_AT(event_message, message, NULL)},                                        \
            {"First Seen",                                                                     \
             "string",                                                                         \
             "",                                                                               \
             1,                                                                                \
             "Time since the event was first seen.",                                           \
             K1S__FN_AT(event_first, first, NULL)},                                            \
            {"Count",                                                                          \
             "string",                                                                         \
             "",                                                                               \
             1,                                                                                \
             "How many times the event occurred.",                                             \
             K1S__FN_AT(event_count, count, NULL)},                                            \
            {"Name", "string", "name", 1, K1S__DESC_NAME, K1S__STR("metadata.name")},          \
    }

static const k1s__tb_column core_event_columns[] =
    EVENT_COLUMNS("firstTimestamp", "lastTimestamp", "count", "involvedObject", "source",
                  "reportingComponent", "message");
static const k1s__tb_column events_event_columns[] =
    EVENT_COLUMNS("deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount",
                  "regarding", "deprecatedSource", "reportingController", "note");

/* ---- the kinds ------------------------------------------------------------------ */

#define KIND(group, kind, cols)                         \
    {                                                   \
        group, kind, cols, K1S__NCOLS(cols), NULL, NULL \
    }

const k1s__tb_kind_table k1s__tb_kinds_core[] = {
    KIND("", "PodTemplate", podtemplate_columns),
    KIND("", "ReplicationController", rc_columns),
    KIND("", "Service", service_columns),
    KIND("", "Endpoints", endpoints_columns),
    KIND("", "Node", node_columns),
    KIND("", "Namespace", namespace_columns),
    KIND("", "Secret", secret_columns),
    KIND("", "ServiceAccount", serviceaccount_columns),
    KIND("", "ConfigMap", configmap_columns),
    KIND("", "ComponentStatus", componentstatus_columns),
    KIND("", "ResourceQuota", resourcequota_columns),
    /* kube prints LimitRanges with the default table */
    KIND("", "LimitRange", k1s__tb_default_columns),
    KIND("", "Event", core_event_columns),
    KIND("events.k8s.io", "Event", events_event_columns),
};
const size_t k1s__tb_kinds_core_count = K1S__NCOLS(k1s__tb_kinds_core);
