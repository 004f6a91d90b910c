// @kubernetes/client-node (the newest major that runs on Debian 12's
// Node 20) against k1s: list, create from models without kind, the three
// patch types, and an Informer seeing a Deployment's pods come and go.
// Usage: node client.mjs KUBECONFIG (a cluster with a simulated or real kubelet).
import * as k8s from '@kubernetes/client-node';

function check(cond, what) {
    console.log((cond ? 'ok   ' : 'FAIL ') + what);
    if (!cond) process.exit(1);
}

async function until(what, fn, ms = 30000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (await fn()) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    check(false, 'timed out waiting for ' + what);
}

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const ns = 'nodeclient';

const nsl = await core.listNamespace();
check(nsl.items.some((n) => n.metadata.name === 'kube-system'), 'list namespaces');
const created = await core.createNamespace({ body: { metadata: { name: ns } } });
check(created.metadata.name === ns && created.kind === 'Namespace', 'createNamespace without kind');
await until('the default ServiceAccount', async () =>
    (await core.listNamespacedServiceAccount({ namespace: ns })).items.length > 0);
await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { a: '1' } } });

const patch = (body, type) =>
    core.patchNamespacedConfigMap({ name: 'cm', namespace: ns, body }, k8s.setHeaderOptions('Content-Type', type));
await patch([{ op: 'add', path: '/data/b', value: '2' }], k8s.PatchStrategy.JsonPatch);
await patch({ data: { c: '3' } }, k8s.PatchStrategy.MergePatch);
const p3 = await patch({ data: { d: '4' } }, k8s.PatchStrategy.StrategicMergePatch);
check(JSON.stringify(p3.data) === JSON.stringify({ a: '1', b: '2', c: '3', d: '4' }),
    'JSON, merge and strategic merge patches: ' + JSON.stringify(p3.data));

// an Informer on the namespace's pods sees a Deployment's pods come and go
const added = new Set(), deleted = new Set();
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/pods`,
    () => core.listNamespacedPod({ namespace: ns }));
informer.on('add', (p) => added.add(p.metadata.name));
informer.on('delete', (p) => deleted.add(p.metadata.name));
let stopping = false;
informer.on('error', (e) => { if (!stopping) console.log('informer error', e); });
await informer.start();
await apps.createNamespacedDeployment({
    namespace: ns, body: {
        metadata: { name: 'web' },
        spec: {
            replicas: 2, selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        },
    },
});
await until('2 pods added', () => added.size === 2);
check(added.size === 2, 'the Informer saw the 2 pods: ' + [...added].join(','));
await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas: 0 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
await until('the pods deleted', () => deleted.size === 2);
check([...added].every((n) => deleted.has(n)), 'and saw them go');
stopping = true;
await informer.stop();
try {
    await core.readNamespacedConfigMap({ name: 'nope', namespace: ns });
    check(false, 'a missing object throws');
} catch (e) {
    check(e.code === 404, 'a missing object is a 404 (' + e.code + ')');
}
await core.deleteNamespace({ name: ns });
