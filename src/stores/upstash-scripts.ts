/** The Lua scripts the Upstash store runs with EVAL, and the keys and arguments they take. */
import { epochKey, revokedKey } from './keys.js'
import type { RevocationMark } from './types.js'
import { validateAnchor, validateEpoch, validateTtl } from './validate.js'

// Raises the epoch only when the new one is greater, in one server-side step: two writers racing
// cannot lower it, and a stored value that is not a decimal integer is reported, not overwritten.
export const RAISE_EPOCH = `local current = redis.call('GET', KEYS[1])
if current then
  if not string.match(current, '^%d+$') then
    return redis.error_reply('stored delegation epoch is not an integer')
  end
  if tonumber(current) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// Many marks in one request (the revocation feed's batches). Every epoch key is checked before
// anything is written, so a batch refused for a corrupt epoch writes nothing.
export const MARK_MANY = `for i, key in ipairs(KEYS) do
  if ARGV[3 * i - 2] == 'e' then
    local current = redis.call('GET', key)
    if current and not string.match(current, '^%d+$') then
      return redis.error_reply('stored delegation epoch is not an integer: ' .. key)
    end
  end
end
for i, key in ipairs(KEYS) do
  local kind, value, px = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  if kind == 'r' then
    redis.call('SET', key, '1', 'PX', px)
  else
    local current = redis.call('GET', key)
    if not current or tonumber(current) < tonumber(value) then redis.call('SET', key, value, 'PX', px) end
  end
end
return #KEYS`

/** KEYS and ARGV of one `MARK_MANY` call. */
export interface MarkManyCall {
  readonly keys: string[]
  readonly args: string[]
}

/**
 * Checks each mark and lays the batch out for `MARK_MANY`: one key per mark, and three arguments
 * each (`r` or `e`, the value, the PX in milliseconds that `px` gives for the mark's ttlMs).
 */
export function markManyCall(
  prefix: string,
  marks: readonly RevocationMark[],
  px: (ttlMs: number | undefined) => number,
): MarkManyCall {
  const keys: string[] = []
  const args: string[] = []
  for (const mark of marks) {
    validateTtl('UpstashRevocationStore.markMany', mark.ttlMs)
    if (mark.kind === 'revoke') {
      validateAnchor('UpstashRevocationStore.markMany', mark.anchor)
      keys.push(revokedKey(prefix, mark.anchor))
      args.push('r', '1', String(px(mark.ttlMs)))
    } else {
      validateEpoch('UpstashRevocationStore.markMany', mark.zoneId, mark.epoch)
      keys.push(epochKey(prefix, mark.zoneId))
      args.push('e', String(mark.epoch), String(px(mark.ttlMs)))
    }
  }
  return { keys, args }
}
