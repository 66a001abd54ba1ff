import type pg from 'pg'

/** COPY … FROM STDIN through pg's client protocol (what pg-copy-streams does, in 30 lines). */
export function copyIn(client: pg.Client, statement: string, rows: () => Generator<string>) {
  return new Promise<void>((resolve, reject) => {
    const submittable = {
      submit: (connection: { query: (text: string) => void }) => connection.query(statement),
      handleCopyInResponse(connection: {
        sendCopyFromChunk: (b: Buffer) => void
        endCopyFrom: () => void
      }) {
        let chunk: string[] = []
        for (const row of rows()) {
          chunk.push(row)
          if (chunk.length === 5_000) {
            connection.sendCopyFromChunk(Buffer.from(chunk.join('')))
            chunk = []
          }
        }
        if (chunk.length) connection.sendCopyFromChunk(Buffer.from(chunk.join('')))
        connection.endCopyFrom()
      },
      handleCommandComplete() {},
      handleReadyForQuery: () => resolve(),
      handleError: (err: Error) => reject(err),
    }
    client.query(submittable as never)
  })
}
