# shellcheck shell=bash
# shellcheck disable=SC2016 # '$VAR' in single quotes: expanded in the container
# docker:// pulls from a real registry: Debian's docker-registry (the CNCF
# distribution registry) started on the loopback by each case, with its
# storage in $TESTTMP, filled with skopeo from the OCI layouts in
# $OCHRE_IMAGES, and stopped when the case ends (a tracked background job;
# the harness also kills whatever mentions $TESTTMP). Anonymous, basic-auth
# and bearer-token registries (a small python3 token service signing JWTs
# with an openssl key the registry trusts); credentials from the
# environment, --authfile and `ochre registry login`; errors; an
# interrupted download; platforms; digests; what a cached launch costs.
# The images are plain busybox ones, so every case runs as root and as the
# test user; nothing here needs the internet.

# ------------------------------------------------------------------ helpers

need_registry() {
    need_images
    local t
    for t in docker-registry skopeo python3 curl openssl htpasswd; do
        command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps.sh)"
    done
}

_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# `_registry_start [none|basic|token]`: a registry on 127.0.0.1, reached as
# REG=localhost:PORT; its access log (one line per request) is REG_LOG and
# its storage REG_DATA. basic: user "ochre-user", password REG_PASS.
# token: bearer tokens from _token_start's service.
REG_USER=ochre-user
REG_PASS='s3cret-Pa55:word'
_registry_start() {
    local auth=${1:-none} dir=$TESTTMP/registry
    mkdir -p "$dir/data"
    REG_PORT=$(_free_port)
    REG=localhost:$REG_PORT
    REG_LOG=$dir/log
    REG_DATA=$dir/data
    {
        echo "version: 0.1"
        echo "log: {level: info, accesslog: {disabled: false}}"
        echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
        echo "http: {addr: 127.0.0.1:$REG_PORT, secret: ochre-test-secret}"
        case $auth in
            basic)
                htpasswd -Bbc "$dir/htpasswd" "$REG_USER" "$REG_PASS" 2>/dev/null
                echo "auth: {htpasswd: {realm: ochre-test, path: $dir/htpasswd}}"
                ;;
            token)
                echo "auth: {token: {realm: 'http://127.0.0.1:$TOKEN_PORT/token', service: ochre-test-registry,"
                echo "  issuer: ochre-test-issuer, rootcertbundle: $TOKEN_DIR/cert.pem}}"
                ;;
        esac
    } >"$dir/config.yml"
    docker-registry serve "$dir/config.yml" >"$REG_LOG" 2>&1 &
    REG_PID=$!
    track "$REG_PID"
    wait_until 20 _http_up "http://127.0.0.1:$REG_PORT/v2/" ||
        fail "the registry did not start: $(tail -n 5 "$REG_LOG")"
}

# Any HTTP answer (401 included) means the server is up.
_http_up() { curl -s -o /dev/null --max-time 2 "$@"; }

# `_push LAYOUT:TAG REPO:TAG [skopeo options]`: copy a test image in.
_push() {
    local src=$1 dst=$2
    shift 2
    skopeo copy -q --dest-tls-verify=false "$@" "oci:$IMAGES/$src" "docker://$REG/$dst" ||
        fail "skopeo could not push $src to $REG/$dst"
}

# Requests the registry served so far whose path contains $1.
_requests() { grep -c "\"[A-Z]* /v2/[^ ]*$1" "$REG_LOG" || true; }

# The digest of a test layout's manifest for a tag.
_layout_digest() { # LAYOUT TAG
    python3 - "$IMAGES/$1" "$2" <<'EOF'
import json, sys
for d in json.load(open(sys.argv[1] + "/index.json"))["manifests"]:
    if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(d["digest"])
EOF
}

# The token service for the "token" registry: anonymous callers get pull
# access to repositories under pub/ only, REG_USER with REG_PASS gets
# everything, a wrong password gets 401. Tokens are RS256 JWTs carrying the
# certificate (x5c), which the registry checks against its rootcertbundle.
# Each request is logged to TOKEN_LOG as "anon" or "user".
_token_start() {
    TOKEN_DIR=$TESTTMP/token
    TOKEN_LOG=$TOKEN_DIR/log
    mkdir -p "$TOKEN_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TOKEN_DIR/key.pem" -out "$TOKEN_DIR/cert.pem" \
        -days 2 -subj /CN=ochre-test-token >/dev/null 2>&1 || fail "openssl could not make a key"
    cat >"$TOKEN_DIR/server.py" <<'EOF'
import base64, http.server, json, subprocess, sys, time, urllib.parse
port_file, key, cert, user, password, log = sys.argv[1:]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization")
        good = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        with open(log, "a") as f:
            f.write("%s %s\n" % (url.path, "user" if auth else "anon"))
        if auth and auth != good:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        access = []
        for scope in " ".join(q.get("scope", [])).split():
            typ, name, actions = scope.split(":")
            if auth:
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
            elif name.startswith("pub/"):
                access.append({"type": typ, "name": name, "actions": ["pull"]})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "ochre-test-issuer", "sub": user if auth else "", "aud": q.get("service", [""])[0],
                  "exp": now + 600, "nbf": now - 60, "iat": now, "jti": "%d-%d" % (now, id(self)),
                  "access": access}
        signing = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                             capture_output=True, check=True).stdout
        token = signing + "." + b64u(sig)
        body = json.dumps({"token": token, "access_token": token, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
EOF
    python3 "$TOKEN_DIR/server.py" "$TOKEN_DIR/port" "$TOKEN_DIR/key.pem" "$TOKEN_DIR/cert.pem" \
        "$REG_USER" "$REG_PASS" "$TOKEN_LOG" &
    track $!
    wait_until 20 test -s "$TOKEN_DIR/port" || fail "the token service did not start"
    TOKEN_PORT=$(cat "$TOKEN_DIR/port")
}

# A forwarding proxy in front of the registry, reached as PROXY=localhost:PORT
# (PROXY_PID is its pid), in one of these modes:
#   slow      blob bodies go out slowly (16 KiB per DELAY seconds), so a
#             download can be interrupted midway;
#   429       manifest requests are refused with 429 and Retry-After: 17;
#   redirect  blob requests are redirected to http://127.0.0.1:PORT/_storage/
#             (another host name: "object storage"), which logs to
#             $TESTTMP/storage.log whether an Authorization header came
#             along, and fetches from the registry with $PROXY_AUTH.
_proxy_start() { # UPSTREAM_PORT MODE [DELAY]
    cat >"$TESTTMP/proxy.py" <<'EOF'
import http.server, os, sys, time, urllib.error, urllib.request
upstream, port_file, mode, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
storage_log = os.path.join(os.path.dirname(port_file), "storage.log")
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def forward(self, method):
        path = self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        if mode == "429" and "/manifests/" in path:
            return self.reply(429, [("Retry-After", "17")])
        if mode == "redirect" and "/blobs/" in path and not path.startswith("/_storage/"):
            port = self.server.server_address[1]
            return self.reply(307, [("Location", "http://127.0.0.1:%d/_storage%s" % (port, path))])
        if path.startswith("/_storage/"):
            with open(storage_log, "a") as f:
                f.write("auth=%s\n" % ("yes" if "Authorization" in self.headers else "no"))
            path = path[len("/_storage"):]
            headers.pop("Authorization", None)
            if os.environ.get("PROXY_AUTH"):
                headers["Authorization"] = os.environ["PROXY_AUTH"]
        req = urllib.request.Request(upstream + path, method=method, headers=headers)
        try:
            r = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            r = e
        self.send_response(r.getcode())
        for k, v in r.headers.items():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        if method == "HEAD":
            return
        while True:
            chunk = r.read(16384)
            if not chunk:
                break
            self.wfile.write(chunk)
            self.wfile.flush()
            if mode == "slow" and "/blobs/" in self.path:
                time.sleep(delay)
    def do_GET(self):
        self.forward("GET")
    def do_HEAD(self):
        self.forward("HEAD")
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
EOF
    rm -f "$TESTTMP/proxy.port"
    python3 "$TESTTMP/proxy.py" "http://127.0.0.1:$1" "$TESTTMP/proxy.port" "$2" "${3:-0}" &
    PROXY_PID=$!
    track "$PROXY_PID"
    wait_until 20 test -s "$TESTTMP/proxy.port" || fail "the proxy did not start"
    PROXY=localhost:$(cat "$TESTTMP/proxy.port")
}

# Nothing in the blob store but what was verified: every file's name is
# its content's digest.
assert_blobs_verified() {
    local f bad=
    for f in "$(cache_root)"/blobs/sha256/*; do
        [ -e "$f" ] || continue
        [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] || bad="$bad ${f##*/}"
    done
    [ -z "$bad" ] || fail "blobs in the store that do not match their names:$bad"
}

# ------------------------------------------------------------------ the tests

# Anonymous pull and launch, plain HTTP by --no-https or by the admin's
# allow-list; quiet when stderr is not a terminal.
test_registry_pull_exec() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    local digest
    digest=$(_layout_digest busybox-oci latest)
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:latest"
    assert_eq "$digest" "$OUT" "pull prints the manifest digest"
    assert_eq "" "$ERR" "pull is quiet when stderr is not a terminal"
    assert_blobs_verified
    assert_status 0 oexec --no-https "docker://$REG/acc/busybox" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"; pwd'
    assert_eq "from-image
/srv/work" "$OUT" "image config of a pulled image"
    assert_status 0 "$OCHRE" run --runtime "$OCHRE_RUNTIME" --no-https "docker://$REG/acc/busybox:latest" x
    assert_eq "entry x" "$OUT"
    assert_status 0 "$OCHRE" cache list
    assert_contains "$OUT" "docker://$REG/acc/busybox:latest"
    # Without --no-https, HTTPS is tried, and fails clearly.
    assert_error "TLS" "$OCHRE" exec "docker://$REG/acc/busybox:latest" /bin/true
    # The admin's allow-list instead of --no-https (only root may name
    # another config when the starter is setuid).
    if ! is_root && [ -u "$OCHRE_PREFIX/libexec/ochre/ochre-starter" ]; then
        assert_nothing_left
        return 0
    fi
    printf 'insecure registry = %s\ninsecure registry = other.example:5000\n' "$REG" >"$TESTTMP/ochre.conf"
    rm -rf "$(cache_root)"
    assert_status 0 "$OCHRE" -c "$TESTTMP/ochre.conf" exec --runtime "$OCHRE_RUNTIME" \
        "docker://$REG/acc/busybox:latest" /bin/true
    assert_eq 1 "$(cache_count)"
    assert_nothing_left
}

# A cached tag costs one manifest request (a HEAD) and no blob request;
# --no-pull and a digest reference cost none and do not run the importer.
test_registry_cached_requests() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    local digest m0 b0
    digest=$(_layout_digest busybox-oci latest)
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:latest"
    m0=$(_requests /manifests/) b0=$(_requests /blobs/)
    assert_status 0 oexec --no-https "docker://$REG/acc/busybox:latest" /bin/true
    assert_eq $((m0 + 1)) "$(_requests /manifests/)" "manifest requests of a cached tag launch"
    assert_eq "$b0" "$(_requests /blobs/)" "blob requests of a cached tag launch"
    assert_contains "$(grep /manifests/ "$REG_LOG" | tail -n 1)" '"HEAD ' "the one request is a HEAD"
    m0=$((m0 + 1))
    assert_status 0 "$OCHRE" --debug exec --runtime "$OCHRE_RUNTIME" --no-pull \
        "docker://$REG/acc/busybox:latest" /bin/true
    assert_not_contains "$ERR" "ochre-import" "--no-pull ran the importer"
    assert_status 0 "$OCHRE" --debug exec --runtime "$OCHRE_RUNTIME" --no-https \
        "docker://$REG/acc/busybox@$digest" /bin/true
    assert_not_contains "$ERR" "ochre-import" "a cached digest reference ran the importer"
    assert_eq "$m0" "$(_requests /manifests/)" "requests for --no-pull or a digest"
    # A digest never pulled before: fetched by digest, no tag involved.
    assert_status 0 "$OCHRE" cache clean --all
    m0=$(_requests /manifests/latest)
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox@$digest"
    assert_eq "$digest" "$OUT"
    assert_eq "$m0" "$(_requests /manifests/latest)" "a digest pull asked for the tag"
    # --no-pull of something not cached is an error, without a request.
    assert_error "--no-pull" oexec --no-pull "docker://$REG/acc/busybox:other" /bin/true
    m0=$(_requests /manifests/)
    assert_status 0 "$OCHRE" pull --cache-only --no-pull "docker://$REG/acc/busybox@$digest"
    assert_eq "$digest" "$OUT" "pull --no-pull of a cached digest"
    assert_status 0 "$OCHRE" pull --cache-only --no-pull "docker://$REG/acc/busybox:latest"
    assert_eq "$digest" "$OUT" "pull --no-pull of a cached tag"
    assert_error "--no-pull" "$OCHRE" pull --cache-only --no-pull "docker://$REG/acc/busybox:user"
    assert_eq "$m0" "$(_requests /manifests/)" "requests for pull --no-pull"
    # The registry becomes unreachable: a tag pulled before still runs
    # (with a warning); one never pulled is a clear error.
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:latest"
    kill -KILL "$REG_PID"
    wait "$REG_PID" 2>/dev/null || true
    assert_status 0 oexec --no-https "docker://$REG/acc/busybox:latest" /bin/true
    assert_contains "$ERR" "cannot connect"
    assert_contains "$ERR" "using the copy of docker://$REG/acc/busybox:latest cached earlier"
    assert_error "cannot connect" oexec --no-https "docker://$REG/acc/busybox:other" /bin/true
    assert_nothing_left
}

# Bad references and unreachable or unknown images: one clear error, 255,
# and nothing left in the cache.
test_registry_errors() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    assert_error "no manifest for tag 'nope'" oexec --no-https "docker://$REG/acc/busybox:nope" /bin/true
    assert_error "unknown tag or repository" "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/none:latest"
    assert_error "bad docker:// reference" "$OCHRE" pull --cache-only "docker://$REG/Acc/BusyBox"
    assert_error "bad docker:// reference" "$OCHRE" pull --cache-only "docker://$REG/acc/busybox@sha256:1234"
    assert_error "bad docker:// reference" "$OCHRE" pull --cache-only "docker://"
    assert_error "--platform needs" "$OCHRE" pull --cache-only --platform linux "docker://$REG/acc/busybox"
    local closed
    closed=$(_free_port)
    assert_error "cannot connect" "$OCHRE" pull --cache-only --no-https "docker://localhost:$closed/acc/busybox"
    assert_cache_clean
    assert_nothing_left
}

# A registry that serves a corrupt layer: refused, and the store keeps
# nothing unverified.
test_registry_corrupt_blob() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    local layer data
    layer=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
        "$IMAGES/busybox-oci/blobs/sha256/$(_layout_digest busybox-oci latest | cut -d: -f2)")
    data=$REG_DATA/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
    [ -f "$data" ] || fail "no layer data at $data"
    # Same size, different bytes: only the digest can tell.
    python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(1000); f.write(b"corrupt!"); f.close()' "$data"
    assert_error "corrupt" "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:latest"
    assert_contains "$ERR" "$layer"
    assert_cache_clean
    assert_blobs_verified
    [ ! -e "$(cache_root)/blobs/sha256/${layer#sha256:}" ] || fail "the corrupt layer is in the store"
    assert_nothing_left
}

# Basic auth: credentials from the environment (three spellings),
# --authfile and `ochre registry login`; a wrong password; and never a
# secret in --debug output.
test_registry_basic_auth() {
    need_registry
    _registry_start basic
    _push busybox-oci:latest acc/busybox:latest --dest-creds "$REG_USER:$REG_PASS"
    local img=docker://$REG/acc/busybox:latest b64
    b64=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
    assert_error "needs a login" "$OCHRE" pull --cache-only --no-https "$img"
    assert_error "wrong username or password" env OCHRE_DOCKER_USERNAME="$REG_USER" \
        OCHRE_DOCKER_PASSWORD=wrong "$OCHRE" pull --cache-only --no-https "$img"
    assert_cache_clean
    assert_status 0 env OCHRE_DOCKER_USERNAME="$REG_USER" OCHRE_DOCKER_PASSWORD="$REG_PASS" \
        "$OCHRE" --debug pull --cache-only --no-https "$img"
    assert_not_contains "$ERR" "$REG_PASS" "the password in --debug output"
    assert_not_contains "$ERR" "$b64" "the encoded password in --debug output"
    assert_contains "$ERR" "credentials from \$OCHRE_DOCKER_USERNAME"
    for prefix in SINGULARITY APPTAINER; do
        rm -rf "$(cache_root)"
        assert_status 0 env "${prefix}_DOCKER_USERNAME=$REG_USER" "${prefix}_DOCKER_PASSWORD=$REG_PASS" \
            "$OCHRE" pull --cache-only --no-https "$img"
    done
    # --authfile, in the containers auth.json format.
    printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$b64" >"$TESTTMP/auth.json"
    rm -rf "$(cache_root)"
    assert_status 0 "$OCHRE" pull --cache-only --no-https --authfile "$TESTTMP/auth.json" "$img"
    assert_error "--authfile" "$OCHRE" pull --cache-only --no-https --authfile "$TESTTMP/missing.json" "$img"
    # ochre registry login / logout.
    assert_error "wrong username or password" "$OCHRE" registry login --no-https --username "$REG_USER" \
        --password-stdin "$REG" <<<"wrong"
    [ ! -e "$HOME/.config/ochre/auth.json" ] || fail "a failed login stored credentials"
    run "$OCHRE" --debug registry login --no-https --username "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
    # shellcheck disable=SC2153 # STATUS comes from lib.sh's run
    assert_eq 0 "$STATUS" "login: $ERR"
    assert_not_contains "$ERR" "$REG_PASS" "the password in --debug output of login"
    assert_eq 600 "$(stat -c %a "$HOME/.config/ochre/auth.json")" "auth.json mode"
    assert_contains "$(cat "$HOME/.config/ochre/auth.json")" "\"$REG\""
    rm -rf "$(cache_root)"
    assert_status 0 oexec --no-https "$img" /bin/true
    local m0
    m0=$(_requests /manifests/)
    assert_status 0 oexec --no-https "$img" /bin/true
    assert_eq $((m0 + 1)) "$(_requests /manifests/)" "manifest requests of a cached tag launch with basic auth"
    assert_status 0 "$OCHRE" registry logout "$REG"
    rm -rf "$(cache_root)"
    assert_error "needs a login" "$OCHRE" pull --cache-only --no-https "$img"
    assert_nothing_left
}

# Bearer tokens: anonymous ones where the token service allows, with
# credentials elsewhere; a wrong password; no token in --debug output.
test_registry_token_auth() {
    need_registry
    _token_start
    _registry_start token
    _push busybox-oci:latest acc/busybox:latest --dest-creds "$REG_USER:$REG_PASS"
    _push busybox-oci:latest pub/busybox:latest --dest-creds "$REG_USER:$REG_PASS"
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/pub/busybox:latest"
    assert_eq "anon" "$(tail -n 1 "$TOKEN_LOG" | cut -d' ' -f2)" "anonymous token"
    assert_error "needs a login" "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:other"
    assert_error "wrong username or password" "$OCHRE" registry login --no-https --username "$REG_USER" \
        --password-stdin "$REG" <<<"wrong"
    assert_status 0 "$OCHRE" registry login --no-https --username "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
    rm -rf "$(cache_root)"
    assert_status 0 "$OCHRE" --debug exec --runtime "$OCHRE_RUNTIME" --no-https \
        "docker://$REG/acc/busybox:latest" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"'
    assert_eq from-image "$OUT"
    assert_contains "$ERR" "bearer token (with credentials)"
    assert_not_contains "$ERR" "$REG_PASS" "the password in --debug output"
    assert_not_contains "$ERR" "Bearer ey" "a token in --debug output"
    assert_eq "user" "$(tail -n 1 "$TOKEN_LOG" | cut -d' ' -f2)" "credentialed token"
    # The cached tag again: the token first (the registry's challenge is
    # remembered), then exactly one manifest request.
    local m0
    m0=$(_requests /manifests/)
    assert_status 0 oexec --no-https "docker://$REG/acc/busybox:latest" /bin/true
    assert_eq $((m0 + 1)) "$(_requests /manifests/)" "manifest requests of a cached tag launch with tokens"
    assert_nothing_left
}

# kill -9 of the importer mid-download, then a dropped connection: no
# entry, nothing unverified in the store; the next pull succeeds.
test_registry_interrupted_pull() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    _proxy_start "$REG_PORT" slow 0.05
    "$OCHRE" pull --cache-only --no-https "docker://$PROXY/acc/busybox:latest" >/dev/null 2>&1 &
    local pid=$! importer
    track "$pid"
    # Wait for a partial download in tmp/, then kill the importer outright.
    wait_until 30 _partial_download || fail "no download started"
    importer=$(pgrep -u "$(id -u)" -f "ochre-import.*$TESTTMP" | head -n 1)
    [ -n "$importer" ] || fail "no importer running"
    kill -KILL "$importer"
    wait "$pid" || true
    [ -z "$(cache_entries)" ] || fail "an interrupted pull left a cache entry"
    assert_blobs_verified
    # The network drops (the proxy dies) mid-download.
    "$OCHRE" pull --cache-only --no-https "docker://$PROXY/acc/busybox:latest" >"$TESTTMP/drop.out" 2>"$TESTTMP/drop.err" &
    pid=$!
    track "$pid"
    wait_until 30 _partial_download || fail "no download started (second time)"
    kill -KILL "$PROXY_PID"
    local status=0
    wait "$pid" || status=$?
    assert_eq 255 "$status" "pull over a dropped connection: $(cat "$TESTTMP/drop.err")"
    assert_contains "$(cat "$TESTTMP/drop.err")" "localhost:"
    [ "$(wc -l <"$TESTTMP/drop.err")" = 1 ] || fail "not one error line: $(cat "$TESTTMP/drop.err")"
    [ -z "$(cache_entries)" ] || fail "a dropped pull left a cache entry"
    assert_blobs_verified
    # Straight from the registry now: it completes and cleans up after them.
    assert_status 0 oexec --no-https "docker://$REG/acc/busybox:latest" /bin/true
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "tmp/ not empty after the retry"
    assert_blobs_verified
    assert_nothing_left
}

_partial_download() {
    local f
    for f in "$(cache_root)"/tmp/blob.*; do
        [ -s "$f" ] && return 0
    done
    return 1
}

# A multi-platform index (pushed with skopeo --all): the host's platform by
# default, another with --platform, a clear error for one not offered.
test_registry_platforms() {
    need_registry
    [ "$(uname -m)" = x86_64 ] || skip "the multiarch image has a real image only for amd64"
    _registry_start
    _push multiarch-oci:latest acc/multi:latest --all
    local native arm
    native=$(_layout_digest busybox-oci latest)
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/multi:latest"
    assert_eq "$native" "$OUT" "the host's platform"
    assert_status 0 "$OCHRE" pull --cache-only --no-https --platform linux/arm64 "docker://$REG/acc/multi:latest"
    arm=$OUT
    [ "$arm" != "$native" ] || fail "--platform linux/arm64 picked the amd64 image"
    assert_contains "$(cat "$(cache_root)/images/sha256-${arm#sha256:}/image.json")" '"architecture":"arm64"'
    assert_error "no image for the requested platform linux/ppc64le" \
        "$OCHRE" pull --cache-only --no-https --platform linux/ppc64le "docker://$REG/acc/multi:latest"
    assert_contains "$ERR" "linux/s390x" "offered platforms not listed"
    assert_status 0 oexec --no-https "docker://$REG/acc/multi:latest" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"'
    assert_eq from-image "$OUT"
    # --no-pull is per platform too.
    assert_status 0 oexec --no-pull --platform linux/amd64 "docker://$REG/acc/multi:latest" /bin/true
    assert_error "--no-pull" oexec --no-pull --platform linux/s390x "docker://$REG/acc/multi:latest" /bin/true
    assert_nothing_left
}

# Two images sharing their layer: it is downloaded once.
test_registry_shared_layer() {
    need_registry
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    _push busybox-oci:user acc/busybox:user
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:latest"
    assert_status 0 "$OCHRE" pull --cache-only --no-https "docker://$REG/acc/busybox:user"
    assert_eq 2 "$(cache_count)"
    local layer
    layer=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
        "$IMAGES/busybox-oci/blobs/sha256/$(_layout_digest busybox-oci user | cut -d: -f2)")
    assert_eq 1 "$(grep -c "\"GET /v2/acc/busybox/blobs/$layer" "$REG_LOG")" "GETs of the shared layer"
    assert_nothing_left
}

# HTTP answers that are not the image: rate limiting (with the wait the
# registry asks for), blobs served through a redirect to object storage
# (which must not receive our credentials), a registry with a certificate
# the system does not trust.
test_registry_http_answers() {
    need_registry
    _registry_start basic
    _push busybox-oci:latest acc/busybox:latest --dest-creds "$REG_USER:$REG_PASS"
    _proxy_start "$REG_PORT" 429
    assert_error "rate limited" "$OCHRE" pull --cache-only --no-https "docker://$PROXY/acc/busybox:latest"
    assert_contains "$ERR" "retry after 17 seconds"
    kill -KILL "$PROXY_PID"
    PROXY_AUTH="Basic $(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" _proxy_start "$REG_PORT" redirect
    assert_status 0 env OCHRE_DOCKER_USERNAME="$REG_USER" OCHRE_DOCKER_PASSWORD="$REG_PASS" \
        "$OCHRE" pull --cache-only --no-https "docker://$PROXY/acc/busybox:latest"
    assert_eq "auth=no
auth=no" "$(cat "$TESTTMP/storage.log")" "blob fetches through the redirect, without credentials"
    assert_blobs_verified
    assert_cache_clean_but_one
    # TLS with a self-signed certificate: refused unless...; never silently.
    local tls=$TESTTMP/tls port
    mkdir -p "$tls/data"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/key.pem" -out "$tls/cert.pem" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1
    port=$(_free_port)
    printf '%s\n' "version: 0.1" "storage: {filesystem: {rootdirectory: $tls/data}}" \
        "http: {addr: 127.0.0.1:$port, secret: s, tls: {certificate: $tls/cert.pem, key: $tls/key.pem}}" \
        >"$tls/config.yml"
    docker-registry serve "$tls/config.yml" >"$tls/log" 2>&1 &
    track $!
    wait_until 20 _http_up "https://127.0.0.1:$port/v2/" -k || fail "the TLS registry did not start"
    assert_error "TLS certificate not trusted" "$OCHRE" pull --cache-only "docker://localhost:$port/acc/busybox:latest"
    assert_nothing_left
}

assert_cache_clean_but_one() {
    [ "$(cache_count)" = 1 ] || fail "expected one cache entry, found $(cache_count)"
    [ -z "$(ls -A "$(cache_root)/tmp")" ] || fail "tmp/ not empty: $(ls -A "$(cache_root)/tmp")"
}
