/** Reading a .vsix (a zip) for the packaging tests: every entry's name and size, some contents. */
import * as yauzl from 'yauzl';

export interface VsixContents {
  /** Every file's path inside the zip (`extension/…`, `extension.vsixmanifest`) and its size. */
  sizes: Map<string, number>;
  /** The text of the entries asked for, by path. */
  texts: Map<string, string>;
}

/** Lists `file` and reads the entries `wanted` accepts (keep them small: they are held as text). */
export async function readVsix(file: string, wanted: (name: string) => boolean): Promise<VsixContents> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const sizes = new Map<string, number>();
  const texts = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry(); // a folder
        sizes.set(entry.fileName, entry.uncompressedSize);
        if (!wanted(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            texts.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return { sizes, texts };
}
