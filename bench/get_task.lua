-- (a) GET /api/v1/tasks/{id}, authenticated, rotating over the ids in BENCH_IDS_FILE.
-- Also drives the baseline (which ignores the token) so both send identical requests.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local requests, n, i = {}, 0, 0

function init(args)
  local headers = bench.headers(false)
  for _, id in ipairs(bench.lines(bench.env("BENCH_IDS_FILE"))) do
    table.insert(requests, wrk.format("GET", "/api/v1/tasks/" .. id, headers))
  end
  n = #requests
  i = (thread_index or 0) * 37 % n
end

function request()
  i = i % n + 1
  return requests[i]
end
