// The circuit breaker of one replica as a pure state machine. The ServerState
// Durable Object keeps the authoritative circuit of each replica; isolates keep
// a short-lived copy and apply the same transitions to their own observations
// so that they can stop sending to a dead replica before the object answers.
//
//   closed --(failureThreshold consecutive failures, or a failed health check)--> open
//   open --(cooldownMs elapsed)--> half-open: a few probe requests are let through
//   half-open --(halfOpenSuccesses successes)--> closed ; --(a failure)--> open again

export interface CircuitSettings {
  /** Consecutive failures that open a closed circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses before letting probes through. */
  cooldownMs: number;
  /** Successful probes that close a half-open circuit. */
  halfOpenSuccesses: number;
}

export type CircuitPhase = "closed" | "open" | "half-open";

export interface Circuit {
  /** As stored; an `open` circuit whose `retryAt` has passed behaves as half-open (see `phaseAt`). */
  phase: CircuitPhase;
  /** Consecutive failures while closed. */
  failures: number;
  /** Successful probes while half-open. */
  successes: number;
  /** Epoch ms when probes may start (open circuits only). */
  retryAt: number | null;
  /** Epoch ms of the last transition. */
  changedAt: number;
  /** Why it last opened, safe to show. */
  reason: string | null;
}

export function closedCircuit(now = 0): Circuit {
  return { phase: "closed", failures: 0, successes: 0, retryAt: null, changedAt: now, reason: null };
}

/** The phase in effect at `now`: an open circuit past its cool-down is half-open. */
export function phaseAt(circuit: Circuit, now: number): CircuitPhase {
  if (circuit.phase === "open" && circuit.retryAt !== null && circuit.retryAt <= now) return "half-open";
  return circuit.phase;
}

export function recordSuccess(circuit: Circuit, settings: CircuitSettings, now: number): Circuit {
  const phase = phaseAt(circuit, now);
  if (phase === "closed") return circuit.failures === 0 ? circuit : { ...circuit, failures: 0 };
  if (phase === "open") return circuit; // a late success from before the circuit opened
  const successes = circuit.successes + 1;
  if (successes >= settings.halfOpenSuccesses) return closedCircuit(now);
  return { ...circuit, phase: "half-open", successes, retryAt: null };
}

export function recordFailure(
  circuit: Circuit,
  settings: CircuitSettings,
  now: number,
  reason: string,
): Circuit {
  const phase = phaseAt(circuit, now);
  if (phase === "open") return circuit;
  if (phase === "half-open") return trip(settings, now, `probe failed: ${reason}`);
  const failures = circuit.failures + 1;
  if (failures >= settings.failureThreshold) {
    return trip(settings, now, `${failures} consecutive failures; last: ${reason}`);
  }
  return { ...circuit, failures };
}

/** Opens the circuit now (e.g. a failed health check, which is evidence enough on its own). */
export function trip(settings: CircuitSettings, now: number, reason: string): Circuit {
  return {
    phase: "open",
    failures: 0,
    successes: 0,
    retryAt: now + settings.cooldownMs,
    changedAt: now,
    reason,
  };
}

/**
 * A health check that succeeded: an open circuit moves to half-open at once
 * (traffic then confirms), a closed or half-open one is left to traffic.
 */
export function recordHealthy(circuit: Circuit, now: number): Circuit {
  if (phaseAt(circuit, now) !== "open") return circuit;
  return { ...circuit, retryAt: now };
}
