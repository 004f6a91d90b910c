/*
 * test_cri_json.c - the JSON <-> protobuf conversion of CRI messages, with
 * no runtime: realistic sandbox and container configs survive a trip
 * through the wire format, the wire bytes carry the published field
 * numbers, and bad input is refused with the field's path.
 */
#include "k1s_test.h"

#include <jansson.h>

#include "cri_internal.h"
#include "cri.pb-c.h"

/* Every key of want is in got with the same value (got may have more:
 * the defaults the converter writes out). */
static int subset(const json_t *want, const json_t *got)
{
    if (json_is_object(want)) {
        const char *k;
        json_t *v;
        if (!json_is_object(got))
            return 0;
        json_object_foreach((json_t *)want, k, v)
        {
            if (!subset(v, json_object_get(got, k))) {
                fprintf(stderr, "  differs at key \"%s\"\n", k);
                return 0;
            }
        }
        return 1;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
            return 0;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!subset(json_array_get(want, i), json_array_get(got, i)))
                return 0;
        return 1;
    }
    return got && json_equal(want, got);
}

/* JSON -> message -> wire bytes -> message -> JSON. */
static json_t *round_trip(const ProtobufCMessageDescriptor *d, const json_t *in, uint8_t **wire,
                          size_t *wire_len)
{
    ProtobufCMessage *m;
    char *err = NULL;
    if (k1s__cri_json_to_pb(d, in, &m, &err) < 0) {
        fprintf(stderr, "  encode error: %s\n", err);
        free(err);
        return NULL;
    }
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(m, buf);
    protobuf_c_message_free_unpacked(m, NULL);
    ProtobufCMessage *back = protobuf_c_message_unpack(d, NULL, n, buf);
    json_t *out = back ? k1s__cri_pb_to_json(back) : NULL;
    if (back)
        protobuf_c_message_free_unpacked(back, NULL);
    if (wire) {
        *wire = buf;
        *wire_len = n;
    } else {
        free(buf);
    }
    return out;
}

/* The error text for converting text (a JSON document) as d, or NULL. */
static char *encode_error(const ProtobufCMessageDescriptor *d, const char *text)
{
    json_error_t je;
    json_t *in = json_loads(text, 0, &je);
    if (!in) {
        fprintf(stderr, "bad test JSON: %s\n", je.text);
        return NULL;
    }
    ProtobufCMessage *m = NULL;
    char *err = NULL;
    if (k1s__cri_json_to_pb(d, in, &m, &err) == 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        err = NULL;
    }
    json_decref(in);
    return err;
}

static const char *sandbox_config =
    "{\"metadata\":{\"name\":\"web-0\",\"uid\":\"0b1c-77\",\"namespace\":\"default\","
    "\"attempt\":2},"
    "\"hostname\":\"web-0\",\"log_directory\":\"/var/lib/k1s/pods/default_web-0_0b1c-77\","
    "\"dns_config\":{\"servers\":[\"10.96.0.10\"],\"searches\":[\"default.svc.cluster.local\","
    "\"svc.cluster.local\"],\"options\":[\"ndots:5\"]},"
    "\"port_mappings\":[{\"protocol\":\"TCP\",\"container_port\":80,\"host_port\":8080,"
    "\"host_ip\":\"0.0.0.0\"},{\"protocol\":\"UDP\",\"container_port\":53}],"
    "\"labels\":{\"io.kubernetes.pod.name\":\"web-0\",\"app\":\"nginx\"},"
    "\"annotations\":{\"kubernetes.io/config.source\":\"api\",\"empty\":\"\"},"
    "\"linux\":{\"cgroup_parent\":\"/k1s/pod0b1c-77\",\"sysctls\":{\"net.ipv4.ip_forward\":\"1\"},"
    "\"security_context\":{\"namespace_options\":{\"network\":\"POD\",\"pid\":\"CONTAINER\","
    "\"ipc\":\"POD\"},\"privileged\":false,\"run_as_user\":{\"value\":0},"
    "\"supplemental_groups\":[1000,2000],\"seccomp\":{\"profile_type\":\"RuntimeDefault\"}}}}";

TEST(test_sandbox_config_round_trip)
{
    json_t *cfg = json_loads(sandbox_config, 0, NULL);
    json_t *req = json_pack("{s:O,s:s}", "config", cfg, "runtime_handler", "");
    json_t *out = round_trip(&runtime__v1__run_pod_sandbox_request__descriptor, req, NULL, NULL);
    CHECK(out != NULL);
    CHECK(subset(req, out));
    /* defaults are written out, so readers need not know proto3's zeros */
    json_t *oc = json_object_get(out, "config");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(json_object_get(json_object_get(oc, "linux"), "security_context"),
                                  "namespace_options"),
                  "target_id")),
              "");
    CHECK_INT(json_integer_value(json_object_get(
                  json_array_get(json_object_get(oc, "port_mappings"), 1), "host_port")),
              0);
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(oc, "port_mappings"), 1), "protocol")),
              "UDP");
    /* an absent sub-message stays absent */
    CHECK(json_object_get(json_object_get(json_object_get(oc, "linux"), "security_context"),
                          "selinux_options") == NULL);
    json_decref(out);
    json_decref(req);
    json_decref(cfg);
}

static const char *container_config =
    "{\"pod_sandbox_id\":\"5f0d\",\"config\":{"
    "\"metadata\":{\"name\":\"nginx\",\"attempt\":1},"
    "\"image\":{\"image\":\"k8s.gcr.io/nginx-slim:0.8\",\"annotations\":{}},"
    "\"command\":[\"nginx\"],\"args\":[\"-g\",\"daemon off;\"],\"working_dir\":\"/\","
    "\"envs\":[{\"key\":\"POD_NAME\",\"value\":\"web-0\"},{\"key\":\"EMPTY\",\"value\":\"\"}],"
    "\"mounts\":[{\"container_path\":\"/usr/share/nginx/html\",\"host_path\":\"/srv/pv0\","
    "\"readonly\":false,\"selinux_relabel\":false,\"propagation\":\"PROPAGATION_PRIVATE\"},"
    "{\"container_path\":\"/etc/hosts\",\"host_path\":\"/var/lib/k1s/hosts\",\"readonly\":true,"
    "\"propagation\":\"PROPAGATION_HOST_TO_CONTAINER\"}],"
    "\"devices\":[{\"container_path\":\"/dev/fuse\",\"host_path\":\"/dev/fuse\",\"permissions\":\"rwm\"}],"
    "\"labels\":{\"io.kubernetes.container.name\":\"nginx\"},"
    "\"annotations\":{\"io.kubernetes.container.restartCount\":\"0\"},"
    "\"log_path\":\"nginx/1.log\",\"stdin\":false,\"stdin_once\":false,\"tty\":true,"
    "\"linux\":{\"resources\":{\"cpu_period\":100000,\"cpu_quota\":50000,\"cpu_shares\":512,"
    "\"memory_limit_in_bytes\":134217728,\"oom_score_adj\":1000,\"cpuset_cpus\":\"0-1\","
    "\"cpuset_mems\":\"0\",\"hugepage_limits\":[{\"page_size\":\"2MB\",\"limit\":0}],"
    "\"memory_swap_limit_in_bytes\":134217728},"
    "\"security_context\":{\"capabilities\":{\"add_capabilities\":[\"NET_ADMIN\"],"
    "\"drop_capabilities\":[\"ALL\"]},\"privileged\":false,"
    "\"namespace_options\":{\"network\":\"POD\",\"pid\":\"CONTAINER\",\"ipc\":\"POD\"},"
    "\"run_as_user\":{\"value\":101},\"run_as_group\":{\"value\":101},\"run_as_username\":\"\","
    "\"readonly_rootfs\":false,\"supplemental_groups\":[101],\"no_new_privs\":true,"
    "\"masked_paths\":[\"/proc/kcore\",\"/proc/keys\"],\"readonly_paths\":[\"/proc/sys\"]}}},"
    "\"sandbox_config\":{\"metadata\":{\"name\":\"web-0\",\"uid\":\"u\",\"namespace\":\"default\"}}}";

TEST(test_container_config_round_trip)
{
    json_t *req = json_loads(container_config, 0, NULL);
    CHECK(req != NULL);
    json_t *out = round_trip(&runtime__v1__create_container_request__descriptor, req, NULL, NULL);
    CHECK(out != NULL);
    CHECK(subset(req, out));
    /* envs is a list of KeyValue messages, not a map */
    CHECK(json_is_array(json_object_get(json_object_get(out, "config"), "envs")));
    json_decref(out);
    json_decref(req);
}

/* The bytes on the wire are those of the published CRI field numbers. */
TEST(test_wire_field_numbers)
{
    json_t *req = json_loads("{\"config\":{\"hostname\":\"a\",\"labels\":{\"k\":\"v\"},"
                             "\"port_mappings\":[{\"protocol\":\"UDP\"}]}}",
                             0, NULL);
    uint8_t *wire = NULL;
    size_t n = 0;
    json_t *out = round_trip(&runtime__v1__run_pod_sandbox_request__descriptor, req, &wire, &n);
    /* 1 config { 2 hostname "a", 5 port_mappings { 1 protocol 1 },
     *            6 labels { 1 "k", 2 "v" } } */
    static const uint8_t want[] = {0x0a, 0x0f, 0x12, 0x01, 'a', 0x2a, 0x02, 0x08, 0x01,
                                   0x32, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v'};
    CHECK_INT(n, sizeof want);
    CHECK(wire && n == sizeof want && memcmp(wire, want, n) == 0);
    free(wire);
    json_decref(out);
    json_decref(req);

    /* ContainerStatus.exit_code is 7, ImageSpec.user_specified_image 18 */
    req = json_loads("{\"status\":{\"exit_code\":137,\"image\":"
                     "{\"user_specified_image\":\"x\"}}}",
                     0, NULL);
    out = round_trip(&runtime__v1__container_status_response__descriptor, req, &wire, &n);
    static const uint8_t want2[] = {0x0a, 0x09, 0x38, 0x89, 0x01, 0x42,
                                    0x04, 0x92, 0x01, 0x01, 'x'};
    CHECK(wire && n == sizeof want2 && memcmp(wire, want2, n) == 0);
    free(wire);
    json_decref(out);
    json_decref(req);
}

TEST(test_enums)
{
    json_t *req =
        json_loads("{\"config\":{\"port_mappings\":[{\"protocol\":1},{\"protocol\":\"SCTP\"},"
                   "{\"protocol\":7}],\"linux\":{\"security_context\":{\"namespace_options\":"
                   "{\"network\":2},\"apparmor\":{\"profile_type\":\"Unconfined\"}}}}}",
                   0, NULL);
    json_t *out = round_trip(&runtime__v1__run_pod_sandbox_request__descriptor, req, NULL, NULL);
    json_t *pm = json_object_get(json_object_get(out, "config"), "port_mappings");
    CHECK_STR(json_string_value(json_object_get(json_array_get(pm, 0), "protocol")), "UDP");
    CHECK_STR(json_string_value(json_object_get(json_array_get(pm, 1), "protocol")), "SCTP");
    /* proto3 enums are open: a number without a name comes back a number */
    CHECK_INT(json_integer_value(json_object_get(json_array_get(pm, 2), "protocol")), 7);
    json_t *sc = json_object_get(json_object_get(json_object_get(out, "config"), "linux"),
                                 "security_context");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(sc, "namespace_options"), "network")),
        "NODE");
    /* an enum nested in a message */
    CHECK_STR(json_string_value(json_object_get(json_object_get(sc, "apparmor"), "profile_type")),
              "Unconfined");
    json_decref(out);
    json_decref(req);

    char *err = encode_error(&runtime__v1__run_pod_sandbox_request__descriptor,
                             "{\"config\":{\"port_mappings\":[{},{\"protocol\":\"TCPX\"}]}}");
    CHECK_STR(err, "config.port_mappings[1].protocol: unknown runtime.v1.Protocol value \"TCPX\"");
    free(err);
    err = encode_error(&runtime__v1__run_pod_sandbox_request__descriptor,
                       "{\"config\":{\"port_mappings\":[{\"protocol\":true}]}}");
    CHECK_STR(err, "config.port_mappings[0].protocol: expected a runtime.v1.Protocol "
                   "name or number, got a boolean");
    free(err);
}

TEST(test_maps)
{
    json_t *req = json_loads("{\"filter\":{\"label_selector\":{\"a\":\"1\",\"b\":\"\"},"
                             "\"state\":{\"state\":\"SANDBOX_NOTREADY\"}}}",
                             0, NULL);
    json_t *out = round_trip(&runtime__v1__list_pod_sandbox_request__descriptor, req, NULL, NULL);
    CHECK(subset(req, out));
    CHECK_INT(json_object_size(json_object_get(json_object_get(out, "filter"), "label_selector")),
              2);
    json_decref(out);
    json_decref(req);

    /* an empty map is written as {} */
    req = json_loads("{\"items\":[{\"id\":\"x\"}]}", 0, NULL);
    out = round_trip(&runtime__v1__list_pod_sandbox_response__descriptor, req, NULL, NULL);
    json_t *item = json_array_get(json_object_get(out, "items"), 0);
    CHECK(json_is_object(json_object_get(item, "labels")));
    CHECK_INT(json_object_size(json_object_get(item, "labels")), 0);
    CHECK_STR(json_string_value(json_object_get(item, "state")), "SANDBOX_READY");
    json_decref(out);
    json_decref(req);

    char *err = encode_error(&runtime__v1__run_pod_sandbox_request__descriptor,
                             "{\"config\":{\"labels\":{\"a\":\"x\",\"b\":5}}}");
    CHECK_STR(err, "config.labels[\"b\"]: expected a string, got an integer");
    free(err);
    err = encode_error(&runtime__v1__run_pod_sandbox_request__descriptor,
                       "{\"config\":{\"labels\":[\"a\"]}}");
    CHECK_STR(err, "config.labels: expected an object, got an array");
    free(err);
}

TEST(test_bytes)
{
    json_t *rep = json_loads("{\"stdout\":\"aGVsbG8K\",\"stderr\":\"AP8A/w\","
                             "\"exit_code\":3}",
                             0, NULL);
    json_t *out = round_trip(&runtime__v1__exec_sync_response__descriptor, rep, NULL, NULL);
    CHECK_STR(json_string_value(json_object_get(out, "stdout")), "aGVsbG8K");
    /* written back with padding */
    CHECK_STR(json_string_value(json_object_get(out, "stderr")), "AP8A/w==");
    size_t n = 0;
    char *b = k1s_cri_bytes(json_object_get(out, "stdout"), &n);
    CHECK_STR(b, "hello\n");
    CHECK_INT(n, 6);
    free(b);
    b = k1s_cri_bytes(json_object_get(out, "stderr"), &n);
    CHECK(b && n == 4 && memcmp(b, "\0\xff\0\xff", 4) == 0);
    free(b);
    CHECK(k1s_cri_bytes(json_object_get(out, "exit_code"), NULL) == NULL);
    json_decref(out);
    json_decref(rep);

    /* URL-safe alphabet accepted; empty bytes are "" */
    rep = json_loads("{\"stdout\":\"-_-_\",\"stderr\":\"\"}", 0, NULL);
    out = round_trip(&runtime__v1__exec_sync_response__descriptor, rep, NULL, NULL);
    CHECK_STR(json_string_value(json_object_get(out, "stdout")), "+/+/");
    CHECK_STR(json_string_value(json_object_get(out, "stderr")), "");
    json_decref(out);
    json_decref(rep);

    char *err =
        encode_error(&runtime__v1__exec_sync_response__descriptor, "{\"stdout\":\"not base64!\"}");
    CHECK_STR(err, "stdout: not a base64 string");
    free(err);
}

TEST(test_unknown_keys)
{
    char *err = encode_error(&runtime__v1__run_pod_sandbox_request__descriptor,
                             "{\"config\":{\"hostnme\":\"x\"}}");
    CHECK_STR(err, "config: unknown field \"hostnme\" in runtime.v1.PodSandboxConfig");
    free(err);
    err = encode_error(&runtime__v1__create_container_request__descriptor,
                       "{\"config\":{\"mounts\":[{\"container_path\":\"/a\"},"
                       "{\"containerPath\":\"/b\"}]}}");
    CHECK_STR(err, "config.mounts[1]: unknown field \"containerPath\" in runtime.v1.Mount");
    free(err);
    err = encode_error(&runtime__v1__version_request__descriptor, "{\"versions\":\"v1\"}");
    CHECK_STR(err, "unknown field \"versions\" in runtime.v1.VersionRequest");
    free(err);
}

TEST(test_wrong_types)
{
    const ProtobufCMessageDescriptor *rps = &runtime__v1__run_pod_sandbox_request__descriptor;
    const struct {
        const char *in, *err;
    } cases[] = {
        {"{\"config\":{\"hostname\":5}}", "config.hostname: expected a string, got an integer"},
        {"{\"config\":{\"port_mappings\":{}}}",
         "config.port_mappings: expected an array, got an object"},
        {"{\"config\":{\"port_mappings\":[{\"container_port\":1099511627776}]}}",
         "config.port_mappings[0].container_port: 1099511627776 is out of range"},
        {"{\"config\":{\"metadata\":{\"attempt\":-1}}}",
         "config.metadata.attempt: -1 is out of range"},
        {"{\"config\":{\"linux\":{\"security_context\":{\"privileged\":\"yes\"}}}}",
         "config.linux.security_context.privileged: expected true or false, got a string"},
        {"{\"config\":{\"linux\":{\"security_context\":{\"run_as_user\":{\"value\":\"12x\"}}}}}",
         "config.linux.security_context.run_as_user.value: \"12x\" is not an integer"},
        {"{\"config\":{\"linux\":{\"security_context\":{\"run_as_user\":{\"value\":1.5}}}}}",
         "config.linux.security_context.run_as_user.value: expected an integer, "
         "got a number with a fraction"},
        {"{\"config\":\"x\"}",
         "config: expected an object (runtime.v1.PodSandboxConfig), got a string"},
        {"{\"config\":{\"dns_config\":{\"servers\":[\"1.1.1.1\",null]}}}",
         "config.dns_config.servers[1]: expected a string, got null"},
        {"[]", "expected an object (runtime.v1.RunPodSandboxRequest), got an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = encode_error(rps, cases[i].in);
        CHECK_STR(err, cases[i].err);
        free(err);
    }
}

TEST(test_lenient_input)
{
    /* null is the default; 64-bit integers may be decimal strings */
    json_t *req = json_loads("{\"config\":{\"hostname\":null,\"linux\":{\"security_context\":"
                             "{\"run_as_user\":{\"value\":\"-5\"}}}}}",
                             0, NULL);
    json_t *out = round_trip(&runtime__v1__run_pod_sandbox_request__descriptor, req, NULL, NULL);
    json_t *cfg = json_object_get(out, "config");
    CHECK_STR(json_string_value(json_object_get(cfg, "hostname")), "");
    json_t *ru = json_object_get(json_object_get(json_object_get(cfg, "linux"), "security_context"),
                                 "run_as_user");
    CHECK_INT(json_integer_value(json_object_get(ru, "value")), -5);
    json_decref(out);
    json_decref(req);

    /* uint64 beyond int64 comes back as a decimal string */
    req =
        json_loads("{\"image\":{\"id\":\"sha256:x\",\"size\":\"18446744073709551615\"}}", 0, NULL);
    out = round_trip(&runtime__v1__image_status_response__descriptor, req, NULL, NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(out, "image"), "size")),
              "18446744073709551615");
    json_decref(out);
    json_decref(req);

    /* ImageStatus of a missing image: no "image" key at all */
    out = round_trip(&runtime__v1__image_status_response__descriptor, NULL, NULL, NULL);
    CHECK(out && json_object_get(out, "image") == NULL);
    CHECK(json_is_object(json_object_get(out, "info")));
    json_decref(out);
}

TEST(test_reply_strings_not_utf8)
{
    Runtime__V1__VersionResponse v = RUNTIME__V1__VERSION_RESPONSE__INIT;
    char bad[] = "run\xff"
                 "c\xe2\x82";
    v.runtime_name = bad;
    json_t *out = k1s__cri_pb_to_json(&v.base);
    CHECK_STR(json_string_value(json_object_get(out, "runtime_name")), "run\xef\xbf\xbd"
                                                                       "c\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(json_string_value(json_object_get(out, "version")), "");
    json_decref(out);
}

TEST(test_methods)
{
    const k1s__cri_method *m = k1s__cri_method_find("Version");
    CHECK(m && strcmp(m->path, "/runtime.v1.RuntimeService/Version") == 0);
    CHECK(m && m->reply == &runtime__v1__version_response__descriptor);
    m = k1s__cri_method_find("PullImage");
    CHECK(m && strcmp(m->path, "/runtime.v1.ImageService/PullImage") == 0);
    m = k1s__cri_method_find("ImageFsInfo");
    CHECK(m && strcmp(m->path, "/runtime.v1.ImageService/ImageFsInfo") == 0);
    m = k1s__cri_method_find("ListPodSandbox");
    CHECK(m && m->request == &runtime__v1__list_pod_sandbox_request__descriptor);
    CHECK(k1s__cri_method_find("version") == NULL);
    CHECK(k1s__cri_method_find("Nope") == NULL);
    CHECK(k1s__cri_method_find(NULL) == NULL);
}

K1S_TEST_MAIN(T(test_sandbox_config_round_trip), T(test_container_config_round_trip),
              T(test_wire_field_numbers), T(test_enums), T(test_maps), T(test_bytes),
              T(test_unknown_keys), T(test_wrong_types), T(test_lenient_input),
              T(test_reply_strings_not_utf8), T(test_methods))
