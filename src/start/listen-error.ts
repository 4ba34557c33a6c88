/**
 * The service could not listen where PORT and HOST say: names both, why, and what to change.
 * Exit 78 (sysexits EX_CONFIG): another process owns the port, or the address is not this machine's,
 * and waiting does not change that; a setting does.
 */
export class ListenError extends Error {
  readonly exitCode = 78;

  constructor(
    readonly reason: string,
    readonly fix: string,
    cause: unknown,
  ) {
    super(reason, { cause });
    this.name = 'ListenError';
  }
}

/** What a failed `listen(port, host)` means, in the settings' own names. */
export function listenError(port: number, host: string, error: unknown): ListenError {
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const where = `PORT=${port} on HOST=${host}`;
  const detail = error instanceof Error ? error.message : String(error);
  const fail = (reason: string, fix: string) => new ListenError(`cannot listen on ${where}: ${reason} (${detail})`, fix, error);
  switch (code) {
    case 'EADDRINUSE':
      return fail(
        'the port is already in use (another wa-onboard, or another server)',
        'stop what listens there, or set PORT to a free port (or HOST to another address)',
      );
    case 'EACCES':
      return fail(
        'this user may not listen on that port (ports below 1024 need privileges)',
        'set PORT to 1024 or above, and put a proxy or a port mapping in front',
      );
    case 'EADDRNOTAVAIL':
      return fail('that address is not one of this machine\'s', 'set HOST to an address of this machine: 127.0.0.1, 0.0.0.0 or ::');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail('that host name does not resolve', 'set HOST to an IP address, such as 127.0.0.1 or 0.0.0.0');
    default:
      return fail('the system refused it', 'check PORT and HOST');
  }
}
