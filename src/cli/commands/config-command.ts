import type { Command } from 'commander';
import { renderConfigShow, renderEnvExample } from '../../config/render-config.ts';
import { validateCliConfig } from './validate-cli-config.ts';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('Show the configuration read from the environment, or an example environment')
    .helpOption('--help', 'Show this message and exit.')
    .option('--show', 'print the configuration the server would use, from the environment (secrets masked)')
    .option('--env-example', 'print an example environment file')
    .action((flags: { show?: boolean; envExample?: boolean }) => {
      if (flags.envExample) {
        process.stdout.write(renderEnvExample());
        return;
      }
      if (flags.show) {
        process.stdout.write(renderConfigShow(validateCliConfig({})));
        return;
      }
      process.stdout.write('Use --show to view current config or --env-example for template\n');
    });
}
