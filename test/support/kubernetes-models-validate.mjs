// Validates Kubernetes objects with kubernetes-models (ES modules only, hence a process of its own;
// see test/support/kubernetes-manifests.ts). Reads a JSON array of objects on stdin and writes a
// JSON array of { problems: string[] }, one per object, to stdout.
import { text } from 'node:stream/consumers';

const objects = JSON.parse(await text(process.stdin));
const results = [];
for (const object of objects) {
  let model;
  try {
    model = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`))[object.kind];
  } catch {
    model = undefined;
  }
  if (!model) {
    results.push({ problems: [`no schema for apiVersion ${object.apiVersion} kind ${object.kind}`] });
    continue;
  }
  try {
    new model(object).validate();
    results.push({ problems: [] });
  } catch (error) {
    results.push({ problems: [error instanceof Error ? error.message : String(error)] });
  }
}
process.stdout.write(JSON.stringify(results));
