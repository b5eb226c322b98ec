import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { OmniServe } from '../../app/omni-serve.ts';
import type { OmniServeOptions } from '../../config/serve-config.ts';
import { renderBanner } from '../banner.ts';
import { CliError } from '../cli-error.ts';
import { loadAgentFile } from '../load-agent-file.ts';
import { parseInteger, splitList } from '../parse-options.ts';
import { serveUntilSignal } from '../serve-until-signal.ts';
import { validateCliConfig } from './validate-cli-config.ts';

interface RunFlags {
  agent?: string;
  host?: string;
  port?: number;
  workers: number;
  docs: boolean;
  corsOrigins: string;
  authToken?: string;
  rateLimit?: number;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Serve the agent defined in an agent file')
    .helpOption('--help', 'Show this message and exit.')
    .option('-a, --agent <path>', 'agent file (.ts, .mts, .js, .mjs) exporting `agent` or `createAgent()`')
    .option('-h, --host <host>', 'bind host (default 0.0.0.0)')
    .option('-p, --port <port>', 'bind port (default 8000)', parseInteger)
    .option('-w, --workers <n>', 'must be 1: scale with several processes', parseInteger, 1)
    .option('--no-docs', 'disable /docs')
    .option('--cors-origins <list>', 'comma-separated allowed origins', '*')
    .option('--auth-token <token>', 'require this Bearer token')
    .option('--rate-limit <n>', 'requests per client per 60 s', parseInteger)
    .action(async (flags: RunFlags) => {
      if (!flags.agent) throw new CliError("Please specify an agent file with --agent or use 'omniserve quickstart'");
      if (!existsSync(flags.agent)) {
        throw new CliError(`Invalid value for '--agent' / '-a': Path '${flags.agent}' does not exist.`, 2);
      }
      const options: OmniServeOptions = {
        ...(flags.host === undefined ? {} : { host: flags.host }),
        ...(flags.port === undefined ? {} : { port: flags.port }),
        workers: flags.workers,
        ...(flags.docs === false ? { enableDocs: false } : {}),
        corsOrigins: splitList(flags.corsOrigins),
        ...(flags.authToken === undefined ? {} : { authEnabled: true, authToken: flags.authToken }),
        ...(flags.rateLimit === undefined ? {} : { rateLimitEnabled: true, rateLimitRequests: flags.rateLimit, rateLimitWindow: 60 }),
      };
      // Validated before the agent file is imported: a bad port must not run the file's side effects.
      const config = validateCliConfig(options);
      const agent = await loadAgentFile(flags.agent);
      const server = new OmniServe(agent, options);
      await serveUntilSignal(server, () => renderBanner({ agentName: server.agent.name, config }));
    });
}
