/**
 * The languages of the real-code benchmark: VS Code language ids, which file names belong to each,
 * and which file names count as source when a project's files are fingerprinted for the corpus.
 */

export type Language = 'typescript' | 'javascript' | 'python' | 'go' | 'rust';

export const languages: readonly Language[] = ['typescript', 'javascript', 'python', 'go', 'rust'];

/** Files tasks may be cut from (declaration files hold no code to complete). */
const taskFile: Record<Language, RegExp> = {
  typescript: /(?<!\.d)\.(ts|tsx|mts|cts)$/,
  javascript: /\.(js|jsx|mjs|cjs)$/,
  python: /\.py$/,
  go: /\.go$/,
  rust: /\.rs$/,
};

export function isTaskFile(path: string, language: Language): boolean {
  return taskFile[language].test(path) && !/\.d\.[cm]?ts$/.test(path);
}

/**
 * Every file the training corpus could read as code, whatever the project's own language: a
 * TypeScript package's compiled JavaScript is the same code, so it is fingerprinted too.
 */
export function isSourceFile(path: string): boolean {
  return /\.(py|pyi|js|mjs|cjs|jsx|ts|mts|cts|tsx|go|rs|c|h|cc|cpp|cxx|hpp|hh|hxx|inl|tcc|sh|bash)$/.test(path);
}

/** Python blocks are found by indentation after a `:`; the others by `{` … `}`. */
export function usesBraces(language: Language): boolean {
  return language !== 'python';
}
