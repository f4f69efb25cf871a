// Which of several candidate task lists to use. Plain Node: no vscode import.

/** Orders workspace-relative paths best first: `*TASKLIST*` names, then shallower, then alphabetical. */
export function rankTasklistCandidates(relPaths: readonly string[]): string[] {
  const score = (p: string): [number, number, string] => {
    const name = p.split(/[\\/]/).pop() ?? p;
    const kind = /TASKLIST/i.test(name) ? 0 : /^tasks\.md$/i.test(name) ? 1 : 2;
    return [kind, p.split(/[\\/]/).length, p.toLowerCase()];
  };
  return [...relPaths].sort((a, b) => {
    const [ka, da, na] = score(a);
    const [kb, db, nb] = score(b);
    return ka - kb || da - db || (na < nb ? -1 : na > nb ? 1 : 0);
  });
}
