-- wrk script: durable POST /api/v1/BatchTask with Basic authentication.
-- Usage: wrk -t2 -c64 -d10s -s bench/post-batchtask.lua http://127.0.0.1:8080
-- Credentials come from SOBATCH_BENCH_USER / SOBATCH_BENCH_PASSWORD (default admin / bench).
local user = os.getenv("SOBATCH_BENCH_USER") or "admin"
local password = os.getenv("SOBATCH_BENCH_PASSWORD") or "bench"

local function base64(data)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((data:gsub(".", function(x)
    local bits, byte = "", x:byte()
    for i = 8, 1, -1 do bits = bits .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

wrk.method = "POST"
wrk.path = "/api/v1/BatchTask"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. base64(user .. ":" .. password)
wrk.body = '{"Name":"BenchWaiting","Description":"load test","ParameterObject":{"k":"v"}}'

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
