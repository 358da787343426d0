import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testBindings } from "./test/support/test-config.ts";

// Three projects: `workers` runs inside workerd with real D1 (migrations applied
// in a setup file); `e2e` runs in Node against real processes (the gateway
// under `wrangler dev`, real MCP servers and clients); `browser` drives the
// dashboard in Chromium against such a gateway.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            // A function, so the bindings can name the loopback IdPs the global setup started.
            cloudflareTest(async ({ inject }) => ({
              main: "./worker/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ...(await testBindings(inject("idp"))),
                },
              },
            })),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
            // Real processes, Durable Objects and 200-request concurrency runs on a
            // 2-core machine: generous limits (no test asserts on time).
            testTimeout: 30_000,
            hookTimeout: 60_000,
            setupFiles: ["./test/support/apply-migrations.ts"],
            globalSetup: [
              "./test/support/upstreams.ts",
              "./test/support/idp.ts",
              "./test/support/embeddings-server.ts",
            ],
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The dashboard in Debian's Chromium (playwright-core): `npm run test:browser`,
          // not part of `npm test` (it needs /usr/bin/chromium).
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            // One gateway and one Chromium at a time (and one build of dashboard/dist).
            fileParallelism: false,
            testTimeout: 90_000,
            hookTimeout: 240_000,
          },
        },
      ],
    },
  };
});
