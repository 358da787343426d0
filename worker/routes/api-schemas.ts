// Response shapes of the REST API, for the OpenAPI document. Input shapes
// live with the registry (registry/server-input.ts).
import { z } from "zod";
import {
  CircuitBreakerInput,
  EgressInput,
  HealthCheckInput,
  LoadBalancingInput,
  RateLimitInput,
  UpstreamEndpointInput,
} from "../registry/server-input.ts";
import { FINDING_CATEGORIES, SEVERITIES } from "../store/finding-model.ts";
import { RatingSummarySchema } from "./rating-schemas.ts";

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    requestId: z.string().optional(),
    reason: z
      .string()
      .optional()
      .meta({ description: "Why access was refused (403): a stable reason class, never policy details" }),
    errors: z
      .array(z.object({ field: z.string(), message: z.string(), line: z.int().optional() }))
      .optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

const CatalogState = z.object({
  status: z.enum(["pending", "ok", "unreachable"]),
  error: z.string().nullable(),
  checkedAt: z.string().nullable(),
  serverInfo: z.object({ name: z.string(), version: z.string(), title: z.string().optional() }).nullable(),
  protocolVersion: z.string().nullable(),
  counts: z.object({
    tools: z.int(),
    resources: z.int(),
    resourceTemplates: z.int(),
    prompts: z.int(),
  }),
  warnings: z.array(z.string()),
});

export const HealthSummary = z
  .object({
    status: z.enum(["healthy", "degraded", "unhealthy", "unknown"]),
    latencyMs: z.number().nullable(),
    checkedAt: z.string().nullable(),
    changedAt: z.string().nullable(),
    error: z.string().nullable(),
    replicas: z.array(
      z.object({
        url: z.string(),
        status: z.enum(["up", "down", "unknown"]),
        latencyMs: z.number().nullable(),
        error: z.string().nullable(),
        circuit: z.enum(["closed", "open", "half-open"]),
      }),
    ),
  })
  .meta({ id: "HealthSummary", description: "The server's health as last recorded by its health checks" });

export const SecurityFinding = z
  .object({
    ruleId: z.string().meta({ description: "`<category>.<rule>`, e.g. `credential-harvest.secret-file`" }),
    category: z.enum(FINDING_CATEGORIES),
    severity: z.enum(SEVERITIES),
    field: z
      .string()
      .meta({ description: "Path in the definition, e.g. `inputSchema.properties.city.description`" }),
    excerpt: z
      .string()
      .meta({ description: "Text around the match; invisible characters shown as \\u{...}" }),
    message: z.string(),
    kind: z.string().meta({ description: "tool, resource, resource_template or prompt" }),
    key: z.string().meta({ description: "The entry's name or URI" }),
  })
  .meta({ id: "SecurityFinding" });

export const ServerView = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string(),
    path: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    endpoints: z.array(UpstreamEndpointInput),
    timeoutMs: z.int(),
    egress: EgressInput.nullable(),
    license: z.string().nullable(),
    version: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    visibility: z.enum(["public", "private", "group"]),
    groups: z.array(z.string()),
    owner: z.string(),
    source: z.enum(["local", "federated"]),
    lifecycle: z.enum(["active", "deprecated", "deleted"]),
    catalog: CatalogState,
    loadBalancing: LoadBalancingInput,
    circuitBreaker: CircuitBreakerInput.nullable(),
    healthCheck: HealthCheckInput.nullable(),
    rateLimit: RateLimitInput.nullable(),
    auditArguments: z
      .enum(["none", "redacted", "full"])
      .optional()
      .meta({ description: "What the audit log keeps of tool-call arguments (absent: `none`)" }),
    health: HealthSummary,
    registryName: z.string().nullable(),
    registryDetails: z.record(z.string(), z.unknown()).nullable(),
    provenance: z
      .object({
        sourceId: z.string(),
        sourceName: z.string(),
        sourceUrl: z.string(),
        upstreamName: z.string(),
        upstreamVersion: z.string(),
        origin: z.string(),
        upstreamDigest: z.string(),
        lastSyncedAt: z.string(),
      })
      .nullable()
      .meta({
        description: "Where an imported (federated) server came from; null for servers registered here",
      }),
    tools: z.array(
      z.object({ name: z.string(), title: z.string().nullable(), description: z.string().nullable() }),
    ),
    rating: RatingSummarySchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    warnings: z.array(SecurityFinding).optional().meta({
      description:
        "Security findings at or above the tenant's threshold (SECURITY_SCAN_THRESHOLD); only on answers that read the catalog",
    }),
  })
  .meta({ id: "Server" });

export const ServerPage = z
  .object({ items: z.array(ServerView), nextCursor: z.string().nullable() })
  .meta({ id: "ServerPage" });

export const CatalogItems = z
  .object({
    items: z.array(
      z.object({
        kind: z.enum(["tool", "resource", "resource_template", "prompt"]),
        key: z.string(),
        fingerprint: z.string(),
        definition: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: "CatalogItems" });
