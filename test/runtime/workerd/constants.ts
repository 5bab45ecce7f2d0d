/** The Worker's zone and audience: the same values as the vars in ./wrangler.toml. */
export const ZONE_ID = 'zone-workerd'
export const AUDIENCE = 'resource://workerd-tests'
