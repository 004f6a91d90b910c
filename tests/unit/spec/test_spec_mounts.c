/*
 * test_spec_mounts.c - k1s_spec_mounts(_env): read-only rules, subPath
 * creation inside the volume and every way out of it refused ("..",
 * absolute, symlinks), subPathExpr from the environment, propagation,
 * missing volumes; and the managed /etc/hosts.
 */
#include "k1s_test.h"
#include "test_spec_fixture.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[PATH_MAX];
static char pod_dir[PATH_MAX + 32];

static json_t *make_pod(const char *mounts)
{
    char s[4096];
    snprintf(
        s, sizeof s,
        "{'metadata':{'name':'web-0','namespace':'ns1','uid':'u1'},"
        "'spec':{'containers':[{'name':'c','env':["
        "{'name':'POD','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}},"
        "{'name':'EMPTY','value':''},{'name':'CM','valueFrom':{'configMapKeyRef':{'name':'cfg','key':'k'}}}],"
        "'volumeMounts':%s}],"
        "'volumes':[{'name':'data','emptyDir':{}},{'name':'cfg','configMap':{'name':'cfg'}},"
        "{'name':'claim','persistentVolumeClaim':{'claimName':'www','readOnly':true}}]}}",
        mounts);
    return fx_json(s);
}

static const json_t *ctr(const json_t *pod)
{
    return json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
}

static fake_cache cache;
static json_t *paths; /* the volumes of make_pod, made once */

/* Mounts of the pod's container with paths; NULL with *e on error. */
static json_t *mounts_of(const json_t *pod, bool with_env, k1s_spec_error *e)
{
    memset(e, 0, sizeof *e);
    json_t *m = NULL, *envs = NULL;
    k1s_spec_lookup lk = {&cache, fake_get};
    int rc;
    if (with_env) {
        CHECK_INT(k1s_spec_envs(pod, ctr(pod), &lk, &envs, e), 0);
        rc = k1s_spec_mounts_env(pod, ctr(pod), paths, envs, &m, e);
    } else {
        rc = k1s_spec_mounts(pod, ctr(pod), paths, &m, e);
    }
    json_decref(envs);
    if (rc < 0)
        CHECK(m == NULL);
    return m;
}

static const char *mstr(const json_t *mounts, size_t i, const char *k)
{
    return json_string_value(json_object_get(json_array_get(mounts, i), k));
}
static bool mro(const json_t *mounts, size_t i)
{
    return json_is_true(json_object_get(json_array_get(mounts, i), "readonly"));
}

static const char *vol(const char *name)
{
    return json_string_value(json_object_get(paths, name));
}

TEST(plain_mounts)
{
    json_t *pod =
        make_pod("[{'name':'data','mountPath':'/data'},"
                 "{'name':'data','mountPath':'/ro','readOnly':true},"
                 "{'name':'cfg','mountPath':'/etc/cfg'},"
                 "{'name':'claim','mountPath':'/www','mountPropagation':'HostToContainer'}]");
    k1s_spec_error e;
    json_t *m = mounts_of(pod, false, &e);
    CHECK_INT(json_array_size(m), 4);
    CHECK_STR(mstr(m, 0, "container_path"), "/data");
    CHECK_STR(mstr(m, 0, "host_path"), vol("data"));
    CHECK(!mro(m, 0));
    CHECK(json_object_get(json_array_get(m, 0), "propagation") == NULL);
    CHECK(mro(m, 1));
    CHECK(mro(m, 2)); /* configMap: always */
    CHECK(mro(m, 3)); /* the claim says readOnly */
    CHECK_STR(mstr(m, 3, "propagation"), "PROPAGATION_HOST_TO_CONTAINER");
    json_decref(m);
    json_decref(pod);

    pod = make_pod("[{'name':'nope','mountPath':'/x'}]");
    CHECK(mounts_of(pod, false, &e) == NULL);
    CHECK_STR(e.reason, "CreateContainerConfigError");
    CHECK_STR(e.message, "cannot find volume \"nope\" to mount into container \"c\"");
    json_decref(pod);
    pod = make_pod("[{'name':'data','mountPath':'/x','mountPropagation':'Sideways'}]");
    CHECK(mounts_of(pod, false, &e) == NULL);
    CHECK_STR(e.message, "invalid MountPropagation mode: \"Sideways\"");
    json_decref(pod);
}

TEST(sub_paths)
{
    json_t *pod = make_pod("[{'name':'data','mountPath':'/a','subPath':'html/site'},"
                           "{'name':'data','mountPath':'/b','subPath':'./html//site/'},"
                           "{'name':'cfg','mountPath':'/etc/app.conf','subPath':'app.conf'}]");
    k1s_spec_error e;
    json_t *m = mounts_of(pod, false, &e);
    CHECK_INT(json_array_size(m), 3);
    char want[PATH_MAX * 2], real[PATH_MAX];
    snprintf(want, sizeof want, "%s/html/site", realpath(vol("data"), real) ? real : "?");
    CHECK_STR(mstr(m, 0, "host_path"), want);
    CHECK_STR(mstr(m, 1, "host_path"), want);
    struct stat st;
    CHECK(stat(want, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0777); /* the volume's mode */
    /* a configMap key resolves to the file of the current version */
    const char *f = mstr(m, 2, "host_path");
    CHECK(f && strstr(f, "/..") && strstr(f, "/app.conf"));
    CHECK(f && stat(f, &st) == 0 && S_ISREG(st.st_mode));
    json_decref(m);
    json_decref(pod);
}

TEST(sub_path_escapes)
{
    char link[PATH_MAX * 2];
    snprintf(link, sizeof link, "%s/out", vol("data"));
    CHECK_INT(symlink(tmp, link), 0); /* points outside the volume */
    static const struct {
        const char *sub, *msg;
    } bad[] = {
        {"../x", "unable to provision SubPath `../x`: must not contain '..'"},
        {"a/../../x", "unable to provision SubPath `a/../../x`: must not contain '..'"},
        {"/etc", "error SubPath `/etc` must not be an absolute path"},
        {"out", "failed to prepare subPath for volumeMount \"data\" of container \"c\""},
        {"out/made",
         "failed to create subPath directory for volumeMount \"data\" of container \"c\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char mounts[256];
        snprintf(mounts, sizeof mounts, "[{'name':'data','mountPath':'/x','subPath':'%s'}]",
                 bad[i].sub);
        json_t *pod = make_pod(mounts);
        k1s_spec_error e;
        CHECK(mounts_of(pod, false, &e) == NULL);
        CHECK_STR(e.message, bad[i].msg);
        json_decref(pod);
    }
    char made[PATH_MAX + 16];
    snprintf(made, sizeof made, "%s/made", tmp);
    CHECK(access(made, F_OK) != 0);
    /* a link that stays inside is fine */
    snprintf(link, sizeof link, "%s/in", vol("data"));
    CHECK_INT(symlink("html", link), 0);
    json_t *pod = make_pod("[{'name':'data','mountPath':'/x','subPath':'in/deeper'}]");
    k1s_spec_error e;
    json_t *m = mounts_of(pod, false, &e);
    CHECK(m != NULL);
    CHECK(strstr(mstr(m, 0, "host_path") ? mstr(m, 0, "host_path") : "", "/html/deeper") != NULL);
    json_decref(m);
    json_decref(pod);
}

TEST(sub_path_expr)
{
    json_t *pod = make_pod("[{'name':'data','mountPath':'/logs','subPathExpr':'logs/$(POD)'}]");
    k1s_spec_error e;
    json_t *m = mounts_of(pod, true, &e);
    CHECK(m && strstr(mstr(m, 0, "host_path"), "/logs/web-0"));
    json_decref(m);
    json_decref(pod);

    pod = make_pod("[{'name':'data','mountPath':'/logs','subPathExpr':'$(NOPE)/$(EMPTY)/$(A)'}]");
    CHECK(mounts_of(pod, true, &e) == NULL);
    CHECK_STR(e.message, "missing value for A, EMPTY, NOPE");
    json_decref(pod);
    pod = make_pod("[{'name':'data','mountPath':'/logs','subPathExpr':'$(CM)/../$(POD)'}]");
    CHECK(mounts_of(pod, true, &e) == NULL);
    CHECK_STR(e.message, "unable to provision SubPath `v/../web-0`: must not contain '..'");
    json_decref(pod);
    /* without the environment given, the configMap value is not known,
     * but the other variables are */
    pod = make_pod("[{'name':'data','mountPath':'/logs','subPathExpr':'$(CM)'}]");
    CHECK(mounts_of(pod, false, &e) == NULL);
    CHECK_STR(e.message, "missing value for CM");
    json_decref(pod);
    pod = make_pod("[{'name':'data','mountPath':'/logs','subPathExpr':'x-$(POD)'}]");
    m = mounts_of(pod, false, &e);
    CHECK(m && strstr(mstr(m, 0, "host_path"), "/x-web-0"));
    json_decref(m);
    json_decref(pod);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

TEST(etc_hosts)
{
    json_t *pod = fx_json("{'metadata':{'name':'web-0','namespace':'ns1'},'spec':{}}");
    json_t *m = (json_t *)1;
    CHECK_INT(k1s_spec_etc_hosts(pod, NULL, pod_dir, &m), 0);
    CHECK(m == NULL); /* no IP yet: not mounted */
    CHECK_INT(k1s_spec_etc_hosts(pod, "10.244.0.7", pod_dir, &m), 0);
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/etc-hosts", pod_dir);
    CHECK_STR(json_string_value(json_object_get(m, "host_path")), path);
    CHECK_STR(json_string_value(json_object_get(m, "container_path")), "/etc/hosts");
    CHECK(json_is_false(json_object_get(m, "readonly")));
    CHECK_STR(read_all(path), "# Kubernetes-managed hosts file.\n"
                              "127.0.0.1\tlocalhost\n"
                              "::1\tlocalhost ip6-localhost ip6-loopback\n"
                              "fe00::0\tip6-localnet\n"
                              "fe00::0\tip6-mcastprefix\n"
                              "fe00::1\tip6-allnodes\n"
                              "fe00::2\tip6-allrouters\n"
                              "10.244.0.7\tweb-0\n");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
    json_decref(m);
    json_decref(pod);

    pod = fx_json("{'metadata':{'name':'web-0','namespace':'ns1'},'spec':{'hostname':'h1',"
                  "'subdomain':'nginx','hostAliases':[{'ip':'1.2.3.4','hostnames':['a','b']}]}}");
    CHECK_INT(k1s_spec_etc_hosts(pod, "10.244.0.7", pod_dir, &m), 0);
    const char *t = read_all(path);
    CHECK(t && strstr(t, "\n10.244.0.7\th1.nginx.ns1.svc.cluster.local\th1\n"
                         "\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n"));
    json_decref(m);
    json_decref(pod);

    pod = fx_json("{'metadata':{'name':'n'},'spec':{'hostNetwork':true}}");
    CHECK_INT(k1s_spec_etc_hosts(pod, NULL, pod_dir, &m), 0);
    CHECK(m != NULL);
    t = read_all(path);
    CHECK(t && !strncmp(t, "# Kubernetes-managed hosts file (host network).\n", 48));
    json_decref(m);
    json_decref(pod);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
    fx_tmpdir(tmp, sizeof tmp, "spec-mnt");
    snprintf(pod_dir, sizeof pod_dir, "%s/pods/ns1_web-0_u1", tmp);
    cache.objs = json_object();
    fake_put(&cache, "ConfigMap", "ns1", "cfg", fx_json("{'data':{'app.conf':'x','k':'v'}}"));
    char pv[PATH_MAX + 200];
    snprintf(
        pv, sizeof pv,
        "{'spec':{'claimRef':{'uid':'c1'},'hostPath':{'path':'%s/pv','type':'DirectoryOrCreate'}}}",
        tmp);
    fake_put(&cache, "PersistentVolume", "", "pv1", fx_json(pv));
    fake_put(
        &cache, "PersistentVolumeClaim", "ns1", "www",
        fx_json(
            "{'metadata':{'uid':'c1'},'spec':{'volumeName':'pv1'},'status':{'phase':'Bound'}}"));
    json_t *pod = make_pod("[]");
    k1s_spec_lookup lk = {&cache, fake_get};
    k1s_spec_error e;
    if (k1s_spec_volumes(pod, pod_dir, &lk, &paths, &e) < 0) {
        fprintf(stderr, "volumes: %s\n", e.message);
        exit(1);
    }
    json_decref(pod);
}
static void teardown(void) __attribute__((destructor));
static void teardown(void)
{
    json_decref(paths);
    json_decref(cache.objs);
    fx_rmtree(tmp);
}

K1S_TEST_MAIN(T(plain_mounts), T(sub_paths), T(sub_path_escapes), T(sub_path_expr), T(etc_hosts))
