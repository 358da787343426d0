import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/store/d1/schema.ts",
  out: "./migrations",
});
