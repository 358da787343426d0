// Egress credentials: how the gateway authenticates to an upstream. The record
// names secrets; their values are read from the Worker's environment only when
// a request is made, and only ever go to that upstream. An `oauth` egress has
// no shared secret: each caller's own token (CallerCredentials) is resolved
// before the request and offered through a caller-bound SecretSource.
import type { Principal } from "../auth/principal.ts";
import type { EgressCredential, ServerRecord } from "../store/registry-store.ts";

export class MissingSecretError extends Error {
  override readonly name = "MissingSecretError";
  constructor(readonly secret: string) {
    super(`egress secret ${secret} is not set`);
  }
}

export interface EgressRequestParts {
  url: string;
  headers: Record<string, string>;
}

export type SecretSource = (name: string) => string | undefined;

export function secretsFromEnv(env: object): SecretSource {
  return (name) => {
    const value = (env as Record<string, unknown>)[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
}

function readSecret(secrets: SecretSource, name: string): string {
  const value = secrets(name);
  if (value === undefined) throw new MissingSecretError(name);
  return value;
}

/**
 * Returns the URL and headers to use for `url` with `egress` applied. An
 * `oauth` egress adds the caller's token when `secrets` is caller-bound
 * (`callerSecrets`), and nothing otherwise: health probes and session
 * teardown carry no one's credential.
 */
export function applyEgress(
  url: string,
  egress: EgressCredential | null,
  secrets: SecretSource,
): EgressRequestParts {
  if (egress === null) return { url, headers: {} };
  if (egress.type === "oauth") {
    const token = secrets(CALLER_TOKEN);
    return { url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } };
  }
  const secret = readSecret(secrets, egress.secret);
  switch (egress.type) {
    case "bearer":
      return { url, headers: { authorization: `Bearer ${secret}` } };
    case "basic":
      return { url, headers: { authorization: `Basic ${btoa(`${egress.username}:${secret}`)}` } };
    case "api_key":
      return place(url, egress.in, egress.name, secret);
    case "template":
      return place(url, egress.in, egress.name, egress.template.replaceAll("{secret}", secret));
  }
}

function place(url: string, where: "header" | "query", name: string, value: string): EgressRequestParts {
  if (where === "header") return { url, headers: { [name.toLowerCase()]: value } };
  const target = new URL(url);
  target.searchParams.set(name, value);
  return { url: target.toString(), headers: {} };
}

// --- Per-user credentials (`oauth` egress) ---

/** A name no environment variable can have: where a caller-bound source keeps the caller's token. */
const CALLER_TOKEN = "\u0000caller-upstream-token";

/** The caller has no usable connection to the server's provider; `connectUrl` is where they make one. */
export class ConnectionRequiredError extends Error {
  override readonly name = "ConnectionRequiredError";
  constructor(
    readonly serverPath: string,
    readonly connectUrl: string,
    /** `reconnect`: a connection existed but its refresh failed or it was revoked upstream. */
    readonly reason: "not_connected" | "reconnect",
  ) {
    super(
      reason === "reconnect"
        ? `Your connected account for server "${serverPath}" must be reconnected: open ${connectUrl}`
        : `Server "${serverPath}" acts on your own account: connect it at ${connectUrl}, then retry`,
    );
  }
}

/** Where callers' own upstream tokens come from (worker/oauth/connection-service.ts). */
export interface CallerCredentials {
  /** A current access token of `principal` for `server` (refreshed near expiry); throws ConnectionRequiredError. */
  accessToken(server: ServerRecord, principal: Principal): Promise<string>;
}

/** `secrets` bound to one request with the caller's own token; only egress of this request reads it. */
export function withCallerToken(secrets: SecretSource, token: string): SecretSource {
  return (name) => (name === CALLER_TOKEN ? token : secrets(name));
}

/**
 * The secret source for `principal`'s requests to `server`: unchanged unless
 * the server's egress is per user, then bound to the caller's own token.
 * Throws ConnectionRequiredError when the caller has not connected.
 */
export async function callerSecrets(
  server: ServerRecord,
  principal: Principal,
  secrets: SecretSource,
  credentials: CallerCredentials | undefined,
): Promise<SecretSource> {
  if (server.egress?.type !== "oauth" || credentials === undefined) return secrets;
  return withCallerToken(secrets, await credentials.accessToken(server, principal));
}

/**
 * Opaque key of the credential `principal`'s requests to `server` carry:
 * null when every caller shares it (the server's own secret, or none), one
 * key per user for `oauth` egress. Whatever reuses upstream connections or
 * sessions across requests must key on it, so one user's credential is never
 * used for another's request.
 */
export function credentialKey(server: ServerRecord, principal: Principal): string | null {
  if (server.egress?.type !== "oauth") return null;
  return `user:${JSON.stringify([principal.tenant, principal.issuer, principal.subject])}`;
}

/** MCP's URLElicitationRequiredError (2025-11-25): clients that support URL elicitation open the URL. */
export const URL_ELICITATION_REQUIRED = -32042;

/** The JSON-RPC error for a caller who must connect first: `data.connectUrl` plus a URL elicitation. */
export function connectionRequiredRpc(error: ConnectionRequiredError): {
  code: number;
  message: string;
  data: Record<string, unknown>;
} {
  return {
    code: URL_ELICITATION_REQUIRED,
    message: error.message,
    data: {
      connectUrl: error.connectUrl,
      reason: error.reason,
      elicitations: [
        {
          mode: "url",
          elicitationId: `connect-${error.serverPath}`,
          url: error.connectUrl,
          message: `Connect your account for ${error.serverPath}`,
        },
      ],
    },
  };
}
