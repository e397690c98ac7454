/**
 * The Hub's routes and headers as huggingface_hub builds them, and which files a pull fetches.
 */
import * as assert from 'node:assert';
import { DEFAULT_ENDPOINT, hubEndpoint, hubToken, isRepoId, parseRevisionInfo, requestHeaders, resolveUrl, revisionInfoUrl, wantedFiles } from '../../../src/download/hubRoutes';

describe('Hub routes', () => {
  it('uses HF_ENDPOINT without its trailing slash, else the Hub', () => {
    assert.equal(hubEndpoint({}), DEFAULT_ENDPOINT);
    assert.equal(hubEndpoint({ HF_ENDPOINT: 'https://hf-mirror.com/' }), 'https://hf-mirror.com');
    assert.equal(hubEndpoint({ HF_ENDPOINT: '  ' }), DEFAULT_ENDPOINT);
    assert.equal(hubToken({ HF_TOKEN: ' hf_x ' }), 'hf_x');
    assert.equal(hubToken({ HF_TOKEN: '' }), undefined);
  });

  it('builds the revision and resolve URLs, quoting the revision whole and the file name by part', () => {
    assert.equal(revisionInfoUrl('https://huggingface.co', 'fredzzp/open-dcoder-0.5B', 'main'), 'https://huggingface.co/api/models/fredzzp/open-dcoder-0.5B/revision/main?blobs=true');
    assert.equal(revisionInfoUrl('https://h', 'a/b', 'refs/pr/1'), 'https://h/api/models/a/b/revision/refs%2Fpr%2F1?blobs=true');
    assert.equal(resolveUrl('https://h', 'a/b', 'main', 'sub dir/model #1.safetensors'), 'https://h/a/b/resolve/main/sub%20dir/model%20%231.safetensors');
  });

  it('sends the token to the Hub host only, never to a redirect on another host', () => {
    const hub = requestHeaders('https://huggingface.co/a/b/resolve/main/x', 'https://huggingface.co', 'hf_t', 'ua');
    assert.equal(hub.authorization, 'Bearer hf_t');
    assert.equal(requestHeaders('https://cdn-lfs.hf.co/blob?sig=1', 'https://huggingface.co', 'hf_t', 'ua').authorization, undefined);
    assert.equal(requestHeaders('http://127.0.0.1:9/x', 'http://127.0.0.1:8', 'hf_t', 'ua').authorization, undefined, 'another port is another host');
    assert.equal(requestHeaders('https://huggingface.co/x', 'https://huggingface.co', undefined, 'ua').authorization, undefined);
    assert.equal(requestHeaders('https://huggingface.co/x', 'https://huggingface.co', undefined, 'ua', 1234).range, 'bytes=1234-');
    assert.equal(requestHeaders('https://huggingface.co/x', 'https://huggingface.co', undefined, 'ua', 0).range, undefined);
  });

  it('tells repository ids from other text', () => {
    for (const ok of ['fredzzp/open-dcoder-0.5B', 'GSAI-ML/LLaDA-1.5', 'a/b_c']) assert.ok(isRepoId(ok), ok);
    for (const bad of ['noslash', 'a/b/c', '../x', 'a/..', 'a/-b', 'a b/c', '/a', 'a/']) assert.ok(!isRepoId(bad), bad);
  });

  it('fetches only what a conversion reads: config, tokenizer, model card, safetensors and their index', () => {
    const names = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md', 'model.safetensors.index.json',
      'model-00001-of-00002.safetensors', 'pytorch_model.bin', 'training_args.pt', 'modeling_dream.py', '.gitattributes', 'onnx/model.safetensors'];
    assert.deepEqual(wantedFiles(names.map((rfilename) => ({ rfilename }))).map((s) => s.rfilename), names.slice(0, 7));
  });

  it('reads the revision listing and refuses one without a commit', () => {
    const info = parseRevisionInfo({ sha: 'abc', siblings: [{ rfilename: 'config.json', size: 2 }, { nope: 1 }] });
    assert.deepEqual(info, { sha: 'abc', siblings: [{ rfilename: 'config.json', size: 2 }] });
    assert.throws(() => parseRevisionInfo({ siblings: [] }), /without a commit/);
  });
});
