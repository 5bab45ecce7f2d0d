/**
 * Unknown option keys are misconfiguration: a misspelt security option (`requiredScope` for
 * `requiredScopes`) must fail at construction, not silently drop the check it was meant to add.
 * Plain JavaScript callers have no excess-property check, so every options object is checked here.
 */

/**
 * Throws a `TypeError` naming each key of `options` that is not in `known`, with the nearest known
 * key as a suggestion. `where` prefixes the message (e.g. `withCaracal`, `withCaracal: routes["/a"]`).
 */
export function rejectUnknownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const nearest = nearestKey(key, known)
    const hint = nearest === undefined ? `known options: ${known.join(', ')}` : `did you mean \`${nearest}\`?`
    throw new TypeError(`${where}: unknown option \`${key}\`; ${hint}`)
  }
}

/** The known key closest to `key` by edit distance (case-insensitive), if any is close enough to be a typo. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  // A third of the longer name, at least 2 edits: close enough to be a slip, far enough to avoid nonsense.
  const limit = Math.max(2, Math.floor(Math.max(key.length, best?.length ?? 0) / 3))
  return bestDistance <= limit ? best : undefined
}

/** Levenshtein distance with one rolling row. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}
