'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const jwt = require('jsonwebtoken');

const { createApp } = require('../src/app');
const { acmeToken, deviceToken, start } = require('./helpers');

let gw;

before(async () => {
  gw = await start(createApp);
});

after(() => new Promise((resolve) => gw.server.close(resolve)));

test('our devices post telemetry with their device token', async () => {
  const res = await gw.post('/v1/telemetry', deviceToken());
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1 });
  assert.deepEqual(gw.sink.at(-1), { source: 'own', device: 'nw-000123', fleet: null, readings: [{ metric: 'temp_c', value: 21.5 }] });
});

test('device tokens must be signed with our secret, for our audience, unexpired', async () => {
  const other = jwt.sign({ sub: 'nw-000123' }, 'not-our-secret', { audience: 'device-gateway' });
  assert.equal((await gw.post('/v1/telemetry', other)).status, 401);
  assert.equal((await gw.post('/v1/telemetry', deviceToken({}, { audience: 'billing' }))).status, 401);
  assert.equal((await gw.post('/v1/telemetry', deviceToken({}, { expiresIn: -60 }))).status, 401);
});

test('unsigned tokens are refused on our route', async () => {
  assert.equal((await gw.post('/v1/telemetry', acmeToken())).status, 401);
  assert.equal((await gw.post('/v1/telemetry', acmeToken({ aud: 'device-gateway', sub: 'nw-000123' }))).status, 401);
});

test('Acme firmware 2.x unsigned tokens are accepted on the partner route (docs/partner-acme.md, section 3)', async () => {
  const res = await gw.post('/v1/partners/acme/telemetry', acmeToken(), { readings: [{ metric: 'battery_v', value: 3.71 }] });
  assert.equal(res.status, 202);
  assert.deepEqual(gw.sink.at(-1), { source: 'acme', device: 'ACM-7F3A-0042', fleet: 'eu-west-2', readings: [{ metric: 'battery_v', value: 3.71 }] });
});

test('the partner route only takes Acme-issued envelopes', async () => {
  assert.equal((await gw.post('/v1/partners/acme/telemetry', acmeToken({ iss: 'someone-else' }))).status, 401);
  assert.equal((await gw.post('/v1/partners/acme/telemetry', 'garbage')).status, 401);
});

test('bad readings are a 400', async () => {
  assert.equal((await gw.post('/v1/telemetry', deviceToken(), { readings: [] })).status, 400);
  assert.equal((await gw.post('/v1/partners/acme/telemetry', acmeToken(), { readings: [{ metric: 'x', value: 'hot' }] })).status, 400);
});
