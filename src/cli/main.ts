#!/usr/bin/env node
import dotenv from 'dotenv';
import { runCli } from './program';

// The same settings as the service: the environment first, then .env for what it leaves unset.
dotenv.config({ quiet: true });

runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`wa-onboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
