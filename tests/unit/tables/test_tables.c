/*
 * test_tables.c - unit tests of k1s_tables: the Table kube-apiserver 1.33
 * answers for `kubectl get`, checked cell by cell on realistic objects (the
 * reference scenario's StorageClass, Service, StatefulSet, pods, PV and PVC,
 * and the other kinds), the wide columns, ages, includeObject, the default
 * table, and robustness against odd objects.
 *
 * Objects are written as JSON with single quotes for readability.
 */
#include "k1s_test.h"
#include "k1s_tables.h"
#include "tables_int.h"

#include <limits.h>

/* 2024-05-01T12:00:00Z: the "now" ages are measured to. */
#define NOW ((time_t)1714564800)

/* Parse JSON written with ' for " (new reference; aborts on bad test data). */
static json_t *J(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j) {
        fprintf(stderr, "bad test JSON (%s): %s\n", err.text, s);
        abort();
    }
    free(s);
    return j;
}

/* Table of one object (new reference). */
static json_t *table1(const char *group, const char *kind, const char *obj)
{
    json_t *o = J(obj);
    json_t *items = json_array();
    json_array_append_new(items, o);
    json_t *t = k1s_table_build(group, kind, items, NULL, NOW);
    json_decref(items);
    return t;
}

/* Compare a row's cells with expected JSON; prints both on mismatch. */
#define CHECK_CELLS(table, row, expected) check_cells(__FILE__, __LINE__, table, row, expected)
static void check_cells(const char *file, int line, const json_t *table, size_t row,
                        const char *expected)
{
    json_t *want = J(expected);
    json_t *got = json_object_get(json_array_get(json_object_get(table, "rows"), row), "cells");
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_COMPACT), *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
        fprintf(stderr, "%s:%d: cells of row %zu\n  want %s\n  got  %s\n", file, line, row, w,
                g ? g : "(none)");
        free(w);
        free(g);
        k1s_test_failures++;
    }
    json_decref(want);
}

/* Column names joined with "|", priority-1 columns marked with "*". */
static char *column_names(const json_t *table)
{
    static char buf[1024];
    buf[0] = '\0';
    const json_t *cols = json_object_get(table, "columnDefinitions");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const json_t *c = json_array_get(cols, i);
        if (i)
            strcat(buf, "|");
        if (json_integer_value(json_object_get(c, "priority")) == 1)
            strcat(buf, "*");
        strcat(buf, json_string_value(json_object_get(c, "name")));
    }
    return buf;
}

static const json_t *row_of(const json_t *table, size_t i)
{
    return json_array_get(json_object_get(table, "rows"), i);
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *dur(long long seconds)
{
    static char buf[32];
    k1s_table_duration(buf, sizeof buf, seconds);
    return buf;
}

/* ---- ages ------------------------------------------------------------------ */

TEST(test_duration)
{
    CHECK_STR(dur(-5), "<invalid>");
    CHECK_STR(dur(-2), "<invalid>");
    CHECK_STR(dur(-1), "0s");
    CHECK_STR(dur(0), "0s");
    CHECK_STR(dur(4), "4s");
    CHECK_STR(dur(14), "14s");
    CHECK_STR(dur(119), "119s");
    CHECK_STR(dur(120), "2m");
    CHECK_STR(dur(121), "2m1s");
    CHECK_STR(dur(378), "6m18s");
    CHECK_STR(dur(449), "7m29s");
    CHECK_STR(dur(599), "9m59s");
    CHECK_STR(dur(600), "10m");
    CHECK_STR(dur(659), "10m");
    CHECK_STR(dur(1800), "30m");
    CHECK_STR(dur(3 * 3600 - 1), "179m");
    CHECK_STR(dur(3 * 3600), "3h");
    CHECK_STR(dur(3 * 3600 + 5 * 60 + 59), "3h5m");
    CHECK_STR(dur(8 * 3600 - 1), "7h59m");
    CHECK_STR(dur(8 * 3600), "8h");
    CHECK_STR(dur(20 * 3600 + 59 * 60), "20h");
    CHECK_STR(dur(48 * 3600 - 1), "47h");
    CHECK_STR(dur(48 * 3600), "2d");
    CHECK_STR(dur(51 * 3600), "2d3h");
    CHECK_STR(dur(8 * 86400 - 1), "7d23h");
    CHECK_STR(dur(8 * 86400), "8d");
    CHECK_STR(dur(45 * 86400 + 7000), "45d");
    CHECK_STR(dur(729 * 86400), "729d");
    CHECK_STR(dur(730 * 86400), "2y");
    CHECK_STR(dur(760 * 86400), "2y30d");
    CHECK_STR(dur(8 * 365 * 86400 - 1), "7y364d");
    CHECK_STR(dur(8 * 365 * 86400), "8y");
    CHECK_STR(dur(9 * 365 * 86400 + 100 * 86400), "9y");
    /* Go's Duration saturates at about 292 years. */
    CHECK_STR(dur(LLONG_MAX), "292y");
    CHECK_STR(dur(LLONG_MIN), "<invalid>");
    /* truncation to len */
    char small[3];
    k1s_table_duration(small, sizeof small, 378);
    CHECK_STR(small, "6m");
}

TEST(test_age_timestamps)
{
    /* fractions, offsets and missing timestamps */
    json_t *t = table1("", "ConfigMap",
                       "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T13:59:30+02:00'}}");
    CHECK_CELLS(t, 0, "['a',0,'30s']");
    json_decref(t);
    t = table1("", "ConfigMap",
               "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T11:59:59.9Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'0s']"); /* 0.1s truncates to 0 */
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T12:00:02Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'<invalid>']"); /* clock skew over a second */
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'yesterday'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-02-30T00:00:00Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    /* only what Go's time.Parse(RFC3339) takes: no ' ', 't' or 'z' */
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01 11:00:00Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01t11:00:00Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T11:00:00z'}}");
    CHECK_CELLS(t, 0, "['a',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2022-02-28T12:00:00Z'}}");
    CHECK_CELLS(t, 0, "['a',0,'2y63d']"); /* 2024 is a leap year */
    json_decref(t);
}

/* ---- the reference scenario -------------------------------------------------- */

static const char *scenario_sc =
    "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
    "'metadata':{'name':'test-storage-class','creationTimestamp':'2024-05-01T11:53:42Z',"
    "'uid':'7d7c1c9e-0c3a-4d43-9a59-3b5a4b7b0f11','resourceVersion':'412'},"
    "'provisioner':'docker.io/hostpath','reclaimPolicy':'Retain','volumeBindingMode':'Immediate'}";

TEST(test_storageclass)
{
    json_t *t = table1("storage.k8s.io", "StorageClass", scenario_sc);
    CHECK_STR(column_names(t),
              "Name|Provisioner|ReclaimPolicy|VolumeBindingMode|AllowVolumeExpansion|Age");
    CHECK_CELLS(t, 0,
                "['test-storage-class','docker.io/hostpath','Retain','Immediate',false,'6m18s']");
    json_decref(t);

    /* defaults, the default-class annotation (GA and beta), and "false" */
    t = table1("storage.k8s.io", "StorageClass",
               "{'metadata':{'name':'standard','creationTimestamp':'2024-04-01T12:00:00Z',"
               "'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},"
               "'provisioner':'rancher.io/local-path','allowVolumeExpansion':true}");
    CHECK_CELLS(t, 0, "['standard (default)','rancher.io/local-path','Delete','Immediate',true,'30d']");
    json_decref(t);
    t = table1("storage.k8s.io", "StorageClass",
               "{'metadata':{'name':'old','annotations':"
               "{'storageclass.beta.kubernetes.io/is-default-class':'true'}},"
               "'provisioner':'p','volumeBindingMode':'WaitForFirstConsumer'}");
    CHECK_CELLS(t, 0, "['old (default)','p','Delete','WaitForFirstConsumer',false,'<unknown>']");
    json_decref(t);
    t = table1("storage.k8s.io", "StorageClass",
               "{'metadata':{'name':'no','annotations':"
               "{'storageclass.kubernetes.io/is-default-class':'false'}},'provisioner':'p'}");
    CHECK_CELLS(t, 0, "['no','p','Delete','Immediate',false,'<unknown>']");
    json_decref(t);
}

static const char *scenario_svc =
    "{'apiVersion':'v1','kind':'Service','metadata':{'name':'nginx-service','namespace':'default',"
    "'labels':{'app':'nginx'},'creationTimestamp':'2024-05-01T11:59:46Z'},"
    "'spec':{'ports':[{'name':'web','protocol':'TCP','port':80,'targetPort':80,'nodePort':30080}],"
    "'selector':{'app':'nginx'},'clusterIP':'10.110.79.79','clusterIPs':['10.110.79.79'],"
    "'type':'NodePort','sessionAffinity':'None','externalTrafficPolicy':'Cluster'},"
    "'status':{'loadBalancer':{}}}";

TEST(test_service)
{
    json_t *t = table1("", "Service", scenario_svc);
    CHECK_STR(column_names(t), "Name|Type|Cluster-IP|External-IP|Port(s)|Age|*Selector");
    CHECK_CELLS(t, 0,
                "['nginx-service','NodePort','10.110.79.79','<none>','80:30080/TCP','14s','app=nginx']");
    json_decref(t);

    /* the API server's own service */
    t = table1("", "Service",
               "{'metadata':{'name':'kubernetes','creationTimestamp':'2024-05-01T11:00:00Z'},"
               "'spec':{'type':'ClusterIP','clusterIP':'10.96.0.1','clusterIPs':['10.96.0.1'],"
               "'ports':[{'name':'https','port':443,'protocol':'TCP','targetPort':6443}]}}");
    CHECK_CELLS(t, 0, "['kubernetes','ClusterIP','10.96.0.1','<none>','443/TCP','60m','<none>']");
    json_decref(t);

    /* headless, several ports, external IPs, clusterIP without clusterIPs */
    t = table1("", "Service",
               "{'metadata':{'name':'h'},'spec':{'type':'ClusterIP','clusterIP':'None',"
               "'externalIPs':['1.2.3.4','5.6.7.8'],'selector':{'b':'2','a.b':'1','a':'0'},"
               "'ports':[{'port':53,'protocol':'UDP'},{'port':53,'protocol':'TCP'}]}}");
    CHECK_CELLS(t, 0, "['h','ClusterIP','None','1.2.3.4,5.6.7.8','53/UDP,53/TCP','<unknown>',"
                      "'a.b=1,a=0,b=2']");
    json_decref(t);

    /* LoadBalancer: pending, then with sorted unique ingress + external IPs */
    t = table1("", "Service",
               "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIPs':['10.0.0.9'],"
               "'ports':[{'port':80,'nodePort':31000,'protocol':'TCP'}]}}");
    CHECK_CELLS(t, 0, "['lb','LoadBalancer','10.0.0.9','<pending>','80:31000/TCP','<unknown>','<none>']");
    json_decref(t);
    t = table1("", "Service",
               "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIPs':['10.0.0.9'],"
               "'externalIPs':['9.9.9.9'],'ports':[]},'status':{'loadBalancer':{'ingress':"
               "[{'ip':'172.18.0.3'},{'hostname':'a.example.com'},{'ip':'172.18.0.2'},{'ip':'172.18.0.3'}]}}}");
    CHECK_CELLS(t, 0, "['lb','LoadBalancer','10.0.0.9','172.18.0.2,172.18.0.3,a.example.com,9.9.9.9',"
                      "'<none>','<unknown>','<none>']");
    json_decref(t);

    t = table1("", "Service",
               "{'metadata':{'name':'db'},'spec':{'type':'ExternalName','externalName':'db.example.com'}}");
    CHECK_CELLS(t, 0, "['db','ExternalName','<none>','db.example.com','<none>','<unknown>','<none>']");
    json_decref(t);
}

TEST(test_statefulset)
{
    json_t *t = table1("apps", "StatefulSet",
                       "{'metadata':{'name':'nginx-statefulset','creationTimestamp':'2024-05-01T11:59:46Z'},"
                       "'spec':{'replicas':3,'serviceName':'nginx-service','selector':{'matchLabels':"
                       "{'app':'nginx'}},'template':{'spec':{'containers':[{'name':'nginx','image':"
                       "'k8s.gcr.io/nginx-slim:0.8'}]}}},'status':{'replicas':3,'readyReplicas':3}}");
    CHECK_STR(column_names(t), "Name|Ready|Age|*Containers|*Images");
    CHECK_CELLS(t, 0, "['nginx-statefulset','3/3','14s','nginx','k8s.gcr.io/nginx-slim:0.8']");
    json_decref(t);

    /* scaled down to one, 30 minutes later; no status yet reads 0 */
    t = table1("apps", "StatefulSet",
               "{'metadata':{'name':'s','creationTimestamp':'2024-05-01T11:30:00Z'},"
               "'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'a','image':'i1'},"
               "{'name':'b','image':'i2'}]}}}}");
    CHECK_CELLS(t, 0, "['s','0/1','30m','a,b','i1,i2']");
    json_decref(t);
}

/* A running, ready pod of the scenario, created secs before NOW. */
static char *scenario_pod(int ordinal, int secs)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "{'metadata':{'name':'nginx-statefulset-%d','namespace':'default',"
             "'creationTimestamp':'2024-05-01T11:59:%02dZ'},"
             "'spec':{'nodeName':'k1s-node','containers':[{'name':'nginx','image':'k8s.gcr.io/nginx-slim:0.8'}]},"
             "'status':{'phase':'Running','podIP':'10.244.0.%d','podIPs':[{'ip':'10.244.0.%d'}],"
             "'conditions':[{'type':'Initialized','status':'True'},{'type':'Ready','status':'True'},"
             "{'type':'ContainersReady','status':'True'},{'type':'PodScheduled','status':'True'}],"
             "'containerStatuses':[{'name':'nginx','ready':true,'restartCount':0,'started':true,"
             "'state':{'running':{'startedAt':'2024-05-01T11:59:59Z'}}}]}}",
             ordinal, 60 - secs, 5 + ordinal, 5 + ordinal);
    return buf;
}

TEST(test_pod_running)
{
    json_t *items = json_array();
    json_array_append_new(items, J(scenario_pod(0, 4)));
    json_array_append_new(items, J(scenario_pod(1, 3)));
    json_array_append_new(items, J(scenario_pod(2, 2)));
    json_t *t = k1s_table_build("", "Pod", items, "None", NOW);
    CHECK_STR(column_names(t),
              "Name|Ready|Status|Restarts|Age|*IP|*Node|*Nominated Node|*Readiness Gates");
    CHECK_CELLS(t, 0, "['nginx-statefulset-0','1/1','Running','0','4s','10.244.0.5','k1s-node','<none>','<none>']");
    CHECK_CELLS(t, 1, "['nginx-statefulset-1','1/1','Running','0','3s','10.244.0.6','k1s-node','<none>','<none>']");
    CHECK_CELLS(t, 2, "['nginx-statefulset-2','1/1','Running','0','2s','10.244.0.7','k1s-node','<none>','<none>']");
    /* running pods carry no row conditions */
    CHECK(json_object_get(row_of(t, 0), "conditions") == NULL);
    json_decref(t);
    json_decref(items);
}

TEST(test_pod_states)
{
    /* scheduled, image being pulled */
    json_t *t = table1("", "Pod",
                       "{'metadata':{'name':'p','creationTimestamp':'2024-05-01T11:59:00Z'},"
                       "'spec':{'nodeName':'n1','containers':[{'name':'c'}]},"
                       "'status':{'phase':'Pending','containerStatuses':[{'name':'c','ready':false,"
                       "'restartCount':0,'state':{'waiting':{'reason':'ContainerCreating'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','ContainerCreating','0','60s','<none>','n1','<none>','<none>']");
    json_decref(t);

    /* not scheduled yet: the phase */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
                          "'status':{'phase':'Pending'}}");
    CHECK_CELLS(t, 0, "['p','0/2','Pending','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* being deleted */
    t = table1("", "Pod", "{'metadata':{'name':'p','deletionTimestamp':'2024-05-01T12:00:10Z'},"
                          "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
                          "'containerStatuses':[{'name':'c','ready':true,'state':{'running':{}}}]}}");
    CHECK_CELLS(t, 0, "['p','1/1','Terminating','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* deleted on a lost node */
    t = table1("", "Pod", "{'metadata':{'name':'p','deletionTimestamp':'2024-05-01T12:00:10Z'},"
                          "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
                          "'reason':'NodeLost'}}");
    CHECK_CELLS(t, 0, "['p','0/1','Unknown','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* crash looping with restarts: "(5m ago)" from the last termination */
    t = table1("", "Pod",
               "{'metadata':{'name':'p','creationTimestamp':'2024-05-01T11:00:00Z'},"
               "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
               "'podIPs':[{'ip':'fd00::5'},{'ip':'10.0.0.5'}],"
               "'containerStatuses':[{'name':'c','ready':false,'restartCount':5,"
               "'lastState':{'terminated':{'exitCode':1,'reason':'Error','finishedAt':'2024-05-01T11:55:00Z'}},"
               "'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','CrashLoopBackOff','5 (5m ago)','60m','fd00::5','<none>','<none>','<none>']");
    json_decref(t);

    /* restarts without a termination time print without "ago" */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Running','containerStatuses':[{'name':'c','ready':true,"
                          "'restartCount':2,'state':{'running':{}}}]}}");
    CHECK_CELLS(t, 0, "['p','1/1','Running','2','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* terminated without a reason: exit code, or signal */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
                          "'state':{'terminated':{'exitCode':137}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','ExitCode:137','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
                          "'state':{'terminated':{'exitCode':0,'signal':9}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Signal:9','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* evicted: the pod's reason */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Failed','reason':'Evicted'}}");
    CHECK_CELLS(t, 0, "['p','0/1','Evicted','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* gated */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Pending','conditions':[{'type':'PodScheduled',"
                          "'status':'False','reason':'SchedulingGated'}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','SchedulingGated','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* readiness gates: 1 of 2 true; nominated node */
    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}],"
                          "'readinessGates':[{'conditionType':'a'},{'conditionType':'b'}]},"
                          "'status':{'phase':'Pending','nominatedNodeName':'n2','podIP':'10.1.1.1',"
                          "'conditions':[{'type':'a','status':'True'},{'type':'b','status':'False'}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Pending','0','<unknown>','10.1.1.1','<none>','n2','1/2']");
    json_decref(t);
}

TEST(test_pod_completed)
{
    json_t *t = table1("", "Pod", "{'metadata':{'name':'job-x'},'spec':{'containers':[{'name':'c'}]},"
                                  "'status':{'phase':'Succeeded','containerStatuses':[{'name':'c',"
                                  "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}");
    CHECK_CELLS(t, 0, "['job-x','0/1','Completed','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_t *want = J("[{'type':'Completed','status':'True','reason':'Succeeded',"
                     "'message':'The pod has completed successfully.'}]");
    CHECK(json_equal(json_object_get(row_of(t, 0), "conditions"), want));
    json_decref(want);
    json_decref(t);

    t = table1("", "Pod", "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
                          "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
                          "'state':{'terminated':{'exitCode':2,'reason':'Error'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Error','0','<unknown>','<none>','<none>','<none>','<none>']");
    want = J("[{'type':'Completed','status':'True','reason':'Failed','message':'The pod failed.'}]");
    CHECK(json_equal(json_object_get(row_of(t, 0), "conditions"), want));
    json_decref(want);
    json_decref(t);

    /* one container completed, the other still runs: Running or NotReady */
    const char *two =
        "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
        "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'%s'}],"
        "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
        "{'name':'b','ready':true,'state':{'running':{}}}]}}";
    char buf[1024];
    snprintf(buf, sizeof buf, two, "True");
    t = table1("", "Pod", buf);
    CHECK_CELLS(t, 0, "['p','1/2','Running','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
    snprintf(buf, sizeof buf, two, "False");
    t = table1("", "Pod", buf);
    CHECK_CELLS(t, 0, "['p','1/2','NotReady','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
}

TEST(test_pod_init_containers)
{
    /* first of two init containers running */
    json_t *t = table1("", "Pod",
                       "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
                       "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
                       "'initContainerStatuses':[{'name':'i1','restartCount':0,'state':{'running':{}}},"
                       "{'name':'i2','state':{'waiting':{'reason':'PodInitializing'}}}],"
                       "'containerStatuses':[{'name':'c','state':{'waiting':{'reason':'PodInitializing'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Init:0/2','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* second one running after the first completed */
    t = table1("", "Pod",
               "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
               "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
               "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
               "{'name':'i2','state':{'running':{}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Init:1/2','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* failing init container: its reason, its restarts counted */
    t = table1("", "Pod",
               "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
               "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
               "'initContainerStatuses':[{'name':'i1','restartCount':3,"
               "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:59:00Z'}},"
               "'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Init:CrashLoopBackOff','3 (60s ago)','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
    t = table1("", "Pod",
               "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
               "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
               "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':3}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Init:ExitCode:3','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
    t = table1("", "Pod",
               "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
               "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
               "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':1,'reason':'Error'}}}]}}");
    CHECK_CELLS(t, 0, "['p','0/1','Init:Error','0','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);

    /* a started sidecar (restartable init container) counts as a container */
    t = table1("", "Pod",
               "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'side','restartPolicy':'Always'}],"
               "'containers':[{'name':'c'}]},'status':{'phase':'Running',"
               "'conditions':[{'type':'Initialized','status':'True'}],"
               "'initContainerStatuses':[{'name':'side','started':true,'ready':true,'restartCount':1,"
               "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:50:00Z'}},"
               "'state':{'running':{}}}],"
               "'containerStatuses':[{'name':'c','ready':true,'restartCount':2,'state':{'running':{}},"
               "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:40:00Z'}}}]}}");
    CHECK_CELLS(t, 0, "['p','2/2','Running','3 (10m ago)','<unknown>','<none>','<none>','<none>','<none>']");
    json_decref(t);
}

/* ---- volumes of the scenario ----------------------------------------------------- */

static const char *scenario_pv =
    "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':"
    "'pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e','creationTimestamp':'2024-05-01T11:52:31Z'},"
    "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"
    "'persistentVolumeReclaimPolicy':'Retain','storageClassName':'test-storage-class',"
    "'volumeMode':'Filesystem','hostPath':{'path':'/var/lib/k1s/storage/pvc-146ef4c5'},"
    "'claimRef':{'kind':'PersistentVolumeClaim','namespace':'default',"
    "'name':'html-volume-nginx-statefulset-0','uid':'146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e'}},"
    "'status':{'phase':'Bound'}}";

static const char *scenario_pvc =
    "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':"
    "'html-volume-nginx-statefulset-0','namespace':'default','creationTimestamp':'2024-05-01T11:52:31Z'},"
    "'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},"
    "'storageClassName':'test-storage-class','volumeMode':'Filesystem',"
    "'volumeName':'pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e'},"
    "'status':{'phase':'Bound','accessModes':['ReadWriteOnce'],'capacity':{'storage':'1Gi'}}}";

TEST(test_pv)
{
    json_t *t = table1("", "PersistentVolume", scenario_pv);
    CHECK_STR(column_names(t), "Name|Capacity|Access Modes|Reclaim Policy|Status|Claim|StorageClass|"
                               "VolumeAttributesClass|Reason|Age|*VolumeMode");
    CHECK_CELLS(t, 0, "['pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e','1Gi','RWO','Retain','Bound',"
                      "'default/html-volume-nginx-statefulset-0','test-storage-class','<unset>','',"
                      "'7m29s','Filesystem']");
    json_decref(t);

    /* unbound, all access modes in kube's order, beta class annotation,
     * attributes class, being deleted */
    t = table1("", "PersistentVolume",
               "{'metadata':{'name':'v','deletionTimestamp':'2024-05-01T12:00:00Z',"
               "'annotations':{'volume.beta.kubernetes.io/storage-class':'beta'}},"
               "'spec':{'capacity':{'storage':'10Gi'},'storageClassName':'ignored',"
               "'accessModes':['ReadWriteOncePod','ReadWriteMany','ReadOnlyMany','ReadWriteOnce','ReadWriteOnce'],"
               "'persistentVolumeReclaimPolicy':'Delete','volumeAttributesClassName':'gold'},"
               "'status':{'phase':'Released','reason':'x'}}");
    CHECK_CELLS(t, 0, "['v','10Gi','RWO,ROX,RWX,RWOP','Delete','Terminating','','beta','gold','x',"
                      "'<unknown>','<unset>']");
    json_decref(t);

    /* a quantity stored as a number, and a missing one */
    t = table1("", "PersistentVolume", "{'metadata':{'name':'v'},'spec':{'capacity':{'storage':1000}}}");
    CHECK_CELLS(t, 0, "['v','1000','','','','','','<unset>','','<unknown>','<unset>']");
    json_decref(t);
    t = table1("", "PersistentVolume", "{'metadata':{'name':'v'}}");
    CHECK_CELLS(t, 0, "['v','0','','','','','','<unset>','','<unknown>','<unset>']");
    json_decref(t);
}

TEST(test_pvc)
{
    json_t *t = table1("", "PersistentVolumeClaim", scenario_pvc);
    CHECK_STR(column_names(t), "Name|Status|Volume|Capacity|Access Modes|StorageClass|"
                               "VolumeAttributesClass|Age|*VolumeMode");
    CHECK_CELLS(t, 0, "['html-volume-nginx-statefulset-0','Bound','pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e',"
                      "'1Gi','RWO','test-storage-class','<unset>','7m29s','Filesystem']");
    json_decref(t);

    /* pending: no volume, so no capacity or modes */
    t = table1("", "PersistentVolumeClaim",
               "{'metadata':{'name':'c','creationTimestamp':'2024-05-01T11:59:00Z'},"
               "'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'test-storage-class',"
               "'resources':{'requests':{'storage':'1Gi'}}},'status':{'phase':'Pending'}}");
    CHECK_CELLS(t, 0, "['c','Pending','','','','test-storage-class','<unset>','60s','<unset>']");
    json_decref(t);

    /* no class at all, terminating */
    t = table1("", "PersistentVolumeClaim",
               "{'metadata':{'name':'c','deletionTimestamp':'2024-05-01T12:00:00Z'},"
               "'spec':{'volumeName':'v'},'status':{'phase':'Bound','accessModes':['ReadWriteMany']}}");
    CHECK_CELLS(t, 0, "['c','Terminating','v','0','RWX','','<unset>','<unknown>','<unset>']");
    json_decref(t);
}

/* ---- includeObject, default table, column definitions --------------------------- */

TEST(test_include_object)
{
    json_t *items = J("[{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'a','namespace':'ns',"
                      "'uid':'u1','resourceVersion':'7','labels':{'x':'y'}},'data':{'k':'v'}}]");
    const json_t *item = json_array_get(items, 0);

    json_t *t = k1s_table_build("", "ConfigMap", items, NULL, NOW);
    const json_t *obj = json_object_get(row_of(t, 0), "object");
    CHECK_STR(json_string_value(json_object_get(obj, "kind")), "PartialObjectMetadata");
    CHECK_STR(json_string_value(json_object_get(obj, "apiVersion")), "meta.k8s.io/v1");
    CHECK(json_equal(json_object_get(obj, "metadata"), json_object_get(item, "metadata")));
    CHECK_INT(json_object_size(obj), 3);
    json_decref(t);

    t = k1s_table_build("", "ConfigMap", items, "Metadata", NOW);
    CHECK_STR(json_string_value(json_object_get(json_object_get(row_of(t, 0), "object"), "kind")),
              "PartialObjectMetadata");
    json_decref(t);

    t = k1s_table_build("", "ConfigMap", items, "Object", NOW);
    CHECK(json_equal(json_object_get(row_of(t, 0), "object"), item));
    json_decref(t);

    /* None: the object is null, as kube encodes an empty RawExtension */
    t = k1s_table_build("", "ConfigMap", items, "None", NOW);
    CHECK(json_is_null(json_object_get(row_of(t, 0), "object")));
    CHECK_CELLS(t, 0, "['a',1,'<unknown>']");
    json_decref(t);

    CHECK(k1s_table_build("", "ConfigMap", items, "Full", NOW) == NULL);
    CHECK(k1s_table_build("", "ConfigMap", items, "none", NOW) == NULL);
    CHECK(k1s_table_include_object_valid(NULL));
    CHECK(k1s_table_include_object_valid(""));
    CHECK(k1s_table_include_object_valid("Object"));
    CHECK(!k1s_table_include_object_valid("object"));

    /* a single object instead of a list */
    t = k1s_table_build("", "ConfigMap", item, "None", NOW);
    CHECK_INT(json_array_size(json_object_get(t, "rows")), 1);
    json_decref(t);
    json_decref(items);
}

TEST(test_table_shape)
{
    json_t *t = table1("", "ConfigMap", "{'metadata':{'name':'a'},'data':{'x':'1'},'binaryData':{'y':'AA=='}}");
    CHECK_STR(json_string_value(json_object_get(t, "kind")), "Table");
    CHECK_STR(json_string_value(json_object_get(t, "apiVersion")), "meta.k8s.io/v1");
    CHECK(json_is_object(json_object_get(t, "metadata")));
    CHECK_INT(json_object_size(json_object_get(t, "metadata")), 0);
    CHECK_CELLS(t, 0, "['a',2,'<unknown>']");
    /* the column definition as kube encodes it: every field, in order */
    char *col = json_dumps(json_array_get(json_object_get(t, "columnDefinitions"), 0), JSON_COMPACT);
    CHECK(starts_with(col, "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":"));
    CHECK(strstr(col, "\"priority\":0}") != NULL);
    free(col);
    char *all = json_dumps(t, JSON_COMPACT);
    CHECK(starts_with(all, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{},"
                           "\"columnDefinitions\":"));
    free(all);
    json_decref(t);

    /* an empty list of a known kind: rows is an empty array */
    json_t *empty = json_array();
    t = k1s_table_build("", "Pod", empty, NULL, NOW);
    CHECK(json_is_array(json_object_get(t, "rows")));
    CHECK_INT(json_array_size(json_object_get(t, "rows")), 0);
    CHECK_INT(json_array_size(json_object_get(t, "columnDefinitions")), 9);
    json_decref(t);
    json_decref(empty);
}

TEST(test_default_table)
{
    CHECK(!k1s_table_has_columns("rbac.authorization.k8s.io", "Role"));
    CHECK(k1s_table_has_columns("", "Pod"));
    CHECK(k1s_table_has_columns(NULL, "Pod"));
    CHECK(!k1s_table_has_columns("apps", "Pod"));

    json_t *t = table1("rbac.authorization.k8s.io", "Role",
                       "{'metadata':{'name':'reader','creationTimestamp':'2024-05-01T13:53:42.5+02:00'}}");
    CHECK_STR(column_names(t), "Name|Created At");
    const json_t *c1 = json_array_get(json_object_get(t, "columnDefinitions"), 1);
    CHECK_STR(json_string_value(json_object_get(c1, "type")), "date");
    CHECK_STR(json_string_value(json_object_get(c1, "format")), "");
    CHECK_CELLS(t, 0, "['reader','2024-05-01T11:53:42Z']");
    json_decref(t);

    t = table1("example.com", "Widget", "{'metadata':{'name':'w'}}");
    CHECK_CELLS(t, 0, "['w','0001-01-01T00:00:00Z']");
    json_decref(t);

    /* kube's default convertor encodes an empty list's rows as null */
    json_t *empty = json_array();
    t = k1s_table_build("example.com", "Widget", empty, NULL, NOW);
    CHECK(json_is_null(json_object_get(t, "rows")));
    json_decref(t);
    json_decref(empty);
}

/* ---- other kinds --------------------------------------------------------------------- */

TEST(test_apps)
{
    json_t *t = table1("apps", "Deployment",
                       "{'metadata':{'name':'web','creationTimestamp':'2024-04-29T09:00:00Z'},"
                       "'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web','tier':'fe'},"
                       "'matchExpressions':[{'key':'env','operator':'NotIn','values':['prod','dev']},"
                       "{'key':'app','operator':'Exists'},{'key':'zone','operator':'DoesNotExist'},"
                       "{'key':'b','operator':'In','values':['y']}]},"
                       "'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.25'}]}}},"
                       "'status':{'replicas':3,'updatedReplicas':3,'readyReplicas':2,'availableReplicas':2}}");
    CHECK_STR(column_names(t), "Name|Ready|Up-to-date|Available|Age|*Containers|*Images|*Selector");
    CHECK_CELLS(t, 0, "['web','2/3',3,2,'2d3h','nginx','nginx:1.25',"
                      "'app=web,app,b in (y),env notin (dev,prod),tier=fe,!zone']");
    json_decref(t);

    /* Deployment's empty selector prints "", an invalid one "<invalid>" */
    t = table1("apps", "Deployment", "{'metadata':{'name':'d'},'spec':{'selector':{}}}");
    CHECK_CELLS(t, 0, "['d','0/1',0,0,'<unknown>','','','']");
    json_decref(t);
    t = table1("apps", "Deployment",
               "{'metadata':{'name':'d'},'spec':{'replicas':0,'selector':{'matchExpressions':"
               "[{'key':'a','operator':'In','values':[]}]}}}");
    CHECK_CELLS(t, 0, "['d','0/0',0,0,'<unknown>','','','<invalid>']");
    json_decref(t);

    t = table1("apps", "ReplicaSet",
               "{'metadata':{'name':'web-5d4f','creationTimestamp':'2024-05-01T11:57:00Z'},"
               "'spec':{'replicas':3,'selector':{'matchLabels':{'pod-template-hash':'5d4f','app':'web'}},"
               "'template':{'spec':{'containers':[{'name':'a','image':'x'},{'name':'b','image':'y'}]}}},"
               "'status':{'replicas':3,'readyReplicas':1}}");
    CHECK_STR(column_names(t), "Name|Desired|Current|Ready|Age|*Containers|*Images|*Selector");
    CHECK_CELLS(t, 0, "['web-5d4f',3,3,1,'3m','a,b','x,y','app=web,pod-template-hash=5d4f']");
    json_decref(t);
    t = table1("apps", "ReplicaSet", "{'metadata':{'name':'r'},'spec':{'selector':{'matchExpressions':"
                                     "[{'key':'a','operator':'Bogus'}]}}}");
    CHECK_CELLS(t, 0, "['r',1,0,0,'<unknown>','','','<error>']");
    json_decref(t);
    t = table1("apps", "ReplicaSet", "{'metadata':{'name':'r'}}");
    CHECK_CELLS(t, 0, "['r',1,0,0,'<unknown>','','','<none>']");
    json_decref(t);

    t = table1("apps", "DaemonSet",
               "{'metadata':{'name':'kube-proxy','creationTimestamp':'2024-05-01T04:00:00Z'},"
               "'spec':{'selector':{'matchLabels':{'k8s-app':'kube-proxy'}},'template':{'spec':"
               "{'nodeSelector':{'kubernetes.io/os':'linux'},'containers':[{'name':'kube-proxy','image':'kp:1'}]}}},"
               "'status':{'desiredNumberScheduled':1,'currentNumberScheduled':1,'numberReady':1,"
               "'updatedNumberScheduled':1,'numberAvailable':1}}");
    CHECK_STR(column_names(t), "Name|Desired|Current|Ready|Up-to-date|Available|Node Selector|Age|"
                               "*Containers|*Images|*Selector");
    CHECK_CELLS(t, 0, "['kube-proxy',1,1,1,1,1,'kubernetes.io/os=linux','8h','kube-proxy','kp:1',"
                      "'k8s-app=kube-proxy']");
    json_decref(t);

    t = table1("apps", "ControllerRevision",
               "{'metadata':{'name':'nginx-statefulset-6b8c9d','creationTimestamp':'2024-05-01T11:59:46Z',"
               "'ownerReferences':[{'apiVersion':'v1','kind':'Foo','name':'nope'},"
               "{'apiVersion':'apps/v1','kind':'StatefulSet','name':'nginx-statefulset','controller':true}]},"
               "'revision':1}");
    CHECK_STR(column_names(t), "Name|Controller|Revision|Age");
    CHECK_CELLS(t, 0, "['nginx-statefulset-6b8c9d','statefulset.apps/nginx-statefulset',1,'14s']");
    json_decref(t);
    t = table1("apps", "ControllerRevision", "{'metadata':{'name':'r'},'revision':2}");
    CHECK_CELLS(t, 0, "['r','<none>',2,'<unknown>']");
    json_decref(t);
    t = table1("apps", "ControllerRevision",
               "{'metadata':{'name':'r','ownerReferences':[{'apiVersion':'v1','kind':'Pod',"
               "'name':'p','controller':true}]},'revision':3}");
    CHECK_CELLS(t, 0, "['r','pod/p',3,'<unknown>']");
    json_decref(t);

    t = table1("", "ReplicationController",
               "{'metadata':{'name':'rc'},'spec':{'replicas':2,'selector':{'app':'x'},"
               "'template':{'spec':{'containers':[{'name':'c','image':'i'}]}}},"
               "'status':{'replicas':2,'readyReplicas':2}}");
    CHECK_CELLS(t, 0, "['rc',2,2,2,'<unknown>','c','i','app=x']");
    json_decref(t);
}

TEST(test_batch)
{
    json_t *t = table1("batch", "Job",
                       "{'metadata':{'name':'pi','creationTimestamp':'2024-05-01T11:50:00Z'},"
                       "'spec':{'completions':1,'parallelism':1,'selector':{'matchLabels':"
                       "{'batch.kubernetes.io/controller-uid':'abc'}},'template':{'spec':{'containers':"
                       "[{'name':'pi','image':'perl:5.34'}]}}},'status':{'succeeded':1,"
                       "'startTime':'2024-05-01T11:50:00Z','completionTime':'2024-05-01T11:50:42Z',"
                       "'conditions':[{'type':'SuccessCriteriaMet','status':'True'},"
                       "{'type':'Complete','status':'True'}]}}");
    CHECK_STR(column_names(t), "Name|Status|Completions|Duration|Age|*Containers|*Images|*Selector");
    CHECK_CELLS(t, 0, "['pi','Complete','1/1','42s','10m','pi','perl:5.34',"
                      "'batch.kubernetes.io/controller-uid=abc']");
    json_decref(t);

    t = table1("batch", "Job", "{'metadata':{'name':'j'},'spec':{'parallelism':3},"
                               "'status':{'startTime':'2024-05-01T11:58:30Z','active':3}}");
    CHECK_CELLS(t, 0, "['j','Running','0/1 of 3','90s','<unknown>','','','<none>']");
    json_decref(t);
    t = table1("batch", "Job", "{'metadata':{'name':'j'},'spec':{'suspend':true},"
                               "'status':{'conditions':[{'type':'Suspended','status':'True'}]}}");
    CHECK_CELLS(t, 0, "['j','Suspended','0/1','','<unknown>','','','<none>']");
    json_decref(t);
    t = table1("batch", "Job", "{'metadata':{'name':'j','deletionTimestamp':'2024-05-01T12:00:00Z'},"
                               "'status':{'conditions':[{'type':'Failed','status':'False'}]}}");
    CHECK_CELLS(t, 0, "['j','Terminating','0/1','','<unknown>','','','<none>']");
    json_decref(t);

    t = table1("batch", "CronJob",
               "{'metadata':{'name':'hello','creationTimestamp':'2024-05-01T10:00:00Z'},"
               "'spec':{'schedule':'*/5 * * * *','suspend':false,'jobTemplate':{'spec':{'template':"
               "{'spec':{'containers':[{'name':'hello','image':'busybox'}]}}}}},"
               "'status':{'active':[{'name':'hello-1'}],'lastScheduleTime':'2024-05-01T11:55:00Z'}}");
    CHECK_STR(column_names(t), "Name|Schedule|Timezone|Suspend|Active|Last Schedule|Age|"
                               "*Containers|*Images|*Selector");
    CHECK_CELLS(t, 0, "['hello','*/5 * * * *','<none>','False',1,'5m','120m','hello','busybox','<none>']");
    json_decref(t);
    t = table1("batch", "CronJob", "{'metadata':{'name':'c'},'spec':{'schedule':'@daily',"
                                   "'timeZone':'Etc/UTC'}}");
    CHECK_CELLS(t, 0, "['c','@daily','Etc/UTC','<unset>',0,'<none>','<unknown>','','','<none>']");
    json_decref(t);
}

TEST(test_endpoints)
{
    json_t *t = table1("", "Endpoints",
                       "{'metadata':{'name':'nginx-service','creationTimestamp':'2024-05-01T11:59:46Z'},"
                       "'subsets':[{'addresses':[{'ip':'10.244.0.5'},{'ip':'10.244.0.6'}],"
                       "'notReadyAddresses':[{'ip':'10.244.0.9'}],'ports':[{'name':'web','port':80}]},"
                       "{'addresses':[{'ip':'10.244.0.7'},{'ip':'10.244.0.8'}],'ports':[{'port':80}]}]}");
    CHECK_STR(column_names(t), "Name|Endpoints|Age");
    CHECK_CELLS(t, 0, "['nginx-service','10.244.0.5:80,10.244.0.6:80,10.244.0.7:80 + 1 more...','14s']");
    json_decref(t);

    t = table1("", "Endpoints",
               "{'metadata':{'name':'e'},'subsets':[{'addresses':[{'ip':'fd00::1'}],"
               "'ports':[{'port':80},{'port':443}]},{'addresses':[{'ip':'10.0.0.1'}]}]}");
    CHECK_CELLS(t, 0, "['e','[fd00::1]:80,[fd00::1]:443,10.0.0.1','<unknown>']");
    json_decref(t);
    t = table1("", "Endpoints", "{'metadata':{'name':'e'}}");
    CHECK_CELLS(t, 0, "['e','<none>','<unknown>']");
    json_decref(t);

    t = table1("discovery.k8s.io", "EndpointSlice",
               "{'metadata':{'name':'nginx-service-abcde'},'addressType':'IPv4',"
               "'ports':[{'name':'web','port':80,'protocol':'TCP'},{'name':'x'},{},{'port':1},{'port':2}],"
               "'endpoints':[{'addresses':['10.244.0.5']},{'addresses':['10.244.0.6','10.244.0.7']}]}");
    CHECK_STR(column_names(t), "Name|AddressType|Ports|Endpoints|Age");
    CHECK_CELLS(t, 0, "['nginx-service-abcde','IPv4','80,x,* + 2 more...',"
                      "'10.244.0.5,10.244.0.6,10.244.0.7','<unknown>']");
    json_decref(t);
    t = table1("discovery.k8s.io", "EndpointSlice", "{'metadata':{'name':'s'},'addressType':'IPv6'}");
    CHECK_CELLS(t, 0, "['s','IPv6','<unset>','<unset>','<unknown>']");
    json_decref(t);
}

TEST(test_node_namespace)
{
    json_t *t = table1("", "Node",
                       "{'metadata':{'name':'k1s-node','creationTimestamp':'2024-04-16T12:00:00Z',"
                       "'labels':{'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'worker',"
                       "'node-role.kubernetes.io/':'x','kubernetes.io/hostname':'k1s-node'}},"
                       "'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
                       "{'type':'Ready','status':'True'}],'addresses':[{'type':'Hostname','address':'k1s-node'},"
                       "{'type':'InternalIP','address':'192.168.1.10'}],'nodeInfo':{'kubeletVersion':'v1.33.0',"
                       "'osImage':'Debian GNU/Linux 12 (bookworm)','kernelVersion':'6.1.0-18-amd64',"
                       "'containerRuntimeVersion':'containerd://1.7.24'}}}");
    CHECK_STR(column_names(t), "Name|Status|Roles|Age|Version|*Internal-IP|*External-IP|*OS-Image|"
                               "*Kernel-Version|*Container-Runtime");
    CHECK_CELLS(t, 0, "['k1s-node','Ready','control-plane,worker','15d','v1.33.0','192.168.1.10','<none>',"
                      "'Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','containerd://1.7.24']");
    json_decref(t);
    t = table1("", "Node", "{'metadata':{'name':'n'},'spec':{'unschedulable':true},"
                           "'status':{'conditions':[{'type':'Ready','status':'Unknown'}]}}");
    CHECK_CELLS(t, 0, "['n','NotReady,SchedulingDisabled','<none>','<unknown>','','<none>','<none>',"
                      "'<unknown>','<unknown>','<unknown>']");
    json_decref(t);
    t = table1("", "Node", "{'metadata':{'name':'n'}}");
    CHECK_CELLS(t, 0, "['n','Unknown','<none>','<unknown>','','<none>','<none>','<unknown>','<unknown>','<unknown>']");
    json_decref(t);

    t = table1("", "Namespace", "{'metadata':{'name':'default','creationTimestamp':'2024-05-01T11:00:00Z'},"
                                "'status':{'phase':'Active'}}");
    CHECK_STR(column_names(t), "Name|Status|Age");
    CHECK_CELLS(t, 0, "['default','Active','60m']");
    json_decref(t);
}

TEST(test_config_kinds)
{
    json_t *t = table1("", "Secret", "{'metadata':{'name':'s'},'type':'kubernetes.io/tls',"
                                     "'data':{'tls.crt':'AA==','tls.key':'AA=='}}");
    CHECK_STR(column_names(t), "Name|Type|Data|Age");
    CHECK_CELLS(t, 0, "['s','kubernetes.io/tls',2,'<unknown>']");
    json_decref(t);
    t = table1("", "ServiceAccount", "{'metadata':{'name':'default'}}");
    CHECK_STR(column_names(t), "Name|Secrets|Age");
    CHECK_CELLS(t, 0, "['default',0,'<unknown>']");
    json_decref(t);
    t = table1("", "ConfigMap", "{'metadata':{'name':'kube-root-ca.crt'},'data':{'ca.crt':'x'}}");
    CHECK_STR(column_names(t), "Name|Data|Age");
    CHECK_CELLS(t, 0, "['kube-root-ca.crt',1,'<unknown>']");
    json_decref(t);
    t = table1("coordination.k8s.io", "Lease",
               "{'metadata':{'name':'kube-controller-manager','creationTimestamp':'2024-05-01T09:00:00Z'},"
               "'spec':{'holderIdentity':'k1s_1234','leaseDurationSeconds':15}}");
    CHECK_STR(column_names(t), "Name|Holder|Age");
    CHECK_CELLS(t, 0, "['kube-controller-manager','k1s_1234','3h']");
    json_decref(t);
    t = table1("", "ResourceQuota",
               "{'metadata':{'name':'q'},'status':{'hard':{'pods':'10','limits.cpu':'2',"
               "'requests.memory':'1Gi','limits.memory':'2Gi'},'used':{'pods':'3','limits.cpu':'500m'}}}");
    CHECK_CELLS(t, 0, "['q','pods: 3/10, requests.memory: 0/1Gi','limits.cpu: 500m/2, limits.memory: 0/2Gi',"
                      "'<unknown>']");
    json_decref(t);
    t = table1("", "PodTemplate", "{'metadata':{'name':'pt'},'template':{'metadata':{'labels':{'a':'b'}},"
                                  "'spec':{'containers':[{'name':'c','image':'i'}]}}}");
    CHECK_STR(column_names(t), "Name|Containers|Images|Pod Labels");
    CHECK_CELLS(t, 0, "['pt','c','i','a=b']");
    json_decref(t);
    t = table1("policy", "PodDisruptionBudget",
               "{'metadata':{'name':'pdb'},'spec':{'minAvailable':'50%'},'status':{'disruptionsAllowed':1}}");
    CHECK_CELLS(t, 0, "['pdb','50%','N/A',1,'<unknown>']");
    json_decref(t);
}

TEST(test_events)
{
    json_t *t = table1("", "Event",
                       "{'metadata':{'name':'nginx-statefulset-0.17c1','namespace':'default'},"
                       "'involvedObject':{'kind':'Pod','name':'nginx-statefulset-0','fieldPath':'spec.containers{nginx}'},"
                       "'reason':'Pulled','message':'  Container image already present on machine\\n',"
                       "'source':{'component':'kubelet','host':'k1s-node'},"
                       "'firstTimestamp':'2024-05-01T11:50:00Z','lastTimestamp':'2024-05-01T11:59:50Z',"
                       "'count':3,'type':'Normal'}");
    CHECK_STR(column_names(t), "Last Seen|Type|Reason|Object|*Subobject|*Source|Message|*First Seen|*Count|*Name");
    const json_t *name_col = json_array_get(json_object_get(t, "columnDefinitions"), 9);
    CHECK_STR(json_string_value(json_object_get(name_col, "format")), "name");
    CHECK_CELLS(t, 0, "['10s','Normal','Pulled','pod/nginx-statefulset-0','spec.containers{nginx}',"
                      "'kubelet, k1s-node','Container image already present on machine','10m',3,"
                      "'nginx-statefulset-0.17c1']");
    json_decref(t);

    /* new-style event in core/v1: eventTime, series, reporting fields */
    t = table1("", "Event",
               "{'metadata':{'name':'e'},'involvedObject':{'kind':'Node'},'reason':'R','type':'Warning',"
               "'eventTime':'2024-05-01T11:58:00.123456Z','reportingComponent':'k1s-scheduler',"
               "'reportingInstance':'k1s-1','series':{'count':7,'lastObservedTime':'2024-05-01T11:59:30.000000Z'},"
               "'firstTimestamp':null}");
    CHECK_CELLS(t, 0, "['30s','Warning','R','node','','k1s-scheduler, k1s-1','','119s',7,'e']");
    json_decref(t);

    /* events.k8s.io/v1 prints the same columns from its own field names */
    t = table1("events.k8s.io", "Event",
               "{'metadata':{'name':'e2'},'regarding':{'kind':'StatefulSet','name':'nginx-statefulset'},"
               "'reason':'SuccessfulCreate','note':'create Pod nginx-statefulset-0','type':'Normal',"
               "'eventTime':null,'reportingController':'statefulset-controller',"
               "'deprecatedSource':{'component':'statefulset-controller'},"
               "'deprecatedFirstTimestamp':'2024-05-01T11:59:46Z','deprecatedLastTimestamp':'2024-05-01T11:59:46Z',"
               "'deprecatedCount':1}");
    CHECK_STR(column_names(t), "Last Seen|Type|Reason|Object|*Subobject|*Source|Message|*First Seen|*Count|*Name");
    CHECK_CELLS(t, 0, "['14s','Normal','SuccessfulCreate','statefulset/nginx-statefulset','',"
                      "'statefulset-controller','create Pod nginx-statefulset-0','14s',1,'e2']");
    json_decref(t);

    /* no times at all */
    t = table1("events.k8s.io", "Event", "{'metadata':{'name':'e3'}}");
    CHECK_CELLS(t, 0, "['<unknown>','','','','','','','<unknown>',1,'e3']");
    json_decref(t);
}

TEST(test_cluster_kinds)
{
    json_t *t = table1("networking.k8s.io", "Ingress",
                       "{'metadata':{'name':'ing'},'spec':{'ingressClassName':'nginx','tls':[{}],"
                       "'rules':[{'host':'a.com'},{},{'host':'b.com'},{'host':'c.com'},{'host':'d.com'}]},"
                       "'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.2'},{'ip':'10.0.0.1'}]}}}");
    CHECK_STR(column_names(t), "Name|Class|Hosts|Address|Ports|Age");
    CHECK_CELLS(t, 0, "['ing','nginx','a.com,b.com,c.com + 2 more...','10.0.0.1,10.0.0.2','80, 443','<unknown>']");
    json_decref(t);
    t = table1("networking.k8s.io", "Ingress", "{'metadata':{'name':'i'}}");
    CHECK_CELLS(t, 0, "['i','<none>','*','','80','<unknown>']");
    json_decref(t);

    t = table1("rbac.authorization.k8s.io", "ClusterRoleBinding",
               "{'metadata':{'name':'crb'},'roleRef':{'kind':'ClusterRole','name':'admin'},"
               "'subjects':[{'kind':'User','name':'alice'},{'kind':'ServiceAccount','name':'sa','namespace':'ns'},"
               "{'kind':'User','name':'bob'},{'kind':'Group','name':'devs'}]}");
    CHECK_STR(column_names(t), "Name|Role|Age|*Users|*Groups|*ServiceAccounts");
    CHECK_CELLS(t, 0, "['crb','ClusterRole/admin','<unknown>','alice, bob','devs','ns/sa']");
    json_decref(t);

    t = table1("certificates.k8s.io", "CertificateSigningRequest",
               "{'metadata':{'name':'csr-1'},'spec':{'signerName':'kubernetes.io/kube-apiserver-client',"
               "'username':'alice','expirationSeconds':86400},'status':{'conditions':[{'type':'Approved',"
               "'status':'True'}],'certificate':'AAAA'}}");
    CHECK_STR(column_names(t), "Name|Age|SignerName|Requestor|RequestedDuration|Condition");
    CHECK_CELLS(t, 0, "['csr-1','<unknown>','kubernetes.io/kube-apiserver-client','alice','24h','Approved,Issued']");
    json_decref(t);

    t = table1("scheduling.k8s.io", "PriorityClass",
               "{'metadata':{'name':'system-node-critical'},'value':2000001000,'preemptionPolicy':'PreemptLowerPriority'}");
    CHECK_CELLS(t, 0, "['system-node-critical',2000001000,false,'<unknown>','PreemptLowerPriority']");
    json_decref(t);

    t = table1("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
               "{'metadata':{'name':'b'},'spec':{'policyName':'p','paramRef':{'name':'cfg'}}}");
    CHECK_CELLS(t, 0, "['b','p','*/cfg','<unknown>']");
    json_decref(t);

    t = table1("apiregistration.k8s.io", "APIService",
               "{'metadata':{'name':'v1.apps'},'spec':{'group':'apps','version':'v1'},"
               "'status':{'conditions':[{'type':'Available','status':'True','reason':'Local'}]}}");
    CHECK_STR(column_names(t), "Name|Service|Available|Age");
    CHECK_CELLS(t, 0, "['v1.apps','Local','True','<unknown>']");
    json_decref(t);
    t = table1("apiregistration.k8s.io", "APIService",
               "{'metadata':{'name':'v1beta1.metrics.k8s.io'},'spec':{'service':{'namespace':'kube-system',"
               "'name':'metrics-server'}},'status':{'conditions':[{'type':'Available','status':'False',"
               "'reason':'MissingEndpoints'}]}}");
    CHECK_CELLS(t, 0, "['v1beta1.metrics.k8s.io','kube-system/metrics-server','False (MissingEndpoints)','<unknown>']");
    json_decref(t);

    t = table1("autoscaling", "HorizontalPodAutoscaler",
               "{'metadata':{'name':'web'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},"
               "'minReplicas':1,'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'cpu',"
               "'target':{'type':'Utilization','averageUtilization':80}}},{'type':'Pods','pods':{'metric':"
               "{'name':'qps'},'target':{'type':'AverageValue','averageValue':'10'}}},{'type':'Resource',"
               "'resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}}]},"
               "'status':{'currentReplicas':2,'currentMetrics':[{'type':'Resource','resource':{'name':'cpu',"
               "'current':{'averageUtilization':35,'averageValue':'70m'}}}]}}");
    CHECK_STR(column_names(t), "Name|Reference|Targets|MinPods|MaxPods|Replicas|Age");
    CHECK_CELLS(t, 0, "['web','Deployment/web','cpu: 35%/80%, <unknown>/10 + 1 more...','1',5,2,'<unknown>']");
    json_decref(t);

    /* flow schemas are listed in matching order */
    json_t *items = J("[{'metadata':{'name':'global-default'},'spec':{'matchingPrecedence':9900,"
                      "'priorityLevelConfiguration':{'name':'global-default'},'distinguisherMethod':{'type':'ByUser'}}},"
                      "{'metadata':{'name':'exempt'},'spec':{'matchingPrecedence':1,"
                      "'priorityLevelConfiguration':{'name':'exempt'}},'status':{'conditions':"
                      "[{'type':'Dangling','status':'False'}]}},"
                      "{'metadata':{'name':'b'},'spec':{'priorityLevelConfiguration':{'name':'x'}}},"
                      "{'metadata':{'name':'a'},'spec':{'matchingPrecedence':1000,'priorityLevelConfiguration':{'name':'x'}}}]");
    t = k1s_table_build("flowcontrol.apiserver.k8s.io", "FlowSchema", items, NULL, NOW);
    CHECK_CELLS(t, 0, "['exempt','exempt',1,'<none>','<unknown>','False']");
    CHECK_CELLS(t, 1, "['a','x',1000,'<none>','<unknown>','?']");
    CHECK_CELLS(t, 2, "['b','x',1000,'<none>','<unknown>','?']");
    CHECK_CELLS(t, 3, "['global-default','global-default',9900,'ByUser','<unknown>','?']");
    json_decref(t);
    json_decref(items);

    t = table1("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
               "{'metadata':{'name':'workload-low'},'spec':{'type':'Limited','limited':{"
               "'nominalConcurrencyShares':100,'limitResponse':{'type':'Queue','queuing':{'queues':128,"
               "'handSize':6,'queueLengthLimit':50}}}}}");
    CHECK_CELLS(t, 0, "['workload-low','Limited',100,128,6,50,'<unknown>']");
    json_decref(t);
    t = table1("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
               "{'metadata':{'name':'exempt'},'spec':{'type':'Exempt'}}");
    CHECK_CELLS(t, 0, "['exempt','Exempt','<none>','<none>','<none>','<none>','<unknown>']");
    json_decref(t);

    t = table1("storage.k8s.io", "CSIDriver", "{'metadata':{'name':'hostpath.csi.k8s.io'},"
                                             "'spec':{'volumeLifecycleModes':['Persistent','Ephemeral']}}");
    CHECK_CELLS(t, 0, "['hostpath.csi.k8s.io',true,false,false,'<unset>',false,'Persistent,Ephemeral','<unknown>']");
    json_decref(t);
}

/* ---- robustness ----------------------------------------------------------------------- */

static const k1s__tb_kind_table *const *all_kinds(size_t *n)
{
    static const k1s__tb_kind_table *list[256];
    const struct {
        const k1s__tb_kind_table *t;
        size_t n;
    } arrays[] = {
        {k1s__tb_kinds_pod, k1s__tb_kinds_pod_count},
        {k1s__tb_kinds_core, k1s__tb_kinds_core_count},
        {k1s__tb_kinds_workloads, k1s__tb_kinds_workloads_count},
        {k1s__tb_kinds_storage, k1s__tb_kinds_storage_count},
        {k1s__tb_kinds_cluster, k1s__tb_kinds_cluster_count},
    };
    *n = 0;
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++)
        for (size_t i = 0; i < arrays[a].n && *n < 256; i++)
            list[(*n)++] = &arrays[a].t[i];
    return list;
}

TEST(test_every_kind_odd_objects)
{
    /* Objects with wrong types everywhere: every kind must still give one
     * row with a cell per column, and never crash. */
    const char *odd[] = {
        "{}",
        "{'metadata':[],'spec':'x','status':7}",
        "{'metadata':{'name':5,'labels':[1],'annotations':'a','creationTimestamp':{}},"
        "'spec':{'containers':{'a':1},'selector':'s','ports':[1,'x',null],'replicas':'3',"
        "'template':[],'metrics':[{'type':5},null],'rules':{},'initContainers':[{}]},"
        "'status':{'conditions':[null,{'type':null}],'containerStatuses':[{},1],'phase':[]},"
        "'subsets':[{'addresses':null,'ports':[{}]}],'endpoints':[{'addresses':[1]}],'subjects':[7],"
        "'data':'x','involvedObject':[],'series':{}}",
        "{'metadata':{'name':'n','ownerReferences':[{'controller':true,'apiVersion':'a/b/c'}]},"
        "'spec':{'selector':{'matchExpressions':[{'key':'k','operator':'In','values':[1,2]},7]},"
        "'claimRef':{},'paramRef':{'selector':{'matchLabels':{'a':1},'matchExpressions':[{}]}},"
        "'scaleTargetRef':null,'limited':{}}}",
    };
    size_t n;
    const k1s__tb_kind_table *const *kinds = all_kinds(&n);
    CHECK(n >= 50);
    for (size_t k = 0; k < n; k++) {
        const k1s__tb_kind_table *kt = kinds[k];
        CHECK(kt->ncolumns >= 2);
        /* Name first, except Event (kube lists it last, wide only) */
        if (strcmp(kt->kind, "Event") != 0) {
            CHECK_STR(kt->columns[0].name, "Name");
            CHECK_STR(kt->columns[0].format, "name");
        }
        for (size_t c = 0; c < kt->ncolumns; c++) {
            CHECK(kt->columns[c].priority == 0 || kt->columns[c].priority == 1);
            CHECK(kt->columns[c].description && *kt->columns[c].description);
        }
        CHECK(k1s__tb_kind_lookup(kt->group, kt->kind) == kt);
        for (size_t o = 0; o < sizeof odd / sizeof odd[0]; o++) {
            json_t *items = J(odd[o]);
            json_t *list = json_pack("[o, i, s, n]", items, 1, "x");
            json_t *t = k1s_table_build(kt->group, kt->kind, list, "Object", NOW);
            CHECK(t != NULL);
            const json_t *rows = json_object_get(t, "rows");
            CHECK_INT(json_array_size(rows), 1); /* non-objects skipped */
            CHECK_INT(json_array_size(json_object_get(json_array_get(rows, 0), "cells")),
                      kt->ncolumns);
            json_decref(t);
            json_decref(list);
        }
    }
    /* not a list at all */
    json_t *s = json_string("x");
    json_t *t = k1s_table_build("", "Pod", s, NULL, NOW);
    CHECK_INT(json_array_size(json_object_get(t, "rows")), 0);
    json_decref(t);
    json_decref(s);
    t = k1s_table_build("", "Pod", NULL, NULL, NOW);
    CHECK(t != NULL);
    json_decref(t);
}

TEST(test_huge_cells_are_bounded)
{
    /* 5000 containers with 100-character names: the cell stops at the cap
     * and stays valid UTF-8 (whole pieces only). */
    json_t *containers = json_array();
    char name[128];
    memset(name, 0, sizeof name);
    for (int i = 0; i < 98; i++)
        name[i] = (char)('a' + i % 26);
    strcat(name, "\xc3\xa9"); /* a two-byte character at the end of each */
    for (int i = 0; i < 5000; i++)
        json_array_append_new(containers, json_pack("{s:s, s:s}", "name", name, "image", "i"));
    json_t *obj = json_pack("{s:{s:s}, s:{s:{s:{s:o}}}}", "metadata", "name", "big", "spec",
                            "template", "spec", "containers", containers);
    json_t *t = k1s_table_build("apps", "StatefulSet", obj, NULL, NOW);
    const json_t *cells = json_object_get(row_of(t, 0), "cells");
    const char *names = json_string_value(json_array_get(cells, 3));
    CHECK(names != NULL);
    CHECK(names && strlen(names) <= K1S__CELL_MAX);
    CHECK(names && strlen(names) > K1S__CELL_MAX - 200);
    json_decref(t);
    json_decref(obj);
}

K1S_TEST_MAIN(T(test_duration), T(test_age_timestamps), T(test_storageclass), T(test_service),
              T(test_statefulset), T(test_pod_running), T(test_pod_states), T(test_pod_completed),
              T(test_pod_init_containers), T(test_pv), T(test_pvc), T(test_include_object),
              T(test_table_shape), T(test_default_table), T(test_apps), T(test_batch),
              T(test_endpoints), T(test_node_namespace), T(test_config_kinds), T(test_events),
              T(test_cluster_kinds), T(test_every_kind_odd_objects), T(test_huge_cells_are_bounded))
