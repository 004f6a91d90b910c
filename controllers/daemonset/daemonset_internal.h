/*
 * daemonset_internal.h - what the daemonset controller's files share:
 * which nodes should run a daemon pod (daemonset_node.c), the pod a
 * DaemonSet makes for a node, its ControllerRevision history
 * (daemonset_history.c) and the rolling update (daemonset_update.c).
 */
#ifndef K1S_DAEMONSET_INTERNAL_H
#define K1S_DAEMONSET_INTERNAL_H

#include "k1s_podutil.h"

#define K1S_DS_COMPONENT "daemonset-controller"
#define K1S_DS_HASH_LABEL "controller-revision-hash"
#define K1S_DS_GENERATION_LABEL "pod-template-generation"
#define K1S_DS_GENERATION_ANNOTATION "deprecated.daemonset.template.generation"

typedef struct k1s__ds_state {
    k1s__wl_expect *exp;
    json_t *backoff; /* owned: "ns/ds/node" -> {"at": ms, "delay": ms} */
} k1s__ds_state;

/* ---- daemonset_node.c --------------------------------------------------------- */

/* kube's NodeShouldRunDaemonPod: *run when a new daemon pod belongs on the
 * node (node name, node selector, required node affinity, NoSchedule and
 * NoExecute taints tolerated), *keep when an existing one may stay (only
 * untolerated NoExecute taints evict it). */
void k1s__ds_should_run(const json_t *node, const json_t *ds, bool *run, bool *keep);
/* The pod template a DaemonSet's pods are made from (new reference): its
 * template plus the daemon tolerations and the labels
 * controller-revision-hash and pod-template-generation. */
json_t *k1s__ds_pod_template(const json_t *ds, const char *hash);
/* Pin a pod spec to a node the way kube does: its required node affinity
 * becomes metadata.name In [node]; the scheduler binds it. */
void k1s__ds_pin(json_t *spec, const char *node);
/* The node a daemon pod is for: spec.nodeName, or the node its affinity
 * pins it to; "" when neither. */
const char *k1s__ds_target_node(const json_t *pod);
/* The DaemonSet's template generation annotation, or -1. */
long long k1s__ds_template_generation(const json_t *ds);
/* Whether a pod runs the current template (kube's IsPodUpdated). */
bool k1s__ds_pod_updated(const json_t *pod, const char *hash, long long generation);

/* ---- daemonset_history.c ------------------------------------------------------ */

/* kube's constructHistory: the ControllerRevision matching the template
 * (made, or renumbered to be the newest, when needed); its hash into
 * hash, the others into *old (new array). 0, > 0 to retry after that many
 * ms, < 0 on error. */
int k1s__ds_history(k1s_ctrl *c, const json_t *ds, char *hash, size_t hashlen, json_t **old);
/* Delete old revisions beyond revisionHistoryLimit that no pod uses. */
void k1s__ds_cleanup_history(k1s_ctrl *c, const json_t *ds, const json_t *pods, json_t *old);

/* ---- daemonset_update.c --------------------------------------------------------- */

/* kube's rollingUpdate: old pods to delete (names into del) and nodes that
 * get a surge pod (into create), within maxUnavailable/maxSurge. by_node:
 * node name -> array of the DaemonSet's pods on it. */
void k1s__ds_rolling(const json_t *ds, const json_t *nodes, const json_t *by_node, const char *hash,
                     json_t *del, json_t *create);
/* maxSurge and maxUnavailable resolved for desired nodes. */
void k1s__ds_counts(const json_t *ds, long long desired, long long *surge, long long *unavailable);

#endif
