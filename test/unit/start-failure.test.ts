import { ConfigError } from '../../src/config';
import { dataDirError } from '../../src/data-dir/data-dir-error';
import { listenError } from '../../src/start/listen-error';
import { describeStartFailure, startFailureText } from '../../src/start/start-failure';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('why DATA_DIR cannot be used', () => {
  it('says the disk is full (ENOSPC, and SQLite saying so), exit 74', () => {
    for (const error of [errno('ENOSPC'), errno('SQLITE_FULL', 'database or disk is full')]) {
      const failure = dataDirError('/srv/wa', error);
      expect(failure?.message).toMatch(/^cannot use DATA_DIR=\/srv\/wa: the disk is full \(/);
      expect(failure?.exitCode).toBe(74);
    }
  });

  it("says it is not writable when the system or SQLite refuses (by SQLite's extended codes too), exit 78", () => {
    for (const code of ['EACCES', 'EPERM', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_CANTOPEN']) {
      const failure = dataDirError('/srv/wa', errno(code));
      expect(failure?.message).toContain('cannot use DATA_DIR=/srv/wa: not writable by this user');
      expect(failure?.exitCode).toBe(78);
    }
  });

  it('says a read-only file system, and a write that failed', () => {
    expect(dataDirError('/srv/wa', errno('EROFS'))?.message).toContain('on a read-only file system');
    expect(dataDirError('/srv/wa', errno('SQLITE_IOERR_WRITE'))?.message).toContain('a write failed: the disk may be full or failing');
  });

  it('leaves errors that say nothing of the folder to the caller', () => {
    expect(dataDirError('/srv/wa', new Error('no code'))).toBeUndefined();
    expect(dataDirError('/srv/wa', errno('SQLITE_CONSTRAINT'))).toBeUndefined();
  });
});

describe('why the service could not listen', () => {
  it('names PORT and HOST for a port below 1024 without privileges, and an address not of this machine', () => {
    expect(listenError(80, '0.0.0.0', errno('EACCES')).message).toContain('cannot listen on PORT=80 on HOST=0.0.0.0: this user may not listen on that port');
    const elsewhere = listenError(3000, '10.9.8.7', errno('EADDRNOTAVAIL'));
    expect(elsewhere.message).toContain("HOST=10.9.8.7: that address is not one of this machine's");
    expect(elsewhere.fix).toContain('set HOST to an address of this machine');
  });
});

describe('the message of a start that failed', () => {
  it('gives the fix on its own line, and keeps the configuration error as it is (exit 78)', () => {
    expect(startFailureText(describeStartFailure(listenError(3000, '127.0.0.1', errno('EADDRINUSE'))))).toMatch(
      /^wa-onboard: cannot listen on PORT=3000 on HOST=127\.0\.0\.1: .*\n {2}fix: .*PORT.*\n$/,
    );
    const config = describeStartFailure(new ConfigError(['PUBLIC_URL: required']));
    expect(config).toEqual({ message: 'invalid configuration:\n  - PUBLIC_URL: required', exitCode: 78 });
  });

  it('says "could not start" with exit 1 for anything unforeseen', () => {
    expect(describeStartFailure(new Error('boom'))).toEqual({ message: 'could not start: boom', exitCode: 1 });
  });
});
