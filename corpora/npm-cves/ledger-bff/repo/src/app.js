'use strict';

const http = require('http');

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function upstreamStatus(err) {
  const status = err.response && err.response.status;
  if (status === 404) return 404;
  return 502;
}

/**
 * The BFF's HTTP API. It sits behind the SSO proxy, which authenticates the
 * customer and sets X-Account-Id; a customer may only read their own account.
 */
function createApp({ ledger }) {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://bff.local');
    const account = req.headers['x-account-id'];
    try {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' });
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });

      let m = /^\/api\/accounts\/([\w-]+)\/statements$/.exec(url.pathname);
      if (m) {
        if (m[1] !== account) return sendJson(res, 403, { error: 'forbidden' });
        const page = await ledger.listStatements(m[1], url.searchParams.get('cursor') || undefined);
        return sendJson(res, 200, { statements: page.items, cursor: page.next || null });
      }

      m = /^\/api\/accounts\/([\w-]+)\/statements\/([\w-]+)$/.exec(url.pathname);
      if (m) {
        if (m[1] !== account) return sendJson(res, 403, { error: 'forbidden' });
        return sendJson(res, 200, await ledger.getStatement(m[1], m[2]));
      }

      if (url.pathname === '/api/documents') {
        const href = url.searchParams.get('href');
        if (!account || !href) return sendJson(res, 400, { error: 'bad_request' });
        const doc = await ledger.fetchDocument(href);
        res.writeHead(200, { 'content-type': doc.contentType || 'application/pdf' });
        return res.end(doc.body);
      }

      return sendJson(res, 404, { error: 'not_found' });
    } catch (err) {
      return sendJson(res, upstreamStatus(err), { error: 'upstream_error' });
    }
  });
}

module.exports = { createApp };
