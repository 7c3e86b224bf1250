'use strict';

const axios = require('axios');

/**
 * Client for the internal ledger API. Every request carries the BFF's service
 * token, which the ledger trusts for any customer account.
 */
function createLedgerClient({ baseURL, serviceToken, timeout = 5000 }) {
  const http = axios.create({
    baseURL,
    timeout,
    headers: {
      Authorization: `Bearer ${serviceToken}`,
      Accept: 'application/json',
    },
  });

  const accountPath = (accountId) => `/v2/accounts/${encodeURIComponent(accountId)}`;

  /**
   * One page of an account's statements. The ledger pages with `next` links
   * (paths such as /v2/accounts/acc_1/statements?after=st_9); the web app hands
   * the previous page's link back to us as an opaque cursor.
   */
  async function listStatements(accountId, cursor) {
    const url = cursor || `${accountPath(accountId)}/statements`;
    const { data } = await http.get(url);
    return data;
  }

  async function getStatement(accountId, statementId) {
    const { data } = await http.get(`${accountPath(accountId)}/statements/${encodeURIComponent(statementId)}`);
    return data;
  }

  /** A statement's PDF, by the `document.href` path the ledger returned with the statement. */
  async function fetchDocument(href) {
    const res = await http.get(href, { responseType: 'arraybuffer', headers: { Accept: 'application/pdf' } });
    return { contentType: res.headers['content-type'], body: Buffer.from(res.data) };
  }

  return { listStatements, getStatement, fetchDocument };
}

module.exports = { createLedgerClient };
