/*
 * tls_priority.c - the GnuTLS priority string the server offers, from
 * kube-apiserver's flags: --tls-min-version (VersionTLS12, the default, or
 * VersionTLS13) and --tls-cipher-suites (Go's names). Only ECDHE key
 * exchange with AEAD ciphers is ever offered: no TLS 1.0/1.1, no CBC, no
 * SHA-1 MACs, no static RSA.
 */
#include "http_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Go's suite names k1s accepts, and the GnuTLS cipher each selects (the key
 * exchange follows from the serving key; TLS 1.3 names are accepted and,
 * as in Go, always enabled). */
static const struct {
    const char *go, *cipher;
} suites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305"},
    {"TLS_AES_128_GCM_SHA256", NULL},
    {"TLS_AES_256_GCM_SHA384", NULL},
    {"TLS_CHACHA20_POLY1305_SHA256", NULL},
};
#define ALL_CIPHERS "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"

/* Appends +cipher to list unless it is there. */
static void add_cipher(char *list, size_t cap, const char *cipher)
{
    char want[32];
    snprintf(want, sizeof want, "+%s", cipher);
    if (strstr(list, want))
        return;
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s", n ? ":" : "", want);
}

int k1s__tls_priority(const char *min_version, const char *cipher_suites, char *out, size_t cap,
                      char *err, size_t errcap)
{
    const char *versions;
    if (!min_version || !*min_version || !strcmp(min_version, "VersionTLS12")) {
        versions = "+VERS-TLS1.3:+VERS-TLS1.2";
    } else if (!strcmp(min_version, "VersionTLS13")) {
        versions = "+VERS-TLS1.3";
    } else {
        snprintf(err, errcap,
                 "--tls-min-version %.64s is not supported: use VersionTLS12 or VersionTLS13%s",
                 min_version,
                 !strcmp(min_version, "VersionTLS10") || !strcmp(min_version, "VersionTLS11")
                     ? " (TLS 1.0 and 1.1 are not offered)"
                     : "");
        return -1;
    }
    char ciphers[128] = "";
    if (cipher_suites && *cipher_suites) {
        char buf[1024];
        if (strlen(cipher_suites) >= sizeof buf) {
            snprintf(err, errcap, "--tls-cipher-suites is too long");
            return -1;
        }
        snprintf(buf, sizeof buf, "%s", cipher_suites);
        bool tls13_only = true;
        char *save = NULL;
        for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            while (*name == ' ')
                name++;
            size_t i = 0;
            while (i < sizeof suites / sizeof suites[0] && strcasecmp(suites[i].go, name) != 0)
                i++;
            if (i == sizeof suites / sizeof suites[0]) {
                snprintf(err, errcap,
                         "--tls-cipher-suites: %.96s is not offered (k1s offers ECDHE with "
                         "AES-GCM or ChaCha20-Poly1305 only)",
                         name);
                return -1;
            }
            if (suites[i].cipher) {
                add_cipher(ciphers, sizeof ciphers, suites[i].cipher);
                tls13_only = false;
            }
        }
        if (tls13_only)
            ciphers[0] = '\0';
    }
    int n = snprintf(out, cap,
                     "NORMAL:-VERS-ALL:%s:-CIPHER-ALL:%s:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:"
                     "+ECDHE-RSA:%%SERVER_PRECEDENCE",
                     versions, ciphers[0] ? ciphers : ALL_CIPHERS);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, errcap, "TLS priority string too long");
        return -1;
    }
    return 0;
}
