import { loadServeConfig, type OmniServeConfig, type OmniServeOptions } from '../../config/serve-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { CliError } from '../cli-error.ts';

export function validateCliConfig(options: OmniServeOptions): OmniServeConfig {
  try {
    return loadServeConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`Invalid OmniServe config: ${error.problems.join('; ')}`);
    throw error;
  }
}
