import fs from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDir, writePrivateFile } from '../data-dir/private-files';
import type { CapturedCode, Recipient } from '../store/call-store';

/** A code heard while the store could not take it, and what has been done about it since. */
export interface SpooledCode {
  /** The file it is kept in. */
  file: string;
  captured: CapturedCode;
  recipients: Recipient[];
  /** Per recipient (`channel:to`): when it was sent from the spool, or its failed attempts so far. */
  progress: Record<string, RecipientProgress>;
}

export interface RecipientProgress {
  sentAt?: string;
  attempts: number;
  /** When to try again after a failed attempt (ISO 8601). */
  nextAttemptAt?: string;
  lastError?: string;
}

interface SpoolFile {
  captured: { call: CapturedCode['call']; code: string; source: CapturedCode['source']; receivedAt: string };
  recipients: Recipient[];
  progress: Record<string, RecipientProgress>;
}

export function recipientKey(r: Recipient): string {
  return `${r.channel}:${r.to}`;
}

/**
 * Codes kept on local disk (`DATA_DIR/spool`) when the database would not take them: a code Meta
 * spoke while PostgreSQL was down is not lost. Each is one JSON file, written aside, synced and
 * renamed, so a crash leaves the old file or the new one, never half of either. The spool worker
 * delivers from here and moves each code into the database once it answers again.
 */
export class CodeSpool {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'spool');
  }

  /** Keeps a code; a code of the same call already kept is left as it is (it may have been sent). */
  async keep(captured: CapturedCode, recipients: Recipient[]): Promise<void> {
    const file = this.fileOf(captured);
    if (await exists(file)) return;
    const content: SpoolFile = {
      captured: { ...captured, receivedAt: captured.receivedAt.toISOString() },
      recipients,
      progress: {},
    };
    await this.write(file, content);
  }

  /** Every code kept, oldest first. */
  async list(): Promise<SpooledCode[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir)).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const codes: SpooledCode[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      const content = JSON.parse(await fs.readFile(file, 'utf8')) as SpoolFile;
      codes.push({
        file,
        captured: { ...content.captured, receivedAt: new Date(content.captured.receivedAt) },
        recipients: content.recipients,
        progress: content.progress,
      });
    }
    return codes.sort((a, b) => a.captured.receivedAt.getTime() - b.captured.receivedAt.getTime());
  }

  /** Records what happened to one recipient (durably: a code sent must not be sent again after a crash). */
  async update(code: SpooledCode): Promise<void> {
    await this.write(code.file, {
      captured: { ...code.captured, receivedAt: code.captured.receivedAt.toISOString() },
      recipients: code.recipients,
      progress: code.progress,
    });
  }

  /** The code is in the database now. */
  async remove(code: SpooledCode): Promise<void> {
    await fs.rm(code.file, { force: true });
  }

  private fileOf(captured: CapturedCode): string {
    // One file per call and code, as the database has one row: the same code heard twice is kept once.
    const safeSid = captured.call.callSid.replace(/[^A-Za-z0-9_-]/g, '_');
    return path.join(this.dir, `${safeSid}-${captured.code}.json`);
  }

  private async write(file: string, content: SpoolFile): Promise<void> {
    // A code is a secret until used: the folder is 0700 and each file 0600, whatever the umask.
    await makePrivateDir(this.dir);
    const partial = `${file}.partial`;
    await writePrivateFile(partial, `${JSON.stringify(content, null, 2)}\n`, { sync: true });
    await fs.rename(partial, file);
    const dir = await fs.open(this.dir, 'r');
    try {
      await dir.sync(); // the rename itself survives a power cut
    } finally {
      await dir.close();
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
