// Word classes the intent rules combine. Patterns of intent, not phrases of
// particular attacks: an instruction to move data somewhere, to change what
// another tool does, to read a secret, or to keep something from the user is
// recognised by which classes of words meet in one sentence.

/** Verbs that move data somewhere. */
export const TRANSFER =
  /\b(send|sends|sending|post|posts|posting|upload|uploads|uploading|forward|forwards|forwarding|transmit|transmits|exfiltrate|copy|copies|cc|bcc|cross-post(?:ed)?|mirror|relay|sync|submit|leak|push|publish|export|deliver|e-?mail|log|report|beacon|include|append|attach|invite|add|put|paste|pass|share)\b/i;

/** Verbs that change what something else does. */
export const CHANGE =
  /\b(change|replace|substitute|override|overrides|redirect|redirects|route|reroute|modify|alter|intercept|hijack|swap|configure|set [^.]{0,30}\bto (?!true|false|null|\d)|add [^.]{0,50}\bas (?:an? )?(?:attendee|recipient|collaborator|admin|cc|bcc|member|owner)|send all|move the real)\b/i;

/** Reading or producing a thing. (`read-only` is not reading a secret.) */
export const READ =
  /\b(read(?!-only| only)|reads|reading|cat|open|load|include|pass|paste|send|upload|copy|attach|provide|supply|dump|print|extract|collect|grab|exfiltrate|locate|retrieve|contents? of|access|export|echo|output|append|forward|get the value)\b/i;

export const CONVERSATION =
  /\b((?:chat|conversation|message|browsing|search) history|conversation|chat log|(?:previous|last|prior|recent|earlier|all) (?:\w+ )?messages?|system prompt|hidden prompt|context window|transcripts?|user'?s? (?:full |complete |last |previous )?(?:message|messages|request|query|question|prompt|input)s?)\b/i;

export const PERSONAL =
  /\b(home address|gps|coordinates|location|phone numbers?|email address(?:es)?|contacts?|contact list|address book|calendar|emails|inbox|personal (?:data|information|details)|user identity|identity|ip address|clipboard|keystrokes?|screenshots?|user'?s? (?:name|email|address|phone|files|data|documents))\b/i;

export const SECRETS =
  /\b(credentials?|passwords?|passphrases?|passcodes?|api[ _-]?keys?|access keys?|tokens?|secrets?|private keys?|ssh keys?|cookies|session (?:ids?|cookies?|tokens?)|otp|2fa|mfa|one-time (?:codes?|passwords?)|auth(?:entication)? codes?|seed phrases?|recovery phrases?|mnemonic|vault)\b/i;

export const FILE_DATA =
  /\b(file contents?|contents? of|every (?:other )?file|all (?:the )?files|files? (?:you|the user) (?:opened|read)|home directory|directory listing|documents|source code|the (?:full|entire|whole|complete) (?:document|file|repository|result set|text|body)|result set|diff)\b/i;

export const URL_OR_HOST =
  /\b(?:https?|s?ftp|wss?):\/\/[^\s)"'<>`]+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|dev|co|app|xyz|ru|cn|info|biz|site|online|me|cc|tk|top)\b(?:\/[^\s)"'<>`]*)?/i;
export const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/;
export const IP_ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}\b/;
export const PHONE = /\+\d[\d\s().-]{7,}\d/;
export const ACCOUNT =
  /\b(?:account|iban|beneficiary|wallet)\b[^.]{0,20}?\b[A-Z0-9]{2,}[A-Z0-9 -]{4,}\d\b|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b|\b0x[a-fA-F0-9]{40}\b/;

/** Fixed destinations written into the text: an attacker's address rather than one the user gives. */
export const PRIVATE_DESTINATION = [EMAIL, IP_ADDRESS, PHONE, ACCOUNT];

export const QUANTIFIER =
  /\b(always|also|every|each|all|any|whenever|whole|entire|full|complete|automatically|in addition|additionally|as well|verbatim)\b/i;

export const EXTERNAL =
  /\b(external|third[- ]party|remote|outside|partner|attacker|our (?:server|service|cloud|collector|endpoint|backend|team)|collector|backup (?:service|server|mirror|account)|logging (?:service|endpoint|tool)|monitoring|webhook|endpoint|proxy|mirror|fetch_url|http_request|paste account|another (?:server|service|account|channel))\b/i;

/** "phrases like 'ignore previous instructions'": the sentence mentions an attack rather than making one. */
export const MENTION =
  /\b((?:phrases?|patterns?|attempts?|strings?|texts?|payloads?|positives?)\s+(?:like|such as)|detects?|detecting|detection|classif\w*|flags?|spot(?:s|ting)?|scans? (?:\w+ ){0,3}for|recogni[sz]es?|identif(?:y|ies) (?:likely )?(?:prompt|injection))\b/i;

/** A negation just before a match: "never read", "does not send", "are refused". */
const NEGATION_BEFORE =
  /\b(never|not|no|don't|doesn't|won't|cannot|can't|without|refuses?|avoid)\b[^.;,]{0,25}$/i;
const REFUSAL =
  /\b(?:are|is|get|gets|will be) (?:refused|rejected|blocked|denied|masked|redacted|never \w+)\b|\bwithout (?:printing|returning|reading|exposing|revealing|storing)\b|\bnever (?:read|returned|stored|logged|transmitted|printed|shown|leaves?)\b/i;

export function negatedAt(sentence: string, index: number): boolean {
  return NEGATION_BEFORE.test(sentence.slice(Math.max(0, index - 40), index)) || REFUSAL.test(sentence);
}

/** Identifiers that name tools: snake_case, camelCase or kebab names with a separator. */
export function toolNamesIn(sentence: string): string[] {
  const names = sentence.match(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]+)+\b/g) ?? [];
  return names;
}
