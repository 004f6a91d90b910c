/*
 * test_validate_batch.c - batch/v1 Job and CronJob validation: the exact
 * 422 messages kube-apiserver 1.33 gives for each rule k1s checks.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_fixture.h"
#include "k1s_test.h"
#include "strategy_internal.h"

/* The 422 message validating obj (old NULL on create) gives, or NULL. */
static char *message(bool cron, const char *text)
{
    json_t *obj = fx_json(text);
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    if (cron)
        k1s__validate_cronjob(obj, NULL, &fe);
    else
        k1s__validate_job(obj, NULL, &fe);
    char *msg = NULL;
    if (k1s_ferrs_count(&fe)) {
        k1s_status st = {0};
        k1s_err_invalid(&st, "batch", cron ? "CronJob" : "Job", k1s_meta(obj, "name"), &fe);
        msg = strdup(st.message ? st.message : "?");
        k1s_status_clear(&st);
    }
    k1s_ferrs_free(&fe);
    json_decref(obj);
    return msg;
}

struct batch_case {
    bool cron;
    const char *body;
    const char *want; /* NULL: valid */
};

#define JOB(extra, labels, rp)                                                                 \
    "{\"metadata\":{\"name\":\"j\",\"namespace\":\"default\"},\"spec\":{\"selector\":{"        \
    "\"matchLabels\":{\"a\":\"b\"}},\"backoffLimit\":6," extra "\"template\":{\"metadata\":"   \
    "{\"labels\":" labels "},\"spec\":{\"restartPolicy\":" rp ",\"containers\":[{\"name\":"    \
    "\"c\",\"image\":\"busybox\",\"imagePullPolicy\":\"Always\",\"terminationMessagePolicy\":" \
    "\"File\"}],\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\"}}}}"

#define CRON(name, extra)                                                                                                        \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"},\"spec\":{\"schedule\":"                                    \
    "\"*/1 * * * *\"," extra "\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{"                                               \
    "\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","                                         \
    "\"imagePullPolicy\":\"Always\",\"terminationMessagePolicy\":\"File\"}],\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":" \
    "\"ClusterFirst\"}}}}}}"

static const struct batch_case cases[] = {
    {false, JOB("", "{\"a\":\"b\"}", "\"Never\""), NULL},
    {false, JOB("", "{\"a\":\"b\"}", "\"Always\""),
     "Job.batch \"j\" is invalid: spec.template.spec.restartPolicy: Unsupported value: "
     "\"Always\": supported values: \"OnFailure\", \"Never\""},
    {false, JOB("", "{\"a\":\"c\"}", "\"Never\""),
     "Job.batch \"j\" is invalid: spec.template.metadata.labels: Invalid value: "
     "map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`"},
    {false, JOB("\"parallelism\":-1,", "{\"a\":\"b\"}", "\"Never\""),
     "Job.batch \"j\" is invalid: spec.parallelism: Invalid value: -1: must be greater than "
     "or equal to 0"},
    {false, JOB("\"activeDeadlineSeconds\":0,", "{\"a\":\"b\"}", "\"Never\""),
     "Job.batch \"j\" is invalid: spec.activeDeadlineSeconds: Invalid value: 0: must be "
     "greater than zero"},
    {true, CRON("c", "\"concurrencyPolicy\":\"Allow\","), NULL},
    {true, CRON("c", "\"concurrencyPolicy\":\"Sometimes\","),
     "CronJob.batch \"c\" is invalid: spec.concurrencyPolicy: Unsupported value: "
     "\"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""},
    {true, CRON("c", ""), "CronJob.batch \"c\" is invalid: spec.concurrencyPolicy: Required value"},
    {true, CRON("c", "\"concurrencyPolicy\":\"Allow\",\"failedJobsHistoryLimit\":-2,"),
     "CronJob.batch \"c\" is invalid: spec.failedJobsHistoryLimit: Invalid value: -2: must be "
     "greater than or equal to 0"},
    {true,
     CRON("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc",
          "\"concurrencyPolicy\":\"Allow\","),
     "CronJob.batch \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc\" is invalid: "
     "metadata.name: Invalid value: \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc\": "
     "must be no more than 52 characters"},
};

TEST(test_batch_validation_messages)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = message(cases[i].cron, cases[i].body);
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

TEST(test_job_selector_required)
{
    char *got = message(
        false,
        "{\"metadata\":{\"name\":\"j\"},\"spec\":{\"template\":{"
        "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\",\"imagePullPolicy\":\"Always\","
        "\"terminationMessagePolicy\":\"File\"}],\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"
        "\"ClusterFirst\"}}}}");
    CHECK(got && strstr(got, "spec.selector: Required value"));
    free(got);
}

K1S_TEST_MAIN(T(test_batch_validation_messages), T(test_job_selector_required))
