-- wrk script for the creates/s benchmark (bench/b_create.py): every request
-- POSTs a new ConfigMap whose name is unique across threads (thread number
-- plus a per-thread counter), so each one is a real insert, never a 409.
-- Usage: wrk ... -s bench/post.lua URL -- /api/v1/namespaces/NS/configmaps PREFIX

local thread_count = 0

function setup(thread)
   -- runs in the main state: hand each thread its number
   thread:set("thread_no", thread_count)
   thread_count = thread_count + 1
end

-- wrk also calls request() once on thread 0's state to check the script, so
-- that thread's names start at 2; every name is still used once.
local path = "/api/v1/namespaces/default/configmaps"
local prefix = "bench"
local sent = 0

function init(args)
   if args[1] then path = args[1] end
   if args[2] then prefix = args[2] end
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   sent = sent + 1
   local name = string.format("%s-%d-%d", prefix, thread_no, sent)
   local body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' ..
      name .. '","labels":{"app":"bench"}},"data":{"key":"value","config.yaml":' ..
      '"replicas: 3\\nimage: nginx:1.25\\nport: 8080\\n"}}'
   return wrk.format("POST", path, nil, body)
end
