// Validate rendered custom resources against their CRD schemas (kubernetes-validate has none).
// Usage: node validate_crds.mjs NODE_MODULES_DIR < objects.json; prints one line per object,
// exits 1 when any is invalid. The models are ajv validators generated from the CRDs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = async (file, name) =>
  (await import(pathToFileURL(join(modules, "@kubernetes-models", file)).href))[name];
const models = {
  HTTPRoute: await load("gateway-api/gateway.networking.k8s.io/v1/HTTPRoute.js", "HTTPRoute"),
  ServiceMonitor: await load(
    "prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor.js",
    "ServiceMonitor",
  ),
};
// the example alerts in deploy/monitoring (tests/docs)
models.PrometheusRule = await load(
  "prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.js",
  "PrometheusRule",
);

for (const object of JSON.parse(readFileSync(0, "utf8"))) {
  const Model = models[object.kind];
  try {
    if (!Model) throw new Error(`no schema for ${object.kind}`);
    new Model(object).validate();
    console.log(`valid ${object.kind} ${object.metadata.name}`);
  } catch (error) {
    console.log(`invalid ${object.kind} ${object.metadata.name}: ${error.message}`);
    process.exitCode = 1;
  }
}
