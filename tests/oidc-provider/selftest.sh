#!/usr/bin/env bash
# Self-test for the test OpenID provider (server.js): bash + curl + node only.
# Starts the server, creates a tenant, logs in with the authorization code
# flow + PKCE S256 exactly as README.md describes (cookie jar, redirects
# followed by hand), then checks tamper alg=none and key rotation.
set -euo pipefail
cd "$(dirname "$0")"

[ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund >&2

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "---- server stderr ----" >&2
  cat "$WORK/server.err" >&2 || true
  exit 1
}
ok() { echo "ok - $*"; }

node server.js >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q '^LISTENING ' "$WORK/server.out" 2>/dev/null && break
  sleep 0.1
done
PORT=$(awk '/^LISTENING /{print $2}' "$WORK/server.out")
[ -n "$PORT" ] || fail "server did not print LISTENING"
[ "$(wc -l <"$WORK/server.out")" -eq 1 ] || fail "stdout must be exactly one line"
ROOT="http://127.0.0.1:$PORT"
ok "server listening on $PORT"

[ "$(curl -sf "$ROOT/_control/health")" = '{"ok":true}' ] || fail health
ok health

TENANT=$(node -e 'console.log(require("crypto").randomUUID())')
CLIENT_ID=app-client
CLIENT_SECRET=app-secret
REDIRECT_URI=http://127.0.0.1:9/cb
ISSUER="$ROOT/$TENANT/v2.0"

created=$(curl -sf -X POST "$ROOT/_control/tenants" -H 'content-type: application/json' -d @- <<EOF
{
  "tenant": "$TENANT",
  "clients": [{"client_id": "$CLIENT_ID", "client_secret": "$CLIENT_SECRET",
               "redirect_uris": ["$REDIRECT_URI"]}],
  "accounts": [
    {"login": "alice@example.com", "sub": "sub-alice", "oid": "oid-alice",
     "email": "alice@example.com", "name": "Alice Example"},
    {"login": "bob@example.com", "sub": "sub-bob", "oid": "oid-bob", "tid": "other-tid",
     "email": "bob@example.com", "name": "Bob Example", "idp": "https://sts.windows.net/x/"}
  ],
  "id_token_ttl": 600
}
EOF
) || fail "create tenant"
[ "$(node -pe 'JSON.parse(process.argv[1]).issuer' "$created")" = "$ISSUER" ] || fail "issuer: $created"
ok "tenant $TENANT created"

# --- discovery -------------------------------------------------------------
curl -sf "$ISSUER/.well-known/openid-configuration" >"$WORK/disco.json" || fail discovery
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
  const iss = process.argv[2];
  if (d.issuer !== iss) throw new Error(`issuer ${d.issuer} != ${iss}`);
  for (const [k, v] of Object.entries(d)) {
    if (/_endpoint$|_uri$/.test(k) && typeof v === "string" && !v.startsWith(iss + "/"))
      throw new Error(`${k} ${v} not under ${iss}`);
  }
  console.error("  authorization_endpoint", d.authorization_endpoint);
  console.error("  token_endpoint        ", d.token_endpoint);
  console.error("  jwks_uri              ", d.jwks_uri);
' "$WORK/disco.json" "$ISSUER" || fail "discovery check"
AUTH_EP=$(node -pe 'require(process.argv[1]).authorization_endpoint' "$WORK/disco.json")
TOKEN_EP=$(node -pe 'require(process.argv[1]).token_endpoint' "$WORK/disco.json")
JWKS_URI=$(node -pe 'require(process.argv[1]).jwks_uri' "$WORK/disco.json")
ok "discovery issuer and endpoints under $ISSUER"

# --- helpers ---------------------------------------------------------------
# req JAR URL [curl args...] -> sets STATUS and LOCATION (absolute); body in $WORK/body
req() {
  local jar=$1 url=$2
  shift 2
  local out
  out=$(curl -s -o "$WORK/body" -D "$WORK/headers" -b "$jar" -c "$jar" \
    -w '%{http_code} %{redirect_url}' "$@" "$url") || fail "curl $url"
  STATUS=${out%% *}
  LOCATION=${out#* }
}

urlencode() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
query_param() { node -e 'process.stdout.write(new URL(process.argv[1]).searchParams.get(process.argv[2]) ?? "")' "$1" "$2"; }

# start_authorize JAR -> sets VERIFIER, STATE, NONCE; does step 1 (GET authorize)
start_authorize() {
  local jar=$1
  read -r VERIFIER CHALLENGE < <(node -e '
    const c = require("crypto");
    const v = c.randomBytes(32).toString("base64url");
    console.log(v, c.createHash("sha256").update(v).digest("base64url"));')
  STATE=st-$RANDOM$RANDOM
  NONCE=nonce-$RANDOM$RANDOM
  req "$jar" "$AUTH_EP?client_id=$CLIENT_ID&response_type=code&scope=openid%20email%20profile&redirect_uri=$(urlencode "$REDIRECT_URI")&state=$STATE&nonce=$NONCE&code_challenge=$CHALLENGE&code_challenge_method=S256"
  [ "$STATUS" = 303 ] || fail "authorize: status $STATUS $(cat "$WORK/body")"
}

# expect_code -> the current LOCATION must be the redirect_uri with code+state; sets CODE
expect_code() {
  case "$LOCATION" in "$REDIRECT_URI?"*) ;; *) fail "expected redirect to $REDIRECT_URI, got $STATUS $LOCATION" ;; esac
  [ "$(query_param "$LOCATION" state)" = "$STATE" ] || fail "state mismatch: $LOCATION"
  [ "$(query_param "$LOCATION" iss)" = "$ISSUER" ] || fail "iss param mismatch: $LOCATION"
  CODE=$(query_param "$LOCATION" code)
  [ -n "$CODE" ] || fail "no code in $LOCATION"
}

# login_form JAR LOGIN -> from LOCATION pointing at the interaction page: GET
# the form, POST login+password, GET the resume URL; leaves LOCATION at the
# final redirect.
login_form() {
  local jar=$1 login=$2
  case "$LOCATION" in "$ISSUER/interaction/"*) ;; *) fail "expected interaction URL, got $LOCATION" ;; esac
  req "$jar" "$LOCATION"                                         # 2. login page
  [ "$STATUS" = 200 ] || fail "login page status $STATUS"
  grep -q 'name="login"' "$WORK/body" && grep -q 'name="password"' "$WORK/body" \
    && grep -q 'name="prompt" value="login"' "$WORK/body" || fail "login form fields missing"
  local action
  action=$(grep -o '<form[^>]*action="[^"]*"' "$WORK/body" | head -1 | sed 's/.*action="\([^"]*\)".*/\1/')
  req "$jar" "$action" --data-urlencode prompt=login \
    --data-urlencode "login=$login" --data-urlencode password=anything   # 3. POST login
  [ "$STATUS" = 303 ] || fail "login POST status $STATUS"
  case "$LOCATION" in "$ISSUER/auth/"*) ;; *) return 0 ;; esac  # unknown login -> back to form
  req "$jar" "$LOCATION"                                         # 4. resume authorize
  [ "$STATUS" = 303 ] || fail "resume status $STATUS $(cat "$WORK/body")"
}

# redeem -> POST token endpoint; token response in $WORK/token.json
redeem() {
  curl -s -o "$WORK/token.json" -w '%{http_code}' -u "$CLIENT_ID:$CLIENT_SECRET" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
    --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER" \
    "$TOKEN_EP" >"$WORK/token.status"
  [ "$(cat "$WORK/token.status")" = 200 ] || fail "token endpoint: $(cat "$WORK/token.status") $(cat "$WORK/token.json")"
}

id_token() { node -pe 'require(process.argv[1]).id_token' "$WORK/token.json"; }
jwt_part() { node -pe 'JSON.stringify(JSON.parse(Buffer.from(process.argv[1].split(".")[process.argv[2]], "base64url")))' "$1" "$2"; }

# verify_jwt TOKEN -> verifies RS256 signature against the published JWKS
verify_jwt() {
  node --input-type=module -e '
    import * as jose from "jose";
    const [token, jwks, iss, aud] = process.argv.slice(1);
    const { payload, protectedHeader } = await jose.jwtVerify(
      token, jose.createRemoteJWKSet(new URL(jwks)), { issuer: iss, audience: aud, algorithms: ["RS256"] });
    console.error("  verified with kid", protectedHeader.kid);
  ' "$1" "$JWKS_URI" "$ISSUER" "$CLIENT_ID"
}

# --- 1. full login with a fresh cookie jar ---------------------------------
JAR="$WORK/jar-alice"
start_authorize "$JAR"
login_form "$JAR" alice@example.com
expect_code
redeem
TOKEN=$(id_token)
echo "  id_token header:  $(jwt_part "$TOKEN" 0)"
echo "  id_token payload: $(jwt_part "$TOKEN" 1)"
node -e '
  const p = JSON.parse(process.argv[1]);
  const want = { iss: process.argv[2], aud: process.argv[3], sub: "sub-alice", tid: process.argv[4],
    oid: "oid-alice", email: "alice@example.com", email_verified: true, name: "Alice Example",
    preferred_username: "alice@example.com", nonce: process.argv[5] };
  for (const [k, v] of Object.entries(want)) if (p[k] !== v) throw new Error(`${k}: ${p[k]} != ${v}`);
  if ("idp" in p) throw new Error("idp must be absent when not configured");
  if (p.exp - p.iat !== 600) throw new Error(`ttl ${p.exp - p.iat} != 600`);
' "$(jwt_part "$TOKEN" 1)" "$ISSUER" "$CLIENT_ID" "$TENANT" "$NONCE" || fail "id_token claims"
verify_jwt "$TOKEN" || fail "id_token signature"
KID1=$(node -pe 'JSON.parse(process.argv[1]).kid' "$(jwt_part "$TOKEN" 0)")
ok "code flow + PKCE: id_token claims and signature (kid $KID1)"

# --- 2. unknown login shows the form again; bob has tid override and idp ---
JAR_B="$WORK/jar-bob"
start_authorize "$JAR_B"
FORM_URL=$LOCATION
login_form "$JAR_B" nobody@example.com
[ "$LOCATION" = "$FORM_URL" ] || fail "unknown login should return to $FORM_URL, got $LOCATION"
login_form "$JAR_B" bob@example.com
expect_code
redeem
P=$(jwt_part "$(id_token)" 1)
node -e '
  const p = JSON.parse(process.argv[1]);
  if (p.sub !== "sub-bob" || p.tid !== "other-tid" || p.idp !== "https://sts.windows.net/x/")
    throw new Error(JSON.stringify(p));
' "$P" || fail "bob claims"
ok "unknown login re-shows the form; tid override and idp claim"

# --- 3. existing session: authorize redirects straight to the redirect_uri --
start_authorize "$JAR"
expect_code
redeem
ok "second authorize with session cookie skips the login form"

# --- 4. tamper alg=none (applies once) -------------------------------------
curl -sf -X POST "$ROOT/_control/$TENANT/tamper" -H 'content-type: application/json' \
  -d '{"alg":"none","claims":{"email":"mallory@example.com"}}' >/dev/null || fail "tamper"
start_authorize "$JAR"; expect_code; redeem
TOKEN=$(id_token)
echo "  tampered id_token: $TOKEN"
case "$TOKEN" in *.) ;; *) fail "alg none token must end with '.'" ;; esac
[ "$(jwt_part "$TOKEN" 0)" = '{"alg":"none","typ":"JWT"}' ] || fail "alg none header: $(jwt_part "$TOKEN" 0)"
[ "$(node -pe 'JSON.parse(process.argv[1]).email' "$(jwt_part "$TOKEN" 1)")" = mallory@example.com ] || fail "claims merge"
if verify_jwt "$TOKEN" 2>/dev/null; then fail "alg none token verified?!"; fi
start_authorize "$JAR"; expect_code; redeem
verify_jwt "$(id_token)" || fail "tamper should apply only once"
ok "tamper alg=none applied once"

# --- 5. tamper exp_offset / HS256 / unknown kid (quick checks) ------------
curl -sf -X POST "$ROOT/_control/$TENANT/tamper" -d '{"exp_offset":-60,"iat_offset":-3600}' >/dev/null
start_authorize "$JAR"; expect_code; redeem
node -e '
  const p = JSON.parse(process.argv[1]); const now = Math.floor(Date.now() / 1000);
  if (!(p.exp < now && p.exp >= now - 70 && p.iat <= now - 3590)) throw new Error(JSON.stringify(p));
' "$(jwt_part "$(id_token)" 1)" || fail "exp_offset"
if verify_jwt "$(id_token)" 2>/dev/null; then fail "expired token verified"; fi
curl -sf -X POST "$ROOT/_control/$TENANT/tamper" -d '{"alg":"HS256"}' >/dev/null
start_authorize "$JAR"; expect_code; redeem
node --input-type=module -e '
  import * as jose from "jose";
  await jose.jwtVerify(process.argv[1], new TextEncoder().encode(process.argv[2]), { algorithms: ["HS256"] });
' "$(id_token)" "$CLIENT_SECRET" || fail "HS256 with client secret"
curl -sf -X POST "$ROOT/_control/$TENANT/tamper" -d '{"kid":"unknown"}' >/dev/null
start_authorize "$JAR"; expect_code; redeem
[ "$(node -pe 'JSON.parse(process.argv[1]).kid' "$(jwt_part "$(id_token)" 0)")" = unknown ] || fail "kid unknown"
if verify_jwt "$(id_token)" 2>/dev/null; then fail "unknown-kid token verified"; fi
ok "tamper exp_offset, HS256, kid=unknown"

# --- 6. rotate: new kid, old kid unpublished, sessions + interactions kept --
JAR_C="$WORK/jar-inflight"
start_authorize "$JAR_C"             # in-flight interaction across the rotation
INFLIGHT_LOCATION=$LOCATION
INFLIGHT_VERIFIER=$VERIFIER INFLIGHT_STATE=$STATE
ROT=$(curl -sf -X POST "$ROOT/_control/$TENANT/rotate") || fail rotate
KID2=$(node -pe 'JSON.parse(process.argv[1]).kid' "$ROT")
[ -n "$KID2" ] && [ "$KID2" != "$KID1" ] || fail "rotate kid: $ROT"
KIDS=$(curl -sf "$JWKS_URI" | node -pe 'JSON.parse(require("fs").readFileSync(0)).keys.map(k => k.kid).join(",")')
[ "$KIDS" = "$KID2" ] || fail "jwks after rotate: $KIDS (want only $KID2)"
start_authorize "$JAR"; expect_code; redeem   # session from before the rotation
TOKEN=$(id_token)
[ "$(node -pe 'JSON.parse(process.argv[1]).kid' "$(jwt_part "$TOKEN" 0)")" = "$KID2" ] || fail "token kid after rotate"
verify_jwt "$TOKEN" || fail "signature after rotate"
LOCATION=$INFLIGHT_LOCATION VERIFIER=$INFLIGHT_VERIFIER STATE=$INFLIGHT_STATE
login_form "$JAR_C" alice@example.com
expect_code
redeem
verify_jwt "$(id_token)" || fail "in-flight login after rotate"
ok "rotate: kid $KID1 -> $KID2, JWKS has only the new key, session and in-flight interaction kept"

echo "ALL OK"
