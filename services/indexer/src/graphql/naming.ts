/**
 * graph-node's names for the query fields of an entity type: the singular is the type name in camel case, the
 * plural its English plural in camel case (with `_collection` when both are the same). graph-node takes both
 * from the Rust Inflector crate; these functions follow its rules so that the same schema gives the same API
 * (`WS402Session` → `ws402Session` / `ws402Sessions`, `RebateEpoch` → `rebateEpoch` / `rebateEpoches`).
 */

/** Inflector's camel case: words start at separators, digits, and lower-to-upper changes; all else is lowered. */
export function camelCase(name: string): string {
  const trimmed = name.replace(/[^\p{L}\p{N}]+$/u, "");
  let result = "";
  let newWord = false;
  let lastChar = " ";
  let foundRealChar = false;
  for (const char of trimmed) {
    const alphanumeric = /[\p{L}\p{N}]/u.test(char);
    if (!alphanumeric && foundRealChar) {
      newWord = true;
    } else if (!foundRealChar && !alphanumeric) {
      continue;
    } else if (/\p{N}/u.test(char)) {
      foundRealChar = true;
      newWord = true;
      result += char;
    } else if (newWord || (lastChar !== lastChar.toUpperCase() && char !== char.toLowerCase())) {
      foundRealChar = true;
      newWord = false;
      result += char.toUpperCase();
    } else {
      foundRealChar = true;
      lastChar = char;
      result += char.toLowerCase();
    }
  }
  return result;
}

const UNCOUNTABLE = new Set(
  (
    "accommodation adulthood advertising advice aggression aid air aircraft alcohol anger applause arithmetic assistance " +
    "athletics bacon baggage beef biology blood botany bread butter carbon cardboard cash chalk chaos chess crossroads " +
    "countryside dancing deer dignity dirt dust economics education electricity engineering enjoyment envy equipment ethics " +
    "evidence evolution fame fiction flour flu food fuel fun furniture gallows garbage garlic genetics gold golf gossip " +
    "grammar gratitude grief guilt gymnastics happiness hardware harm hate hatred health heat help homework honesty honey " +
    "hospitality housework humour hunger hydrogen ice importance inflation information innocence iron irony jam jewelry " +
    "judo karate knowledge lack laughter lava leather leisure lightning linguine linguini linguistics literature litter " +
    "livestock logic loneliness luck luggage macaroni machinery magic management mankind marble mathematics mayonnaise " +
    "measles methane milk money mud music mumps nature news nitrogen nonsense nurture nutrition obedience obesity oxygen " +
    "pasta patience physics poetry pollution poverty pride psychology publicity punctuation quartz racism relaxation " +
    "reliability research respect revenge rice rubbish rum safety scenery seafood seaside series shame sheep shopping " +
    "sleep smoke smoking snow soap software soil spaghetti species steam stuff stupidity sunshine symmetry tennis thirst " +
    "thunder timber traffic transportation trust underwear unemployment unity validity veal vegetation vegetarianism " +
    "vengeance violence vitality warmth wealth weather welfare wheat wildlife wisdom yoga zinc zoology"
  ).split(" "),
);

const SPECIAL: Record<string, string> = {
  ox: "oxen",
  man: "men",
  woman: "women",
  die: "dice",
  yes: "yeses",
  foot: "feet",
  eave: "eaves",
  goose: "geese",
  tooth: "teeth",
  quiz: "quizzes",
};

/** Inflector's plural rules, tried from the last to the first; group 1 is kept and the suffix appended. */
const RULES: [RegExp, string][] = [
  [/(\w*)s$/u, "s"],
  [/(\w*([^aeiou]ese))$/u, ""],
  [/(\w*(ax|test))is$/u, "es"],
  [/(\w*(alias|[^aou]us|tlas|gas|ris))$/u, "es"],
  [/(\w*(e[mn]u))s?$/u, "s"],
  [/(\w*([^l]ias|[aeiou]las|[emjzr]as|[iu]am))$/u, ""],
  [/(\w*(alumn|syllab|octop|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat))(?:us|i)$/u, "i"],
  [/(\w*(alumn|alg|vertebr))(?:a|ae)$/u, "ae"],
  [/(\w*(seraph|cherub))(?:im)?$/u, "im"],
  [/(\w*(her|at|gr))o$/u, "oes"],
  [/(\w*(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|curricul|automat|quor))(?:a|um)$/u, "a"],
  [/(\w*(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat))(?:a|on)$/u, "a"],
  [/(\w*)sis$/u, "ses"],
  [/(\w*(kni|wi|li))fe$/u, "ves"],
  [/(\w*(ar|l|ea|eo|oa|hoo))f$/u, "ves"],
  [/(\w*([^aeiouy]|qu))y$/u, "ies"],
  [/(\w*([^ch][ieo][ln]))ey$/u, "ies"],
  [/(\w*(x|ch|ss|sh|zz)es)$/u, ""],
  [/(\w*(x|ch|ss|sh|zz))$/u, "es"],
  [/(\w*(matr|cod|mur|sil|vert|ind|append))(?:ix|ex)$/u, "ices"],
  [/(\w*(m|l)(?:ice|ouse))$/u, "ice"],
  [/(\w*(pe)(?:rson|ople))$/u, "ople"],
  [/(\w*(child))(?:ren)?$/u, "ren"],
  [/(\w*eaux)$/u, ""],
];

export function plural(word: string): string {
  if (UNCOUNTABLE.has(word)) return word;
  if (SPECIAL[word]) return SPECIAL[word];
  for (let i = RULES.length - 1; i >= 0; i--) {
    const match = RULES[i][0].exec(word);
    if (match) return match[1] + RULES[i][1];
  }
  return `${word}s`;
}

/** The singular and plural query field names of an entity type. */
export function queryFieldNames(typeName: string): { singular: string; plural: string } {
  const singular = camelCase(typeName);
  let many = camelCase(plural(typeName));
  if (many === singular) many += "_collection";
  return { singular, plural: many };
}
