/*
 * bootstrap_flowcontrol.c - the FlowSchemas and PriorityLevelConfigurations
 * kube-apiserver 1.33's APF config controller creates at start: the
 * mandatory exempt and catch-all objects and the suggested ones, as the
 * tables below (kube's precedences, levels and matching rules). Objects
 * are created when absent and never overwritten, so a user's change
 * survives a restart (kube would re-apply the mandatory ones; k1s does
 * not enforce anything with them). A FlowSchema created here gets the
 * Dangling=False condition kube's controller writes once its level exists.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bootstrap_internal.h"
#include "k1s_json.h"

#define AUTOUPDATE "apf.kubernetes.io/autoupdate-spec"

/* ---- priority levels ------------------------------------------------------------------- */

static const struct plc_row {
    const char *name;
    bool exempt;
    int shares, lendable;
    const char *response; /* Queue or Reject (Limited only) */
    int queues, hand, queue_len;
} plc_rows[] = {
    {"exempt", true, 0, 0, NULL, 0, 0, 0},
    {"catch-all", false, 5, 0, "Reject", 0, 0, 0},
    {"system", false, 30, 33, "Queue", 64, 6, 50},
    {"node-high", false, 40, 25, "Queue", 64, 6, 50},
    {"leader-election", false, 10, 0, "Queue", 16, 4, 50},
    {"workload-high", false, 40, 50, "Queue", 128, 6, 50},
    {"workload-low", false, 100, 90, "Queue", 128, 6, 50},
    {"global-default", false, 20, 50, "Queue", 128, 6, 50},
};

static json_t *plc_object(const struct plc_row *r)
{
    json_t *spec;
    if (r->exempt) {
        spec = json_pack("{s:s, s:{s:i, s:i}}", "type", "Exempt", "exempt",
                         "nominalConcurrencyShares", r->shares, "lendablePercent", r->lendable);
    } else {
        json_t *resp = json_pack("{s:s}", "type", r->response);
        if (resp && r->queues)
            json_object_set_new(resp, "queuing",
                                json_pack("{s:i, s:i, s:i}", "handSize", r->hand,
                                          "queueLengthLimit", r->queue_len, "queues", r->queues));
        spec = json_pack("{s:s, s:{s:i, s:i, s:o}}", "type", "Limited", "limited",
                         "nominalConcurrencyShares", r->shares, "lendablePercent", r->lendable,
                         "limitResponse", resp);
    }
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:o}", "apiVersion",
                     "flowcontrol.apiserver.k8s.io/v1", "kind", "PriorityLevelConfiguration",
                     "metadata", "name", r->name, "annotations", AUTOUPDATE, "true", "spec", spec);
}

/* ---- flow schemas ------------------------------------------------------------------------- */

/* Lists are comma-separated; subjects are "group:NAME", "user:NAME" or
 * "sa:NAMESPACE/NAME". */
typedef struct res_rule {
    const char *verbs, *groups, *resources, *namespaces;
    bool cluster_scope;
} res_rule;

typedef struct nonres_rule {
    const char *verbs, *urls;
} nonres_rule;

/* The rule sets the schemas share, each ended by a NULL verbs row. */
#define RES_END                       \
    {                                 \
        NULL, NULL, NULL, NULL, false \
    }
#define NONRES_END \
    {              \
        NULL, NULL \
    }
static const res_rule res_all[] = {{"*", "*", "*", "*", true}, RES_END};
static const nonres_rule nonres_all[] = {{"*", "*"}, NONRES_END};
static const res_rule res_leases[] = {
    {"get,create,update", "coordination.k8s.io", "leases", "*", false}, RES_END};
static const res_rule res_endpoints[] = {{"get,create,update", "", "endpoints", "*", false},
                                         RES_END};
static const res_rule res_workload_le[] = {
    {"get,create,update", "", "endpoints,configmaps", "*", false},
    {"get,create,update", "coordination.k8s.io", "leases", "*", false},
    RES_END};
static const res_rule res_node_high[] = {{"*", "", "nodes,nodes/status", "*", true},
                                         {"*", "coordination.k8s.io", "leases", "*", false},
                                         RES_END};
static const nonres_rule nonres_probes[] = {{"get", "/healthz,/readyz,/livez"}, NONRES_END};

#define EVERYONE "group:system:unauthenticated,group:system:authenticated"

static const struct fs_row {
    const char *name, *level;
    int precedence;
    const char *distinguisher; /* NULL: none */
    const char *subjects;
    const res_rule *res;
    const nonres_rule *nonres;
} fs_rows[] = {
    {"exempt", "exempt", 1, NULL, "group:system:masters", res_all, nonres_all},
    {"probes", "exempt", 2, NULL, EVERYONE, NULL, nonres_probes},
    {"system-leader-election", "leader-election", 100, "ByUser",
     "user:system:kube-controller-manager,user:system:kube-scheduler,sa:kube-system/*", res_leases,
     NULL},
    {"endpoint-controller", "workload-high", 150, "ByUser",
     "user:system:kube-controller-manager,sa:kube-system/endpoint-controller,"
     "sa:kube-system/endpointslicemirroring-controller",
     res_endpoints, NULL},
    {"workload-leader-election", "leader-election", 200, "ByUser", "sa:kube-system/*",
     res_workload_le, NULL},
    {"system-node-high", "node-high", 400, "ByUser", "group:system:nodes", res_node_high, NULL},
    {"system-nodes", "system", 500, "ByUser", "group:system:nodes", res_all, nonres_all},
    {"kube-controller-manager", "workload-high", 800, "ByNamespace",
     "user:system:kube-controller-manager", res_all, nonres_all},
    {"kube-scheduler", "workload-high", 800, "ByNamespace", "user:system:kube-scheduler", res_all,
     nonres_all},
    {"kube-system-service-accounts", "workload-high", 900, "ByNamespace", "sa:kube-system/*",
     res_all, nonres_all},
    {"service-accounts", "workload-low", 9000, "ByUser", "group:system:serviceaccounts", res_all,
     nonres_all},
    {"global-default", "global-default", 9900, "ByUser", EVERYONE, res_all, nonres_all},
    {"catch-all", "catch-all", 10000, "ByUser", EVERYONE, res_all, nonres_all},
};

/* "a,b" -> ["a", "b"]; "" -> [""] (the core group). */
static json_t *split(const char *list)
{
    json_t *a = json_array();
    for (const char *p = list;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        if (!c)
            return a;
        p = c + 1;
    }
}

static json_t *subject(const char *s, size_t n)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%.*s", (int)n, s);
    char *v = strchr(buf, ':');
    if (!v)
        return NULL;
    *v++ = '\0';
    if (!strcmp(buf, "group"))
        return json_pack("{s:s, s:{s:s}}", "kind", "Group", "group", "name", v);
    if (!strcmp(buf, "user"))
        return json_pack("{s:s, s:{s:s}}", "kind", "User", "user", "name", v);
    char *slash = strchr(v, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return json_pack("{s:s, s:{s:s, s:s}}", "kind", "ServiceAccount", "serviceAccount", "name",
                     slash + 1, "namespace", v);
}

static json_t *fs_object(const struct fs_row *r)
{
    json_t *subjects = json_array();
    for (const char *p = r->subjects;;) {
        const char *c = strchr(p, ',');
        json_array_append_new(subjects, subject(p, c ? (size_t)(c - p) : strlen(p)));
        if (!c)
            break;
        p = c + 1;
    }
    json_t *rule = json_pack("{s:o}", "subjects", subjects);
    if (r->res) {
        json_t *a = json_array();
        for (const res_rule *rr = r->res; rr->verbs; rr++) {
            json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "apiGroups", split(rr->groups),
                                  "namespaces", split(rr->namespaces), "resources",
                                  split(rr->resources), "verbs", split(rr->verbs));
            /* Go omits a false clusterScope */
            if (rr->cluster_scope)
                json_object_set_new(o, "clusterScope", json_true());
            json_array_append_new(a, o);
        }
        json_object_set_new(rule, "resourceRules", a);
    }
    if (r->nonres) {
        json_t *a = json_array();
        for (const nonres_rule *nr = r->nonres; nr->verbs; nr++)
            json_array_append_new(a, json_pack("{s:o, s:o}", "nonResourceURLs", split(nr->urls),
                                               "verbs", split(nr->verbs)));
        json_object_set_new(rule, "nonResourceRules", a);
    }
    json_t *spec = json_pack("{s:i, s:{s:s}, s:[o]}", "matchingPrecedence", r->precedence,
                             "priorityLevelConfiguration", "name", r->level, "rules", rule);
    if (spec && r->distinguisher)
        json_object_set_new(spec, "distinguisherMethod",
                            json_pack("{s:s}", "type", r->distinguisher));
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:o}", "apiVersion",
                     "flowcontrol.apiserver.k8s.io/v1", "kind", "FlowSchema", "metadata", "name",
                     r->name, "annotations", AUTOUPDATE, "true", "spec", spec);
}

/* The condition kube's config controller writes on a schema whose level
 * exists (every bootstrap schema's does). */
static json_t *dangling_false(const char *level)
{
    char msg[256], now[32];
    snprintf(msg, sizeof msg,
             "This FlowSchema references the PriorityLevelConfiguration object named \"%s\" and "
             "it exists",
             level);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:{s:[{s:s, s:s, s:s, s:s, s:s}]}}", "status", "conditions", "type",
                     "Dangling", "status", "False", "lastTransitionTime", now, "reason", "Found",
                     "message", msg);
}

/* ---- creating them ------------------------------------------------------------------------ */

int k1s_api_bootstrap_flowcontrol(k1s_api *api, char *err, size_t errlen)
{
    const char *g = "flowcontrol.apiserver.k8s.io";
    const k1s_kind *plk = k1s_registry_find_kind(g, "PriorityLevelConfiguration");
    const k1s_kind *fsk = k1s_registry_find_kind(g, "FlowSchema");
    bool created;
    /* levels first, so no schema is ever dangling */
    for (size_t i = 0; i < sizeof plc_rows / sizeof plc_rows[0]; i++)
        if (k1s__bootstrap_ensure(api, plk, "", plc_object(&plc_rows[i]), &created, err, errlen))
            return -1;
    for (size_t i = 0; i < sizeof fs_rows / sizeof fs_rows[0]; i++) {
        if (k1s__bootstrap_ensure(api, fsk, "", fs_object(&fs_rows[i]), &created, err, errlen))
            return -1;
        if (!created)
            continue;
        k1s_target t = {fsk, "", fs_rows[i].name, "status"};
        k1s_status st = {0};
        json_t *patch = dangling_false(fs_rows[i].level), *out = NULL;
        int rc = patch ? k1s_api_patch(api, &t, K1S_PATCH_MERGE, patch, NULL, &out, &st) : -1;
        json_decref(patch);
        json_decref(out);
        if (rc)
            snprintf(err, errlen, "status of FlowSchema %s: %s", fs_rows[i].name,
                     st.message ? st.message : "out of memory");
        k1s_status_clear(&st);
        if (rc)
            return -1;
    }
    return 0;
}
