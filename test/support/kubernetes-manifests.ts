import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
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

/** The kustomize the manifests are rendered with (`kubectl kustomize` v1.32 embeds the same). */
const KUSTOMIZE_MODULE = 'sigs.k8s.io/kustomize/kustomize/v5@v5.5.0';

/**
 * A kustomize binary: `$KUSTOMIZE`, else one on the PATH, else one built from the Go module proxy
 * into the project's cache (`$PRIVACY_RELAY_CACHE`, as infra builds FerretDB; once per machine,
 * a minute or two), so a fresh clone renders with the real tool and no download from GitHub.
 */
export function kustomizeBinary(): string {
  if (process.env.KUSTOMIZE) return process.env.KUSTOMIZE;
  const onPath = spawnSync('kustomize', ['version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.includes('v5.')) return 'kustomize';
  const cache = process.env.PRIVACY_RELAY_CACHE || join(homedir(), '.cache', 'privacy-relay');
  const bin = join(cache, 'kustomize-v5.5.0', 'bin');
  const binary = join(bin, 'kustomize');
  if (!existsSync(binary)) {
    const built = spawnSync('go', ['install', KUSTOMIZE_MODULE], {
      encoding: 'utf8',
      env: { ...process.env, GOBIN: bin, GOFLAGS: '-modcacherw' },
      timeout: 15 * 60_000,
    });
    if (built.status !== 0) {
      throw new Error(
        `kustomize is needed to render deploy/k8s and could not be built (go install ${KUSTOMIZE_MODULE}): ${built.error?.message ?? built.stderr}`,
      );
    }
  }
  return binary;
}

/** Renders a kustomization with kustomize (`kustomize build`): every object, as applied. */
export function renderKustomization(directory: string): ManifestEntry[] {
  const output = execFileSync(kustomizeBinary(), ['build', directory], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const source = relative(repositoryRoot, directory);
  return parseAllDocuments(output).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map((e) => e.message).join('; ')}`);
    const object = document.toJS() as KubeObject | null;
    return object ? [{ source, object }] : [];
  });
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
