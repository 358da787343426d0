// What every command gets: the output, and the gateway and credential chosen
// by the precedence rules (--gateway, then MCPGW_URL, then the gateway of the
// last login; MCPGW_TOKEN over the stored login of that gateway).
import { readFile } from "node:fs/promises";
import { CliError, UsageError } from "./command.ts";
import type { CredentialStore } from "./credentials.ts";
import { GatewayClient } from "./gateway-client.ts";
import { needsRefresh, refreshLogin } from "./oauth-login.ts";
import type { Output } from "./output.ts";

export interface Context {
  output: Output;
  env: NodeJS.ProcessEnv;
  credentials: CredentialStore;
  /** The gateway origin (no trailing slash). */
  gateway(): Promise<string>;
  /**
   * The bearer token for the gateway. `mcpEndpoint` names the MCP endpoint it is
   * for; without it the token is for the REST API. An OAuth login's token is
   * bound to one MCP endpoint and is renewed here when it has expired.
   */
  token(mcpEndpoint?: string): Promise<string>;
  /** A REST client with the token. */
  api(): Promise<GatewayClient>;
  /** A REST client without a token (sign-in routes). */
  anonymousApi(): Promise<GatewayClient>;
  /** A file's text, or stdin for "-". */
  readInput(file: string): Promise<string>;
}

export function normalizeGateway(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the gateway must be an absolute URL such as http://127.0.0.1:8787, not "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`the gateway must be an http(s) URL, not "${raw}"`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export function createContext(
  output: Output,
  credentials: CredentialStore,
  env: NodeJS.ProcessEnv,
  gatewayOption: string | undefined,
): Context {
  const gateway = async () => {
    const chosen = gatewayOption ?? env.MCPGW_URL ?? (await credentials.currentGateway());
    if (!chosen) {
      throw new CliError(
        "no gateway chosen: pass --gateway <url>, set MCPGW_URL, or run mcpgw login --gateway <url>",
      );
    }
    return normalizeGateway(chosen);
  };
  const token = async (mcpEndpoint?: string) => {
    if (env.MCPGW_TOKEN) return env.MCPGW_TOKEN;
    const url = await gateway();
    let stored = await credentials.get(url);
    if (!stored) throw new CliError(`not logged in to ${url}: run mcpgw login, or set MCPGW_TOKEN`);
    if (stored.oauth) {
      usableOAuthLogin(stored.oauth.resource, mcpEndpoint);
      if (needsRefresh(stored)) {
        stored = await refreshLogin(url, stored);
        await credentials.save(url, stored);
      }
    }
    return stored.token;
  };
  return {
    output,
    env,
    credentials,
    gateway,
    token,
    api: async () => new GatewayClient(await gateway(), await token()),
    anonymousApi: async () => new GatewayClient(await gateway(), null),
    readInput: async (file) => {
      try {
        return file === "-" ? await readStdin() : await readFile(file, "utf8");
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
      }
    },
  };
}

/**
 * The gateway accepts its OAuth tokens only at the MCP endpoint they were
 * issued for (RFC 8707), never on /api/v1: say so before sending a request
 * that must fail.
 */
function usableOAuthLogin(resource: string, mcpEndpoint: string | undefined): void {
  if (mcpEndpoint === undefined) {
    throw new CliError(
      "the stored login is a browser (OAuth) sign-in, which the gateway accepts on its MCP endpoints only; " +
        "for this command sign in with mcpgw login --dev or --token, or set MCPGW_TOKEN",
    );
  }
  if (mcpEndpoint !== resource) {
    const path = new URL(mcpEndpoint).pathname;
    const server = path === "/mcp" ? "" : ` --server ${decodeURIComponent(path.slice(1, -"/mcp".length))}`;
    throw new CliError(
      `the stored browser (OAuth) sign-in is for ${resource}, not ${mcpEndpoint}: run mcpgw login --oauth${server}`,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses JSON given on the command line or in a file, naming where it came from on failure. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}
