'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const jwt = require('jsonwebtoken');

const { createApp, ttlSeconds } = require('../src/index');

const SERVICE_SECRET = 'gateway-shared-secret-for-tests';
let app;
let base;

before(async () => {
  app = createApp({ SERVICE_TOKEN_SECRET: SERVICE_SECRET });
  await new Promise((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${app.server.address().port}`;
});

after(() => new Promise((resolve) => app.server.close(resolve)));

function post(path, body, headers = {}) {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('ttlSeconds understands the configured formats', () => {
  assert.equal(ttlSeconds('15m'), 900);
  assert.equal(ttlSeconds('3600'), 3600);
  assert.equal(ttlSeconds('2h'), 7200);
  assert.throws(() => ttlSeconds('soon'));
});

test('client credentials grant issues a token', async () => {
  const res = await post('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: 'billing-worker',
    client_secret: 'billing-dev-secret',
    scope: 'invoices:read',
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 900);
  assert.equal(body.scope, 'invoices:read');
  assert.equal(app.tokens.verifyAccessToken(body.access_token).sub, 'billing-worker');
});

test('form-encoded token requests work too', async () => {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=reporting&client_secret=reporting-dev-secret',
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).scope, 'invoices:read customers:read');
});

test('a wrong client secret is refused', async () => {
  const res = await post('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: 'billing-worker',
    client_secret: 'guess',
  });
  assert.equal(res.status, 401);
});

test('scopes beyond the client registration are refused', async () => {
  const res = await post('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: 'reporting',
    client_secret: 'reporting-dev-secret',
    scope: 'invoices:write',
  });
  assert.equal(res.status, 400);
});

test('the gateway can introspect tokens', async () => {
  const access = app.tokens.issueAccessToken('reporting', ['invoices:read']);
  const caller = jwt.sign({ svc: 'api-gateway' }, SERVICE_SECRET, { issuer: 'northwind-internal', expiresIn: '1m' });
  const res = await post('/oauth/introspect', { token: access }, { authorization: `Bearer ${caller}` });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.active, true);
  assert.equal(body.sub, 'reporting');

  const junk = await post('/oauth/introspect', { token: 'not-a-jwt' }, { authorization: `Bearer ${caller}` });
  assert.deepEqual(await junk.json(), { active: false });
});

test('introspection needs a service token', async () => {
  const access = app.tokens.issueAccessToken('reporting', ['invoices:read']);
  const res = await post('/oauth/introspect', { token: access });
  assert.equal(res.status, 401);
});

test('the JWKS endpoint serves the public key', async () => {
  const res = await fetch(`${base}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  const { keys } = await res.json();
  assert.equal(keys[0].kid, 'dev-ephemeral');
  assert.equal(keys[0].d, undefined);
});
