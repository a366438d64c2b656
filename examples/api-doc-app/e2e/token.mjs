// HS256 tokens for a production-mode hub (claims: docs/protocol.md §1), with Node's crypto
// only. Used by the end-to-end test, and from the shell to try the app by hand:
//
//   HERALD_JWT_SECRET=… node e2e/token.mjs alice                 a plain user token (sub alice, org acme)
//   HERALD_JWT_SECRET=… node e2e/token.mjs --publisher my-service a publisher token (publish ["*"])
// Env: HERALD_ORG (default acme). Tokens live one hour.
import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact HS256 JWT of `claims` signed with `secret`, with `iat` now and `exp` in an hour
 *  unless `claims` sets them. */
export function mint(secret, claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + 3600, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const publisher = args[0] === '--publisher';
  const sub = publisher ? args[1] : args[0];
  const secret = process.env.HERALD_JWT_SECRET;
  if (!sub || !secret) {
    console.error('usage: HERALD_JWT_SECRET=<the hub\'s secret> node e2e/token.mjs [--publisher] <sub>');
    process.exit(2);
  }
  const org = process.env.HERALD_ORG ?? 'acme';
  console.log(mint(secret, publisher ? { sub, org, publish: ['*'] } : { sub, org }));
}
