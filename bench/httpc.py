"""Small HTTPS/1.1 clients for the benchmarks: a blocking one on a
persistent connection (timing single requests: LIST, /readyz) and an asyncio
one (many concurrent connections: bulk creates, watchers). Only what the
benchmarks need: Content-Length and chunked bodies, keep-alive."""
import asyncio
import http.client
import json
import time


class Client:
    """One keep-alive connection; reconnects once when the server closed it."""

    def __init__(self, host, port, ctx, token=None, timeout=30):
        self.host, self.port, self.ctx = host, port, ctx
        self.token = token
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                timeout=self.timeout)
        self.conn.connect()

    def request(self, method, path, body=None, headers=None):
        """Returns (status, body bytes, seconds from send to the last byte)."""
        hdrs = {"Accept": "application/json"}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self._connect()
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data, time.perf_counter() - t0
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, expect=(200, 201)):
        status, data, _ = self.request(method, path, body)
        if status not in expect:
            raise RuntimeError("%s %s -> %d: %s" % (method, path, status, data[:300]))
        return json.loads(data)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


class AsyncConn:
    """One asyncio TLS connection speaking HTTP/1.1 with keep-alive."""

    def __init__(self, reader, writer, host, token):
        self.reader, self.writer = reader, writer
        self.host = host
        self.token = token

    @classmethod
    async def open(cls, host, port, ctx, token=None):
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx,
                                                       limit=1 << 20)
        return cls(reader, writer, host, token)

    async def send(self, method, path, body=None, extra=""):
        if body is not None and not isinstance(body, bytes):
            body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n" % (
            method, path, self.host)
        if self.token:
            head += "Authorization: Bearer %s\r\n" % self.token
        if body is not None:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        head += extra + "\r\n"
        self.writer.write(head.encode() + (body or b""))
        await self.writer.drain()

    async def read_head(self):
        """Status code and lower-cased headers of the next response."""
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return status, headers

    async def read_body(self, headers):
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    return b"".join(parts)
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
        return await self.reader.read()

    async def request(self, method, path, body=None):
        await self.send(method, path, body)
        status, headers = await self.read_head()
        return status, await self.read_body(headers)

    def close(self):
        try:
            self.writer.close()
        except Exception:  # already reset by the peer: nothing to free
            pass
