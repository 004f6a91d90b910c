/*
 * strategy_flowcontrol.c - flowcontrol.apiserver.k8s.io/v1 FlowSchema and
 * PriorityLevelConfiguration: kube 1.33's v1 defaults and the main rules
 * of its validation, with its messages. k1s does not classify requests
 * (there is one client population), so the objects are stored and shown
 * only; apiserver/bootstrap_flowcontrol.c creates kube's initial set.
 */
#include "strategy_internal.h"

#include <string.h>

/* ---- defaults ------------------------------------------------------------------------------ */

/* kube's defaulters test Go zero values, so an explicit 0 is defaulted
 * too; a static schema default would only fill an absent field, which is
 * why these live here and not in the schema (kube's OpenAPI shows none). */
static void default_if_zero(json_t *obj, const char *key, json_int_t v)
{
    json_t *cur = json_object_get(obj, key);
    if (!json_is_integer(cur) || json_integer_value(cur) == 0)
        json_object_set_new(obj, key, json_integer(v));
}

static void default_if_absent(json_t *obj, const char *key, json_int_t v)
{
    json_t *cur = json_object_get(obj, key);
    if (!cur || json_is_null(cur))
        json_object_set_new(obj, key, json_integer(v));
}

static void flowschema_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (spec)
        default_if_zero(spec, "matchingPrecedence", 1000);
}

static void plc_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    /* kube's internal type has no pointer here: Exempt always gets spec.exempt */
    if (!strcmp(k1s__str0(spec, "type"), "Exempt")) {
        json_t *ex = k1s__ensure_obj(spec, "exempt");
        if (ex) {
            default_if_absent(ex, "nominalConcurrencyShares", 0);
            default_if_absent(ex, "lendablePercent", 0);
        }
    } else if (k1s__objv(spec, "exempt")) {
        json_t *ex = k1s__objv(spec, "exempt");
        default_if_absent(ex, "nominalConcurrencyShares", 0);
        default_if_absent(ex, "lendablePercent", 0);
    }
    json_t *lim = k1s__objv(spec, "limited");
    if (lim) {
        /* v1 keeps nominalConcurrencyShares a plain int32: 0 means "unset" */
        default_if_zero(lim, "nominalConcurrencyShares", 30);
        default_if_absent(lim, "lendablePercent", 0);
        json_t *q = k1s__objv(k1s__objv(lim, "limitResponse"), "queuing");
        if (q) {
            default_if_zero(q, "queues", 64);
            default_if_zero(q, "handSize", 8);
            default_if_zero(q, "queueLengthLimit", 50);
        }
    }
}

/* ---- validation -------------------------------------------------------------------------------- */

static long long int_of(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void check_percent(const json_t *obj, const char *key, const char *path, k1s_ferrs *fe)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > 100))
        k1s_ferr_invalid(fe, path, v, "must be between 0 and 100, inclusive");
}

static void validate_subject(const json_t *s, const char *base, k1s_ferrs *fe)
{
    static const char *const kinds[] = {"Group", "ServiceAccount", "User", NULL};
    /* which member each kind needs */
    static const struct {
        const char *kind, *member;
    } members[] = {{"User", "user"}, {"Group", "group"}, {"ServiceAccount", "serviceAccount"}};
    char fp[K1S_FP_MAX];
    const char *kind = k1s__str0(s, "kind");
    bool known = false;
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        const json_t *m = k1s__objv(s, members[i].member);
        if (!strcmp(kind, members[i].kind)) {
            known = true;
            if (!m)
                k1s_ferr_required(fe, k1s__fp(fp, "%s.%s", base, members[i].member),
                                  "must be specified");
            else if (!*k1s__str0(m, "name"))
                k1s_ferr_required(fe, k1s__fp(fp, "%s.%s.name", base, members[i].member),
                                  "must be non-empty");
        } else if (m) {
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.%s", base, members[i].member),
                               "must be nil for this kind of subject");
        }
    }
    if (!known)
        k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.kind", base), kind, kinds);
}

static void flowschema_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    json_t *prec = json_object_get(spec, "matchingPrecedence");
    long long p = int_of(spec, "matchingPrecedence");
    if (p <= 0 || p > 10000)
        k1s_ferr_invalid(fe, "spec.matchingPrecedence", prec,
                         "must be between 1 and 10000 inclusively");
    if (!*k1s__str0(k1s__objv(spec, "priorityLevelConfiguration"), "name"))
        k1s_ferr_required(fe, "spec.priorityLevelConfiguration.name",
                          "must reference a priority level");
    const json_t *dm = k1s__objv(spec, "distinguisherMethod");
    static const char *const methods[] = {"ByNamespace", "ByUser", NULL};
    if (dm && !k1s__one_of(k1s__str0(dm, "type"), methods))
        k1s__ferr_not_supported_str(fe, "spec.distinguisherMethod.type", k1s__str0(dm, "type"),
                                    methods);
    const json_t *rules = k1s__arrv(spec, "rules");
    char fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        const json_t *subj = k1s__arrv(r, "subjects");
        if (!json_array_size(subj))
            k1s_ferr_required(fe, k1s__fp(fp, "spec.rules[%zu].subjects", i),
                              "subjects must contain at least one value");
        for (size_t j = 0; j < json_array_size(subj); j++) {
            char base[K1S_FP_MAX];
            validate_subject(json_array_get(subj, j),
                             k1s__fp(base, "spec.rules[%zu].subjects[%zu]", i, j), fe);
        }
        if (!json_array_size(k1s__arrv(r, "resourceRules")) &&
            !json_array_size(k1s__arrv(r, "nonResourceRules")))
            k1s_ferr_required(
                fe, k1s__fp(fp, "spec.rules[%zu]", i),
                "at least one of resourceRules and nonResourceRules has to be non-empty");
    }
}

static void validate_limited(const json_t *lim, k1s_ferrs *fe)
{
    json_t *ncs = json_object_get(lim, "nominalConcurrencyShares");
    if (json_is_integer(ncs) && json_integer_value(ncs) < 0)
        k1s_ferr_invalid(fe, "spec.limited.nominalConcurrencyShares", ncs,
                         "must be a non-negative integer");
    check_percent(lim, "lendablePercent", "spec.limited.lendablePercent", fe);
    json_t *blp = json_object_get(lim, "borrowingLimitPercent");
    if (json_is_integer(blp) && json_integer_value(blp) < 0)
        k1s_ferr_invalid(fe, "spec.limited.borrowingLimitPercent", blp,
                         "if specified, must be a non-negative integer");
    const json_t *lr = k1s__objv(lim, "limitResponse");
    const char *type = k1s__str0(lr, "type");
    const json_t *q = k1s__objv(lr, "queuing");
    static const char *const types[] = {"Queue", "Reject", NULL};
    if (!strcmp(type, "Queue")) {
        if (!q) {
            k1s_ferr_required(fe, "spec.limited.limitResponse.queuing",
                              "must not be empty if limited.limitResponse.type is Queue");
            return;
        }
        json_t *ql = json_object_get(q, "queueLengthLimit");
        json_t *qs = json_object_get(q, "queues");
        json_t *hs = json_object_get(q, "handSize");
        if (int_of(q, "queueLengthLimit") <= 0)
            k1s_ferr_invalid(fe, "spec.limited.limitResponse.queuing.queueLengthLimit", ql,
                             "must be positive");
        if (int_of(q, "queues") <= 0)
            k1s_ferr_invalid(fe, "spec.limited.limitResponse.queuing.queues", qs,
                             "must be positive");
        if (int_of(q, "queues") > 0 && int_of(q, "handSize") > int_of(q, "queues")) {
            char why[96];
            snprintf(why, sizeof why, "should not be greater than queues (%lld)",
                     int_of(q, "queues"));
            k1s_ferr_invalid(fe, "spec.limited.limitResponse.queuing.handSize", hs, why);
        } else if (int_of(q, "handSize") <= 0) {
            k1s_ferr_invalid(fe, "spec.limited.limitResponse.queuing.handSize", hs,
                             "must be positive");
        }
    } else if (!strcmp(type, "Reject")) {
        if (q)
            k1s_ferr_forbidden(fe, "spec.limited.limitResponse.queuing",
                               "must be nil if limited.limitResponse.type is not Limited");
    } else {
        k1s__ferr_not_supported_str(fe, "spec.limited.limitResponse.type", type, types);
    }
}

static void plc_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    const char *type = k1s__str0(spec, "type");
    const char *name = k1s_meta(obj, "name");
    static const char *const types[] = {"Exempt", "Limited", NULL};
    /* the exempt level is the one and only Exempt level */
    if ((name && !strcmp(name, "exempt")) != !strcmp(type, "Exempt"))
        k1s_ferr_invalid_str(fe, "spec.type", type,
                             "type must be 'Exempt' if and only if name is 'exempt'");
    if (!strcmp(type, "Exempt")) {
        if (k1s__objv(spec, "limited"))
            k1s_ferr_forbidden(fe, "spec.limited", "must be nil if the type is not Limited");
        const json_t *ex = k1s__objv(spec, "exempt");
        json_t *ncs = json_object_get(ex, "nominalConcurrencyShares");
        if (json_is_integer(ncs) && json_integer_value(ncs) < 0)
            k1s_ferr_invalid(fe, "spec.exempt.nominalConcurrencyShares", ncs,
                             "must be a non-negative integer");
        check_percent(ex, "lendablePercent", "spec.exempt.lendablePercent", fe);
    } else if (!strcmp(type, "Limited")) {
        if (k1s__objv(spec, "exempt"))
            k1s_ferr_forbidden(fe, "spec.exempt", "must be nil if the type is Limited");
        const json_t *lim = k1s__objv(spec, "limited");
        if (!lim)
            k1s_ferr_required(fe, "spec.limited", "must not be empty when type is Limited");
        else
            validate_limited(lim, fe);
    } else {
        k1s__ferr_not_supported_str(fe, "spec.type", type, types);
    }
}

/* kube clears the status a create carries: the config controller owns it */
static void clear_status(json_t *obj)
{
    json_object_del(obj, "status");
}

const k1s_strategy k1s__strategy_flowschema = {
    .prepare_create = clear_status,
    .defaults = flowschema_defaults,
    .validate = flowschema_validate,
};

const k1s_strategy k1s__strategy_prioritylevelconfiguration = {
    .prepare_create = clear_status,
    .defaults = plc_defaults,
    .validate = plc_validate,
};
