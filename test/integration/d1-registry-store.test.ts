// Runs the RegistryStore contract against the D1 adapter on real D1.
import { env } from "cloudflare:workers";
import { D1RegistryStore } from "../../worker/store/d1/d1-registry-store.ts";
import { describeRegistryStoreContract } from "../contract/registry-store.contract.ts";

describeRegistryStoreContract("D1", async () => new D1RegistryStore(env.DB));
