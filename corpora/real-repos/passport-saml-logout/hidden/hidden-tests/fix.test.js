// Hidden check for real-repos/passport-saml-logout: passport 0.6 is what runs, and the
// strategy's SAML single logout works with passport 0.6's asynchronous req.logout — the
// local session is ended and a failure to end it is reported, never swallowed.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
require(require.resolve("ts-node", { paths: [root] })).register({
  transpileOnly: true,
  project: path.join(root, "tsconfig.json"),
});
const { Strategy } = require(path.join(root, "src"));

function atLeast(version, want) {
  const a = version.split(/[.-]/).map(Number);
  const b = want.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    if ((a[i] || 0) !== b[i]) return (a[i] || 0) > b[i];
  }
  return true;
}

test("passport 0.6 or later is the one installed", () => {
  const manifest = require(require.resolve("passport/package.json", { paths: [root] }));
  assert.ok(atLeast(manifest.version, "0.6.0"), `passport ${manifest.version} is installed`);
});

// A request as passport 0.6 leaves it: req.logout needs a callback and finishes later.
function request(logoutError) {
  const req = {
    body: { SAMLRequest: "logout-request" },
    query: {},
    url: "/logout",
    user: { nameID: "alice@example.com", issuer: "https://idp.example.com" },
    loggedOut: false,
    logout(options, done) {
      if (typeof options === "function") done = options;
      if (typeof done !== "function") throw new Error("req#logout requires a callback function");
      setImmediate(() => {
        if (logoutError) return done(logoutError);
        req.user = null;
        req.loggedOut = true;
        done();
      });
    },
  };
  return req;
}

function strategy() {
  const user = { nameID: "alice@example.com", issuer: "https://idp.example.com" };
  const s = new Strategy(
    {
      callbackUrl: "http://localhost/login",
      entryPoint: "https://idp.example.com/saml",
      cert: "MIIC",
      issuer: "passport-saml",
    },
    (_profile, done) => done(null, user),
    (_profile, done) => done(null, user)
  );
  s._saml.validatePostRequestAsync = async () => ({ profile: { ...user }, loggedOut: true });
  s._saml.getLogoutResponseUrl = (_profile, _relay, _options, success, done) =>
    done(null, `https://idp.example.com/slo?success=${success}`);
  const seen = { redirects: [], errors: [], passed: 0 };
  s.redirect = (url) => seen.redirects.push(url);
  s.error = (err) => seen.errors.push(err);
  s.pass = () => seen.passed++;
  s.success = () => assert.fail("a logout request must not log anyone in");
  s.fail = () => seen.errors.push(new Error("fail() called"));
  return { s, seen };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

test("an IdP logout request ends the local session and answers the IdP once", async () => {
  const { s, seen } = strategy();
  const req = request(null);
  s.authenticate(req, {});
  await settle();
  assert.deepEqual(seen.errors, [], "no error for a good logout");
  assert.equal(req.loggedOut, true, "req.logout completed: the local session is ended");
  assert.equal(req.user, null);
  assert.deepEqual(seen.redirects, ["https://idp.example.com/slo?success=true"]);
});

test("a local logout that fails is reported, not swallowed", async () => {
  const { s, seen } = strategy();
  const req = request(new Error("session store unavailable"));
  s.authenticate(req, {});
  await settle();
  assert.equal(seen.errors.length, 1, "the strategy reports the logout failure once");
  assert.match(String(seen.errors[0] && seen.errors[0].message), /session store unavailable/);
  assert.equal(req.loggedOut, false);
});
