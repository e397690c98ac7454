/**
 * Commands and the status bar as a person uses them: select a hole in a Python file, run
 * "Fill Selection" from the command palette (F1), see the proposal as a diff, press Accept, and
 * the selection is replaced; a repeated "changed nothing" shows as a message of its own; the status
 * bar item says the engine is ready and on which device.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { screenshot, sleep } from '../harness/harness';
import { useSession } from './session';
import { isIdleItem, isReadyItem, notificationMessages, openFile, runCommand, saveAndRead, waitForEngineReady, waitForExtension, workspaceFile } from './workbench';

const fillSelectionTitle = 'Fill Selection';
const placeholder = 'ZZZZ_FILL_ME';

describe('commands and status bar (e2e)', function () {
  const session = useSession('e2e-commands');

  it('status bar item says the engine is not running before its first use', async function () {
    const item = await waitForExtension(session().page);
    assert.equal(item.id, 'dllm-complete.dllm-complete.dllm.status');
    assert.ok(isIdleItem(item), JSON.stringify(item));
    assert.equal(item.label, 'dLLM Complete: idle');
    console.log(`      status bar before first use: "${item.text}" [${item.icons.join(', ')}]`);
  });

  it('Fill Selection from the command palette proposes a change, and Accept replaces the selection', async function () {
    const s = session();
    // The placeholder is always the last word of line 2. A small model may leave one hole
    // empty (the command then says "nothing changed"), so there are a few.
    const holes = [
      { before: 'def area(width, height):\n', after: '\n\n\nprint(area(2, 3))\n', line: '    return ' },
      { before: 'def fibonacci(n):\n', after: '\n', line: '    return ' },
      { before: 'def greet(name):\n', after: '\n\n\ngreet("world")\n', line: '    print(' },
    ];
    const misses: string[] = [];
    for (const [i, hole] of holes.entries()) {
      const name = `hole-${i}.py`;
      const file = workspaceFile(s.workspace, name);
      const original = `${hole.before}${hole.line}${placeholder}${hole.after}`;
      fs.writeFileSync(file, original);
      await openFile(s.page, name);
      await s.page.keyboard.press('Control+Home');
      await s.page.keyboard.press('ArrowDown');
      await s.page.keyboard.press('End');
      await s.page.keyboard.press('Shift+Control+ArrowLeft');
      await runCommand(s.page, fillSelectionTitle);

      const deadline = Date.now() + 60_000;
      let gaveUp: string | undefined;
      let proposed = false;
      while (!proposed && !gaveUp && Date.now() < deadline) {
        await sleep(500);
        const messages = await notificationMessages(s.page);
        proposed = messages.some((m) => /review the proposed change/.test(m));
        // When the command gives up it says why in a notification: no point waiting on.
        gaveUp = messages.find((m) => /changed nothing/.test(m));
      }
      if (proposed) {
        assert.equal(await saveAndRead(s.page, file), original, 'the file changed before Accept');
        await screenshot(s.page, 'e2e-fill-selection-proposal');
        const toast = s.page.locator('.notifications-toasts .notification-list-item', { hasText: 'review the proposed change' });
        await toast.getByRole('button', { name: 'Accept' }).click();
        // The diff closes and the file's editor is the active one again.
        await s.page.locator('.tabs-container .tab', { hasText: '(proposed)' }).waitFor({ state: 'detached', timeout: 10_000 });
      }
      const saved = await saveAndRead(s.page, file);
      if (saved.includes(placeholder)) {
        assert.equal(saved, original, 'a command that gave up changed the file');
        misses.push(gaveUp ?? 'timed out');
        await runCommand(s.page, 'Notifications: Clear All Notifications');
        continue;
      }
      assert.ok(saved.startsWith(hole.before + hole.line), `text before the selection changed:\n${saved}`);
      assert.ok(saved.endsWith(hole.after), `text after the selection changed:\n${saved}`);
      console.log(`      filled ${JSON.stringify(saved.slice((hole.before + hole.line).length, saved.length - hole.after.length))}`);
      return;
    }
    assert.fail(`Fill Selection changed nothing in ${holes.length} tries: ${misses.join(' | ')}`);
  });

  it('after the first command, the status bar item shows the engine ready and its device', async function () {
    const item = await waitForEngineReady(session().page);
    assert.ok(isReadyItem(item));
    console.log(`      status bar: "${item.text}" [${item.icons.join(', ')}]`);
  });

  it('a second identical "changed nothing" shows as a message of its own', async function () {
    const s = session();
    const name = 'no-function.py';
    fs.writeFileSync(workspaceFile(s.workspace, name), 'x = 1\n');
    await runCommand(s.page, 'Notifications: Clear All Notifications');
    await openFile(s.page, name);
    // No function around the cursor: the command ends at once, with the same reason each time.
    await runCommand(s.page, 'Regenerate Function Body');
    await runCommand(s.page, 'Regenerate Function Body');
    let messages: string[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      messages = (await notificationMessages(s.page)).filter((m) => /changed nothing — no function around the cursor/.test(m));
      if (messages.length >= 2) break;
      await sleep(200);
    }
    console.log(`      notifications: ${JSON.stringify(messages)}`);
    assert.equal(messages.length, 2, 'the second message was merged into the first');
    assert.ok(messages.some((m) => /\(2nd time\)/.test(m)));
  });
});
