/**
 * Numbers a message each time it is shown again. VS Code merges a notification into an identical
 * one that is still showing, so a second "nothing changed" would look like no answer at all; a
 * message that says "(2nd time)" is a new one. No `vscode` import.
 */

/** Distinct messages remembered; past this the oldest are forgotten. */
const maxRemembered = 200;

export class RepeatCounter {
  private readonly counts = new Map<string, number>();

  /** `message`, with "(2nd time)", "(3rd time)"… when it was labelled before. */
  label(message: string): string {
    const n = (this.counts.get(message) ?? 0) + 1;
    this.counts.delete(message);
    this.counts.set(message, n);
    if (this.counts.size > maxRemembered) this.counts.delete(this.counts.keys().next().value as string);
    return n === 1 ? message : `${message} (${ordinal(n)} time)`;
  }
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
