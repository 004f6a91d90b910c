/*
 * strategy_internal.h - what the per-kind strategies (strategy_*.c) and
 * their validation helpers (validate_*.c, service_alloc.c) share: field
 * paths, the field errors status.c does not build, the few Go value
 * formats that leak into kube's messages, and the validators reused across
 * kinds (labels, selectors, object metadata of templates, pod specs).
 *
 * Every validator appends to a k1s_ferrs and never fails otherwise: on out
 * of memory a message may be lost, never a crash. Objects are borrowed.
 */
#ifndef K1S_STRATEGY_INTERNAL_H
#define K1S_STRATEGY_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "k1s_json.h"
#include "k1s_names.h"
#include "k1s_registry.h"
#include "k1s_status.h"

/* ---- field paths ---------------------------------------------------------- */

/* Longer paths are cut: they only label messages. */
#define K1S_FP_MAX 512
/* printf into buf (K1S_FP_MAX bytes) and return buf. */
const char *k1s__fp(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- JSON access (all borrowed) --------------------------------------------- */

/* obj[key] if it is a string, else NULL. */
const char *k1s__str(const json_t *obj, const char *key);
/* obj[key] if it is a string, else "". */
const char *k1s__str0(const json_t *obj, const char *key);
/* obj[key] if it is an object / array, else NULL. */
json_t *k1s__objv(const json_t *obj, const char *key);
json_t *k1s__arrv(const json_t *obj, const char *key);
/* obj[key], created as {} when absent or not an object; NULL when obj is
 * not an object or out of memory. */
json_t *k1s__ensure_obj(json_t *obj, const char *key);
/* obj[key] is present and not null. */
bool k1s__has(const json_t *obj, const char *key);

/* kube's ValidateNonSpecialIP for an IPv4 address (others: nothing):
 * not unspecified, loopback, link-local or link-local multicast. */
void k1s__validate_non_special_ipv4(const json_t *v, const char *path, k1s_ferrs *fe);

/* ---- field errors status.c lacks ------------------------------------------ */

/* One cause with reason and the text after "field: ". */
void k1s__ferr_raw(k1s_ferrs *fe, const char *reason, const char *field, const char *body);
/* Invalid with the value already formatted (Go's %#v of structs, slices). */
void k1s__ferr_invalid_text(k1s_ferrs *fe, const char *field, const char *value_text,
                            const char *detail);
/* "Not found: <value>". */
void k1s__ferr_not_found(k1s_ferrs *fe, const char *field, const json_t *value);
/* "Invalid value: <value>: must be greater than or equal to 0" when v < 0. */
void k1s__ferr_nonneg(k1s_ferrs *fe, const char *field, const json_t *v);
/* One Invalid error per message (msgs is freed; NULL adds nothing). */
void k1s__ferr_msgs(k1s_ferrs *fe, const char *field, const json_t *value, char **msgs);
/* IsValidPortNum on an integer field; absent counts as 0, as Go's zero
 * value does. */
void k1s__check_port_num(k1s_ferrs *fe, const char *field, const json_t *v);
/* NotSupported for a string value. */
void k1s__ferr_not_supported_str(k1s_ferrs *fe, const char *field, const char *value,
                                 const char *const *supported);
/* Whether s is one of the NULL-terminated list. */
bool k1s__one_of(const char *s, const char *const *list);

/* ---- Go formatting ----------------------------------------------------------- */

/* Go's strconv.Quote of s into f. */
void k1s__go_quote(FILE *f, const char *s);
/* %#v of a map[string]string held as a JSON object: sorted keys,
 * map[string]string{"a":"b", "c":"d"}; absent is map[string]string(nil).
 * malloc'd, NULL on out of memory. */
char *k1s__go_string_map(const json_t *map);
/* %#v of a []string: []string{"a", "b"} or []string(nil). */
char *k1s__go_string_slice(const json_t *arr);
/* %#v of a metav1.LabelSelector (a pointer is printed as its value). */
char *k1s__go_label_selector(const json_t *sel);
/* Go's %v of a JSON scalar: strings bare, numbers and booleans as JSON. */
char *k1s__go_plain(const json_t *v);
/* The message of an "immutable except ..." error: head, a newline, then the
 * fields of two objects that differ, one "- " line for the old value and
 * one "+ " line for the new, framed like go-cmp's diff of a Go type named
 * type_name. (kube prints go-cmp's exact diff of its internal types, which
 * JSON cannot reproduce; the head line, which clients match, is exact.)
 * malloc'd, NULL on out of memory. */
char *k1s__diff_message(const char *head, const char *type_name, const json_t *old,
                        const json_t *cur);

/* ---- reusable validators ------------------------------------------------------ */

/* A string check of k1s_names.h (NULL when valid, else messages). */
typedef char **(*k1s__strcheck_fn)(const char *v);
/* One Invalid error per message fn gives for the JSON string v (a string
 * with a NUL byte inside is checked as if that byte were a control
 * character, so it fails like kube's regular expressions make it fail). */
void k1s__check_str(k1s_ferrs *fe, const char *field, const json_t *v, k1s__strcheck_fn fn);
void k1s__check_name_rule(k1s_ferrs *fe, const char *field, const json_t *v, k1s_name_rule rule,
                          bool prefix);
void k1s__check_dns_label(k1s_ferrs *fe, const char *field, const json_t *v);
void k1s__check_dns_subdomain(k1s_ferrs *fe, const char *field, const json_t *v);
void k1s__check_qualified_name(k1s_ferrs *fe, const char *field, const json_t *v);
/* metav1 ValidateLabels: keys qualified names, values label values. */
void k1s__validate_labels(const json_t *labels, const char *path, k1s_ferrs *fe);
/* ValidateAnnotations: keys qualified names (case-insensitive), total size
 * of keys and values at most 256 KiB. */
void k1s__validate_annotations(const json_t *ann, const char *path, k1s_ferrs *fe);
/* metav1 ValidateLabelSelector (strict label values). NULL/absent is fine. */
void k1s__validate_label_selector(const json_t *sel, const char *path, k1s_ferrs *fe);
/* Whether a LabelSelector (or a plain label map when map_form) matches the
 * labels; an unparsable selector matches nothing. */
bool k1s__selector_matches(const json_t *sel, bool map_form, const json_t *labels);
/* ValidateTemplateObjectMeta: only labels and annotations may be set. */
void k1s__validate_template_meta(const json_t *meta, const char *path, k1s_ferrs *fe);

/* ---- pod specs (validate_podspec.c, validate_volumes.c, strategy_pod.c) ---- */

/* Defaults every PodSpec gets, in pods and templates (kube's
 * SetDefaults_PodSpec/Container/Volume that depend on other fields):
 * imagePullPolicy from the image tag, emptyDir for a volume with no source. */
void k1s__podspec_defaults(json_t *spec);
/* The pod-only part (SetDefaults_Pod): requests default to limits,
 * enableServiceLinks, hostPort = containerPort on the host network. */
void k1s__pod_only_defaults(json_t *spec);

typedef struct k1s_podspec_opts {
    bool is_pod;          /* a Pod, not a template */
    const char *pod_name; /* for ephemeral volume claim names */
    /* Volume names that exist besides spec.volumes (a StatefulSet's
     * volumeClaimTemplates): a JSON array of claim templates or NULL. */
    const json_t *claim_templates;
} k1s_podspec_opts;

/* ValidatePodSpec at path (e.g. "spec" or "spec.template.spec"). */
void k1s__validate_podspec(const json_t *spec, const char *path, const k1s_podspec_opts *o,
                           k1s_ferrs *fe);
/* ValidatePodTemplateSpec: labels, annotations, spec; no ephemeral
 * containers. */
void k1s__validate_pod_template(const json_t *tmpl, const char *path, const k1s_podspec_opts *o,
                                k1s_ferrs *fe);
/* Volume names that validated, for volumeMounts; returned by
 * k1s__validate_volumes as a new JSON object name -> volume (borrowed
 * values inside), never NULL unless out of memory. */
json_t *k1s__validate_volumes(const json_t *vols, const char *path, const k1s_podspec_opts *o,
                              k1s_ferrs *fe);
/* Regular and init containers of a pod spec at path ("spec"), given the
 * volumes that validated (validate_container.c). */
void k1s__validate_containers(const json_t *spec, const char *path, const json_t *vols,
                              k1s_ferrs *fe);
/* Tolerations (ValidateTolerations). */
void k1s__validate_tolerations(const json_t *tols, const char *path, k1s_ferrs *fe);
/* PersistentVolumeClaimSpec validation (also for claim templates). */
void k1s__validate_pvc_spec(const json_t *spec, const char *path, k1s_ferrs *fe);
/* Quantity checks: parses v as a quantity; 0 and *neg/zero when it parses. */
int k1s__quantity_sign(const json_t *v, int *sign);
/* ValidateResourceQuantityValue / validateBasicResource share this: the
 * canonical string of a quantity (malloc'd) or NULL. */
char *k1s__quantity_text(const json_t *v);

/* ---- kinds with a pod template (validate_workload.c) ------------------------------- */

/* The pod defaults of holder.template.spec (holder: a workload's spec, a
 * PodTemplate, a JobSpec). */
void k1s__template_defaults(json_t *holder);
/* kube's "`selector` does not match template `labels`" at path, naming
 * the template's labels. */
void k1s__ferr_selector_mismatch(k1s_ferrs *fe, const char *path, const json_t *labels);
/* What a long-running workload's template (apps/v1, ReplicationController)
 * must hold besides ValidatePodSpec: restartPolicy Always, no
 * activeDeadlineSeconds. kind names the workload in the message. */
void k1s__workload_template_rules(const json_t *spec, const char *kind, k1s_ferrs *fe);
/* ValidatePositiveIntOrPercent and, with max100, IsNotMoreThan100Percent;
 * the value as getIntOrPercentValue reads it into *out. */
void k1s__int_or_percent(const json_t *v, const char *path, bool max100, long long *out,
                         k1s_ferrs *fe);
/* A prepare_create hook: the object starts with an empty status. */
void k1s__empty_status(json_t *obj);

/* ---- batch (validate_batch.c) ------------------------------------------------- */

/* ValidateJob / ValidateJobUpdate (old NULL on create) and the status
 * rules a Job's status writes keep. */
void k1s__validate_job(const json_t *obj, const json_t *old, k1s_ferrs *fe);
/* ValidateCronJobCreate / ValidateCronJobUpdate: the schedule, time zone,
 * concurrency policy, history limits and the job template. */
void k1s__validate_cronjob(const json_t *obj, const json_t *old, k1s_ferrs *fe);
/* A CronJob spec's schedule and timeZone as kube checks them (cron syntax
 * with its macros, IANA zone names, no TZ= prefix with timeZone), at
 * spec_path ("spec"). validate_cron.c. */
void k1s__validate_cron_schedule(const json_t *spec, const char *spec_path, k1s_ferrs *fe);

/* ---- claims (pvc_default_class.c) ------------------------------------------------ */

/* DefaultStorageClass admission, as the claims' allocate hook: on create
 * a claim without storageClassName gets the default class, if any. */
int k1s__pvc_default_class(struct k1s_api *api, json_t *pvc, const json_t *old, k1s_status *st);
/* kube's LimitRanger admission of a created pod (is_pod) or claim
 * (pod_limitrange.c): *changed when defaults were filled in. */
int k1s__limitranger(struct k1s_api *api, json_t *obj, bool is_pod, bool *changed, k1s_status *st);
/* kube's RuntimeClass and DefaultIngressClass admission (admit_classes.c). */
int k1s__pod_runtime_class(struct k1s_api *api, json_t *pod, const json_t *old, k1s_status *st);
int k1s__ingress_default_class(struct k1s_api *api, json_t *ing, const json_t *old, k1s_status *st);
/* kube's Priority admission of a created pod (pod_priority.c). */
int k1s__pod_priority(struct k1s_api *api, json_t *pod, const json_t *old, k1s_status *st);

/* ---- services (strategy_service.c, service_alloc.c) ----------------------------- */

struct k1s_api;
/* Fill what an update left out that was allocated before and drop what the
 * new type no longer uses (kube's patchAllocatedValues, normalizeClusterIPs
 * and dropTypeDependentFields). old NULL: create. Idempotent. */
void k1s__service_prepare(json_t *svc, const json_t *old);
/* The allocate hook: cluster IP and node ports. */
int k1s__service_allocate(struct k1s_api *api, json_t *svc, const json_t *old, k1s_status *st);
/* The service CIDR as text ("10.96.0.0/12") into buf. */
void k1s__service_cidr_text(const struct k1s_api *api, char *buf, size_t len);

#endif
