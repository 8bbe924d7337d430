// Multi-tenant OpenID Connect provider for sign-in tests, shaped like
// Microsoft Entra ID: every tenant is its own oidc-provider instance with
// issuer http://127.0.0.1:PORT/{tenant}/v2.0. See README.md.
//
// stdout carries exactly one line, "LISTENING <port>"; everything else goes
// to stderr.

import * as http from 'node:http';
import * as crypto from 'node:crypto';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';
import * as jose from 'jose';

// oidc-provider prints some notices with console.info (stdout). Keep stdout
// clean for the LISTENING line.
console.log = console.error; // eslint-disable-line no-console
console.info = console.error; // eslint-disable-line no-console
console.debug = console.error; // eslint-disable-line no-console

const log = (...args) => console.error('[oidc-test-provider]', ...args);

const HOST = '127.0.0.1';
const TENANT_RE = /^[A-Za-z0-9._~-]+$/;
const COOKIE_KEYS = [
  'oidc-test-provider-cookie-key-1-not-a-secret',
  'oidc-test-provider-cookie-key-2-not-a-secret',
];

let port = 0; // set once listening
const tenants = new Map(); // tenant -> TenantState

// ---------------------------------------------------------------------------
// Storage: one Map per tenant (not oidc-provider's module-level LRU
// MemoryAdapter, which all tenants would share and which evicts after ~1000
// entries). The Map outlives Provider instances, so key rotation (which
// recreates the Provider) keeps sessions, interactions, grants and codes.

function makeAdapterFactory(store) {
  const now = () => Math.floor(Date.now() / 1000);
  const get = (key) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.exp !== undefined && entry.exp <= now()) {
      store.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const set = (key, value, expiresIn) => {
    store.set(key, { value, exp: expiresIn ? now() + expiresIn : undefined });
  };
  const grantable = new Set([
    'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
    'BackchannelAuthenticationRequest',
  ]);

  return (model) => ({
    key: (id) => `${model}:${id}`,
    async upsert(id, payload, expiresIn) {
      const key = `${model}:${id}`;
      if (model === 'Session') set(`sessionUid:${payload.uid}`, id, expiresIn);
      const { grantId, userCode } = payload;
      if (grantable.has(model) && grantId) {
        const grantKey = `grant:${grantId}`;
        const list = get(grantKey);
        if (list) list.push(key); else set(grantKey, [key]);
      }
      if (userCode) set(`userCode:${userCode}`, id, expiresIn);
      set(key, payload, expiresIn);
    },
    async find(id) { return get(`${model}:${id}`); },
    async findByUid(uid) {
      const id = get(`sessionUid:${uid}`);
      return id === undefined ? undefined : get(`${model}:${id}`);
    },
    async findByUserCode(userCode) {
      const id = get(`userCode:${userCode}`);
      return id === undefined ? undefined : get(`${model}:${id}`);
    },
    async consume(id) {
      const value = get(`${model}:${id}`);
      if (value) value.consumed = now();
    },
    async destroy(id) { store.delete(`${model}:${id}`); },
    async revokeByGrantId(grantId) {
      const grantKey = `grant:${grantId}`;
      const list = get(grantKey);
      if (list) list.forEach((k) => store.delete(k));
      store.delete(grantKey);
    },
  });
}

// ---------------------------------------------------------------------------
// Keys

async function newSigningKey(kid = crypto.randomUUID()) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return {
    kid,
    privateKey,
    jwk: {
      ...jwk, kid, alg: 'RS256', use: 'sig',
    },
  };
}

// ---------------------------------------------------------------------------
// Tamper (applied once to the next successful token response with an id_token)

const b64json = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

async function tamperIdToken(idToken, tamper, state, client) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);

  if (tamper.exp_offset !== undefined) payload.exp = now + Number(tamper.exp_offset);
  if (tamper.iat_offset !== undefined) payload.iat = now + Number(tamper.iat_offset);
  for (const field of ['aud', 'iss', 'nonce']) {
    if (tamper[field] !== undefined) payload[field] = tamper[field];
  }
  if (tamper.claims && typeof tamper.claims === 'object') {
    for (const [k, v] of Object.entries(tamper.claims)) {
      if (v === null) delete payload[k]; else payload[k] = v;
    }
  }

  const alg = tamper.alg || 'RS256';
  if (alg === 'none') {
    return `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(payload)}.`;
  }
  const body = Buffer.from(JSON.stringify(payload));
  if (alg === 'HS256') {
    const secret = client?.clientSecret
      ?? state.clients.find((c) => c.client_id === client?.clientId)?.client_secret;
    if (!secret) throw new Error('tamper alg HS256: client has no client_secret');
    const hsHeader = { ...header, alg: 'HS256' };
    if (tamper.kid !== undefined) hsHeader.kid = tamper.kid;
    return new jose.CompactSign(body)
      .setProtectedHeader(hsHeader)
      .sign(new TextEncoder().encode(secret));
  }
  if (alg !== 'RS256') throw new Error(`tamper: unsupported alg ${alg}`);
  if (tamper.kid !== undefined && tamper.kid !== state.key.kid) {
    // Signed by a key that is never published.
    const rogue = await newSigningKey(String(tamper.kid));
    return new jose.CompactSign(body)
      .setProtectedHeader({ ...header, alg: 'RS256', kid: rogue.kid })
      .sign(rogue.privateKey);
  }
  return new jose.CompactSign(body)
    .setProtectedHeader({ ...header, alg: 'RS256', kid: state.key.kid })
    .sign(state.key.privateKey);
}

// ---------------------------------------------------------------------------
// Providers

function buildProvider(state) {
  const prefix = `/${state.tenant}/v2.0`;
  const provider = new Provider(state.issuer, {
    adapter: state.adapterFactory,
    clients: state.clients.map((c) => ({ ...c })),
    jwks: { keys: [state.key.jwk] },
    findAccount(ctx, id) {
      const acct = state.accounts.find((a) => a.login === id);
      if (!acct) return undefined;
      return {
        accountId: id,
        async claims() {
          const claims = {
            sub: acct.sub,
            tid: acct.tid ?? state.tenant,
            oid: acct.oid,
            email: acct.email,
            email_verified: true,
            name: acct.name,
            preferred_username: acct.email,
          };
          if (acct.idp !== undefined && acct.idp !== null) claims.idp = acct.idp;
          return claims;
        },
      };
    },
    claims: {
      openid: ['sub', 'tid', 'oid', 'idp'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true, methods: ['S256'] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    features: {
      devInteractions: { enabled: true },
    },
    // Auto-consent: every client gets openid email profile, so a login is
    // authorize -> login form -> redirect_uri (no consent form).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      let grant;
      if (grantId) grant = await ctx.oidc.provider.Grant.find(grantId);
      if (!grant) {
        grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
      }
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    cookies: {
      keys: COOKIE_KEYS,
      // The session cookie is path-scoped to the tenant so tenants on the
      // same host don't share sessions; lax (not oidc-provider's default
      // "none", which browsers drop without Secure) so no duplicate
      // "*.legacy" cookies are emitted. Interaction cookies get their
      // per-interaction paths from oidc-provider itself.
      long: {
        httpOnly: true, sameSite: 'lax', signed: true, path: prefix,
      },
      short: {
        httpOnly: true, sameSite: 'lax', signed: true,
      },
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 600,
      ClientCredentials: 600,
      Grant: 14 * 24 * 3600,
      IdToken: state.idTokenTtl,
      Interaction: 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
    renderError(ctx, out, error) {
      ctx.type = 'html';
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>oops! something went wrong</title></head><body><h1>oops! something went wrong</h1>${
        Object.entries(out).map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('')
      }</body></html>`;
      if (error?.status >= 500) log(`[${state.tenant}] renderError`, error);
    },
  });

  provider.use(async (ctx, next) => {
    // devInteractions take any login string as the accountId; an unknown one
    // would make oidc-provider fail later (500). Reject it here and show the
    // same login form again (303 back to GET /interaction/:uid).
    if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path)
        && ctx.is('application/x-www-form-urlencoded')) {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const raw = Buffer.concat(chunks).toString('utf8');
      ctx.req.body = raw; // oidc-provider's body parser falls back to req.body
      const form = querystring.parse(raw);
      if (form.prompt === 'login' && !state.accounts.some((a) => a.login === form.login)) {
        log(`[${state.tenant}] unknown login ${JSON.stringify(form.login)}, showing the form again`);
        ctx.set('x-test-idp-error', 'unknown_login');
        ctx.status = 303;
        ctx.redirect(`${ctx.req.baseUrl}${ctx.path}`);
        return;
      }
    }

    await next();

    // The dev interaction layout @imports a Google font; drop it so the
    // page never touches the network (headless browsers, sandboxes).
    if (typeof ctx.body === 'string' && ctx.body.includes('fonts.googleapis.com')) {
      ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
    }

    if (ctx.oidc?.route === 'token' && ctx.status === 200 && state.tamper
        && ctx.body && typeof ctx.body === 'object' && typeof ctx.body.id_token === 'string') {
      const tamper = state.tamper;
      state.tamper = undefined;
      const idToken = await tamperIdToken(ctx.body.id_token, tamper, state, ctx.oidc.client);
      ctx.body = { ...ctx.body, id_token: idToken };
      log(`[${state.tenant}] tampered id_token with`, JSON.stringify(tamper));
    }
  });

  for (const ev of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
    'userinfo.error', 'jwks.error', 'discovery.error', 'introspection.error', 'revocation.error']) {
    provider.on(ev, (ctx, err) => {
      log(`[${state.tenant}] ${ev}: ${err?.name}: ${err?.message}${err?.error_description ? ` (${err.error_description})` : ''}`);
    });
  }
  return provider;
}

async function createTenant(body) {
  const { tenant } = body;
  if (typeof tenant !== 'string' || !TENANT_RE.test(tenant) || tenant === '_control') {
    throw httpError(400, 'tenant must match [A-Za-z0-9._~-]+ and not be "_control"');
  }
  const clients = Array.isArray(body.clients) ? body.clients : [];
  const accounts = Array.isArray(body.accounts) ? body.accounts : [];
  for (const c of clients) {
    if (!c || typeof c.client_id !== 'string') throw httpError(400, 'each client needs client_id');
  }
  for (const a of accounts) {
    if (!a || typeof a.login !== 'string') throw httpError(400, 'each account needs login');
    if (a.sub === undefined) a.sub = a.login;
  }
  const state = {
    tenant,
    issuer: `http://${HOST}:${port}/${tenant}/v2.0`,
    clients,
    accounts,
    idTokenTtl: Number.isFinite(body.id_token_ttl) ? body.id_token_ttl : 3600,
    adapterFactory: makeAdapterFactory(new Map()),
    key: await newSigningKey(),
    tamper: undefined,
  };
  state.provider = buildProvider(state);
  state.handler = state.provider.callback();
  tenants.set(tenant, state);
  log(`tenant ${tenant} ready: issuer ${state.issuer}, kid ${state.key.kid}`);
  return state;
}

async function rotateTenant(state) {
  state.key = await newSigningKey();
  const provider = buildProvider(state);
  state.provider = provider;
  state.handler = provider.callback();
  log(`tenant ${state.tenant} rotated: kid ${state.key.kid}`);
}

// ---------------------------------------------------------------------------
// HTTP

function httpError(status, message) {
  return Object.assign(new Error(message), { status });
}

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw httpError(400, 'body is not valid JSON');
  }
}

async function control(req, res, path) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent); // ['_control', ...]
  if (req.method === 'GET' && parts.length === 2 && parts[1] === 'health') {
    return sendJson(res, 200, { ok: true });
  }
  if (req.method === 'POST' && parts.length === 2 && parts[1] === 'tenants') {
    const state = await createTenant(await readJson(req));
    return sendJson(res, 200, { issuer: state.issuer, kid: state.key.kid });
  }
  if (parts.length === 3) {
    const state = tenants.get(parts[1]);
    if (!state) throw httpError(404, `unknown tenant ${parts[1]}`);
    if (req.method === 'POST' && parts[2] === 'rotate') {
      await rotateTenant(state);
      return sendJson(res, 200, { kid: state.key.kid });
    }
    if (req.method === 'POST' && parts[2] === 'tamper') {
      const tamper = await readJson(req);
      if (tamper.alg !== undefined && !['none', 'HS256', 'RS256'].includes(tamper.alg)) {
        throw httpError(400, 'alg must be "none", "HS256" or "RS256"');
      }
      state.tamper = tamper;
      return sendJson(res, 200, { ok: true, pending: tamper });
    }
    if (req.method === 'DELETE' && parts[2] === 'tamper') {
      state.tamper = undefined;
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'GET' && parts[2] === 'info') {
      return sendJson(res, 200, {
        issuer: state.issuer, kid: state.key.kid, tamper_pending: state.tamper ?? null,
      });
    }
  }
  throw httpError(404, `no control route ${req.method} ${path}`);
}

const server = http.createServer(async (req, res) => {
  const url = req.url || '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);

  try {
    if (path === '/_control' || path.startsWith('/_control/')) {
      await control(req, res, path);
      return;
    }
    const m = /^\/([^/]+)\/v2\.0(\/.*)?$/.exec(path);
    const state = m && tenants.get(decodeURIComponent(m[1]));
    if (!state) {
      sendJson(res, 404, { error: 'not_found', error_description: `no tenant for ${path}` });
      return;
    }
    // Strip the tenant prefix; oidc-provider builds its URLs from
    // req.baseUrl (the express-style mount path). req.originalUrl is left
    // unset on purpose: oidc-provider would derive the mount path from it
    // with indexOf(req.url), which breaks for tenants like "token".
    req.url = (m[2] || '/') + query;
    req.baseUrl = `/${m[1]}/v2.0`;
    state.handler(req, res);
  } catch (err) {
    const status = err.status || 500;
    if (status >= 500) log('control error', err);
    if (!res.headersSent) sendJson(res, status, { error: err.message });
    else res.end();
  }
});

server.listen(Number(process.env.PORT || 0), HOST, () => {
  port = server.address().port;
  process.stdout.write(`LISTENING ${port}\n`);
  log(`listening on http://${HOST}:${port}`);
});

const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
