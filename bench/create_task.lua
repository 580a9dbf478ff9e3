-- (c) POST /api/v1/lists/{BENCH_LIST_ID}/tasks, authenticated (into the list kept for writes).
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(args)
  local body = '{"title":"Benchmark write","description":"Created by the benchmark",' ..
    '"priority":"high","categories":["bench","write"],"dueDate":"2026-01-15T10:00:00Z"}'
  req = wrk.format("POST", "/api/v1/lists/" .. bench.env("BENCH_LIST_ID") .. "/tasks",
    bench.headers(true), body)
end

function request()
  return req
end
