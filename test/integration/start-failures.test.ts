import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { startMain } from '../helpers/main-process';

/**
 * A start that cannot happen says which setting to change, on stderr, and exits with a code an
 * orchestrator can tell apart: 78 for a setting, 74 for a disk that takes no more.
 */
describe('a start that cannot happen names the setting to change', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('wa-onboard-start-');
  });
  afterEach(() => removeTempDir(dir));

  it('refuses a port already in use: exit 78, naming PORT and HOST', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const main = startMain({ env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: path.join(dir, 'data') }, cwd: dir });
      expect(await main.exited).toBe(78);
      expect(main.stderr()).toContain(`cannot listen on PORT=${port} on HOST=127.0.0.1: the port is already in use`);
      expect(main.stderr()).toContain('fix: stop what listens there, or set PORT to a free port (or HOST to another address)');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a DATA_DIR that is a file: exit 78, naming DATA_DIR and "not a directory"', async () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, 'not a folder');
    const main = startMain({ env: { PORT: '0', DATA_DIR: file }, cwd: dir });
    expect(await main.exited).toBe(78);
    expect(main.stderr()).toContain(`cannot use DATA_DIR=${file}: not a directory: ${file} is a file`);
  });

  it('refuses a DATA_DIR below a file, naming the file in the way', async () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, 'not a folder');
    const main = startMain({ env: { PORT: '0', DATA_DIR: path.join(file, 'wa') }, cwd: dir });
    expect(await main.exited).toBe(78);
    expect(main.stderr()).toContain(`cannot use DATA_DIR=${path.join(file, 'wa')}: not a directory: ${file} is a file`);
  });

  // chmod stops no write of root's. As root, the service runs in a user namespace of its own with
  // no uid mapped (unshare(1), util-linux): it is still uid 0 to the files, so it reads the tree
  // as its owner, but holds no capability over them, so a folder's mode bars it as anyone.
  const asRoot = process.getuid?.() === 0;
  it('refuses a DATA_DIR this user cannot write: exit 78, naming DATA_DIR and "not writable"', async () => {
    const readOnly = path.join(dir, 'read-only');
    fs.mkdirSync(readOnly);
    fs.chmodSync(readOnly, 0o555);
    const main = startMain({
      env: { PORT: '0', DATA_DIR: readOnly },
      cwd: dir,
      ...(asRoot ? { wrap: (command: readonly string[]) => ['unshare', '--user', ...command] } : {}),
    });
    expect(await main.exited).toBe(78);
    expect(main.stderr()).toContain(`cannot use DATA_DIR=${readOnly}: not writable by this user`);
    expect(main.stderr()).toContain('EACCES');
    expect(fs.readdirSync(readOnly)).toEqual([]);
  });

  it('refuses to start when no file in DATA_DIR can grow (a file size limit, as on a full disk): exit 74', async () => {
    const data = path.join(dir, 'data');
    const main = startMain({
      env: { PORT: '0', DATA_DIR: data },
      cwd: dir,
      // prlimit(1), util-linux: every write into any file fails with EFBIG.
      wrap: (command) => ['prlimit', '--fsize=0:0', ...command],
    });
    expect(await main.exited).toBe(74);
    expect(main.stderr()).toContain(`cannot use DATA_DIR=${data}: a file cannot grow: the file size limit (ulimit -f) is reached`);
    expect(fs.readdirSync(data)).toEqual([]);
  });

  it('refuses a DATA_DIR on a full disk: exit 74, naming DATA_DIR and "the disk is full"', async () => {
    // A tmpfs of 64 KiB, filled, in a mount namespace of the service's own (unshare(1), util-linux).
    const mount = path.join(dir, 'disk');
    fs.mkdirSync(mount);
    const fill = `mount -t tmpfs -o size=64k tmpfs "$0" && dd if=/dev/zero of="$0/fill" bs=4k 2>/dev/null; exec "$@"`;
    const main = startMain({
      env: { PORT: '0', DATA_DIR: path.join(mount, 'data') },
      cwd: dir,
      wrap: (command) => ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', fill, mount, ...command],
    });
    expect(await main.exited).toBe(74);
    expect(main.stderr()).toContain(`cannot use DATA_DIR=${path.join(mount, 'data')}: the disk is full`);
    expect(main.stderr()).toContain('ENOSPC');
  });
});
