/*
 * credentials.c - the client credentials a k1s server hands out: a random
 * bearer token kept in the data directory, and a kubeconfig pointing at the
 * server with that token (context "k1s").
 */
#include "credentials.h"
#include "k1s_base64.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int new_token(char *buf, size_t len)
{
    unsigned char r[24];
    if (len < 2 * sizeof r + 1 || getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(buf + 2 * i, 3, "%02x", r[i]);
    return 0;
}

int k1s_cmd_token(const char *data_dir, char *buf, size_t len)
{
    if (!data_dir)
        return new_token(buf, len);
    char path[4096];
    snprintf(path, sizeof path, "%s/token", data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char *ok = fgets(buf, (int)len, f);
        fclose(f);
        if (ok) {
            buf[strcspn(buf, "\r\n")] = 0;
            if (strlen(buf) >= 16)
                return 0;
        }
    }
    if (new_token(buf, len))
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(buf);
    int rc = write(fd, buf, n) == (ssize_t)n && write(fd, "\n", 1) == 1 ? 0 : -1;
    close(fd);
    return rc;
}

int k1s_cmd_write_kubeconfig(const char *path, const char *url, const char *token,
                             const char *ca_pem)
{
    char *ca = k1s_base64_encode(ca_pem, strlen(ca_pem));
    if (!ca)
        return -1;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        free(ca);
        return -1;
    }
    fprintf(f,
            "apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- name: k1s\n"
            "  cluster:\n"
            "    certificate-authority-data: %s\n"
            "    server: %s\n"
            "users:\n"
            "- name: k1s\n"
            "  user:\n"
            "    token: %s\n"
            "contexts:\n"
            "- name: k1s\n"
            "  context:\n"
            "    cluster: k1s\n"
            "    user: k1s\n"
            "    namespace: default\n"
            "current-context: k1s\n",
            ca, url, token);
    free(ca);
    if (fclose(f) != 0)
        return -1;
    /* rename: a reader never sees a half-written file */
    return rename(tmp, path);
}
