/*
 * hostpath_internal.h - what the hostpath provisioner's files share: its
 * state (the storage root it owns), the directory operations confined to
 * that root, and the provision/delete steps.
 *
 * Volumes live in <root>/<namespace>_<claim>_pvc-<uid>, root being
 * <data-dir>/storage, or a temporary directory (made for the first volume,
 * removed at stop) when the API runs in memory. Every directory operation goes
 * through a descriptor of the root and one validated name, never a path,
 * so no claim name or hostile PV can reach outside the root.
 */
#ifndef K1S_HOSTPATH_INTERNAL_H
#define K1S_HOSTPATH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "k1s_ctrl.h"

typedef struct k1s__hostpath {
    char *root;          /* owned: the root's real path; NULL when unusable */
    int root_fd;         /* -1 when unusable */
    dev_t root_dev;      /* removal never crosses into another filesystem */
    bool temporary;      /* removed with everything in it at stop */
    bool want_temporary; /* no data directory: a temporary root is made
                            when the first volume needs it */
    char error[256];     /* why the root is unusable */
} k1s__hostpath;

/* ---- the root and its directories (hostpath_dirs.c) --------------------- */

/* Make (or reuse) the root under data_dir; NULL: a temporary one, made
 * by the first k1s__hostpath_mkdir. 0, or -1 with hp->error set; hp is
 * usable for close either way. */
int k1s__hostpath_open(k1s__hostpath *hp, const char *data_dir);
void k1s__hostpath_close(k1s__hostpath *hp);
/* The directory name of a volume: <ns>_<claim>_<pv>, the claim part cut
 * short if the whole would pass NAME_MAX. 0, or -1 when a part is empty
 * or holds anything but [a-z0-9.-] (what API names allow) or is "."/"..". */
int k1s__hostpath_dir_name(char *buf, size_t len, const char *ns, const char *claim,
                           const char *pv);
/* Create the directory name (mode 0777, as local-path does) or accept
 * it if it is already a directory. 0, or -1 with err filled. */
int k1s__hostpath_mkdir(k1s__hostpath *hp, const char *name, char *err, size_t errlen);
/* Remove the directory name and everything in it, without following
 * symlinks or leaving the root's filesystem; absent is fine. 0, or -1
 * with err filled. */
int k1s__hostpath_rmtree(k1s__hostpath *hp, const char *name, char *err, size_t errlen);

/* ---- the work (hostpath_provision.c, hostpath_delete.c) --------------------- */

/* The provisioner names this controller answers to, NULL-terminated. */
extern const char *const k1s__hostpath_names[];
bool k1s__hostpath_known(const char *provisioner);
/* "<provisioner>_<node>": the source of the events it records. */
void k1s__hostpath_component(k1s_ctrl *c, const char *provisioner, char *buf, size_t len);

/* Reconcile one claim / one volume (borrowed, from the caches):
 * 0 done, > 0 retry after ms, < 0 failure (backoff). */
int k1s__hostpath_provision(k1s_ctrl *c, k1s__hostpath *hp, const json_t *claim);
int k1s__hostpath_delete(k1s_ctrl *c, k1s__hostpath *hp, const json_t *volume);

#endif
