'use strict';

const http = require('node:http');

const TOKEN = 'svc-token-for-tests';

const STATEMENTS = {
  acc_1: [
    { id: 'st_1', period: '2026-08', document: { href: '/v2/documents/doc_st_1.pdf' } },
    { id: 'st_2', period: '2026-09', document: { href: '/v2/documents/doc_st_2.pdf' } },
    { id: 'st_3', period: '2026-10', document: { href: '/v2/documents/doc_st_3.pdf' } },
  ],
};

/** A stand-in for the ledger API: two statements per page, bearer token required. */
async function startLedger() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401);
      return res.end();
    }
    const url = new URL(req.url, 'http://ledger');
    let m = /^\/v2\/accounts\/([\w-]+)\/statements$/.exec(url.pathname);
    if (m && STATEMENTS[m[1]]) {
      const all = STATEMENTS[m[1]];
      const after = url.searchParams.get('after');
      const start = after ? all.findIndex((s) => s.id === after) + 1 : 0;
      const items = all.slice(start, start + 2);
      const more = start + 2 < all.length;
      const body = { items, next: more ? `/v2/accounts/${m[1]}/statements?after=${items[items.length - 1].id}` : null };
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(body));
    }
    m = /^\/v2\/accounts\/([\w-]+)\/statements\/([\w-]+)$/.exec(url.pathname);
    const statement = m && (STATEMENTS[m[1]] || []).find((s) => s.id === m[2]);
    if (statement) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(statement));
    }
    m = /^\/v2\/documents\/(doc_[\w-]+)\.pdf$/.exec(url.pathname);
    if (m) {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      return res.end(`%PDF-1.7 ${m[1]}`);
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end('{"error":"not_found"}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, requests, url: `http://127.0.0.1:${server.address().port}`, token: TOKEN };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

module.exports = { listen, startLedger };
