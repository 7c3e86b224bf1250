'use strict';

// Hidden checks for ledger-bff: axios 1.8.2 or later is what npm ci installs,
// and no cursor or document href a customer can send makes the BFF call a
// host other than the ledger (CVE-2025-27152: an absolute URL overrides
// baseURL and takes the service token with it; upgrading alone keeps that
// behaviour, since allowAbsoluteUrls defaults to true).

const assert = require('node:assert/strict');
const http = require('node:http');
const { after, before, test } = require('node:test');

const { assertFixed } = require('./deps');
const { listen, startLedger } = require('./ledger');
const { createApp } = require('../src/app');
const { createLedgerClient } = require('../src/ledgerClient');

let ledger;
let attacker;
let attackerUrl;
let seen;
let bff;
let base;
let client;

before(async () => {
  ledger = await startLedger();
  seen = [];
  attacker = http.createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[],"next":null}');
  });
  attackerUrl = await listen(attacker);
  client = createLedgerClient({ baseURL: ledger.url, serviceToken: ledger.token });
  bff = createApp({ ledger: client });
  base = await listen(bff);
});

after(async () => {
  await new Promise((resolve) => bff.close(resolve));
  await new Promise((resolve) => attacker.close(resolve));
  await new Promise((resolve) => ledger.server.close(resolve));
});

function hostile() {
  const hostPort = attackerUrl.replace(/^http:\/\//, '');
  return [
    `${attackerUrl}/collect`,
    `HTTP://${hostPort}/collect`,
    `//${hostPort}/collect`,
    ` ${attackerUrl}/collect`,
  ];
}

async function settle(promise) {
  try {
    await promise;
  } catch (err) {
    // refusing, or a 404 from the ledger, are both fine
  }
}

test('package.json and the lock file move axios to 1.8.2 or later', () => {
  assertFixed(assert, 'axios', '1.8.2');
});

test('a hostile cursor never reaches another host', async () => {
  for (const cursor of hostile()) {
    await settle(client.listStatements('acc_1', cursor));
  }
  assert.deepEqual(seen, [], 'the service token went to a host other than the ledger');
});

test('a hostile document href never reaches another host', async () => {
  for (const href of hostile()) {
    await settle(client.fetchDocument(href));
  }
  assert.deepEqual(seen, [], 'the service token went to a host other than the ledger');
});

test('nor through the BFF routes', async () => {
  for (const value of hostile()) {
    const q = encodeURIComponent(value);
    const a = await fetch(`${base}/api/accounts/acc_1/statements?cursor=${q}`, { headers: { 'x-account-id': 'acc_1' } });
    assert.notEqual(a.status, 200, `cursor ${value} was answered 200`);
    const b = await fetch(`${base}/api/documents?href=${q}`, { headers: { 'x-account-id': 'acc_1' } });
    assert.notEqual(b.status, 200, `href ${value} was answered 200`);
  }
  assert.deepEqual(seen, []);
});

test('ledger cursors and document links still work', async () => {
  const first = await client.listStatements('acc_1');
  const second = await client.listStatements('acc_1', first.next);
  assert.deepEqual(second.items.map((s) => s.id), ['st_3']);
  const doc = await client.fetchDocument('/v2/documents/doc_st_1.pdf');
  assert.equal(doc.body.toString(), '%PDF-1.7 doc_st_1');
  assert.equal(ledger.requests.at(-1).authorization, `Bearer ${ledger.token}`);
});
