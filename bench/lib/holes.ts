/**
 * The five everyday holes of `npm run bench:holes`: small realistic files with code before and
 * after the cursor, and the text a person would expect there. `before` + `after` is the file; the
 * cursor sits between them.
 */

export interface Hole {
  /** Short name, part of the screenshot's file name. */
  name: string;
  /** What kind of hole it is, as the table says it. */
  title: string;
  /** File name in the workspace; its extension sets the language. */
  file: string;
  /** VS Code language id. */
  language: string;
  before: string;
  after: string;
  expected: string;
}

export const holes: readonly Hole[] = [
  {
    name: 'closing-bracket',
    title: 'closing bracket',
    file: 'settings_io.py',
    language: 'python',
    before: [
      'import json',
      '',
      '',
      'def save_settings(path, settings):',
      '    with open(path, "w") as f:',
      '        json.dump(settings, f, indent=2',
    ].join('\n'),
    after: ['', '', '', 'def load_settings(path):', '    with open(path) as f:', '        return json.load(f)', ''].join('\n'),
    expected: ')',
  },
  {
    name: 'return-variable',
    title: 'return of a variable in scope',
    file: 'words.py',
    language: 'python',
    before: [
      'def word_counts(text):',
      '    result = {}',
      '    for word in text.lower().split():',
      '        result[word] = result.get(word, 0) + 1',
      '    return ',
    ].join('\n'),
    after: [
      '',
      '',
      '',
      'def top_words(text, n):',
      '    counts = word_counts(text)',
      '    return sorted(counts, key=counts.get, reverse=True)[:n]',
      '',
    ].join('\n'),
    expected: 'result',
  },
  {
    name: 'import-name',
    title: 'import name',
    file: 'show_file.py',
    language: 'python',
    before: ['import sys', 'from pathlib import '].join('\n'),
    after: [
      '',
      '',
      '',
      'def read_lines(name):',
      '    return Path(name).read_text().splitlines()',
      '',
      '',
      'if __name__ == "__main__":',
      '    for line in read_lines(sys.argv[1]):',
      '        print(line)',
      '',
    ].join('\n'),
    expected: 'Path',
  },
  {
    name: 'loop-header',
    title: 'loop header',
    file: 'receipt.py',
    language: 'python',
    before: ['def print_receipt(items):', '    total = 0', '    for '].join('\n'),
    after: [
      '',
      '        print(f"{item.name:<20} {item.price:>8.2f}")',
      '        total += item.price',
      '    print(f"{\'Total\':<20} {total:>8.2f}")',
      '',
    ].join('\n'),
    expected: 'item in items:',
  },
  {
    name: 'argument-list',
    title: 'argument list',
    file: 'greet.ts',
    language: 'typescript',
    before: [
      'interface User {',
      '  name: string;',
      '  email: string;',
      '}',
      '',
      'function greet(user: User): string {',
      '  return `Hello, ${user.name}!`;',
      '}',
      '',
      'const admin: User = { name: "Ada", email: "ada@example.com" };',
      'console.log(greet(',
    ].join('\n'),
    after: ['));', ''].join('\n'),
    expected: 'admin',
  },
];

/** The cursor of a hole: 1-based line and column, as VS Code's status bar counts them. */
export function holeCursor(hole: Hole): { line: number; column: number } {
  const lines = hole.before.split('\n');
  const last = lines[lines.length - 1] ?? ''; // split always returns at least one line
  return { line: lines.length, column: last.length + 1 };
}

/** How a ghost text is judged against the expected text. */
export const correctnessRule =
  'correct = the ghost text with trailing whitespace removed equals the expected text, or its first line does (trailing whitespace removed)';

/** Whether `ghost` (undefined: nothing shown) completes the hole as expected, by `correctnessRule`. */
export function isCorrect(ghost: string | undefined, expected: string): boolean {
  if (ghost === undefined) return false;
  const trim = (s: string) => s.replace(/\s+$/, '');
  const firstLine = (s: string) => s.split('\n')[0] ?? '';
  return trim(ghost) === trim(expected) || trim(firstLine(ghost)) === trim(firstLine(expected));
}
