// Shapes of the gateway's REST API (/api/v1) as the dashboard uses them. Types
// only (no DOM, no I/O), so pure modules and their tests can import them;
// api.ts is the client that speaks them. Generated from the OpenAPI document
// (api/schema.d.ts, `npm run gen:api-types`): this module names them for the
// pages. A few are narrowed where the document is looser than what the
// dashboard reads (the A2A card and a catalog item's definition are open
// objects there; the usage window is a plain string); those are marked.
import type { components } from "./api/schema.d.ts";

type Schemas = components["schemas"];

export type HealthSummary = Schemas["HealthSummary"];
export type HealthStatus = HealthSummary["status"];

export type Server = Schemas["Server"];
export type Endpoint = Server["endpoints"][number];
export type Visibility = Server["visibility"];
export type Provenance = NonNullable<Server["provenance"]>;

/** Star ratings of a server or agent (at most 100 kept). */
export type RatingSummary = Schemas["RatingSummary"];
export type MyRating = Schemas["MyRating"];

export type TrustLevel = Schemas["Agent"]["trustLevel"];

export interface AgentSkill {
  id: string;
  name: string;
  description: string;
  tags: string[];
}

/** An A2A agent as the registry shows it; its card narrowed to the fields the pages read (validated by the A2A card schema). */
export type Agent = Omit<Schemas["Agent"], "card"> & {
  card: { name: string; description: string; url: string; version: string; skills: AgentSkill[] } & Record<
    string,
    unknown
  >;
};

/** What the publish form sends (a subset of AgentCreate); the card as typed (the gateway validates it). */
export type AgentInput = Pick<Schemas["AgentCreate"], "path" | "tags"> & {
  card: unknown;
  visibility: Visibility;
};

export type SyncReport = NonNullable<Schemas["FederationSyncReport"]>;
export type SyncOutcome = SyncReport["entries"][number]["outcome"];
export type FederationSource = Schemas["FederationSource"];

/** What the federation form sends (a subset of FederationSourceCreate). */
export type FederationSourceInput = Required<
  Pick<Schemas["FederationSourceCreate"], "name" | "url" | "syncIntervalMinutes" | "auth">
>;

/** What the register and edit forms send (a subset of ServerCreate). */
export type ServerInput = Required<
  Pick<Schemas["ServerCreate"], "name" | "path" | "description" | "tags" | "endpoints">
> &
  Pick<Schemas["ServerCreate"], "timeoutMs">;

/** A catalog item; its definition narrowed to the fields the pages read (an open object in the document). */
export type CatalogItem = Omit<Schemas["CatalogItems"]["items"][number], "definition"> & {
  definition: {
    name?: string;
    title?: string;
    description?: string;
    inputSchema?: unknown;
    [field: string]: unknown;
  };
};

export type SearchResponse = Schemas["SearchResponse"];
export type SearchHit = SearchResponse["results"][number];

export type WhoAmI = Schemas["WhoAmI"];
export type Grant = NonNullable<WhoAmI["permissions"][keyof WhoAmI["permissions"]]>;
export type AuthMethods = Schemas["AuthMethods"];

export type TokenRecord = Schemas["Token"];
export type MintedToken = Schemas["MintedToken"];

/** GET/PUT /api/v1/scopes as YAML (not JSON): the text and its ETag. */
export interface ScopesYaml {
  yaml: string;
  /** The ETag, for If-Match on the next PUT. */
  etag: string | null;
}

export type Problem = Schemas["Problem"];
/** Dotted path, e.g. `endpoints.0.url`; "" for the whole body. */
export type FieldError = NonNullable<Problem["errors"]>[number];

// --- Usage (GET /api/v1/usage) ---

/** The `window` query parameter's values (the report echoes it as a plain string). */
export type UsageWindow = "1h" | "24h" | "7d";
export type UsageReport = Schemas["UsageReport"];
export type UsageStats = UsageReport["totals"];

// --- Virtual servers (/api/v1/virtual-servers) ---

export type VirtualServer = Schemas["VirtualServer"];
export type VirtualToolRef = VirtualServer["tools"][number];

/** What the virtual-server form sends (a subset of VirtualServerCreate). */
export type VirtualServerInput = Required<
  Pick<Schemas["VirtualServerCreate"], "name" | "description" | "mode" | "tools" | "resources" | "prompts">
>;

/** A server with per-user (oauth) credentials and the caller's connection to it (GET /connections). */
export type Connection = Schemas["Connection"];

/** One audit event (GET /api/v1/audit). */
export type AuditEvent = Schemas["AuditEvent"];
/** One stored finding of the security scanner (GET /api/v1/findings). */
export type StoredFinding = Schemas["StoredSecurityFinding"];
