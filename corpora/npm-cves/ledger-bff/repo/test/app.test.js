'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

const { createApp } = require('../src/app');
const { createLedgerClient } = require('../src/ledgerClient');
const { listen, startLedger } = require('./fakeLedger');

let ledger;
let bff;
let base;

before(async () => {
  ledger = await startLedger();
  bff = createApp({ ledger: createLedgerClient({ baseURL: ledger.url, serviceToken: ledger.token }) });
  base = await listen(bff);
});

after(async () => {
  await new Promise((resolve) => bff.close(resolve));
  await new Promise((resolve) => ledger.server.close(resolve));
});

const get = (path, account = 'acc_1') => fetch(base + path, { headers: { 'x-account-id': account } });

test('pages through statements with the cursor', async () => {
  const first = await (await get('/api/accounts/acc_1/statements')).json();
  assert.deepEqual(first.statements.map((s) => s.id), ['st_1', 'st_2']);
  const next = await get(`/api/accounts/acc_1/statements?cursor=${encodeURIComponent(first.cursor)}`);
  assert.equal(next.status, 200);
  const second = await next.json();
  assert.deepEqual(second.statements.map((s) => s.id), ['st_3']);
  assert.equal(second.cursor, null);
});

test('another account is forbidden', async () => {
  assert.equal((await get('/api/accounts/acc_1/statements', 'acc_2')).status, 403);
  assert.equal((await get('/api/accounts/acc_1/statements/st_1', 'acc_2')).status, 403);
});

test('a statement and its document', async () => {
  const statement = await (await get('/api/accounts/acc_1/statements/st_2')).json();
  assert.equal(statement.period, '2026-09');
  const doc = await get(`/api/documents?href=${encodeURIComponent(statement.document.href)}`);
  assert.equal(doc.status, 200);
  assert.equal(doc.headers.get('content-type'), 'application/pdf');
  assert.equal(await doc.text(), '%PDF-1.7 doc_st_2');
});

test('upstream misses are 404, other failures 502', async () => {
  assert.equal((await get('/api/accounts/acc_1/statements/st_404')).status, 404);
  const broken = createApp({
    ledger: createLedgerClient({ baseURL: ledger.url, serviceToken: 'wrong' }),
  });
  const brokenBase = await listen(broken);
  const res = await fetch(`${brokenBase}/api/accounts/acc_1/statements`, { headers: { 'x-account-id': 'acc_1' } });
  assert.equal(res.status, 502);
  await new Promise((resolve) => broken.close(resolve));
});
