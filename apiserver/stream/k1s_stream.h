/*
 * k1s_stream.h - pods/exec, attach, portforward and log for the API
 * server's HTTP face: the checks kube-apiserver makes before it contacts
 * the node, then the node's streams joined to kubectl's connection (SPDY
 * replayed, or WebSocket bridged to SPDY) or its log file followed.
 */
#ifndef K1S_STREAM_H
#define K1S_STREAM_H

#include <microhttpd.h>

#include "k1s_api.h"
#include "k1s_node_backend.h"

/* One per server: knows every live tunnel and followed log so that stop
 * can end them, runs the ticker that wakes followed logs, and reaps
 * upgrades libmicrohttpd never completed. Created with the server;
 * k1s_stream_hub_stop before MHD_stop_daemon (ends everything, waits for
 * the tunnel threads); k1s_stream_hub_free after it. api: borrowed. */
typedef struct k1s_stream_hub k1s_stream_hub;

k1s_stream_hub *k1s_stream_hub_new(k1s_api *api);
void k1s_stream_hub_stop(k1s_stream_hub *h);
void k1s_stream_hub_free(k1s_stream_hub *h);
/* The node the streams go to (borrowed; NULL: none, answered as kube does
 * when it cannot reach the kubelet). Safe from any thread. */
void k1s_stream_hub_set_node_backend(k1s_stream_hub *h, const k1s_node_backend *b);

/* GET/POST .../pods/NAME/{exec,attach,portforward}. */
enum MHD_Result k1s_stream_pod_connect(k1s_stream_hub *h, struct MHD_Connection *c,
                                       const char *method, const char *ns, const char *name,
                                       const char *sub);
/* GET .../pods/NAME/log. */
enum MHD_Result k1s_stream_pod_log(k1s_stream_hub *h, struct MHD_Connection *c, const char *method,
                                   const char *ns, const char *name);

#endif
