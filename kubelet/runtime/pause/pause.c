/*
 * pause.c - the process that holds a pod sandbox's namespaces open: k1s's
 * own sandbox ("pause") image runs it as /pause.
 *
 * It does nothing but wait: SIGTERM or SIGINT ends it with status 0 (the
 * runtime stops sandboxes with SIGTERM), and as PID 1 of the pod's PID
 * namespace it reaps every orphan handed to it (SIGCHLD), so no zombies pile
 * up. Built static (-static -Os) so the image needs no libraries; see
 * docs/internals/containerd.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno; /* a handler must not disturb the interrupted code */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
        puts("k1s pause 1.0");
        return 0;
    }
    if (getpid() != 1)
        fputs("pause: warning: not running as PID 1\n", stderr);

    struct sigaction stop = {.sa_handler = on_stop};
    sigemptyset(&stop.sa_mask);
    struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&child.sa_mask);
    if (sigaction(SIGTERM, &stop, NULL) != 0 || sigaction(SIGINT, &stop, NULL) != 0 ||
        sigaction(SIGCHLD, &child, NULL) != 0) {
        perror("pause: sigaction");
        return 1;
    }
    for (;;)
        pause();
}
