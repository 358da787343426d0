// The Hono router of the root app: every route in one TrieRouter, and the MCP
// endpoints (`/mcp`, `/v/{name}/{entry}`, `/{path}/{entry}`) also in two small
// RegExpRouters ("lanes") that answer their requests with one regular
// expression. Why: Hono's default SmartRouter prefers a RegExpRouter, but
// RegExpRouter cannot hold a root-level parameter (`/:path/mcp`) beside the
// fixed routes, so the whole app fell back to TrieRouter, whose per-request
// search was ~2% of the isolate's CPU on `/{path}/mcp` (bench:profile).
//
// Identical answers by construction: a request takes a lane only when no
// route outside the lanes can match it. Every other route's first path
// segment is remembered as shadowed (`/.well-known/*`, `/oauth/*`, `/api/...`,
// `/health`, ...), and a request whose first segment is shadowed takes the
// TrieRouter; a route whose first segment is not a plain word (a parameter or
// wildcard other than the global `/*`) turns the lanes off. The global `/*`
// middleware is in every lane, and each lane receives its routes in
// registration order, so handlers run in the same order.
// test/unit/endpoint-router.test.ts holds the lanes to the TrieRouter's answer.
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";

/** A route the fixed lane holds: `/mcp`, `/v/:name/{entry}`. */
const FIXED_ROUTE = /^\/(?:mcp|v\/:\w+\/[\w-]+)$/;
/** A route the per-server lane holds: `/:path/{entry}`. */
const PER_SERVER_ROUTE = /^\/:\w+\/[\w-]+$/;
/** Middleware on every path (`app.use(handler)`). */
const GLOBAL_ROUTES = new Set(["/*", "*"]);

/**
 * Request paths a lane may answer (no empty segment): `/mcp` (group 1) and
 * `/v/{a}/{b}` (group 2) in the fixed lane, `/{a}/{b}` (group 3, the first
 * segment) in the per-server lane.
 */
const LANE_PATH = /^\/(?:(mcp)|(v)\/[^/]+\/[^/]+|([^/]+)\/[^/]+)$/;

/** Request paths whose lane is remembered (EndpointRouter #laneOf). */
const LANE_MEMO_MAX = 1_024;

export class EndpointRouter<T> implements Router<T> {
  readonly name = "EndpointRouter";
  readonly #all = new TrieRouter<T>();
  readonly #fixed = new RegExpRouter<T>();
  readonly #perServer = new RegExpRouter<T>();
  /** First path segments of routes outside the lanes: their requests take the TrieRouter. */
  readonly #shadowed = new Set<string>();
  /** Off when a route outside the lanes could match any first segment. */
  #lanes = true;
  #checked = false;
  readonly #laneByPath = new Map<string, RegExpRouter<T> | null>();

  add(method: string, path: string, handler: T): void {
    this.#all.add(method, path, handler);
    if (GLOBAL_ROUTES.has(path)) {
      this.#fixed.add(method, path, handler);
      this.#perServer.add(method, path, handler);
    } else if (FIXED_ROUTE.test(path)) {
      this.#fixed.add(method, path, handler);
    } else if (PER_SERVER_ROUTE.test(path)) {
      this.#perServer.add(method, path, handler);
    } else {
      const first = path.split("/")[1] ?? "";
      if (/[:*{}?]/.test(first)) this.#lanes = false;
      else this.#shadowed.add(first);
    }
  }

  match(method: string, path: string): Result<T> {
    return (this.#laneOf(path) ?? this.#all).match(method, path);
  }

  /** Whether `path` is answered by a lane (tests). */
  inLane(path: string): boolean {
    return this.#laneOf(path) !== null;
  }

  /**
   * The lane that answers `path`, or null. Remembered per path: a Map hit is
   * ~10x cheaper than the pattern (a few paths carry all the traffic);
   * bounded, forgotten all at once when full.
   */
  #laneOf(path: string): RegExpRouter<T> | null {
    let lane = this.#laneByPath.get(path);
    if (lane === undefined) {
      if (!this.#checked) this.#check();
      lane = null;
      const shape = this.#lanes ? LANE_PATH.exec(path) : null;
      if (shape !== null) {
        const fixed = shape[1] ?? shape[2];
        const first = (fixed ?? shape[3]) as string;
        if (!this.#shadowed.has(first)) lane = fixed !== undefined ? this.#fixed : this.#perServer;
      }
      if (this.#laneByPath.size >= LANE_MEMO_MAX) this.#laneByPath.clear();
      this.#laneByPath.set(path, lane);
    }
    return lane;
  }

  /**
   * A RegExpRouter compiles on its first match and refuses route sets it
   * cannot express; then every request takes the TrieRouter (SmartRouter's
   * own fallback), never a failed request.
   */
  #check(): void {
    this.#checked = true;
    try {
      this.#fixed.match("GET", "/mcp");
      this.#perServer.match("GET", "/a/mcp");
    } catch {
      this.#lanes = false;
    }
  }
}
