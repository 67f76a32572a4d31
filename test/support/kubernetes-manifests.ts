import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object as written in a manifest (plain data, as parsed from YAML). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
};

/** An object and where it came from (a file, or a rendered kustomization), for messages. */
export interface ManifestEntry {
  source: string;
  object: KubeObject;
}

export const repositoryRoot = join(__dirname, '..', '..');

/** Every document of a YAML file; a syntax error or a duplicate key fails here. */
export function loadManifestFile(file: string): ManifestEntry[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  return documents.flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
    const object = document.toJS() as KubeObject | null;
    return object ? [{ source: relative(repositoryRoot, file), object }] : [];
  });
}

const SUPPORTED_KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path?: string }[];
}

/**
 * Renders a kustomization the way `kustomize build` does, for the few features this repository's
 * kustomizations use (resources, namespace, images, strategic-merge patches of maps). CI has no
 * kustomize binary (only package registries are reachable); anything beyond this subset fails
 * loudly here instead of being rendered wrong. Checked locally against `kubectl kustomize`.
 */
export function renderKustomization(directory: string): ManifestEntry[] {
  const file = join(directory, 'kustomization.yaml');
  const [document] = loadManifestFile(file);
  const kustomization = document?.object as unknown as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_KUSTOMIZATION_FIELDS.has(key));
  if (unsupported.length > 0) {
    throw new Error(
      `${file}: ${unsupported.join(', ')} not supported by this renderer (extend it, or render with kustomize)`,
    );
  }
  const source = relative(repositoryRoot, directory);
  let entries: ManifestEntry[] = (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(directory, resource);
    return statSync(path).isDirectory() ? renderKustomization(path) : loadManifestFile(path);
  });
  for (const patch of kustomization.patches ?? []) {
    if (!patch.path) throw new Error(`${file}: only patches given by path are supported`);
    for (const { object: change } of loadManifestFile(join(directory, patch.path))) {
      const target = entries.find(
        ({ object }) =>
          object.apiVersion === change.apiVersion &&
          object.kind === change.kind &&
          object.metadata.name === change.metadata.name,
      );
      if (!target)
        throw new Error(
          `${file}: patch ${patch.path} targets ${change.kind}/${change.metadata.name}, not in the resources`,
        );
      target.object = mergeMaps(target.object, change, `${patch.path}:`) as KubeObject;
    }
  }
  entries = entries.map(({ object }) => {
    let rendered: KubeObject = structuredClone(object);
    if (kustomization.namespace) rendered.metadata = { ...rendered.metadata, namespace: kustomization.namespace };
    for (const image of kustomization.images ?? []) rendered = setImage(rendered, image);
    return { source, object: rendered };
  });
  return entries;
}

/** A strategic merge patch restricted to maps: a list in a patch (merged by key in kustomize) is refused. */
function mergeMaps(base: unknown, patch: unknown, path: string): unknown {
  if (Array.isArray(patch)) throw new Error(`${path} a list in a patch is not supported by this renderer`);
  if (patch === null || typeof patch !== 'object') return patch;
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) merged[key] = mergeMaps(merged[key], value, `${path}.${key}`);
  return merged;
}

function setImage(object: KubeObject, image: { name: string; newName?: string; newTag?: string }): KubeObject {
  for (const container of podContainers(object)) {
    const [name, tag] = splitImage(container.image);
    if (name !== image.name) continue;
    container.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
  }
  return object;
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

/** The fields of a container the checks read. */
export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
}

/** The fields of a pod spec the checks read. */
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }[];
}

/** The pod template of a workload (Deployment, CronJob), or undefined for other kinds. */
export function podSpecOf(object: KubeObject): PodSpec | undefined {
  const spec = object.spec as
    { template?: { spec: PodSpec }; jobTemplate?: { spec: { template: { spec: PodSpec } } } } | undefined;
  if (object.kind === 'Deployment') return spec?.template?.spec;
  if (object.kind === 'CronJob') return spec?.jobTemplate?.spec.template.spec;
  return undefined;
}

function podContainers(object: KubeObject): Container[] {
  return podSpecOf(object)?.containers ?? [];
}

/**
 * Structural check against the Kubernetes API types of `kubernetes-models` (its TypeScript
 * definitions, generated from the Kubernetes OpenAPI): each object is type-checked as an object
 * literal of its kind's interface, so an unknown field anywhere (`kubectl --validate=strict`'s
 * check), a wrong type or a missing required field is an error. Returns the problems per entry index.
 */
export function typeCheckManifests(objects: readonly KubeObject[]): string[][] {
  const fileName = join(repositoryRoot, 'deploy', 'k8s', '__type-check__.ts');
  const ranges: { start: number; end: number }[] = [];
  let text = '';
  objects.forEach((object, index) => {
    const start = text.length;
    const type = `import('kubernetes-models/${object.apiVersion}/${object.kind}').I${object.kind}`;
    text += `export const object${index}: ${type} = ${JSON.stringify(object, null, 1)};\n`;
    ranges.push({ start, end: text.length });
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, text, languageVersion)
      : getSourceFile(name, languageVersion, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const problems: string[][] = objects.map(() => []);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    const index = ranges.findIndex(
      ({ start, end }) => (diagnostic.start ?? -1) >= start && (diagnostic.start ?? -1) < end,
    );
    if (index < 0) throw new Error(`type check: ${message}`);
    problems[index]?.push(message);
  }
  return problems;
}

/**
 * Schema check with the validators `kubernetes-models` compiles from the Kubernetes OpenAPI
 * (formats such as quantities, enums, patterns, types). The package is ES modules only, which
 * jest's CommonJS runtime cannot load, so it runs in a Node child process. Returns the problems
 * per object (an unknown apiVersion/kind is one).
 */
export function validateWithKubernetesModels(objects: readonly KubeObject[]): string[][] {
  const output = execFileSync(process.execPath, [join(__dirname, 'kubernetes-models-validate.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    cwd: dirname(__dirname),
  });
  return (JSON.parse(output) as { problems: string[] }[]).map((result) => result.problems);
}
