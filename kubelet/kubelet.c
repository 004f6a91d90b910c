/*
 * kubelet.c - placeholder until the pod sync lands: the containerd kubelet
 * is not available yet.
 */
#include "k1s_kubelet.h"

#include <stdio.h>
#include <stdlib.h>

int k1s_kubelet_start(const k1s_kubelet_config *cfg, k1s_kubelet **out,
                      char **err)
{
    (void)cfg;
    *out = NULL;
    if (asprintf(err, "the containerd kubelet is not built yet") < 0)
        *err = NULL;
    return -1;
}

const k1s_node_backend *k1s_kubelet_backend(k1s_kubelet *k)
{
    (void)k;
    return NULL;
}

void k1s_kubelet_stop(k1s_kubelet *k)
{
    (void)k;
}
