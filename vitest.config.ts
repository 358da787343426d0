import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testBindings } from "./test/support/test-config.ts";
import { walkProbes } from "./test/walk/walk-instrument.ts";

// Projects: `unit` and `workers` run inside workerd with real D1 (migrations
// applied in a setup file); `e2e` and `e2e-long` run in Node against real
// processes (the gateway under `wrangler dev`, real MCP servers and clients);
// `browser` drives the dashboard in Chromium against such a gateway.
// `npm test` runs unit, workers and e2e; .ci/run then runs `npm run test:long`
// (e2e-long) and `npm run test:browser`.
/** Node suites of several minutes each: their own project and script (`npm run test:long`). */
const LONG_E2E = [
  "test/e2e/cli.e2e.test.ts",
  "test/e2e/conformance*.e2e.test.ts",
  "test/e2e/federation.e2e.test.ts",
  "test/e2e/tool-poisoning.e2e.test.ts",
  // Moved here to keep `npm test` under ten minutes on 2 cores (~35 s and ~26 s each).
  "test/e2e/upstream-connections.e2e.test.ts",
  "test/e2e/observability.e2e.test.ts",
  // Moved when the wave-5 tests took `npm test` to ~9.9 minutes (~28 s and ~25 s of tests each).
  "test/e2e/aggregated-mcp.e2e.test.ts",
  "test/e2e/server-proxy.e2e.test.ts",
  // A wrangler-dev suite of 67-105 s on a loaded machine (six hang-up cases, each with a 3 s call after it).
  "test/e2e/stateless-cancellation.e2e.test.ts",
  // Moved when `npm test` reached ~9.1 minutes on 2 cores (vitest 506-537 s): a
  // restart-and-compare suite of ~23 s under wrangler dev (.ci/run still runs it).
  "test/e2e/registry.e2e.test.ts",
];

/**
 * `workers` files that count calls on the upstreams the global setup starts
 * once for every file (the probe's, the relay's, the polling server's and the
 * answers upstream's `/stats`, some reset and compared whole): another file
 * calling the same upstream at the same time would change their counts, so
 * they run after the others, one at a time (project `workers-serial`).
 */
const SHARED_UPSTREAM_COUNTERS = [
  "test/integration/aggregated-mcp.test.ts",
  "test/integration/direct-upstream-call.test.ts",
  "test/integration/input-bridge.test.ts",
  "test/integration/relay-cancellation.test.ts",
  "test/integration/relay-endpoints.test.ts",
  "test/integration/relay-mcp.test.ts",
  "test/integration/result-cache-list-changed.test.ts",
  "test/integration/result-cache.test.ts",
  "test/integration/server-proxy-legacy-sse.test.ts",
  "test/integration/server-proxy-session-bridge.test.ts",
  "test/integration/server-proxy.test.ts",
  "test/integration/session-fast-path.test.ts",
  "test/integration/session-streams.test.ts",
  "test/integration/session-upstream-direct.test.ts",
  "test/integration/upstream-pool.test.ts",
  "test/integration/virtual-servers.test.ts",
];

/** Test files run inside workerd: the worker's bindings, real D1 with the migrations applied (setup file). */
function workersProject(
  migrations: Awaited<ReturnType<typeof readD1Migrations>>,
  test: { name: string; include: string[]; exclude?: string[]; isolate?: boolean; maxWorkers?: number },
  extraPlugins: { name: string }[] = [],
) {
  return {
    plugins: [
      ...extraPlugins,
      // A function, so the bindings can name the loopback IdPs the global setup started.
      cloudflareTest(async ({ inject }) => ({
        main: "./worker/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The DASHBOARD service binding's Worker: static assets only, as dashboard/wrangler.toml
          // (a fixture folder instead of the build, which the workers tests do not need).
          workers: [
            {
              name: "mcp-gateway-dashboard",
              compatibilityDate: "2026-10-01",
              modules: true,
              script: "export default {};",
              assets: {
                directory: "./test/fixtures/dashboard",
                routerConfig: { has_user_worker: false },
                assetConfig: { not_found_handling: "single-page-application" as const },
              },
            },
          ],
          bindings: {
            TEST_MIGRATIONS: migrations,
            ...(await testBindings(inject("idp"))),
          },
        },
      })),
    ],
    test: {
      ...test,
      // Real processes, Durable Objects and 200-request concurrency runs on a
      // 2-core machine: generous limits (no test asserts on time).
      testTimeout: 30_000,
      hookTimeout: 60_000,
      setupFiles: ["./test/support/apply-migrations.ts"],
      globalSetup: [
        "./test/support/upstreams.ts",
        "./test/support/idp.ts",
        "./test/support/embeddings-server.ts",
        // A DNS-over-HTTPS server for the egress guard (issue 14).
        "./test/support/doh-server.ts",
      ],
    },
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      // Passing tests' console output (the worker's audit lines) is dropped; a failing test's is shown.
      silent: "passed-only" as const,
      // Two test files at a time. Vitest's default on a 2-core machine is one
      // (cores - 1), and most of a workers file's time is its own runtime
      // starting (a fresh Miniflare per file: ~4-5 s of setup against ~1-2 s
      // of tests) or waiting on wrangler dev and real servers, so a second
      // file overlaps that wait: `npm test`'s vitest run took 523-561 s one at
      // a time and 400 s two at a time (366 s three at a time, kept at two so a
      // loaded CI machine keeps headroom). `browser` stays at one (below).
      maxWorkers: 2,
      projects: [
        // Pure modules (test/unit): one workerd for all the files in turn. A new
        // isolate per file costs seconds (the worker's module graph fetched again
        // and the migrations applied again) and these files share no state.
        workersProject(migrations, { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false }),
        // Routes, stores and Durable Objects: each file in a fresh isolate with its own D1.
        workersProject(migrations, {
          name: "workers",
          include: ["test/integration/**/*.test.ts"],
          exclude: SHARED_UPSTREAM_COUNTERS,
        }),
        // The walk of one request through the gateway's files (test/walk): every function of
        // worker/ and durable-objects/ carries a probe, so this project has its own runtime.
        workersProject(migrations, { name: "walk", include: ["test/walk/**/*.test.ts"] }, [
          walkProbes(import.meta.dirname),
        ]),
        // One file at a time, after every other file of the run (Vitest puts an isolated
        // project of one worker in a group of its own at the end).
        workersProject(migrations, {
          name: "workers-serial",
          include: SHARED_UPSTREAM_COUNTERS,
          maxWorkers: 1,
        }),
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            exclude: LONG_E2E,
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The long Node suites (whole conformance runs, the CLI command by
          // command, two federating gateways, the poisoning corpus through the
          // API): `npm run test:long`, run by .ci/run after `npm test` so the
          // README's test command stays under ten minutes on a 2-core machine.
          test: {
            name: "e2e-long",
            environment: "node",
            include: LONG_E2E,
            // One file at a time: two at once took the run from ~400 s to ~260 s, but the
            // conformance comparison then lost a check with a short time window through
            // /v/{name}/mcp (sep-2575 prompts list_changed), which it must never lose.
            maxWorkers: 1,
            testTimeout: 120_000,
            hookTimeout: 300_000,
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
