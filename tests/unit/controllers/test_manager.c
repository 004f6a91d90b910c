/*
 * test_manager.c - the controller manager's own contract, on a real API
 * over an in-memory store: a definition set of any size runs (the old
 * fixed tables held 24), a definition naming a kind that is not served is
 * refused with an error that names it, and init may queue work.
 */
#include "k1s_test.h"

#include "k1s_ctrl.h"
#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

#include <stdatomic.h>

/* More than the 24 controllers the manager's arrays used to hold. */
#define MANY 40

/* One flag per controller, handed out by init in id order. */
static atomic_int seen[MANY];
static int next_slot;

static void *slot_init(k1s_ctrl *c)
{
    (void)c;
    return next_slot < MANY ? &seen[next_slot++] : NULL;
}

static int mark_probe(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)c;
    if (state && !strcmp(ns, "default") && !strcmp(name, "probe"))
        atomic_store((atomic_int *)state, 1);
    return 0;
}

static bool all_seen(void *unused)
{
    (void)unused;
    for (int i = 0; i < MANY; i++)
        if (!atomic_load(&seen[i]))
            return false;
    return true;
}

TEST(test_many_definitions_all_run)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    k1s_controller_def defs[MANY];
    const k1s_controller_def *list[MANY + 1];
    for (int i = 0; i < MANY; i++) {
        defs[i] = (k1s_controller_def){.name = "probe-controller",
                                       .group = "",
                                       .kind = "ConfigMap",
                                       .reconcile = mark_probe,
                                       .init = slot_init};
        list[i] = &defs[i];
        atomic_store(&seen[i], 0);
    }
    list[MANY] = NULL;
    next_slot = 0;
    k1s_controllers_config cfg = {.api = api, .node_name = "node1"};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    int rc = k1s_controllers_start_defs(&cfg, list, NULL, &ctl, &err);
    CHECK_INT(rc, 0);
    CHECK(err == NULL);
    free(err);
    json_t *cm = fx_create_get(api, "ConfigMap", "default",
                               fx_json("{'apiVersion':'v1','kind':'ConfigMap',"
                                       "'metadata':{'name':'probe'},'data':{'a':'b'}}"));
    CHECK(cm != NULL);
    fx_wait(all_seen, NULL, FX_WAIT_MS);
    CHECK_INT(next_slot, MANY);
    for (int i = 0; i < MANY; i++)
        CHECK_INT(atomic_load(&seen[i]), 1);
    json_decref(cm);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static int noop(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)c, (void)state, (void)ns, (void)name;
    return 0;
}

static atomic_int finis;

static void count_fini(void *state)
{
    (void)state;
    atomic_fetch_add(&finis, 1);
}

/* start_defs refuses defs: -1, no controllers, an error with each of
 * the words in want. */
static void check_refused(k1s_api *api, const k1s_controller_def *const *defs, const char *want1,
                          const char *want2)
{
    k1s_controllers_config cfg = {.api = api, .node_name = "node1"};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    int rc = k1s_controllers_start_defs(&cfg, defs, NULL, &ctl, &err);
    CHECK_INT(rc, -1);
    CHECK(ctl == NULL);
    CHECK(err != NULL);
    CHECK(err && strstr(err, want1) != NULL);
    CHECK(err && strstr(err, want2) != NULL);
    if (err && (!strstr(err, want1) || !strstr(err, want2)))
        fprintf(stderr, "error was: %s\n", err);
    free(err);
    if (rc == 0)
        k1s_controllers_stop(ctl);
}

TEST(test_unserved_kind_refused)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    /* a watch on a kind nobody serves: the set is refused, the good
       controller before it is stopped again (its fini runs) */
    k1s_controller_def good = {.name = "good-controller",
                               .group = "",
                               .kind = "ConfigMap",
                               .reconcile = noop,
                               .fini = count_fini};
    k1s_controller_def bad = {.name = "bad-controller",
                              .group = "",
                              .kind = "Secret",
                              .reconcile = noop,
                              .watches = {{"", "Pod", NULL}, {"example.com", "Widget", NULL}}};
    const k1s_controller_def *set1[] = {&good, &bad, NULL};
    atomic_store(&finis, 0);
    check_refused(api, set1, "bad-controller", "example.com/Widget");
    CHECK_INT(atomic_load(&finis), 1);
    /* the primary kind itself */
    k1s_controller_def badkind = {
        .name = "primary-controller", .group = "apps", .kind = "Gadget", .reconcile = noop};
    const k1s_controller_def *set2[] = {&badkind, NULL};
    check_refused(api, set2, "primary-controller", "apps/Gadget: kind not served");
    k1s_api_close(api);
}

/* init queues a key for its own controller (id 0 of its set). */
static void *enqueue_init(k1s_ctrl *c)
{
    k1s_ctrl_enqueue(c, 0, "early", "bird");
    return NULL;
}

static atomic_int early;

static int mark_early(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)c, (void)state;
    if (!strcmp(ns, "early") && !strcmp(name, "bird"))
        atomic_store(&early, 1);
    return 0;
}

TEST(test_init_may_queue)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    k1s_controller_def d = {
        .name = "early-controller", .reconcile = mark_early, .init = enqueue_init};
    const k1s_controller_def *set[] = {&d, NULL};
    k1s_controllers_config cfg = {.api = api, .node_name = "node1"};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    atomic_store(&early, 0);
    CHECK_INT(k1s_controllers_start_defs(&cfg, set, NULL, &ctl, &err), 0);
    free(err);
    bool ran;
    FX_WAIT_UNTIL(ran, atomic_load(&early), FX_WAIT_MS);
    CHECK(ran);
    CHECK_INT(atomic_load(&early), 1);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_many_definitions_all_run), T(test_unserved_kind_refused),
              T(test_init_may_queue))
