'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

const { createLedgerClient } = require('../src/ledgerClient');
const { startLedger } = require('./fakeLedger');

let ledger;
let client;

before(async () => {
  ledger = await startLedger();
  client = createLedgerClient({ baseURL: ledger.url, serviceToken: ledger.token });
});

after(() => new Promise((resolve) => ledger.server.close(resolve)));

test('lists the first page and follows the next link', async () => {
  const first = await client.listStatements('acc_1');
  assert.deepEqual(first.items.map((s) => s.id), ['st_1', 'st_2']);
  assert.equal(first.next, '/v2/accounts/acc_1/statements?after=st_2');
  const second = await client.listStatements('acc_1', first.next);
  assert.deepEqual(second.items.map((s) => s.id), ['st_3']);
  assert.equal(second.next, null);
});

test('sends the service token', async () => {
  await client.getStatement('acc_1', 'st_1');
  assert.equal(ledger.requests.at(-1).authorization, `Bearer ${ledger.token}`);
});

test('escapes ids in paths', async () => {
  await assert.rejects(client.getStatement('acc_1', '../../documents/doc_st_1.pdf'), (err) => err.response.status === 404);
  assert.equal(ledger.requests.at(-1).url, '/v2/accounts/acc_1/statements/..%2F..%2Fdocuments%2Fdoc_st_1.pdf');
});

test('downloads a statement document', async () => {
  const statement = await client.getStatement('acc_1', 'st_3');
  const doc = await client.fetchDocument(statement.document.href);
  assert.equal(doc.contentType, 'application/pdf');
  assert.equal(doc.body.toString(), '%PDF-1.7 doc_st_3');
});
