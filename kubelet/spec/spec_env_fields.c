/*
 * spec_env_fields.c - the downward API's pod field values, shared by env
 * (valueFrom.fieldRef) and downwardAPI volumes, as kubelet's
 * podFieldSelectorRuntimeValue and fieldpath.ExtractFieldPathAsString
 * give them: metadata (whole label/annotation maps in FormatMap's
 * key="value" lines), spec.nodeName/serviceAccountName, and the pod's and
 * host's IPs.
 */
#include "spec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's strconv.Quote for the common cases: escapes, \xNN for control
 * bytes and invalid UTF-8, valid UTF-8 kept. */
static void go_quote(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        unsigned char c = *p;
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\a':
            esc = "\\a";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\v':
            esc = "\\v";
            break;
        default:
            break;
        }
        if (esc) {
            fputs(esc, f);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
            p++;
        } else if (c < 0x80) {
            fputc(c, f);
            p++;
        } else {
            int n = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
            int ok = n > 0 && c < 0xf8;
            for (int k = 1; ok && k < n; k++)
                ok = (p[k] & 0xc0) == 0x80;
            if (ok) {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            } else {
                fprintf(f, "\\x%02x", c);
                p++;
            }
        }
    }
    fputc('"', f);
}

/* A label's or an annotation's value ("" if none): their keys hold dots
 * ("app.kubernetes.io/name"), so never read them by a path. */
static const char *map_str(const json_t *m, const char *key)
{
    const char *s = json_string_value(json_object_get(m, key));
    return s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* kubelet's fieldpath.FormatMap: sorted key="value" lines. */
static char *format_map(const json_t *m)
{
    size_t n = json_is_object(m) ? json_object_size(m) : 0, i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) if (i < n) keys[i++] = k;
    qsort(keys, i, sizeof *keys, cmp_str);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        free(keys);
        return NULL;
    }
    for (size_t j = 0; j < i; j++) {
        if (j)
            fputc('\n', f);
        fprintf(f, "%s=", keys[j]);
        go_quote(f, map_str(m, keys[j]));
    }
    free(keys);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* status.<key>s[].ip joined with ",", else status.<key>. */
static char *join_ips(const json_t *status, const char *plural, const char *single, bool first_only)
{
    const json_t *arr = json_object_get(status, plural);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    size_t i, written = 0;
    const json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *ip = k1s_json_str_or(it, "ip", "");
        if (!*ip || (first_only && written))
            continue;
        fprintf(f, "%s%s", written ? "," : "", ip);
        written++;
    }
    if (!written)
        fputs(k1s_json_str_or(status, single, ""), f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The node's InternalIP, when the pod's status does not say yet. */
static const char *node_ip(const json_t *pod, const k1s_spec_lookup *lk)
{
    if (!lk || !lk->get)
        return "";
    const json_t *node = lk->get(lk->ctx, "Node", "", k1s_json_str_or(pod, "spec.nodeName", ""));
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(json_object_get(node, "status"), "addresses"), i,
                       a) if (!strcmp(k1s_json_str_or(a, "type", ""),
                                      "InternalIP")) return k1s_json_str_or(a, "address", "");
    return "";
}

/* "metadata.labels['k']" -> map "metadata.labels", key "k". */
static bool subscript(const char *fp, const char *map, const char **key, size_t *keylen)
{
    size_t ml = strlen(map), n = strlen(fp);
    if (strncmp(fp, map, ml) || strncmp(fp + ml, "['", 2) || n < ml + 4 || strcmp(fp + n - 2, "']"))
        return false;
    *key = fp + ml + 2;
    *keylen = n - ml - 4;
    return true;
}

int k1s__spec_field_value(const json_t *pod, const json_t *field_ref, const k1s_spec_lookup *lk,
                          char **out, char *err)
{
    *out = NULL;
    const char *ver = k1s_json_str_or(field_ref, "apiVersion", "");
    if (*ver && strcmp(ver, "v1"))
        return k1s__spec_errf(err, "unsupported pod version: %s", ver);
    const char *fp = k1s_json_str_or(field_ref, "fieldPath", "");
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *status = json_object_get(pod, "status");
    const char *key;
    size_t kl;
    const char *v = NULL;
    if (!strcmp(fp, "spec.host")) /* the old name kube still accepts */
        fp = "spec.nodeName";
    for (int m = 0; m < 2; m++) {
        const char *map = m ? "metadata.annotations" : "metadata.labels";
        if (subscript(fp, map, &key, &kl)) {
            char *k = strndup(key, kl);
            if (!k)
                return k1s__spec_errf(err, "out of memory");
            v = map_str(json_object_get(meta, map + 9), k);
            free(k);
            *out = strdup(v);
            return *out ? 0 : k1s__spec_errf(err, "out of memory");
        }
        if (!strcmp(fp, map)) {
            *out = format_map(json_object_get(meta, map + 9));
            return *out ? 0 : k1s__spec_errf(err, "out of memory");
        }
    }
    if (!strcmp(fp, "metadata.name") || !strcmp(fp, "metadata.namespace") ||
        !strcmp(fp, "metadata.uid"))
        v = k1s_json_str_or(pod, fp, "");
    else if (!strcmp(fp, "spec.nodeName") || !strcmp(fp, "spec.serviceAccountName"))
        v = k1s_json_str_or(pod, fp, "");
    else if (!strcmp(fp, "status.podIP") || !strcmp(fp, "status.podIPs"))
        *out = join_ips(status, "podIPs", "podIP", !strcmp(fp, "status.podIP"));
    else if (!strcmp(fp, "status.hostIP") || !strcmp(fp, "status.hostIPs")) {
        *out = join_ips(status, "hostIPs", "hostIP", !strcmp(fp, "status.hostIP"));
        if (*out && !**out) {
            free(*out);
            *out = strdup(node_ip(pod, lk));
        }
    } else if (!strcmp(fp, "spec.restartPolicy") || !strcmp(fp, "spec.schedulerName") ||
               !strcmp(fp, "status.phase"))
        return k1s__spec_errf(err, "unsupported fieldPath: %s", fp);
    else
        return k1s__spec_errf(err, "field label not supported: %s", fp);
    if (v)
        *out = strdup(v);
    return *out ? 0 : k1s__spec_errf(err, "out of memory");
}
