/*
 * fixture.c - libk1s as a test fixture: start a cluster in memory, drive it
 * with kubectl, stop it. Built and run by ctest (example_fixture).
 *
 *   cc fixture.c -lk1s -o fixture && ./fixture
 */
#include <stdio.h>
#include <stdlib.h>

#include "k1s.h"

int main(void)
{
    k1s_options o = {.kubelet = "simulated", .quiet = true};
    k1s *k = NULL;
    char *err = NULL;
    if (k1s_start(&o, &k, &err) != 0) {
        fprintf(stderr, "k1s: %s\n", err);
        free(err);
        return 1;
    }
    printf("cluster at %s, ready in %.1f ms\n", k1s_url(k), k1s_start_ms(k));

    const char *kubectl = getenv("KUBECTL") ? getenv("KUBECTL") : "kubectl";
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "%s --kubeconfig %s create configmap hello --from-literal=greeting=hi"
             " && %s --kubeconfig %s get configmap hello -o jsonpath='{.data.greeting}'",
             kubectl, k1s_kubeconfig(k), kubectl, k1s_kubeconfig(k));
    fflush(stdout);
    int rc = system(cmd);
    printf("\n");
    k1s_stop(k);
    return rc == 0 ? 0 : 1;
}
