/**
 * `npm run bench:typing`: the typing benchmark alone (bench/lib/typing.ts); `npm run bench`
 * runs it too. By default on randomly initialised models of the shipped training config's shape at
 * 448 and 1536 context tokens (exported here; needs /usr/bin/python3 with torch), or on the model
 * folders given with --model. Prints a table and writes typing.md and typing.json to --out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { engineChoice, engineOptionSpecs, intOption, runMain } from '../src/cli/options';
import { repoRoot } from './lib/tasks';
import { extensionDefaults, randomModels, runTyping, typingMarkdown, typingText } from './lib/typing';

const usage = `npm run bench:typing -- [options]
  --quick          40 characters instead of 200
  --chars N        characters typed (default 200)
  --interval MS    milliseconds between keystrokes (default 200)
  --contexts A,B   context lengths of the random models (default 448,1536)
  --model DIR      a model folder to type into instead (repeatable)
  --device D       auto | cpu | gpu (default auto)
  --threads N      CPU threads of the engine
  --refresh-every K  a converted model's cached mode: refresh every K passes (0 = exact)
  --out DIR        output folder (default test-results/typing)`;

const defaultTypingContexts = [448, 1536];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      chars: { type: 'string' },
      interval: { type: 'string' },
      contexts: { type: 'string' },
      ...engineOptionSpecs,
      model: { type: 'string', multiple: true },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const chars = intOption(values.chars, 'chars', values.quick ? 40 : 200, 1);
  const interval = intOption(values.interval, 'interval', 200, 1);
  const contexts = values.contexts ? values.contexts.split(',').map((c) => intOption(c, 'contexts', 0, 1)) : defaultTypingContexts;
  let dirs = (values.model ?? []).map((d) => path.resolve(d));
  if (dirs.length === 0) {
    const made = randomModels(contexts);
    if ('skipped' in made) throw new Error(`${made.skipped}; give --model DIR`);
    dirs = made.dirs;
  }
  const runs = await runTyping(dirs, engineChoice({ device: values.device, threads: values.threads, 'refresh-every': values['refresh-every'] }), typingText(chars), extensionDefaults(interval), (line) => process.stderr.write(`${line}\n`));
  const out = path.resolve(values.out ?? path.join(repoRoot, 'test-results', 'typing'));
  fs.mkdirSync(out, { recursive: true });
  const markdown = `# Typing\n\n${typingMarkdown(runs)}\n`;
  fs.writeFileSync(path.join(out, 'typing.md'), markdown);
  fs.writeFileSync(path.join(out, 'typing.json'), JSON.stringify(runs, null, 2) + '\n');
  console.log(markdown);
  console.log(`wrote ${out}/{typing.md,typing.json}`);
}

runMain(main);
