import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeDirectorySync } from '../../core/make-directory.ts';
import type { Command } from 'commander';
import { inspectProjectManifest } from '../../deploy/inspect-project-manifest.ts';
import { pathInside } from '../../deploy/path-inside.ts';
import { renderDockerfile } from '../../deploy/render-dockerfile.ts';
import { missingDockerignoreEntries, renderDockerignore } from '../../deploy/render-dockerignore.ts';
import { CliError } from '../cli-error.ts';

// The rule and words of loadAgentFile (src/cli/load-agent-file.ts), which `run --agent "$AGENT_PATH"` applies when
// the container starts: a file it refuses would make the container crash-loop. A test holds the two messages equal.
const AGENT_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

function checkServable(agentFile: string): void {
  if (!AGENT_EXTENSIONS.some((ext) => agentFile.endsWith(ext)) || !statSync(agentFile).isFile()) {
    throw new CliError(`Error loading agent file: ${agentFile} is not a .ts, .mts, .js or .mjs file`, 2);
  }
}

/** Creates the output directory, turning the EEXIST/ENOTDIR of a file in the way into a line that names it. */
function prepareOutputDir(outputDir: string): void {
  const flag = "Invalid value for '--output-dir' / '-o'";
  let blocker = outputDir;
  while (!existsSync(blocker) && dirname(blocker) !== blocker) blocker = dirname(blocker);
  if (!statSync(blocker).isDirectory()) {
    const where = blocker === outputDir ? '' : `cannot create ${outputDir}: `;
    throw new CliError(`${flag}: ${where}${blocker} is a file, not a directory`, 2);
  }
  try {
    makeDirectorySync(outputDir);
  } catch (error) {
    throw new CliError(`${flag}: cannot create ${outputDir}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  const dockerfile = join(outputDir, 'Dockerfile');
  if (existsSync(dockerfile) && !statSync(dockerfile).isFile()) throw new CliError(`${flag}: ${dockerfile} exists and is not a file`, 2);
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

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
      // AGENT_PATH is built from the resolved file, so that is the path `run` checks in the container.
      const agentFile = realpathSync(resolve(flags.file));
      checkServable(agentFile);
      const inside = pathInside(context, agentFile);
      if (inside === undefined) {
        throw new CliError(`Agent file must be inside the current Docker build context: ${agentFile} is not inside ${context}`);
      }
      // A newline in the name would end the ENV line and start an instruction of the file's choosing.
      if (/[\u0000-\u001f\u007f]/.test(inside)) {
        throw new CliError(`Invalid value for '--file' / '-f': ${JSON.stringify(inside)} has a control character (such as a newline), which a Dockerfile line cannot hold; rename the file`, 2);
      }
      const agentPath = `/app/${inside}`;
      const outputDir = resolve(flags.outputDir);
      prepareOutputDir(outputDir);

      const project = inspectProjectManifest(readIfPresent(join(context, 'package.json')));
      const dockerfile = join(outputDir, 'Dockerfile');
      const replaced = existsSync(dockerfile);
      try {
        writeFileSync(dockerfile, renderDockerfile({ agentPath, selfPackage: project.selfPackage }), 'utf8');
      } catch (error) {
        throw new CliError(`Invalid value for '--output-dir' / '-o': cannot write ${dockerfile}: ${error instanceof Error ? error.message : String(error)}`, 2);
      }
      const dockerignore = join(context, '.dockerignore');
      const existingIgnore = readIfPresent(dockerignore);
      if (existingIgnore === undefined) writeFileSync(dockerignore, renderDockerignore(), 'utf8');
      const lacking = existingIgnore === undefined ? [] : missingDockerignoreEntries(existingIgnore);

      const shown = pathInside(context, dockerfile);
      const build = shown === 'Dockerfile' ? 'docker build -t omnicoreagent-serve .' : `docker build -f ${shown ?? dockerfile} -t omnicoreagent-serve .`;
      const out = [
        `Dockerfile written to ${dockerfile}${replaced ? ' (replaced existing Dockerfile)' : ''}`,
        ...(existingIgnore === undefined ? [`.dockerignore written to ${dockerignore}`] : []),
        `Agent path inside image: ${agentPath}`,
        ...(lacking.length === 0
          ? []
          : [`Warning: the existing .dockerignore (kept) lacks ${lacking.join(', ')}: without them, secrets, host-built modules or local state are copied into the image.`]),
        ...(project.warning === undefined ? [] : [project.warning]),
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
