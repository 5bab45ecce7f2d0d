TOKEN=$(curl -s 'http://127.0.0.1:9000/dev-sts/mint?scope=billing:read')
curl -i -w '\n' http://localhost:3000/ -H "authorization: Bearer $TOKEN" # 200 {"sub":...}
curl -i -w '\n' http://localhost:3000/ # 401 missing_token
