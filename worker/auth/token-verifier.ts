// Verifies a bearer JWT: size and shape first (cheap, before any crypto),
// then the issuer must be one we trust, the algorithm must be on that
// issuer's allowlist (asymmetric only: `none` and HMAC never pass), the
// signature must verify with one of the issuer's keys, and `iss`, `aud`,
// `exp` and `nbf` must hold within the issuer's clock skew.
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  type LocalJWKSet,
} from "jose";
import { readClaim } from "./claims.ts";
import { AuthError } from "./errors.ts";
import type { IssuerConfig } from "./issuers.ts";
import type { JwksCache } from "./jwks-cache.ts";
import { SIGNING_ALGORITHM } from "./signing-keys.ts";

/** Three base64url segments, none empty: rejects unsigned (`alg: none`) and encrypted (JWE) tokens early. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const GATEWAY_CLOCK_SKEW_SECONDS = 30;

/** The gateway as an issuer of its own tokens; its keys are local. */
export interface GatewayIssuer {
  issuer: string;
  keys: () => Promise<LocalJWKSet>;
}

export interface VerifierSetup {
  issuers: IssuerConfig[];
  jwks: JwksCache;
  maxTokenBytes: number;
  gateway: GatewayIssuer | null;
}

export type VerifiedToken =
  | { source: "idp"; issuer: IssuerConfig; claims: JWTPayload }
  | { source: "gateway"; issuer: string; claims: JWTPayload };

export async function verifyToken(
  setup: VerifierSetup,
  token: string,
  audiences: string[],
): Promise<VerifiedToken> {
  if (token.length > setup.maxTokenBytes) {
    throw new AuthError(`the token is larger than ${setup.maxTokenBytes} bytes`);
  }
  if (!COMPACT_JWS.test(token)) throw new AuthError("the token is not a signed JWT");
  const { header, claims } = decodeUnverified(token);
  if (typeof header.alg !== "string" || header.alg === "none") {
    throw new AuthError("the token is not signed");
  }
  if (typeof claims.iss !== "string") throw new AuthError("the token names no issuer");

  const gateway = setup.gateway;
  if (gateway && claims.iss === gateway.issuer) {
    const resolver = await gateway.keys();
    const options: JWTVerifyOptions = {
      issuer: gateway.issuer,
      audience: audiences,
      algorithms: [SIGNING_ALGORITHM],
      clockTolerance: GATEWAY_CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "iat", "jti", "sub"],
    };
    assertAlgorithm(header.alg, [SIGNING_ALGORITHM]);
    const payload = await verifyWith(token, resolver, options);
    return { source: "gateway", issuer: gateway.issuer, claims: payload };
  }

  const issuer = setup.issuers.find((candidate) => candidate.issuer === claims.iss);
  if (!issuer) throw new AuthError("the token's issuer is not trusted");
  assertAlgorithm(header.alg, issuer.algorithms);
  const source = {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    maxAgeMs: issuer.jwksMaxAgeSeconds * 1000,
    cooldownMs: issuer.jwksCooldownSeconds * 1000,
  };
  const accepted = issuer.audiences ?? audiences;
  const options: JWTVerifyOptions = {
    issuer: issuer.issuer,
    algorithms: issuer.algorithms,
    clockTolerance: issuer.clockSkewSeconds,
    requiredClaims: ["exp"],
  };
  if (issuer.audienceClaim === "aud") options.audience = accepted;
  const payload = await verifyWith(
    token,
    (protectedHeader: JWSHeaderParameters) => setup.jwks.keyFor(source, protectedHeader),
    options,
  );
  if (issuer.audienceClaim !== "aud") assertAudienceClaim(payload, issuer.audienceClaim, accepted);
  return { source: "idp", issuer, claims: payload };
}

function decodeUnverified(token: string): { header: JWSHeaderParameters; claims: JWTPayload } {
  try {
    return { header: decodeProtectedHeader(token) as JWSHeaderParameters, claims: decodeJwt(token) };
  } catch {
    throw new AuthError("the token is malformed");
  }
}

function assertAlgorithm(alg: string, allowed: readonly string[]): void {
  if (!allowed.includes(alg))
    throw new AuthError(`the algorithm ${safe(alg)} is not allowed for this issuer`);
}

function assertAudienceClaim(claims: JWTPayload, claim: string, accepted: string[]): void {
  const value = readClaim(claims, claim);
  const values = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  if (!values.some((item) => typeof item === "string" && accepted.includes(item))) {
    throw new AuthError("the token is not meant for this resource (audience)");
  }
}

type KeyInput = LocalJWKSet | ((header: JWSHeaderParameters) => Promise<CryptoKey>);

async function verifyWith(token: string, key: KeyInput, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, options);
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

const CLAIM_REASONS: Record<string, string> = {
  nbf: "the token is not valid yet (nbf)",
  aud: "the token is not meant for this resource (audience)",
  iss: "the token's issuer is not trusted",
  exp: "the token has no valid expiry (exp)",
  iat: "the token's issue time (iat) is invalid",
  jti: "the token has no id (jti)",
  sub: "the token names no subject",
};

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError("the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthError(CLAIM_REASONS[error.claim] ?? "a claim of the token is invalid", {
      internal: error.message,
    });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError("the token's signature is invalid");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new AuthError("the token's algorithm is not allowed");
  if (error instanceof errors.JWKSNoMatchingKey)
    return new AuthError("no signing key matches the token's kid");
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new AuthError("the token is malformed", { internal: error.message });
  }
  return new AuthError("the token could not be verified", {
    internal: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}

/** Header values end up in a WWW-Authenticate header: keep them to a harmless alphabet. */
function safe(value: string): string {
  return /^[A-Za-z0-9+_-]{1,20}$/.test(value) ? value : "given";
}
