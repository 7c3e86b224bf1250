'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

const { createApp } = require('../src/app');
const { OrderStore } = require('../src/orders');
const { identityProvider, issue, listen } = require('./helpers');

const acme = identityProvider('acme-test', 'acme', 'https://login.acme.example/');
const globex = identityProvider('globex-test', 'globex', 'https://idp.globex.example/oauth2');

let server;
let base;

before(async () => {
  const store = new OrderStore([
    { id: 'ord_acme1', tenant: 'acme', sku: 'WIDGET-1', quantity: 3, createdBy: 'seed', status: 'shipped' },
    { id: 'ord_glob1', tenant: 'globex', sku: 'GADGET-9', quantity: 1, createdBy: 'seed', status: 'pending' },
  ]);
  ({ server, base } = await listen(createApp({ trustedKeys: [acme.entry, globex.entry], store })));
});

after(() => new Promise((resolve) => server.close(resolve)));

function get(path, token) {
  return fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

test('health check needs no token', async () => {
  assert.equal((await get('/healthz')).status, 200);
});

test('a tenant sees its own orders only', async () => {
  const res = await get('/v1/orders', issue(acme));
  assert.equal(res.status, 200);
  const { orders } = await res.json();
  assert.deepEqual(orders.map((o) => o.id), ['ord_acme1']);

  const other = await get('/v1/orders/ord_glob1', issue(acme));
  assert.equal(other.status, 404);
});

test('creating an order records the caller', async () => {
  const res = await fetch(`${base}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${issue(globex, { sub: 'alice' })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'GADGET-2', quantity: 5 }),
  });
  assert.equal(res.status, 201);
  const order = await res.json();
  assert.equal(order.tenant, 'globex');
  assert.equal(order.createdBy, 'alice');

  const fetched = await get(`/v1/orders/${order.id}`, issue(globex));
  assert.equal((await fetched.json()).sku, 'GADGET-2');
});

test('invalid orders are rejected', async () => {
  const res = await fetch(`${base}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${issue(acme)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'x', quantity: 0 }),
  });
  assert.equal(res.status, 400);
});

test('a missing scope is a 403', async () => {
  const res = await fetch(`${base}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${issue(acme, { scope: 'orders:read' })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'WIDGET-1', quantity: 1 }),
  });
  assert.equal(res.status, 403);
});
