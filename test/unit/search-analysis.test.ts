// Text analysis for search: identifier splitting, CJK bigrams, stop words,
// paths and URLs, synonym expansion, the FTS5 expression (never syntax), the
// Porter stemmer, and description leads.
import { describe, expect, it } from "vitest";
import {
  analyseQuery,
  indexText,
  queryTerms,
  rewriteEntities,
  splitCamel,
  weightedExpression,
} from "../../worker/search/analysis.ts";
import { splitLead } from "../../worker/search/documents.ts";
import { SYNONYMS } from "../../worker/search/lexicon.ts";
import { porterStem } from "../../worker/search/porter.ts";

const options = {
  splitIdentifiers: true,
  stopWords: true,
  entities: true,
  synonyms: SYNONYMS,
  ownTermWeight: 2,
};

describe("analysis", () => {
  it("splits camelCase and keeps the whole word; snake and kebab case split as words", () => {
    expect(splitCamel("getHTTPResponse")).toEqual(["get", "HTTP", "Response"]);
    expect(indexText("convertToPdf get_weather search-repositories")).toBe(
      "convert to pdf converttopdf get weather search repositories",
    );
  });

  it("turns runs of CJK characters into bigrams", () => {
    expect(indexText("获取微博热搜")).toBe("获取 取微 微博 博热 热搜");
    expect(indexText("abc 八字")).toBe("abc 八字");
  });

  it("drops stop words, request phrasing, lone letters and overlong runs", () => {
    expect(queryTerms("Please help me find the weather in a city")).toEqual(["find", "weather", "city"]);
    expect(queryTerms(`x ${"a".repeat(41)} ok`)).toEqual(["ok"]);
  });

  it("reads paths as files and URLs as web pages", () => {
    const path = rewriteEntities("save it to /root/markdown/report_2024.md please");
    expect(path.hints).toEqual(["file"]);
    expect(queryTerms(path.text)).toEqual(["save", "report", "2024", "md"]);
    const url = rewriteEntities("summarise https://www.example.com/blog/post?id=1");
    expect(url.hints).toEqual(["url", "web"]);
    expect(queryTerms(url.text)).toEqual(["summarise", "example", "blog", "post"]);
    expect(rewriteEntities("and/or 24/7").hints).toEqual([]);
  });

  it("weighs the user's own terms above equivalent words", () => {
    const { terms, ownTerms } = analyseQuery("make a ppt", options);
    expect(ownTerms).toEqual(["make", "ppt"]);
    expect(terms).toContainEqual({ term: "ppt", weight: 2 });
    expect(terms).toContainEqual({ term: "powerpoint", weight: 1 });
    expect(terms).toContainEqual({ term: "create", weight: 1 });
  });

  it("builds an FTS5 expression of quoted phrases only", () => {
    expect(
      weightedExpression([
        { term: "pdf", weight: 2 },
        { term: 'a"b', weight: 1 },
      ]),
    ).toBe('"pdf" OR "pdf" OR "a""b"');
    const { terms } = analyseQuery('NEAR(a b) AND "x" -y z* col:w (v)', options);
    expect(terms.map((term) => term.term)).toEqual(["near", "col"]);
    expect(terms.every((term) => /^[\p{L}\p{N}]+$/u.test(term.term))).toBe(true);
  });

  it("stems like FTS5's porter tokenizer", () => {
    const cases: [string, string][] = [
      ["caresses", "caress"],
      ["ponies", "poni"],
      ["running", "run"],
      ["geocoding", "geocod"],
      ["relational", "relat"],
      ["generalization", "gener"],
      ["files", "file"],
      ["pdf", "pdf"],
      ["go", "go"],
      ["café", "café"],
    ];
    for (const [word, stem] of cases) expect(porterStem(word), word).toBe(stem);
  });

  it("splits a description into its first sentence and the rest", () => {
    expect(splitLead("Read a file. Handles encodings.")).toEqual({
      lead: "Read a file.",
      rest: "Handles encodings.",
    });
    const long = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const { lead, rest } = splitLead(long);
    expect(lead.split(" ")).toHaveLength(30);
    expect(rest.startsWith("w30")).toBe(true);
  });
});
