/*
 * tls_cert.c - the serving certificate. kubectl sends bearer tokens only over
 * TLS, so the API is served over HTTPS with a self-signed ECDSA P-256
 * certificate made at first start (and kept in the data directory); the
 * kubeconfig trusts exactly that certificate.
 */
#include "k1s_apiserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 16384);
    size_t n = buf ? fread(buf, 1, 16383, f) : 0;
    fclose(f);
    if (buf && n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int write_file(const char *path, const char *data, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    size_t n = strlen(data);
    int rc = write(fd, data, n) == (ssize_t)n ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static char *datum_str(gnutls_datum_t *d)
{
    char *s = malloc(d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = 0;
    }
    gnutls_free(d->data);
    return s;
}

static void add_ip(gnutls_x509_crt_t crt, const char *ip)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) == 1)
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 4, GNUTLS_FSAN_APPEND);
    else if (inet_pton(AF_INET6, ip, a) == 1)
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 16, GNUTLS_FSAN_APPEND);
}

static void add_dns(gnutls_x509_crt_t crt, const char *name)
{
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name),
                                         GNUTLS_FSAN_APPEND);
}

static int generate(const char *bind, char **cert_pem, char **key_pem)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    int rc = -1;
    gnutls_datum_t d;
    if (gnutls_x509_privkey_init(&key) < 0 ||
        gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
        gnutls_x509_crt_init(&crt) < 0)
        goto cleanup;
    unsigned char serial[16];
    if (getrandom(serial, sizeof serial, 0) != (ssize_t)sizeof serial)
        goto cleanup;
    serial[0] &= 0x7f; /* a positive serial number */
    time_t now = time(NULL);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    gnutls_x509_crt_set_activation_time(crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(crt, now + 10L * 365 * 24 * 3600);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "k1s", 3);
    gnutls_x509_crt_set_key(crt, key);
    /* its own CA: the kubeconfig trusts this one certificate */
    gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    add_dns(crt, "localhost");
    add_dns(crt, "kubernetes");
    add_dns(crt, "kubernetes.default");
    add_dns(crt, "kubernetes.default.svc");
    add_dns(crt, "kubernetes.default.svc.cluster.local");
    add_ip(crt, "127.0.0.1");
    add_ip(crt, "::1");
    add_ip(crt, "10.96.0.1");
    if (bind && strcmp(bind, "127.0.0.1") && strcmp(bind, "0.0.0.0"))
        add_ip(crt, bind);
    unsigned char kid[64];
    size_t kidlen = sizeof kid;
    if (gnutls_x509_crt_get_key_id(crt, 0, kid, &kidlen) == 0)
        gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen);
    if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
        goto cleanup;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto cleanup;
    *cert_pem = datum_str(&d);
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto cleanup;
    *key_pem = datum_str(&d);
    rc = *cert_pem && *key_pem ? 0 : -1;
cleanup:
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

int k1s_tls_material(const char *dir, const char *bind, char **cert_pem, char **key_pem)
{
    *cert_pem = *key_pem = NULL;
    char cpath[4096], kpath[4096];
    if (dir) {
        snprintf(cpath, sizeof cpath, "%s/serving.crt", dir);
        snprintf(kpath, sizeof kpath, "%s/serving.key", dir);
        *cert_pem = read_file(cpath);
        *key_pem = read_file(kpath);
        if (*cert_pem && *key_pem)
            return 0;
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
    }
    if (generate(bind, cert_pem, key_pem)) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        return -1;
    }
    if (dir && (write_file(kpath, *key_pem, 0600) || write_file(cpath, *cert_pem, 0644)))
        return -1;
    return 0;
}
