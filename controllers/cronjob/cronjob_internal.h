/*
 * cronjob_internal.h - what the cronjob controller's files share: the
 * schedule arithmetic (cronjob_sched.c), the Jobs a CronJob owns and the
 * writes made to them (cronjob_jobs.c) and one sync pass (cronjob_sync.c).
 * cronjob.c holds the definition, the Job watch and the status write.
 *
 * Times: schedules are Unix seconds (k1s_cron_next), "now" is wall-clock
 * milliseconds, because kube compares activations with a time.Now() that
 * has sub-second precision.
 */
#ifndef K1S_CRONJOB_INTERNAL_H
#define K1S_CRONJOB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k1s_cron.h"
#include "k1s_podutil.h"
#include "k1s_vec.h"

#define K1S_CJ_COMPONENT "cronjob-controller"
#define K1S_CJ_SCHEDULED_ANNOTATION "batch.kubernetes.io/cronjob-scheduled-timestamp"
/* kube's nextScheduleDelta: wake a little after the activation, so that
 * the activation is already in the past when the sync runs */
#define K1S_CJ_NEXT_DELTA_MS 100
/* beyond this many missed activations kube warns (TooManyMissedTimes) */
#define K1S_CJ_MANY_MISSED 100

/* The controller's state: writes not yet seen by the caches. */
typedef struct k1s__cj_state {
    k1s__wl_expect *jobs;     /* Job creates and deletes, per CronJob */
    k1s__wl_expect *cronjobs; /* the CronJob's own status writes */
} k1s__cj_state;

/* ---- cronjob_sched.c ------------------------------------------------------ */

typedef enum { K1S_CJ_NONE_MISSED, K1S_CJ_FEW_MISSED, K1S_CJ_MANY_MISSED_TIMES } k1s__cj_missed;

typedef struct k1s__cj_recent {
    int64_t earliest_ms; /* where the search for activations began */
    int64_t most_recent; /* the latest activation <= now (s), 0 when none */
    k1s__cj_missed missed;
    bool invalid; /* two activations less than a second apart */
} k1s__cj_recent;

/* kube's mostRecentScheduleTime: the latest activation of sched in
 * (earliest, now], where earliest is status.lastScheduleTime, else the
 * creation time, and with_deadline raises it to now -
 * startingDeadlineSeconds. */
k1s__cj_recent k1s__cj_most_recent(const json_t *cj, int64_t now_ms, const k1s_cron *sched,
                                   bool with_deadline);
/* kube's nextScheduleTimeDuration: milliseconds from now until a little
 * after the next activation (at least 1); 0 when the schedule has none. */
int64_t k1s__cj_next_delay(const json_t *cj, int64_t now_ms, const k1s_cron *sched);
/* The first activation strictly after the instant ms (s), 0 when none. */
int64_t k1s__cj_next_after_ms(const k1s_cron *sched, int64_t ms);

/* t as Go's time.RFC3339 writes it in zone tz (NULL: UTC): "Z" or
 * "+hh:mm". buf at least 26 bytes. */
void k1s__cj_format_rfc3339(int64_t t, const k1s_tz *tz, char *buf, size_t len);
/* t in UTC as Go's time.RFC1123Z: "Mon, 02 Jan 2006 15:04:05 +0000". */
void k1s__cj_format_rfc1123z(int64_t t, char *buf, size_t len);
/* s quoted as Go's %q does for printable ASCII (\" \\ and escapes). */
void k1s__cj_quote(const char *s, char *buf, size_t len);

/* ---- cronjob_jobs.c --------------------------------------------------------- */

/* The finished condition of a Job ("Complete" or "Failed" with status
 * True, the first in the list), or NULL while it runs. */
const char *k1s__cj_finished(const json_t *job);
/* Its completion as epoch seconds from status.completionTime, -1 if none. */
int64_t k1s__cj_completion(const json_t *job);

/* status.active of the working copy cj (modified). */
bool k1s__cj_active_has_uid(const json_t *cj, const char *uid);
bool k1s__cj_active_has_name(const json_t *cj, const char *name);
size_t k1s__cj_active_count(const json_t *cj);
void k1s__cj_active_remove(json_t *cj, const char *uid);
/* Append an ObjectReference to job. 0, or -1 when out of memory. */
int k1s__cj_active_add(json_t *cj, const json_t *job);

/* The Jobs of a CronJob, borrowed from the cache (const json_t *). */
typedef k1s_vec k1s__cj_jobs;
/* The cached Jobs of cj's namespace whose controller reference is cj. */
int k1s__cj_owned_jobs(k1s_ctrl *c, const json_t *cj, k1s__cj_jobs *out);

/* kube's deleteJob: delete job (propagation Background) and drop it from
 * cj's active list; events SuccessfulDelete / FailedDelete. */
bool k1s__cj_delete_job(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const json_t *job);
/* kube's cleanupFinishedJobs: the oldest finished Jobs beyond
 * successfulJobsHistoryLimit / failedJobsHistoryLimit deleted. Whether
 * the status changed. */
bool k1s__cj_cleanup_history(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const k1s__cj_jobs *jobs);
/* kube's getJobFromTemplate2: the Job (new reference) for the activation
 * at scheduled (s), in zone tz (NULL: UTC). */
json_t *k1s__cj_job_from_template(const json_t *cj, int64_t scheduled, const k1s_tz *tz);
/* "<cronjob>-<scheduled minutes since the epoch>" into buf. */
void k1s__cj_job_name(const json_t *cj, int64_t scheduled, char *buf, size_t len);

/* ---- cronjob_sync.c --------------------------------------------------------- */

/* kube's syncCronJob on the working copy cj (status edited in place):
 * returns the requeue delay in ms (> 0), 0 for none, < 0 on an error to
 * retry with backoff; *changed says whether the status must be written. */
int64_t k1s__cj_sync(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const k1s__cj_jobs *jobs,
                     bool *changed);

#endif
