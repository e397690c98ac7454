/**
 * Commands and the status bar as a person uses them: select a hole in a Python file, run
 * "Fill Selection" from the command palette (F1), and the selection is replaced; the status bar
 * item says the engine is ready and on which device.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { sleep } from '../harness/harness';
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

  it('Fill Selection from the command palette replaces the selection', async function () {
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
      let saved = original;
      let gaveUp: string | undefined;
      while (saved.includes(placeholder) && !gaveUp && Date.now() < deadline) {
        await sleep(500);
        saved = await saveAndRead(s.page, file);
        // When the command gives up it says why in a notification: no point waiting on.
        gaveUp = (await notificationMessages(s.page)).find((m) => /dLLM: nothing changed/.test(m));
      }
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
});
