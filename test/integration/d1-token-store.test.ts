// Runs the TokenStore contract against the D1 adapter on real D1.
import { env } from "cloudflare:workers";
import { D1TokenStore } from "../../worker/store/d1/d1-token-store.ts";
import { describeTokenStoreContract } from "../contract/token-store.contract.ts";

describeTokenStoreContract("D1", async () => new D1TokenStore(env.DB));
