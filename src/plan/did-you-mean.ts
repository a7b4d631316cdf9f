/**
 * "Did you mean" suggestions for misspelt keys, enum values and connector types. A few lines of Levenshtein are
 * cheaper than a dependency, and the candidate lists are tiny.
 */

/** Edit distance (insert, delete, substitute; an adjacent swap counts as one edit, the commonest typo). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate, if it is close enough to be a plausible typo: same word in another case, an edit distance of
 * at most 2 (1 for words of three letters or fewer, where 2 edits reach nearly anything), or an abbreviation of at
 * least four letters (`concurr` → `concurrency`), or a shared stem of most of the word (`migrate` → `migration`).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = word.length <= 3 ? 1 : 2;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c === word) continue;
    const cl = c.toLowerCase();
    let score: number;
    if (cl === lower) score = 0;
    else {
      const dist = editDistance(lower, cl);
      if (dist <= limit) score = dist;
      else if (lower.length >= 4 && cl.startsWith(lower)) score = limit + 0.5;
      else if (commonPrefix(lower, cl) >= Math.max(4, Math.ceil(lower.length * 0.6))) score = limit + 1;
      else continue;
    }
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** `; did you mean "x"?` or an empty string, ready to append to a message. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : `; did you mean "${s}"?`;
}
