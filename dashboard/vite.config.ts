// Builds the dashboard (a React SPA) into dashboard/dist. The gateway serves
// that folder itself for local runs (wrangler.toml [assets]); for Cloudflare
// Pages, build with VITE_API_BASE_URL set to the gateway's origin and list the
// Pages origin in the gateway's ALLOWED_ORIGINS.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One small app: a single chunk loads in one round trip.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `vite dev` next to a running gateway (npm start): API calls go to it.
    proxy: {
      "/api": { target: process.env.GATEWAY_URL ?? "http://127.0.0.1:8787", ws: true },
    },
  },
});
