/**
 * The commands of the README's "Install for production" block, one per line, in order: what a
 * team types, and what the recipe test runs.
 */
export function productionInstall(readme: string): string[] {
  const section = /^### Install for production\n([\s\S]*?)(?=^#{2,3} )/m.exec(readme)?.[1];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no "### Install for production" section with a ```sh block');
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
