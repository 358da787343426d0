// Runs the VirtualServerStore contract against the D1 adapter on real D1.
import { env } from "cloudflare:workers";
import { D1VirtualServerStore } from "../../worker/store/d1/d1-virtual-server-store.ts";
import { describeVirtualServerStoreContract } from "../contract/virtual-server-store.contract.ts";

describeVirtualServerStoreContract("D1", async () => new D1VirtualServerStore(env.DB));
