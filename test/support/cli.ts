import { type CommandContext, type Io, main, runCommand } from '../../src/cli/main.js'

export type CliResult = { code: number; out: string; err: string }

/** What a command printed to stdout and stderr, line by line, and its exit code. */
async function capture(run: (io: Io) => Promise<number>): Promise<CliResult> {
  const out: string[] = []
  const err: string[] = []
  const code = await run({ out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** `gateway …` in this process, on the test's database (runGateway in process.ts spawns it). */
export const runCli = (ctx: Omit<CommandContext, 'io'>, ...argv: string[]) =>
  capture((io) => runCommand(argv, { ...ctx, io }))

/** The whole entry point, `env` as the environment: usage and configuration errors. */
export const runMain = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  capture((io) => main(argv, io, env))
