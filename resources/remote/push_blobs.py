#!/usr/bin/env python3
"""Tunebench blob pusher: uploads model files from this (GPU) host straight to an OCI registry.

Python 3.8+ standard library only. Reads one JSON document from stdin (credentials travel only this
way, never on the command line or on disk). Mirrors the engine's TypeScript client: HEAD to skip,
POST to start, PATCH chunks with Content-Range, resume from the Location saved in stateDir, final
PUT ?digest=. Auth: anonymous, then what WWW-Authenticate asks for (Basic, or docker's bearer
tokens). Prints one JSON result line on stdout; exit 1 on error with a code and a sentence.
"""
import base64
import fcntl
import http.client
import ipaddress
import json
import os
import re
import ssl
import sys
import time
from urllib.parse import quote, urlencode, urljoin, urlsplit

USER_AGENT = "tunebench-pusher/1"
CONNECT_TIMEOUT_S = 15
READ_TIMEOUT_S = 300  # a registry hashing a large blob at the final PUT can be slow
PIECE = 1024 * 1024  # how much of a chunk is read from the file at a time
IDLE_RECONNECT_S = 20  # a body is never sent on a connection idle this long: a proxy may have closed it
IDENTITY_TOKEN_USER = "<token>"  # docker's marker for "the secret is an OAuth2 refresh token"
UNKNOWN_CA = {2, 18, 19, 20, 21}  # OpenSSL verify codes meaning "signed by a CA we do not know"
REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
CHALLENGE = re.compile(r"\s*(?:,\s*)*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|([^\s,]*)))?")


class Failure(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


def is_loopback(hostname):
    h = (hostname or "").strip("[]").lower()
    if h == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def origin(url):
    p = urlsplit(url)
    return (p.scheme, (p.hostname or "").lower(), p.port or (443 if p.scheme == "https" else 80))


def check_url(url, insecure_http):
    """https everywhere; plain http only to loopback or when asked, since credentials and weights would cross in the clear."""
    p = urlsplit(url)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise Failure("VALIDATION_FAILED", "%s is not an http(s) URL; give the registry like https://registry.example.com:5000." % url[:100])
    if p.scheme == "http" and not insecure_http and not is_loopback(p.hostname):
        raise Failure("VALIDATION_FAILED", "Refusing plain http:// to %s: use https://, or --insecure-http if this registry really has no TLS." % p.netloc)


def transport_failure(exc, host):
    if isinstance(exc, ssl.SSLCertVerificationError):
        if getattr(exc, "verify_code", None) in UNKNOWN_CA:
            return Failure("REGISTRY_TLS_UNTRUSTED", "The registry %s presents a certificate signed by a CA the GPU host does not trust; give its CA certificate with --ca-file (PEM)." % host)
        return Failure("REGISTRY_TLS_UNTRUSTED", "The registry %s presents a certificate that does not fit (%s); check the address and the server's certificate." % (host, getattr(exc, "verify_message", exc)))
    if isinstance(exc, ssl.SSLError):
        return Failure("REGISTRY_UNREACHABLE", "%s does not speak TLS on this port (%s); check the port, or whether the registry is plain http://." % (host, exc))
    if isinstance(exc, (OSError, http.client.HTTPException)):
        return Failure("REGISTRY_UNREACHABLE", "The GPU host cannot reach the registry %s (%s: %s); check the address, its network and that the registry is running." % (host, type(exc).__name__, exc))
    return exc


class Response:
    def __init__(self, url, status, headers, body):
        self.url, self.status, self.headers, self.body = url, status, headers, body

    def header(self, name):
        return self.headers.get(name)

    def error_text(self):
        """The registry's own words: CODE: message from its JSON error body, or the start of its text."""
        text = self.body.decode("utf-8", "replace").strip()
        try:
            errors = json.loads(text).get("errors") or []
            said = "; ".join(": ".join(str(x) for x in (e.get("code"), e.get("message")) if x) for e in errors)
            if said:
                return said
        except (ValueError, AttributeError):
            pass
        return text[:300] or "(no message)"


class Http:
    """One keep-alive connection per origin; the base origin's TLS context also serves realms and redirects."""

    def __init__(self, ca_pem):
        self.ctx = ssl.create_default_context()  # system roots, hostname checks
        if ca_pem:
            self.ctx.load_verify_locations(cadata=ca_pem)  # added to the default trust, not instead of it
        self.conns = {}

    def _connect(self, key):
        scheme, host, port = key
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=CONNECT_TIMEOUT_S, context=self.ctx)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT_S)
        conn.connect()
        conn.sock.settimeout(READ_TIMEOUT_S)
        return conn

    def drop(self, key):
        entry = self.conns.pop(key, None)
        if entry:
            entry[0].close()

    def request(self, method, url, headers, body=None, length=0):
        """body: None or a callable returning an iterable of bytes (length of them in all)."""
        key = origin(url)
        p = urlsplit(url)
        target = (p.path or "/") + ("?" + p.query if p.query else "")
        hdrs = {"User-Agent": USER_AGENT, "Content-Length": str(length)} if method in ("POST", "PUT", "PATCH") else {"User-Agent": USER_AGENT}
        hdrs.update(headers)
        for attempt in (0, 1):
            entry = self.conns.get(key)
            if entry and body is not None and time.time() - entry[1] > IDLE_RECONNECT_S:
                self.drop(key)
                entry = None
            reused = entry is not None
            try:
                conn = entry[0] if entry else self._connect(key)
                self.conns[key] = [conn, time.time()]
                conn.request(method, target, body=body() if body is not None else None, headers=hdrs)
                res = conn.getresponse()
                data = b"" if method == "HEAD" else res.read(1024 * 1024)
                if not res.isclosed() or res.will_close:
                    self.drop(key)  # a body we did not read whole, or the server is closing: start afresh next time
                else:
                    self.conns[key][1] = time.time()
                return Response(url, res.status, res.headers, data)
            except Failure:
                self.drop(key)
                raise
            except (OSError, http.client.HTTPException) as exc:
                self.drop(key)
                # A kept-alive connection the server closed while idle fails at once: try a fresh one, but never
                # re-send a body, since a cut link must surface so the engine can resume from the saved offset.
                if attempt == 0 and reused and body is None and isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
                    continue
                raise transport_failure(exc, p.netloc)


def parse_challenges(header):
    challenges, current, pos = [], None, 0
    while pos < len(header):
        m = CHALLENGE.match(header, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        token, quoted, bare = m.group(1), m.group(2), m.group(3)
        if quoted is None and bare is None:
            current = {"scheme": token.lower(), "params": {}}
            challenges.append(current)
        elif current is not None:
            current["params"][token.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    return challenges


class Auth:
    """Remembers what the registry asked for and answers it, like the engine's RegistryAuth."""

    def __init__(self, http_, host, creds, insecure_http):
        self.http, self.host, self.creds, self.insecure_http = http_, host, creds, insecure_http
        self.scheme, self.bearer, self.tokens = "none", None, {}

    def basic(self):
        raw = ("%s:%s" % (self.creds["username"], self.creds["password"])).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def authorization(self, scope):
        if self.scheme == "basic" and self.creds:
            return self.basic()
        if self.scheme != "bearer" or not self.bearer:
            return None
        cached = self.tokens.get(scope)
        if not cached or cached[1] <= time.time():
            self.fetch_token(self.bearer, scope)  # before a chunk, so it is not streamed only to be refused
        return "Bearer " + self.tokens[scope][0]

    def answer(self, www_authenticate, scope, sent):
        challenges = parse_challenges(www_authenticate or "")
        bearer = next((c for c in challenges if c["scheme"] == "bearer"), None)
        if bearer and bearer["params"].get("realm"):
            if sent and sent.startswith("Bearer "):
                self.tokens = {k: v for k, v in self.tokens.items() if "Bearer " + v[0] != sent}
                # An expired token earns one fresh one; a token without the rights means no access.
                if bearer["params"].get("error") != "invalid_token":
                    raise self.denied(scope)
            self.scheme, self.bearer = "bearer", bearer["params"]
            self.fetch_token(self.bearer, scope)
            return
        if any(c["scheme"] == "basic" for c in challenges):
            if not self.creds:
                raise Failure("REGISTRY_AUTH_FAILED", "%s asks for a user name and password; run `tunebench registry login` for it." % self.host)
            if sent and sent.startswith("Basic "):
                raise self.wrong_password()
            self.scheme = "basic"
            return
        raise Failure("REGISTRY_AUTH_FAILED", "%s refused the request and asks for an authentication Tunebench does not speak (%s)." % (self.host, (www_authenticate or "no WWW-Authenticate header")[:200]))

    def wrong_password(self):
        return Failure("REGISTRY_AUTH_FAILED", "Wrong user name or password for %s; run `tunebench registry login` for it again." % self.host)

    def denied(self, scope):
        repo = scope.split(":")[1]
        if self.creds:
            return Failure("REGISTRY_AUTH_FAILED", "%s accepted the login but gives it no push rights on %s; ask its administrator or log in with another account." % (self.host, repo))
        return Failure("REGISTRY_AUTH_FAILED", "%s needs a login for %s; run `tunebench registry login` for it." % (self.host, repo))

    def fetch_token(self, params, scope):
        realm = params["realm"]
        check_url(realm, self.insecure_http)
        query = [("service", params["service"])] if params.get("service") else []
        query.append(("scope", scope))
        # The realm is the one other origin that may see the credentials: it is where they are meant to go.
        if self.creds and self.creds["username"] == IDENTITY_TOKEN_USER:
            query += [("grant_type", "refresh_token"), ("refresh_token", self.creds["password"]), ("client_id", "tunebench")]
            form = urlencode(query).encode("ascii")
            res = self.http.request("POST", realm, {"Content-Type": "application/x-www-form-urlencoded"}, lambda: [form], len(form))
        else:
            if self.creds:
                query.append(("account", self.creds["username"]))
            url = realm + ("&" if urlsplit(realm).query else "?") + urlencode(query)
            res = self.http.request("GET", url, {"Authorization": self.basic()} if self.creds else {})
        if res.status in (401, 403):
            raise self.wrong_password() if self.creds else self.denied(scope)
        where = urlsplit(realm).netloc
        if res.status != 200:
            raise Failure("REGISTRY_REFUSED", "The token service of %s (%s) answered HTTP %d: %s" % (self.host, where, res.status, res.error_text()))
        try:
            doc = json.loads(res.body.decode("utf-8"))
            value = doc.get("token") or doc.get("access_token")
        except (ValueError, AttributeError):
            value, doc = None, {}
        if not isinstance(value, str) or not value:
            raise Failure("REGISTRY_REFUSED", "The token service of %s (%s) answered without a token; check the registry's auth setup." % (self.host, where))
        life = doc.get("expires_in")
        life = life if isinstance(life, (int, float)) and life > 0 else 60  # the spec's default
        self.tokens[scope] = (value, time.time() + max(life * 0.5, life - 30))  # renew early, never mid-request


class Registry:
    def __init__(self, spec):
        self.base = spec["baseUrl"].rstrip("/")
        self.insecure_http = bool(spec.get("insecureHttp"))
        check_url(self.base, self.insecure_http)
        self.host = urlsplit(self.base).netloc
        self.repo = spec["repository"]
        if not REPOSITORY.match(self.repo):  # it goes into URL paths as it is
            raise Failure("VALIDATION_FAILED", "%s is not a repository name (lower-case words joined by / . _ -)." % self.repo[:100])
        self.scope = "repository:%s:pull,push" % self.repo
        self.http = Http(spec.get("caPem"))
        self.auth = Auth(self.http, self.host, spec.get("credentials"), self.insecure_http)

    def resolve(self, url):
        return urljoin(self.base + "/", url)

    def send(self, method, url, headers=None, body=None, length=0):
        """Sends with the auth the registry asked for; credentials go only to the registry's own origin."""
        attempt = 0
        while True:
            url = self.resolve(url)
            same = origin(url) == origin(self.base)
            if not same:
                check_url(url, self.insecure_http)
            authorization = self.auth.authorization(self.scope) if same else None
            hdrs = dict(headers or {})
            if authorization:
                hdrs["Authorization"] = authorization
            res = self.http.request(method, url, hdrs, body, length)
            if res.status != 401 or not same:
                return res
            if attempt >= 2:
                raise Failure("REGISTRY_AUTH_FAILED", "%s keeps refusing the login for %s; run `tunebench registry login` for it again." % (self.host, self.repo))
            attempt += 1
            self.auth.answer(res.header("WWW-Authenticate"), self.scope, authorization)

    def refusal(self, res, what):
        if res.status == 403:
            return Failure("REGISTRY_AUTH_FAILED", "%s: %s refused access (%s); the account may lack push rights on %s." % (what, self.host, res.error_text(), self.repo))
        return Failure("REGISTRY_REFUSED", "%s: %s answered HTTP %d: %s" % (what, self.host, res.status, res.error_text()))

    def has_blob(self, digest):
        url = "/v2/%s/blobs/%s" % (self.repo, digest)
        for _ in range(5):  # storage redirects (S3 and friends) get no Authorization: send() only signs our origin
            res = self.send("HEAD", url)
            if res.status == 200:
                return True
            if res.status == 404:
                return False
            if res.status in (301, 302, 303, 307, 308) and res.header("Location"):
                url = urljoin(res.url, res.header("Location"))
                continue
            raise self.refusal(res, "Checking blob %s" % digest[:19])
        raise Failure("REGISTRY_REFUSED", "%s redirected blob %s too many times." % (self.host, digest[:19]))

    def start_upload(self):
        res = self.send("POST", "/v2/%s/blobs/uploads/" % self.repo, length=0)
        if res.status != 202:
            raise self.refusal(res, "Starting an upload to %s" % self.repo)
        if not res.header("Location"):
            raise Failure("REGISTRY_REFUSED", "%s started an upload without saying where to send it (no Location)." % self.host)
        return self.resolve(res.header("Location")), 0

    def upload_status(self, location):
        """Where an upload stands (GET: 204 with Range); None when the registry no longer knows it."""
        res = self.send("GET", location)
        if 400 <= res.status < 500:
            return None  # expired, unknown, or (docker-registry 2.8) invalidated by a partial chunk
        if res.status not in (200, 204):
            raise self.refusal(res, "Asking where an upload stands")
        end = range_end(res.header("Range"))
        return self.resolve(res.header("Location") or location), (0 if not end else end + 1)


def range_end(value):
    m = re.search(r"(\d+)-(\d+)\s*$", value or "")
    return int(m.group(2)) if m else None


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def file_pieces(path, offset, length):
    def gen():
        with open(path, "rb") as f:
            f.seek(offset)
            left = length
            while left > 0:
                buf = f.read(min(PIECE, left))
                if not buf:
                    raise Failure("VERIFY_FAILED", "%s is shorter than when it was checked; check the model again before pushing." % path)
                left -= len(buf)
                yield buf
    return gen


def push_file(reg, item, chunk_bytes, state_dir, progress):
    path, size = item["path"], int(item["size"])
    hexd = item["sha256"].lower().replace("sha256:", "")
    digest = "sha256:" + hexd
    state_file = os.path.join(state_dir, hexd + ".json")

    def report(offset):
        progress.write(json.dumps({"file": path, "sha256": hexd, "offset": offset, "size": size, "ts": time.time()}) + "\n")
        progress.flush()

    if reg.has_blob(digest):
        if os.path.exists(state_file):
            os.unlink(state_file)
        report(size)
        return {"sha256": hexd, "skipped": True, "resumedAt": size, "sent": 0}
    session = None
    try:
        with open(state_file) as f:
            saved = json.load(f)
        if saved.get("baseUrl") == reg.base and saved.get("repository") == reg.repo and saved.get("size") == size:
            session = reg.upload_status(saved["location"])
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        pass  # no saved upload, or one we cannot read: start a new one
    if session and session[1] > size:
        session = None  # not this blob's upload
    resumed_at = session[1] if session else 0
    location, offset = session if session else reg.start_upload()

    def save(loc):
        write_atomic(state_file, json.dumps({"baseUrl": reg.base, "repository": reg.repo, "size": size, "location": loc}))

    save(location)
    report(offset)
    sent, out_of_order = 0, 0
    while offset < size:
        length = min(chunk_bytes, size - offset)
        res = reg.send("PATCH", location, {"Content-Type": "application/octet-stream", "Content-Range": "%d-%d" % (offset, offset + length - 1)},
                       file_pieces(path, offset, length), length)
        sent += length
        if res.status == 416 and out_of_order < 3:
            out_of_order += 1  # the registry holds another offset than we thought: ask it and go on from there
            status = reg.upload_status(location)
            if not status:
                raise Failure("REGISTRY_REFUSED", "%s lost the upload of %s midway; push again." % (reg.host, digest[:19]))
            location, offset = status
            continue
        if res.status not in (202, 204):
            raise reg.refusal(res, "Uploading %s at byte %d" % (digest[:19], offset))
        location = reg.resolve(res.header("Location") or location)
        end = range_end(res.header("Range"))
        # Trust the registry's count over ours, except for "0-0" which means zero or one byte.
        offset = end + 1 if end is not None and end > 0 and end + 1 <= size else offset + length
        save(location)  # before the next chunk, so a run that dies here resumes from this offset
        report(offset)
    sep = "&" if urlsplit(location).query else "?"
    res = reg.send("PUT", location + sep + "digest=" + quote(digest, safe=":"), length=0)
    if res.status not in (201, 204):
        said = res.error_text()
        if re.search(r"DIGEST_INVALID|SIZE_INVALID", said):
            raise Failure("VERIFY_FAILED", "The bytes pushed from %s do not hash to %s (%s); the file changed while it was read, check the model and push again." % (path, digest, said))
        raise Failure("REGISTRY_REFUSED", "Finishing the upload of %s: %s answered HTTP %d: %s" % (digest[:19], reg.host, res.status, said))
    stored = res.header("Docker-Content-Digest")
    if stored and stored != digest:
        raise Failure("VERIFY_FAILED", "%s stored the blob as %s, not %s; check the registry." % (reg.host, stored, digest))
    os.unlink(state_file)
    return {"sha256": hexd, "skipped": False, "resumedAt": resumed_at, "sent": sent}


def probe(spec):
    try:
        reg = Registry(spec)
        res = reg.http.request("GET", reg.base + "/v2/", {})
        if res.status in (200, 401):
            return {"reachable": True, "error": None}
        return {"reachable": False, "error": "%s answered /v2/ with HTTP %d; it does not look like a registry." % (reg.host, res.status)}
    except Failure as exc:
        return {"reachable": False, "error": str(exc), "code": exc.code}


def push(spec):
    files = spec["files"]
    for item in files:
        if not re.match(r"^(sha256:)?[a-fA-F0-9]{64}$", str(item.get("sha256", ""))):
            raise Failure("VALIDATION_FAILED", "%s is not a sha256 hex digest." % str(item.get("sha256"))[:80])
        try:
            actual = os.stat(item["path"]).st_size
        except OSError as exc:
            raise Failure("VERIFY_FAILED", "Cannot read %s on the GPU host (%s); check the model again before pushing." % (item["path"], exc.strerror))
        if actual != int(item["size"]):
            raise Failure("VERIFY_FAILED", "%s is %d bytes, not the %d that were checked; the file changed, check the model again." % (item["path"], actual, int(item["size"])))
    chunk_bytes = max(1, int(spec.get("chunkBytes") or 16 * 1024 * 1024))
    reg = Registry(spec)
    os.makedirs(spec["stateDir"], mode=0o700, exist_ok=True)
    # A push orphaned by a dropped SSH link keeps going; a new one waits for it rather than share its state files,
    # then finds its blobs already there.
    lock = open(spec["stateDir"].rstrip("/") + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    with open(spec["progressFile"], "a") as progress:
        return {"ok": True, "files": [push_file(reg, item, chunk_bytes, spec["stateDir"], progress) for item in files]}


def main():
    try:
        spec = json.loads(sys.stdin.read())
        if spec.get("probe"):
            print(json.dumps(probe(spec)))
            return 0
        result = push(spec)
    except Failure as exc:
        result = {"ok": False, "code": exc.code, "error": str(exc)}
    except (ValueError, KeyError, TypeError) as exc:
        result = {"ok": False, "code": "VALIDATION_FAILED", "error": "The push request is malformed (%s: %s); this is a bug in Tunebench." % (type(exc).__name__, exc)}
    except OSError as exc:
        result = {"ok": False, "code": "REMOTE_COMMAND_FAILED", "error": "The GPU host could not write the push's state (%s); check its disk." % exc}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
