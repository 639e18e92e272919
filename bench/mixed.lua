-- Mixed load, chosen per request: 90 % anonymous reads (half
-- GET /api/posts/{id} for a random id from BENCH_IDS, half
-- GET /api/posts?limit=20) and 10 % writes (POST /api/posts as the admin,
-- BENCH_TOKEN). Reads and writes issued and the status codes are reported.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
track_statuses()

local ids, read_headers, post_headers, tag
local counter = 0
reads, writes = 0, 0

function init(args)
  ids = {}
  for id in string.gmatch(os.getenv("BENCH_IDS"), "[^,]+") do table.insert(ids, id) end
  tag = os.getenv("BENCH_RUN_TAG") or "x"
  post_headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
  math.randomseed(tid * 7919 + os.time())
end

function request()
  local r = math.random(100)
  if r <= 10 then
    counter = counter + 1
    writes = writes + 1
    local body = string.format(
      '{"title":"mixed post %s %d %d","content":"Mixed load post %d from wrk thread %d: rust cache cursor.","published":true}',
      tag, tid, counter, counter, tid)
    return wrk.format("POST", "/api/posts", post_headers, body)
  end
  reads = reads + 1
  if r <= 55 then
    return wrk.format("GET", "/api/posts/" .. ids[math.random(#ids)])
  end
  return wrk.format("GET", "/api/posts?limit=20")
end

function extra_report()
  io.write(string.format("MIXED reads=%d writes=%d\n", thread_sum("reads"), thread_sum("writes")))
end
