// Runs the ScopesStore contract against the D1 adapter on real D1.
import { env } from "cloudflare:workers";
import { D1ScopesStore } from "../../worker/store/d1/d1-scopes-store.ts";
import { describeScopesStoreContract } from "../contract/scopes-store.contract.ts";

describeScopesStoreContract("D1", async () => new D1ScopesStore(env.DB));
