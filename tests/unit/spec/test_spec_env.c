/*
 * test_spec_env.c - k1s_spec_envs: literal values and $(VAR) expansion,
 * every fieldRef, resourceFieldRef with divisors and node defaults,
 * configMap/secret key references and envFrom (prefix, invalid keys,
 * optional, missing) with kubelet's error texts.
 */
#include "k1s_test.h"
#include "test_spec_fixture.h"

#include <unistd.h>

static json_t *pod_with(const char *container)
{
    json_t *pod =
        fx_json("{'metadata':{'name':'web-0','namespace':'ns1','uid':'u-1',"
                "'labels':{'app':'web','tier':'fe'},'annotations':{'a':'x\\ny'}},"
                "'spec':{'nodeName':'node1','serviceAccountName':'sa1','containers':[]},"
                "'status':{'podIP':'10.244.0.5','podIPs':[{'ip':'10.244.0.5'},{'ip':'fd00::5'}],"
                "'hostIP':'192.168.1.2','hostIPs':[{'ip':'192.168.1.2'}]}}");
    json_array_append_new(json_object_get(json_object_get(pod, "spec"), "containers"),
                          fx_json(container));
    return pod;
}

static const json_t *first_container(const json_t *pod)
{
    return json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
}

/* Run k1s_spec_envs on the pod's first container; NULL on error (*e). */
static json_t *envs_of(const json_t *pod, fake_cache *fc, k1s_spec_error *e)
{
    k1s_spec_lookup lk = {fc, fake_get};
    json_t *envs = (json_t *)1;
    memset(e, 0, sizeof *e);
    int rc = k1s_spec_envs(pod, first_container(pod), fc ? &lk : NULL, &envs, e);
    if (rc < 0)
        CHECK(envs == NULL);
    return rc < 0 ? NULL : envs;
}

TEST(values_and_expansion)
{
    json_t *pod = pod_with("{'name':'c','env':["
                           "{'name':'A','value':'alpha'},"
                           "{'name':'B','value':'$(A)-b'},"
                           "{'name':'C','value':'$(LATER) $(NOPE)'},"
                           "{'name':'D','value':'$$(A) $$ $x $( $'},"
                           "{'name':'E','value':'$(A)$(B)'},"
                           "{'name':'EMPTY'},"
                           "{'name':'LATER','value':'late'},"
                           "{'name':'A','value':'again $(A)'}]}");
    k1s_spec_error e;
    json_t *envs = envs_of(pod, NULL, &e);
    CHECK(envs != NULL);
    CHECK_STR(env_get(envs, "B"), "alpha-b");
    /* only what is defined before is expanded; unknown stays as written */
    CHECK_STR(env_get(envs, "C"), "$(LATER) $(NOPE)");
    CHECK_STR(env_get(envs, "D"), "$(A) $ $x $( $");
    CHECK_STR(env_get(envs, "E"), "alphaalpha-b");
    CHECK_STR(env_get(envs, "EMPTY"), "");
    /* a redefinition replaces the value, seeing the earlier one */
    CHECK_STR(env_get(envs, "A"), "again alpha");
    CHECK_INT(json_array_size(envs), 7);
    CHECK_STR(json_string_value(json_object_get(json_array_get(envs, 0), "key")), "A");
    json_decref(envs);
    json_decref(pod);
}

TEST(field_refs)
{
    json_t *pod = pod_with(
        "{'name':'c','env':["
        "{'name':'N','valueFrom':{'fieldRef':{'apiVersion':'v1','fieldPath':'metadata.name'}}},"
        "{'name':'NS','valueFrom':{'fieldRef':{'fieldPath':'metadata.namespace'}}},"
        "{'name':'UID','valueFrom':{'fieldRef':{'fieldPath':'metadata.uid'}}},"
        "{'name':'APP','valueFrom':{'fieldRef':{'fieldPath':'metadata.labels[`app`]'}}},"
        "{'name':'NOLABEL','valueFrom':{'fieldRef':{'fieldPath':'metadata.labels[`x`]'}}},"
        "{'name':'ANN','valueFrom':{'fieldRef':{'fieldPath':'metadata.annotations[`a`]'}}},"
        "{'name':'NODE','valueFrom':{'fieldRef':{'fieldPath':'spec.nodeName'}}},"
        "{'name':'SA','valueFrom':{'fieldRef':{'fieldPath':'spec.serviceAccountName'}}},"
        "{'name':'PIP','valueFrom':{'fieldRef':{'fieldPath':'status.podIP'}}},"
        "{'name':'PIPS','valueFrom':{'fieldRef':{'fieldPath':'status.podIPs'}}},"
        "{'name':'HIP','valueFrom':{'fieldRef':{'fieldPath':'status.hostIP'}}},"
        "{'name':'HIPS','valueFrom':{'fieldRef':{'fieldPath':'status.hostIPs'}}},"
        "{'name':'X','value':'$(N).$(NS)'}]}");
    k1s_spec_error e;
    json_t *envs = envs_of(pod, NULL, &e);
    CHECK(envs != NULL);
    CHECK_STR(env_get(envs, "N"), "web-0");
    CHECK_STR(env_get(envs, "NS"), "ns1");
    CHECK_STR(env_get(envs, "UID"), "u-1");
    CHECK_STR(env_get(envs, "APP"), "web");
    CHECK_STR(env_get(envs, "NOLABEL"), "");
    CHECK_STR(env_get(envs, "ANN"), "x\ny");
    CHECK_STR(env_get(envs, "NODE"), "node1");
    CHECK_STR(env_get(envs, "SA"), "sa1");
    CHECK_STR(env_get(envs, "PIP"), "10.244.0.5");
    CHECK_STR(env_get(envs, "PIPS"), "10.244.0.5,fd00::5");
    CHECK_STR(env_get(envs, "HIP"), "192.168.1.2");
    CHECK_STR(env_get(envs, "HIPS"), "192.168.1.2");
    /* valueFrom values are not expanded, but can be referred to */
    CHECK_STR(env_get(envs, "X"), "web-0.ns1");
    json_decref(envs);
    json_decref(pod);
}

TEST(field_ref_errors_and_node_ip)
{
    json_t *pod = pod_with("{'name':'c','env':[{'name':'P','valueFrom':"
                           "{'fieldRef':{'fieldPath':'status.phase'}}}]}");
    k1s_spec_error e;
    CHECK(envs_of(pod, NULL, &e) == NULL);
    CHECK_STR(e.reason, "CreateContainerConfigError");
    CHECK_STR(e.message, "unsupported fieldPath: status.phase");
    json_decref(pod);

    pod = pod_with("{'name':'c','env':[{'name':'P','valueFrom':"
                   "{'fieldRef':{'apiVersion':'v2','fieldPath':'metadata.name'}}}]}");
    CHECK(envs_of(pod, NULL, &e) == NULL);
    CHECK_STR(e.message, "unsupported pod version: v2");
    json_decref(pod);

    /* no hostIP in the pod's status yet: the Node's InternalIP */
    pod = pod_with("{'name':'c','env':[{'name':'H','valueFrom':"
                   "{'fieldRef':{'fieldPath':'status.hostIP'}}}]}");
    json_object_del(json_object_get(pod, "status"), "hostIP");
    json_object_del(json_object_get(pod, "status"), "hostIPs");
    fake_cache fc = {json_object()};
    fake_put(&fc, "Node", "", "node1",
             fx_json("{'status':{'addresses':[{'type':'Hostname','address':'n'},"
                     "{'type':'InternalIP','address':'10.0.0.9'}]}}"));
    json_t *envs = envs_of(pod, &fc, &e);
    CHECK_STR(env_get(envs, "H"), "10.0.0.9");
    json_decref(envs);
    json_decref(pod);
    json_decref(fc.objs);
}

TEST(resource_field_refs)
{
    json_t *pod = pod_with(
        "{'name':'c','resources':{'limits':{'cpu':'500m','memory':'64Mi'},"
        "'requests':{'cpu':'250m','memory':'32Mi'}},'env':["
        "{'name':'LC','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu'}}},"
        "{'name':'LCM','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu','divisor':'1m'}}},"
        "{'name':'LM','valueFrom':{'resourceFieldRef':{'resource':'limits.memory','divisor':'1Mi'}}},"
        "{'name':'LMB','valueFrom':{'resourceFieldRef':{'resource':'limits.memory'}}},"
        "{'name':'RC','valueFrom':{'resourceFieldRef':{'resource':'requests.cpu','divisor':'1m'}}},"
        "{'name':'RM','valueFrom':{'resourceFieldRef':{'resource':'requests.memory','divisor':'1M'}}},"
        "{'name':'RE','valueFrom':{'resourceFieldRef':{'resource':'requests.ephemeral-storage'}}}]}");
    k1s_spec_error e;
    json_t *envs = envs_of(pod, NULL, &e);
    CHECK(envs != NULL);
    CHECK_STR(env_get(envs, "LC"), "1"); /* ceil(0.5) */
    CHECK_STR(env_get(envs, "LCM"), "500");
    CHECK_STR(env_get(envs, "LM"), "64");
    CHECK_STR(env_get(envs, "LMB"), "67108864");
    CHECK_STR(env_get(envs, "RC"), "250");
    CHECK_STR(env_get(envs, "RM"), "34"); /* ceil(33554432 / 1e6) */
    CHECK_STR(env_get(envs, "RE"), "0");
    json_decref(envs);
    json_decref(pod);

    /* no limits: the node's allocatable, from the Node or the host */
    pod = pod_with(
        "{'name':'c','env':["
        "{'name':'LC','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu'}}},"
        "{'name':'LM','valueFrom':{'resourceFieldRef':{'resource':'limits.memory','divisor':'1Ki'}}}]}");
    fake_cache fc = {json_object()};
    fake_put(&fc, "Node", "", "node1",
             fx_json("{'status':{'allocatable':{'cpu':'4','memory':'8Gi'}}}"));
    envs = envs_of(pod, &fc, &e);
    CHECK_STR(env_get(envs, "LC"), "4");
    CHECK_STR(env_get(envs, "LM"), "8388608");
    json_decref(envs);
    envs = envs_of(pod, NULL, &e);
    char cpus[32];
    snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_STR(env_get(envs, "LC"), cpus);
    CHECK(atoll(env_get(envs, "LM") ? env_get(envs, "LM") : "0") > 1024);
    json_decref(envs);
    json_decref(pod);
    json_decref(fc.objs);

    pod = pod_with("{'name':'c','env':[{'name':'X','valueFrom':"
                   "{'resourceFieldRef':{'resource':'limits.gpu'}}}]}");
    CHECK(envs_of(pod, NULL, &e) == NULL);
    CHECK_STR(e.message, "unsupported container resource : limits.gpu");
    json_decref(pod);
}

static void put_objects(fake_cache *fc)
{
    fake_put(fc, "ConfigMap", "ns1", "cfg",
             fx_json("{'data':{'mode':'prod','LEVEL':'3','bad=key':'no','':'empty'}}"));
    /* "s3cr3t" and "admin" */
    fake_put(fc, "Secret", "ns1", "sec",
             fx_json("{'data':{'password':'czNjcjN0','user':'YWRtaW4=','blank':''}}"));
}

TEST(key_refs)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    json_t *pod = pod_with(
        "{'name':'c','env':["
        "{'name':'MODE','valueFrom':{'configMapKeyRef':{'name':'cfg','key':'mode'}}},"
        "{'name':'PW','valueFrom':{'secretKeyRef':{'name':'sec','key':'password'}}},"
        "{'name':'O1','valueFrom':{'configMapKeyRef':{'name':'none','key':'k','optional':true}}},"
        "{'name':'O2','valueFrom':{'configMapKeyRef':{'name':'cfg','key':'k','optional':true}}},"
        "{'name':'O3','valueFrom':{'secretKeyRef':{'name':'none','key':'k','optional':true}}},"
        "{'name':'URL','value':'$(MODE)://$(PW)'},"
        "{'name':'BLANK','valueFrom':{'secretKeyRef':{'name':'sec','key':'blank'}}}]}");
    k1s_spec_error e;
    json_t *envs = envs_of(pod, &fc, &e);
    CHECK(envs != NULL);
    CHECK_STR(env_get(envs, "MODE"), "prod");
    CHECK_STR(env_get(envs, "PW"), "s3cr3t");
    CHECK(env_get(envs, "O1") == NULL);
    CHECK(env_get(envs, "O2") == NULL);
    CHECK(env_get(envs, "O3") == NULL);
    CHECK_STR(env_get(envs, "URL"), "prod://s3cr3t");
    CHECK_STR(env_get(envs, "BLANK"), "");
    json_decref(envs);
    json_decref(pod);

    static const struct {
        const char *ref, *msg;
    } bad[] = {
        {"{'configMapKeyRef':{'name':'nope','key':'k'}}", "configmap \"nope\" not found"},
        {"{'configMapKeyRef':{'name':'cfg','key':'k'}}",
         "couldn't find key k in ConfigMap ns1/cfg"},
        {"{'secretKeyRef':{'name':'nope','key':'k'}}", "secret \"nope\" not found"},
        {"{'secretKeyRef':{'name':'sec','key':'k'}}", "couldn't find key k in Secret ns1/sec"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char c[256];
        snprintf(c, sizeof c, "{'name':'c','env':[{'name':'V','valueFrom':%s}]}", bad[i].ref);
        pod = pod_with(c);
        CHECK(envs_of(pod, &fc, &e) == NULL);
        CHECK_STR(e.reason, "CreateContainerConfigError");
        CHECK_STR(e.message, bad[i].msg);
        json_decref(pod);
    }
    /* without any lookup every reference is missing */
    pod = pod_with("{'name':'c','env':[{'name':'V','valueFrom':"
                   "{'configMapKeyRef':{'name':'cfg','key':'mode'}}}]}");
    CHECK(envs_of(pod, NULL, &e) == NULL);
    CHECK_STR(e.message, "configmap \"cfg\" not found");
    json_decref(pod);
    json_decref(fc.objs);
}

TEST(env_from)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    json_t *pod = pod_with("{'name':'c','envFrom':["
                           "{'configMapRef':{'name':'cfg'},'prefix':'CFG_'},"
                           "{'secretRef':{'name':'sec'}},"
                           "{'configMapRef':{'name':'gone','optional':true}}],"
                           "'env':[{'name':'user','value':'override $(CFG_mode)'}]}");
    k1s_spec_error e;
    json_t *envs = envs_of(pod, &fc, &e);
    CHECK(envs != NULL);
    CHECK_STR(env_get(envs, "CFG_mode"), "prod");
    CHECK_STR(env_get(envs, "CFG_LEVEL"), "3");
    CHECK_STR(env_get(envs, "password"), "s3cr3t");
    /* env overrides envFrom, in envFrom's place */
    CHECK_STR(env_get(envs, "user"), "override prod");
    /* names the API would refuse are skipped; "" with a prefix is fine */
    CHECK(env_get(envs, "CFG_bad=key") == NULL);
    CHECK_STR(env_get(envs, "CFG_"), "empty");
    CHECK_STR(env_get(envs, "blank"), "");
    CHECK_INT(json_array_size(envs), 6);
    json_decref(envs);
    json_decref(pod);

    pod = pod_with("{'name':'c','envFrom':[{'configMapRef':{'name':'cfg'}}]}");
    envs = envs_of(pod, &fc, &e);
    CHECK(envs != NULL);
    CHECK(env_get(envs, "") == NULL); /* no prefix: "" is invalid */
    CHECK_INT(json_array_size(envs), 2);
    json_decref(envs);
    json_decref(pod);

    pod = pod_with("{'name':'c','envFrom':[{'secretRef':{'name':'missing'}}]}");
    CHECK(envs_of(pod, &fc, &e) == NULL);
    CHECK_STR(e.message, "secret \"missing\" not found");
    json_decref(pod);
    json_decref(fc.objs);
}

K1S_TEST_MAIN(T(values_and_expansion), T(field_refs), T(field_ref_errors_and_node_ip),
              T(resource_field_refs), T(key_refs), T(env_from))
