#!/usr/bin/ruby
# Debian's ruby-kubeclient against k1s, as a Ruby tool drives it: create
# (its objects carry no kind), get, list with a label selector, update,
# patch, delete, and a watch that sees another thread's changes, on the
# core group and on apps/v1. Usage: ruby_client.rb KUBECONFIG.
require 'kubeclient'

def check(cond, what)
  puts((cond ? 'ok   ' : 'FAIL ') + what)
  exit 1 unless cond
end

config = Kubeclient::Config.read(ARGV[0])
ctx = config.context
opts = { ssl_options: ctx.ssl_options, auth_options: ctx.auth_options }
core = Kubeclient::Client.new(ctx.api_endpoint + '/api', 'v1', **opts)
apps = Kubeclient::Client.new(ctx.api_endpoint + '/apis/apps', 'v1', **opts)
ns = 'rubyclient'

core.create_namespace(Kubeclient::Resource.new(metadata: { name: ns }))
cm = Kubeclient::Resource.new(metadata: { name: 'rb', namespace: ns, labels: { app: 'rb' } },
                              data: { 'a' => '1' })
created = core.create_config_map(cm)
check(created.metadata.name == 'rb' && created.kind == 'ConfigMap', 'create a ConfigMap')
got = core.get_config_map('rb', ns)
check(got.data.a == '1', 'get it back')
list = core.get_config_maps(namespace: ns, label_selector: 'app=rb')
check(list.size == 1 && list.first.metadata.name == 'rb', 'list with a label selector')
got.data.b = '2'
updated = core.update_config_map(got)
check(updated.data.b == '2', 'update (PUT with the resourceVersion read)')
patched = core.patch_config_map('rb', { data: { c: '3' } }, ns)
check(patched.data.c == '3' && patched.data.a == '1', 'strategic merge patch')
merged = core.merge_patch_config_map('rb', { data: { a: nil } }, ns)
check(merged.data.to_h.keys.sort == %i[b c], 'merge patch removes a key')

watcher = core.watch_config_maps(namespace: ns, resource_version: merged.metadata.resourceVersion)
seen = []
t = Thread.new do
  watcher.each do |notice|
    seen << [notice.type, notice.object.metadata.name]
    break if notice.type == 'DELETED'
  end
end
core.create_config_map(Kubeclient::Resource.new(metadata: { name: 'watched', namespace: ns }))
core.delete_config_map('watched', ns)
t.join(20)
watcher.finish
check(seen.include?(%w[ADDED watched]) && seen.include?(%w[DELETED watched]),
      "a watch sees the changes: #{seen}")

dep = Kubeclient::Resource.new(
  metadata: { name: 'web', namespace: ns },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } },
                      spec: { containers: [{ name: 'c', image: 'x' }] } } }
)
d = apps.create_deployment(dep)
check(d.kind == 'Deployment' && d.apiVersion == 'apps/v1', 'create a Deployment')
begin
  core.get_config_map('nope', ns)
  check(false, 'a missing object raises')
rescue Kubeclient::ResourceNotFoundError => e
  check(e.error_code == 404, 'a missing object is ResourceNotFoundError (404)')
end
core.delete_config_map('rb', ns)
core.delete_namespace(ns)
