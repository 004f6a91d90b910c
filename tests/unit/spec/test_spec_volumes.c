/*
 * test_spec_volumes.c - k1s_spec_volumes in a temporary pod directory:
 * configMap, secret, downwardAPI and projected files (contents, modes,
 * the ..data layout, updates), emptyDir, every hostPath type, claims
 * bound/unbound/missing, unsafe item paths, and the cleanup.
 */
#include "k1s_test.h"
#include "test_spec_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char tmp[PATH_MAX]; /* this program's directory */
static char pod_dir[PATH_MAX + 32];

static json_t *pod_with_volumes(const char *volumes)
{
    char *s;
    if (asprintf(&s,
                 "{'metadata':{'name':'p','namespace':'ns1','uid':'u1','labels':{'b':'2','a':'1'}},"
                 "'spec':{'nodeName':'node1','containers':[{'name':'web','resources':"
                 "{'limits':{'cpu':'250m','memory':'32Mi'}}}],'volumes':%s}}",
                 volumes) < 0)
        abort();
    json_t *j = fx_json(s);
    free(s);
    return j;
}

/* k1s_spec_volumes; the paths object or NULL with *e. */
static json_t *volumes(const json_t *pod, fake_cache *fc, k1s_spec_error *e)
{
    k1s_spec_lookup lk = {fc, fake_get};
    json_t *paths = NULL;
    memset(e, 0, sizeof *e);
    if (k1s_spec_volumes(pod, pod_dir, fc ? &lk : NULL, &paths, e) < 0) {
        CHECK(paths == NULL);
        return NULL;
    }
    return paths;
}

static char *slurp(const char *dir, const char *name)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int mode_of(const char *dir, const char *name)
{
    char p[PATH_MAX * 3];
    snprintf(p, sizeof p, name ? "%s/%s" : "%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static bool is_link(const char *dir, const char *name, const char *target)
{
    char p[PATH_MAX * 2], t[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n < 0)
        return false;
    t[n] = '\0';
    return !target || !strcmp(t, target);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void put_objects(fake_cache *fc)
{
    fake_put(fc, "ConfigMap", "ns1", "cfg",
             fx_json("{'data':{'app.conf':'listen 80;\\n','mode':'prod'},"
                     "'binaryData':{'logo.bin':'AAEC'}}"));
    fake_put(fc, "Secret", "ns1", "sec",
             fx_json("{'data':{'password':'czNjcjN0','raw':'AAEC/w=='}}"));
}

TEST(empty_dir)
{
    json_t *pod = pod_with_volumes("[{'name':'cache','emptyDir':{}},"
                                   "{'name':'mem','emptyDir':{'medium':'Memory'}}]");
    k1s_spec_error e;
    json_t *paths = volumes(pod, NULL, &e);
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s/volumes/kubernetes.io~empty-dir/cache", pod_dir);
    CHECK_STR(json_string_value(json_object_get(paths, "cache")), want);
    CHECK_INT(mode_of(want, "."), 0777);
    CHECK(json_object_get(paths, "mem") != NULL);
    /* data survives another sync */
    char f[PATH_MAX * 2 + 8];
    snprintf(f, sizeof f, "%s/x", want);
    FILE *fp = fopen(f, "w");
    if (fp)
        fclose(fp);
    json_decref(paths);
    paths = volumes(pod, NULL, &e);
    CHECK(exists(f));
    json_decref(paths);
    json_decref(pod);
}

TEST(config_map)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    json_t *pod = pod_with_volumes(
        "[{'name':'all','configMap':{'name':'cfg','defaultMode':256}},"
        "{'name':'some','configMap':{'name':'cfg','items':[{'key':'app.conf','path':'conf/nginx.conf','mode':384},"
        "{'key':'mode','path':'mode'}]}},"
        "{'name':'opt','configMap':{'name':'nope','optional':true}}]");
    k1s_spec_error e;
    json_t *paths = volumes(pod, &fc, &e);
    CHECK(paths != NULL);
    /* copies: paths is replaced below */
    char all[PATH_MAX], some[PATH_MAX], opt[PATH_MAX];
    snprintf(all, sizeof all, "%s", json_string_value(json_object_get(paths, "all")));
    snprintf(some, sizeof some, "%s", json_string_value(json_object_get(paths, "some")));
    snprintf(opt, sizeof opt, "%s", json_string_value(json_object_get(paths, "opt")));
    CHECK(strstr(all, "/volumes/kubernetes.io~configmap/all") != NULL);
    if (!*all || !*some || !*opt)
        goto out;
    CHECK_STR(slurp(all, "app.conf"), "listen 80;\n");
    CHECK_STR(slurp(all, "mode"), "prod");
    char bin[PATH_MAX + 16];
    struct stat st;
    snprintf(bin, sizeof bin, "%s/logo.bin", all);
    CHECK(stat(bin, &st) == 0 && st.st_size == 3); /* binaryData AAEC: 00 01 02 */
    CHECK_INT(mode_of(all, "mode"), 0400);
    CHECK(is_link(all, "mode", "..data/mode"));
    CHECK(is_link(all, "..data", NULL));
    CHECK_INT(mode_of(all, "."), 0777);
    CHECK_STR(slurp(some, "conf/nginx.conf"), "listen 80;\n");
    CHECK_INT(mode_of(some, "conf/nginx.conf"), 0600);
    CHECK_INT(mode_of(some, "mode"), 0644);
    CHECK(is_link(some, "conf", "..data/conf"));
    CHECK(slurp(some, "app.conf") == NULL);
    CHECK(is_link(opt, "..data", NULL));
    CHECK(slurp(opt, "mode") == NULL);

    /* the same contents: nothing rewritten */
    char before[NAME_MAX + 1], after[NAME_MAX + 1];
    char dl[PATH_MAX * 2];
    snprintf(dl, sizeof dl, "%s/..data", all);
    ssize_t n = readlink(dl, before, sizeof before - 1);
    before[n > 0 ? n : 0] = '\0';
    json_decref(paths);
    paths = volumes(pod, &fc, &e);
    n = readlink(dl, after, sizeof after - 1);
    after[n > 0 ? n : 0] = '\0';
    CHECK_STR(after, before);

    /* an update: new contents, a removed key's link gone, old version gone */
    fake_put(&fc, "ConfigMap", "ns1", "cfg", fx_json("{'data':{'app.conf':'listen 8080;\\n'}}"));
    json_decref(paths);
    json_t *only_all =
        pod_with_volumes("[{'name':'all','configMap':{'name':'cfg','defaultMode':256}}]");
    paths = volumes(only_all, &fc, &e);
    json_decref(only_all);
    CHECK(paths != NULL);
    CHECK_STR(slurp(all, "app.conf"), "listen 8080;\n");
    CHECK(slurp(all, "mode") == NULL);
    CHECK(!is_link(all, "mode", NULL));
    char old[PATH_MAX * 2];
    snprintf(old, sizeof old, "%s/%s", all, before);
    CHECK(!exists(old));
out:
    json_decref(paths);
    json_decref(pod);

    pod = pod_with_volumes(
        "[{'name':'some','configMap':{'name':'cfg','items':[{'key':'mode','path':'m'}]}}]");
    CHECK(volumes(pod, &fc, &e) == NULL);
    CHECK_STR(e.reason, "ContainerCreating");
    CHECK_STR(e.message, "MountVolume.SetUp failed for volume \"some\" : "
                         "configmap references non-existent config key: mode");
    json_decref(pod);
    pod = pod_with_volumes("[{'name':'v','configMap':{'name':'nope'}}]");
    CHECK(volumes(pod, &fc, &e) == NULL);
    CHECK_STR(e.message,
              "MountVolume.SetUp failed for volume \"v\" : configmap \"nope\" not found");
    json_decref(pod);
    json_decref(fc.objs);
}

TEST(secret_and_downward)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    json_t *pod = pod_with_volumes(
        "[{'name':'s','secret':{'secretName':'sec'}},"
        "{'name':'s2','secret':{'secretName':'sec','items':[{'key':'password','path':'pw','mode':256}]}},"
        "{'name':'d','downwardAPI':{'defaultMode':292,'items':["
        "{'path':'labels','fieldRef':{'fieldPath':'metadata.labels'}},"
        "{'path':'name','fieldRef':{'fieldPath':'metadata.name'},'mode':384},"
        "{'path':'cpu','resourceFieldRef':{'containerName':'web','resource':'limits.cpu','divisor':'1m'}},"
        "{'path':'mem','resourceFieldRef':{'containerName':'web','resource':'limits.memory','divisor':'1Mi'}}]}}]");
    k1s_spec_error e;
    json_t *paths = volumes(pod, &fc, &e);
    CHECK(paths != NULL);
    const char *s = json_string_value(json_object_get(paths, "s"));
    const char *s2 = json_string_value(json_object_get(paths, "s2"));
    const char *d = json_string_value(json_object_get(paths, "d"));
    if (s && s2 && d) {
        CHECK(strstr(s, "kubernetes.io~secret/s") != NULL);
        CHECK_STR(slurp(s, "password"), "s3cr3t");
        CHECK_INT(mode_of(s, "password"), 0644);
        char raw[PATH_MAX + 16];
        struct stat st;
        snprintf(raw, sizeof raw, "%s/raw", s);
        CHECK(stat(raw, &st) == 0 && st.st_size == 4); /* 00 01 02 ff, bytes as they are */
        CHECK_STR(slurp(s2, "pw"), "s3cr3t");
        CHECK_INT(mode_of(s2, "pw"), 0400);
        CHECK(strstr(d, "kubernetes.io~downward-api/d") != NULL);
        CHECK_STR(slurp(d, "labels"), "a=\"1\"\nb=\"2\"");
        CHECK_STR(slurp(d, "name"), "p");
        CHECK_INT(mode_of(d, "name"), 0600);
        CHECK_INT(mode_of(d, "labels"), 0444);
        CHECK_STR(slurp(d, "cpu"), "250");
        CHECK_STR(slurp(d, "mem"), "32");
    }
    json_decref(paths);
    json_decref(pod);

    pod = pod_with_volumes("[{'name':'s','secret':{'secretName':'gone'}}]");
    CHECK(volumes(pod, &fc, &e) == NULL);
    CHECK_STR(e.message, "MountVolume.SetUp failed for volume \"s\" : secret \"gone\" not found");
    json_decref(pod);
    pod = pod_with_volumes(
        "[{'name':'s','secret':{'secretName':'sec','items':[{'key':'k','path':'k'}]}}]");
    CHECK(volumes(pod, &fc, &e) == NULL);
    CHECK_STR(e.message,
              "MountVolume.SetUp failed for volume \"s\" : references non-existent secret key: k");
    json_decref(pod);
    json_decref(fc.objs);
}

TEST(projected)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    json_t *pod = pod_with_volumes(
        "[{'name':'kube-api-access-x','projected':{'defaultMode':420,'sources':["
        "{'serviceAccountToken':{'expirationSeconds':3607,'path':'token'}},"
        "{'configMap':{'name':'cfg','items':[{'key':'mode','path':'ca.crt'}]}},"
        "{'secret':{'name':'sec'}},"
        "{'configMap':{'name':'absent','optional':true}},"
        "{'downwardAPI':{'items':[{'path':'namespace','fieldRef':{'apiVersion':'v1','fieldPath':'metadata.namespace'}}]}}]}}]");
    k1s_spec_error e;
    json_t *paths = volumes(pod, &fc, &e);
    const char *p = json_string_value(json_object_get(paths, "kube-api-access-x"));
    CHECK(p && strstr(p, "kubernetes.io~projected/kube-api-access-x"));
    if (p) {
        CHECK_STR(slurp(p, "token"), "");
        CHECK_STR(slurp(p, "ca.crt"), "prod");
        CHECK_STR(slurp(p, "password"), "s3cr3t");
        CHECK_STR(slurp(p, "namespace"), "ns1");
        CHECK(is_link(p, "token", "..data/token"));
        CHECK_INT(mode_of(p, "namespace"), 0644);
    }
    json_decref(paths);
    json_decref(pod);
    json_decref(fc.objs);
}

TEST(unsafe_paths)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    static const struct {
        const char *path, *msg;
    } bad[] = {
        {"../evil", "invalid path: must not contain '..': ../evil"},
        {"a/../../evil", "invalid path: must not contain '..': a/../../evil"},
        {"/etc/evil", "invalid path: must be relative path: /etc/evil"},
        {"..data/x", "invalid path: must not start with '..': ..data/x"},
        {"", "invalid path: must not be empty: \"\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char v[512];
        snprintf(v, sizeof v,
                 "[{'name':'v','configMap':{'name':'cfg','items':"
                 "[{'key':'mode','path':'%s'}]}}]",
                 bad[i].path);
        json_t *pod = pod_with_volumes(v);
        k1s_spec_error e;
        CHECK(volumes(pod, &fc, &e) == NULL);
        char want[600];
        snprintf(want, sizeof want, "MountVolume.SetUp failed for volume \"v\" : %s", bad[i].msg);
        CHECK_STR(e.message, want);
        json_decref(pod);
        snprintf(v, sizeof v,
                 "[{'name':'d','downwardAPI':{'items':"
                 "[{'path':'%s','fieldRef':{'fieldPath':'metadata.name'}}]}}]",
                 bad[i].path);
        pod = pod_with_volumes(v);
        CHECK(volumes(pod, &fc, &e) == NULL);
        json_decref(pod);
    }
    char evil[PATH_MAX + 16];
    snprintf(evil, sizeof evil, "%s/evil", tmp);
    CHECK(!exists(evil));
    CHECK(!exists("/etc/evil"));
    /* a volume name that is a path */
    json_t *pod = pod_with_volumes("[{'name':'../x','emptyDir':{}}]");
    k1s_spec_error e;
    CHECK(volumes(pod, &fc, &e) == NULL);
    json_decref(pod);
    json_decref(fc.objs);
}

/* hostPath of type at path: the error message, or "" when it worked. */
static const char *host_path(const char *path, const char *type)
{
    static k1s_spec_error e;
    char v[PATH_MAX + 128];
    snprintf(v, sizeof v, "[{'name':'h','hostPath':{'path':'%s','type':'%s'}}]", path, type);
    json_t *pod = pod_with_volumes(v);
    json_t *paths = volumes(pod, NULL, &e);
    if (paths)
        CHECK_STR(json_string_value(json_object_get(paths, "h")), path);
    json_decref(paths);
    json_decref(pod);
    return paths ? "" : e.message;
}

TEST(host_path_types)
{
    char dir[PATH_MAX + 32], file[PATH_MAX + 32], sock[PATH_MAX + 32], want[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s/host/a/b", tmp);
    snprintf(file, sizeof file, "%s/host/file", tmp);
    snprintf(sock, sizeof sock, "%s/host/sock", tmp);
    CHECK_STR(host_path(dir, ""), ""); /* no check at all */
    CHECK(!exists(dir));
    snprintf(want, sizeof want,
             "MountVolume.SetUp failed for volume \"h\" : "
             "hostPath type check failed: %s is not a directory",
             dir);
    CHECK_STR(host_path(dir, "Directory"), want);
    CHECK_STR(host_path(dir, "DirectoryOrCreate"), "");
    CHECK_INT(mode_of(dir, "."), 0755);
    CHECK_STR(host_path(dir, "Directory"), "");
    snprintf(want, sizeof want,
             "MountVolume.SetUp failed for volume \"h\" : "
             "hostPath type check failed: %s is not a file",
             dir);
    CHECK_STR(host_path(dir, "File"), want);
    CHECK_STR(host_path(file, "FileOrCreate"), "");
    CHECK_INT(mode_of(file, NULL), 0644);
    CHECK_STR(host_path(file, "File"), "");
    snprintf(want, sizeof want,
             "MountVolume.SetUp failed for volume \"h\" : "
             "hostPath type check failed: %s is not a directory",
             file);
    CHECK_STR(host_path(file, "DirectoryOrCreate"), want);
    snprintf(want, sizeof want,
             "MountVolume.SetUp failed for volume \"h\" : "
             "hostPath type check failed: %s is not a socket file",
             file);
    CHECK_STR(host_path(file, "Socket"), want);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    bool fits = strlen(sock) < sizeof sa.sun_path;
    if (fits)
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
    if (fd >= 0 && fits && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        CHECK_STR(host_path(sock, "Socket"), "");
    if (fd >= 0)
        close(fd);
    CHECK_STR(host_path("/dev/null", "CharDevice"), "");
    CHECK_STR(host_path("/dev/null", "BlockDevice"),
              "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: "
              "/dev/null is not a block device");
    CHECK(strstr(host_path(file, "CharDevice"), "is not a character device") != NULL);
    CHECK_STR(host_path(file, "Weird"),
              "MountVolume.SetUp failed for volume \"h\" : Weird is an invalid volume type");
}

TEST(claims)
{
    fake_cache fc = {json_object()};
    char data[PATH_MAX + 32];
    snprintf(data, sizeof data, "%s/pvdata", tmp);
    char pv[PATH_MAX + 256];
    snprintf(pv, sizeof pv,
             "{'spec':{'claimRef':{'name':'www','namespace':'ns1','uid':'c1'},"
             "'hostPath':{'path':'%s','type':'DirectoryOrCreate'}}}",
             data);
    fake_put(&fc, "PersistentVolume", "", "pv1", fx_json(pv));
    fake_put(
        &fc, "PersistentVolumeClaim", "ns1", "www",
        fx_json(
            "{'metadata':{'uid':'c1'},'spec':{'volumeName':'pv1'},'status':{'phase':'Bound'}}"));
    fake_put(&fc, "PersistentVolumeClaim", "ns1", "pending",
             fx_json("{'metadata':{'uid':'c2'},'spec':{},'status':{'phase':'Pending'}}"));
    fake_put(
        &fc, "PersistentVolumeClaim", "ns1", "lost",
        fx_json(
            "{'metadata':{'uid':'c3'},'spec':{'volumeName':'gone'},'status':{'phase':'Bound'}}"));
    fake_put(
        &fc, "PersistentVolumeClaim", "ns1", "other",
        fx_json(
            "{'metadata':{'uid':'c4'},'spec':{'volumeName':'pv1'},'status':{'phase':'Bound'}}"));
    fake_put(
        &fc, "PersistentVolumeClaim", "ns1", "loc",
        fx_json(
            "{'metadata':{'uid':'c5'},'spec':{'volumeName':'pv2'},'status':{'phase':'Bound'}}"));
    fake_put(&fc, "PersistentVolume", "", "pv2",
             fx_json("{'spec':{'claimRef':{'uid':'c5'},'local':{'path':'/nonexistent/k1s'}}}"));

    json_t *pod = pod_with_volumes("[{'name':'www','persistentVolumeClaim':{'claimName':'www'}}]");
    k1s_spec_error e;
    json_t *paths = volumes(pod, &fc, &e);
    CHECK_STR(json_string_value(json_object_get(paths, "www")), data);
    CHECK(exists(data));
    json_decref(paths);
    json_decref(pod);

    static const struct {
        const char *claim, *msg;
    } bad[] = {
        {"missing",
         "Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[], "
         "failed to process volumes=[v]: error processing PVC ns1/missing: failed to fetch "
         "PVC from API server: persistentvolumeclaims \"missing\" not found"},
        {"pending",
         "Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[], "
         "failed to process volumes=[v]: error processing PVC ns1/pending: PVC is not bound"},
        {"lost",
         "Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[], "
         "failed to process volumes=[v]: error processing PVC ns1/lost: failed to fetch PV gone "
         "from API server: persistentvolumes \"gone\" not found"},
        {"other",
         "Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[], "
         "failed to process volumes=[v]: error processing PVC ns1/other: found PV object pv1 "
         "but its pv.Spec.ClaimRef.UID (c1) does not point to claim.UID (c4)"},
        {"loc", "MountVolume.NewMounter initialization failed for volume \"pv2\" : path "
                "\"/nonexistent/k1s\" does not exist"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char v[256];
        snprintf(v, sizeof v, "[{'name':'v','persistentVolumeClaim':{'claimName':'%s'}}]",
                 bad[i].claim);
        pod = pod_with_volumes(v);
        CHECK(volumes(pod, &fc, &e) == NULL);
        CHECK_STR(e.reason, "ContainerCreating");
        CHECK_STR(e.message, bad[i].msg);
        json_decref(pod);
    }
    json_decref(fc.objs);
}

TEST(cleanup)
{
    fake_cache fc = {json_object()};
    put_objects(&fc);
    char data[PATH_MAX + 32];
    snprintf(data, sizeof data, "%s/keep", tmp);
    char v[PATH_MAX + 256];
    snprintf(v, sizeof v,
             "[{'name':'e','emptyDir':{}},{'name':'c','configMap':{'name':'cfg'}},"
             "{'name':'h','hostPath':{'path':'%s','type':'DirectoryOrCreate'}}]",
             data);
    json_t *pod = pod_with_volumes(v);
    k1s_spec_error e;
    json_t *paths = volumes(pod, &fc, &e);
    CHECK(paths != NULL);
    json_t *mount = NULL;
    CHECK_INT(k1s_spec_etc_hosts(pod, "10.0.0.1", pod_dir, &mount), 0);
    json_decref(mount);
    k1s_spec_volumes_cleanup(pod_dir);
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/volumes", pod_dir);
    CHECK(!exists(p));
    snprintf(p, sizeof p, "%s/etc-hosts", pod_dir);
    CHECK(!exists(p));
    CHECK(exists(data));
    CHECK(exists(pod_dir));
    json_decref(paths);
    json_decref(pod);
    json_decref(fc.objs);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
    fx_tmpdir(tmp, sizeof tmp, "spec-vol");
    snprintf(pod_dir, sizeof pod_dir, "%s/pods/ns1_p_u1", tmp);
}
static void teardown(void) __attribute__((destructor));
static void teardown(void)
{
    fx_rmtree(tmp);
}

K1S_TEST_MAIN(T(empty_dir), T(config_map), T(secret_and_downward), T(projected), T(unsafe_paths),
              T(host_path_types), T(claims), T(cleanup))
