/**
 * What a packaged README links to, for the packaging tests. Enough Markdown for a README: inline
 * links and images, reference definitions and HTML `src`/`href`, outside code.
 */

/** The text with fenced code blocks and code spans blanked out: links there are not links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** Every link and image target in `markdown`, in order of appearance. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  const patterns = [
    // [text](target "title") and ![alt](target), one level of nested brackets in the text
    /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^\s)>]+)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g,
    // [label]: target
    /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm,
    // <img src="…">, <a href="…">
    /<(?:img|a|video|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi,
  ];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) targets.push(m[1]!); // every pattern has one group, the target
  }
  return targets;
}

/** The anchors a renderer gives the headings (GitHub's rule, which VS Code's preview follows). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutCode(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Lines a developer runs, which have no place in a user's README. */
export function developerLines(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => /\bnpm (?:ci|test|run|install|i)\b|\bnpx |\byarn |\.ci\/run|CONTRIBUTING|^#{1,6} Development\b/.test(line));
}
