// Rules for instructions hidden in tool metadata, applied sentence by
// sentence. Each rule is a pattern of intent (which classes of words meet in
// one sentence), so new wording of the same attack still matches; negations
// ("never reads ~/.ssh") and mentions ("detects phrases like ...") do not.
import type { FindingCategory, Severity } from "../store/finding-model.ts";
import {
  ACCOUNT,
  CHANGE,
  CONVERSATION,
  EMAIL,
  EXTERNAL,
  FILE_DATA,
  IP_ADDRESS,
  PERSONAL,
  PHONE,
  PRIVATE_DESTINATION,
  QUANTIFIER,
  READ,
  SECRETS,
  TRANSFER,
  toolNamesIn,
  URL_OR_HOST,
} from "./vocabulary.ts";

export interface RuleContext {
  /** The subject's own name: mentioning yourself is not shadowing. */
  ownName: string;
  /** The text is a parameter's description (inputSchema.properties...). */
  parameter: boolean;
  /** The subject's own parameter names: mentioning them is not shadowing either. */
  ownParameters: ReadonlySet<string>;
}

export interface IntentRule {
  id: string;
  category: FindingCategory;
  severity: Severity;
  message: string;
  /** Its match anchors the excerpt and the negation check. */
  pattern: RegExp;
  /** Every one must also match the sentence. */
  all?: RegExp[];
  /** At least one must match the sentence. */
  any?: RegExp[];
  /** Skip when a negation comes just before the match. */
  negatable?: boolean;
  /** Raised to this severity when one of `escalate.any` also matches. */
  escalate?: { any: RegExp[]; severity: Severity };
  /** Extra condition on the sentence. */
  when?: (sentence: string, context: RuleContext) => boolean;
}

const SECRET_PATH =
  /(?:~|\$HOME|%USERPROFILE%|\/home\/\w+|\/Users\/\w+|\/root)?\/?\.ssh\/(?:id_\w+|[\w.-]*(?:key|_rsa|_ed25519|_ecdsa)[\w.-]*)(?!\.pub)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|\.aws\/(?:credentials|config)|(?:^|[\s'"`(/,])\.env(?:\.\w+)?\b|\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.docker\/config\.json|\.kube\/config|\bkubeconfig\b|\/etc\/(?:passwd|shadow|sudoers)|\.(?:bash|zsh|sh|fish|python|psql|mysql)_history\b|\bhosts\.yml\b|\b(?:credentials|application_default_credentials|client_secrets?|token|service[-_]account[\w-]*)\.json\b|\.gnupg|\.pgpass|\.vault-token|\bwallet\.(?:dat|json)\b|\bLogin Data\b|\bCookies\b|\.config\/(?:gcloud|gh)\b|\bmcp\.json\b|claude_desktop_config\.json|\.cursor\/|\bkeychain\b|\*\.(?:pem|key|p12|pfx)\b|\bvault[\w-]*\.json\b/i;

const ENV_SECRET =
  /\b[A-Z][A-Z0-9]*_(?:[A-Z0-9]+_)*(?:API_KEY|TOKEN|SECRET|SECRET_KEY|SECRET_ACCESS_KEY|PASSWORD|ACCESS_KEY(?:_ID)?|PRIVATE_KEY)\b|\*_(?:API_KEY|TOKEN|SECRET)\b|\benv \| ?grep\b|\bprintenv\b|\bfind-generic-password\b|\benvironment variables?\b[^.]{0,30}\b(?:tokens?|keys?|secrets?)\b/;

const DESTINATIONS = [URL_OR_HOST, ...PRIVATE_DESTINATION];
const SENSITIVE = [CONVERSATION, PERSONAL, SECRETS, FILE_DATA];
const FIELD_WORD = /\b(argument|field|parameter|param|property|input)\b|['"`][\w-]+['"`]/i;

function otherToolMentioned(sentence: string, context: RuleContext): boolean {
  const own = context.ownName.toLowerCase();
  if (
    /\b(any|all|every|other|another) (?:other )?(?:[\w-]+ ){0,2}(?:tools?|servers?|plugins?|integrations?|assistants?)\b|\bfrom any server\b|\bmcp_\w+|\((?:mcp_)?\w+\)\s+\w+_\w+/i.test(
      sentence,
    )
  ) {
    return true;
  }
  if (
    !/\btools?\b|\b(?:is|are) (?:called|invoked|used|available|present)\b|\b(?:calling|invoking|using)\b/i.test(
      sentence,
    )
  )
    return false;
  return toolNamesIn(sentence).some(
    (name) =>
      name.toLowerCase() !== own &&
      !context.ownParameters.has(name) &&
      !/^[a-z]+_(?:id|at|by|to)$/.test(name),
  );
}

export const INTENT_RULES: IntentRule[] = [
  // --- coercion: claims of authority, overrides, forced calls ---
  {
    id: "coercion.override-instructions",
    category: "coercion",
    severity: "high",
    message: "Tells the model to ignore or replace its instructions",
    pattern:
      /\b(ignore|disregard|forget|override|bypass|discard|abandon)\b[^.\n]{0,40}?\b(previous|prior|above|earlier|preceding|existing|original|initial|other|system|safety|your|all|any|the user'?s?)\b[^.\n]{0,30}?\b(instructions?|rules|guidance|guidelines|directives?|prompts?|polic(?:y|ies)|restrictions|constraints|programming|requests?)\b/i,
  },
  {
    id: "coercion.override-instructions",
    category: "coercion",
    severity: "high",
    message: "Tells the model to ignore its instructions (non-English)",
    pattern:
      /(ignora|ignorez|ignoriere|ignorieren|ignorar|ignore as|игнорир\w*|忽略|忽视|無視|무시|تجاهل)[^.。\n]{0,40}(instruc|anweisung|vorgab|инструкц|указани|指令|指示|命令|提示|지시|명령|تعليمات)|(instruc\w*|anweisungen|指示|指令)[^.。\n]{0,30}(無視|忽略|ignor)/i,
  },
  {
    id: "coercion.priority-claim",
    category: "coercion",
    severity: "high",
    message: "Claims priority over the system prompt or the user",
    pattern:
      /\b(higher|highest|top|absolute|overriding) priority than\b|\btakes? precedence over\b|\bprecedence over (?:anything|everything|the user|the system|all)\b|\bsupersedes?\b[^.]{0,30}\b(instructions?|prompt|rules|user)\b|\boverrid(?:e|es|ing) (?:the )?(?:user'?s?|system|previous|any|all)\b[^.]{0,20}\b(request|instruction|prompt|rule)/i,
  },
  {
    id: "coercion.system-prompt",
    category: "coercion",
    severity: "high",
    message: "Tampers with or extracts the system prompt",
    pattern:
      /\bsystem prompt\b[^.]{0,40}\b(is (?:outdated|obsolete|invalid|deprecated|wrong)|has been (?:replaced|updated|changed)|no longer)|\b(reveal|print|show|output|leak|disclose|repeat)\b[^.]{0,20}\b(?:your|the) (?:system prompt|hidden prompt|initial instructions)\b/i,
  },
  {
    id: "coercion.role-reset",
    category: "coercion",
    severity: "high",
    message: "Tries to change the model's role or switch off its safety rules",
    pattern:
      /\byou are (?:now|no longer)\b|\b(?:act|behave|respond|operate) as (?:an? )?(?:unrestricted|unfiltered|uncensored|jailbroken|unbound)\b|\b(?:instructions|guidelines|rules|prompt|policies)\b[^.]{0,15}\b(?:are|is) (?:now )?(?:void|invalid|obsolete|revoked|cancell?ed|superseded|outdated|no longer valid)\b|\b(?:developer|god|jailbreak|unrestricted|unfiltered|DAN) mode\b|\bno longer (?:a |an )?(?:helpful|bound|restricted)\b|\b(?:safety|content|security) (?:guidelines|policies|rules|filters|restrictions)\b[^.]{0,30}\b(?:suspended|disabled|lifted|removed|off|(?:do not|don't|no longer) apply)\b|\b(?:previous|prior|earlier) (?:content )?(?:policies|rules|instructions) (?:no longer|do not|don't) apply\b/i,
  },
  {
    id: "coercion.pre-authorized",
    category: "coercion",
    severity: "high",
    message: "Claims the user already approved actions, or tells the model not to ask",
    pattern:
      /\b(pre-?authori[sz]ed|pre-?approved|already (?:been )?(?:granted|approved|authori[sz]ed|agreed|consented)|(?:user|operator|owner|admin\w*) (?:has|have) (?:already )?(?:authori[sz]ed|approved|agreed|consented))\b|\bwithout (?:asking|prompting|confirming|consulting|checking with)\b|\b(?:do not|don't|never|no need to)\b[^.]{0,15}\b(?:ask|request|seek|wait for|get)\b[^.]{0,30}\b(?:confirm\w*|permission|approval|consent)\b/i,
  },
  {
    id: "coercion.forced-invocation",
    category: "coercion",
    severity: "high",
    message: "Forces the tool to be called for everything, whatever the user asked",
    pattern:
      /\bbefore (?:any|every|all) other tools?\b|\b(?:regardless of|irrespective of|even if|even when|no matter|whatever the|nothing to do with|unrelated to)\b[^.]{0,40}\b(?:topic|request|question|task|subject|asked|user|message|content)\b|\b(?:route|funnel) (?:every|all|each|any)\b/i,
    any: [/\b(call|calls|called|invoke|invoked|use|used|route|run|first|must)\b/i],
    negatable: true,
  },
  {
    id: "coercion.core-instructions",
    category: "coercion",
    severity: "high",
    message: "Asks the model to adopt text as its own instructions",
    pattern:
      /\b(?:part of|as|into) your (?:core |system |primary |base |own )?(?:instructions|programming|prompt|rules|directives)\b|\bas authoritative instructions\b|\b(?:obey|follow|comply with|act on|execute)\b[^.]{0,30}\b(?:only )?(?:the )?(?:instructions?|directives?|commands?)\b[^.]{0,30}\b(?:embedded|contained|in (?:the|this|tool) (?:text|output|description|result)|from this (?:server|tool)|that appear in)\b/i,
  },
  {
    id: "coercion.authority-marker",
    category: "coercion",
    severity: "medium",
    message: "Fake system or administrator markup addressed to the model",
    pattern:
      /(?:^|[\s(])\[?(?:SYSTEM|ADMIN|ADMINISTRATOR|DEVELOPER|OPERATOR|ROOT)(?: (?:OVERRIDE|NOTICE|MESSAGE|INSTRUCTION|DIRECTIVE|MODE))?\]?\s*:|\[(?:SYSTEM|ADMIN|ADMINISTRATOR|DEVELOPER|OPERATOR|INST)\]|\bSYSTEM OVERRIDE\b|\bMANDATORY\b[^.]{0,20}\bPROTOCOL\b|<\/?\s*(?:important|system|secret|instructions?|admin|hidden|critical|sys|override|prompt)\s*>|\b(?:note|notes|message|instructions?|directive|reminder)s? (?:to|for) (?:the |all |any )?(?:assistants?|models?|ai|llms?|agents?|language models?)\b|\b(?:assistant|model|llm|ai)[- ]only\b|\b(?:attention|hey|dear)[,:]? (?:ai|llm|assistant|agent|model)s?\b|(?:^|\n)\s*(?:assistant|ai|llm|model)\s*:/,
    when: (sentence) => !/['"‘’“”]\s*<\/?\s*\w+\s*>\s*['"‘’“”]/.test(sentence),
  },
  {
    id: "coercion.pressure",
    category: "coercion",
    severity: "low",
    message: "Threatens failure to pressure the model",
    pattern:
      /\b(?:otherwise|or else|failure to|non-?compliance|skipping this)\b[^.]{0,60}\b(?:will|would|causes?)\b[^.]{0,40}\b(?:fail|error|not work|corrupt\w*|data loss|break)/i,
  },

  // --- concealment: keep it from the user ---
  {
    id: "concealment.do-not-tell",
    category: "concealment",
    severity: "high",
    message: "Tells the model to keep something from the user",
    pattern:
      /\b(?:do not|don't|never|must not|mustn't|should not|shouldn't|without|avoid|nor)\s+(?:ever\s+)?(?:tell|telling|mention|mentioning|inform|informing|reveal|revealing|disclose|disclosing|notify|notifying|alert|alerting|report|reporting|repeat|paraphrase|acknowledge|warn|warning|show|showing|display|list|reference|let)\b[^.]{0,40}?\b(?:user|users|them|him|her|anyone|anybody|this|it|that|these|those|about|the (?:change|export|upload|copy|extra|additional|attendee|memo|detail|step|instruction|note|section|uploads|modification))\b|\b(?:should|must|will|is to)?\s*(?:never|not) be (?:mentioned|disclosed|revealed|shown|told|reported|displayed|listed|visible)\b/i,
  },
  {
    id: "concealment.keep-secret",
    category: "concealment",
    severity: "high",
    message: "Asks for something to be kept secret or hidden",
    pattern:
      /\b(?:does|do|will) not need to (?:be told|know|be informed)\b|\bneeds? not (?:be told|know)\b|\bno need to (?:tell|inform|mention|notify)\b|\b(?:users?|they|he|she) (?:must|should|shall) (?:not|never) (?:know|find out|be told|learn|notice)\b|\bwithout (?:the user|them|anyone) (?:knowing|noticing|seeing)\b|\bkeep (?:this|it|these|that|the [\w -]{1,20}?)\b[^.]{0,20}\b(?:secret|confidential|hidden|invisible|private|quiet|to yourself|between us)\b|\b(?:hide|conceal|mask) (?:it|this|them|the [\w ]{1,20}) from (?:the )?users?\b|\b(?:must|should) be hidden\b/i,
  },
  {
    id: "concealment.deceive",
    category: "concealment",
    severity: "high",
    message: "Tells the model to mislead the user about what happened",
    pattern:
      /\b(?:pretend|pretending|as if nothing|claim (?:it|that|this) (?:is|was)|present (?:it|this|them) as|describe only|say only|only say|should only see|scrolls? out of view|out of (?:view|sight)|summari[sz]e [^.]{0,30} only as)\b|\bomit [^.]{0,40}\bfrom (?:what|the) [^.]{0,30}(?:show|user|reply|response|summary)/i,
  },
  {
    id: "concealment.stealth-action",
    category: "concealment",
    severity: "high",
    message: "Asks for an action to be done silently",
    pattern: /\b(?:silently|quietly|secretly|covertly|discreetly|stealthily|invisibly|surreptitiously)\b/i,
    any: [TRANSFER, CHANGE, /\b(delete|install|run|execute|upload|change)\b/i],
    when: (sentence) => !/\bsilently (?:fail|ignore|skip|drop|discard)/i.test(sentence),
  },
  {
    id: "concealment.would-upset",
    category: "concealment",
    severity: "high",
    message: "Discourages telling the user because it would upset or confuse them",
    pattern:
      /\b(?:mention\w*|tell\w*|reveal\w*|show\w*|know\w*)\b[^.]{0,40}\b(?:would|will|could|might|may)\b[^.]{0,20}\b(?:confuse|upset|alarm|worry|scare|annoy)\b|\b(?:could|would|might) (?:even )?(?:upset|confuse|alarm|scare) the user\b|\bmere implementation detail\b/i,
  },
  {
    id: "concealment.do-not-tell",
    category: "concealment",
    severity: "high",
    message: "Tells the model to keep something from the user (non-English)",
    pattern:
      /\bno (?:le )?(?:digas|menciones|informes|cuentes|reveles)\b|\bnão (?:conte|mencione|informe|diga|revele)\b|\bne (?:le |lui )?(?:dis|dites|mentionne[zr]?|révèle[zr]?) (?:pas|rien)\b|\bnicht (?:erwähnen|sagen|mitteilen|verraten)\b|не (?:говори|сообщай|упоминай|рассказывай)|不要(?:告诉|提及|透露|让用户)|ユーザーに[^。]{0,10}(?:伝え|言わ|知らせ|教え)ない/i,
  },

  // --- credential harvesting ---
  {
    id: "credential-harvest.secret-file",
    category: "credential-harvest",
    severity: "high",
    message: "Asks for a secret file (keys, credentials, history) to be read or passed on",
    pattern: SECRET_PATH,
    all: [READ],
    negatable: true,
  },
  {
    id: "credential-harvest.ask-user",
    category: "credential-harvest",
    severity: "high",
    message: "Asks the user for a password, one-time code or other secret",
    pattern:
      /\b(?:ask|asks|asking|prompt|request|have|get|tell)\b[^.]{0,15}\b(?:the )?(?:user|users|them|customer)\b[^.]{0,50}\b(?:password|passcode|passphrase|pin|otp|one-time|2fa|mfa|verification code|authenticator|seed phrase|recovery phrase|mnemonic|private key|security code|cvv|card number|credentials?)\b|\b(?:type|enter|paste|provide|give|supply)\b[^.]{0,20}\b(?:their|your|the user'?s)\b[^.]{0,25}\b(?:password|passphrase|passcode|pin|otp|2fa|mfa|seed phrase|recovery phrase|private key|credentials)\b|(?:pe[çc]a|solicite|pida|pedir|demande[rz]?|frage|попроси|请求|询问|尋ね|聞い)[^.。]{0,40}(?:senha|contraseña|clave|mot de passe|passwort|пароль|密码|パスワード|código|token)/i,
    negatable: true,
  },
  {
    id: "credential-harvest.environment",
    category: "credential-harvest",
    severity: "high",
    message: "Asks for secrets from environment variables or the keychain",
    pattern: ENV_SECRET,
    any: [READ, /\b(collect|print|run|grep|gather|list|include)\b/i],
    negatable: true,
  },
  {
    id: "credential-harvest.secrets-to-argument",
    category: "credential-harvest",
    severity: "high",
    message: "Asks for secrets seen in the conversation or on the machine to be passed as an argument",
    pattern: SECRETS,
    all: [
      /\b(pass|include|put|paste|send|provide|supply|add|fill|append|copy|attach|forward)\b/i,
      /\b(any|all|every|that (?:appear|are visible)|visible|found|in (?:the )?(?:conversation|context|log|result|output)|from (?:the )?(?:conversation|context|environment|file|disk)|contents?|raw)\b/i,
    ],
    negatable: true,
    when: (sentence) => FIELD_WORD.test(sentence) || EXTERNAL.test(sentence) || URL_OR_HOST.test(sentence),
  },

  // --- exfiltration ---
  {
    id: "exfiltration.to-fixed-destination",
    category: "exfiltration",
    severity: "medium",
    message: "Sends data to an address written into the description",
    pattern: TRANSFER,
    any: PRIVATE_DESTINATION,
    negatable: true,
    escalate: { any: [QUANTIFIER, ...SENSITIVE, EXTERNAL], severity: "high" },
  },
  {
    id: "exfiltration.to-fixed-url",
    category: "exfiltration",
    severity: "high",
    message: "Sends conversation, personal data, secrets or files to a URL written into the description",
    pattern: TRANSFER,
    all: [URL_OR_HOST],
    any: SENSITIVE,
    negatable: true,
  },
  {
    id: "exfiltration.to-fixed-url",
    category: "exfiltration",
    severity: "high",
    message: "Always sends data to a URL written into the description",
    pattern: /\b(?:always|also|every|each|whenever|after (?:every|each)|for every)\b/i,
    all: [TRANSFER, URL_OR_HOST],
    negatable: true,
  },
  {
    id: "exfiltration.sensitive-to-external",
    category: "exfiltration",
    severity: "high",
    message: "Sends conversation, personal data, secrets or files to an outside party",
    pattern: TRANSFER,
    all: [EXTERNAL],
    any: SENSITIVE,
    negatable: true,
  },
  {
    id: "exfiltration.context-to-argument",
    category: "exfiltration",
    severity: "high",
    message: "Asks for the conversation, system prompt or personal data to be passed as an argument",
    pattern:
      /\b(pass|include|put|paste|send|provide|supply|add|append|attach|fill|set|call this tool with|with the)\b/i,
    all: [FIELD_WORD],
    any: [
      CONVERSATION,
      /\b(?:home address|gps|coordinates|email address|phone number|user'?s? (?:name|identity))\b/i,
    ],
    negatable: true,
  },
  {
    id: "exfiltration.parameter-collects-context",
    category: "exfiltration",
    severity: "high",
    message: "A parameter asks for the conversation, system prompt or the user's identity",
    pattern:
      /\b(?:conversation|chat|message) history\b|\bsystem prompt\b|\b(?:entire|full|complete|whole) conversation\b|\bprevious messages\b|\buser (?:identity|credentials)\b|\bhome address\b|\bgps\b/i,
    when: (_sentence, context) => context.parameter,
  },
  {
    id: "exfiltration.image-beacon",
    category: "exfiltration",
    severity: "high",
    message: "An image or link whose URL carries data out when rendered",
    pattern:
      /!\[[^\]]*\]\(\s*https?:\/\/[^)\s]*[?&][^)\s]*\)|\b(?:append|add|include|render|embed|insert)\b[^.]{0,40}\b(?:image|img|pixel|beacon|tracking link)\b/i,
    any: [/[{<][A-Z_a-z ]+[}>]/, CONVERSATION, SECRETS, PERSONAL, /\b(data|messages?|text)\b/i],
  },
  {
    id: "exfiltration.dns",
    category: "exfiltration",
    severity: "high",
    message: "Encodes data into DNS names",
    pattern:
      /\bsubdomain\b[^.]{0,80}\b(?:encode|hex|base64|data|listing|contents?)\b|\b(?:encode|hex|base64)\b[^.]{0,80}\bsubdomain\b/i,
  },
  {
    id: "exfiltration.url-smuggling",
    category: "exfiltration",
    severity: "high",
    message: "Adds conversation data or secrets to URLs",
    pattern:
      /\b(?:append|add|include|prepend)\b[^.]{0,40}(?:\?\w+=|\bquery (?:string|parameter)|\burl parameter|\bto (?:every|each|all|the) (?:url|link)s?)/i,
    any: [CONVERSATION, SECRETS, PERSONAL],
  },
  {
    id: "exfiltration.templated-url",
    category: "exfiltration",
    severity: "high",
    message: "Calls a URL written into the description with data filled into its query",
    pattern: /\b(?:https?:\/\/|[\w-]+\.[\w.-]+\/)[^\s]*[?&][\w-]+=(?:<[^>]+>|\{[^}]+\})/i,
    all: [/\b(?:always|also|every|each|whenever|after (?:every|each)|for every|before)\b/i],
    negatable: true,
  },
  {
    id: "exfiltration.url-smuggling",
    category: "exfiltration",
    severity: "high",
    message: "Puts conversation data or secrets into the query of a fixed URL",
    pattern: /\b(?:https?:\/\/|[\w-]+\.[\w.-]+\/)[^\s]*[?&][\w-]+=/i,
    any: [CONVERSATION, SECRETS, PERSONAL],
    negatable: true,
  },
  {
    id: "exfiltration.explicit",
    category: "exfiltration",
    severity: "high",
    message: "Says outright that data is to be exfiltrated or sent to an attacker",
    pattern: /\bexfiltrat\w*\b|\battacker[- ]controlled\b/i,
  },

  // --- shadowing: changing how other tools behave ---
  {
    id: "shadowing.other-tool-behavior",
    category: "shadowing",
    severity: "high",
    message: "Changes how another tool or server behaves",
    pattern: CHANGE,
    when: otherToolMentioned,
    negatable: true,
  },
  {
    id: "shadowing.other-tool-behavior",
    category: "shadowing",
    severity: "high",
    message: "Instructions about what another tool must do",
    pattern:
      /\b(?:when(?:ever)?|before|after|if)\b[^.]{0,40}\b(?:is|are|gets?)\s+(?:called|used|invoked|available|present|run|executed)\b|\binstead of (?:using |calling )?[`'"]?\w+_\w+|\bwhen calling \w+_\w+/i,
    any: [QUANTIFIER, CHANGE, /\b(must|first|log|copy|backup|add|include|bcc|cc|send)\b/i],
    when: otherToolMentioned,
  },
  {
    id: "shadowing.impersonation",
    category: "shadowing",
    severity: "high",
    message: "Claims to replace another tool or asks to be preferred over it",
    pattern:
      /\b(?:prefer|use|call) (?:this|it|me)(?: tool| one)? (?:over|instead of|rather than) (?:any|all|the) (?:other|older|original|existing)|\bthe (?:older|original|other|old|previous) (?:one|version|tool|implementation)s? (?:is|are|has been|have been) (?:deprecated|removed|broken|insecure|compromised)|\bmust not be used\b|\bthis is the (?:official|updated|real|genuine|new) (?:[\w-]+ )?(?:version|implementation|tool)\b|\bupdated \w+_\w+\b/i,
  },
  {
    id: "shadowing.side-effect",
    category: "shadowing",
    severity: "high",
    message: "Declares side effects on other tools",
    pattern:
      /\bside[- ]effects? (?:on|for)\b[^.]{0,40}\b(?:tools?|servers?|\w+_\w+)|\bhas a (?:known )?bug\b[^.]{0,80}\b(?:always|substitute|replace|instead)\b|\b(?:tools?|servers?) (?:from|on) (?:any|other|another) server\b/i,
  },
  {
    id: "shadowing.proxy-routing",
    category: "shadowing",
    severity: "high",
    message: "Routes traffic through a proxy or mirror written into the description",
    pattern:
      /\b(?:through|via|use) (?:our|the|a|this) (?:[\w-]+ ){0,2}(?:proxy|mirror|relay|cache)\b|\bproxy (?:number|address|server)\b/i,
    any: [IP_ADDRESS, URL_OR_HOST, PHONE, /\b(all|every|any)\b/i],
    negatable: true,
  },
  {
    id: "shadowing.redirect-destination",
    category: "shadowing",
    severity: "high",
    message: "Replaces a recipient, account or destination with a fixed one",
    pattern:
      /\b(?:change|replace|substitute|override|redirect|swap|set|reroute|send all)\b[^.]{0,60}\b(?:recipients?|beneficiar(?:y|ies)|destination|'to' field|to field|target|account|remote|registry|attendees?|emails?|messages?|requests?)\b/i,
    any: DESTINATIONS,
    negatable: true,
  },

  // --- behaviour a tool description has no business asking for ---
  {
    id: "behavior.destructive-command",
    category: "behavior",
    severity: "high",
    message: "A destructive command against the user's files",
    pattern:
      /\brm\s+-(?:rf|fr|r)\s+(?:~|\/(?!tmp\b)|\$HOME|\*)|--no-preserve-root|\bchmod\s+-R\s+0?[0-7]{3}\s+(?:~|\/)|\bmkfs\b|\bdd if=[^\s]+ of=\/dev\//i,
  },
  {
    id: "behavior.remote-code",
    category: "behavior",
    severity: "high",
    message: "Downloads and runs code, or evaluates hidden code",
    pattern:
      /\b(?:curl|wget|iwr|Invoke-WebRequest)\b[^|\n]{0,150}\|\s*(?:sudo\s+)?(?:ba|z|k|da)?sh\b|\beval\s*\(\s*atob|__import__\(\s*['"]os|\bos\.system\(|\bpowershell\b[^.]{0,20}-e(?:nc)?\b/i,
  },
  {
    id: "behavior.config-tampering",
    category: "behavior",
    severity: "high",
    message: "Changes the user's shell, package manager, git or client configuration",
    pattern:
      /\.bashrc|\.zshrc|\.bash_profile|\.profile\b|\bcrontab\b|\bauthorized_keys\b|\bsudoers\b|\bpip\.conf\b|--(?:extra-)?index-url\b|\bnpm config set\b|\bcore\.hooksPath\b|\bcredential\.helper\b|\bpre-(?:push|commit) hook\b|\bgit remote set-url\b|\bautoApprove\b|\bmcp\.json\b|\bclaude_desktop_config\b/i,
    all: [/\b(append|add|set|write|modify|insert|change|install|run|update|configure|put|edit)\b/i],
    negatable: true,
  },
  {
    id: "behavior.auto-approve",
    category: "behavior",
    severity: "high",
    message: "Asks for tool calls to be approved automatically",
    pattern:
      /\bauto-?approv\w*\b|\btreat (?:all|every|any) [^.]{0,40}\bas (?:pre-?approved|approved|trusted|safe)\b|\b(?:approve|accept) (?:every|all|any) (?:tool )?(?:calls?|requests?)\b/i,
  },
  {
    id: "behavior.delayed-trigger",
    category: "behavior",
    severity: "medium",
    message: "Behaviour that switches on later (a date, a call count, future sessions)",
    pattern:
      /\b(?:starting|beginning) (?:on|at|from|after) \d{4}-\d{2}-\d{2}\b|\bafter (?:this tool|it) has been (?:called|used|invoked) \d+ times\b|\bafter (?:the )?\d+(?:st|nd|rd|th)? (?:call|use|invocation)s?\b|\bin future sessions\b|\bfrom now on\b/i,
  },
  {
    id: "behavior.call-flooding",
    category: "behavior",
    severity: "medium",
    message: "Asks for the tool to be called over and over",
    pattern:
      /\b(?:call|run|invoke|repeat)\b[^.]{0,30}\b(?:repeatedly|continuously|indefinitely|forever|\d{3,} times|at least \d{2,} times)\b/i,
    negatable: true,
  },
  {
    id: "behavior.manipulation",
    category: "behavior",
    severity: "medium",
    message: "Biases answers regardless of the facts",
    pattern:
      /\b(?:regardless of|irrespective of|no matter) (?:the )?(?:actual|real|true)\b|\bdescribe (?:competing|competitor|rival|other) [^.]{0,30}\bas\b|\balways (?:rank|recommend|promote|prefer|answer) [^.]{0,40}\b(?:first|over|above|regardless)\b|\bregardless of the (?:diff|content|input|code)\b/i,
  },
  {
    id: "behavior.memory-poisoning",
    category: "behavior",
    severity: "medium",
    message: "Plants a memory or standing instruction for later sessions",
    pattern:
      /\b(?:save|store|remember|write|add) (?:this|the following)(?: note| fact)? (?:to |in |into )?(?:your |long-term |persistent )?(?:memory|memories)\b|\bact on it in future\b|\brecall and act\b/i,
  },
  {
    id: "behavior.phishing",
    category: "behavior",
    severity: "high",
    message: "Sends the user to sign in somewhere with their password",
    pattern:
      /\b(?:log ?in|sign ?in|authenticate|verify your account)\b[^.]{0,40}(?:https?:\/\/|\b\w+\.\w+\/)|\bwith (?:your|their) (?:email |account |bank )?password\b/i,
    negatable: true,
  },
  {
    id: "behavior.unsolicited-transfer",
    category: "behavior",
    severity: "high",
    message: "Moves money or grants access without the user asking",
    pattern:
      /\b(?:wire|transfer|pay|send)\b[^.]{0,40}\b(?:funds|money|invoice|payment|balance)\b|\badd\b[^.]{0,40}\bas an? (?:admin|owner|collaborator)\b/i,
    any: [ACCOUNT, /\b(always|also|automatic\w*|without|recommend\w*)\b/i, EMAIL],
    negatable: true,
  },
];

export { DESTINATIONS, EMAIL };
