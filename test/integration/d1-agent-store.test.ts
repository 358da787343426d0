// Runs the AgentStore and RatingStore contracts against the D1 adapters on real D1.
import { env } from "cloudflare:workers";
import { D1AgentStore } from "../../worker/store/d1/d1-agent-store.ts";
import { D1RatingStore } from "../../worker/store/d1/d1-rating-store.ts";
import { describeAgentStoreContract } from "../contract/agent-store.contract.ts";
import { describeRatingStoreContract } from "../contract/rating-store.contract.ts";

describeAgentStoreContract("D1", async () => new D1AgentStore(env.DB));
describeRatingStoreContract("D1", async () => new D1RatingStore(env.DB));
