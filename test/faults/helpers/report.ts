/**
 * Prints a fault test's books, so a run shows its counts and RELIABILITY.md can quote them. Written
 * to stderr directly: jest shows it as it happens, with no console stack trace attached.
 */
export function report(title: string, counts: Record<string, number | string>): void {
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  const lines = Object.entries(counts).map(([key, value]) => `  ${key.padEnd(width)}  ${value}`);
  process.stderr.write(`\n[faults] ${title}\n${lines.join('\n')}\n`);
}
