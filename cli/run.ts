// Entry of the mcpgw process (bin.js imports it once Node can run TypeScript).
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2));
