/*
 * kinds_cluster.c - tables of the remaining built-in kinds: networking
 * (Ingress, IngressClass, NetworkPolicy, ServiceCIDR, IPAddress), discovery
 * EndpointSlice, RBAC bindings, certificates, coordination, scheduling, node,
 * admission registration, API priority and fairness, APIService and the
 * resource.k8s.io kinds.
 *
 * Role, ClusterRole, LimitRange and CustomResourceDefinition have no columns
 * of their own in kube either: they get the default table.
 */
#include "k1s_tables.h"
#include "tables_int.h"

#include <stdio.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static json_t *str_cell(const json_t *o, const char *path)
{
    return k1s__tb_jstr(k1s_json_str(o, path));
}

#define LIST_MAX 3 /* kube lists three entries, then "+ N more..." */

/* Collects up to LIST_MAX entries, then counts the rest (listWithMoreString). */
typedef struct more_list {
    k1s_buf sb;
    size_t shown;
    long long count;
    bool more;
} more_list;

static void more_add(more_list *l, const char *s)
{
    if (l->shown < LIST_MAX) {
        if (l->shown)
            k1s_buf_adds(&l->sb, ",");
        k1s_buf_adds(&l->sb, s);
        l->shown++;
    } else {
        l->more = true;
    }
    l->count++;
}

static json_t *more_json(more_list *l)
{
    if (l->more)
        k1s_buf_addf(&l->sb, " + %lld more...", l->count - LIST_MAX);
    else if (l->sb.len == 0)
        k1s_buf_adds(&l->sb, "<unset>");
    return k1s__tb_jbuf(&l->sb);
}

/* ---- Ingress, IngressClass, NetworkPolicy, ServiceCIDR, IPAddress ------------ */

static json_t *ing_hosts(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *rules = k1s__tb_array(o, "spec.rules");
    size_t n = json_array_size(rules), listed = 0;
    bool more = false;
    k1s_buf sb = K1S__CELL_BUF;
    for (size_t i = 0; i < n; i++) {
        const char *host = k1s_json_str(json_array_get(rules, i), "host");
        if (listed == LIST_MAX)
            more = true;
        if (!more && k1s__tb_nonempty(host)) {
            if (listed)
                k1s_buf_adds(&sb, ",");
            k1s_buf_adds(&sb, host);
            listed++;
        }
    }
    if (listed == 0) {
        k1s_buf_free(&sb);
        return json_string("*");
    }
    if (more)
        k1s_buf_addf(&sb, " + %zu more...", n - LIST_MAX);
    return k1s__tb_jbuf(&sb);
}

static json_t *ing_address(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    /* Sorted, without repeats; the server prints wide, so never clipped. */
    const json_t *ingress = k1s__tb_array(o, "status.loadBalancer.ingress");
    const char *addrs[64];
    size_t n = 0, u = 0;
    k1s_buf sb = K1S__CELL_BUF;
    for (size_t i = 0; i < json_array_size(ingress) && n < 64; i++) {
        const json_t *e = json_array_get(ingress, i);
        const char *a = k1s_json_str(e, "ip");
        if (!k1s__tb_nonempty(a))
            a = k1s_json_str(e, "hostname");
        if (k1s__tb_nonempty(a))
            addrs[n++] = a;
    }
    k1s__tb_sort_strings(addrs, n);
    for (size_t i = 0; i < n; i++) {
        if (u && strcmp(addrs[i], addrs[i - 1]) == 0)
            continue;
        if (u++)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, addrs[i]);
    }
    return k1s__tb_jbuf(&sb);
}

static json_t *ing_ports(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    return json_string(k1s__tb_count(o, "spec.tls") ? "80, 443" : "80");
}

static const k1s__tb_column ingress_columns[] = {
    K1S__COL_NAME,
    {"Class", "string", "", 0, "The IngressClass of the ingress.",
     K1S__STR_OR("spec.ingressClassName", "<none>")},
    {"Hosts", "string", "", 0, "Hosts the rules match.", K1S__FN(ing_hosts)},
    {"Address", "string", "", 0, "Addresses of the load balancer.", K1S__FN(ing_address)},
    {"Ports", "string", "", 0, "Ports served (443 when TLS is configured).", K1S__FN(ing_ports)},
    K1S__COL_AGE,
};

static json_t *ic_parameters(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *p = k1s_json_at(o, "spec.parameters");
    k1s_buf sb = K1S__CELL_BUF;
    if (!json_is_object(p))
        return json_string("<none>");
    k1s_buf_adds(&sb, k1s_json_str_or(p, "kind", ""));
    if (json_is_string(k1s_json_at(p, "apiGroup"))) {
        k1s_buf_adds(&sb, ".");
        k1s_buf_adds(&sb, k1s_json_str_or(p, "apiGroup", ""));
    }
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(p, "name", ""));
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column ingressclass_columns[] = {
    K1S__COL_NAME,
    {"Controller", "string", "", 0, "The controller that implements the class.",
     K1S__STR("spec.controller")},
    {"Parameters", "string", "", 0, "The object holding the class's parameters.",
     K1S__FN(ic_parameters)},
    K1S__COL_AGE,
};

static const k1s__tb_column networkpolicy_columns[] = {
    K1S__COL_NAME,
    {"Pod-Selector", "string", "", 0, "The pods the policy applies to.",
     K1S__SELECTOR("spec.podSelector")},
    K1S__COL_AGE,
};

static const k1s__tb_column servicecidr_columns[] = {
    K1S__COL_NAME,
    {"CIDRs", "string", "", 0, "The ranges service IPs are taken from.",
     K1S__LIST("spec.cidrs", NULL, NULL)},
    K1S__COL_AGE,
};

static json_t *ip_parent(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *p = k1s_json_at(o, "spec.parentRef");
    const char *group = k1s_json_str(p, "group");
    const char *ns = k1s_json_str(p, "namespace");
    k1s_buf sb = K1S__CELL_BUF;
    if (!json_is_object(p))
        return json_string("<none>");
    k1s__tb_add_lower(&sb, k1s_json_str_or(p, "resource", ""));
    if (k1s__tb_nonempty(group)) {
        k1s_buf_adds(&sb, ".");
        k1s__tb_add_lower(&sb, group);
    }
    if (k1s__tb_nonempty(ns)) {
        k1s_buf_adds(&sb, "/");
        k1s_buf_adds(&sb, ns);
    }
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(p, "name", ""));
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column ipaddress_columns[] = {
    K1S__COL_NAME,
    {"ParentRef", "string", "", 0, "The object the address is allocated to.", K1S__FN(ip_parent)},
    K1S__COL_AGE,
};

/* ---- EndpointSlice ---------------------------------------------------------------- */

static json_t *eps_ports(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *ports = k1s__tb_array(o, "ports");
    more_list l = {.sb = K1S__CELL_BUF};
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        char num[32];
        const char *s = "*";
        if (json_is_integer(k1s_json_at(p, "port"))) {
            snprintf(num, sizeof num, "%lld", k1s_json_int(p, "port", 0));
            s = num;
        } else if (json_is_string(k1s_json_at(p, "name"))) {
            s = k1s_json_str(p, "name");
        }
        more_add(&l, s);
    }
    return more_json(&l);
}

static json_t *eps_endpoints(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *eps = k1s__tb_array(o, "endpoints");
    more_list l = {.sb = K1S__CELL_BUF};
    for (size_t i = 0; i < json_array_size(eps); i++) {
        const json_t *addrs = k1s__tb_array(json_array_get(eps, i), "addresses");
        for (size_t a = 0; a < json_array_size(addrs); a++) {
            const json_t *v = json_array_get(addrs, a);
            more_add(&l, json_is_string(v) ? json_string_value(v) : "");
        }
    }
    return more_json(&l);
}

static const k1s__tb_column endpointslice_columns[] = {
    K1S__COL_NAME,
    {"AddressType", "string", "", 0, "IPv4, IPv6 or FQDN.", K1S__STR("addressType")},
    {"Ports", "string", "", 0, "Ports of the endpoints.", K1S__FN(eps_ports)},
    {"Endpoints", "string", "", 0, "Addresses of the endpoints.", K1S__FN(eps_endpoints)},
    K1S__COL_AGE,
};

/* ---- RoleBinding, ClusterRoleBinding ------------------------------------------------- */

/* Subjects of the kind arg joined with ", "; service accounts as
 * namespace/name. */
static json_t *rb_subjects(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const char *kind = cell->arg;
    const json_t *subjects = k1s__tb_array(o, "subjects");
    bool sa = strcmp(kind, "ServiceAccount") == 0;
    k1s_buf sb = K1S__CELL_BUF;
    bool first = true;
    for (size_t i = 0; i < json_array_size(subjects); i++) {
        const json_t *s = json_array_get(subjects, i);
        if (!str_eq(k1s_json_str(s, "kind"), kind))
            continue;
        if (!first)
            k1s_buf_adds(&sb, ", ");
        first = false;
        if (sa) {
            k1s_buf_adds(&sb, k1s_json_str_or(s, "namespace", ""));
            k1s_buf_adds(&sb, "/");
        }
        k1s_buf_adds(&sb, k1s_json_str_or(s, "name", ""));
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column rolebinding_columns[] = {
    K1S__COL_NAME,
    {"Role", "string", "", 0, "The role granted (Kind/name).",
     K1S__PAIR("roleRef", "kind/name", NULL)},
    K1S__COL_AGE,
    {"Users", "string", "", 1, "Users the role is granted to.",
     K1S__FN_AT(rb_subjects, NULL, "User")},
    {"Groups", "string", "", 1, "Groups the role is granted to.",
     K1S__FN_AT(rb_subjects, NULL, "Group")},
    {"ServiceAccounts", "string", "", 1, "Service accounts the role is granted to.",
     K1S__FN_AT(rb_subjects, NULL, "ServiceAccount")},
};

/* ---- CertificateSigningRequest, ClusterTrustBundle ----------------------------------- */

static json_t *csr_duration(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    char buf[32];
    if (!json_is_integer(k1s_json_at(o, "spec.expirationSeconds")))
        return json_string("<none>");
    k1s_table_duration(buf, sizeof buf, k1s_json_int(o, "spec.expirationSeconds", 0));
    return json_string(buf);
}

static json_t *csr_condition(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *conds = k1s__tb_array(o, "status.conditions");
    bool approved = false, denied = false, failed = false;
    k1s_buf sb = K1S__CELL_BUF;
    for (size_t i = 0; i < json_array_size(conds); i++) {
        const char *type = k1s_json_str_or(json_array_get(conds, i), "type", "");
        approved |= strcmp(type, "Approved") == 0;
        denied |= strcmp(type, "Denied") == 0;
        failed |= strcmp(type, "Failed") == 0;
    }
    k1s_buf_adds(&sb, denied ? "Denied" : approved ? "Approved" : "Pending");
    if (failed)
        k1s_buf_adds(&sb, ",Failed");
    if (k1s__tb_nonempty(k1s_json_str(o, "status.certificate")))
        k1s_buf_adds(&sb, ",Issued");
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column csr_columns[] = {
    K1S__COL_NAME,
    K1S__COL_AGE,
    {"SignerName", "string", "", 0, "The signer asked to sign.",
     K1S__NONEMPTY_OR("spec.signerName", "<none>")},
    {"Requestor", "string", "", 0, "The user who made the request.", K1S__STR("spec.username")},
    {"RequestedDuration", "string", "", 0, "Validity asked for the certificate.",
     K1S__FN(csr_duration)},
    {"Condition", "string", "", 0, "Approved, denied, failed, issued.", K1S__FN(csr_condition)},
};

static const k1s__tb_column clustertrustbundle_columns[] = {
    K1S__COL_NAME,
    {"SignerName", "string", "", 0, "The signer the bundle is for.",
     K1S__NONEMPTY_OR("spec.signerName", "<none>")},
};

/* ---- Lease, LeaseCandidate ---------------------------------------------------------- */

static const k1s__tb_column lease_columns[] = {
    K1S__COL_NAME,
    {"Holder", "string", "", 0, "Identity of the current holder.", K1S__STR("spec.holderIdentity")},
    K1S__COL_AGE,
};

static const k1s__tb_column leasecandidate_columns[] = {
    K1S__COL_NAME,
    {"LeaseName", "string", "", 0, "The lease the candidate runs for.", K1S__STR("spec.leaseName")},
    {"BinaryVersion", "string", "", 0, "The candidate's binary version.",
     K1S__STR("spec.binaryVersion")},
    {"EmulationVersion", "string", "", 0, "The version the candidate emulates.",
     K1S__STR("spec.emulationVersion")},
    K1S__COL_AGE,
};

/* ---- PriorityClass, RuntimeClass ------------------------------------------------------- */

static const k1s__tb_column priorityclass_columns[] = {
    K1S__COL_NAME,
    {"Value", "integer", "", 0, "The priority of pods using the class.", K1S__INT("value", 0)},
    {"Global-Default", "boolean", "", 0, "Whether pods without a class get this one.",
     K1S__BOOL("globalDefault", 0)},
    K1S__COL_AGE,
    {"PreemptionPolicy", "string", "", 0, "Whether pods of the class preempt others.",
     K1S__STR("preemptionPolicy")},
};

static const k1s__tb_column runtimeclass_columns[] = {
    K1S__COL_NAME,
    {"Handler", "string", "", 0, "The CRI handler that runs the pods.", K1S__STR("handler")},
    K1S__COL_AGE,
};

/* ---- admission registration ------------------------------------------------------------ */

static const k1s__tb_column webhook_columns[] = {
    K1S__COL_NAME,
    {"Webhooks", "integer", "", 0, "Number of webhooks in the configuration.",
     K1S__COUNT("webhooks")},
    K1S__COL_AGE,
};

#define COL_PARAM_KIND                                                           \
    {                                                                            \
        "ParamKind", "string", "", 0, "Kind of the policy's parameter objects.", \
            K1S__PAIR("spec.paramKind", "apiVersion/kind", "<unset>")            \
    }

static const k1s__tb_column vap_columns[] = {
    K1S__COL_NAME,
    {"Validations", "integer", "", 0, "Number of validation rules.",
     K1S__COUNT("spec.validations")},
    COL_PARAM_KIND,
    K1S__COL_AGE,
};

static const k1s__tb_column map_columns[] = {
    K1S__COL_NAME,
    {"Mutations", "integer", "", 0, "Number of mutation rules.", K1S__COUNT("spec.mutations")},
    COL_PARAM_KIND,
    K1S__COL_AGE,
};

/* A LabelSelector as Go's generated String() prints it. */
static void sb_go_selector(k1s_buf *sb, const json_t *sel)
{
    const json_t *labels = k1s_json_at(sel, "matchLabels");
    const json_t *exprs = k1s__tb_array(sel, "matchExpressions");
    const char *keys[256];
    size_t nk = 0;
    const char *key;
    json_t *val;
    if (json_is_object(labels)) {
        json_object_foreach((json_t *)labels, key, val)
        {
            if (nk < sizeof keys / sizeof keys[0])
                keys[nk++] = key;
        }
    }
    k1s__tb_sort_strings(keys, nk);
    k1s_buf_adds(sb, "&LabelSelector{MatchLabels:map[string]string{");
    for (size_t i = 0; i < nk; i++) {
        k1s_buf_adds(sb, keys[i]);
        k1s_buf_adds(sb, ": ");
        k1s_buf_adds(sb, k1s_json_str(labels, keys[i]) ? k1s_json_str(labels, keys[i]) : "");
        k1s_buf_adds(sb, ",");
    }
    k1s_buf_adds(sb, "},MatchExpressions:[]LabelSelectorRequirement{");
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        const json_t *e = json_array_get(exprs, i);
        const json_t *values = k1s__tb_array(e, "values");
        k1s_buf_adds(sb, "{");
        k1s_buf_adds(sb, k1s_json_str_or(e, "key", ""));
        k1s_buf_adds(sb, " ");
        k1s_buf_adds(sb, k1s_json_str_or(e, "operator", ""));
        k1s_buf_adds(sb, " [");
        for (size_t v = 0; v < json_array_size(values); v++) {
            const json_t *s = json_array_get(values, v);
            if (v)
                k1s_buf_adds(sb, " ");
            k1s_buf_adds(sb, json_is_string(s) ? json_string_value(s) : "");
        }
        k1s_buf_adds(sb, "]},");
    }
    k1s_buf_adds(sb, "},}");
}

static json_t *binding_param_ref(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *pr = k1s_json_at(o, "spec.paramRef");
    const char *name = k1s_json_str(pr, "name");
    const char *ns = k1s_json_str(pr, "namespace");
    k1s_buf sb = K1S__CELL_BUF;
    if (!json_is_object(pr))
        return json_string("<unset>");
    if (k1s__tb_nonempty(name)) {
        /* Without a namespace, kube cannot tell whether the param is
         * cluster-scoped, and writes "*". */
        k1s_buf_adds(&sb, k1s__tb_nonempty(ns) ? ns : "*");
        k1s_buf_adds(&sb, "/");
        k1s_buf_adds(&sb, name);
    } else if (json_is_object(k1s_json_at(pr, "selector"))) {
        sb_go_selector(&sb, k1s_json_at(pr, "selector"));
    } else {
        k1s_buf_adds(&sb, "<unset>");
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column policybinding_columns[] = {
    K1S__COL_NAME,
    {"PolicyName", "string", "", 0, "The policy the binding applies.", K1S__STR("spec.policyName")},
    {"ParamRef", "string", "", 0, "The parameter object (namespace/name or selector).",
     K1S__FN(binding_param_ref)},
    K1S__COL_AGE,
};

/* ---- FlowSchema, PriorityLevelConfiguration -------------------------------------------- */

static long long fs_precedence(const json_t *o)
{
    /* 0 is defaulted to 1000 */
    long long p = k1s_json_int(o, "spec.matchingPrecedence", 0);
    return p ? p : 1000;
}

static json_t *fs_precedence_cell(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    return k1s__tb_jint(fs_precedence(o));
}

static json_t *fs_distinguisher(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    if (!json_is_object(k1s_json_at(o, "spec.distinguisherMethod")))
        return json_string("<none>");
    return str_cell(o, "spec.distinguisherMethod.type");
}

static json_t *fs_missing(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *conds = k1s__tb_array(o, "status.conditions");
    for (size_t i = 0; i < json_array_size(conds); i++) {
        const json_t *c = json_array_get(conds, i);
        if (str_eq(k1s_json_str(c, "type"), "Dangling"))
            return str_cell(c, "status");
    }
    return json_string("?");
}

/* kube lists flow schemas in matching order: precedence, then name. */
static int fs_compare(const json_t *a, const json_t *b)
{
    long long pa = fs_precedence(a), pb = fs_precedence(b);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    return strcmp(k1s_json_str_or(a, "metadata.name", ""), k1s_json_str_or(b, "metadata.name", ""));
}

static const k1s__tb_column flowschema_columns[] = {
    K1S__COL_NAME,
    {"PriorityLevel", "string", "", 0, "The priority level requests are assigned to.",
     K1S__STR("spec.priorityLevelConfiguration.name")},
    {"MatchingPrecedence", "string", "", 0, "Lower values are matched first.",
     K1S__FN(fs_precedence_cell)},
    {"DistinguisherMethod", "string", "", 0, "How requests are split into flows.",
     K1S__FN(fs_distinguisher)},
    K1S__COL_AGE,
    {"MissingPL", "string", "", 0, "Whether the priority level does not exist.",
     K1S__FN(fs_missing)},
};

/* The integer at path, "<none>" when the object arg holding it is absent
 * (a nil pointer in Go). */
static json_t *plc_int(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    if (!json_is_object(k1s_json_at(o, cell->arg)))
        return json_string("<none>");
    return k1s__tb_jint(k1s_json_int(o, cell->path, 0));
}

#define LIMITED "spec.limited"
#define QUEUING "spec.limited.limitResponse.queuing"

static const k1s__tb_column prioritylevel_columns[] = {
    K1S__COL_NAME,
    {"Type", "string", "", 0, "Limited or Exempt.", K1S__STR("spec.type")},
    {"NominalConcurrencyShares", "string", "", 0, "Share of the server's concurrency.",
     K1S__FN_AT(plc_int, LIMITED ".nominalConcurrencyShares", LIMITED)},
    {"Queues", "string", "", 0, "Number of queues.",
     K1S__FN_AT(plc_int, QUEUING ".queues", QUEUING)},
    {"HandSize", "string", "", 0, "Queues a flow is shuffled over.",
     K1S__FN_AT(plc_int, QUEUING ".handSize", QUEUING)},
    {"QueueLengthLimit", "string", "", 0, "Requests a queue holds.",
     K1S__FN_AT(plc_int, QUEUING ".queueLengthLimit", QUEUING)},
    K1S__COL_AGE,
};

/* ---- APIService ---------------------------------------------------------------------- */

static json_t *apisvc_available(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *conds = k1s__tb_array(o, "status.conditions");
    for (size_t i = 0; i < json_array_size(conds); i++) {
        const json_t *c = json_array_get(conds, i);
        if (!str_eq(k1s_json_str(c, "type"), "Available"))
            continue;
        const char *status = k1s_json_str_or(c, "status", "");
        const char *reason = k1s_json_str(c, "reason");
        k1s_buf sb = K1S__CELL_BUF;
        k1s_buf_adds(&sb, status);
        if (strcmp(status, "True") != 0 && k1s__tb_nonempty(reason)) {
            k1s_buf_adds(&sb, " (");
            k1s_buf_adds(&sb, reason);
            k1s_buf_adds(&sb, ")");
        }
        return k1s__tb_jbuf(&sb);
    }
    return json_string("Unknown");
}

static const k1s__tb_column apiservice_columns[] = {
    K1S__COL_NAME,
    {"Service", "string", "", 0, "The service that serves the API, or Local.",
     K1S__PAIR("spec.service", "namespace/name", "Local")},
    {"Available", "string", "", 0, "Whether the API is available.", K1S__FN(apisvc_available)},
    K1S__COL_AGE,
};

/* ---- resource.k8s.io ------------------------------------------------------------------ */

static const k1s__tb_column name_age_columns[] = {
    K1S__COL_NAME,
    K1S__COL_AGE,
};

static json_t *claim_state(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    bool deleted = k1s_json_at(o, "metadata.deletionTimestamp") != NULL;
    k1s_buf sb = K1S__CELL_BUF;
    if (deleted)
        k1s_buf_adds(&sb, "deleted");
    if (!json_is_object(k1s_json_at(o, "status.allocation"))) {
        if (!deleted)
            k1s_buf_adds(&sb, "pending");
    } else {
        if (deleted)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, "allocated");
        if (k1s__tb_count(o, "status.reservedFor"))
            k1s_buf_adds(&sb, ",reserved");
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column resourceclaim_columns[] = {
    K1S__COL_NAME,
    {"State", "string", "", 0, "Pending, allocated, reserved or deleted.", K1S__FN(claim_state)},
    K1S__COL_AGE,
};

static const k1s__tb_column resourceslice_columns[] = {
    K1S__COL_NAME,
    {"Node", "string", "", 0, "The node the devices are on.", K1S__STR("spec.nodeName")},
    {"Driver", "string", "", 0, "The driver that publishes the devices.", K1S__STR("spec.driver")},
    {"Pool", "string", "", 0, "The pool the slice belongs to.", K1S__STR("spec.pool.name")},
    K1S__COL_AGE,
};

/* ---- the kinds ------------------------------------------------------------------------ */

#define KIND(group, kind, cols)                         \
    {                                                   \
        group, kind, cols, K1S__NCOLS(cols), NULL, NULL \
    }
#define ADMISSION "admissionregistration.k8s.io"

const k1s__tb_kind_table k1s__tb_kinds_cluster[] = {
    KIND("networking.k8s.io", "Ingress", ingress_columns),
    KIND("networking.k8s.io", "IngressClass", ingressclass_columns),
    KIND("networking.k8s.io", "NetworkPolicy", networkpolicy_columns),
    KIND("networking.k8s.io", "ServiceCIDR", servicecidr_columns),
    KIND("networking.k8s.io", "IPAddress", ipaddress_columns),
    KIND("discovery.k8s.io", "EndpointSlice", endpointslice_columns),
    KIND("rbac.authorization.k8s.io", "RoleBinding", rolebinding_columns),
    KIND("rbac.authorization.k8s.io", "ClusterRoleBinding", rolebinding_columns),
    KIND("certificates.k8s.io", "CertificateSigningRequest", csr_columns),
    KIND("certificates.k8s.io", "ClusterTrustBundle", clustertrustbundle_columns),
    KIND("coordination.k8s.io", "Lease", lease_columns),
    KIND("coordination.k8s.io", "LeaseCandidate", leasecandidate_columns),
    KIND("scheduling.k8s.io", "PriorityClass", priorityclass_columns),
    KIND("node.k8s.io", "RuntimeClass", runtimeclass_columns),
    KIND(ADMISSION, "MutatingWebhookConfiguration", webhook_columns),
    KIND(ADMISSION, "ValidatingWebhookConfiguration", webhook_columns),
    KIND(ADMISSION, "ValidatingAdmissionPolicy", vap_columns),
    KIND(ADMISSION, "ValidatingAdmissionPolicyBinding", policybinding_columns),
    KIND(ADMISSION, "MutatingAdmissionPolicy", map_columns),
    KIND(ADMISSION, "MutatingAdmissionPolicyBinding", policybinding_columns),
    {"flowcontrol.apiserver.k8s.io", "FlowSchema", flowschema_columns,
     K1S__NCOLS(flowschema_columns), NULL, fs_compare},
    KIND("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", prioritylevel_columns),
    KIND("apiregistration.k8s.io", "APIService", apiservice_columns),
    KIND("resource.k8s.io", "DeviceClass", name_age_columns),
    KIND("resource.k8s.io", "ResourceClaim", resourceclaim_columns),
    KIND("resource.k8s.io", "ResourceClaimTemplate", name_age_columns),
    KIND("resource.k8s.io", "ResourceSlice", resourceslice_columns),
};
const size_t k1s__tb_kinds_cluster_count = K1S__NCOLS(k1s__tb_kinds_cluster);
