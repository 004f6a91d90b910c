/*
 * test_tables.c - unit tests of k1s_tables: the Table kube-apiserver 1.33
 * answers for `kubectl get`.
 *
 * Most of it is one table of cases: a kind, an object and the cells its
 * row must have (realistic objects of the reference scenario, the other
 * kinds, and their edge cases), run by one loop; and one table of the
 * column names each kind prints. Around them: HumanDuration, the cell
 * formats one by one, includeObject, the table's shape, the default table,
 * row order, odd objects for every kind, and the cap on cells.
 *
 * Objects are written as JSON with single quotes for readability.
 */
#include "k1s_test.h"
#include "k1s_fixture.h"
#include "k1s_tables.h"
#include "tables_int.h"

#include <limits.h>

/* 2024-05-01T12:00:00Z: the "now" ages are measured to. */
#define NOW ((time_t)1714564800)

/* Table of one object (new reference). */
static json_t *table1(const char *group, const char *kind, const char *obj)
{
    json_t *o = fx_json(obj);
    json_t *items = json_array();
    json_array_append_new(items, o);
    json_t *t = k1s_table_build(group, kind, items, NULL, NOW);
    json_decref(items);
    return t;
}

static const json_t *row_of(const json_t *table, size_t i)
{
    return json_array_get(json_object_get(table, "rows"), i);
}

/* Whether got equals the JSON want (NULL: got is absent); prints both,
 * with where the case is, when not. */
static bool check_json(int line, const char *what, const json_t *got, const char *want)
{
    json_t *w = want ? fx_json(want) : NULL;
    bool ok = w ? json_equal(w, got) : got == NULL;
    if (!ok) {
        char *ws = w ? json_dumps(w, JSON_COMPACT) : NULL;
        char *gs = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "%s:%d: %s\n  want %s\n  got  %s\n", __FILE__, line, what,
                ws ? ws : "(none)", gs ? gs : "(none)");
        free(ws);
        free(gs);
        k1s_test_failures++;
    }
    json_decref(w);
    return ok;
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

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- the cases ------------------------------------------------------------------ */

typedef struct cell_case {
    int line;
    const char *group, *kind;
    const char *object;     /* JSON, ' for " */
    const char *cells;      /* the cells of its row */
    const char *conditions; /* the row's conditions; NULL: none */
} cell_case;

#define CASE(group, kind, object, cells)           \
    {                                              \
        __LINE__, group, kind, object, cells, NULL \
    }
#define CASE_COND(group, kind, object, cells, conds) \
    {                                                \
        __LINE__, group, kind, object, cells, conds  \
    }

#define SCENARIO_SC                                                                       \
    "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"                            \
    "'metadata':{'name':'test-storage-class','creationTimestamp':'2024-05-01T11:53:42Z'," \
    "'uid':'7d7c1c9e-0c3a-4d43-9a59-3b5a4b7b0f11','resourceVersion':'412'},"              \
    "'provisioner':'docker.io/hostpath','reclaimPolicy':'Retain','volumeBindingMode':'Immediate'}"

#define SCENARIO_SVC                                                                                \
    "{'apiVersion':'v1','kind':'Service','metadata':{'name':'nginx-service','namespace':'default'," \
    "'labels':{'app':'nginx'},'creationTimestamp':'2024-05-01T11:59:46Z'},"                         \
    "'spec':{'ports':[{'name':'web','protocol':'TCP','port':80,'targetPort':80,'nodePort':30080}]," \
    "'selector':{'app':'nginx'},'clusterIP':'10.110.79.79','clusterIPs':['10.110.79.79'],"          \
    "'type':'NodePort','sessionAffinity':'None','externalTrafficPolicy':'Cluster'},"                \
    "'status':{'loadBalancer':{}}}"

#define SCENARIO_PV                                                                            \
    "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':"                         \
    "'pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e','creationTimestamp':'2024-05-01T11:52:31Z'},"  \
    "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"                    \
    "'persistentVolumeReclaimPolicy':'Retain','storageClassName':'test-storage-class',"        \
    "'volumeMode':'Filesystem','hostPath':{'path':'/var/lib/k1s/storage/pvc-146ef4c5'},"       \
    "'claimRef':{'kind':'PersistentVolumeClaim','namespace':'default',"                        \
    "'name':'html-volume-nginx-statefulset-0','uid':'146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e'}}," \
    "'status':{'phase':'Bound'}}"

#define SCENARIO_PVC                                                                                       \
    "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':"                                \
    "'html-volume-nginx-statefulset-0','namespace':'default','creationTimestamp':'2024-05-01T11:52:31Z'}," \
    "'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},"                  \
    "'storageClassName':'test-storage-class','volumeMode':'Filesystem',"                                   \
    "'volumeName':'pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e'},"                                            \
    "'status':{'phase':'Bound','accessModes':['ReadWriteOnce'],'capacity':{'storage':'1Gi'}}}"

/* The row condition of a failed pod. */
#define FAILED \
    "[{'type':'Completed','status':'True','reason':'Failed','message':'The pod failed.'}]"

/* A pod whose first container completed and whose second runs; ready is
 * its Ready condition's status. */
#define TWO_CONTAINERS(ready)                                                                       \
    "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"                   \
    "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'" ready "'}],"             \
    "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,'reason':'Completed'}}}," \
    "{'name':'b','ready':true,'state':{'running':{}}}]}}"

static const cell_case cell_cases[] = {
    /* ---- ages --------------------------------------------------------------- */

    /* fractions, offsets and missing timestamps */
    CASE("", "ConfigMap",
         "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T13:59:30+02:00'}}",
         "['a',0,'30s']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T11:59:59.9Z'}}",
         "['a',0,'0s']"), /* 0.1s truncates to 0 */
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T12:00:02Z'}}",
         "['a',0,'<invalid>']"), /* clock skew over a second */
    CASE("", "ConfigMap", "{'metadata':{'name':'a'}}", "['a',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'yesterday'}}",
         "['a',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-02-30T00:00:00Z'}}",
         "['a',0,'<unknown>']"),
    /* only what Go's time.Parse(RFC3339) takes: no ' ', 't' or 'z' */
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01 11:00:00Z'}}",
         "['a',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01t11:00:00Z'}}",
         "['a',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2024-05-01T11:00:00z'}}",
         "['a',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'a','creationTimestamp':'2022-02-28T12:00:00Z'}}",
         "['a',0,'2y63d']"), /* 2024 is a leap year */

    /* ---- the reference scenario --------------------------------------------- */

    CASE("storage.k8s.io", "StorageClass", SCENARIO_SC,
         "['test-storage-class','docker.io/hostpath','Retain','Immediate',false,'6m18s']"),
    /* defaults, the default-class annotation (GA and beta), and "false" */
    CASE("storage.k8s.io", "StorageClass",
         "{'metadata':{'name':'standard','creationTimestamp':'2024-04-01T12:00:00Z',"
         "'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},"
         "'provisioner':'rancher.io/local-path','allowVolumeExpansion':true}",
         "['standard (default)','rancher.io/local-path','Delete','Immediate',true,'30d']"),
    CASE("storage.k8s.io", "StorageClass",
         "{'metadata':{'name':'old','annotations':"
         "{'storageclass.beta.kubernetes.io/is-default-class':'true'}},"
         "'provisioner':'p','volumeBindingMode':'WaitForFirstConsumer'}",
         "['old (default)','p','Delete','WaitForFirstConsumer',false,'<unknown>']"),
    CASE("storage.k8s.io", "StorageClass",
         "{'metadata':{'name':'no','annotations':"
         "{'storageclass.kubernetes.io/is-default-class':'false'}},'provisioner':'p'}",
         "['no','p','Delete','Immediate',false,'<unknown>']"),
    CASE("", "Service", SCENARIO_SVC,
         "['nginx-service','NodePort','10.110.79.79','<none>','80:30080/TCP','14s','app=nginx']"),
    /* the API server's own service */
    CASE("", "Service",
         "{'metadata':{'name':'kubernetes','creationTimestamp':'2024-05-01T11:00:00Z'},"
         "'spec':{'type':'ClusterIP','clusterIP':'10.96.0.1','clusterIPs':['10.96.0.1'],"
         "'ports':[{'name':'https','port':443,'protocol':'TCP','targetPort':6443}]}}",
         "['kubernetes','ClusterIP','10.96.0.1','<none>','443/TCP','60m','<none>']"),
    /* headless, several ports, external IPs, clusterIP without clusterIPs */
    CASE("", "Service",
         "{'metadata':{'name':'h'},'spec':{'type':'ClusterIP','clusterIP':'None',"
         "'externalIPs':['1.2.3.4','5.6.7.8'],'selector':{'b':'2','a.b':'1','a':'0'},"
         "'ports':[{'port':53,'protocol':'UDP'},{'port':53,'protocol':'TCP'}]}}",
         "['h','ClusterIP','None','1.2.3.4,5.6.7.8','53/UDP,53/TCP','<unknown>',"
         "'a.b=1,a=0,b=2']"),
    /* LoadBalancer: pending, then with sorted unique ingress + external IPs */
    CASE("", "Service",
         "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIPs':['10.0.0.9'],"
         "'ports':[{'port':80,'nodePort':31000,'protocol':'TCP'}]}}",
         "['lb','LoadBalancer','10.0.0.9','<pending>','80:31000/TCP','<unknown>','<none>']"),
    CASE(
        "", "Service",
        "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIPs':['10.0.0.9'],"
        "'externalIPs':['9.9.9.9'],'ports':[]},'status':{'loadBalancer':{'ingress':"
        "[{'ip':'172.18.0.3'},{'hostname':'a.example.com'},{'ip':'172.18.0.2'},{'ip':'172.18.0.3'}]}}}",
        "['lb','LoadBalancer','10.0.0.9','172.18.0.2,172.18.0.3,a.example.com,9.9.9.9',"
        "'<none>','<unknown>','<none>']"),
    CASE(
        "", "Service",
        "{'metadata':{'name':'db'},'spec':{'type':'ExternalName','externalName':'db.example.com'}}",
        "['db','ExternalName','<none>','db.example.com','<none>','<unknown>','<none>']"),
    CASE("apps", "StatefulSet",
         "{'metadata':{'name':'nginx-statefulset','creationTimestamp':'2024-05-01T11:59:46Z'},"
         "'spec':{'replicas':3,'serviceName':'nginx-service','selector':{'matchLabels':"
         "{'app':'nginx'}},'template':{'spec':{'containers':[{'name':'nginx','image':"
         "'k8s.gcr.io/nginx-slim:0.8'}]}}},'status':{'replicas':3,'readyReplicas':3}}",
         "['nginx-statefulset','3/3','14s','nginx','k8s.gcr.io/nginx-slim:0.8']"),
    /* scaled down to one, 30 minutes later; no status yet reads 0 */
    CASE("apps", "StatefulSet",
         "{'metadata':{'name':'s','creationTimestamp':'2024-05-01T11:30:00Z'},"
         "'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'a','image':'i1'},"
         "{'name':'b','image':'i2'}]}}}}",
         "['s','0/1','30m','a,b','i1,i2']"),

    /* ---- pods --------------------------------------------------------------- */

    /* scheduled, image being pulled */
    CASE("", "Pod",
         "{'metadata':{'name':'p','creationTimestamp':'2024-05-01T11:59:00Z'},"
         "'spec':{'nodeName':'n1','containers':[{'name':'c'}]},"
         "'status':{'phase':'Pending','containerStatuses':[{'name':'c','ready':false,"
         "'restartCount':0,'state':{'waiting':{'reason':'ContainerCreating'}}}]}}",
         "['p','0/1','ContainerCreating','0','60s','<none>','n1','<none>','<none>']"),
    /* not scheduled yet: the phase */
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
         "'status':{'phase':'Pending'}}",
         "['p','0/2','Pending','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* being deleted */
    CASE("", "Pod",
         "{'metadata':{'name':'p','deletionTimestamp':'2024-05-01T12:00:10Z'},"
         "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
         "'containerStatuses':[{'name':'c','ready':true,'state':{'running':{}}}]}}",
         "['p','1/1','Terminating','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* deleted on a lost node */
    CASE("", "Pod",
         "{'metadata':{'name':'p','deletionTimestamp':'2024-05-01T12:00:10Z'},"
         "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
         "'reason':'NodeLost'}}",
         "['p','0/1','Unknown','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* crash looping with restarts: "(5m ago)" from the last termination */
    CASE(
        "", "Pod",
        "{'metadata':{'name':'p','creationTimestamp':'2024-05-01T11:00:00Z'},"
        "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running',"
        "'podIPs':[{'ip':'fd00::5'},{'ip':'10.0.0.5'}],"
        "'containerStatuses':[{'name':'c','ready':false,'restartCount':5,"
        "'lastState':{'terminated':{'exitCode':1,'reason':'Error','finishedAt':'2024-05-01T11:55:00Z'}},"
        "'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}",
        "['p','0/1','CrashLoopBackOff','5 (5m ago)','60m','fd00::5','<none>','<none>','<none>']"),
    /* restarts without a termination time print without "ago" */
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
         "'status':{'phase':'Running','containerStatuses':[{'name':'c','ready':true,"
         "'restartCount':2,'state':{'running':{}}}]}}",
         "['p','1/1','Running','2','<unknown>','<none>','<none>','<none>','<none>']"),
    /* terminated without a reason: exit code, or signal */
    CASE_COND("", "Pod",
              "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
              "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
              "'state':{'terminated':{'exitCode':137}}}]}}",
              "['p','0/1','ExitCode:137','0','<unknown>','<none>','<none>','<none>','<none>']",
              FAILED),
    CASE_COND("", "Pod",
              "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
              "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
              "'state':{'terminated':{'exitCode':0,'signal':9}}}]}}",
              "['p','0/1','Signal:9','0','<unknown>','<none>','<none>','<none>','<none>']", FAILED),
    /* evicted: the pod's reason */
    CASE_COND("", "Pod",
              "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
              "'status':{'phase':'Failed','reason':'Evicted'}}",
              "['p','0/1','Evicted','0','<unknown>','<none>','<none>','<none>','<none>']", FAILED),
    /* gated */
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
         "'status':{'phase':'Pending','conditions':[{'type':'PodScheduled',"
         "'status':'False','reason':'SchedulingGated'}]}}",
         "['p','0/1','SchedulingGated','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* readiness gates: 1 of 2 true; nominated node */
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}],"
         "'readinessGates':[{'conditionType':'a'},{'conditionType':'b'}]},"
         "'status':{'phase':'Pending','nominatedNodeName':'n2','podIP':'10.1.1.1',"
         "'conditions':[{'type':'a','status':'True'},{'type':'b','status':'False'}]}}",
         "['p','0/1','Pending','0','<unknown>','10.1.1.1','<none>','n2','1/2']"),
    /* finished pods carry the Completed row condition */
    CASE_COND("", "Pod",
              "{'metadata':{'name':'job-x'},'spec':{'containers':[{'name':'c'}]},"
              "'status':{'phase':'Succeeded','containerStatuses':[{'name':'c',"
              "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
              "['job-x','0/1','Completed','0','<unknown>','<none>','<none>','<none>','<none>']",
              "[{'type':'Completed','status':'True','reason':'Succeeded',"
              "'message':'The pod has completed successfully.'}]"),
    CASE_COND("", "Pod",
              "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]},"
              "'status':{'phase':'Failed','containerStatuses':[{'name':'c',"
              "'state':{'terminated':{'exitCode':2,'reason':'Error'}}}]}}",
              "['p','0/1','Error','0','<unknown>','<none>','<none>','<none>','<none>']", FAILED),
    /* one container completed, the other still runs: Running or NotReady */
    CASE("", "Pod", TWO_CONTAINERS("True"),
         "['p','1/2','Running','0','<unknown>','<none>','<none>','<none>','<none>']"),
    CASE("", "Pod", TWO_CONTAINERS("False"),
         "['p','1/2','NotReady','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* first of two init containers running */
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
         "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
         "'initContainerStatuses':[{'name':'i1','restartCount':0,'state':{'running':{}}},"
         "{'name':'i2','state':{'waiting':{'reason':'PodInitializing'}}}],"
         "'containerStatuses':[{'name':'c','state':{'waiting':{'reason':'PodInitializing'}}}]}}",
         "['p','0/1','Init:0/2','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* second one running after the first completed */
    CASE(
        "", "Pod",
        "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
        "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
        "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
        "{'name':'i2','state':{'running':{}}}]}}",
        "['p','0/1','Init:1/2','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* failing init container: its reason, its restarts counted */
    CASE(
        "", "Pod",
        "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
        "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
        "'initContainerStatuses':[{'name':'i1','restartCount':3,"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:59:00Z'}},"
        "'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}",
        "['p','0/1','Init:CrashLoopBackOff','3 (60s ago)','<unknown>','<none>','<none>','<none>','<none>']"),
    CASE("", "Pod",
         "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
         "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
         "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':3}}}]}}",
         "['p','0/1','Init:ExitCode:3','0','<unknown>','<none>','<none>','<none>','<none>']"),
    CASE(
        "", "Pod",
        "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i1'}],"
        "'containers':[{'name':'c'}]},'status':{'phase':'Pending',"
        "'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':1,'reason':'Error'}}}]}}",
        "['p','0/1','Init:Error','0','<unknown>','<none>','<none>','<none>','<none>']"),
    /* a started sidecar (restartable init container) counts as a container */
    CASE(
        "", "Pod",
        "{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'side','restartPolicy':'Always'}],"
        "'containers':[{'name':'c'}]},'status':{'phase':'Running',"
        "'conditions':[{'type':'Initialized','status':'True'}],"
        "'initContainerStatuses':[{'name':'side','started':true,'ready':true,'restartCount':1,"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:50:00Z'}},"
        "'state':{'running':{}}}],"
        "'containerStatuses':[{'name':'c','ready':true,'restartCount':2,'state':{'running':{}},"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-05-01T11:40:00Z'}}}]}}",
        "['p','2/2','Running','3 (10m ago)','<unknown>','<none>','<none>','<none>','<none>']"),

    /* ---- volumes ------------------------------------------------------------ */

    CASE("", "PersistentVolume", SCENARIO_PV,
         "['pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e','1Gi','RWO','Retain','Bound',"
         "'default/html-volume-nginx-statefulset-0','test-storage-class','<unset>','',"
         "'7m29s','Filesystem']"),
    /* unbound, all access modes in kube's order, beta class annotation,
     * attributes class, being deleted */
    CASE(
        "", "PersistentVolume",
        "{'metadata':{'name':'v','deletionTimestamp':'2024-05-01T12:00:00Z',"
        "'annotations':{'volume.beta.kubernetes.io/storage-class':'beta'}},"
        "'spec':{'capacity':{'storage':'10Gi'},'storageClassName':'ignored',"
        "'accessModes':['ReadWriteOncePod','ReadWriteMany','ReadOnlyMany','ReadWriteOnce','ReadWriteOnce'],"
        "'persistentVolumeReclaimPolicy':'Delete','volumeAttributesClassName':'gold'},"
        "'status':{'phase':'Released','reason':'x'}}",
        "['v','10Gi','RWO,ROX,RWX,RWOP','Delete','Terminating','','beta','gold','x',"
        "'<unknown>','<unset>']"),
    /* a quantity stored as a number, and a missing one */
    CASE("", "PersistentVolume", "{'metadata':{'name':'v'},'spec':{'capacity':{'storage':1000}}}",
         "['v','1000','','','','','','<unset>','','<unknown>','<unset>']"),
    CASE("", "PersistentVolume", "{'metadata':{'name':'v'}}",
         "['v','0','','','','','','<unset>','','<unknown>','<unset>']"),
    CASE("", "PersistentVolumeClaim", SCENARIO_PVC,
         "['html-volume-nginx-statefulset-0','Bound','pvc-146ef4c5-cd7a-4bbc-8c9b-57ffa6a92d6e',"
         "'1Gi','RWO','test-storage-class','<unset>','7m29s','Filesystem']"),
    /* pending: no volume, so no capacity or modes */
    CASE("", "PersistentVolumeClaim",
         "{'metadata':{'name':'c','creationTimestamp':'2024-05-01T11:59:00Z'},"
         "'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'test-storage-class',"
         "'resources':{'requests':{'storage':'1Gi'}}},'status':{'phase':'Pending'}}",
         "['c','Pending','','','','test-storage-class','<unset>','60s','<unset>']"),
    /* no class at all, terminating */
    CASE("", "PersistentVolumeClaim",
         "{'metadata':{'name':'c','deletionTimestamp':'2024-05-01T12:00:00Z'},"
         "'spec':{'volumeName':'v'},'status':{'phase':'Bound','accessModes':['ReadWriteMany']}}",
         "['c','Terminating','v','0','RWX','','<unset>','<unknown>','<unset>']"),

    /* ---- the default table -------------------------------------------------- */

    CASE("rbac.authorization.k8s.io", "Role",
         "{'metadata':{'name':'reader','creationTimestamp':'2024-05-01T13:53:42.5+02:00'}}",
         "['reader','2024-05-01T11:53:42Z']"),
    CASE("example.com", "Widget", "{'metadata':{'name':'w'}}", "['w','0001-01-01T00:00:00Z']"),

    /* ---- workloads ---------------------------------------------------------- */

    CASE("apps", "Deployment",
         "{'metadata':{'name':'web','creationTimestamp':'2024-04-29T09:00:00Z'},"
         "'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web','tier':'fe'},"
         "'matchExpressions':[{'key':'env','operator':'NotIn','values':['prod','dev']},"
         "{'key':'app','operator':'Exists'},{'key':'zone','operator':'DoesNotExist'},"
         "{'key':'b','operator':'In','values':['y']}]},"
         "'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.25'}]}}},"
         "'status':{'replicas':3,'updatedReplicas':3,'readyReplicas':2,'availableReplicas':2}}",
         "['web','2/3',3,2,'2d3h','nginx','nginx:1.25',"
         "'app=web,app,b in (y),env notin (dev,prod),tier=fe,!zone']"),
    /* Deployment's empty selector prints "", an invalid one "<invalid>" */
    CASE("apps", "Deployment", "{'metadata':{'name':'d'},'spec':{'selector':{}}}",
         "['d','0/1',0,0,'<unknown>','','','']"),
    CASE("apps", "Deployment",
         "{'metadata':{'name':'d'},'spec':{'replicas':0,'selector':{'matchExpressions':"
         "[{'key':'a','operator':'In','values':[]}]}}}",
         "['d','0/0',0,0,'<unknown>','','','<invalid>']"),
    CASE("apps", "ReplicaSet",
         "{'metadata':{'name':'web-5d4f','creationTimestamp':'2024-05-01T11:57:00Z'},"
         "'spec':{'replicas':3,'selector':{'matchLabels':{'pod-template-hash':'5d4f','app':'web'}},"
         "'template':{'spec':{'containers':[{'name':'a','image':'x'},{'name':'b','image':'y'}]}}},"
         "'status':{'replicas':3,'readyReplicas':1}}",
         "['web-5d4f',3,3,1,'3m','a,b','x,y','app=web,pod-template-hash=5d4f']"),
    CASE("apps", "ReplicaSet",
         "{'metadata':{'name':'r'},'spec':{'selector':{'matchExpressions':"
         "[{'key':'a','operator':'Bogus'}]}}}",
         "['r',1,0,0,'<unknown>','','','<error>']"),
    CASE("apps", "ReplicaSet", "{'metadata':{'name':'r'}}",
         "['r',1,0,0,'<unknown>','','','<none>']"),
    CASE(
        "apps", "DaemonSet",
        "{'metadata':{'name':'kube-proxy','creationTimestamp':'2024-05-01T04:00:00Z'},"
        "'spec':{'selector':{'matchLabels':{'k8s-app':'kube-proxy'}},'template':{'spec':"
        "{'nodeSelector':{'kubernetes.io/os':'linux'},'containers':[{'name':'kube-proxy','image':'kp:1'}]}}},"
        "'status':{'desiredNumberScheduled':1,'currentNumberScheduled':1,'numberReady':1,"
        "'updatedNumberScheduled':1,'numberAvailable':1}}",
        "['kube-proxy',1,1,1,1,1,'kubernetes.io/os=linux','8h','kube-proxy','kp:1',"
        "'k8s-app=kube-proxy']"),
    CASE(
        "apps", "ControllerRevision",
        "{'metadata':{'name':'nginx-statefulset-6b8c9d','creationTimestamp':'2024-05-01T11:59:46Z',"
        "'ownerReferences':[{'apiVersion':'v1','kind':'Foo','name':'nope'},"
        "{'apiVersion':'apps/v1','kind':'StatefulSet','name':'nginx-statefulset','controller':true}]},"
        "'revision':1}",
        "['nginx-statefulset-6b8c9d','statefulset.apps/nginx-statefulset',1,'14s']"),
    CASE("apps", "ControllerRevision", "{'metadata':{'name':'r'},'revision':2}",
         "['r','<none>',2,'<unknown>']"),
    CASE("apps", "ControllerRevision",
         "{'metadata':{'name':'r','ownerReferences':[{'apiVersion':'v1','kind':'Pod',"
         "'name':'p','controller':true}]},'revision':3}",
         "['r','pod/p',3,'<unknown>']"),
    CASE("", "ReplicationController",
         "{'metadata':{'name':'rc'},'spec':{'replicas':2,'selector':{'app':'x'},"
         "'template':{'spec':{'containers':[{'name':'c','image':'i'}]}}},"
         "'status':{'replicas':2,'readyReplicas':2}}",
         "['rc',2,2,2,'<unknown>','c','i','app=x']"),
    CASE("batch", "Job",
         "{'metadata':{'name':'pi','creationTimestamp':'2024-05-01T11:50:00Z'},"
         "'spec':{'completions':1,'parallelism':1,'selector':{'matchLabels':"
         "{'batch.kubernetes.io/controller-uid':'abc'}},'template':{'spec':{'containers':"
         "[{'name':'pi','image':'perl:5.34'}]}}},'status':{'succeeded':1,"
         "'startTime':'2024-05-01T11:50:00Z','completionTime':'2024-05-01T11:50:42Z',"
         "'conditions':[{'type':'SuccessCriteriaMet','status':'True'},"
         "{'type':'Complete','status':'True'}]}}",
         "['pi','Complete','1/1','42s','10m','pi','perl:5.34',"
         "'batch.kubernetes.io/controller-uid=abc']"),
    CASE("batch", "Job",
         "{'metadata':{'name':'j'},'spec':{'parallelism':3},"
         "'status':{'startTime':'2024-05-01T11:58:30Z','active':3}}",
         "['j','Running','0/1 of 3','90s','<unknown>','','','<none>']"),
    CASE("batch", "Job",
         "{'metadata':{'name':'j'},'spec':{'suspend':true},"
         "'status':{'conditions':[{'type':'Suspended','status':'True'}]}}",
         "['j','Suspended','0/1','','<unknown>','','','<none>']"),
    CASE("batch", "Job",
         "{'metadata':{'name':'j','deletionTimestamp':'2024-05-01T12:00:00Z'},"
         "'status':{'conditions':[{'type':'Failed','status':'False'}]}}",
         "['j','Terminating','0/1','','<unknown>','','','<none>']"),
    CASE("batch", "CronJob",
         "{'metadata':{'name':'hello','creationTimestamp':'2024-05-01T10:00:00Z'},"
         "'spec':{'schedule':'*/5 * * * *','suspend':false,'jobTemplate':{'spec':{'template':"
         "{'spec':{'containers':[{'name':'hello','image':'busybox'}]}}}}},"
         "'status':{'active':[{'name':'hello-1'}],'lastScheduleTime':'2024-05-01T11:55:00Z'}}",
         "['hello','*/5 * * * *','<none>','False',1,'5m','120m','hello','busybox','<none>']"),
    CASE("batch", "CronJob",
         "{'metadata':{'name':'c'},'spec':{'schedule':'@daily',"
         "'timeZone':'Etc/UTC'}}",
         "['c','@daily','Etc/UTC','<unset>',0,'<none>','<unknown>','','','<none>']"),

    /* ---- services and networking -------------------------------------------- */

    CASE("", "Endpoints",
         "{'metadata':{'name':'nginx-service','creationTimestamp':'2024-05-01T11:59:46Z'},"
         "'subsets':[{'addresses':[{'ip':'10.244.0.5'},{'ip':'10.244.0.6'}],"
         "'notReadyAddresses':[{'ip':'10.244.0.9'}],'ports':[{'name':'web','port':80}]},"
         "{'addresses':[{'ip':'10.244.0.7'},{'ip':'10.244.0.8'}],'ports':[{'port':80}]}]}",
         "['nginx-service','10.244.0.5:80,10.244.0.6:80,10.244.0.7:80 + 1 more...','14s']"),
    CASE("", "Endpoints",
         "{'metadata':{'name':'e'},'subsets':[{'addresses':[{'ip':'fd00::1'}],"
         "'ports':[{'port':80},{'port':443}]},{'addresses':[{'ip':'10.0.0.1'}]}]}",
         "['e','[fd00::1]:80,[fd00::1]:443,10.0.0.1','<unknown>']"),
    CASE("", "Endpoints", "{'metadata':{'name':'e'}}", "['e','<none>','<unknown>']"),
    CASE(
        "discovery.k8s.io", "EndpointSlice",
        "{'metadata':{'name':'nginx-service-abcde'},'addressType':'IPv4',"
        "'ports':[{'name':'web','port':80,'protocol':'TCP'},{'name':'x'},{},{'port':1},{'port':2}],"
        "'endpoints':[{'addresses':['10.244.0.5']},{'addresses':['10.244.0.6','10.244.0.7']}]}",
        "['nginx-service-abcde','IPv4','80,x,* + 2 more...',"
        "'10.244.0.5,10.244.0.6,10.244.0.7','<unknown>']"),
    CASE("discovery.k8s.io", "EndpointSlice", "{'metadata':{'name':'s'},'addressType':'IPv6'}",
         "['s','IPv6','<unset>','<unset>','<unknown>']"),

    /* ---- cluster, config and policy kinds ----------------------------------- */

    CASE("", "Node",
         "{'metadata':{'name':'k1s-node','creationTimestamp':'2024-04-16T12:00:00Z',"
         "'labels':{'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'worker',"
         "'node-role.kubernetes.io/':'x','kubernetes.io/hostname':'k1s-node'}},"
         "'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
         "{'type':'Ready','status':'True'}],'addresses':[{'type':'Hostname','address':'k1s-node'},"
         "{'type':'InternalIP','address':'192.168.1.10'}],'nodeInfo':{'kubeletVersion':'v1.33.0',"
         "'osImage':'Debian GNU/Linux 12 (bookworm)','kernelVersion':'6.1.0-18-amd64',"
         "'containerRuntimeVersion':'containerd://1.7.24'}}}",
         "['k1s-node','Ready','control-plane,worker','15d','v1.33.0','192.168.1.10','<none>',"
         "'Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','containerd://1.7.24']"),
    CASE("", "Node",
         "{'metadata':{'name':'n'},'spec':{'unschedulable':true},"
         "'status':{'conditions':[{'type':'Ready','status':'Unknown'}]}}",
         "['n','NotReady,SchedulingDisabled','<none>','<unknown>','','<none>','<none>',"
         "'<unknown>','<unknown>','<unknown>']"),
    CASE(
        "", "Node", "{'metadata':{'name':'n'}}",
        "['n','Unknown','<none>','<unknown>','','<none>','<none>','<unknown>','<unknown>','<unknown>']"),
    CASE("", "Namespace",
         "{'metadata':{'name':'default','creationTimestamp':'2024-05-01T11:00:00Z'},"
         "'status':{'phase':'Active'}}",
         "['default','Active','60m']"),
    CASE("", "Secret",
         "{'metadata':{'name':'s'},'type':'kubernetes.io/tls',"
         "'data':{'tls.crt':'AA==','tls.key':'AA=='}}",
         "['s','kubernetes.io/tls',2,'<unknown>']"),
    CASE("", "ServiceAccount", "{'metadata':{'name':'default'}}", "['default',0,'<unknown>']"),
    CASE("", "ConfigMap", "{'metadata':{'name':'kube-root-ca.crt'},'data':{'ca.crt':'x'}}",
         "['kube-root-ca.crt',1,'<unknown>']"),
    CASE(
        "coordination.k8s.io", "Lease",
        "{'metadata':{'name':'kube-controller-manager','creationTimestamp':'2024-05-01T09:00:00Z'},"
        "'spec':{'holderIdentity':'k1s_1234','leaseDurationSeconds':15}}",
        "['kube-controller-manager','k1s_1234','3h']"),
    CASE("", "ResourceQuota",
         "{'metadata':{'name':'q'},'status':{'hard':{'pods':'10','limits.cpu':'2',"
         "'requests.memory':'1Gi','limits.memory':'2Gi'},'used':{'pods':'3','limits.cpu':'500m'}}}",
         "['q','pods: 3/10, requests.memory: 0/1Gi','limits.cpu: 500m/2, limits.memory: 0/2Gi',"
         "'<unknown>']"),
    CASE("", "LimitRange",
         "{'metadata':{'name':'lr','creationTimestamp':'2024-05-01T09:00:00Z'},"
         "'spec':{'limits':[{'type':'Container'}]}}",
         "['lr','2024-05-01T09:00:00Z']"),
    CASE("", "PodTemplate",
         "{'metadata':{'name':'pt'},'template':{'metadata':{'labels':{'a':'b'}},"
         "'spec':{'containers':[{'name':'c','image':'i'}]}}}",
         "['pt','c','i','a=b']"),
    CASE(
        "policy", "PodDisruptionBudget",
        "{'metadata':{'name':'pdb'},'spec':{'minAvailable':'50%'},'status':{'disruptionsAllowed':1}}",
        "['pdb','50%','N/A',1,'<unknown>']"),
    /* new-style event in core/v1: eventTime, series, reporting fields */
    CASE(
        "", "Event",
        "{'metadata':{'name':'e'},'involvedObject':{'kind':'Node'},'reason':'R','type':'Warning',"
        "'eventTime':'2024-05-01T11:58:00.123456Z','reportingComponent':'k1s-scheduler',"
        "'reportingInstance':'k1s-1','series':{'count':7,'lastObservedTime':'2024-05-01T11:59:30.000000Z'},"
        "'firstTimestamp':null}",
        "['30s','Warning','R','node','','k1s-scheduler, k1s-1','','119s',7,'e']"),
    /* events.k8s.io/v1 prints the same columns from its own field names */
    CASE(
        "events.k8s.io", "Event",
        "{'metadata':{'name':'e2'},'regarding':{'kind':'StatefulSet','name':'nginx-statefulset'},"
        "'reason':'SuccessfulCreate','note':'create Pod nginx-statefulset-0','type':'Normal',"
        "'eventTime':null,'reportingController':'statefulset-controller',"
        "'deprecatedSource':{'component':'statefulset-controller'},"
        "'deprecatedFirstTimestamp':'2024-05-01T11:59:46Z','deprecatedLastTimestamp':'2024-05-01T11:59:46Z',"
        "'deprecatedCount':1}",
        "['14s','Normal','SuccessfulCreate','statefulset/nginx-statefulset','',"
        "'statefulset-controller','create Pod nginx-statefulset-0','14s',1,'e2']"),
    /* no times at all */
    CASE("events.k8s.io", "Event", "{'metadata':{'name':'e3'}}",
         "['<unknown>','','','','','','','<unknown>',1,'e3']"),
    CASE(
        "networking.k8s.io", "Ingress",
        "{'metadata':{'name':'ing'},'spec':{'ingressClassName':'nginx','tls':[{}],"
        "'rules':[{'host':'a.com'},{},{'host':'b.com'},{'host':'c.com'},{'host':'d.com'}]},"
        "'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.2'},{'ip':'10.0.0.1'}]}}}",
        "['ing','nginx','a.com,b.com,c.com + 2 more...','10.0.0.1,10.0.0.2','80, 443','<unknown>']"),
    CASE("networking.k8s.io", "Ingress", "{'metadata':{'name':'i'}}",
         "['i','<none>','*','','80','<unknown>']"),
    CASE(
        "rbac.authorization.k8s.io", "ClusterRoleBinding",
        "{'metadata':{'name':'crb'},'roleRef':{'kind':'ClusterRole','name':'admin'},"
        "'subjects':[{'kind':'User','name':'alice'},{'kind':'ServiceAccount','name':'sa','namespace':'ns'},"
        "{'kind':'User','name':'bob'},{'kind':'Group','name':'devs'}]}",
        "['crb','ClusterRole/admin','<unknown>','alice, bob','devs','ns/sa']"),
    CASE(
        "certificates.k8s.io", "CertificateSigningRequest",
        "{'metadata':{'name':'csr-1'},'spec':{'signerName':'kubernetes.io/kube-apiserver-client',"
        "'username':'alice','expirationSeconds':86400},'status':{'conditions':[{'type':'Approved',"
        "'status':'True'}],'certificate':'AAAA'}}",
        "['csr-1','<unknown>','kubernetes.io/kube-apiserver-client','alice','24h','Approved,Issued']"),
    CASE(
        "scheduling.k8s.io", "PriorityClass",
        "{'metadata':{'name':'system-node-critical'},'value':2000001000,'preemptionPolicy':'PreemptLowerPriority'}",
        "['system-node-critical',2000001000,false,'<unknown>','PreemptLowerPriority']"),
    CASE("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
         "{'metadata':{'name':'b'},'spec':{'policyName':'p','paramRef':{'name':'cfg'}}}",
         "['b','p','*/cfg','<unknown>']"),
    CASE("apiregistration.k8s.io", "APIService",
         "{'metadata':{'name':'v1.apps'},'spec':{'group':'apps','version':'v1'},"
         "'status':{'conditions':[{'type':'Available','status':'True','reason':'Local'}]}}",
         "['v1.apps','Local','True','<unknown>']"),
    CASE(
        "apiregistration.k8s.io", "APIService",
        "{'metadata':{'name':'v1beta1.metrics.k8s.io'},'spec':{'service':{'namespace':'kube-system',"
        "'name':'metrics-server'}},'status':{'conditions':[{'type':'Available','status':'False',"
        "'reason':'MissingEndpoints'}]}}",
        "['v1beta1.metrics.k8s.io','kube-system/metrics-server','False (MissingEndpoints)','<unknown>']"),
    CASE(
        "autoscaling", "HorizontalPodAutoscaler",
        "{'metadata':{'name':'web'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},"
        "'minReplicas':1,'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'cpu',"
        "'target':{'type':'Utilization','averageUtilization':80}}},{'type':'Pods','pods':{'metric':"
        "{'name':'qps'},'target':{'type':'AverageValue','averageValue':'10'}}},{'type':'Resource',"
        "'resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}}]},"
        "'status':{'currentReplicas':2,'currentMetrics':[{'type':'Resource','resource':{'name':'cpu',"
        "'current':{'averageUtilization':35,'averageValue':'70m'}}}]}}",
        "['web','Deployment/web','cpu: 35%/80%, <unknown>/10 + 1 more...','1',5,2,'<unknown>']"),
    /* matchingPrecedence 0 is defaulted to 1000 (the row order: test_flowschema_order) */
    CASE("flowcontrol.apiserver.k8s.io", "FlowSchema",
         "{'metadata':{'name':'f'},'spec':{'matchingPrecedence':0,"
         "'priorityLevelConfiguration':{'name':'p'},'distinguisherMethod':{}}}",
         "['f','p',1000,'','<unknown>','?']"),
    CASE("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
         "{'metadata':{'name':'workload-low'},'spec':{'type':'Limited','limited':{"
         "'nominalConcurrencyShares':100,'limitResponse':{'type':'Queue','queuing':{'queues':128,"
         "'handSize':6,'queueLengthLimit':50}}}}}",
         "['workload-low','Limited',100,128,6,50,'<unknown>']"),
    CASE("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
         "{'metadata':{'name':'exempt'},'spec':{'type':'Exempt'}}",
         "['exempt','Exempt','<none>','<none>','<none>','<none>','<unknown>']"),
    CASE(
        "storage.k8s.io", "CSIDriver",
        "{'metadata':{'name':'hostpath.csi.k8s.io'},"
        "'spec':{'volumeLifecycleModes':['Persistent','Ephemeral']}}",
        "['hostpath.csi.k8s.io',true,false,false,'<unset>',false,'Persistent,Ephemeral','<unknown>']"),

    /* ---- the remaining kinds ------------------------------------------------- */

    CASE(
        "", "Event",
        "{'metadata':{'name':'nginx-statefulset-0.17c1','namespace':'default'},"
        "'involvedObject':{'kind':'Pod','name':'nginx-statefulset-0','fieldPath':'spec.containers{nginx}'},"
        "'reason':'Pulled','message':'  Container image already present on machine\\n',"
        "'source':{'component':'kubelet','host':'k1s-node'},"
        "'firstTimestamp':'2024-05-01T11:50:00Z','lastTimestamp':'2024-05-01T11:59:50Z',"
        "'count':3,'type':'Normal'}",
        "['10s','Normal','Pulled','pod/nginx-statefulset-0','spec.containers{nginx}',"
        "'kubelet, k1s-node','Container image already present on machine','10m',3,"
        "'nginx-statefulset-0.17c1']"),
    CASE("", "ComponentStatus",
         "{'metadata':{'name':'etcd-0'},'conditions':[{'type':'Healthy','status':'True',"
         "'message':'ok','error':''}]}",
         "['etcd-0','Healthy','ok','']"),
    CASE("", "ComponentStatus",
         "{'metadata':{'name':'s'},'conditions':[{'type':'Other','status':'True','message':'m'},"
         "{'type':'Healthy','status':'False','error':'timeout'}]}",
         "['s','Unhealthy','','timeout']"),
    CASE("", "ComponentStatus", "{'metadata':{'name':'s'}}", "['s','Unknown','','']"),
    CASE("networking.k8s.io", "IngressClass",
         "{'metadata':{'name':'nginx'},'spec':{'controller':'k8s.io/ingress-nginx',"
         "'parameters':{'apiGroup':'k8s.example.com','kind':'IngressParameters','name':'lb'}}}",
         "['nginx','k8s.io/ingress-nginx','IngressParameters.k8s.example.com/lb','<unknown>']"),
    CASE("networking.k8s.io", "IngressClass",
         "{'metadata':{'name':'c'},'spec':{'parameters':{'kind':'K','name':'n'}}}",
         "['c','','K/n','<unknown>']"),
    CASE("networking.k8s.io", "IngressClass", "{'metadata':{'name':'c'}}",
         "['c','','<none>','<unknown>']"),
    /* an empty pod selector selects every pod */
    CASE("networking.k8s.io", "NetworkPolicy",
         "{'metadata':{'name':'deny'},'spec':{'podSelector':{}}}", "['deny','<none>','<unknown>']"),
    CASE("networking.k8s.io", "NetworkPolicy",
         "{'metadata':{'name':'db'},'spec':{'podSelector':{'matchLabels':{'app':'db'}}}}",
         "['db','app=db','<unknown>']"),
    CASE("networking.k8s.io", "ServiceCIDR",
         "{'metadata':{'name':'kubernetes'},'spec':{'cidrs':['10.96.0.0/12','fd00::/108']}}",
         "['kubernetes','10.96.0.0/12,fd00::/108','<unknown>']"),
    CASE("networking.k8s.io", "ServiceCIDR", "{'metadata':{'name':'s'}}", "['s','','<unknown>']"),
    CASE("networking.k8s.io", "IPAddress",
         "{'metadata':{'name':'10.96.0.1'},'spec':{'parentRef':{'group':'','resource':'services',"
         "'namespace':'default','name':'kubernetes'}}}",
         "['10.96.0.1','services/default/kubernetes','<unknown>']"),
    CASE("networking.k8s.io", "IPAddress",
         "{'metadata':{'name':'a'},'spec':{'parentRef':{'group':'Gateway.Example.com',"
         "'resource':'Gateways','name':'gw'}}}",
         "['a','gateways.gateway.example.com/gw','<unknown>']"),
    CASE("networking.k8s.io", "IPAddress", "{'metadata':{'name':'a'}}",
         "['a','<none>','<unknown>']"),
    CASE("rbac.authorization.k8s.io", "RoleBinding",
         "{'metadata':{'name':'rb'},'roleRef':{'kind':'Role','name':'reader'},"
         "'subjects':[{'kind':'ServiceAccount','name':'default','namespace':'ns'},"
         "{'kind':'ServiceAccount','name':'b'}]}",
         "['rb','Role/reader','<unknown>','','','ns/default, /b']"),
    /* kube prints "%s/%s" of a missing roleRef too */
    CASE("rbac.authorization.k8s.io", "RoleBinding", "{'metadata':{'name':'rb'}}",
         "['rb','/','<unknown>','','','']"),
    CASE("certificates.k8s.io", "ClusterTrustBundle",
         "{'metadata':{'name':'b'},'spec':{'signerName':'example.com/s'}}",
         "['b','example.com/s']"),
    CASE("certificates.k8s.io", "ClusterTrustBundle",
         "{'metadata':{'name':'b'},'spec':{'signerName':''}}", "['b','<none>']"),
    CASE("certificates.k8s.io", "CertificateSigningRequest",
         "{'metadata':{'name':'csr'},'status':{'conditions':[{'type':'Approved'},"
         "{'type':'Denied'},{'type':'Failed'}]}}",
         "['csr','<unknown>','<none>','','<none>','Denied,Failed']"),
    CASE("coordination.k8s.io", "LeaseCandidate",
         "{'metadata':{'name':'c'},'spec':{'leaseName':'l','binaryVersion':'1.33.0',"
         "'emulationVersion':'1.32.0'}}",
         "['c','l','1.33.0','1.32.0','<unknown>']"),
    CASE("node.k8s.io", "RuntimeClass", "{'metadata':{'name':'runc'},'handler':'runc'}",
         "['runc','runc','<unknown>']"),
    CASE("admissionregistration.k8s.io", "MutatingWebhookConfiguration",
         "{'metadata':{'name':'w'},'webhooks':[{'name':'a'},{'name':'b'}]}", "['w',2,'<unknown>']"),
    CASE("admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
         "{'metadata':{'name':'w'}}", "['w',0,'<unknown>']"),
    CASE("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
         "{'metadata':{'name':'p'},'spec':{'validations':[{'expression':'true'}],"
         "'paramKind':{'apiVersion':'v1','kind':'ConfigMap'}}}",
         "['p',1,'v1/ConfigMap','<unknown>']"),
    CASE("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "{'metadata':{'name':'p'}}",
         "['p',0,'<unset>','<unknown>']"),
    CASE("admissionregistration.k8s.io", "MutatingAdmissionPolicy",
         "{'metadata':{'name':'m'},'spec':{'mutations':[{},{},{}],'paramKind':{'kind':'K'}}}",
         "['m',3,'/K','<unknown>']"),
    CASE("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding",
         "{'metadata':{'name':'b'},'spec':{'policyName':'p','paramRef':{'selector':{"
         "'matchLabels':{'b':'2','a':'1'},'matchExpressions':[{'key':'k','operator':'In',"
         "'values':['x','y']}]}}}}",
         "['b','p','&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},"
         "MatchExpressions:[]LabelSelectorRequirement{{k In [x y]},},}','<unknown>']"),
    CASE("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding",
         "{'metadata':{'name':'b'},'spec':{'paramRef':{'name':'cfg','namespace':'ns'}}}",
         "['b','','ns/cfg','<unknown>']"),
    CASE("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
         "{'metadata':{'name':'b'},'spec':{'paramRef':{}}}", "['b','','<unset>','<unknown>']"),
    CASE("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
         "{'metadata':{'name':'b'}}", "['b','','<unset>','<unknown>']"),
    CASE("resource.k8s.io", "DeviceClass", "{'metadata':{'name':'gpu'}}", "['gpu','<unknown>']"),
    CASE("resource.k8s.io", "ResourceClaimTemplate", "{'metadata':{'name':'t'}}",
         "['t','<unknown>']"),
    CASE("resource.k8s.io", "ResourceClaim", "{'metadata':{'name':'c'}}",
         "['c','pending','<unknown>']"),
    CASE("resource.k8s.io", "ResourceClaim",
         "{'metadata':{'name':'c'},'status':{'allocation':{},'reservedFor':[{'name':'p'}]}}",
         "['c','allocated,reserved','<unknown>']"),
    CASE("resource.k8s.io", "ResourceClaim",
         "{'metadata':{'name':'c','deletionTimestamp':'2024-05-01T12:00:00Z'},"
         "'status':{'allocation':{}}}",
         "['c','deleted,allocated','<unknown>']"),
    CASE("resource.k8s.io", "ResourceClaim",
         "{'metadata':{'name':'c','deletionTimestamp':'2024-05-01T12:00:00Z'}}",
         "['c','deleted','<unknown>']"),
    CASE("resource.k8s.io", "ResourceSlice",
         "{'metadata':{'name':'s'},'spec':{'nodeName':'n','driver':'d','pool':{'name':'p'}}}",
         "['s','n','d','p','<unknown>']"),
    CASE("storage.k8s.io", "VolumeAttributesClass",
         "{'metadata':{'name':'gold','annotations':"
         "{'volumeattributesclass.alpha.kubernetes.io/is-default-class':'true'}},"
         "'driverName':'csi.example.com'}",
         "['gold (default)','csi.example.com','<unknown>']"),
    CASE("storage.k8s.io", "VolumeAttributesClass", "{'metadata':{'name':'s'}}",
         "['s','','<unknown>']"),
    CASE("storage.k8s.io", "VolumeAttachment",
         "{'metadata':{'name':'va'},'spec':{'attacher':'csi.example.com',"
         "'source':{'persistentVolumeName':'pv1'},'nodeName':'n1'},'status':{'attached':true}}",
         "['va','csi.example.com','pv1','n1',true,'<unknown>']"),
    CASE("storage.k8s.io", "VolumeAttachment", "{'metadata':{'name':'va'}}",
         "['va','','','',false,'<unknown>']"),
    CASE("storage.k8s.io", "CSINode",
         "{'metadata':{'name':'n1'},'spec':{'drivers':[{'name':'a'}]}}", "['n1',1,'<unknown>']"),
    /* tokenRequests: "<unset>" without a list, "" for an empty one */
    CASE("storage.k8s.io", "CSIDriver",
         "{'metadata':{'name':'d'},'spec':{'attachRequired':false,'podInfoOnMount':true,"
         "'storageCapacity':true,'requiresRepublish':true,"
         "'tokenRequests':[{'audience':'a'},{'audience':'b'}]}}",
         "['d',false,true,true,'a,b',true,'<none>','<unknown>']"),
    CASE("storage.k8s.io", "CSIDriver",
         "{'metadata':{'name':'d'},'spec':{'tokenRequests':[],'volumeLifecycleModes':[]}}",
         "['d',true,false,false,'',false,'<none>','<unknown>']"),
    CASE("storage.k8s.io", "CSIStorageCapacity",
         "{'metadata':{'name':'c'},'storageClassName':'fast','capacity':'10Gi'}",
         "['c','fast','10Gi']"),
    CASE("storage.k8s.io", "CSIStorageCapacity", "{'metadata':{'name':'c'}}", "['c','','<unset>']"),
    /* autoscaling/v1 objects carry only the CPU target */
    CASE("autoscaling", "HorizontalPodAutoscaler",
         "{'metadata':{'name':'h'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},"
         "'maxReplicas':3,'targetCPUUtilizationPercentage':50},'status':{'currentReplicas':1}}",
         "['h','Deployment/w','cpu: <unknown>/50%','<unset>',3,1,'<unknown>']"),
    CASE("autoscaling", "HorizontalPodAutoscaler", "{'metadata':{'name':'h'}}",
         "['h','/','<none>','<unset>',0,0,'<unknown>']"),
    CASE("policy", "PodDisruptionBudget", "{'metadata':{'name':'p'},'spec':{'maxUnavailable':1}}",
         "['p','N/A','1',0,'<unknown>']"),
};

/* Every kind with columns has a case above. */
static bool has_case(const char *group, const char *kind)
{
    for (size_t i = 0; i < sizeof cell_cases / sizeof cell_cases[0]; i++)
        if (strcmp(cell_cases[i].group, group) == 0 && strcmp(cell_cases[i].kind, kind) == 0)
            return true;
    return false;
}

typedef struct column_case {
    const char *group, *kind;
    const char *names; /* column names joined with "|", "*" before -o wide ones */
} column_case;

static const column_case column_cases[] = {
    {"storage.k8s.io", "StorageClass",
     "Name|Provisioner|ReclaimPolicy|VolumeBindingMode|AllowVolumeExpansion|Age"},
    {"", "Service", "Name|Type|Cluster-IP|External-IP|Port(s)|Age|*Selector"},
    {"apps", "StatefulSet", "Name|Ready|Age|*Containers|*Images"},
    {"", "PersistentVolume",
     "Name|Capacity|Access Modes|Reclaim Policy|Status|Claim|StorageClass|"
     "VolumeAttributesClass|Reason|Age|*VolumeMode"},
    {"", "PersistentVolumeClaim",
     "Name|Status|Volume|Capacity|Access Modes|StorageClass|VolumeAttributesClass|Age|"
     "*VolumeMode"},
    {"rbac.authorization.k8s.io", "Role", "Name|Created At"},
    {"apps", "Deployment", "Name|Ready|Up-to-date|Available|Age|*Containers|*Images|*Selector"},
    {"apps", "ReplicaSet", "Name|Desired|Current|Ready|Age|*Containers|*Images|*Selector"},
    {"apps", "DaemonSet",
     "Name|Desired|Current|Ready|Up-to-date|Available|Node Selector|Age|*Containers|*Images|"
     "*Selector"},
    {"apps", "ControllerRevision", "Name|Controller|Revision|Age"},
    {"batch", "Job", "Name|Status|Completions|Duration|Age|*Containers|*Images|*Selector"},
    {"batch", "CronJob",
     "Name|Schedule|Timezone|Suspend|Active|Last Schedule|Age|*Containers|*Images|*Selector"},
    {"", "Endpoints", "Name|Endpoints|Age"},
    {"discovery.k8s.io", "EndpointSlice", "Name|AddressType|Ports|Endpoints|Age"},
    {"", "Node",
     "Name|Status|Roles|Age|Version|*Internal-IP|*External-IP|*OS-Image|*Kernel-Version|"
     "*Container-Runtime"},
    {"", "Namespace", "Name|Status|Age"},
    {"", "Secret", "Name|Type|Data|Age"},
    {"", "ServiceAccount", "Name|Secrets|Age"},
    {"", "ConfigMap", "Name|Data|Age"},
    {"coordination.k8s.io", "Lease", "Name|Holder|Age"},
    {"", "PodTemplate", "Name|Containers|Images|Pod Labels"},
    {"", "Event",
     "Last Seen|Type|Reason|Object|*Subobject|*Source|Message|*First Seen|*Count|*Name"},
    {"events.k8s.io", "Event",
     "Last Seen|Type|Reason|Object|*Subobject|*Source|Message|*First Seen|*Count|*Name"},
    {"networking.k8s.io", "Ingress", "Name|Class|Hosts|Address|Ports|Age"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding",
     "Name|Role|Age|*Users|*Groups|*ServiceAccounts"},
    {"certificates.k8s.io", "CertificateSigningRequest",
     "Name|Age|SignerName|Requestor|RequestedDuration|Condition"},
    {"apiregistration.k8s.io", "APIService", "Name|Service|Available|Age"},
    {"autoscaling", "HorizontalPodAutoscaler",
     "Name|Reference|Targets|MinPods|MaxPods|Replicas|Age"},
    {"", "Pod", "Name|Ready|Status|Restarts|Age|*IP|*Node|*Nominated Node|*Readiness Gates"},
    {"networking.k8s.io", "IngressClass", "Name|Controller|Parameters|Age"},
    {"networking.k8s.io", "NetworkPolicy", "Name|Pod-Selector|Age"},
    {"networking.k8s.io", "ServiceCIDR", "Name|CIDRs|Age"},
    {"networking.k8s.io", "IPAddress", "Name|ParentRef|Age"},
    {"rbac.authorization.k8s.io", "RoleBinding", "Name|Role|Age|*Users|*Groups|*ServiceAccounts"},
    {"certificates.k8s.io", "ClusterTrustBundle", "Name|SignerName"},
    {"coordination.k8s.io", "LeaseCandidate", "Name|LeaseName|BinaryVersion|EmulationVersion|Age"},
    {"scheduling.k8s.io", "PriorityClass", "Name|Value|Global-Default|Age|PreemptionPolicy"},
    {"node.k8s.io", "RuntimeClass", "Name|Handler|Age"},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", "Name|Webhooks|Age"},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "Name|Webhooks|Age"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "Name|Validations|ParamKind|Age"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
     "Name|PolicyName|ParamRef|Age"},
    {"admissionregistration.k8s.io", "MutatingAdmissionPolicy", "Name|Mutations|ParamKind|Age"},
    {"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding",
     "Name|PolicyName|ParamRef|Age"},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema",
     "Name|PriorityLevel|MatchingPrecedence|DistinguisherMethod|Age|MissingPL"},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
     "Name|Type|NominalConcurrencyShares|Queues|HandSize|QueueLengthLimit|Age"},
    {"resource.k8s.io", "DeviceClass", "Name|Age"},
    {"resource.k8s.io", "ResourceClaim", "Name|State|Age"},
    {"resource.k8s.io", "ResourceClaimTemplate", "Name|Age"},
    {"resource.k8s.io", "ResourceSlice", "Name|Node|Driver|Pool|Age"},
    {"", "ReplicationController", "Name|Desired|Current|Ready|Age|*Containers|*Images|*Selector"},
    {"", "ComponentStatus", "Name|Status|Message|Error"},
    {"", "ResourceQuota", "Name|Request|Limit|Age"},
    {"", "LimitRange", "Name|Created At"},
    {"storage.k8s.io", "VolumeAttributesClass", "Name|DriverName|Age"},
    {"storage.k8s.io", "VolumeAttachment", "Name|Attacher|PV|Node|Attached|Age"},
    {"storage.k8s.io", "CSINode", "Name|Drivers|Age"},
    {"storage.k8s.io", "CSIDriver",
     "Name|AttachRequired|PodInfoOnMount|StorageCapacity|TokenRequests|RequiresRepublish|Modes|"
     "Age"},
    {"storage.k8s.io", "CSIStorageCapacity", "Name|StorageClassName|Capacity"},
    {"policy", "PodDisruptionBudget", "Name|Min Available|Max Unavailable|Allowed Disruptions|Age"},
};

TEST(test_cells)
{
    for (size_t i = 0; i < sizeof cell_cases / sizeof cell_cases[0]; i++) {
        const cell_case *c = &cell_cases[i];
        json_t *t = table1(c->group, c->kind, c->object);
        const json_t *row = row_of(t, 0);
        char what[160];
        snprintf(what, sizeof what, "cells of the %s case", c->kind);
        check_json(c->line, what, json_object_get(row, "cells"), c->cells);
        snprintf(what, sizeof what, "row conditions of the %s case", c->kind);
        check_json(c->line, what, json_object_get(row, "conditions"), c->conditions);
        json_decref(t);
    }
}

TEST(test_columns)
{
    for (size_t i = 0; i < sizeof column_cases / sizeof column_cases[0]; i++) {
        const column_case *c = &column_cases[i];
        json_t *t = table1(c->group, c->kind, "{}");
        if (strcmp(column_names(t), c->names) != 0) {
            fprintf(stderr, "%s: columns of %s/%s\n  want %s\n  got  %s\n", __FILE__, c->group,
                    c->kind, c->names, column_names(t));
            k1s_test_failures++;
        }
        json_decref(t);
    }
}

/* ---- ages ---------------------------------------------------------------------- */

TEST(test_duration)
{
    static const struct {
        long long seconds;
        const char *text;
    } cases[] = {
        {-5, "<invalid>"},
        {-2, "<invalid>"},
        {-1, "0s"},
        {0, "0s"},
        {4, "4s"},
        {14, "14s"},
        {119, "119s"},
        {120, "2m"},
        {121, "2m1s"},
        {378, "6m18s"},
        {449, "7m29s"},
        {599, "9m59s"},
        {600, "10m"},
        {659, "10m"},
        {1800, "30m"},
        {3 * 3600 - 1, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 5 * 60 + 59, "3h5m"},
        {8 * 3600 - 1, "7h59m"},
        {8 * 3600, "8h"},
        {20 * 3600 + 59 * 60, "20h"},
        {48 * 3600 - 1, "47h"},
        {48 * 3600, "2d"},
        {51 * 3600, "2d3h"},
        {8 * 86400 - 1, "7d23h"},
        {8 * 86400, "8d"},
        {45 * 86400 + 7000, "45d"},
        {729 * 86400, "729d"},
        {730 * 86400, "2y"},
        {760 * 86400, "2y30d"},
        {8 * 365 * 86400 - 1, "7y364d"},
        {8 * 365 * 86400, "8y"},
        {9 * 365 * 86400 + 100 * 86400, "9y"},
        /* Go's Duration saturates at about 292 years. */
        {LLONG_MAX, "292y"},
        {LLONG_MIN, "<invalid>"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        k1s_table_duration(buf, sizeof buf, cases[i].seconds);
        if (strcmp(buf, cases[i].text) != 0) {
            fprintf(stderr, "%s: duration of %llds: \"%s\", want \"%s\"\n", __FILE__,
                    cases[i].seconds, buf, cases[i].text);
            k1s_test_failures++;
        }
    }
    /* truncation to len */
    char small[3];
    k1s_table_duration(small, sizeof small, 378);
    CHECK_STR(small, "6m");
}

/* ---- the cell formats, one by one --------------------------------------------------- */

TEST(test_cell_formats)
{
    static const struct {
        int line;
        k1s__tb_cell cell;
        const char *object, *want;
    } cases[] = {
#define F(cell, object, want) {__LINE__, cell, object, want}
        F(K1S__STR("a.b"), "{'a':{'b':'x'}}", "'x'"),
        F(K1S__STR("a.b"), "{'a':{'b':5}}", "''"),
        F(K1S__STR("a"), "{'a':null}", "''"),
        F(K1S__STR_OR("a", "d"), "{}", "'d'"),
        F(K1S__STR_OR("a", "d"), "{'a':''}", "''"),
        F(K1S__NONEMPTY_OR("a", "d"), "{'a':''}", "'d'"),
        F(K1S__NONEMPTY_OR("a", "d"), "{'a':'x'}", "'x'"),
        F(K1S__INT("a", 1), "{}", "1"),
        F(K1S__INT("a", 1), "{'a':0}", "0"),
        F(K1S__INT("a", 1), "{'a':'3'}", "1"),
        F(K1S__BOOL("a", 1), "{}", "true"),
        F(K1S__BOOL("a", 1), "{'a':false}", "false"),
        F(K1S__COUNT("a"), "{'a':[1,2,3]}", "3"),
        F(K1S__COUNT("a"), "{'a':{'x':1}}", "1"),
        F(K1S__COUNT("a"), "{'a':'xy'}", "0"),
        F(K1S__AGE("t"), "{'t':'2024-05-01T11:59:00Z'}", "'60s'"),
        F(K1S__AGE("t"), "{}", "'<unknown>'"),
        F(K1S__AGE_OR("t", "<none>"), "{}", "'<none>'"),
        F(K1S__AGE_OR("t", "<none>"), "{'t':'soon'}", "'<unknown>'"),
        F(K1S__AGE_OR("t", "<none>"), "{'t':'0001-01-01T00:00:00Z'}", "'<unknown>'"),
        F(K1S__LABELS("m"), "{'m':{'b':'1','a':'2'}}", "'a=2,b=1'"),
        F(K1S__LABELS("m"), "{'m':{}}", "'<none>'"),
        F(K1S__SELECTOR("s"), "{'s':{'matchLabels':{'a':'1'}}}", "'a=1'"),
        F(K1S__SELECTOR("s"), "{}", "'<none>'"),
        F(K1S__LIST("l", NULL, NULL), "{'l':['a',7,'b']}", "'a,,b'"),
        F(K1S__LIST("l", "n", NULL), "{'l':[{'n':'a'},{},{'n':'c'}]}", "'a,,c'"),
        F(K1S__LIST("l", NULL, "<none>"), "{'l':[]}", "'<none>'"),
        F(K1S__LIST("l", NULL, "<none>"), "{'l':['']}", "'<none>'"),
        F(K1S__LIST("l", NULL, "<none>"), "{'l':'a'}", "'<none>'"),
        F(K1S__QUANTITY("q", "0"), "{'q':'1Gi'}", "'1Gi'"),
        F(K1S__QUANTITY("q", "0"), "{'q':1.5}", "'1.5'"),
        F(K1S__QUANTITY("q", "<unset>"), "{'q':true}", "'<unset>'"),
        F(K1S__PAIR("r", "namespace/name", NULL), "{'r':{'namespace':'n','name':'x'}}", "'n/x'"),
        F(K1S__PAIR("r", "namespace/name", NULL), "{}", "'/'"),
        F(K1S__PAIR("r", "namespace/name", "Local"), "{'r':'s'}", "'Local'"),
        F(K1S__PAIR("r", "namespace/name", "Local"), "{'r':{'name':7}}", "'/'"),
#undef F
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *o = fx_json(cases[i].object);
        json_t *got = k1s__tb_cell_render(&cases[i].cell, o, NOW);
        check_json(cases[i].line, "cell", got, cases[i].want);
        json_decref(got);
        json_decref(o);
    }
}

/* ---- lists of rows ------------------------------------------------------------------ */

/* A running, ready pod of the scenario, created secs before NOW. */
static char *scenario_pod(int ordinal, int secs)
{
    static char buf[2048];
    snprintf(
        buf, sizeof buf,
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

#define CHECK_CELLS(table, row, expected) \
    check_json(__LINE__, "cells", json_object_get(row_of(table, row), "cells"), expected)

TEST(test_pod_rows)
{
    json_t *items = json_array();
    json_array_append_new(items, fx_json(scenario_pod(0, 4)));
    json_array_append_new(items, fx_json(scenario_pod(1, 3)));
    json_array_append_new(items, fx_json(scenario_pod(2, 2)));
    json_t *t = k1s_table_build("", "Pod", items, "None", NOW);
    CHECK_CELLS(
        t, 0,
        "['nginx-statefulset-0','1/1','Running','0','4s','10.244.0.5','k1s-node','<none>','<none>']");
    CHECK_CELLS(
        t, 1,
        "['nginx-statefulset-1','1/1','Running','0','3s','10.244.0.6','k1s-node','<none>','<none>']");
    CHECK_CELLS(
        t, 2,
        "['nginx-statefulset-2','1/1','Running','0','2s','10.244.0.7','k1s-node','<none>','<none>']");
    /* running pods carry no row conditions */
    CHECK(json_object_get(row_of(t, 0), "conditions") == NULL);
    json_decref(t);
    json_decref(items);
}

TEST(test_flowschema_order)
{
    /* flow schemas are listed in matching order */
    json_t *items = fx_json(
        "[{'metadata':{'name':'global-default'},'spec':{'matchingPrecedence':9900,"
        "'priorityLevelConfiguration':{'name':'global-default'},'distinguisherMethod':{'type':'ByUser'}}},"
        "{'metadata':{'name':'exempt'},'spec':{'matchingPrecedence':1,"
        "'priorityLevelConfiguration':{'name':'exempt'}},'status':{'conditions':"
        "[{'type':'Dangling','status':'False'}]}},"
        "{'metadata':{'name':'b'},'spec':{'priorityLevelConfiguration':{'name':'x'}}},"
        "{'metadata':{'name':'a'},'spec':{'matchingPrecedence':1000,'priorityLevelConfiguration':{'name':'x'}}}]");
    json_t *t = k1s_table_build("flowcontrol.apiserver.k8s.io", "FlowSchema", items, NULL, NOW);
    CHECK_CELLS(t, 0, "['exempt','exempt',1,'<none>','<unknown>','False']");
    CHECK_CELLS(t, 1, "['a','x',1000,'<none>','<unknown>','?']");
    CHECK_CELLS(t, 2, "['b','x',1000,'<none>','<unknown>','?']");
    CHECK_CELLS(t, 3, "['global-default','global-default',9900,'ByUser','<unknown>','?']");
    json_decref(t);
    json_decref(items);
}

/* ---- includeObject, the table's shape, the default table ------------------------- */

TEST(test_include_object)
{
    json_t *items =
        fx_json("[{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'a','namespace':'ns',"
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
    json_t *t = table1("", "ConfigMap",
                       "{'metadata':{'name':'a'},'data':{'x':'1'},'binaryData':{'y':'AA=='}}");
    CHECK_STR(json_string_value(json_object_get(t, "kind")), "Table");
    CHECK_STR(json_string_value(json_object_get(t, "apiVersion")), "meta.k8s.io/v1");
    CHECK(json_is_object(json_object_get(t, "metadata")));
    CHECK_INT(json_object_size(json_object_get(t, "metadata")), 0);
    CHECK_CELLS(t, 0, "['a',2,'<unknown>']");
    /* the column definition as kube encodes it: every field, in order */
    char *col =
        json_dumps(json_array_get(json_object_get(t, "columnDefinitions"), 0), JSON_COMPACT);
    CHECK(starts_with(
        col, "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":"));
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

    /* Created At: a date, no format (its cells: the cases above) */
    json_t *t = table1("rbac.authorization.k8s.io", "Role", "{}");
    const json_t *c1 = json_array_get(json_object_get(t, "columnDefinitions"), 1);
    CHECK_STR(json_string_value(json_object_get(c1, "type")), "date");
    CHECK_STR(json_string_value(json_object_get(c1, "format")), "");
    json_decref(t);

    /* kube's default convertor encodes an empty list's rows as null */
    json_t *empty = json_array();
    t = k1s_table_build("example.com", "Widget", empty, NULL, NOW);
    CHECK(json_is_null(json_object_get(t, "rows")));
    json_decref(t);
    json_decref(empty);
}

TEST(test_name_formats)
{
    /* Event lists its name last, wide only, still with the name format */
    json_t *t = table1("", "Event", "{}");
    const json_t *name_col = json_array_get(json_object_get(t, "columnDefinitions"), 9);
    CHECK_STR(json_string_value(json_object_get(name_col, "name")), "Name");
    CHECK_STR(json_string_value(json_object_get(name_col, "format")), "name");
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

TEST(test_every_kind_has_cases)
{
    size_t n;
    const k1s__tb_kind_table *const *kinds = all_kinds(&n);
    for (size_t k = 0; k < n; k++) {
        bool named = false;
        for (size_t i = 0; i < sizeof column_cases / sizeof column_cases[0]; i++)
            named |= strcmp(column_cases[i].group, kinds[k]->group) == 0 &&
                     strcmp(column_cases[i].kind, kinds[k]->kind) == 0;
        if (!has_case(kinds[k]->group, kinds[k]->kind) || !named) {
            fprintf(stderr, "%s: %s/%s has no cell case or no column case\n", __FILE__,
                    kinds[k]->group, kinds[k]->kind);
            k1s_test_failures++;
        }
    }
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
            json_t *items = fx_json(odd[o]);
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

K1S_TEST_MAIN(T(test_cells), T(test_columns), T(test_every_kind_has_cases), T(test_duration),
              T(test_cell_formats), T(test_pod_rows), T(test_flowschema_order),
              T(test_include_object), T(test_table_shape), T(test_default_table),
              T(test_name_formats), T(test_every_kind_odd_objects), T(test_huge_cells_are_bounded))
