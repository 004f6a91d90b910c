"""Benchmark section 3: GET req/s of one ConfigMap over loopback HTTPS with
keep-alive (wrk, 2 threads, 64 connections), against the ceiling of nginx
serving the very same JSON bytes as a static file with the same certificate.
The two are measured in alternating rounds and the best round of each is
kept, so that a burst of other load on the machine does not decide the
ratio. Called by bench/run.py."""
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


def _brief(res):
    return {k: v for k, v in res.items() if k != "output"}


def _say(log, who, res):
    log("  %-5s %.0f req/s (p50 %s ms, p99 %s ms, non-2xx %d, socket errors %d)"
        % (who, res["rps"], res["latency_ms"].get("p50"), res["latency_ms"].get("p99"),
           res["non_2xx"], res["socket_errors"]))


def _start_nginx(children, nginx, srv, body):
    data = srv.data_dir()
    ng = nginx_ceiling.Nginx(children, nginx, CM_PATH, body,
                             os.path.join(data, "serving.crt"),
                             os.path.join(data, "serving.key"))
    try:
        ng.start()
        cli = httpc.Client("127.0.0.1", ng.port, harness.tls_context())
        status, same, _ = cli.request("GET", CM_PATH)
        cli.close()
        if status != 200 or same != body:
            raise RuntimeError("nginx does not serve the body: %d %r" % (status, same[:200]))
    except BaseException:
        ng.stop()
        raise
    return ng


def run(children, binary, workdir, wrk, nginx, seconds, log, rounds=2):
    out = {"rounds": rounds}
    srv = harness.K1s(children, binary, workdir)
    ng = None
    try:
        srv.start()
        cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
        cli.json("POST", "/api/v1/namespaces/default/configmaps", CM)
        status, body, _ = cli.request("GET", CM_PATH)
        cli.close()
        if status != 200:
            raise RuntimeError("GET %s -> %d" % (CM_PATH, status))
        out["body_bytes"] = len(body)
        if nginx:
            ng = _start_nginx(children, nginx, srv, body)
        # the same request bytes to both; nginx ignores the token
        headers = ["Authorization: Bearer " + srv.token]
        mine, ceiling = [], []
        for _ in range(rounds):
            # an idle server costs nothing, so both stay up between rounds
            res = wrkrun.run(children, wrk, srv.url + CM_PATH, seconds, headers=headers)
            _say(log, "k1s", res)
            mine.append(_brief(res))
            if ng:
                res = wrkrun.run(children, wrk, ng.url(CM_PATH), seconds, headers=headers)
                _say(log, "nginx", res)
                ceiling.append(_brief(res))
        out["k1s_threads"] = srv.status().get("Threads")
        out["k1s_rounds"] = mine
        out["k1s"] = max(mine, key=lambda r: r["rps"])
        if ceiling:
            out["nginx_rounds"] = ceiling
            out["nginx"] = max(ceiling, key=lambda r: r["rps"])
            out["ratio"] = out["k1s"]["rps"] / out["nginx"]["rps"] if out["nginx"]["rps"] else None
    finally:
        if ng:
            ng.stop()
        srv.cleanup()
    return out
