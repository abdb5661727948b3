export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadableStream;
}

/** One `kim <name> …` subcommand. `run` returns the process exit code. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
