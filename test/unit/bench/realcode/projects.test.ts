import { strict as assert } from 'node:assert';
import { projects, upstreamVersion, type ProjectSpec } from '../../../../bench/realcode/builder/projects';

describe('real-code benchmark: projects', () => {
  it('pins permissively licensed projects with distinct names per language', () => {
    const permissive = /^(MIT|ISC|BSD-2-Clause|BSD-3-Clause|Apache-2\.0|0BSD|MIT-0|PSF-2\.0)$/;
    for (const p of projects) {
      for (const id of p.licence.split(/ (?:AND|OR) /)) assert.match(id, permissive, `${p.name}: ${p.licence}`);
    }
    assert.equal(new Set(projects.map((p) => `${p.language}/${p.name}`)).size, projects.length);
  });

  it('matches each project wherever it is installed, in JavaScript syntax strict enough for Python', () => {
    const examples = (p: ProjectSpec): string[] => {
      if (p.source.kind === 'npm') return [`/w/node_modules/${p.name}/src/a.ts`, `/w/node_modules/x/node_modules/${p.name}/lib/b.js`];
      if (p.language === 'python') return [`/usr/lib/python3/dist-packages/${p.name}/a.py`, `/venv/lib/python3.12/site-packages/other/_vendor/${p.name}/b.py`];
      if (p.language === 'go') {
        const escaped = p.name.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
        return [`/usr/share/gocode/src/${p.name}/a.go`, `/root/go/pkg/mod/${escaped}@v1.0.0/a.go`];
      }
      return [`/usr/share/cargo/registry/${p.name}-1.2.3/src/lib.rs`, `/root/.cargo/registry/src/index.crates.io-6f17d22b/${p.name}-1.2.3/src/lib.rs`];
    };
    for (const p of projects) {
      // The `u` flag rejects the escapes that only JavaScript's legacy syntax accepts.
      const res = p.paths.map((rx) => new RegExp(rx, 'u'));
      for (const path of examples(p)) assert.ok(res.some((re) => re.test(path)), `${p.name}: ${path}`);
      assert.ok(!res.some((re) => re.test(`/w/node_modules/${p.name}x/a.js`)), `${p.name}: matches a longer name`);
    }
  });

  it('reads the upstream version out of a Debian version', () => {
    assert.equal(upstreamVersion('21.0.0-2'), '21.0.0');
    assert.equal(upstreamVersion('2.10.68+dfsg1-2'), '2.10.68');
    assert.equal(upstreamVersion('1:0.4.3-1+b2'), '0.4.3');
    assert.equal(upstreamVersion('0.2.3+git20180208.19c076c-2'), '0.2.3+git20180208.19c076c');
  });
});
