import { revalidate } from 'caracal-fetch'

/**
 * Ends a server-sent-events response once the mandate of the request that opened it is revoked or
 * expires: `revalidate(request)` every `everyMs`. Other responses are returned as they are.
 */
export function endStreamOnRefusal(request: Request, response: Response, everyMs = 10_000): Response {
  const source = response.body
  if (source === null || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response
  const reader = source.getReader()
  let timer: ReturnType<typeof setInterval> | undefined
  let ended = false
  const end = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    if (ended) return
    ended = true
    clearInterval(timer)
    reader.cancel().catch(() => {})
    controller.close()
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(async () => {
        const refusal = await revalidate(request)
        // A store outage (503) keeps the stream open; a revoked or expired mandate ends it.
        if (refusal !== undefined && refusal.status !== 503) end(controller)
      }, everyMs)
    },
    async pull(controller) {
      const { done, value } = await reader.read()
      if (ended) return
      if (done) end(controller)
      else controller.enqueue(value)
    },
    cancel() {
      ended = true
      clearInterval(timer)
      return reader.cancel()
    },
  })
  return new Response(body, { status: response.status, headers: response.headers })
}
