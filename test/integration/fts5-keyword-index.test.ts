// Runs the KeywordIndex contract against the FTS5 adapter on real D1.
import { env } from "cloudflare:workers";
import { Fts5KeywordIndex } from "../../worker/search/fts5-keyword-index.ts";
import { describeKeywordIndexContract } from "../contract/keyword-index.contract.ts";

describeKeywordIndexContract("FTS5 on D1", async () => new Fts5KeywordIndex(env.DB));
