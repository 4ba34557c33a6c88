import { runCommand } from './cli';

/** One command as `--help` shows it: its path (`['db', 'copy']`), its long options, its subcommands. */
export interface HelpCommand {
  path: string[];
  options: string[];
  children: HelpCommand[];
}

/** The names under a heading of commander's help (`Commands:`, `Options:`); wrapped lines are indented further. */
function listed(help: string, heading: 'Commands' | 'Options'): string[] {
  const at = help.indexOf(`\n${heading}:\n`);
  if (at === -1) return [];
  const names: string[] = [];
  for (const line of help.slice(at + heading.length + 3).split('\n')) {
    if (!line.startsWith('  ')) break;
    const name = heading === 'Commands' ? /^ {2}([a-z][\w-]*)/.exec(line)?.[1] : /^ {2}(?:-\w, )?(--[\w-]+)/.exec(line)?.[1];
    if (name) names.push(name);
  }
  return names;
}

/** Reads `wa-onboard --help`, then each command's `--help`, in-process: the commands as a user finds them. */
export async function helpTree(path: string[] = []): Promise<HelpCommand> {
  const run = await runCommand([...path, '--help'], {});
  if (run.code !== 0) throw new Error(`wa-onboard ${path.join(' ')} --help exited ${run.code}: ${run.stderr}`);
  const children = await Promise.all(
    listed(run.stdout, 'Commands')
      .filter((name) => name !== 'help')
      .map((name) => helpTree([...path, name])),
  );
  return { path, options: listed(run.stdout, 'Options').filter((o) => o !== '--help'), children };
}

/** Every command of the tree, groups included, the root left out. */
export function allCommands(root: HelpCommand): HelpCommand[] {
  return root.children.flatMap((child) => [child, ...allCommands(child)]);
}
