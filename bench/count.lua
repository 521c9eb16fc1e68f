-- The requests wrk builds itself (its URL, -H headers), ended after a number of responses.
-- Arguments: the limit and flag file of counted.lua.
-- counted.lua sits beside this script, wherever wrk is started from.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local counted = require("counted")

function init(args)
  counted.init(args[1], args[2])
end

function response()
  counted.response()
end
