-- Shared by every bench/*.lua script (loaded with dofile): at the end of a
-- wrk run, print one machine-readable line that bench/run parses.
-- Latencies are wrk's closed-loop figures, in microseconds.

local threads = {}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

-- Opt-in tally of status codes (costs a Lua call per response, so only the
-- write and mixed workloads use it). Each thread keeps "code=count,..." in
-- the global `codes`, which done() sums across threads.
function track_statuses()
  local tally = {}
  codes = ""
  function response(status, headers, body)
    tally[status] = (tally[status] or 0) + 1
    local parts = {}
    for k, v in pairs(tally) do table.insert(parts, k .. "=" .. v) end
    codes = table.concat(parts, ",")
  end
end

local function sum_statuses()
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("codes")
    if s then
      for k, v in string.gmatch(s, "(%d+)=(%d+)") do
        total[k] = (total[k] or 0) + tonumber(v)
      end
    end
  end
  local keys = {}
  for k in pairs(total) do table.insert(keys, k) end
  if #keys == 0 then return nil end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do table.insert(parts, k .. "x" .. total[k]) end
  return table.concat(parts, " ")
end

function thread_sum(name)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get(name) or 0) end
  return n
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
  local s = sum_statuses()
  if s then io.write("STATUSES " .. s .. "\n") end
  if extra_report then extra_report() end
end
