// MCP sessions of the CLI: the MCP SDK client over Streamable HTTP to one of
// the gateway's endpoints, with the same URL and Authorization header that
// `mcpgw config` writes for clients. Transport failures become CliError with
// the gateway's own message (its JSON-RPC error or problem+json text).
import type { Client } from "@modelcontextprotocol/client";
import { CliError } from "./command.ts";

type Sdk = typeof import("@modelcontextprotocol/client");

/** The gateway's MCP endpoint: the aggregated /mcp, or one server's /{path}/mcp. */
export function endpointUrl(gateway: string, serverPath?: string): string {
  return serverPath === undefined ? `${gateway}/mcp` : `${gateway}/${encodeURIComponent(serverPath)}/mcp`;
}

export function authorizationHeaders(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export async function withMcpClient<T>(
  url: string,
  token: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  // Loaded on first use: most commands speak REST only and start faster without it.
  const sdk: Sdk = await import("@modelcontextprotocol/client");
  const client = new sdk.Client({ name: "mcpgw", version: "1.0.0" });
  const transport = new sdk.StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: authorizationHeaders(token) },
  });
  try {
    await client.connect(transport);
    return await work(client);
  } catch (error) {
    throw describeMcpError(sdk, error, url);
  } finally {
    await client.close().catch(() => {});
  }
}

/** A readable error: the JSON-RPC error message the gateway sent, or what HTTP status meant. */
function describeMcpError(sdk: Sdk, error: unknown, url: string): Error {
  if (error instanceof CliError) return error;
  if (error instanceof sdk.UnauthorizedError) {
    return new CliError(`${url}: the gateway refused the credential (401); run mcpgw login`);
  }
  if (error instanceof sdk.SdkHttpError) {
    const text = typeof error.data.text === "string" ? error.data.text : "";
    return new CliError(`${url} answered ${error.status}: ${gatewayMessage(text) ?? error.message}`);
  }
  const cause = (error as { cause?: { code?: string } }).cause;
  if (error instanceof TypeError && cause?.code) {
    return new CliError(`cannot reach ${url}: ${cause.code}`);
  }
  return error instanceof Error ? new CliError(error.message) : new CliError(String(error));
}

/** The message of a JSON-RPC error or problem+json body, if the text is one. */
function gatewayMessage(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { message?: string }; detail?: string; title?: string };
    return body.error?.message ?? body.detail ?? body.title ?? null;
  } catch {
    return text.trim() ? text.trim().slice(0, 300) : null;
  }
}
