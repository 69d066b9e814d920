// Validate rendered custom resources against their CRD schemas (kubernetes-validate has none).
// Usage: node validate_crds.mjs NODE_MODULES_DIR < objects.json; prints one line per object,
// exits 1 when any is invalid. The models are ajv validators generated from the CRDs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = async (file, name) => {
  const module = await import(pathToFileURL(join(modules, "@kubernetes-models", file)).href);
  return module[name] ?? module.default[name]; // CommonJS modules (gke) export through default
};
const models = {
  HTTPRoute: await load("gateway-api/gateway.networking.k8s.io/v1/HTTPRoute.js", "HTTPRoute"),
  ServiceMonitor: await load(
    "prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor.js",
    "ServiceMonitor",
  ),
};
// GKE's own kinds, each from the module of its apiVersion
for (const [version, kind] of [
  ["networking.gke.io/v1", "ManagedCertificate"],
  ["networking.gke.io/v1beta1", "FrontendConfig"],
  ["cloud.google.com/v1", "BackendConfig"],
  ["networking.gke.io/v1", "GCPBackendPolicy"],
  ["networking.gke.io/v1", "HealthCheckPolicy"],
]) {
  models[kind] = await load(`gke/${version}/${kind}.js`, kind);
}
// the example alerts in deploy/monitoring (tests/docs)
models.PrometheusRule = await load(
  "prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.js",
  "PrometheusRule",
);

for (const object of JSON.parse(readFileSync(0, "utf8"))) {
  const Model = models[object.kind];
  try {
    if (!Model) throw new Error(`no schema for ${object.kind}`);
    if (Model.apiVersion !== object.apiVersion) {
      throw new Error(`apiVersion ${object.apiVersion}, the schema is for ${Model.apiVersion}`);
    }
    new Model(object).validate();
    console.log(`valid ${object.kind} ${object.metadata.name}`);
  } catch (error) {
    console.log(`invalid ${object.kind} ${object.metadata.name}: ${error.message}`);
    process.exitCode = 1;
  }
}
