/** An error the CLI reports as one line on stderr with a specific exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** 2 = bad usage, 1 = the operation failed. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}
