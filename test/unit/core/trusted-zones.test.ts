describe('trust: claims read twice read the same', () => {
  test('a payload that names `zone_id` twice is picked and verified by its last occurrence alike', async () => {
    const issuer = 'https://sts.example'
    const keys = await Promise.all(
      ['zone-a', 'zone-b'].map(async (zoneId) => {
        const { privateKey, publicKey } = await generateKeyPair('ES256')
        const kid = `kid-${zoneId}`
        return { zoneId, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
      }),
    )
    const fetch = async (input: string) => {
      const zone = new URL(input).searchParams.get('zone_id')
      const key = keys.find((k) => k.zoneId === zone)!
      return Response.json({ keys: [key.jwk] }, { headers: { 'cache-control': 'max-age=300' } })
    }
    const { send, seen } = protect({ trust: keys.map(({ zoneId }) => ({ issuer, zoneId })), fetch })
    const now = Math.floor(Date.now() / 1000)
    const claims = JSON.stringify({
      iss: issuer,
      aud: [AUDIENCE],
      iat: now,
      exp: now + 300,
      jti: 'j',
      sub: 's',
      sub_type: 'user',
      client_id: 'c',
      sid: 'sid',
      root_sid: 'root',
      use: 'resource',
    })
    // Signed with zone A's key; the text names both zones, in either order.
    const signed = (first: string, last: string) =>
      new CompactSign(new TextEncoder().encode(`{"zone_id":"${first}",${claims.slice(1, -1)},"zone_id":"${last}"}`))
        .setProtectedHeader({ alg: 'ES256', kid: 'kid-zone-a' })
        .sign(keys[0]!.privateKey)
    expect(await send(await signed('zone-b', 'zone-a'))).toEqual(OK)
    expect(seen).toEqual([{ issuer, zoneId: 'zone-a' }])
    expect(await send(await signed('zone-a', 'zone-b'))).toEqual({ status: 401, error: 'invalid_token' })
  })
})
