'use strict';

// Helpers for the hidden checks: what the project declares and what npm ci installed.

const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');

function parse(version) {
  const m = /^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?/.exec(version.trim());
  if (!m) return null;
  const n = (s) => (s === undefined || /[xX*]/.test(s) ? 0 : Number(s));
  return [Number(m[1]), n(m[2]), n(m[3])];
}

function compare(a, b) {
  for (let i = 0; i < 3; i += 1) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/** The lowest version each alternative of a semver range admits (null when unbounded below). */
function floors(range) {
  return range.split('||').map((alt) => {
    const first = alt.trim().split(/\s+/)[0] || '';
    if (first === '' || first === '*' || first === 'latest' || /^</.test(first)) return null;
    return parse(first.replace(/^(\^|~|>=|>|=)/, ''));
  });
}

function declaredRange(pkg) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return (manifest.dependencies || {})[pkg];
}

function installedVersion(pkg) {
  // The copy the application resolves: node_modules/<pkg> at the top level.
  const file = path.join(ROOT, 'node_modules', pkg, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

/** Throws unless package.json and the install both keep `pkg` at `fixed` or later. */
function assertFixed(assert, pkg, fixed) {
  const want = parse(fixed);
  const range = declaredRange(pkg);
  assert.ok(range, `package.json no longer declares ${pkg}`);
  for (const floor of floors(range)) {
    assert.ok(
      floor && compare(floor, want) >= 0,
      `package.json declares ${pkg}@"${range}", which still admits versions before ${fixed}`,
    );
  }
  const installed = installedVersion(pkg);
  assert.ok(
    compare(parse(installed), want) >= 0,
    `npm ci installed ${pkg}@${installed} from package-lock.json; ${fixed} or later is needed`,
  );
  return installed;
}

module.exports = { assertFixed, compare, declaredRange, floors, installedVersion, parse };
