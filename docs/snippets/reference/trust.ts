import { getMandate, MemoryRevocationStore, withCaracal, type TrustedZone } from 'caracal-fetch'

// One entry per customer zone, e.g. loaded from the provider's own configuration.
const trust: TrustedZone[] = [
  { issuer: 'https://sts.example.com', zoneId: 'zone-acme' },
  { issuer: 'https://sts.example.com', zoneId: 'zone-globex' },
  { issuer: 'https://sts.eu.example.com', zoneId: 'zone-initech' },
]

const handler = withCaracal(
  (request) => {
    const { issuer, zoneId, sub } = getMandate(request) // the pair that verified this mandate
    return Response.json({ issuer, zoneId, sub })
  },
  { audience: 'resource://billing-api', revocations: new MemoryRevocationStore(), trust },
)
export default handler
