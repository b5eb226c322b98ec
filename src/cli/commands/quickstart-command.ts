import type { Command } from 'commander';
import { OmniCoreAgent } from '../../agent/omni-core-agent.ts';
import { OmniServe } from '../../app/omni-serve.ts';
import type { OmniServeOptions } from '../../config/serve-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { renderBanner } from '../banner.ts';
import { CliError } from '../cli-error.ts';
import { parseInteger } from '../parse-options.ts';
import { serveUntilSignal } from '../serve-until-signal.ts';
import { validateCliConfig } from './validate-cli-config.ts';

interface QuickstartFlags {
  provider: string;
  model: string;
  name: string;
  instruction: string;
  port: number;
  host: string;
}

export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('Serve a simple agent without writing an agent file')
    .helpOption('--help', 'Show this message and exit.')
    .option('-p, --provider <name>', 'LLM provider', 'gemini')
    .option('-m, --model <name>', 'model name', 'gemini-2.0-flash')
    .option('-n, --name <name>', 'agent name', 'QuickAgent')
    .option('-i, --instruction <text>', 'system instruction', 'You are a helpful AI assistant.')
    .option('--port <port>', 'bind port', parseInteger, 8000)
    .option('--host <host>', 'bind host', '0.0.0.0')
    .action(async (flags: QuickstartFlags) => {
      const options: OmniServeOptions = { host: flags.host, port: flags.port, enableDocs: true, corsOrigins: ['*'] };
      const config = validateCliConfig(options);
      let agent: OmniCoreAgent;
      try {
        agent = new OmniCoreAgent({
          name: flags.name,
          systemInstruction: flags.instruction,
          modelConfig: { provider: flags.provider, model: flags.model },
        });
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(`Cannot create the agent: ${error.problems.join('; ')}`);
        throw error;
      }
      const server = new OmniServe(agent, options);
      await serveUntilSignal(server, () => renderBanner({ agentName: agent.name, config, sampleCurl: true }));
    });
}
