// Measures the rule-based scanner against the labelled tool-poisoning data and
// the benign real tool descriptions (offline: the scanner called directly).
// The API-level measurement is test/e2e/tool-poisoning.e2e.test.ts.
//   node bench/tool-poisoning.ts [--show-misses] [--show-false-positives]
import { readFileSync } from "node:fs";
import { loadPoisoningCorpus } from "../test/support/tool-poisoning-data.ts";
import { scanSubject } from "../worker/security/rule-analyzer.ts";
import { atLeast, maxSeverity } from "../worker/store/finding-model.ts";

const corpus = loadPoisoningCorpus((path) => readFileSync(path, "utf8"));
const show = new Set(process.argv.slice(2));
const flagged = (tool: Record<string, unknown>) => {
  const findings = scanSubject({ kind: "tool", key: String(tool.name), definition: tool });
  const worst = maxSeverity(findings);
  return { flagged: worst !== null && atLeast(worst, "medium"), findings };
};
const perCategory = new Map<string, { total: number; flagged: number }>();
for (const item of corpus.poisoned) {
  const result = flagged(item.tool);
  const row = perCategory.get(item.category) ?? { total: 0, flagged: 0 };
  row.total += 1;
  if (result.flagged) row.flagged += 1;
  else if (show.has("--show-misses"))
    console.log("MISS", item.id, item.category, JSON.stringify(item.tool).slice(0, 300));
  perCategory.set(item.category, row);
}
let poisonedFlagged = 0;
for (const [category, row] of [...perCategory].sort()) {
  poisonedFlagged += row.flagged;
  console.log(
    `${category.padEnd(20)} ${row.flagged}/${row.total} ${((100 * row.flagged) / row.total).toFixed(1)}%`,
  );
}
console.log(
  `poisoned flagged (medium+): ${poisonedFlagged}/${corpus.poisoned.length} ${((100 * poisonedFlagged) / corpus.poisoned.length).toFixed(1)}%`,
);
for (const [label, items] of [
  ["benign-hard", corpus.benignHard],
  ["benign-real", corpus.benignReal],
] as const) {
  let count = 0;
  for (const item of items) {
    const result = flagged(item.tool);
    if (!result.flagged) continue;
    count += 1;
    if (show.has("--show-false-positives")) {
      console.log(
        "FP",
        item.id,
        JSON.stringify(
          result.findings.filter((f) => atLeast(f.severity, "medium")).map((f) => [f.ruleId, f.excerpt]),
        ),
      );
    }
  }
  console.log(`${label} flagged: ${count}/${items.length} ${((100 * count) / items.length).toFixed(2)}%`);
}
