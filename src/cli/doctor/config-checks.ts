import { ConfigError, loadConfig, nodeEnvProblems } from '../../config';
import { fail, pass, type Check } from './check';

/** The service must start in production with this environment: every missing or malformed setting, in one list. */
export const productionConfigCheck: Check = {
  id: 'config',
  title: 'Configuration is valid for production',
  run(ctx) {
    // Checked as production whatever NODE_ENV says, so a NODE_ENV production would never see (prod) is checked apart.
    const problems = nodeEnvProblems(ctx.env);
    try {
      loadConfig({ ...ctx.env, NODE_ENV: 'production' }, () => {
        throw new Error('production never generates secrets');
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    if (problems.length > 0) {
      return fail(`${problems.length} problem(s):\n${problems.join('\n')}`, 'Set these in the environment or .env (see .env.example), then run doctor again.');
    }
    return pass(ctx.env.NODE_ENV === 'production' ? 'NODE_ENV=production and every setting is valid' : 'every setting is valid (NODE_ENV is not production here)');
  },
};
