import { describe, expect, it } from "vitest";
import {
  closedCircuit,
  phaseAt,
  recordFailure,
  recordHealthy,
  recordSuccess,
  trip,
} from "../../worker/resilience/circuit-breaker.ts";

const settings = { failureThreshold: 3, cooldownMs: 1_000, halfOpenSuccesses: 2 };

describe("circuit breaker", () => {
  it("opens after the configured number of consecutive failures", () => {
    let circuit = closedCircuit();
    circuit = recordFailure(circuit, settings, 10, "boom");
    circuit = recordFailure(circuit, settings, 11, "boom");
    expect(circuit.phase).toBe("closed");
    circuit = recordFailure(circuit, settings, 12, "boom");
    expect(circuit.phase).toBe("open");
    expect(circuit.retryAt).toBe(1_012);
    expect(circuit.reason).toContain("3 consecutive failures");
  });

  it("counts only consecutive failures: a success resets the count", () => {
    let circuit = closedCircuit();
    circuit = recordFailure(circuit, settings, 1, "x");
    circuit = recordFailure(circuit, settings, 2, "x");
    circuit = recordSuccess(circuit, settings, 3);
    circuit = recordFailure(circuit, settings, 4, "x");
    expect(circuit).toMatchObject({ phase: "closed", failures: 1 });
  });

  it("is half-open once the cool-down has passed, and closes after enough successful probes", () => {
    const open = trip(settings, 0, "down");
    expect(phaseAt(open, 999)).toBe("open");
    expect(phaseAt(open, 1_000)).toBe("half-open");
    const once = recordSuccess(open, settings, 1_000);
    expect(once).toMatchObject({ phase: "half-open", successes: 1 });
    const twice = recordSuccess(once, settings, 1_001);
    expect(twice).toMatchObject({ phase: "closed", failures: 0 });
  });

  it("reopens for another cool-down when a half-open probe fails", () => {
    const open = trip(settings, 0, "down");
    const reopened = recordFailure(open, settings, 1_500, "still down");
    expect(reopened).toMatchObject({ phase: "open", retryAt: 2_500 });
    expect(reopened.reason).toContain("probe failed");
  });

  it("ignores outcomes that arrive while the circuit is open (requests sent before it opened)", () => {
    const open = trip(settings, 0, "down");
    expect(recordFailure(open, settings, 10, "late")).toBe(open);
    expect(recordSuccess(open, settings, 10)).toBe(open);
  });

  it("lets a successful health check move an open circuit to half-open at once", () => {
    const open = trip(settings, 0, "down");
    expect(phaseAt(recordHealthy(open, 5), 5)).toBe("half-open");
    const closed = closedCircuit();
    expect(recordHealthy(closed, 5)).toBe(closed);
  });
});
