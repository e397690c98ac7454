import { strict as assert } from 'node:assert';
import { classifyLines } from '../../../../bench/realcode/builder/lex';
import { python, typescript } from './fixtures';

describe('real-code benchmark: lines', () => {
  it('tells code from comments, docstrings and the insides of strings (Python)', () => {
    const kinds = classifyLines(python, 'python').map((l) => l.kind);
    assert.deepEqual(kinds.slice(0, 5), ['comment', 'comment', 'string', 'string', 'code']);
    assert.equal(kinds[8], 'string', 'a docstring line');
    assert.equal(kinds[16], 'string', 'a line inside a triple-quoted string');
    assert.equal(kinds[21], 'comment');
    assert.equal(kinds[22], 'code');
  });

  it('skips regular expressions, line comments and template literals (TypeScript)', () => {
    const info = classifyLines(typescript, 'typescript');
    assert.deepEqual(info.slice(0, 4).map((l) => l.kind), ['comment', 'comment', 'comment', 'code']);
    assert.equal(info[9]?.kind, 'code');
    assert.ok(info[9]?.closed, 'the quotes inside the regex open no string');
    assert.equal(info[18]?.closed, false, 'the template literal is still open');
    assert.equal(info[19]?.continued, true);
  });

  it('knows a Rust lifetime from a char literal, and reads raw strings', () => {
    const rust = ["fn f<'a>(s: &'a str) -> char {", "    let c = '{';", '    let r = r#"a "quoted', 'b"#;', '    c', '}'].join('\n');
    const info = classifyLines(rust, 'rust');
    assert.ok(info[0]?.closed && info[1]?.closed);
    assert.equal(info[2]?.closed, false);
    assert.ok(info[3]?.continued && info[3].closed);
  });
});
