-- GET <path><w1>+<w2> with a random pair of distinct words from
-- BENCH_VOCAB (space-separated) per request, so no one query string repeats
-- for a cache to answer. BENCH_PAIR_PATH is the path with its query
-- parameter, e.g. "/api/search?q=".
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local words = {}
for w in string.gmatch(os.getenv("BENCH_VOCAB") or "", "%S+") do
  table.insert(words, w)
end
local path = os.getenv("BENCH_PAIR_PATH") or "/api/search?q="

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local i = math.random(#words)
  local j = math.random(#words - 1)
  if j >= i then j = j + 1 end
  return wrk.format("GET", path .. words[i] .. "+" .. words[j])
end
