/**
 * Downloads a project's pinned release once (npm tarball or Debian package) into a cache folder and
 * unpacks it there; later runs reuse both. A download whose version is not the pinned one is an error,
 * so the benchmark cannot drift silently when a registry moves on.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeName, type ProjectSpec } from './projects';

/** Written last into an unpacked folder: a folder without it is a half-finished unpack. */
const doneMarker = '.unpacked';

/** The folder the project's release is unpacked into, downloading and unpacking it if needed. */
export function unpackedRelease(spec: ProjectSpec, cacheDir: string): string {
  const src = spec.source;
  const key = src.kind === 'npm' ? `npm/${safeName(src.package)}-${spec.version}` : `deb/${src.package}_${safeName(src.version)}`;
  const dir = path.join(cacheDir, 'src', key);
  if (fs.existsSync(path.join(dir, doneMarker))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  if (src.kind === 'npm') {
    const tarball = npmTarball(src.package, spec.version, path.join(cacheDir, 'npm'));
    execFileSync('tar', ['-xzf', tarball, '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8')) as { name?: string; version?: string };
    if (manifest.name !== src.package || manifest.version !== spec.version) {
      throw new Error(`${tarball}: holds ${manifest.name}@${manifest.version}, not ${src.package}@${spec.version}`);
    }
  } else {
    const deb = debianPackage(src.package, src.version, path.join(cacheDir, 'deb'));
    execFileSync('dpkg-deb', ['-x', deb, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  fs.writeFileSync(path.join(dir, doneMarker), '');
  return dir;
}

function npmTarball(name: string, version: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  // npm names a scoped package's tarball `scope-name-version.tgz`.
  const file = path.join(dir, `${safeName(name)}-${version}.tgz`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`fetching ${name}@${version} from npm\n`);
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent'], { stdio: 'pipe' });
    if (!fs.existsSync(file)) throw new Error(`npm pack ${name}@${version} did not write ${file}`);
  }
  return file;
}

function debianPackage(name: string, version: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const find = () => fs.readdirSync(dir).find((f) => f.startsWith(`${name}_${version.replace(/:/g, '%3a')}_`) && f.endsWith('.deb'));
  if (!find()) {
    process.stderr.write(`fetching ${name}=${version} from Debian\n`);
    execFileSync('apt-get', ['download', '-q', `${name}=${version}`], { cwd: dir, stdio: 'pipe' });
  }
  const file = find();
  if (!file) throw new Error(`apt-get download ${name}=${version} wrote no .deb into ${dir}`);
  const full = path.join(dir, file);
  const [pkg, ver] = execFileSync('dpkg-deb', ['-f', full, 'Package', 'Version'], { encoding: 'utf8' }).trim().split('\n');
  if (pkg !== `Package: ${name}` || ver !== `Version: ${version}`) throw new Error(`${full}: is ${pkg} ${ver}, not ${name}=${version}`);
  return full;
}

/** The licence text shipped with the release: npm's LICENSE/LICENCE/COPYING, Debian's copyright file. */
export function licenceText(spec: ProjectSpec, unpacked: string): string {
  const src = spec.source;
  if (src.kind === 'debian') return fs.readFileSync(path.join(unpacked, 'usr/share/doc', src.package, 'copyright'), 'utf8');
  const dir = path.join(unpacked, 'package');
  const name = fs.readdirSync(dir).sort().find((f) => /^(licen[cs]e|copying)([.-][\w.]+)?$/i.test(f));
  if (!name) throw new Error(`${spec.name}@${spec.version}: no LICENSE file in the package`);
  return fs.readFileSync(path.join(dir, name), 'utf8');
}
