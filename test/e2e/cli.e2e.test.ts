// mcpgw against a running gateway (wrangler dev, real MCP servers): every
// command's --json output parsed, table output for people, exit codes, the
// gateway's messages and field errors, stored credentials, and client
// configuration that real MCP clients (the SDK client and the Inspector CLI)
// connect with exactly as written.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, main } from "../../cli/main.ts";
import { type CliRun, runCli } from "../support/cli.ts";
import { runInspectorWithHeaders, type Stack, startStack } from "./harness.ts";

let stack: Stack;
let home: string;

/** mcpgw with this test's config directory and gateway; `token` sets MCPGW_TOKEN. */
function mcpgw(
  args: string[],
  options: { token?: string; stdin?: string; env?: Record<string, string> } = {},
) {
  return runCli(args, {
    env: {
      XDG_CONFIG_HOME: home,
      MCPGW_URL: stack.gateway.url,
      ...(options.token !== undefined && { MCPGW_TOKEN: options.token }),
      ...options.env,
    },
    ...(options.stdin !== undefined && { stdin: options.stdin }),
  });
}

/** Runs with --json, expects success, returns the parsed stdout. */
async function json<T = Record<string, unknown>>(args: string[], options: Parameters<typeof mcpgw>[1] = {}) {
  const run = await mcpgw([...args, "--json"], options);
  expect(run.code, `${args.join(" ")}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

function failed(run: CliRun, code = 1) {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code);
  return run.stderr;
}

beforeAll(async () => {
  stack = await startStack();
  home = await mkdtemp(join(tmpdir(), "mcpgw-home-"));
});

afterAll(async () => {
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

// Each run is a fresh Node process; on a loaded 2-core machine a dozen of them take a while.
const SLOW = { timeout: 240_000 };

describe("mcpgw --help", SLOW, () => {
  it("documents every command, in process and through the bin", async () => {
    for (const command of COMMANDS) {
      let out = "";
      const code = await main([...command.name, "--help"], {
        out: (text) => {
          out += text;
        },
        err: () => {},
      });
      expect(code, command.name.join(" ")).toBe(0);
      expect(out).toContain(`Usage: mcpgw ${command.name.join(" ")}`);
      for (const option of Object.keys(command.options ?? {})) expect(out).toContain(`--${option}`);
    }
    const top = await mcpgw(["--help"]);
    expect(top.code).toBe(0);
    for (const command of COMMANDS) expect(top.stdout).toContain(`mcpgw ${command.name.join(" ")}`);
    const one = await mcpgw(["help", "servers", "register"]);
    expect(one.stdout).toContain("--url <url>");
  });

  it("exits 2 on wrong usage, naming the problem", async () => {
    const [bogus, unknown, missing, rating] = await Promise.all([
      mcpgw(["servers", "list", "--bogus"]),
      mcpgw(["frobnicate"]),
      mcpgw(["servers", "get"]),
      mcpgw(["rate", "x", "9"]),
    ]);
    expect(failed(bogus, 2)).toContain("--bogus");
    expect(failed(unknown, 2)).toContain('unknown command "frobnicate"');
    expect(failed(missing, 2)).toContain("missing <server>");
    expect(failed(rating, 2)).toContain("from 1 to 5");
  });
});

describe("mcpgw against a gateway", SLOW, () => {
  it("logs in with the development login, stores the token 0600, and uses it", async () => {
    const bad = await mcpgw(["login", "--dev", "--password-stdin"], { stdin: "wrong\n" });
    expect(failed(bad)).toContain("401");

    const login = await json(["login", "--dev", "--password-stdin"], { stdin: `${stack.devPassword}\n` });
    expect(login).toMatchObject({ gateway: stack.gateway.url, method: "dev-login", subject: "admin" });
    const file = join(home, "mcpgw", "credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "mcpgw"))).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(file, "utf8"));
    expect(stored.current).toBe(stack.gateway.url);

    // The stored gateway is used without MCPGW_URL too.
    const who = await runCli(["whoami", "--json"], { env: { XDG_CONFIG_HOME: home } });
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ subject: "admin", credential: "dev-login" });
    const table = await mcpgw(["whoami"]);
    expect(table.stdout).toMatch(/ACTION\s+ON/);

    // A pasted token is checked before it is stored.
    expect(failed(await mcpgw(["login", "--token", "not-a-token"]))).toContain("401");
  });

  it("registers, lists, gets, updates, disables, enables, refreshes and lists tools", async () => {
    const everything = await json([
      "servers",
      "register",
      "--name",
      "Everything",
      "--path",
      "everything",
      "--url",
      stack.everythingStreamableUrl,
      "--tags",
      "reference,cli",
    ]);
    expect(everything).toMatchObject({ path: "everything", tags: ["reference", "cli"] });
    expect((everything.catalog as { status: string }).status).toBe("ok");
    const body = join(home, "legacy.json");
    await writeFile(
      body,
      JSON.stringify({
        name: "Everything over SSE",
        path: "legacy",
        tags: ["reference"],
        endpoints: [{ url: stack.everythingSseUrl, transport: "sse" }],
      }),
    );
    expect(await json(["servers", "register", "--file", body])).toMatchObject({ path: "legacy" });

    // Field errors from the gateway's problem+json, by field name (stderr), and as JSON on stdout.
    const invalid = await mcpgw([
      "servers",
      "register",
      "--name",
      "x",
      "--path",
      "Bad Path",
      "--url",
      "nope",
      "--json",
    ]);
    expect(failed(invalid)).toMatch(/422 .*\n.*path: /);
    expect(invalid.stderr).toContain("endpoints.0.url:");
    const problem = JSON.parse(invalid.stdout).error;
    expect(problem.status).toBe(422);
    expect(problem.errors.map((error: { field: string }) => error.field)).toEqual(
      expect.arrayContaining(["path", "endpoints.0.url"]),
    );

    const listed = await json<{ path: string }[]>(["servers", "list"]);
    expect(listed.map((server) => server.path).sort()).toEqual(["everything", "legacy"]);
    expect((await json<unknown[]>(["servers", "list", "--tag", "cli"])).length).toBe(1);
    const table = await mcpgw(["servers", "list"]);
    expect(table.stdout).toMatch(/^PATH\s+NAME\s+ENABLED\s+HEALTH\s+CATALOG\s+TOOLS\s+TAGS\n/);
    expect(table.stdout).toMatch(/everything\s+Everything\s+yes/);

    const byPath = await json(["servers", "get", "everything"]);
    expect(await json(["servers", "get", String(byPath.id)])).toMatchObject({
      id: byPath.id,
      path: "everything",
    });
    expect(failed(await mcpgw(["servers", "get", "nope"]))).toContain('No server with id "nope"');

    expect(
      await json(["servers", "update", "everything", "--description", "The reference server"]),
    ).toMatchObject({
      description: "The reference server",
    });
    expect(await json(["servers", "disable", "legacy"])).toMatchObject({ enabled: false });
    expect(await json(["servers", "enable", "legacy"])).toMatchObject({ enabled: true });

    const tools = await json<{ key: string }[]>(["servers", "tools", "everything"]);
    expect(tools.map((tool) => tool.key)).toContain("echo");
    expect((await mcpgw(["servers", "tools", "everything"])).stdout).toMatch(/^TOOL\s+DESCRIPTION\n/);

    expect(await json(["servers", "refresh", "everything"])).toMatchObject({ path: "everything" });
    const all = await mcpgw(["servers", "refresh", "--all", "--json"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toContain("[1/2] refreshing everything");
    expect(all.stderr).toContain("[2/2] refreshing legacy");
    const refreshed = JSON.parse(all.stdout) as { servers: { path: string }[]; failures: unknown[] };
    expect(refreshed.servers.map((server) => server.path)).toEqual(["everything", "legacy"]);
    expect(refreshed.failures).toEqual([]);
  });

  it("invokes a tool through /{path}/mcp and reports the gateway's errors", async () => {
    const result = await json<{ content: { text: string }[] }>([
      "invoke",
      "everything",
      "echo",
      "--args",
      '{"message": "from mcpgw"}',
    ]);
    expect(result.content[0]?.text).toContain("from mcpgw");
    const argsFile = join(home, "args.json");
    await writeFile(argsFile, '{"message": "from a file"}');
    expect((await mcpgw(["invoke", "everything", "echo", "--args-file", argsFile])).stdout).toContain(
      "from a file",
    );

    const [unknown, malformed, notObject, wrong, noTool] = await Promise.all([
      mcpgw(["invoke", "nope", "echo"]),
      mcpgw(["invoke", "everything", "echo", "--args", "{bad"]),
      mcpgw(["invoke", "everything", "echo", "--args", "[1]"]),
      // Arguments the tool refuses: the answer the gateway relays, exit 1.
      mcpgw(["invoke", "everything", "echo", "--args", '{"message": 5}']),
      mcpgw(["invoke", "everything", "no_such_tool"]),
    ]);
    expect(failed(unknown)).toContain("No enabled MCP server at /nope");
    expect(failed(malformed)).toContain("--args is not valid JSON");
    expect(failed(notObject)).toContain("JSON object");
    expect(failed(wrong)).toMatch(/echo reported an error: .*message/i);
    expect(failed(noTool)).toMatch(/no_such_tool/);
  });

  it("broadcasts to servers chosen by tag or by name", async () => {
    const report = await json<{
      totals: { servers: number; succeeded: number };
      results: { server: string }[];
    }>(["broadcast", "echo", "--args", '{"message": "to all"}']);
    expect(report.totals).toMatchObject({ servers: 2, succeeded: 2 });
    const tagged = await json<{ results: { server: string }[] }>([
      "broadcast",
      "echo",
      "--tags",
      "cli",
      "--args",
      '{"message": "tagged"}',
    ]);
    expect(tagged.results.map((row) => row.server)).toEqual(["everything"]);
    const named = await mcpgw(["broadcast", "echo", "--servers", "legacy", "--args", '{"message": "one"}']);
    expect(named.stdout).toMatch(/^SERVER\s+OK\s+MS\s+RESULT\n/);
    expect(named.stdout).toContain("1/1 succeeded");
    expect(failed(await mcpgw(["broadcast", "no_such_tool"]))).toContain("broadcast__no_such_tool");
    expect(failed(await mcpgw(["broadcast", "echo", "--tags", "absent"]))).toContain("no server you may see");
  });

  it("searches", async () => {
    const answer = await json<{ results: { name: string; serverPath: string }[] }>([
      "search",
      "echo back a message",
    ]);
    expect(answer.results.some((hit) => hit.name === "echo")).toBe(true);
    expect((await mcpgw(["search", "echo", "--type", "tool"])).stdout).toMatch(/^KIND\s+NAME\s+SERVER/);
    expect(failed(await mcpgw(["search", "echo", "--type", "nonsense"]))).toContain("query.type");
  });

  it("exports and imports the scopes document, with line numbers for errors", async () => {
    const yaml = await mcpgw(["scopes", "export"]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain("group_mappings:");
    const view = await json<{ revision: number }>(["scopes", "export"]);
    const file = join(home, "scopes.yml");
    expect(await json(["scopes", "export", "-o", file])).toEqual({ written: file });
    await writeFile(file, yaml.stdout);
    const stored = await json<{ revision: number }>([
      "scopes",
      "import",
      file,
      "--if-match",
      String(view.revision),
    ]);
    expect(stored.revision).toBe(view.revision + 1);
    const stale = await mcpgw(["scopes", "import", file, "--if-match", String(view.revision)]);
    expect(failed(stale)).toContain("412");
    await writeFile(file, `${yaml.stdout}\nunknown_key: 1\n`);
    expect(failed(await mcpgw(["scopes", "import", file]))).toMatch(/\(line \d+\)/);
  });

  it("mints, lists and revokes tokens; MCPGW_TOKEN wins over the stored login", async () => {
    const minted = await json<{ id: string; token: string; scopes: string[] }>([
      "tokens",
      "mint",
      "--name",
      "cli",
      "--scopes",
      "mcp-servers-unrestricted/execute",
      "--expires-in",
      "1h",
    ]);
    expect(minted.scopes).toEqual(["mcp-servers-unrestricted/execute"]);
    const who = await json(["whoami"], { token: minted.token });
    expect(who).toMatchObject({ credential: "personal-token" });
    const listed = await json<{ id: string; active: boolean }[]>(["tokens", "list"]);
    expect(listed.find((token) => token.id === minted.id)?.active).toBe(true);
    expect(await json(["tokens", "revoke", minted.id])).toEqual({ revoked: true, id: minted.id });
    expect(failed(await mcpgw(["tokens", "mint", "--name", "x", "--scopes", "not-mine"]))).toContain("403");
    expect(
      failed(await mcpgw(["tokens", "mint", "--name", "x", "--scopes", "a", "--expires-in", "soon"]), 2),
    ).toContain("--expires-in");
  });

  it("lists and exports the audit log, and lists and decides approvals", async () => {
    const minted = await json<{ id: string }>([
      "tokens",
      "mint",
      "--name",
      "audited",
      "--scopes",
      "mcp-servers-unrestricted/execute",
    ]);
    let page: { items: { method: string; detail: { target: { id: string } } }[] } = { items: [] };
    for (let attempt = 0; attempt < 50; attempt++) {
      page = await json(["audit", "list", "--category", "admin", "--method", "tokens.create"]);
      if (page.items.some((event) => event.detail.target.id === minted.id)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(page.items.filter((event) => event.detail.target.id === minted.id)).toHaveLength(1);
    const table = await mcpgw(["audit", "list", "--category", "admin"]);
    expect(table.stdout).toMatch(/^TIME\s+CATEGORY\s+SUBJECT\s+ACTION/);
    expect(table.stdout).toContain("tokens.create");

    const ndjson = await mcpgw(["audit", "export", "--category", "admin"]);
    expect(ndjson.code, ndjson.stderr).toBe(0);
    const lines = ndjson.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { method: string });
    expect(lines.map((event) => event.method)).toContain("tokens.create");
    const file = join(home, "audit.csv");
    expect((await mcpgw(["audit", "export", "--format", "csv", "-o", file])).code).toBe(0);
    expect((await readFile(file, "utf8")).split("\r\n")[0]).toMatch(/^id,occurredAt,tenant,/);
    expect(failed(await mcpgw(["audit", "export", "--format", "xml"]), 2)).toContain("--format");
    expect(failed(await mcpgw(["audit", "list", "--category", "nope"]))).toContain("query.category");

    expect(await json(["approvals", "list"])).toEqual([]);
    expect(failed(await mcpgw(["approvals", "approve", "no-such-approval"]))).toContain("404");
  });

  it("writes client configuration that the SDK client and the Inspector connect with as written", async () => {
    const token = stack.token;
    const file = join(home, "project", ".vscode", "mcp.json");
    const written = await json([
      "config",
      "vscode",
      "--server",
      "everything",
      "--token",
      token,
      "--write",
      "--file",
      file,
    ]);
    expect(written).toEqual({ client: "vscode", file, names: ["everything"] });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // A second entry is merged in, the first kept.
    await json(["config", "vscode", "--token", token, "--write", "--file", file]);
    const config = JSON.parse(await readFile(file, "utf8")) as {
      servers: Record<string, { type: string; url: string; headers: Record<string, string> }>;
    };
    expect(Object.keys(config.servers)).toEqual(["everything", "mcp-gateway"]);
    const server = config.servers.everything;
    const aggregated = config.servers["mcp-gateway"];
    if (!server || !aggregated) throw new Error("entries missing");
    expect(server).toEqual({
      type: "http",
      url: `${stack.gateway.url}/everything/mcp`,
      headers: { Authorization: `Bearer ${token}` },
    });

    // The SDK client with exactly the URL and headers of the file.
    for (const entry of [server, aggregated]) {
      const client = new Client({ name: "vscode-config", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }),
      );
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain(entry === server ? "echo" : "everything__echo");
      await client.close();
    }
    // The Inspector CLI likewise.
    const inspected = await runInspectorWithHeaders(server.url, server.headers, "http", [
      "--method",
      "tools/call",
      "--tool-name",
      "echo",
      "--tool-arg",
      "message=inspector",
    ]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toContain("inspector");

    // The other clients' formats, printed and as JSON.
    const desktop = await json<{ config: { mcpServers: Record<string, { args: string[] }> } }>([
      "config",
      "claude-desktop",
      "--all",
    ]);
    expect(Object.keys(desktop.config.mcpServers).sort()).toEqual(["everything", "legacy"]);
    expect(desktop.config.mcpServers.legacy?.args).toContain(`${stack.gateway.url}/legacy/mcp`);
    const code = await mcpgw(["config", "claude-code", "--server", "everything", "--token", "t"]);
    expect(code.stdout).toBe(
      `claude mcp add --transport http everything '${stack.gateway.url}/everything/mcp' \\\n  --header 'Authorization: Bearer t'\n`,
    );
    const cursor = await json<{ text: string }>(["config", "cursor", "--token", "t"]);
    expect(JSON.parse(cursor.text)).toEqual({
      mcpServers: {
        "mcp-gateway": { url: `${stack.gateway.url}/mcp`, headers: { Authorization: "Bearer t" } },
      },
    });
    // Never clobber a file that is not JSON.
    const broken = join(home, "broken.json");
    await writeFile(broken, "{ not json");
    expect(failed(await mcpgw(["config", "cursor", "--token", "t", "--write", "--file", broken]))).toContain(
      "not changed",
    );
    expect(await readFile(broken, "utf8")).toBe("{ not json");
  });

  it("agents, rate and import follow their routes, with a clear message on a gateway without them", async () => {
    const serverJson = join(home, "server.json");
    await writeFile(
      serverJson,
      JSON.stringify({
        name: "io.example/imported",
        description: "Imported",
        version: "1.0.0",
        remotes: [{ type: "streamable-http", url: stack.everythingStreamableUrl }],
      }),
    );
    for (const [args, feature] of [
      [["agents", "list"], "agent registry"],
      [["rate", "everything", "5"], "ratings"],
      [["import", serverJson], "server.json import"],
    ] as const) {
      const run = await mcpgw([...args, "--json"]);
      if (run.code === 0) {
        // A gateway that has the feature: the answer is JSON.
        expect(() => JSON.parse(run.stdout)).not.toThrow();
      } else {
        expect(failed(run)).toContain(`this gateway has no ${feature}`);
      }
    }
  });

  it("creates, lists, shows, updates, disables, enables and deletes virtual servers", async () => {
    type Virtual = {
      id: string;
      name: string;
      enabled: boolean;
      mode: string;
      endpoint: string;
      tools: object[];
    };
    // From flags: a tool under its own name and one renamed.
    const support = await json<Virtual>([
      "virtual-servers",
      "create",
      "--name",
      "support",
      "--description",
      "Help desk",
      "--tool",
      "everything/echo",
      "--tool",
      "everything/get-sum=add",
    ]);
    expect(support).toMatchObject({
      name: "support",
      enabled: true,
      mode: "tools",
      endpoint: "/v/support/mcp",
    });
    expect(support.tools).toEqual([
      { server: "everything", tool: "echo" },
      { server: "everything", tool: "get-sum", name: "add" },
    ]);
    // From a file: the API body as is, a server taken whole.
    const body = join(home, "mirror.json");
    await writeFile(
      body,
      JSON.stringify({
        name: "mirror",
        mode: "discovery",
        tools: [{ server: "everything", tool: "*" }],
        prompts: [{ server: "everything", prompt: "*" }],
      }),
    );
    const mirror = await json<Virtual>(["virtual-servers", "create", "--file", body]);
    expect(mirror).toMatchObject({
      name: "mirror",
      mode: "discovery",
      tools: [{ server: "everything", tool: "*" }],
    });

    // The endpoints the CLI made answer MCP with the chosen tools under their exposed names.
    const client = new Client({ name: "cli-virtual", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${stack.gateway.url}${support.endpoint}`), {
        requestInit: { headers: { Authorization: `Bearer ${stack.token}` } },
      }),
    );
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["add", "echo"]);
    await client.close();

    const listed = await json<Virtual[]>(["virtual-servers", "list"]);
    expect(listed.map((item) => item.name).sort()).toEqual(["mirror", "support"]);
    const table = (await mcpgw(["virtual-servers", "list"])).stdout;
    expect(table).toMatch(/^NAME\s+ID\s+ENABLED\s+MODE\s+TOOLS\s+MCP URL\n/);
    expect(table).toMatch(
      new RegExp(`support\\s+${support.id}\\s+yes\\s+tools\\s+2\\s+${stack.gateway.url}/v/support/mcp`),
    );
    expect(table).toMatch(/mirror\s+\S+\s+yes\s+discovery\s+0\+1 whole\s+\S+\/v\/mirror\/mcp/);

    // By name or by id; the human form lists the items.
    expect(await json(["virtual-servers", "show", support.id])).toMatchObject({ name: "support" });
    const shown = (await mcpgw(["virtual-servers", "show", "support"])).stdout;
    expect(shown).toContain(`mcp url:     ${stack.gateway.url}/v/support/mcp`);
    expect(shown).toMatch(/tool\s+everything\/get-sum\s+add/);
    expect(failed(await mcpgw(["virtual-servers", "show", "nope"]))).toContain("404");

    // The gateway's refusal names the field, on stderr and as JSON; nothing is stored.
    const unknown = await mcpgw([
      "virtual-servers",
      "create",
      "--name",
      "broken",
      "--tool",
      "everything/echo",
      "--tool",
      "everything/no_such_tool",
      "--json",
    ]);
    expect(failed(unknown)).toMatch(
      /422 .*\n.*tools\.1\.tool: tool "no_such_tool" not found on "everything"/,
    );
    expect(JSON.parse(unknown.stdout).error.errors.map((error: { field: string }) => error.field)).toEqual([
      "tools.1.tool",
    ]);
    const wildcardRenamed = await mcpgw([
      "virtual-servers",
      "update",
      "mirror",
      "--tool",
      "everything/*=all",
    ]);
    expect(failed(wildcardRenamed)).toMatch(/tools\.0\.name: not allowed/);
    expect(failed(await mcpgw(["virtual-servers", "create", "--tool", "echo"]), 2)).toContain(
      "<server>/<tool>",
    );
    expect((await json<Virtual[]>(["virtual-servers", "list"])).map((item) => item.name).sort()).toEqual([
      "mirror",
      "support",
    ]);

    // --whole takes a server's tools whole; an update replaces the list it sets.
    const updated = await json<Virtual>([
      "virtual-servers",
      "update",
      "support",
      "--whole",
      "legacy",
      "--mode",
      "discovery",
    ]);
    expect(updated).toMatchObject({
      id: support.id,
      mode: "discovery",
      tools: [{ server: "legacy", tool: "*" }],
    });

    expect(await json(["virtual-servers", "disable", "support"])).toMatchObject({ enabled: false });
    expect((await mcpgw(["virtual-servers", "list"])).stdout).toMatch(/support\s+\S+\s+no\s+/);
    expect(await json(["virtual-servers", "enable", support.id])).toMatchObject({ enabled: true });

    expect(await json(["virtual-servers", "delete", "support"])).toEqual({
      deleted: true,
      id: support.id,
      name: "support",
    });
    expect(await json(["virtual-servers", "delete", mirror.id])).toMatchObject({
      deleted: true,
      name: "mirror",
    });
    expect((await mcpgw(["virtual-servers", "list"])).stdout).toBe("No virtual servers.\n");
  });

  it("deletes a server and logs out", async () => {
    expect(await json(["servers", "delete", "legacy"])).toMatchObject({ deleted: true, path: "legacy" });
    expect(failed(await mcpgw(["servers", "get", "legacy"]))).toContain("No server with id");
    expect(await json(["logout"])).toEqual({ gateway: stack.gateway.url, removed: true });
    expect(failed(await mcpgw(["servers", "list"]))).toContain("not logged in");
  });
});
