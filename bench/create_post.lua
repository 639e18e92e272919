-- POST /api/posts as the admin (BENCH_TOKEN): a published post whose title
-- carries the run tag, the wrk thread number and a per-request counter, so
-- every slug is new (no "-2", "-3" probing).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
track_statuses()

local counter, headers, tag = 0, nil, nil
function init(args)
  tag = os.getenv("BENCH_RUN_TAG") or "x"
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"title":"bench post %s %d %d","content":"Benchmark post %d from wrk thread %d: rust sqlite latency throughput.","published":true}',
    tag, tid, counter, counter, tid)
  return wrk.format("POST", "/api/posts", headers, body)
end
