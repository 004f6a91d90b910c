/*
 * test_containerd_oci.c - the parts of k1s_containerd that need no root
 * and no containerd: the ustar/OCI-layout writer (checked with tar(1) and
 * python's tarfile/json/hashlib), the embedded pause binary, config.toml
 * (parsed with python's tomllib), the CNI conflist, CIDR checks and the
 * child-process helper.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containerd_internal.h"
#include "k1s_test.h"
#include "k1s_fixture.h"

static char tmpdir[64];

static char *path_in_tmp(const char *leaf)
{
    return k1s__cd_strf("%s/%s", tmpdir, leaf);
}

static void write_all(const char *path, const void *data, size_t len)
{
    char *err = NULL;
    CHECK(k1s__cd_write_file(path, data, len, &err) == 0);
    free(err);
}

/* Output of a shell command (the test's own tool, not the code's). */
static char *sh(const char *cmd, int *status)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    char *out = NULL;
    int st = k1s__cd_run(argv, -1, &out);
    if (status)
        *status = st;
    return out;
}

TEST(tar_entries_are_read_by_tar)
{
    k1s_buf b = {0};
    static const char hello[] = "hello, tar\n";
    CHECK(k1s__tar_add(&b, "d/", 0755, NULL, 0) == 0);
    CHECK(k1s__tar_add(&b, "d/hello.txt", 0644, hello, strlen(hello)) == 0);
    CHECK(k1s__tar_add(&b, "empty", 0600, "", 0) == 0);
    char name101[102];
    memset(name101, 'a', 101);
    name101[101] = '\0';
    CHECK(k1s__tar_add(&b, name101, 0644, "x", 1) == -1);
    k1s__tar_end(&b);
    CHECK(!k1s_buf_failed(&b) && b.len % 512 == 0);
    char *p = path_in_tmp("t.tar");
    write_all(p, b.p, b.len);

    char *cmd = k1s__cd_strf("tar -tvf %s", p);
    int st;
    char *out = sh(cmd, &st);
    CHECK_INT(st, 0);
    CHECK(out && strstr(out, "drwxr-xr-x root/root") && strstr(out, " d/\n"));
    CHECK(out && strstr(out, "-rw-r--r-- root/root        11 ") && strstr(out, " d/hello.txt\n"));
    CHECK(out && strstr(out, " empty\n"));
    free(out);
    free(cmd);
    cmd = k1s__cd_strf("tar -xOf %s d/hello.txt", p);
    out = sh(cmd, &st);
    CHECK_STR(out, hello);
    free(out);
    free(cmd);
    free(p);
    k1s_buf_free(&b);
}

TEST(sha256_digest_form)
{
    char d[72];
    CHECK(k1s__cd_sha256("abc", 3, d) == 0);
    CHECK_STR(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb"
                 "410ff61f20015ad");
}

/* Checks an OCI layout tarball the way an importer would, independently
 * of the C code: argv: tarball, payload file, ref, manifest digest,
 * config digest. Prints OK or what is wrong. */
static const char checker[] =
    "import sys, tarfile, json, hashlib\n"
    "tb, payload, ref, mdig, cdig = sys.argv[1:6]\n"
    "want = open(payload, 'rb').read()\n"
    "t = tarfile.open(tb)\n"
    "def blob(d):\n"
    "    assert d.startswith('sha256:'), d\n"
    "    b = t.extractfile('blobs/sha256/' + d[7:]).read()\n"
    "    assert 'sha256:' + hashlib.sha256(b).hexdigest() == d, 'digest ' + d\n"
    "    return b\n"
    "assert json.load(t.extractfile('oci-layout')) == "
    "{'imageLayoutVersion': '1.0.0'}\n"
    "idx = json.load(t.extractfile('index.json'))\n"
    "assert idx['schemaVersion'] == 2\n"
    "(m,) = idx['manifests']\n"
    "a = m['annotations']\n"
    "assert a['org.opencontainers.image.ref.name'] == ref, a\n"
    "assert a['io.containerd.image.name'] == ref, a\n"
    "assert m['digest'] == mdig, (m['digest'], mdig)\n"
    "mb = blob(m['digest']); assert len(mb) == m['size']\n"
    "man = json.loads(mb)\n"
    "assert man['mediaType'] == "
    "'application/vnd.oci.image.manifest.v1+json'\n"
    "assert man['config']['digest'] == cdig\n"
    "cb = blob(cdig); assert len(cb) == man['config']['size']\n"
    "cfg = json.loads(cb)\n"
    "assert cfg['os'] == 'linux' and cfg['architecture'] == "
    "m['platform']['architecture']\n"
    "assert cfg['config']['Entrypoint'] == ['/pause'], cfg\n"
    "(l,) = man['layers']\n"
    "assert l['mediaType'] == 'application/vnd.oci.image.layer.v1.tar'\n"
    "lb = blob(l['digest']); assert len(lb) == l['size']\n"
    "assert cfg['rootfs'] == {'type': 'layers', 'diff_ids': [l['digest']]}\n"
    "import io\n"
    "lt = tarfile.open(fileobj=io.BytesIO(lb))\n"
    "(e,) = lt.getmembers()\n"
    "assert e.name == 'pause' and e.isfile() and e.mode == 0o755, e\n"
    "assert lt.extractfile(e).read() == want\n"
    "print('OK')\n";

TEST(oci_layout_is_valid_and_deterministic)
{
    k1s_buf a = {0}, b = {0};
    char md[72], cd[72], md2[72], cd2[72];
    static const unsigned char payload[] = "#!/bin/false\n0123456789";
    CHECK(k1s__oci_single_file_image("k1s.io/test:1", "pause", payload, sizeof payload, &a, md,
                                     cd) == 0);
    CHECK(k1s__oci_single_file_image("k1s.io/test:1", "pause", payload, sizeof payload, &b, md2,
                                     cd2) == 0);
    /* same input, same bytes: what lets a restart skip the import */
    CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    CHECK_STR(md, md2);
    CHECK_STR(cd, cd2);

    char *tb = path_in_tmp("oci.tar"), *pl = path_in_tmp("payload");
    char *py = path_in_tmp("check.py");
    write_all(tb, a.p, a.len);
    write_all(pl, payload, sizeof payload);
    write_all(py, checker, strlen(checker));
    char *cmd = k1s__cd_strf("python3 %s %s %s k1s.io/test:1 %s %s", py, tb, pl, md, cd);
    char *out = sh(cmd, NULL);
    CHECK_STR(out, "OK\n");
    if (out && strcmp(out, "OK\n") != 0)
        fprintf(stderr, "%s", out);
    free(out);
    free(cmd);

    cmd = k1s__cd_strf("tar -tf %s", tb);
    out = sh(cmd, NULL);
    CHECK(out && strstr(out, "oci-layout\n") && strstr(out, "index.json\n"));
    char want[96];
    snprintf(want, sizeof want, "blobs/sha256/%s\n", md + 7);
    CHECK(out && strstr(out, want));
    snprintf(want, sizeof want, "blobs/sha256/%s\n", cd + 7);
    CHECK(out && strstr(out, want));
    free(out);
    free(cmd);
    free(tb);
    free(pl);
    free(py);
    k1s_buf_free(&a);
    k1s_buf_free(&b);
}

TEST(embedded_pause_is_a_static_executable)
{
    CHECK(k1s_pause_bin_len > 1000);
    CHECK(memcmp(k1s_pause_bin, "\177ELF", 4) == 0);
    char *p = path_in_tmp("pause");
    write_all(p, k1s_pause_bin, k1s_pause_bin_len);
    chmod(p, 0755);
    char *cmd = k1s__cd_strf("file -b %s 2>/dev/null || echo no-file", p);
    char *out = sh(cmd, NULL);
    if (out && !strstr(out, "no-file"))
        CHECK(strstr(out, "statically linked") != NULL);
    free(out);
    free(cmd);
    /* it runs with no libraries and stops on SIGTERM with status 0 */
    cmd = k1s__cd_strf("%s & pid=$!; sleep 0.1; kill -TERM $pid; wait $pid;"
                       " echo status=$?",
                       p);
    out = sh(cmd, NULL);
    CHECK(out && strstr(out, "status=0\n"));
    free(out);
    free(cmd);
    free(p);
}

static k1s_containerd *fake(const char *dir)
{
    k1s_containerd *c = calloc(1, sizeof *c);
    c->dir = k1s__cd_strf("%s", dir);
    c->socket = k1s__cd_strf("%s/containerd.sock", dir);
    c->config_path = k1s__cd_strf("%s/config.toml", dir);
    c->pod_cidr = strdup("10.77.0.0/24");
    c->stream_port = 41234;
    return c;
}

static void fake_free(k1s_containerd *c)
{
    free(c->dir);
    free(c->socket);
    free(c->config_path);
    free(c->pod_cidr);
    free(c);
}

/* config.toml must be valid TOML with the settings that matter, even for
 * a data directory with a quote and a backslash in its name. */
TEST(config_toml_parses_and_has_the_settings)
{
    char *dir = path_in_tmp("we\"ird\\dir");
    mkdir(dir, 0755);
    k1s_containerd *c = fake(dir);
    char *err = NULL;
    CHECK(k1s__cd_write_configs(c, &err) == 0);
    if (err)
        fprintf(stderr, "%s\n", err);
    free(err);
    static const char py[] =
        "import sys, tomllib, json\n"
        "d = sys.argv[1]\n"
        "c = tomllib.load(open(d + '/config.toml', 'rb'))\n"
        "cri = c['plugins']['io.containerd.grpc.v1.cri']\n"
        "rc = cri['containerd']['runtimes']['runc']\n"
        "ok = (c['version'] == 2 and c['root'] == d + '/root'\n"
        "  and c['state'] == d + '/state'\n"
        "  and c['grpc']['address'] == d + '/containerd.sock'\n"
        "  and cri['restrict_oom_score_adj'] is True\n"
        "  and cri['sandbox_image'] == 'k1s.io/pause:1.0'\n"
        "  and cri['disable_apparmor'] is True\n"
        "  and cri['enable_selinux'] is False\n"
        "  and cri['stream_server_address'] == '127.0.0.1'\n"
        "  and cri['stream_server_port'] == '41234'\n"
        "  and cri['containerd']['snapshotter'] == 'overlayfs'\n"
        "  and rc['runtime_type'] == 'io.containerd.runc.v2'\n"
        "  and rc['options']['BinaryName'] == '/usr/sbin/runc'\n"
        "  and rc['options']['SystemdCgroup'] is False\n"
        "  and rc['options']['Root'] == d + '/runc'\n"
        "  and cri['cni']['bin_dir'] == '/usr/lib/cni'\n"
        "  and cri['cni']['conf_dir'] == d + '/cni'\n"
        "  and cri['cni']['max_conf_num'] == 1\n"
        "  and 'io.containerd.grpc.v1.cri' not in c['disabled_plugins']\n"
        "  and 'io.containerd.snapshotter.v1.btrfs' in c['disabled_plugins'])\n"
        "n = json.load(open(d + '/cni/10-k1s.conflist'))\n"
        "b, pm = n['plugins']\n"
        "ok = ok and n['name'] == 'k1s' and b['type'] == 'bridge'\n"
        "ok = ok and b['bridge'] == 'k1s0' and b['isGateway'] and not b['ipMasq']\n"
        "ok = ok and b['hairpinMode']\n"
        "ok = ok and b['ipam']['ranges'] == [[{'subnet': '10.77.0.0/24'}]]\n"
        "ok = ok and b['ipam']['routes'] == [{'dst': '0.0.0.0/0'}]\n"
        "ok = ok and b['ipam']['dataDir'] == d + '/cni-ipam'\n"
        "ok = ok and pm == {'type': 'portmap', "
        "'capabilities': {'portMappings': True}}\n"
        "print('OK' if ok else 'BAD')\n";
    char *pyf = path_in_tmp("toml.py");
    write_all(pyf, py, strlen(py));
    char *argv[] = {"/usr/bin/python3", pyf, dir, NULL};
    char *out = NULL;
    CHECK_INT(k1s__cd_run(argv, -1, &out), 0);
    CHECK_STR(out, "OK\n");
    if (out && strcmp(out, "OK\n") != 0)
        fprintf(stderr, "%s", out);
    free(out);
    free(pyf);
    fake_free(c);
    free(dir);
}

TEST(cidr_validation)
{
    CHECK(k1s__cd_valid_cidr("10.244.0.0/24"));
    CHECK(k1s__cd_valid_cidr("192.168.128.0/17"));
    CHECK(!k1s__cd_valid_cidr("10.244.0.1/24")); /* host bits */
    CHECK(!k1s__cd_valid_cidr("10.244.0.0"));
    CHECK(!k1s__cd_valid_cidr("10.244.0.0/33"));
    CHECK(!k1s__cd_valid_cidr("10.244.0.0/24x"));
    CHECK(k1s__cd_valid_cidr("10.0.0.0/8")); /* the prefix lengths taken: 8..30 */
    CHECK(k1s__cd_valid_cidr("10.0.0.0/30"));
    CHECK(!k1s__cd_valid_cidr("10.0.0.0/7"));
    CHECK(!k1s__cd_valid_cidr("10.0.0.0/31"));
    /* the length is plain decimal digits */
    CHECK(!k1s__cd_valid_cidr("10.244.0.0/024"));
    CHECK(!k1s__cd_valid_cidr("10.244.0.0/+24"));
    CHECK(!k1s__cd_valid_cidr("10.244.0.0/ 24"));
    CHECK(!k1s__cd_valid_cidr("fd00::/64"));
    CHECK(!k1s__cd_valid_cidr("\"; rm -rf /\"/24"));
    CHECK(!k1s__cd_valid_cidr(NULL));
}

TEST(free_port_is_bindable)
{
    int p = k1s__cd_free_port();
    CHECK(p > 0 && p < 65536);
}

TEST(children_inherit_no_descriptors)
{
    /* a descriptor without O_CLOEXEC, as a careless library might leave */
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 3);
    int st;
    /* one command, no pipeline: the shell's own pipes would show up */
    char *out = sh("ls /proc/$$/fd", &st);
    CHECK_INT(st, 0);
    CHECK_STR(out, "0\n1\n2\n");
    free(out);
    close(fd);

    out = sh("echo to-stderr >&2; exit 3", &st);
    CHECK_INT(st, 3);
    CHECK_STR(out, "to-stderr\n");
    free(out);
    out = sh("kill -KILL $$", &st);
    CHECK_INT(st, 128 + 9);
    free(out);

    char *bad[] = {"/nonexistent/prog", NULL};
    out = NULL;
    CHECK_INT(k1s__cd_run(bad, -1, &out), -1);
    CHECK(out && strstr(out, "/nonexistent/prog"));
    free(out);
}

TEST(which_finds_sbin_programs)
{
    char *p = k1s__cd_which("sh");
    CHECK(p && p[0] == '/');
    free(p);
    CHECK(k1s__cd_which("no-such-program-k1s") == NULL);
}

#define main containerd_oci_tests
K1S_TEST_MAIN(T(tar_entries_are_read_by_tar), T(sha256_digest_form),
              T(oci_layout_is_valid_and_deterministic), T(embedded_pause_is_a_static_executable),
              T(config_toml_parses_and_has_the_settings), T(cidr_validation),
              T(free_port_is_bindable), T(children_inherit_no_descriptors),
              T(which_finds_sbin_programs))
#undef main

int main(void)
{
    fx_tmpdir(tmpdir, sizeof tmpdir, "containerd-oci");
    int rc = containerd_oci_tests();
    if (fx_rmtree(tmpdir) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return rc;
}
