/*
 * test_hpa.c - autoscaling/v2 HorizontalPodAutoscaler: the defaults of
 * kube's v2 SetDefaults and the exact 422 messages kube-apiserver 1.33
 * gives for the rules k1s checks, through the kind's registry strategy.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_fixture.h"
#include "k1s_test.h"
#include "strategy_internal.h"

static const k1s_kind *hpa_kind(void)
{
    return k1s_registry_find_kind("autoscaling", "HorizontalPodAutoscaler");
}

/* The 422 message validating the object (create) gives, or NULL. */
static char *message(const char *text)
{
    json_t *obj = fx_json(text);
    const k1s_strategy *s = hpa_kind()->strategy;
    s->defaults(obj);
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    s->validate(obj, NULL, &fe);
    char *msg = NULL;
    if (k1s_ferrs_count(&fe)) {
        k1s_status st = {0};
        k1s_err_invalid(&st, "autoscaling", "HorizontalPodAutoscaler", k1s_meta(obj, "name"), &fe);
        msg = strdup(st.message ? st.message : "?");
        k1s_status_clear(&st);
    }
    k1s_ferrs_free(&fe);
    json_decref(obj);
    return msg;
}

#define HPA(spec)                                                                      \
    "{\"metadata\":{\"name\":\"h\",\"namespace\":\"default\"},\"spec\":{"              \
    "\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":" \
    "\"web\"}," spec "}}"
#define PFX "HorizontalPodAutoscaler.autoscaling \"h\" is invalid: "

static const struct {
    const char *body, *want; /* want NULL: valid */
} cases[] = {
    {HPA("\"maxReplicas\":5"), NULL},
    {HPA("\"minReplicas\":3,\"maxReplicas\":2"),
     PFX "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"},
    {HPA("\"minReplicas\":0,\"maxReplicas\":2"),
     PFX "[spec.minReplicas: Invalid value: 0: must be greater than or equal to 1, spec.metrics: "
         "Forbidden: must specify at least one Object or External metric to support scaling to "
         "zero replicas]"},
    {HPA("\"maxReplicas\":0"),
     PFX "[spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.maxReplicas: Invalid "
         "value: 0: must be greater than or equal to `minReplicas`]"},
    {"{\"metadata\":{\"name\":\"h\"},\"spec\":{\"scaleTargetRef\":{\"name\":\"a/b\"},"
     "\"maxReplicas\":1}}",
     PFX "[spec.scaleTargetRef.kind: Required value, spec.scaleTargetRef.name: Invalid value: "
         "\"a/b\": may not contain '/']"},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Bogus\"}]"),
     PFX "spec.metrics[0].type: Unsupported value: \"Bogus\": supported values: "
         "\"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Pods\"}]"),
     PFX "spec.metrics[0].pods: Required value: must populate information for the given metric "
         "source"},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
         "\"target\":{\"type\":\"Utilization\"}}}]"),
     PFX "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a "
         "target raw value or a target utilization"},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
         "\"target\":{\"type\":\"Percent\",\"averageUtilization\":0}}}]"),
     PFX "[spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either "
         "Utilization, Value, or AverageValue, spec.metrics[0].resource.target.averageUtilization: "
         "Invalid value: 0: must be greater than 0]"},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"\"},"
         "\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"-1\"}}}]"),
     PFX "[spec.metrics[0].pods.metric.name: Required value: must specify a metric name, "
         "spec.metrics[0].pods.target.averageValue: Invalid value: resource.Quantity{i:resource."
         "int64Amount{value:-1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"-1\", "
         "Format:\"DecimalSI\"}: must be positive]"},
    {HPA("\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
         "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":50}},\"containerResource\":{}}]"),
     PFX "spec.metrics[0].containerResource: Forbidden: must populate the given metric source "
         "only"},
    {HPA("\"maxReplicas\":2,\"behavior\":{\"scaleUp\":{\"selectPolicy\":\"Some\","
         "\"stabilizationWindowSeconds\":4000,\"policies\":[{\"type\":\"Nodes\",\"value\":0,"
         "\"periodSeconds\":2000}]}}"),
     PFX "[spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less "
         "than or equal to 3600, spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Some\": "
         "supported values: \"Disabled\", \"Max\", \"Min\", "
         "spec.behavior.scaleUp.policies[0].type: Unsupported value: \"Nodes\": supported values: "
         "\"Percent\", \"Pods\", spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must "
         "be greater than zero, spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: "
         "2000: must be less than or equal to 1800]"},
    {HPA("\"maxReplicas\":2,\"behavior\":{\"scaleDown\":{\"policies\":[]}}"),
     PFX "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy"},
};

TEST(test_hpa_validation_messages)
{
    CHECK(hpa_kind() != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = message(cases[i].body);
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

/* SetDefaults_HorizontalPodAutoscaler: minReplicas, the CPU metric, the
 * behavior rules; the status shape Go always writes. */
TEST(test_hpa_defaults)
{
    json_t *obj = fx_json(HPA("\"maxReplicas\":5,\"behavior\":{\"scaleDown\":{\"selectPolicy\":"
                              "\"Min\",\"policies\":[{\"type\":\"Pods\",\"value\":1,"
                              "\"periodSeconds\":60}]}}"));
    const k1s_strategy *s = hpa_kind()->strategy;
    s->prepare_create(obj);
    s->defaults(obj);
    json_t *want = fx_json(
        "{\"metadata\":{\"name\":\"h\",\"namespace\":\"default\"},\"spec\":{\"scaleTargetRef\":"
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"},\"maxReplicas\":5,"
        "\"minReplicas\":1,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
        "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}],\"behavior\":{"
        "\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Max\",\"policies\":["
        "{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},{\"type\":\"Percent\",\"value\":100,"
        "\"periodSeconds\":15}]},\"scaleDown\":{\"selectPolicy\":\"Min\",\"policies\":[{\"type\":"
        "\"Pods\",\"value\":1,\"periodSeconds\":60}]}}},\"status\":{\"desiredReplicas\":0,"
        "\"currentMetrics\":null}}");
    CHECK(json_equal(obj, want));
    if (!json_equal(obj, want)) {
        char *d = json_dumps(obj, JSON_SORT_KEYS);
        fprintf(stderr, "got %s\n", d);
        free(d);
    }
    json_decref(want);
    json_decref(obj);

    /* given metrics and minReplicas stay; no behavior is added */
    obj = fx_json(HPA("\"minReplicas\":2,\"maxReplicas\":5,\"metrics\":[{\"type\":\"Pods\","
                      "\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":"
                      "\"AverageValue\",\"averageValue\":\"10\"}}}]"));
    s->defaults(obj);
    json_t *spec = json_object_get(obj, "spec");
    CHECK(json_integer_value(json_object_get(spec, "minReplicas")) == 2);
    CHECK(json_array_size(json_object_get(spec, "metrics")) == 1);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(spec, "metrics"), 0), "type")),
              "Pods");
    CHECK(json_object_get(spec, "behavior") == NULL);
    json_decref(obj);
}

/* The tolerance field is dropped on create (HPAConfigurableTolerance off),
 * kept on update when the old object had it. */
TEST(test_hpa_tolerance_gate)
{
    const k1s_strategy *s = hpa_kind()->strategy;
    json_t *obj =
        fx_json(HPA("\"maxReplicas\":5,\"behavior\":{\"scaleUp\":{\"tolerance\":\"0.1\"}}"));
    s->prepare_create(obj);
    CHECK(json_object_get(
              json_object_get(json_object_get(json_object_get(obj, "spec"), "behavior"), "scaleUp"),
              "tolerance") == NULL);
    json_t *old =
        fx_json(HPA("\"maxReplicas\":5,\"behavior\":{\"scaleUp\":{\"tolerance\":\"0.1\"}}"));
    json_t *upd = json_deep_copy(old);
    s->prepare_update(upd, old);
    CHECK(json_equal(upd, old));
    json_decref(upd);
    json_decref(old);
    json_decref(obj);
}

/* The status strategy checks only the counts. */
TEST(test_hpa_status_counts)
{
    const k1s_subresource *sr = k1s_kind_subresource(hpa_kind(), "status");
    CHECK(sr && sr->strategy && sr->strategy->validate);
    json_t *obj = fx_json("{\"metadata\":{\"name\":\"h\"},\"spec\":{\"maxReplicas\":0},"
                          "\"status\":{\"currentReplicas\":-1,\"desiredReplicas\":2}}");
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    sr->strategy->validate(obj, obj, &fe);
    CHECK(k1s_ferrs_count(&fe) == 1);
    CHECK_STR(json_string_value(json_array_get(fe.text, 0)),
              "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0");
    k1s_ferrs_free(&fe);
    json_decref(obj);
}

K1S_TEST_MAIN(T(test_hpa_validation_messages), T(test_hpa_defaults), T(test_hpa_tolerance_gate),
              T(test_hpa_status_counts))
