// What identity needs from configuration (parsed by worker/env.ts, passed in by services.ts).
import type { JWK } from "jose";
import type { IssuerConfig } from "./issuers.ts";

export interface AuthSettings {
  /** External identity providers (the gateway's own issuer is added at run time). */
  issuers: IssuerConfig[];
  maxTokenBytes: number;
  /** Private ES256 JWK; null: the gateway vends no tokens. */
  signingKey: JWK | null;
  previousSigningKey: JWK | null;
  tokenMaxLifetimeSeconds: number;
  tokenMintsPerMinute: number;
  /** Set only with DEV_MODE on (never in production) and both secrets present. */
  devLogin: { username: string; password: string } | null;
}
