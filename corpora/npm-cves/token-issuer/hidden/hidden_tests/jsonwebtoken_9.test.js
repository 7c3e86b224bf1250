'use strict';

// Hidden checks for authd: jsonwebtoken 9 is what npm ci installs, the service
// still issues and verifies tokens under it, and none of the protections that
// jsonwebtoken 9 added (CVE-2022-23539, CVE-2022-23540, CVE-2022-23541) has been
// switched off.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');

const { assertFixed } = require('./deps');
const { loadConfig } = require('../src/config');
const { createApp } = require('../src/index');
const { createTokenService } = require('../src/tokens');

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function unsigned(payload) {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

function hmac(payload, secret, alg = 'HS256') {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${crypto.createHmac(hash, secret).update(input).digest('base64url')}`;
}

function devConfig(overrides = {}) {
  return { ...loadConfig({}), ...overrides };
}

const pairs = new Map();

function tempKeyPair(bits) {
  if (pairs.has(bits)) return pairs.get(bits);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authd-keys-'));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const signingKeyFile = path.join(dir, 'signing.pem');
  const verifyKeyFile = path.join(dir, 'signing.pub.pem');
  fs.writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }));
  fs.writeFileSync(verifyKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const pair = { keyId: `mounted-${bits}`, signingKeyFile, verifyKeyFile };
  pairs.set(bits, pair);
  return pair;
}

test('package.json and the lock file move jsonwebtoken to 9.0.0 or later', () => {
  assertFixed(assert, 'jsonwebtoken', '9.0.0');
});

test('the development key pair works with the installed jsonwebtoken', () => {
  const tokens = createTokenService(devConfig());
  const jwk = tokens.jwks().keys[0];
  const bits = Buffer.from(jwk.n, 'base64url').length * 8;
  assert.ok(bits >= 2048, `the development key is RSA-${bits}; jsonwebtoken 9 signs RS256 only with 2048 bits or more`);
  assert.equal(jwk.kid, 'dev-ephemeral');
  const token = tokens.issueAccessToken('billing-worker', ['invoices:read']);
  assert.equal(tokens.verifyAccessToken(token).sub, 'billing-worker');
});

test('a mounted RSA-2048 key pair works', () => {
  const tokens = createTokenService(devConfig(tempKeyPair(2048)));
  const token = tokens.issueAccessToken('reporting', ['invoices:read']);
  assert.equal(tokens.verifyAccessToken(token).scope, 'invoices:read');
});

test('an RSA-1024 signing key is refused, not waved through (no allowInsecureKeySizes)', () => {
  let issued;
  try {
    const tokens = createTokenService(devConfig(tempKeyPair(1024)));
    issued = tokens.issueAccessToken('reporting', ['invoices:read']);
  } catch (err) {
    return; // refused at start-up or at signing: both are fine
  }
  assert.fail(`authd signed a token with an RSA-1024 key: ${issued.slice(0, 40)}...`);
});

test('unsigned access tokens are refused', () => {
  const tokens = createTokenService(devConfig());
  const forged = unsigned({
    sub: 'billing-worker', scope: 'invoices:write', iss: 'https://auth.northwind.internal',
    aud: 'northwind-apis', iat: now(), exp: now() + 600,
  });
  assert.throws(() => tokens.verifyAccessToken(forged));
});

test('HS256 tokens keyed with the public key are refused (algorithm confusion)', () => {
  const config = devConfig(tempKeyPair(2048));
  const tokens = createTokenService(config);
  const publicPem = fs.readFileSync(config.verifyKeyFile, 'utf8');
  const claims = {
    sub: 'billing-worker', scope: 'invoices:write', iss: config.issuer, aud: config.audience,
    iat: now(), exp: now() + 600,
  };
  assert.throws(() => tokens.verifyAccessToken(hmac(claims, publicPem)));
  assert.throws(() => tokens.verifyAccessToken(hmac(claims, publicPem, 'HS512')));
});

test('unsigned service tokens are refused, whether or not the shared secret is configured', () => {
  const forged = unsigned({ svc: 'api-gateway', iss: 'northwind-internal', iat: now() });
  for (const serviceTokenSecret of [undefined, '', 'gateway-shared-secret']) {
    const tokens = createTokenService(devConfig({ serviceTokenSecret }));
    assert.throws(() => tokens.verifyServiceToken(forged), undefined, `secret ${JSON.stringify(serviceTokenSecret)}`);
  }
});

test('service tokens still work with the shared secret', () => {
  const tokens = createTokenService(devConfig({ serviceTokenSecret: 'gateway-shared-secret' }));
  const good = hmac({ svc: 'api-gateway', iss: 'northwind-internal', iat: now(), exp: now() + 60 }, 'gateway-shared-secret');
  assert.equal(tokens.verifyServiceToken(good).svc, 'api-gateway');
});

let app;
let base;
before(async () => {
  app = createApp({}); // a developer machine: SERVICE_TOKEN_SECRET unset
  await new Promise((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${app.server.address().port}`;
});
after(() => new Promise((resolve) => app.server.close(resolve)));

test('introspection cannot be reached with an unsigned service token when no secret is set', async () => {
  const access = app.tokens.issueAccessToken('reporting', ['invoices:read']);
  const caller = unsigned({ svc: 'api-gateway', iss: 'northwind-internal', iat: now() });
  const res = await fetch(`${base}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${caller}` },
    body: JSON.stringify({ token: access }),
  });
  assert.equal(res.status, 401);
});

test('the token endpoint still issues verifiable tokens', async () => {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'billing-worker', client_secret: 'billing-dev-secret' }),
  });
  assert.equal(res.status, 200);
  const { access_token: token } = await res.json();
  assert.equal(app.tokens.verifyAccessToken(token).sub, 'billing-worker');
});
