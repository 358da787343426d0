// What the browser tests run against: the dashboard built into dashboard/dist,
// the real gateway under `wrangler dev` serving it (fresh state and secrets,
// health checks every 5 s so a change shows up quickly), and a real
// server-everything to register through the dashboard's form.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { buildDashboard } from "../../scripts/build-dashboard.ts";
import { type DevSecrets, devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { startEverything } from "../support/upstreams.ts";
import { SCREENSHOTS } from "./browser.ts";

export interface BrowserStack {
  gateway: LocalGateway;
  secrets: DevSecrets;
  everythingUrl: string;
  stop(): Promise<void>;
}

export async function startBrowserStack(vars: Record<string, string> = {}): Promise<BrowserStack> {
  await buildDashboard();
  const secrets = newDevSecrets();
  const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-browser-"));
  const [gateway, everything] = await Promise.all([
    (async () =>
      startLocalGateway({
        port: await freePort(),
        persistDir,
        secrets: { ...secrets },
        vars: { HEALTH_CHECK_INTERVAL_SECONDS: "5", ...vars },
      }))(),
    startEverything("streamableHttp"),
  ]);
  return {
    gateway,
    secrets,
    everythingUrl: everything.url,
    async stop() {
      // The gateway's log next to the screenshots, for diagnosing a failed run.
      await mkdir(SCREENSHOTS, { recursive: true });
      await writeFile(join(SCREENSHOTS, `gateway-${gateway.url.split(":").pop()}.log`), gateway.output());
      await Promise.allSettled([gateway.stop(), everything.proc.stop()]);
      await rm(persistDir, { recursive: true, force: true });
    },
  };
}

/** A bearer token of the dev admin (POST /api/v1/auth/dev-login), for setting state up through the API. */
export function adminToken(stack: BrowserStack): Promise<string> {
  return devLogin(stack.gateway.url, stack.secrets.DEV_ADMIN_USERNAME, stack.secrets.DEV_ADMIN_PASSWORD);
}

/** Fills the sign-in form the page shows with `password` (the dev admin's) and submits it. */
export async function submitSignIn(page: Page, password: string): Promise<void> {
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}
