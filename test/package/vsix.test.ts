/**
 * The four .vsix files `npm run package` writes to the repository root (`npm run test:package`
 * builds them first): each holds its own platform's onnxruntime binaries and no other's, says
 * which platform it is for, ships what users need and nothing of the source tree, and has a
 * Marketplace README whose links all resolve inside the package.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { developerLines, headingAnchors, linkTargets } from './markdown';
import { readVsix, type VsixContents } from './vsix';

const root = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const targets = ['win32-x64', 'darwin-arm64', 'linux-arm64', 'linux-x64'];
const ortSource = path.join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');

/** Entries read as text: the package manifests, the README and the Markdown under media/ (the walkthrough). */
const textEntries = new Set(['extension.vsixmanifest', 'extension/package.json', 'extension/readme.md']);

function bundledModels(): string[] {
  const dir = path.join(root, 'models');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'dllm.json')))
    .map((e) => e.name);
}

/** The `Path` of each `<Asset>` in extension.vsixmanifest, by asset type. */
function assets(vsixManifest: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of vsixManifest.matchAll(/<Asset\s+Type="([^"]+)"\s+Path="([^"]+)"/g)) found.set(m[1]!, m[2]!);
  return found;
}

type MediaPath = string | { light?: string; dark?: string; hc?: string; hcLight?: string };
interface Walkthrough {
  steps?: { media?: { markdown?: string; svg?: string; image?: MediaPath } }[];
}

/** The files walkthrough steps name (VS Code shows nothing for a step whose file is missing). */
function walkthroughMedia(walkthroughs: Walkthrough[]): string[] {
  const files: string[] = [];
  for (const step of walkthroughs.flatMap((w) => w.steps ?? [])) {
    const media = step.media ?? {};
    for (const f of [media.markdown, media.svg]) if (f) files.push(f);
    const image = media.image;
    if (typeof image === 'string') files.push(image);
    else if (image) files.push(...Object.values(image).filter((f): f is string => typeof f === 'string'));
  }
  return files;
}

/**
 * The links and images in the Markdown file `entry` of the package that lead nowhere: a relative
 * one must name a file inside the package, an anchor a heading of the same file.
 */
function brokenLinks(entry: string, markdown: string, vsix: VsixContents): string[] {
  const anchors = headingAnchors(markdown);
  const broken: string[] = [];
  for (const link of linkTargets(markdown)) {
    if (/^[a-z][a-z\d+.-]*:/i.test(link)) continue; // an absolute URL
    if (link.startsWith('#')) {
      if (!anchors.has(decodeURIComponent(link.slice(1)))) broken.push(`${entry}: ${link}: no such heading`);
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(entry), decodeURI(link.replace(/[?#].*$/, ''))));
    if (!target.startsWith('extension/')) broken.push(`${entry}: ${link}: outside the package`);
    else if (!vsix.sizes.has(target)) broken.push(`${entry}: ${link}: not in the package`);
  }
  return broken;
}

for (const target of targets) {
  const [os, arch] = target.split('-');
  if (os === undefined || arch === undefined) throw new Error(`target "${target}" is not OS-ARCH`);
  const file = path.join(root, `${manifest.name}-${target}-${manifest.version}.vsix`);

  describe(`${path.basename(file)}`, function () {
    let vsix: VsixContents;
    let names: string[];
    const text = (name: string): string => {
      const t = vsix.texts.get(name);
      assert.ok(t !== undefined, `${name} missing from the package`);
      return t;
    };

    before(async function () {
      if (!fs.existsSync(file)) {
        throw new Error(`${path.basename(file)} is missing: run \`npm run package\` first (it builds all four targets)`);
      }
      vsix = await readVsix(file, (name) => textEntries.has(name) || /^extension\/media\/.*\.md$/.test(name));
      names = [...vsix.sizes.keys()];
    });

    it(`names ${target} as its target platform`, function () {
      const identity = /<Identity\b[^>]*>/.exec(text('extension.vsixmanifest'))?.[0] ?? '';
      assert.match(identity, new RegExp(`\\bTargetPlatform="${target}"`), `extension.vsixmanifest's Identity: ${identity}`);
    });

    it(`holds onnxruntime-node's ${os}/${arch} binaries and no other platform's`, function () {
      const binDir = 'extension/node_modules/onnxruntime-node/bin/';
      const platforms = new Set(names.filter((n) => n.startsWith(binDir)).map((n) => n.slice(binDir.length).split('/').slice(1, 3).join('/')));
      assert.deepEqual([...platforms], [`${os}/${arch}`]);

      // the same files, at the same sizes, as the installed package has for that platform
      const own = `${binDir}napi-v6/${os}/${arch}/`;
      const expected = fs.readdirSync(path.join(ortSource, os, arch)).sort();
      const shipped = names.filter((n) => n.startsWith(own)).map((n) => n.slice(own.length)).sort();
      assert.deepEqual(shipped, expected);
      for (const f of expected) {
        assert.equal(vsix.sizes.get(own + f), fs.statSync(path.join(ortSource, os, arch, f)).size, `${own}${f} differs from node_modules`);
      }
      assert.ok(shipped.includes('onnxruntime_binding.node'), 'the binding is missing');

      const nativeElsewhere = names.filter((n) => /\.(node|so(\.\d+)*|dll|dylib)$/.test(n) && !n.startsWith(own));
      assert.deepEqual(nativeElsewhere, [], 'native binaries outside onnxruntime-node for this platform');
      assert.ok(names.includes('extension/node_modules/onnxruntime-common/package.json'), 'onnxruntime-common is missing');
    });

    it('holds the icon, the changelog, the licence, both bundles and the bundled model', function () {
      const vsixManifest = text('extension.vsixmanifest');
      const declared = assets(vsixManifest);
      for (const [type, p] of declared) assert.ok(vsix.sizes.has(p), `asset ${type} points to ${p}, which is not in the package`);
      assert.equal(declared.get('Microsoft.VisualStudio.Services.Icons.Default'), 'extension/media/icon.png');
      assert.ok(declared.has('Microsoft.VisualStudio.Services.Content.Changelog'), 'no changelog asset');
      assert.ok(declared.has('Microsoft.VisualStudio.Services.Content.License'), 'no licence asset');
      assert.ok(declared.has('Microsoft.VisualStudio.Services.Content.Details'), 'no README asset');

      const pkg = JSON.parse(text('extension/package.json')) as { icon?: string; main?: string; dependencies?: object; scripts?: object; devDependencies?: object };
      assert.ok(pkg.icon && vsix.sizes.has(`extension/${pkg.icon}`), `package.json's icon ${pkg.icon} is not in the package`);
      assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['onnxruntime-node']);
      assert.equal(pkg.scripts, undefined, 'package.json keeps its scripts');
      assert.equal(pkg.devDependencies, undefined, 'package.json keeps its devDependencies');

      for (const bundle of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/convert.js']) {
        assert.ok((vsix.sizes.get(bundle) ?? 0) > 0, `${bundle} is missing or empty`);
      }
      assert.equal(pkg.main && path.posix.normalize(`extension/${pkg.main}`), 'extension/dist/extension.js');

      const models = bundledModels();
      assert.ok(models.length > 0, 'no bundled model in the repository');
      for (const m of models) {
        for (const f of fs.readdirSync(path.join(root, 'models', m))) {
          const entry = `extension/models/${m}/${f}`;
          assert.equal(vsix.sizes.get(entry), fs.statSync(path.join(root, 'models', m, f)).size, `${entry} is missing or differs from models/${m}/${f}`);
        }
      }
    });

    it("holds every file the manifest's walkthroughs show", function () {
      const pkg = JSON.parse(text('extension/package.json')) as { contributes?: { walkthroughs?: Walkthrough[] } };
      const media = walkthroughMedia(pkg.contributes?.walkthroughs ?? []).map((f) => path.posix.join('extension', f));
      assert.deepEqual(media.filter((f) => !vsix.sizes.has(f)), []);
      const broken = media.filter((f) => f.endsWith('.md') && vsix.texts.has(f)).flatMap((f) => brokenLinks(f, text(f), vsix));
      assert.deepEqual(broken, []);
    });

    it('leaves out source maps, sources, tests and dev tooling', function () {
      const unwanted = names.filter((n) =>
        /\.(map|ts|tsx|mts|cts|vsix)$|(^|\/)(test|tests|__tests__)\/|\.test\.[cm]?[jt]s$/.test(n) ||
        /^extension\/(src|out|build|scripts|\.cache|\.vscode|\.ci|models\/train)\//.test(n) ||
        /^extension\/node_modules\/(?!onnxruntime-(node|common)\/)/.test(n) ||
        /^extension\/(CONTRIBUTING\.md|tsconfig\.json|eslint\.config\.mjs|package-lock\.json|\.vscodeignore|\.npmrc|media\/icon\.svg)$/i.test(n),
      );
      assert.deepEqual(unwanted, []);
    });

    it('has a README whose links and images all resolve inside the package', function () {
      const readme = text('extension/readme.md');
      assert.ok(linkTargets(readme).length > 0, 'no links found: is the README there?');
      assert.deepEqual(brokenLinks('extension/readme.md', readme, vsix), []);
    });

    it('has a README without developer steps', function () {
      assert.deepEqual(developerLines(text('extension/readme.md')), []);
    });
  });
}
