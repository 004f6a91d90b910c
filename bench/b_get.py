"""Benchmark section 3: GET req/s of one ConfigMap over loopback HTTPS with
keep-alive (wrk, 2 threads, 64 connections), against the ceiling of nginx
serving the very same JSON bytes as a static file with the same certificate.
Called by bench/run.py."""
import os

import harness
import httpc
import nginx_ceiling
import wrkrun

CM_PATH = "/api/v1/namespaces/default/configmaps/bench-get"
CM = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "bench-get", "labels": {"app": "bench", "tier": "web"}},
    "data": {"greeting": "hello", "replicas": "3",
             "config.yaml": "listen: 8080\nlog: info\nworkers: 4\n"},
}


def run(children, binary, workdir, wrk, nginx, seconds, log):
    out = {}
    srv = harness.K1s(children, binary, workdir)
    try:
        srv.start()
        cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
        cli.json("POST", "/api/v1/namespaces/default/configmaps", CM)
        status, body, _ = cli.request("GET", CM_PATH)
        cli.close()
        if status != 200:
            raise RuntimeError("GET %s -> %d" % (CM_PATH, status))
        out["body_bytes"] = len(body)
        k1s = wrkrun.run(children, wrk, srv.url + CM_PATH, seconds,
                         headers=["Authorization: Bearer " + srv.token])
        out["k1s"] = {k: v for k, v in k1s.items() if k != "output"}
        out["k1s_threads"] = srv.status().get("Threads")
        log("  k1s   %.0f req/s (p50 %s ms, p99 %s ms, non-2xx %d, socket errors %d)"
            % (k1s["rps"], k1s["latency_ms"].get("p50"), k1s["latency_ms"].get("p99"),
               k1s["non_2xx"], k1s["socket_errors"]))
        if nginx:
            data = srv.data_dir()
            ng = nginx_ceiling.Nginx(children, nginx, CM_PATH, body,
                                     os.path.join(data, "serving.crt"),
                                     os.path.join(data, "serving.key"))
            # k1s idles meanwhile; stop it so that nginx has both cores
            srv.stop()
            try:
                ng.start()
                cli = httpc.Client("127.0.0.1", ng.port, harness.tls_context(), srv.token)
                status, same, _ = cli.request("GET", CM_PATH)
                cli.close()
                if status != 200 or same != body:
                    raise RuntimeError("nginx does not serve the body: %d %r" % (status, same[:200]))
                # same request bytes; nginx ignores the token
                ceil = wrkrun.run(children, wrk, ng.url(CM_PATH), seconds,
                                  headers=["Authorization: Bearer " + srv.token])
            finally:
                ng.stop()
            out["nginx"] = {k: v for k, v in ceil.items() if k != "output"}
            out["ratio"] = k1s["rps"] / ceil["rps"] if ceil["rps"] else None
            log("  nginx %.0f req/s (p50 %s ms, p99 %s ms, non-2xx %d)"
                % (ceil["rps"], ceil["latency_ms"].get("p50"), ceil["latency_ms"].get("p99"),
                   ceil["non_2xx"]))
    finally:
        srv.cleanup()
    return out
