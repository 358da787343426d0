// The gateway's own token signing keys: an ES256 private key from the
// TOKEN_SIGNING_KEY secret (a JWK), and optionally the previous key's public
// half (TOKEN_SIGNING_KEY_PREVIOUS) so tokens signed before a rotation keep
// verifying until they expire. Both are published at /.well-known/jwks.json.
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type LocalJWKSet,
} from "jose";
import { z } from "zod";
import { publicPart } from "./jwks-cache.ts";

export const SIGNING_ALGORITHM = "ES256";

const EcP256Jwk = z.looseObject({
  kty: z.literal("EC", { error: 'must be an EC key ("kty": "EC")' }),
  crv: z.literal("P-256", { error: 'must be a P-256 key ("crv": "P-256", for ES256)' }),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1).optional(),
  kid: z.string().min(1).max(200).optional(),
});

const jwkSetting = (requirePrivate: boolean) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JWK as JSON" });
        return z.NEVER;
      }
    })
    .pipe(
      EcP256Jwk.refine((jwk) => !requirePrivate || jwk.d !== undefined, {
        error: 'must be a private key (with "d")',
      }),
    )
    .transform((jwk) => jwk as JWK);

/** TOKEN_SIGNING_KEY: the private ES256 key as a JWK (JSON). */
export const SigningKeySetting = jwkSetting(true);
/** TOKEN_SIGNING_KEY_PREVIOUS: the previous key (public or private half; only the public half is used). */
export const PreviousSigningKeySetting = jwkSetting(false);

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** What /.well-known/jwks.json serves: the current key, then the previous one. */
  jwks: JSONWebKeySet;
  /** Verification keys for tokens the gateway signed. */
  resolver: LocalJWKSet;
}

const imported = new WeakMap<JWK, Promise<SigningKeys>>();

/** Imports the keys once per configuration (the JWK objects are cached with the config). */
export function signingKeys(current: JWK, previous: JWK | null): Promise<SigningKeys> {
  let keys = imported.get(current);
  if (!keys) {
    keys = importKeys(current, previous);
    imported.set(current, keys);
    // A bad key must not stay cached as a rejected promise forever.
    keys.catch(() => imported.delete(current));
  }
  return keys;
}

async function importKeys(current: JWK, previous: JWK | null): Promise<SigningKeys> {
  const kid = current.kid ?? (await calculateJwkThumbprint(publicPart(current)));
  const privateKey = (await importJWK({ ...current, kid }, SIGNING_ALGORITHM)) as CryptoKey;
  const published: JWK[] = [publishable(current, kid)];
  if (previous) {
    const previousKid = previous.kid ?? (await calculateJwkThumbprint(publicPart(previous)));
    if (previousKid !== kid) published.push(publishable(previous, previousKid));
  }
  const jwks = { keys: published };
  return { kid, privateKey, jwks, resolver: createLocalJWKSet(jwks) };
}

function publishable(jwk: JWK, kid: string): JWK {
  const { kty, crv, x, y } = publicPart(jwk);
  return { kty, crv, x, y, kid, alg: SIGNING_ALGORITHM, use: "sig" } as JWK;
}
