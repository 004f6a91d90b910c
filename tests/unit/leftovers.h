/*
 * leftovers.h - what the live kubelet tests check after stopping
 * everything: no process and no mount of theirs may be left on the host.
 */
#ifndef K1S_TEST_LEFTOVERS_H
#define K1S_TEST_LEFTOVERS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Processes other than this one whose command line mentions dir
 * (containerd, shims, containers started from there). say: name them. */
static inline int k1s_test_procs_mentioning(const char *dir, bool say)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == (int)getpid())
            continue;
        char p[300], buf[4096];
        snprintf(p, sizeof p, "/proc/%s/cmdline", de->d_name);
        FILE *f = fopen(p, "re");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[len] = '\0';
        if (strstr(buf, dir)) {
            if (say)
                fprintf(stderr, "  still running: %s: %s\n", de->d_name, buf);
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* Whether anything is mounted under dir. */
static inline bool k1s_test_mounts_under(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, dir) != NULL;
    if (f)
        fclose(f);
    return found;
}

#endif
