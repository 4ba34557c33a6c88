import ignore from '@balena/dockerignore';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The files `docker build .` would send from `dir`: everything below it except what its
 * `.dockerignore` excludes, by Docker's own rules (@balena/dockerignore implements them for
 * docker-modem). Paths are relative, with `/` separators.
 */
export function buildContext(dir: string): string[] {
  const ignoreFile = path.join(dir, '.dockerignore');
  const rules = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, 'utf8').split('\n') : [];
  const excluded = ignore().add(rules);
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      // An excluded folder is not walked: ours hold no file an exception (`!…`) brings back.
      if (excluded.ignores(name)) continue;
      if (entry.isDirectory()) walk(name);
      else files.push(name);
    }
  };
  walk('');
  return files.sort();
}

/** Copies the build context of `from` into `to`, as `COPY . .` would receive it. */
export function copyBuildContext(from: string, to: string): string[] {
  const files = buildContext(from);
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.cpSync(path.join(from, file), path.join(to, file), { verbatimSymlinks: true });
  }
  return files;
}
