import { afterEach, describe, expect, it } from 'vitest'
import type { DevSts } from '../../../src/testing.js'
import { runDevSts, runMint, type CliOutput } from '../../../src/testing/cli.js'

function capture(): CliOutput & { text: string[] } {
  const text: string[] = []
  return { text, out: (line) => text.push(line), err: (line) => text.push(line) }
}

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

describe('caracal-fetch dev-sts and mint', () => {
  let sts: DevSts | undefined
  afterEach(async () => {
    await sts?.close()
    sts = undefined
  })

  it('dev-sts prints issuer, zone, JWKS URL, the export line and an example curl; zone and audience from env', async () => {
    const output = capture()
    sts = await runDevSts(['--port', '0'], { CARACAL_ZONE_ID: 'zone-env', CARACAL_AUDIENCE: 'resource://env' }, output)
    const printed = output.text.join('\n')
    expect(sts!.zoneId).toBe('zone-env')
    expect(printed).toContain(`issuer    ${sts!.issuer}`)
    expect(printed).toContain(`jwks      ${sts!.issuer}/.well-known/jwks.json?zone_id=zone-env`)
    expect(printed).toContain(
      `export CARACAL_STS_URL=${sts!.issuer} CARACAL_ZONE_ID=zone-env CARACAL_AUDIENCE=resource://env`,
    )
    expect(printed).toContain(`curl -s -X POST '${sts!.issuer}/mint'`)
    expect((await fetch(sts!.jwksUrl)).status).toBe(200)
  })

  it('flags win over env; mint prints only the mandate, with the claims asked for', async () => {
    sts = await runDevSts(
      ['--port=0', '--zone', 'zone-flag', '--aud', 'resource://flag'],
      { CARACAL_ZONE_ID: 'x' },
      capture(),
    )
    const output = capture()
    const token = await runMint(
      [
        '--scope',
        'a:read',
        '--scope',
        'b:read c:read',
        '--sub',
        'alice',
        '--target',
        't1',
        '--expires-in',
        '60',
        '--claims',
        '{"hop_count":2}',
      ],
      { CARACAL_STS_URL: sts!.issuer },
      output,
    )
    expect(output.text).toEqual([token])
    const claims = payloadOf(token!)
    expect(claims).toMatchObject({
      iss: sts!.issuer,
      zone_id: 'zone-flag',
      aud: ['resource://flag'],
      scope: 'a:read b:read c:read',
      sub: 'alice',
      target: ['t1'],
      hop_count: 2,
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(60)
  })

  it('mint refuses a non-loopback --sts (never sends claims to a real STS) unless told so', async () => {
    await expect(runMint(['--sts', 'https://sts.caracal.io'], {}, capture())).rejects.toThrow(
      /^caracal-fetch mint: --sts https:\/\/sts\.caracal\.io is not a loopback address; .*--dangerously-allow-non-loopback/,
    )
    await expect(runMint([], { CARACAL_STS_URL: 'https://sts.caracal.io' }, capture())).rejects.toThrow(TypeError)
  })

  it('usage mistakes are TypeErrors naming the flag', async () => {
    await expect(runMint(['--scopes', 'a'], {}, capture())).rejects.toThrow(
      'caracal-fetch mint: unknown flag --scopes; did you mean --scope?',
    )
    await expect(runMint(['--sub'], {}, capture())).rejects.toThrow('caracal-fetch mint: --sub needs a value')
    await expect(runMint(['--claims', '[1]'], {}, capture())).rejects.toThrow('--claims must be a JSON object')
    await expect(runMint(['stray'], {}, capture())).rejects.toThrow('unexpected argument "stray"')
    await expect(runDevSts(['--port', 'eighty'], {}, capture())).rejects.toThrow('--port must be a port number')
    await expect(runDevSts(['--host', '0.0.0.0', '--port', '0'], {}, capture())).rejects.toThrow(
      /not a loopback address/,
    )
  })

  it('mint explains a missing dev STS and relays its refusals', async () => {
    sts = await runDevSts(['--port', '0'], {}, capture())
    const { port } = new URL(sts!.issuer)
    await sts!.close()
    await expect(runMint(['--sts', `http://127.0.0.1:${port}`], {}, capture())).rejects.toThrow(
      /no dev STS answers at http:\/\/127\.0\.0\.1:\d+ .*npx caracal-fetch dev-sts/,
    )
    sts = await runDevSts(['--port', '0'], {}, capture())
    await expect(runMint(['--sts', sts!.issuer, '--claims', '{"scopes":"a"}'], {}, capture())).rejects.toThrow(
      'caracal-fetch mint: unknown claim `scopes`; did you mean `scope`?',
    )
    await expect(runMint(['--sts', sts!.issuer, '--expires-in', '0'], {}, capture())).rejects.toThrow(
      /^caracal-fetch mint: the dev STS at http:\/\/127\.0\.0\.1:\d+ refused: expires_in must be whole seconds/,
    )
  })

  it('--help prints the flags and starts nothing', async () => {
    const output = capture()
    expect(await runDevSts(['--help'], {}, output)).toBeUndefined()
    expect(await runMint(['--help'], {}, output)).toBeUndefined()
    expect(output.text.join('\n')).toMatch(/Usage: caracal-fetch dev-sts[\s\S]*Usage: caracal-fetch mint/)
  })
})
