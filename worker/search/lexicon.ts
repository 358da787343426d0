// A small, general vocabulary of equivalent words for software tools: file
// formats and their common names, everyday objects of tools, and the verbs
// people use for the same operation. It names no tool, server or query; it is
// what a thesaurus for "tool talk" would say. Query terms are expanded with
// the other members of their group at a lower weight than the term itself.
// Words are compared after lower-casing (the index's Porter stemmer takes
// care of plurals and verb forms).

const GROUPS: readonly string[] = [
  // File formats and what people call them.
  "ppt pptx powerpoint presentation slide deck",
  "xls xlsx excel spreadsheet workbook",
  "doc docx word document",
  "md markdown",
  "txt text",
  "html webpage",
  "img image picture photo png jpg jpeg",
  // Things tools work on.
  "repo repository",
  "db database",
  "email mail inbox",
  "url link website site webpage",
  "dir directory folder",
  "calc calculate calculator compute arithmetic",
  "chart graph plot diagram visualization",
  "forecast weather",
  "address location place",
  "route directions navigation",
  "news headlines",
  "stock shares equity ticker",
  "crypto cryptocurrency bitcoin btc",
  "price cost quote",
  "music audio song",
  "translate translation",
  "calendar schedule",
  "time date clock timezone",
  "note memo",
  "movie film",
  "recipe cooking dish meal",
  "hotel accommodation lodging homestay",
  "flight airline",
  "train railway rail",
  "trending trend popular",
  "summary summarize",
  // Verbs for the same operation.
  "create make generate new",
  "delete remove",
  "save write store",
  "read load open",
  "find search lookup look",
  "get fetch retrieve obtain",
];

function buildSynonyms(groups: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, string[]>();
  for (const group of groups) {
    const members = group.split(" ");
    for (const member of members) {
      const others = members.filter((other) => other !== member);
      map.set(member, [...new Set([...(map.get(member) ?? []), ...others])]);
    }
  }
  return map;
}

export const SYNONYMS: ReadonlyMap<string, readonly string[]> = buildSynonyms(GROUPS);
