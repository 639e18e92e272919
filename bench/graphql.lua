-- POST /graphql: 20 posts with their authors (one DataLoader batch), anonymous.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ posts(limit: 20) { id title author { username } } }"}'
