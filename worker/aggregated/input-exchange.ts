// Multi-round-trip bridge (2026-07-28 `input_required`) for a stateless
// caller whose request reaches a 2025 upstream that asks for input
// (elicitation, sampling, roots) in the middle of its work.
// The upstream exchange cannot wait in the Worker (the retry may land on any
// isolate), so when the caller declares a capability the gateway can bridge,
// the call runs in a Durable Object (McpSession class, named `input:{id}`,
// see platform/durable-objects.ts) that holds the upstream exchange open:
// - each upstream request becomes an entry of `inputRequests` in an
//   InputRequiredResult, with a `requestState` sealed to the caller and the
//   request (input-state.ts);
// - the caller's retry carries `inputResponses` and the state; the Worker
//   opens the state and hands the answers to the same object, which answers
//   the upstream and waits for its result or its next request.
// The object keeps the exchange in memory only: once evicted, or after
// INPUT_STATE_TTL_MS, the retry is refused and the caller starts over.
// Progress of the held call (the caller sent a progressToken) travels with
// the round it happens in: the Worker hands the object a callback for the
// round (a Workers RPC function stub, live while the round's RPC call runs),
// so the notifications reach the caller's response stream (SSE) as they
// arrive and always before the round's result or InputRequiredResult;
// progress between rounds is kept and sent at the start of the next one.
import { ProtocolError, type ServerContext } from "@modelcontextprotocol/server";
import type { Principal } from "../auth/principal.ts";
import { inputExchangeName } from "../platform/durable-objects.ts";
import { randomHex } from "../platform/encoding.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import {
  UpstreamCallError,
  type UpstreamCallFailure,
  type UpstreamCallResult,
  type UpstreamProgress,
  type UpstreamRequest,
} from "../upstream/upstream-call.ts";
import {
  type RelayedCapabilities,
  type RelayedRequestMethod,
  relayedCapabilities,
  type UpstreamRelay,
} from "../upstream/upstream-relay.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { type InputBinding, inputCaller, openInputState, sealInputState } from "./input-state.ts";

/** How long a caller has to answer before the held upstream exchange is given up. */
export const INPUT_STATE_TTL_MS = 5 * 60_000;
/** Upstream requests arriving this close together go out in one InputRequiredResult. */
const GATHER_MS = 20;
const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
/** An upstream's inputRequests key the gateway passes on as is: short and printable. */
const UPSTREAM_KEY = /^[\w.:-]{1,128}$/;
/** Progress notifications kept between two rounds at most (the latest ones: progress only grows). */
export const MAX_HELD_PROGRESS = 64;

/** Where a round's progress goes: the caller's response stream, through the Worker. */
export type ProgressSink = (progress: UpstreamProgress) => unknown;

export interface InputRequestEntry {
  method: RelayedRequestMethod;
  params: Record<string, unknown>;
}

/** One step of a held exchange, as it crosses from the object to the Worker (structured-clonable). */
export type InputStep =
  | { kind: "result"; result: Record<string, unknown>; upstreamStatus: number | null }
  | {
      kind: "error";
      failure: UpstreamCallFailure;
      reason: string;
      upstreamStatus: number | null;
      rpc?: { code: number; message: string; data?: unknown };
    }
  | { kind: "input"; inputRequests: Record<string, InputRequestEntry> }
  | { kind: "gone" };

export interface InputExchangeInit {
  caller: string;
  tenant: string;
  serverId: string;
  request: UpstreamRequest;
  principal: Principal;
  capabilities: RelayedCapabilities;
  /** Answers the caller sent with its first request (no requestState yet), by the upstream's keys. */
  responses?: Record<string, unknown>;
}

interface Waiting extends InputRequestEntry {
  resolve(result: Record<string, unknown>): void;
}

/** The upstream exchange a Durable Object holds between the caller's rounds. */
export class HeldUpstreamCall {
  readonly expiresAt = Date.now() + INPUT_STATE_TTL_MS;
  private sequence = 0;
  private readonly waiting = new Map<string, Waiting>();
  private fresh = new Set<string>();
  private settled: InputStep | null = null;
  private wake: (() => void) | null = null;
  /** Progress that arrived while no round was being answered. */
  private progress: UpstreamProgress[] = [];
  /** The current round's sink, and its deliveries not yet confirmed. */
  private sink: ProgressSink | null = null;
  private delivering: Promise<unknown>[] = [];

  constructor(
    readonly caller: string,
    capabilities: RelayedCapabilities,
    run: (
      relay: UpstreamRelay,
      onProgress: (progress: UpstreamProgress) => void,
    ) => Promise<UpstreamCallResult>,
    ahead: Record<string, unknown> = {},
  ) {
    // A caller may send answers with its first request (as it could to the upstream directly):
    // they answer the upstream's first requests of the same keys; anything else in them is ignored.
    const early = new Map(Object.entries(ahead).filter(([, response]) => isAnswer(response)));
    const relay: UpstreamRelay = {
      capabilities,
      request: (method, params, signal, upstreamKey) =>
        new Promise((resolve, reject) => {
          const answered = upstreamKey === undefined ? undefined : early.get(upstreamKey);
          if (answered !== undefined) {
            early.delete(upstreamKey as string);
            resolve(answered as Record<string, unknown>);
            return;
          }
          if (signal.aborted) {
            reject(new ProtocolError(ErrorCode.RequestCancelled, "request cancelled"));
            return;
          }
          const key = this.keyFor(upstreamKey);
          const waiting: Waiting = { method, params, resolve };
          this.waiting.set(key, waiting);
          this.fresh.add(key);
          // The upstream gave up on its request (notifications/cancelled): nobody is asked for it any more.
          signal.addEventListener(
            "abort",
            () => {
              if (this.waiting.get(key) !== waiting) return;
              this.waiting.delete(key);
              this.fresh.delete(key);
              reject(new ProtocolError(ErrorCode.RequestCancelled, "request cancelled"));
            },
            { once: true },
          );
          this.wake?.();
        }),
    };
    run(relay, (progress) => this.onProgress(progress)).then(
      (outcome) =>
        this.settle({ kind: "result", result: outcome.result, upstreamStatus: outcome.upstreamStatus }),
      (error) => this.settle(errorStep(error)),
    );
  }

  /**
   * The caller sees a 2026 upstream's own key (its answers come back under it,
   * as they would directly); a 2025 upstream's request, or a key already
   * waiting, gets a fresh `input-{n}`.
   */
  private keyFor(upstreamKey: string | undefined): string {
    if (upstreamKey !== undefined && UPSTREAM_KEY.test(upstreamKey) && !this.waiting.has(upstreamKey)) {
      return upstreamKey;
    }
    do this.sequence += 1;
    while (this.waiting.has(`input-${this.sequence}`));
    return `input-${this.sequence}`;
  }

  /**
   * The call's result, or the upstream requests the caller has to answer
   * first. `sink` gets the progress of this round (and any kept since the
   * last one) before the step is returned.
   */
  async next(sink?: ProgressSink): Promise<InputStep> {
    this.sink = sink ?? null;
    if (this.sink) for (const progress of this.progress.splice(0)) this.deliver(progress);
    try {
      const step = await this.step();
      // Every progress of the round reaches the caller before the round's answer.
      await Promise.allSettled(this.delivering);
      return step;
    } finally {
      this.sink = null;
      this.delivering = [];
    }
  }

  private async step(): Promise<InputStep> {
    while (true) {
      if (this.settled) return this.settled;
      if (this.fresh.size > 0) {
        await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
        if (this.settled) return this.settled;
        const inputRequests: Record<string, InputRequestEntry> = {};
        for (const key of this.fresh) {
          const waiting = this.waiting.get(key);
          if (waiting) inputRequests[key] = { method: waiting.method, params: waiting.params };
        }
        this.fresh.clear();
        return { kind: "input", inputRequests };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }

  private onProgress(progress: UpstreamProgress): void {
    if (this.sink) {
      this.deliver(progress);
      return;
    }
    this.progress.push(progress);
    if (this.progress.length > MAX_HELD_PROGRESS) this.progress.shift();
  }

  private deliver(progress: UpstreamProgress): void {
    const sink = this.sink;
    if (!sink) return;
    // A sink that fails (the caller went away) costs the upstream exchange nothing.
    this.delivering.push(
      Promise.resolve()
        .then(() => sink({ ...progress }))
        .catch(() => {}),
    );
  }

  /** The caller's answers; requests it left unanswered are asked again. */
  answer(responses: Record<string, unknown>): void {
    for (const [key, waiting] of this.waiting) {
      const response = responses[key];
      if (isAnswer(response)) {
        this.waiting.delete(key);
        waiting.resolve(response as Record<string, unknown>);
      } else this.fresh.add(key);
    }
  }

  private settle(step: InputStep): void {
    this.settled = step;
    this.wake?.();
  }
}

function isAnswer(response: unknown): response is Record<string, unknown> {
  return typeof response === "object" && response !== null;
}

function errorStep(error: unknown): InputStep {
  if (error instanceof UpstreamCallError) {
    return {
      kind: "error",
      failure: error.failure,
      reason: error.reason,
      upstreamStatus: error.upstreamStatus,
      ...(error.rpc && { rpc: error.rpc }),
    };
  }
  return { kind: "error", failure: "unavailable", reason: "the upstream call failed", upstreamStatus: null };
}

/** What the Worker's forwarding gets back: a result to relay, or an InputRequiredResult to return. */
export type BridgedOutcome =
  | { kind: "result"; outcome: UpstreamCallResult }
  | { kind: "input_required"; result: Record<string, unknown> };

/**
 * Runs `request` through a held exchange when the bridge applies (a
 * stateless caller that can answer input requests, or a retry carrying a
 * requestState); null when it does not, and the call goes the ordinary way.
 */
export async function forwardWithInput(
  exchange: GatewayExchange,
  server: ServerRecord,
  request: UpstreamRequest,
  ctx: ServerContext,
  onProgress?: ProgressSink,
): Promise<BridgedOutcome | null> {
  if (exchange.generation !== "stateless") return null;
  const secret = exchange.config.sessionSecret;
  const state = ctx.mcpReq.requestState<unknown>();
  const binding: InputBinding = {
    caller: inputCaller(exchange.principal),
    serverId: server.id,
    method: request.method,
    target: String(request.params.name ?? request.params.uri ?? ""),
  };
  const env = exchange.request.deps.env;
  if (typeof state === "string") {
    const id = secret === null ? null : await openInputState(secret, binding, state);
    if (id === null) throw invalidState();
    const stub = env.MCP_SESSION.getByName(inputExchangeName(id));
    const step = await stub.resumeInput(binding.caller, ctx.mcpReq.inputResponses ?? {}, onProgress);
    return outcomeOf(step, secret as string, binding, id);
  }
  const capabilities = relayedCapabilities(
    (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_KEY],
  );
  if (secret === null || Object.keys(capabilities).length === 0) return null;
  const id = randomHex(16);
  const stub = env.MCP_SESSION.getByName(inputExchangeName(id));
  const step = await stub.startInput(
    {
      caller: binding.caller,
      tenant: server.tenant,
      serverId: server.id,
      request,
      principal: exchange.principal,
      capabilities,
      ...(ctx.mcpReq.inputResponses && { responses: ctx.mcpReq.inputResponses }),
    },
    onProgress,
  );
  return outcomeOf(step, secret, binding, id);
}

async function outcomeOf(
  step: InputStep,
  secret: string,
  binding: InputBinding,
  id: string,
): Promise<BridgedOutcome> {
  switch (step.kind) {
    case "result":
      return {
        kind: "result",
        outcome: { result: step.result, endpoint: "", upstreamStatus: step.upstreamStatus },
      };
    case "error":
      throw new UpstreamCallError(step.failure, step.reason, step.upstreamStatus, step.rpc);
    case "gone":
      throw invalidState();
    default: {
      const requestState = await sealInputState(secret, binding, id, Date.now() + INPUT_STATE_TTL_MS);
      return {
        kind: "input_required",
        result: { resultType: "input_required", inputRequests: step.inputRequests, requestState },
      };
    }
  }
}

function invalidState(): ProtocolError {
  return new ProtocolError(
    ErrorCode.InvalidParams,
    "requestState is invalid or has expired: send the request again without it",
  );
}
