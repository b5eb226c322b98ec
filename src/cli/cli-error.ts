/** An error the CLI reports as `Error: <message>` and exits with `exitCode` (1 for failures, 2 for usage). */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
