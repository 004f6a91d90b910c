/*
 * leftovers.h - what the live kubelet tests check after stopping
 * everything: no process and no mount of theirs may be left on the host;
 * and the command lines of the host's processes, to find them.
 */
#ifndef K1S_TEST_LEFTOVERS_H
#define K1S_TEST_LEFTOVERS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command line of process pid (a /proc entry name), its arguments
 * joined by spaces, into buf; false when there is no such process. */
static inline bool k1s_test_cmdline(const char *pid, char *buf, size_t len)
{
    char p[300];
    snprintf(p, sizeof p, "/proc/%s/cmdline", pid);
    FILE *f = fopen(p, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = ' ';
    buf[n] = '\0';
    return true;
}

/* Processes other than this one whose command line mentions dir
 * (containerd, shims, containers started from there). say: name them. */
static inline int k1s_test_procs_mentioning(const char *dir, bool say)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char buf[4096];
        if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == (int)getpid() ||
            !k1s_test_cmdline(de->d_name, buf, sizeof buf))
            continue;
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
