-- POST /api/v1/appointments with a different (patient token, slot) pair and Idempotency-Key on every request.
-- Arguments: the pairs file ("<token> <slotId>" per line), the 1-based line to start from, and the
-- limit and flag file of counted.lua.
-- counted.lua sits beside this script, wherever wrk is started from.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local counted = require("counted")
local list = {}
local index = 1

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local token, slot = line:match("^(%S+) (%S+)$")
    if token then list[#list + 1] = { token, slot } end
  end
  file:close()
  index = tonumber(args[2] or "1")
  counted.init(args[3], args[4])
end

function request()
  -- Past the end the pairs repeat; a repeat is a 409, which the runner reports as a spoiled run.
  local pair = list[index] or list[1]
  local key = "bench-" .. index
  index = index + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. pair[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, '{"slotId":"' .. pair[2] .. '"}')
end

function response()
  counted.response()
end
