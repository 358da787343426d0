// Worker entry: the fetch handler is the Hono app. Durable Object classes are
// re-exported here as they appear so that wrangler can bind them.
import { buildApp } from "./app.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
