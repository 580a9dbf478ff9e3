-- (e) POST /api/v1/auth/login with BENCH_USERNAME / BENCH_PASSWORD (a correct password: each
-- request runs one full Argon2id verification). Also the login storm of scenario (g).
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(args)
  local body = string.format('{"username":"%s","password":"%s"}',
    bench.env("BENCH_USERNAME"), bench.env("BENCH_PASSWORD"))
  req = wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" }, body)
end

function request()
  return req
end
