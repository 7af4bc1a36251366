"""Helpers for the live tests: the server process, a SigV4 signer for hand-built requests,
aws-chunked encoders, checksums and S3 error parsing.

The hand-built requests exist for what boto3 and the aws CLI cannot send (tampered chunk
signatures, skewed clocks, malformed framing). Everything a real client can do is tested
with the real client, so a canonicalisation bug shared by this signer and the server
cannot hide itself.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import os
import queue
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib

REGION = "us-east-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


# --------------------------------------------------------------------------- checksums


def _crc_table(poly: int, width: int) -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _crc_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _crc_table(0x9A6C9329AC4BC9B5, 64)


def _crc_reflected(data: bytes, table: list[int], width: int) -> int:
    mask = (1 << width) - 1
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data: bytes) -> int:
    return _crc_reflected(data, _CRC32C_TABLE, 32)


def crc64nvme(data: bytes) -> int:
    return _crc_reflected(data, _CRC64NVME_TABLE, 64)


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The value S3 puts in x-amz-checksum-<algorithm> for `data`."""
    algorithm = algorithm.lower()
    if algorithm == "crc32":
        raw = struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)
    elif algorithm == "crc32c":
        raw = struct.pack(">I", crc32c(data))
    elif algorithm == "crc64nvme":
        raw = struct.pack(">Q", crc64nvme(data))
    elif algorithm == "sha1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "sha256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def multipart_etag(parts: list[bytes]) -> str:
    """`"md5-of-md5s-N"` as S3 computes it for a completed multipart upload."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


# --------------------------------------------------------------------------- errors


def parse_error(body: bytes) -> dict[str, str]:
    """The children of an S3 <Error> document as a dict (namespace stripped)."""
    root = ET.fromstring(body)
    assert root.tag.split("}")[-1] == "Error", body
    return {child.tag.split("}")[-1]: (child.text or "") for child in root}


def client_error(exc) -> tuple[int, str]:
    """(HTTP status, error code) of a botocore ClientError."""
    return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]


# --------------------------------------------------------------------------- SigV4


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = REGION, service: str = "s3") -> bytes:
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def uri_encode(s: str, keep_slash: bool = False) -> str:
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def canonical_query(query: str) -> str:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in enc)


@dataclasses.dataclass
class Signature:
    headers: dict[str, str]
    amz_date: str
    scope: str
    signature: str
    key: bytes


def sign_headers(method: str, path: str, query: str, headers: dict[str, str], payload_hash: str,
                 access_key: str, secret_key: str, when: dt.datetime | None = None,
                 region: str = REGION, amz_date_header: str | None = None) -> Signature:
    """Adds x-amz-date, x-amz-content-sha256 and Authorization to `headers` (which must
    already hold Host). `path` is the path as sent on the wire (already percent-encoded).
    `amz_date_header`: the x-amz-date header as sent, when it is not the ISO 8601 basic time
    of the string to sign (S3 also reads the RFC 7231 form)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = dict(headers)
    headers["x-amz-date"] = amz_date_header or amz_date
    headers["x-amz-content-sha256"] = payload_hash
    signed = {k.lower(): " ".join(str(v).strip().split()) for k, v in headers.items()
              if k.lower() not in ("content-length", "transfer-encoding", "expect", "user-agent")}
    names = sorted(signed)
    canonical = "\n".join([
        method,
        path,
        canonical_query(query),
        "".join(f"{n}:{signed[n]}\n" for n in names),
        ";".join(names),
        payload_hash,
    ])
    scope = f"{date}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(secret_key, date, region)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return Signature(headers, amz_date, scope, sig, key)


def chunk_signature(sig: Signature, previous: str, data: bytes) -> str:
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", sig.amz_date, sig.scope, previous, EMPTY_SHA256,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(sig.key, sts.encode(), hashlib.sha256).hexdigest()


def trailer_signature(sig: Signature, previous: str, trailer_text: bytes) -> str:
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", sig.amz_date, sig.scope, previous,
                     hashlib.sha256(trailer_text).hexdigest()])
    return hmac.new(sig.key, sts.encode(), hashlib.sha256).hexdigest()


def split_chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def signed_chunked_body(sig: Signature, data: bytes, chunk_size: int = 65536,
                        tamper_chunk: int | None = None,
                        trailer: tuple[str, str] | None = None) -> bytes:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) framing. With `tamper_chunk`, that
    chunk's data has one byte flipped after it was signed."""
    out = bytearray()
    previous = sig.signature
    for i, chunk in enumerate(split_chunks(data, chunk_size) + [b""]):
        s = chunk_signature(sig, previous, chunk)
        previous = s
        if tamper_chunk == i and chunk:
            chunk = bytes([chunk[0] ^ 0x01]) + chunk[1:]
        out += f"{len(chunk):x};chunk-signature={s}\r\n".encode() + chunk
        if chunk or trailer is None:
            out += b"\r\n"
    if trailer is not None:
        name, value = trailer
        text = f"{name}:{value}\n".encode()
        ts = trailer_signature(sig, previous, text)
        out += f"{name}:{value}\r\nx-amz-trailer-signature:{ts}\r\n\r\n".encode()
    return bytes(out)


def unsigned_trailer_body(data: bytes, trailer: tuple[str, str] | None, chunk_size: int = 65536) -> bytes:
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER framing, as botocore writes it."""
    out = bytearray()
    for chunk in split_chunks(data, chunk_size):
        out += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    out += b"0\r\n"
    if trailer is not None:
        out += f"{trailer[0]}:{trailer[1]}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


# --------------------------------------------------------------------------- raw HTTP


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def error(self) -> dict[str, str]:
        return parse_error(self.body)

    def code(self) -> str:
        return self.error().get("Code", "")


class Endpoint:
    """One listener (HTTP or HTTPS) of a running server."""

    def __init__(self, url: str, ca: str):
        self.url = url
        self.ca = ca
        parsed = urllib.parse.urlsplit(url)
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port
        self.netloc = parsed.netloc

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self.ssl_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def server_time(self) -> dt.datetime:
        """The server's own clock (whole seconds, UTC): the Date header of its health answer.
        Tests that sign for a time relative to "now" take it from here, not from their own clock."""
        r = self.request("GET", "/_coffer/health")
        assert r.status == 200 and "date" in r.headers, (r.status, r.headers)
        return email.utils.parsedate_to_datetime(r.headers["date"]).astimezone(dt.timezone.utc)

    def request(self, method: str, path: str, query: str = "", headers: dict | None = None,
                body: bytes | None = b"", creds: tuple[str, str] | None = None,
                payload_hash: str | None = None, when: dt.datetime | None = None,
                host: str | None = None, chunked_body: list[bytes] | None = None,
                timeout: float = 60) -> Response:
        """Send one request. `path` is already percent-encoded. With `creds` it is signed
        (payload hash: the body's SHA-256 unless given). With `chunked_body`, the body is
        sent with Transfer-Encoding: chunked and no Content-Length."""
        headers = dict(headers or {})
        if not any(k.lower() == "host" for k in headers):
            headers["Host"] = host or self.netloc
        if creds is not None:
            if payload_hash is None:
                payload_hash = hashlib.sha256(body or b"").hexdigest()
            headers = sign_headers(method, path, query, headers, payload_hash, creds[0], creds[1],
                                   when=when).headers
        url = path + ("?" + query if query else "")
        conn = self.connection(timeout)
        try:
            if chunked_body is not None:
                conn.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
                for k, v in headers.items():
                    conn.putheader(k, v)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for piece in chunked_body:
                    conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                conn.send(b"0\r\n\r\n")
            else:
                conn.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
                for k, v in headers.items():
                    conn.putheader(k, v)
                if not any(k.lower() == "content-length" for k in headers) and (body or method in ("PUT", "POST")):
                    conn.putheader("Content-Length", str(len(body or b"")))
                conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()


def object_path(bucket: str, key: str = "") -> str:
    return "/" + bucket + ("/" + uri_encode(key, keep_slash=True) if key else "")


def raw_exchange(host: str, port: int, request_head: bytes, body: bytes, timeout: float = 30,
                 wait_for_continue: bool = True) -> tuple[bytes, bytes]:
    """Plain-socket exchange over HTTP: send the head, read the interim response if
    `wait_for_continue`, send the body, read the final response. Returns (interim, final)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request_head)
        interim = b""
        if wait_for_continue:
            while b"\r\n\r\n" not in interim:
                piece = s.recv(4096)
                if not piece:
                    break
                interim += piece
        s.sendall(body)
        final = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                piece = s.recv(65536)
            except socket.timeout:
                break
            if not piece:
                break
            final += piece
            head, sep, rest = final.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if len(rest) >= length:
                    break
        return interim, final


# --------------------------------------------------------------------------- server process


class ServerError(RuntimeError):
    pass


class CofferProcess:
    """One `coffer serve` process on free loopback ports."""

    def __init__(self, binary: str, data_dir: str, log_path: str, root: tuple[str, str] | None,
                 users_file: str | None = None, extra_args: list[str] | None = None,
                 extra_env: dict[str, str] | None = None):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.root = root
        self.users_file = users_file
        self.extra_args = extra_args or []
        # Added to the child's environment after the COFFER_/AWS_ variables of the test's own
        # environment are dropped (e.g. COFFER_SSE_S3_ROOT_KEY for nodes that share a store).
        self.extra_env = dict(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []
        self.http_url = self.https_url = None
        self.ca = os.path.join(data_dir, "tls", "ca.pem")

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            lines = []
        return "\n".join(["-- stdout:"] + self.stdout_lines[-n:] + ["-- stderr:"] + lines[-n:])

    def start(self, timeout: float = 60) -> "CofferProcess":
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
        if self.root is not None:  # None: let the server generate or reuse its own
            env["COFFER_ROOT_ACCESS_KEY"], env["COFFER_ROOT_SECRET_KEY"] = self.root
        env.update(self.extra_env)
        args = [self.binary, "serve", "--data-dir", self.data_dir,
                "--http-address", "127.0.0.1:0", "--https-address", "127.0.0.1:0"]
        if self.users_file:
            args += ["--users", self.users_file]
        args += self.extra_args
        self.stdout_lines = []
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         env=env, start_new_session=True)
        finally:
            log.close()
        lines: queue.Queue = queue.Queue()

        def pump(stream, sink):
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\n")
                self.stdout_lines.append(line)
                sink.put(line)
            sink.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + timeout
        ready = False
        self.http_url = self.https_url = None
        while time.monotonic() < deadline and not (ready and self.http_url and self.https_url):
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line is None:
                break
            s = line.strip()
            if s.startswith("Coffer is ready"):
                ready = True
            elif s.startswith("HTTP:"):
                self.http_url = s.split(None, 1)[1].strip()
            elif s.startswith("HTTPS:"):
                self.https_url = s.split(None, 1)[1].strip()
        if not (ready and self.http_url and self.https_url):
            self.kill()
            raise ServerError(f"coffer did not print its banner within {timeout}s\n{self.log_tail()}")
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.http_url + "/_coffer/health", timeout=5) as r:
                    if r.status == 200:
                        return self
            except Exception:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise ServerError(f"coffer health check did not answer 200\n{self.log_tail()}")

    @property
    def http(self) -> Endpoint:
        return Endpoint(self.http_url, self.ca)

    @property
    def https(self) -> Endpoint:
        return Endpoint(self.https_url, self.ca)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait; returns the exit code (kills it and raises if it does not exit)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(f"coffer did not exit within {timeout}s of SIGTERM\n{self.log_tail()}")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
