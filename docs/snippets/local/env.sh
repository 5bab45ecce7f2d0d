export CARACAL_STS_URL=http://127.0.0.1:9000/dev-sts CARACAL_ZONE_ID=zone-demo CARACAL_AUDIENCE=resource://demo-api
