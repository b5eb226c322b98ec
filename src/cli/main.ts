import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/errors.ts';
import { PACKAGE_VERSION } from '../core/version.ts';
import { scrubSecrets } from '../llm/scrub-secrets.ts';
import { CliError } from './cli-error.ts';
import { registerConfigCommand } from './commands/config-command.ts';
import { registerGenerateDockerfileCommand } from './commands/generate-dockerfile-command.ts';
import { registerQuickstartCommand } from './commands/quickstart-command.ts';
import { registerRunCommand } from './commands/run-command.ts';

const USAGE_ERRORS = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.invalidArgument',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

export function buildProgram(): Command {
  const program = new Command('omniserve')
    .description('Serve an OmniCoreAgent agent over HTTP')
    .version(`omniserve, version ${PACKAGE_VERSION}`, '--version', 'Show the version and exit.')
    .helpOption('--help', 'Show this message and exit.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRunCommand(program);
  registerQuickstartCommand(program);
  registerConfigCommand(program);
  registerGenerateDockerfileCommand(program);
  return program;
}

/** Runs the CLI. Failures print `Error: <message>` and exit 1; usage mistakes exit 2 (the reference's codes). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        process.exit(0);
      }
      process.exit(USAGE_ERRORS.has(error.code) ? 2 : error.exitCode || 1);
    }
    if (error instanceof CliError) {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`Error: ${describeFailure(error)}\n`);
    process.exit(1);
  }
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use; choose another with --port or OMNICOREAGENT_SERVE_PORT',
  EACCES: 'not allowed to bind that address or port (ports below 1024 need privileges)',
  ENOTFOUND: 'the host name does not resolve; check --host or OMNICOREAGENT_SERVE_HOST',
  EADDRNOTAVAIL: 'that address is not on this machine; check --host or OMNICOREAGENT_SERVE_HOST',
};

/** One line a person can act on: no stack trace, and no credential (messages pass through the scrubber). */
function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.join('; ');
  const code = (error as { code?: unknown } | null)?.code;
  const hint = typeof code === 'string' ? SYSTEM_ERRORS[code] : undefined;
  const text = error instanceof Error ? error.message : JSON.stringify(error) ?? String(error);
  return scrubSecrets(hint === undefined ? text : `${text}: ${hint}`);
}
