-- The wallet checkout path: POST /api/v1/appointments (a hold), then POST /api/v1/payments/checkout
-- {method: "wallet"} for each hold answered 201, by the same patient; holds and payments interleave.
-- Arguments: the pairs file ("<token> <slotId> <patientId>" per line), the 1-based line to start from,
-- and the limit and flag file of counted.lua.
-- counted.lua sits beside this script, wherever wrk is started from.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local counted = require("counted")
local list = {}
local tokens = {}
local payable = {}
local index = 1

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local token, slot, patient = line:match("^(%S+) (%S+) (%S+)$")
    if token then
      list[#list + 1] = { token, slot }
      tokens[patient] = token
    end
  end
  file:close()
  index = tonumber(args[2] or "1")
  counted.init(args[3], args[4])
end

function request()
  local due = table.remove(payable, 1)
  if due then
    return wrk.format("POST", "/api/v1/payments/checkout", {
      ["Authorization"] = "Bearer " .. due[1],
      ["Content-Type"] = "application/json",
    }, '{"appointmentId":"' .. due[2] .. '","method":"wallet"}')
  end
  local pair = list[index] or list[1]
  index = index + 1
  return wrk.format("POST", "/api/v1/appointments", {
    ["Authorization"] = "Bearer " .. pair[1],
    ["Content-Type"] = "application/json",
  }, '{"slotId":"' .. pair[2] .. '"}')
end

function response(status, headers, body)
  counted.response()
  if status == 201 then
    local id = body:match('"appointment":{"id":"([^"]+)"')
    local patient = body:match('"patientId":"([^"]+)"')
    if id and patient and tokens[patient] then payable[#payable + 1] = { tokens[patient], id } end
  end
end
