/*
 * pvc_default_class.c - kube's DefaultStorageClass admission: a claim
 * created without spec.storageClassName gets the cluster's default class
 * (the StorageClass annotated is-default-class, the newest when several
 * are). It runs inside the create's write transaction, so the classes it
 * reads are the ones committed before it.
 */
#include "api_internal.h"
#include "k1s_json.h"
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CLASS_ANNOTATION "storageclass.kubernetes.io/is-default-class"
#define BETA_DEFAULT_CLASS_ANNOTATION "storageclass.beta.kubernetes.io/is-default-class"
#define BETA_CLAIM_CLASS_ANNOTATION "volume.beta.kubernetes.io/storage-class"

typedef struct {
    char *name;    /* malloc'd; NULL until a default is seen */
    char *created; /* its creationTimestamp (RFC 3339 sorts as text) */
} newest_default;

static bool is_default(const json_t *sc)
{
    const json_t *ann = k1s__objv(k1s__objv(sc, "metadata"), "annotations");
    const char *v = k1s__str(ann, DEFAULT_CLASS_ANNOTATION);
    if (!v)
        v = k1s__str(ann, BETA_DEFAULT_CLASS_ANNOTATION);
    return v && !strcmp(v, "true");
}

static int consider(void *ctx, const char *ns, const char *name, const char *text, size_t len,
                    int64_t rev)
{
    newest_default *d = ctx;
    (void)ns;
    (void)rev;
    json_t *sc = k1s_json_load(text, len, NULL); /* new */
    if (sc && is_default(sc)) {
        const char *created = k1s__str0(k1s__objv(sc, "metadata"), "creationTimestamp");
        /* the newest wins; on a tie the first name, as kube sorts them */
        if (!d->name || strcmp(created, d->created) > 0) {
            char *n = strdup(name), *c = strdup(created);
            if (n && c) {
                free(d->name);
                free(d->created);
                d->name = n;
                d->created = c;
            } else {
                free(n);
                free(c);
            }
        }
    }
    json_decref(sc);
    return 0;
}

int k1s__pvc_default_class(struct k1s_api *api, json_t *pvc, const json_t *old, k1s_status *st)
{
    if (old)
        return 0;
    json_t *spec = k1s__objv(pvc, "spec");
    const json_t *ann = k1s__objv(k1s__objv(pvc, "metadata"), "annotations");
    /* an explicit class, even "" (no class), is the client's choice */
    if (!spec || k1s__has(spec, "storageClassName") || k1s__str(ann, BETA_CLAIM_CLASS_ANNOTATION))
        return 0;
    newest_default d = {0};
    int64_t list_rev = 0;
    int more = 0;
    int rc = 0;
    if (k1s_store_list(api->store, "storage.k8s.io", "storageclasses", NULL, NULL, NULL, 0,
                       consider, &d, &list_rev, &more) != 0)
        rc = k1s_err_internal(st, "failed to list storage classes for the default class");
    else if (d.name)
        json_object_set_new(spec, "storageClassName", json_string(d.name));
    free(d.name);
    free(d.created);
    return rc;
}
