'use strict';

const { createApp } = require('./app');
const { createLedgerClient } = require('./ledgerClient');

const ledger = createLedgerClient({
  baseURL: process.env.LEDGER_URL || 'http://ledger.internal:8080',
  serviceToken: process.env.LEDGER_SERVICE_TOKEN,
});

const port = Number(process.env.PORT || 4000);
createApp({ ledger }).listen(port, () => console.log(`ledger-bff listening on :${port}`));
