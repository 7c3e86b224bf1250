'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

const { createApp } = require('../src/app');
const { identityProvider, issue, listen } = require('./helpers');

const acme = identityProvider('acme-test', 'acme', 'https://login.acme.example/');
const globex = identityProvider('globex-test', 'globex', 'https://idp.globex.example/oauth2');
const stranger = identityProvider('acme-test', 'acme', 'https://login.acme.example/', 'stranger');

let server;
let base;

before(async () => {
  ({ server, base } = await listen(createApp({ trustedKeys: [acme.entry, globex.entry] })));
});

after(() => new Promise((resolve) => server.close(resolve)));

async function status(token, scheme = 'Bearer') {
  const headers = token ? { authorization: `${scheme} ${token}` } : {};
  return (await fetch(`${base}/v1/orders`, { headers })).status;
}

test('a valid token is accepted', async () => {
  assert.equal(await status(issue(acme)), 200);
  assert.equal(await status(issue(globex)), 200);
});

test('no token, a malformed token or another scheme is a 401', async () => {
  assert.equal(await status(null), 401);
  assert.equal(await status('not-a-jwt'), 401);
  assert.equal(await status(issue(acme), 'Basic'), 401);
});

test('an expired token is a 401', async () => {
  const past = Math.floor(Date.now() / 1000) - 3600;
  assert.equal(await status(issue(acme, { iat: past - 300, exp: past })), 401);
});

test('a token for another audience is a 401', async () => {
  assert.equal(await status(issue(acme, { aud: 'https://billing.api.example' })), 401);
});

test("a tenant's IdP cannot sign for another tenant", async () => {
  assert.equal(await status(issue(globex, { tenant: 'acme' })), 401);
  assert.equal(await status(issue(acme, { iss: 'https://idp.globex.example/oauth2' })), 401);
});

test('a token signed with an untrusted key is a 401, even with a trusted kid', async () => {
  assert.equal(await status(issue(stranger)), 401);
});

test('a token with an unknown kid is a 401', async () => {
  assert.equal(await status(issue(acme, {}, { kid: 'retired-2019' })), 401);
});
