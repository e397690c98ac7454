import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConvertError } from '../../../src/convert/errors';
import { MAX_HEADER_BYTES, SafetensorsFile } from '../../../src/convert/safetensors';
import { bf16, editEntry, expectRefusal, f16, type TestTensor, writeSafetensors, type WriteOptions } from './writeSafetensors';

/** Open file descriptors of this process (Linux), to catch leaks. */
function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

const twoF32 = (): Record<string, TestTensor> => ({
  a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
  b: { dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) },
});

describe('convert/safetensors', () => {
  let dir = '';
  let n = 0;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-safetensors-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes a file and returns its path. */
  function write(tensors: Record<string, TestTensor>, options?: WriteOptions): string {
    const file = path.join(dir, `t${n++}.safetensors`);
    writeSafetensors(file, tensors, options);
    return file;
  }

  /** Opens, runs `fn`, closes. */
  function withFile<T>(file: string, fn: (st: SafetensorsFile) => T): T {
    const st = SafetensorsFile.open(file);
    try {
      return fn(st);
    } finally {
      st.close();
    }
  }

  describe('reading', () => {
    it('reads F32, F16 and BF16 tensors as fp32, specials included, with their shapes and metadata', () => {
      const f32 = new Float32Array([0.1, -2.5, 3e38, -0, Infinity, NaN]);
      const file = write(
        {
          f32: { dtype: 'F32', shape: [2, 3], data: f32 },
          f16: { dtype: 'F16', shape: [7], data: new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00]) },
          bf16: { dtype: 'BF16', shape: [1, 7], data: new Uint16Array([0x3f80, 0xc040, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x7fc0]) },
        },
        { metadata: { format: 'pt' } },
      );
      withFile(file, (st) => {
        assert.deepEqual(st.metadata, new Map([['format', 'pt']]));
        assert.deepEqual([...st.tensors.keys()], ['f32', 'f16', 'bf16']);
        assert.deepEqual(st.tensors.get('f32')?.shape, [2, 3]);
        assert.equal(st.tensors.get('bf16')?.dtype, 'BF16');
        assert.deepEqual(st.readFloat32('f32'), f32);
        const half = st.readFloat32('f16');
        assert.deepEqual([...half.slice(0, 6)], [1, -2, 2 ** -24, 65504, Infinity, -Infinity]);
        assert.ok(Number.isNaN(half[6]));
        const brain = st.readFloat32('bf16');
        assert.deepEqual([...brain.slice(0, 2)], [1, -3]);
        assert.equal(brain[2], 2 ** -133); // a bf16 subnormal
        assert.equal(brain[3], 3.3895313892515355e38); // the largest finite bf16
        assert.deepEqual([...brain.slice(4, 6)], [Infinity, -Infinity]);
        assert.ok(Number.isNaN(brain[6]));
      });
    });

    it('round-trips values written through the helpers, and scalars and empty tensors', () => {
      const values = [0.5, -1.25, 1024, 3.0517578125e-5];
      const file = write({
        h: { dtype: 'F16', shape: [4], data: f16(values) },
        b: { dtype: 'BF16', shape: [2, 2], data: bf16(values) },
        scalar: { dtype: 'F32', shape: [], data: new Float32Array([7]) },
        empty: { dtype: 'BF16', shape: [0, 4], data: new Uint16Array(0) },
      });
      withFile(file, (st) => {
        assert.deepEqual([...st.readFloat32('h')], values);
        assert.deepEqual([...st.readFloat32('b')], values);
        assert.deepEqual([...st.readFloat32('scalar')], [7]);
        assert.equal(st.readFloat32('empty').length, 0);
        assert.deepEqual([...st.readBytes('b')], [...new Uint8Array(bf16(values).buffer)]);
      });
    });

    it('reads only the asked tensor\'s bytes, at its offset', () => {
      const file = write({
        big: { dtype: 'F32', shape: [1000], data: new Float32Array(1000).fill(1) },
        small: { dtype: 'BF16', shape: [3], data: bf16([1, 2, 3]) },
      });
      withFile(file, (st) => {
        const small = st.tensors.get('small');
        assert.ok(small);
        const calls: { length: number; position: number }[] = [];
        const real = fsModule.readSync;
        // Records the positioned reads the reader makes, then defers to the real one.
        fsModule.readSync = ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
          calls.push({ length, position });
          return real(fd, buffer, offset, length, position);
        }) as typeof fsModule.readSync;
        try {
          assert.deepEqual([...st.readFloat32('small')], [1, 2, 3]);
        } finally {
          fsModule.readSync = real;
        }
        assert.deepEqual(calls, [{ length: 6, position: small.offset }]);
      });
    });

    it('reads a small tensor beside gigabytes of others without touching them (sparse file)', function () {
      // Two 3 GiB tensors (holes: no disk) around a small one; reading the file whole would take seconds and 6 GiB.
      const file = write({
        huge1: { dtype: 'BF16', shape: [3 * 2 ** 29] },
        small: { dtype: 'F32', shape: [2], data: new Float32Array([5, 6]) },
        huge2: { dtype: 'F32', shape: [3 * 2 ** 28] },
      });
      assert.ok(fs.statSync(file).size > 6 * 2 ** 30);
      withFile(file, (st) => {
        assert.deepEqual(st.tensors.get('huge2')?.shape, [3 * 2 ** 28]);
        assert.deepEqual([...st.readFloat32('small')], [5, 6]);
      });
    });

    it('refuses a tensor with more values than one array holds, before allocating it', () => {
      const file = write({ vast: { dtype: 'F16', shape: [2 ** 16, 2 ** 16] } }); // 8 GiB of holes
      withFile(file, (st) => expectRefusal(() => st.readFloat32('vast'), file, /tensor "vast" has 4294967296 values/));
    });

    it('refuses a name it does not hold, and reads after close', () => {
      const file = write(twoF32());
      const st = SafetensorsFile.open(file);
      expectRefusal(() => st.readFloat32('c'), file, /no tensor named "c"/);
      st.close();
      st.close();
      expectRefusal(() => st.readFloat32('a'), file, /closed/);
    });

    it('leaks no file descriptor after close or after a refusal', () => {
      const good = write(twoF32());
      const bad = write(twoF32(), { truncateBy: 1 });
      const before = openFds();
      for (let i = 0; i < 20; i++) {
        SafetensorsFile.open(good).close();
        assert.throws(() => SafetensorsFile.open(bad), ConvertError);
      }
      assert.equal(openFds(), before);
    });
  });

  describe('refusals', () => {
    /** Writes a file with `options` and expects open() to refuse it with `reason`. */
    function refuses(options: WriteOptions, reason: RegExp, tensors = twoF32()): void {
      const file = write(tensors, options);
      expectRefusal(() => SafetensorsFile.open(file), file, reason);
    }

    it('a missing file, a folder and a file too short for the length', () => {
      const missing = path.join(dir, 'nope.safetensors');
      expectRefusal(() => SafetensorsFile.open(missing), missing, /cannot open: no such file/);
      expectRefusal(() => SafetensorsFile.open(dir), dir, /not a file|is a folder/);
      const short = path.join(dir, 'short.safetensors');
      fs.writeFileSync(short, Buffer.alloc(5));
      expectRefusal(() => SafetensorsFile.open(short), short, /truncated: 5 bytes/);
    });

    it('a header length over the cap or past the end of the file', () => {
      refuses({ headerLength: BigInt(MAX_HEADER_BYTES) + 1n }, /header length 104857601 is over the 104857600-byte limit/);
      refuses({ headerLength: 2n ** 64n - 1n }, /header length 18446744073709551615 is over/);
      refuses({ headerLength: 100_000n }, /truncated: its header needs 100000 bytes/);
    });

    it('a header that is not UTF-8, not JSON, or not an object', () => {
      const file = path.join(dir, 'latin1.safetensors');
      const header = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff":1}
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(header.length));
      fs.writeFileSync(file, Buffer.concat([length, header]));
      expectRefusal(() => SafetensorsFile.open(file), file, /header is not valid UTF-8/);
      refuses({ headerText: '{"a": {"dtype": "F32",' }, /header is not valid JSON \(/);
      refuses({ headerText: '[1, 2]' }, /header is not a JSON object/);
      refuses({ headerText: 'null' }, /header is not a JSON object/);
    });

    it('a name given twice (which JSON.parse would silently collapse)', () => {
      const entry = '{"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}';
      refuses({ headerText: `{"a": ${entry}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},\n  "a" : ${entry}}` }, /names "a" twice/);
      refuses({ headerText: `{"x\\"y": ${entry}, "x\\u0022y": ${entry}}` }, /names "x\\"y" twice/);
    });

    it('metadata that is not an object of strings', () => {
      refuses({ editHeader: (h) => (h.__metadata__ = { format: 1 } as Record<string, unknown>) }, /__metadata__ "format" is not a string/);
      refuses({ headerText: '{"__metadata__": [1]}' }, /__metadata__ is not an object of strings/);
    });

    it('an unknown dtype, and a known one the converter does not read, naming the tensor and the supported ones', () => {
      refuses(editEntry('b', (t) => (t.dtype = 'Q4_K')), /tensor "b" has unknown dtype "Q4_K" \(the converter reads F32, F16, BF16\)/);
      const tensors: Record<string, TestTensor> = { 'model.w': { dtype: 'F8_E4M3', shape: [8], data: new Uint8Array(8) } };
      refuses({}, /tensor "model.w" has unsupported dtype "F8_E4M3" \(the converter reads F32, F16, BF16\)/, tensors);
      refuses({}, /tensor "ids" has unsupported dtype "I64"/, { ids: { dtype: 'I64', shape: [1], data: new BigInt64Array(1) } });
      refuses(editEntry('a', (t) => delete t.dtype), /tensor "a" has no string "dtype"/);
      refuses({ editHeader: (h) => (h.a = 'F32' as unknown as Record<string, unknown>) }, /tensor "a" is not an object/);
    });

    it('a negative, fractional or non-numeric dimension', () => {
      refuses(editEntry('a', (t) => (t.shape = [-2])), /tensor "a" has dimension -2 in its shape/);
      refuses(editEntry('a', (t) => (t.shape = [1.5])), /tensor "a" has dimension 1.5/);
      refuses(editEntry('a', (t) => (t.shape = ['2'])), /tensor "a" has dimension "2"/);
      refuses(editEntry('a', (t) => (t.shape = 2)), /tensor "a" has no "shape" array/);
    });

    it('offsets that are not a pair of whole numbers, or end before they begin', () => {
      refuses(editEntry('a', (t) => (t.data_offsets = [0, 7.5])), /tensor "a" has data_offsets \[0,7.5\] that are not whole numbers/);
      refuses(editEntry('a', (t) => (t.data_offsets = [-8, 0])), /not whole numbers/);
      refuses(editEntry('a', (t) => (t.data_offsets = [0, 2 ** 60])), /not whole numbers/);
      refuses(editEntry('a', (t) => (t.data_offsets = [0])), /no "data_offsets" pair/);
      refuses(editEntry('b', (t) => (t.data_offsets = [16, 8])), /tensor "b" has data_offsets \[16, 8\] that end before they begin/);
    });

    it('offsets that do not match shape × dtype size', () => {
      refuses(editEntry('b', (t) => (t.shape = [3])), /tensor "b" has 8 bytes of data, but shape \[3\] of F32 needs 12/);
      refuses(editEntry('b', (t) => (t.dtype = 'F16')), /tensor "b" has 8 bytes of data, but shape \[2\] of F16 needs 4/);
      refuses(editEntry('b', (t) => (t.shape = [2 ** 40, 2 ** 40])), /needs more than 2\^53/);
    });

    it('offsets that overlap another tensor\'s', () => {
      refuses(editEntry('b', (t) => (t.data_offsets = [4, 12])), /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/);
      // Empty tensors hold no bytes, so they overlap nothing.
      const file = write({ ...twoF32(), e: { dtype: 'F32', shape: [0] } }, editEntry('e', (t) => (t.data_offsets = [4, 4])));
      withFile(file, (st) => assert.equal(st.readFloat32('e').length, 0));
    });

    it('data shorter than the header promises (truncated download)', () => {
      refuses({ truncateBy: 1 }, /tensor "b" ends at data byte 16, but the file holds only 15 bytes of data: the file is truncated/);
      refuses(editEntry('b', (t) => (t.data_offsets = [8, 24])), /ends at data byte 24/);
    });

    it('a file cut while it is open, when the tensor is read', () => {
      const file = write(twoF32());
      withFile(file, (st) => {
        fs.truncateSync(file, fs.statSync(file).size - 4);
        assert.deepEqual([...st.readFloat32('a')], [1, 2]);
        expectRefusal(() => st.readFloat32('b'), file, /truncated: tensor "b" runs past its end/);
      });
    });
  });
});
