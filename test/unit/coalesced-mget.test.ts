import { describe, expect, test } from 'vitest'
import { CoalescedMget } from '../../src/stores/coalesced-mget.js'

/** An MGET that records what it was sent and answers `value:<key>`, or fails while `failWith` is set. */
function recorder() {
  const sent: string[][] = []
  const pending: (() => void)[] = []
  let failWith: Error | undefined
  const batches = new CoalescedMget((keys) => {
    sent.push([...keys])
    const error = failWith
    return new Promise((resolve, reject) =>
      pending.push(() => (error ? reject(error) : resolve(keys.map((k) => `value:${k}`)))),
    )
  })
  return {
    batches,
    sent,
    answerAll: () => pending.splice(0).forEach((answer) => answer()),
    fail: (error: Error | undefined) => (failWith = error),
  }
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('CoalescedMget', () => {
  test('lookups of one turn share one MGET, each key sent once, each answered in its own order', async () => {
    const r = recorder()
    const a = r.batches.get(['k1', 'k2'])
    const b = r.batches.get(['k2', 'k3', 'k1'])
    const c = r.batches.get([])
    await endOfTurn()
    expect(r.sent).toEqual([['k1', 'k2', 'k3']])
    r.answerAll()
    expect(await a).toEqual(['value:k1', 'value:k2'])
    expect(await b).toEqual(['value:k2', 'value:k3', 'value:k1'])
    expect(await c).toEqual([])
  })

  test('a lone lookup is sent by the end of the turn it arrived in, without waiting for company', async () => {
    const r = recorder()
    void r.batches.get(['only'])
    expect(r.sent).toEqual([])
    await endOfTurn()
    expect(r.sent).toEqual([['only']])
  })

  test('a lookup never joins a batch already sent', async () => {
    const r = recorder()
    const first = r.batches.get(['k'])
    await endOfTurn()
    const second = r.batches.get(['k'])
    await endOfTurn()
    expect(r.sent).toEqual([['k'], ['k']])
    r.answerAll()
    expect(await first).toEqual(['value:k'])
    expect(await second).toEqual(['value:k'])
  })

  test('a failed batch rejects every lookup in it with an error of its own, caused by the failure', async () => {
    const r = recorder()
    const failure = new Error('HTTP 500')
    r.fail(failure)
    const lookups = [r.batches.get(['a']), r.batches.get(['b']), r.batches.get(['a'])]
    const settled = Promise.allSettled(lookups)
    await endOfTurn()
    r.answerAll()
    const reasons = (await settled).map((s) => (s.status === 'rejected' ? (s.reason as Error) : undefined))
    expect(reasons.every((e) => e instanceof Error && e.cause === failure)).toBe(true)
    expect(new Set(reasons).size).toBe(3)
    expect(reasons[0]!.message).toMatch(/HTTP 500.*shared by 3 lookups/)
    r.fail(undefined)
    const next = r.batches.get(['a'])
    await endOfTurn()
    r.answerAll()
    expect(await next).toEqual(['value:a'])
  })

  test('an MGET that throws instead of rejecting fails its batch the same way', async () => {
    const batches = new CoalescedMget(() => {
      throw new Error('client broke')
    })
    await expect(batches.get(['a'])).rejects.toThrow(/client broke/)
  })

  test('a burst beyond the per-request key bound is split, and still every lookup is answered', async () => {
    const r = recorder()
    const lookups = Array.from({ length: 300 }, (_, i) => r.batches.get([`s${i}`, `r${i}`]))
    await endOfTurn()
    expect(r.sent.length).toBeGreaterThan(1)
    expect(r.sent.every((keys) => keys.length <= 500)).toBe(true)
    expect(r.sent.flat()).toHaveLength(600)
    r.answerAll()
    const answers = await Promise.all(lookups)
    expect(answers[299]).toEqual(['value:s299', 'value:r299'])
  })
})
