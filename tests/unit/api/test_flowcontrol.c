/*
 * test_flowcontrol.c - flowcontrol.apiserver.k8s.io/v1: kube 1.33's v1
 * defaults of FlowSchema and PriorityLevelConfiguration and the 422
 * messages of the rules k1s checks.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_fixture.h"
#include "k1s_test.h"
#include "strategy_internal.h"

static const k1s_strategy *strategy(const char *kind)
{
    return k1s_registry_find_kind("flowcontrol.apiserver.k8s.io", kind)->strategy;
}

/* The 422 message validating the object gives, or NULL when valid. */
static char *message(const char *kind, const char *text)
{
    json_t *obj = fx_json(text);
    const k1s_strategy *s = strategy(kind);
    s->defaults(obj);
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    s->validate(obj, NULL, &fe);
    char *msg = NULL;
    if (k1s_ferrs_count(&fe)) {
        k1s_status st = {0};
        k1s_err_invalid(&st, "flowcontrol.apiserver.k8s.io", kind, k1s_meta(obj, "name"), &fe);
        msg = strdup(st.message ? st.message : "?");
        k1s_status_clear(&st);
    }
    k1s_ferrs_free(&fe);
    json_decref(obj);
    return msg;
}

TEST(test_plc_defaults)
{
    json_t *o = fx_json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"type\":\"Limited\",\"limited\":"
                        "{\"limitResponse\":{\"type\":\"Queue\",\"queuing\":{\"queues\":0}}}}}");
    strategy("PriorityLevelConfiguration")->defaults(o);
    CHECK(k1s_json_int(o, "spec.limited.nominalConcurrencyShares", -1) == 30);
    CHECK(k1s_json_int(o, "spec.limited.lendablePercent", -1) == 0);
    CHECK(k1s_json_int(o, "spec.limited.limitResponse.queuing.queues", -1) == 64);
    CHECK(k1s_json_int(o, "spec.limited.limitResponse.queuing.handSize", -1) == 8);
    CHECK(k1s_json_int(o, "spec.limited.limitResponse.queuing.queueLengthLimit", -1) == 50);
    CHECK(!json_object_get(json_object_get(o, "spec"), "exempt"));
    json_decref(o);

    o = fx_json("{\"metadata\":{\"name\":\"exempt\"},\"spec\":{\"type\":\"Exempt\"}}");
    strategy("PriorityLevelConfiguration")->defaults(o);
    CHECK(k1s_json_int(o, "spec.exempt.nominalConcurrencyShares", -1) == 0);
    CHECK(k1s_json_int(o, "spec.exempt.lendablePercent", -1) == 0);
    json_decref(o);
}

TEST(test_flowschema_defaults)
{
    json_t *o = fx_json("{\"metadata\":{\"name\":\"f\"},\"spec\":{\"priorityLevelConfiguration\":"
                        "{\"name\":\"global-default\"}}}");
    strategy("FlowSchema")->defaults(o);
    CHECK(k1s_json_int(o, "spec.matchingPrecedence", -1) == 1000);
    json_decref(o);
}

#define FS(prec, extra)                                                     \
    "{\"metadata\":{\"name\":\"f\"},\"spec\":{\"matchingPrecedence\":" prec \
    ",\"priorityLevelConfiguration\":{\"name\":\"global-default\"}" extra "}}"
#define PLC(name, spec) "{\"metadata\":{\"name\":\"" name "\"},\"spec\":" spec "}"

static const struct fc_case {
    const char *kind, *body, *want; /* want NULL: valid */
} cases[] = {
    {"FlowSchema", FS("500", ""), NULL},
    {"FlowSchema", FS("10001", ""),
     "FlowSchema.flowcontrol.apiserver.k8s.io \"f\" is invalid: spec.matchingPrecedence: "
     "Invalid value: 10001: must be between 1 and 10000 inclusively"},
    {"FlowSchema", FS("5", ",\"distinguisherMethod\":{\"type\":\"ByColour\"}"),
     "FlowSchema.flowcontrol.apiserver.k8s.io \"f\" is invalid: spec.distinguisherMethod.type: "
     "Unsupported value: \"ByColour\": supported values: \"ByNamespace\", \"ByUser\""},
    {"PriorityLevelConfiguration",
     PLC("p", "{\"type\":\"Limited\",\"limited\":{\"limitResponse\":"
              "{\"type\":\"Reject\"}}}"),
     NULL},
    {"PriorityLevelConfiguration", PLC("p", "{\"type\":\"Limited\"}"),
     "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io \"p\" is invalid: spec.limited: "
     "Required value: must not be empty when type is Limited"},
    {"PriorityLevelConfiguration", PLC("p", "{\"type\":\"Sometimes\"}"),
     "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io \"p\" is invalid: spec.type: "
     "Unsupported value: \"Sometimes\": supported values: \"Exempt\", \"Limited\""},
    {"PriorityLevelConfiguration",
     PLC("p", "{\"type\":\"Limited\",\"limited\":{\"limitResponse\":{\"type\":\"Queue\"}}}"),
     "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io \"p\" is invalid: "
     "spec.limited.limitResponse.queuing: Required value: must not be empty if "
     "limited.limitResponse.type is Queue"},
    {"PriorityLevelConfiguration", PLC("p", "{\"type\":\"Exempt\"}"),
     "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io \"p\" is invalid: spec.type: "
     "Invalid value: \"Exempt\": type must be 'Exempt' if and only if name is 'exempt'"},
    {"PriorityLevelConfiguration",
     PLC("p", "{\"type\":\"Limited\",\"limited\":{\"lendablePercent\":101,\"limitResponse\":"
              "{\"type\":\"Reject\"}}}"),
     "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io \"p\" is invalid: "
     "spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive"},
};

TEST(test_flowcontrol_validation_messages)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = message(cases[i].kind, cases[i].body);
        if (!cases[i].want) {
            if (got) {
                fprintf(stderr, "case %zu: unexpectedly invalid: %s\n", i, got);
                k1s_test_failures++;
            }
        } else {
            CHECK_STR(got ? got : "(valid)", cases[i].want);
        }
        free(got);
    }
}

K1S_TEST_MAIN(T(test_plc_defaults), T(test_flowschema_defaults),
              T(test_flowcontrol_validation_messages))
