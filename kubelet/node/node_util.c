/*
 * node_util.c - the small helpers both kubelet modes use: requeue timers
 * and CRI calls with their error text.
 */
#include "node_internal.h"

#include <stdio.h>
#include <string.h>

int k1s__requeue(int64_t *armed, int64_t ms)
{
    int64_t now = k1s_ctrl_now_ms();
    if (ms < 1)
        ms = 1;
    int64_t due = now + ms;
    if (*armed > now && *armed <= due)
        return 0; /* an earlier timer will come */
    *armed = due;
    return ms > 3600000 ? 3600000 : (int)ms;
}

json_t *k1s__cri(k1s_kubelet *kl, const char *method, const json_t *req, int timeout_ms, char *err,
                 size_t errlen)
{
    json_t *reply = NULL;
    k1s_cri_error e = {0};
    if (k1s_cri_call(kl->cri, method, req, &reply, timeout_ms, &e) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s", e.message ? e.message : "rpc error");
        k1s_cri_error_clear(&e);
        return NULL;
    }
    if (err && errlen)
        err[0] = 0;
    return reply;
}
