import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyBuildContext } from './build-context';
import type { Stage } from './dockerfile';

/**
 * Runs a Dockerfile's stages outside a container, as far as that is possible: each stage gets a
 * folder standing for its root file system, COPY copies into it (from the build context or an
 * earlier stage), RUN runs install steps there with the stage's ENV. What only an image can do
 * (create a user's folder, change its owner) is done by the set-up steps below; any other RUN
 * step is refused, so the recipe cannot gain a step its test skips.
 */

export interface StageResult {
  name: string;
  /** The folder standing for this stage's `/`. */
  root: string;
  /** WORKDIR, as a path inside the image. */
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  volumes: string[];
  exposed: string[];
  healthcheck: { options: Record<string, string>; command: string[] } | null;
  command: string[] | null;
  /** The RUN steps, in order, as written. */
  runs: string[];
}

/** Image set-up steps, and how each is done outside a container. */
const SET_UP_STEPS: Array<{ pattern: RegExp; apply: (root: string, match: RegExpExecArray) => void }> = [
  {
    // The folder is made here; its owner is the container's business (the test runs as whoever it runs as).
    pattern: /^mkdir -p (\/\S+) && chown node:node \1$/,
    apply: (root, match) => fs.mkdirSync(path.join(root, match[1] ?? ''), { recursive: true }),
  },
];

export function inStage(stage: StageResult, imagePath: string): string {
  return path.join(stage.root, path.posix.resolve(stage.workdir, imagePath));
}

/**
 * The environment a RUN step or the CMD gets: the stage's ENV over a minimal base. Nothing of the
 * test's own environment leaks in (Jest's NODE_ENV=test, npm's npm_config_*), except what finds
 * programs and npm's cache.
 */
export function stageEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[key] !== undefined) base[key] = process.env[key];
  return { ...base, ...env };
}

export async function runStage(
  stage: Stage,
  options: { context: string; workRoot: string; earlier: Map<string, StageResult>; log: (line: string) => void },
): Promise<StageResult> {
  const result: StageResult = {
    name: stage.name,
    root: path.join(options.workRoot, stage.name),
    workdir: '/',
    env: {},
    user: null,
    volumes: [],
    exposed: [],
    healthcheck: null,
    command: null,
    runs: [],
  };
  fs.mkdirSync(result.root, { recursive: true });
  for (const step of stage.instructions) {
    switch (step.kind) {
      case 'WORKDIR':
        result.workdir = path.posix.resolve(result.workdir, step.path);
        fs.mkdirSync(inStage(result, '.'), { recursive: true });
        break;
      case 'COPY':
        copy(result, step, options);
        break;
      case 'RUN':
        result.runs.push(step.command);
        await run(result, step.command, options.log);
        break;
      case 'ENV':
        Object.assign(result.env, step.values);
        break;
      case 'VOLUME':
        result.volumes.push(...step.paths);
        break;
      case 'USER':
        result.user = step.user;
        break;
      case 'EXPOSE':
        result.exposed.push(...step.ports);
        break;
      case 'HEALTHCHECK':
        result.healthcheck = { options: step.options, command: step.command };
        break;
      case 'CMD':
        result.command = step.command;
        break;
    }
  }
  options.earlier.set(stage.name, result);
  return result;
}

function copy(
  stage: StageResult,
  step: { from: string | null; sources: string[]; destination: string },
  options: { context: string; earlier: Map<string, StageResult> },
): void {
  const destination = inStage(stage, step.destination);
  if (step.from === null) {
    if (step.sources.length !== 1 || step.sources[0] !== '.') throw new Error('the recipe test copies the build context only whole (COPY . .)');
    copyBuildContext(options.context, destination);
    return;
  }
  const from = options.earlier.get(step.from);
  if (!from) throw new Error(`COPY --from=${step.from}: no earlier stage of that name`);
  if (step.sources.length !== 1) throw new Error('the recipe test copies one source per COPY --from');
  const source = path.join(from.root, step.sources[0] ?? '');
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  fs.cpSync(source, destination, { recursive: true, verbatimSymlinks: true });
}

async function run(stage: StageResult, command: string, log: (line: string) => void): Promise<void> {
  for (const { pattern, apply } of SET_UP_STEPS) {
    const match = pattern.exec(command);
    if (match) return apply(stage.root, match);
  }
  if (!/^npm /.test(command)) {
    throw new Error(`RUN ${command}: a step the recipe test cannot run outside a container; teach test/deploy/recipe-runner.ts how`);
  }
  log(`[${stage.name}] RUN ${command}`);
  const output: Buffer[] = [];
  const child = spawn('sh', ['-c', command], { cwd: inStage(stage, '.'), env: stageEnvironment(stage.env) });
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const text = Buffer.concat(output).toString('utf8');
  log(text);
  if (code !== 0) throw new Error(`RUN ${command} exited ${code}:\n${text.slice(-4_000)}`);
}
