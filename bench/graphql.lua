-- (f) POST /graphql, authenticated as the owner of the 20 lists of 20 tasks.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(args)
  local body = '{"query":"{ lists { id title taskCount tasks(limit: 20) { id title completed priority } } }"}'
  req = wrk.format("POST", "/graphql", bench.headers(true), body)
end

function request()
  return req
end

bench.count_graphql_errors()
