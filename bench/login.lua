-- POST /api/auth/login with the admin's credentials (argon2id verify per request).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/api/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"identity":"%s","password":"%s"}',
  os.getenv("BENCH_ADMIN_USERNAME"), os.getenv("BENCH_ADMIN_PASSWORD"))
