import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'

export type Log = Logger

// Pretty lines for a person at a terminal, JSON lines for everything else (containers, CI).
export function createLog(level: string, stream: NodeJS.WritableStream = process.stdout): Log {
  const options = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
      censor: '[redacted]',
    },
  }
  const isTerminal = 'isTTY' in stream && stream.isTTY === true
  return isTerminal
    ? pino(options, pretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }))
    : pino(options, stream)
}
