// Stored logins: one file in the user's configuration directory
// ($XDG_CONFIG_HOME/mcpgw/credentials.json, else ~/.config/mcpgw; %APPDATA%
// on Windows), readable by the user only (directory 0700, file 0600). It maps
// each gateway URL to its token and remembers the last gateway logged in to.
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface StoredLogin {
  token: string;
  /** How the token was obtained: "dev-login", "token", "oauth". */
  method: string;
  savedAt: string;
  /** For logins that can be renewed without the user (OAuth refresh tokens, issue 15). */
  refreshToken?: string;
  expiresAt?: string;
  /** Browser sign-ins (cli/oauth-login.ts): the registered client and the MCP endpoint the token is for. */
  oauth?: OAuthLoginRecord;
}

export interface OAuthLoginRecord {
  clientId: string;
  clientSecret?: string;
  /** The MCP endpoint (resource, RFC 8707) the token is bound to: /mcp or /{path}/mcp. */
  resource: string;
}

interface CredentialsFile {
  current: string | null;
  gateways: Record<string, StoredLogin>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "mcpgw");
  if (process.platform === "win32" && env.APPDATA) return join(env.APPDATA, "mcpgw");
  return join(homedir(), ".config", "mcpgw");
}

export class CredentialStore {
  readonly file: string;

  constructor(file: string = join(configDir(), "credentials.json")) {
    this.file = file;
  }

  private async read(): Promise<CredentialsFile> {
    try {
      const parsed = JSON.parse(await readFile(this.file, "utf8")) as Partial<CredentialsFile>;
      return { current: parsed.current ?? null, gateways: parsed.gateways ?? {} };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { current: null, gateways: {} };
      throw new Error(`cannot read ${this.file}: ${(error as Error).message}`);
    }
  }

  /** Written to a private temporary file first, then renamed: never briefly world-readable, never half-written. */
  private async write(data: CredentialsFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.file);
  }

  async currentGateway(): Promise<string | null> {
    return (await this.read()).current;
  }

  async get(gateway: string): Promise<StoredLogin | null> {
    return (await this.read()).gateways[gateway] ?? null;
  }

  async save(gateway: string, login: StoredLogin): Promise<void> {
    const data = await this.read();
    data.gateways[gateway] = login;
    data.current = gateway;
    await this.write(data);
  }

  /** Forgets one gateway's login; true when there was one. */
  async remove(gateway: string): Promise<boolean> {
    const data = await this.read();
    if (!data.gateways[gateway]) return false;
    delete data.gateways[gateway];
    if (data.current === gateway) data.current = Object.keys(data.gateways)[0] ?? null;
    if (Object.keys(data.gateways).length === 0) await rm(this.file, { force: true });
    else await this.write(data);
    return true;
  }
}
