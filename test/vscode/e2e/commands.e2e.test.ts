/**
 * Commands and the status bar as a person uses them: select a hole in a Python file, run
 * "Fill Selection" from the command palette (F1), and the selection is replaced; the status bar
 * item says the engine is ready and on which device.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { sleep } from '../../../scripts/vscode/harness';
import { openSession, screenshotIfFailed, type Session } from './session';
import { isReadyItem, notificationMessages, openFile, runCommand, saveAndRead, waitForEngineReady, workspaceFile } from './workbench';

const fillSelectionTitle = 'Fill Selection';
const placeholder = 'ZZZZ_FILL_ME';

describe('commands and status bar (e2e)', function () {
  let session: Session | undefined;

  before(async function () {
    session = await openSession('e2e-commands');
    console.log(`      extension from the ${session.source}`);
    await waitForEngineReady(session.page);
  });
  afterEach(async function () {
    await screenshotIfFailed(session, this.currentTest);
  });
  after(async function () {
    await session?.close();
  });

  it('status bar item shows the engine ready and its device', async function () {
    const item = await waitForEngineReady(session!.page);
    assert.equal(item.id, 'dllm-complete.dllm-complete.dllm.status');
    assert.ok(isReadyItem(item));
    console.log(`      status bar: "${item.text}" [${item.icons.join(', ')}]`);
  });

  it('Fill Selection from the command palette replaces the selection', async function () {
    const s = session!;
    const file = workspaceFile(s.workspace, 'hole.py');
    const before = `def area(width, height):\n    return ${placeholder}\n\n\nprint(area(2, 3))\n`;
    fs.writeFileSync(file, before);
    await openFile(s.page, 'hole.py');
    // Select the placeholder: line 2, after "    return ".
    await s.page.keyboard.press('Control+Home');
    await s.page.keyboard.press('ArrowDown');
    await s.page.keyboard.press('End');
    await s.page.keyboard.press('Shift+Control+ArrowLeft');
    await runCommand(s.page, fillSelectionTitle);

    const deadline = Date.now() + 60_000;
    let saved = before;
    while (saved.includes(placeholder) && Date.now() < deadline) {
      await sleep(500);
      saved = await saveAndRead(s.page, file);
      // When the command gives up it says why in a notification: no point waiting on.
      const gaveUp = (await notificationMessages(s.page)).find((m) => /dLLM: nothing changed/.test(m));
      if (gaveUp && saved.includes(placeholder)) assert.fail(`Fill Selection changed nothing: ${gaveUp}`);
    }
    assert.ok(!saved.includes(placeholder), `selection was not replaced:\n${saved}`);
    assert.ok(saved.startsWith('def area(width, height):\n    return '), `text before the selection changed:\n${saved}`);
    assert.ok(saved.endsWith('print(area(2, 3))\n'), `text after the selection changed:\n${saved}`);
  });
});
