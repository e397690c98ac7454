/**
 * Which documents are real editors worth completing in. Output panes, the SCM commit box,
 * comment and chat inputs, debug consoles and diff-only views are not. No `vscode` import.
 */

/** Schemes of documents a person edits as code. */
export const completionSchemes = ['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs'] as const;

export function isCompletionScheme(scheme: string): boolean {
  return (completionSchemes as readonly string[]).includes(scheme);
}
