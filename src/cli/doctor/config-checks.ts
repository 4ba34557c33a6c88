import { ConfigError, loadConfig } from '../../config';
import { fail, pass, type Check } from './check';

/** The service must start in production with this environment: every missing or malformed setting, in one list. */
export const productionConfigCheck: Check = {
  id: 'config',
  title: 'Configuration is valid for production',
  run(ctx) {
    try {
      loadConfig({ ...ctx.env, NODE_ENV: 'production' }, () => {
        throw new Error('production never generates secrets');
      });
      return pass(ctx.env.NODE_ENV === 'production' ? 'NODE_ENV=production and every setting is valid' : 'every setting is valid (NODE_ENV is not production here)');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return fail(`${error.problems.length} problem(s):\n${error.problems.join('\n')}`, 'Set these in the environment or .env (see .env.example), then run doctor again.');
    }
  },
};
