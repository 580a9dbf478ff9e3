-- (b) GET /api/v1/lists/{BENCH_LIST_ID}/tasks, authenticated (the 100-task list).
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(args)
  req = wrk.format("GET", "/api/v1/lists/" .. bench.env("BENCH_LIST_ID") .. "/tasks", bench.headers(false))
end

function request()
  return req
end
