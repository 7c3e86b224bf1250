// The hidden check, copied into the checkout only for grading: the tests sign and verify
// their tokens with a jsonwebtoken without 8.5.1's advisories (fixed in 9.0.0).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

test('jsonwebtoken 9 or later is what the tests run against', () => {
  const version = require(require.resolve('jsonwebtoken/package.json', { paths: [root] })).version;
  assert.ok(
    Number(version.split('.')[0]) >= 9,
    `jsonwebtoken ${version} is installed: GHSA-27h2-hvpr-p74q and the rest of 8.5.1's advisories are fixed in 9.0.0`
  );
});
