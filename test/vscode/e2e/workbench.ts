/**
 * What a person does in the workbench, as Playwright steps: open a file, type, look at ghost
 * text, run a command from the palette, read the status bar.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';

const ghostSelector = '.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text';

/** Opens a workspace file through Quick Open (Ctrl+P) and leaves the focus in its editor. */
export async function openFile(page: Page, name: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  // Right after start-up the file search may still be warming up and answer with nothing;
  // a person would simply try again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    try {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (attempt === 3) throw err;
    }
  }
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ state: 'visible' });
  await page.locator('.editor-instance .monaco-editor.focused').waitFor({ state: 'visible' });
}

/** Moves the cursor to the end of the document. */
export async function goToEnd(page: Page): Promise<void> {
  await page.keyboard.press('Control+End');
}

/** Types text key by key, as a person would (Enter for newlines). */
export async function typeText(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text, { delay: 15 });
}

export function ghostText(page: Page): Locator {
  return page.locator(ghostSelector);
}

/** Waits for ghost text and returns it: the part inline on the cursor's line, then the lines
 *  shown below it, with non-breaking spaces made plain. */
export async function waitForGhostText(page: Page, timeoutMs = 30_000): Promise<string> {
  await ghostText(page).first().waitFor({ state: 'visible', timeout: timeoutMs });
  // The inline part is split into one span per token (syntax colours): join them as they are.
  const inline = (await page.locator('.monaco-editor .ghost-text-decoration').allTextContents()).join('');
  const below = await page.locator('.monaco-editor .ghost-text .view-line').allTextContents();
  return [inline, ...below].map(normaliseSpaces).join('\n');
}

/** Runs a command through the command palette (F1) by its title as the palette shows it. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Saves the active editor if it has unsaved changes and returns the file as it is on disk. */
export async function saveAndRead(page: Page, file: string): Promise<string> {
  const dirtyTab = page.locator('.tabs-container .tab.active.dirty');
  if (await dirtyTab.count()) {
    await page.keyboard.press('Control+S');
    // The save goes to the server asynchronously; the tab loses its dirty mark once it landed.
    await dirtyTab.waitFor({ state: 'detached', timeout: 10_000 });
  }
  return fs.readFileSync(file, 'utf8');
}

/** The messages of the notification toasts on screen. */
export async function notificationMessages(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-list-item-message').allTextContents()).map(normaliseSpaces);
}

export interface StatusBarItem {
  /** The element id: `<extension id>.<item id>` for extension items. */
  id: string;
  text: string;
  /** Accessible label (the screen-reader text). */
  label: string;
  /** Codicons shown, e.g. `sparkle` for `$(sparkle)`. */
  icons: string[];
}

/** The parts of a DOM element read in the page (this project compiles without the DOM library). */
interface PageElement {
  id: string;
  textContent: string | null;
  classList: Iterable<string>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** The status bar entries as rendered. */
export async function statusBarItems(page: Page): Promise<StatusBarItem[]> {
  return page.locator('.statusbar-item').evaluateAll((els: PageElement[]) =>
    els.map((el) => ({
      id: el.id,
      text: (el.textContent ?? '').trim(),
      label: el.querySelector('a')?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
      icons: [...el.querySelectorAll('.codicon')].flatMap((i) =>
        [...i.classList].filter((c) => c.startsWith('codicon-') && c !== 'codicon-modifier-spin').map((c) => c.slice('codicon-'.length)),
      ),
    })),
  );
}

const ourItem = (i: StatusBarItem): boolean => i.id.startsWith('dllm-complete.dllm-complete');
/** Ready is `$(sparkle) dLLM CPU` (or GPU), possibly followed by the last latency. */
export const isReadyItem = (i: StatusBarItem): boolean => i.icons.includes('sparkle') && /dLLM (CPU|GPU)/.test(i.text);
/** Idle (no engine process: before first use, or unloaded) is `$(sparkle) dLLM` alone. */
export const isIdleItem = (i: StatusBarItem): boolean => i.icons.includes('sparkle') && i.text === 'dLLM';

/**
 * Waits until the extension is active: its status bar item is there, idle (the engine starts on
 * first use) or ready. Fails at once if it says error.
 */
export async function waitForExtension(page: Page, timeoutMs = 90_000): Promise<StatusBarItem> {
  return waitForItem(page, (i) => isIdleItem(i) || isReadyItem(i), 'active', timeoutMs);
}

/**
 * Waits until the extension's status bar item says the engine is ready and returns it; fails
 * at once, with the item's text, if it says error (no point waiting for ghost text then).
 */
export async function waitForEngineReady(page: Page, timeoutMs = 90_000): Promise<StatusBarItem> {
  return waitForItem(page, isReadyItem, 'ready', timeoutMs);
}

async function waitForItem(page: Page, wanted: (i: StatusBarItem) => boolean, what: string, timeoutMs: number): Promise<StatusBarItem> {
  const deadline = Date.now() + timeoutMs;
  let item: StatusBarItem | undefined;
  while (Date.now() < deadline) {
    item = (await statusBarItems(page)).find(ourItem);
    if (item && wanted(item)) return item;
    if (item?.icons.includes('error')) {
      // The tooltip says why; hovering shows it.
      await page.locator(`[id="${item.id}"]`).hover();
      const hover = await page.locator('.monaco-hover').first().textContent({ timeout: 5_000 }).catch(() => null);
      throw new Error(`the engine failed: ${item.label}${hover ? ` — ${hover}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the status bar never said ${what}: ${JSON.stringify(item ?? 'no dLLM item')}`);
}

export function workspaceFile(workspace: string, name: string): string {
  return path.join(workspace, name);
}

function normaliseSpaces(s: string): string {
  return s.replace(/\u00a0/g, ' ');
}
