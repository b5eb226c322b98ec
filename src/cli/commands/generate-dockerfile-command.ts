import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { renderDockerfile, renderDockerignore } from '../../deploy/render-dockerfile.ts';
import { CliError } from '../cli-error.ts';

export function registerGenerateDockerfileCommand(program: Command): void {
  program
    .command('generate-dockerfile')
    .description('Write a Dockerfile that serves the agent file (the file is not run)')
    .helpOption('--help', 'Show this message and exit.')
    .option('-f, --file <path>', 'agent file, inside the current directory (the Docker build context)')
    .option('-o, --output-dir <dir>', 'where to write the Dockerfile', '.')
    .action((flags: { file?: string; outputDir: string }) => {
      if (!flags.file) throw new CliError('Please specify agent file with --file');
      if (!existsSync(flags.file)) throw new CliError(`Invalid value for '--file' / '-f': Path '${flags.file}' does not exist.`, 2);
      const context = realpathSync(process.cwd());
      const agentFile = realpathSync(resolve(flags.file));
      const inside = relative(context, agentFile);
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
        throw new CliError('Agent file must be inside the current Docker build context');
      }
      const agentPath = `/app/${inside.split(sep).join('/')}`;
      const outputDir = resolve(flags.outputDir);
      mkdirSync(outputDir, { recursive: true });
      const dockerfile = join(outputDir, 'Dockerfile');
      writeFileSync(dockerfile, renderDockerfile({ agentPath, selfPackage: isThisPackage(context) }), 'utf8');
      const dockerignore = join(context, '.dockerignore');
      const wroteIgnore = !existsSync(dockerignore);
      if (wroteIgnore) writeFileSync(dockerignore, renderDockerignore(), 'utf8');

      const shown = relative(context, dockerfile);
      const build =
        shown === 'Dockerfile'
          ? 'docker build -t omnicoreagent-serve .'
          : `docker build -f ${shown.startsWith('..') ? dockerfile : shown.split(sep).join('/')} -t omnicoreagent-serve .`;
      const out = [
        `Dockerfile written to ${dockerfile}`,
        ...(wroteIgnore ? [`.dockerignore written to ${dockerignore}`] : []),
        `Agent path inside image: ${agentPath}`,
        ...(existsSync(join(context, 'package-lock.json'))
          ? []
          : ['Warning: no package-lock.json here; run "npm install" first, the image installs from the lockfile.']),
        '',
        'Build:',
        `  ${build}`,
        'Run:',
        '  docker run -p 8000:8000 -e LLM_API_KEY=$LLM_API_KEY omnicoreagent-serve',
        'Run with an S3 workspace:',
        '  docker run -p 8000:8000 -e LLM_API_KEY=$LLM_API_KEY -e OMNICOREAGENT_WORKSPACE_BACKEND=s3 \\',
        // The server checks the bucket at start; the region saves S3 a redirect on every request (us-east-1 otherwise).
        '    -e AWS_S3_BUCKET=my-bucket -e AWS_REGION=us-east-1 \\',
        '    -e AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \\',
        '    omnicoreagent-serve',
        '',
        'Warning: the local workspace (/tmp/workspace) is ephemeral: mount a volume or use the S3 backend to keep run files.',
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

/** True when the build context is this package's own source rather than a project that depends on it. */
function isThisPackage(context: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')) as { name?: unknown };
    return manifest.name === 'omnicoreagent';
  } catch {
    return false;
  }
}
