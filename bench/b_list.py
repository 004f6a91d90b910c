"""Benchmark section 5: LIST of 10 000 small Pods in one namespace, timed
from sending the request to the last byte on a warm keep-alive connection
(median of 5): the whole list, the same in pages of limit=500 (all pages,
summed), and as a server-side Table. The Pods are created first over 32
concurrent connections. Called by bench/run.py."""
import asyncio
import json
import re
import time
import urllib.parse

import harness
import httpc

PODS = "/api/v1/namespaces/default/pods"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


async def create_pods(port, token, count, conns, deadline_s):
    ctx = harness.tls_context()
    failures = []

    async def worker(first, step):
        conn = await httpc.AsyncConn.open("127.0.0.1", port, ctx, token)
        try:
            for i in range(first, count, step):
                status, body = await conn.request("POST", PODS, pod("p-%05d" % i))
                if status != 201:
                    failures.append((status, body[:200]))
                    if len(failures) > 20:
                        return
        finally:
            conn.close()

    await asyncio.wait_for(asyncio.gather(*(worker(k, conns) for k in range(conns))),
                           deadline_s)
    return failures


def timed(cli, path, accept=None, runs=5):
    """Median seconds and the size of the last answer; one warm-up first."""
    headers = {"Accept": accept} if accept else None
    samples, size = [], 0
    for i in range(runs + 1):
        status, body, took = cli.request("GET", path, headers=headers)
        if status != 200:
            raise RuntimeError("GET %s -> %d: %s" % (path, status, body[:200]))
        size = len(body)
        if i:
            samples.append(took)
    return harness.median(samples), size


def paged(cli, limit, runs=5):
    """Median seconds to read every page; the number of pages and items.
    Timed runs only pick the continue token out of the list's metadata (it
    comes before the items), so that client JSON parsing is not timed; the
    warm-up run parses every page to count the items."""
    samples, pages, items = [], 0, 0
    for i in range(runs + 1):
        t0 = time.perf_counter()
        token, pages = "", 0
        while pages < 10000:
            q = {"limit": str(limit)}
            if token:
                q["continue"] = token
            status, body, _ = cli.request("GET", PODS + "?" + urllib.parse.urlencode(q))
            if status != 200:
                raise RuntimeError("paged LIST -> %d: %s" % (status, body[:200]))
            pages += 1
            if i == 0:
                doc = json.loads(body)
                items += len(doc.get("items", []))
                token = doc.get("metadata", {}).get("continue", "")
            else:
                head = body[:body.find(b'"items"')]
                m = re.search(rb'"continue":"([^"]*)"', head)
                token = m.group(1).decode() if m else ""
            if not token:
                break
        if i:
            samples.append(time.perf_counter() - t0)
    return harness.median(samples), pages, items


def run(children, binary, workdir, count, log):
    out = {"pods": count}
    srv = harness.K1s(children, binary, workdir)
    try:
        srv.start()
        t0 = time.perf_counter()
        failures = asyncio.run(create_pods(srv.port, srv.token, count, 32, 300))
        took = time.perf_counter() - t0
        if failures:
            raise RuntimeError("pod creation failed: %r" % failures[:3])
        out["create_s"] = took
        log("  created %d pods in %.1f s (%.0f/s over 32 connections)" % (count, took, count / took))
        cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token, timeout=60)
        full = cli.json("GET", PODS)
        out["items"] = len(full.get("items", []))
        if out["items"] != count:
            raise RuntimeError("LIST returned %d pods, expected %d" % (out["items"], count))
        full_s, full_bytes = timed(cli, PODS)
        out["full_ms"], out["full_bytes"] = full_s * 1e3, full_bytes
        log("  LIST all       %.1f ms (%.1f MiB)" % (full_s * 1e3, full_bytes / 2**20))
        page_s, pages, items = paged(cli, 500)
        out["paged_ms"], out["pages"] = page_s * 1e3, pages
        if items != count:
            raise RuntimeError("paged LIST returned %d pods, expected %d" % (items, count))
        log("  LIST limit=500 %.1f ms for all %d pages" % (page_s * 1e3, pages))
        table_s, table_bytes = timed(cli, PODS, accept=TABLE)
        out["table_ms"], out["table_bytes"] = table_s * 1e3, table_bytes
        log("  LIST as Table  %.1f ms (%.1f MiB)" % (table_s * 1e3, table_bytes / 2**20))
        status, body, _ = cli.request("GET", PODS + "?limit=1", headers={"Accept": TABLE})
        if status == 200 and json.loads(body).get("kind") != "Table":
            log("  note: the server did not answer with a Table")
        cli.close()
        out["rss_kib"] = srv.status().get("VmRSS")
    finally:
        srv.cleanup()
    return out
