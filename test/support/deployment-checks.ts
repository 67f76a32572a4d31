import type { ConfigSpec } from '@privacy-relay/shared/config';
import type { Container, KubeObject, ManifestEntry, PodSpec, Probe } from './kubernetes-manifests';
import { podSpecOf } from './kubernetes-manifests';

/** Read by the AWS SDK itself (credential chain), not by a config spec. */
export const AWS_SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);

/** Kept in Secrets although their spec does not flag them: a MongoDB URI may carry a password. */
export const ALSO_SECRET = new Set(['MONGODB_URI']);

/** An HTTP listener a service opens: which variables bind it and what it serves. */
export interface Listener {
  hostVariable: string;
  portVariable: string;
  /** Whether the path answers (not 404) on this listener. */
  serves(path: string): Promise<boolean>;
}

/** What the checks know about a service: its config spec and its HTTP listeners. */
export interface ServiceModel {
  spec: ConfigSpec;
  listeners: readonly Listener[];
}

/** Where a container's variable comes from. */
type Source = { from: 'value' | 'configmap'; value: string } | { from: 'secret' };

export function findObject(entries: readonly ManifestEntry[], kind: string, name: string): KubeObject | undefined {
  return entries.find(({ object }) => object.kind === kind && object.metadata.name === name)?.object;
}

/** Every variable a container sets, with its source (ConfigMaps named by envFrom are read from `entries`). */
export function environmentOf(container: Container, entries: readonly ManifestEntry[]): Map<string, Source> {
  const variables = new Map<string, Source>();
  for (const from of container.envFrom ?? []) {
    if (from.secretRef)
      throw new Error(`${container.name}: envFrom a Secret hides which variables it sets; use secretKeyRef`);
    const name = from.configMapRef?.name ?? '';
    const configMap = findObject(entries, 'ConfigMap', name) as { data?: Record<string, string> } | undefined;
    if (!configMap) throw new Error(`${container.name}: envFrom ConfigMap ${name} is not among the manifests`);
    for (const [key, value] of Object.entries(configMap.data ?? {})) variables.set(key, { from: 'configmap', value });
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.secretKeyRef) variables.set(variable.name, { from: 'secret' });
    else variables.set(variable.name, { from: 'value', value: variable.value ?? '' });
  }
  return variables;
}

/** The value a service sees: set in the manifests, else the spec's default (secrets: unknown here). */
function effectiveValue(spec: ConfigSpec, variables: Map<string, Source>, name: string): string | undefined {
  const source = variables.get(name);
  if (source && source.from !== 'secret' && source.value.trim() !== '') return source.value.trim();
  return Object.values(spec).find((variable) => variable.env === name)?.default;
}

function containerPort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/**
 * Our own rules for the Deployment of each service (by container name): its variables exist in
 * the service's config spec and parse there, required ones are set, secrets come from Secrets, its
 * listeners bind the pod's address on the container's ports, its probes reach real paths on them,
 * and its grace period covers the graceful stop. Returns the problems found (none: empty).
 */
export async function checkServiceDeployments(
  entries: readonly ManifestEntry[],
  services: Readonly<Record<string, ServiceModel>>,
): Promise<string[]> {
  const problems: string[] = [];
  const deployments = entries.filter(({ object }) => object.kind === 'Deployment');
  for (const [serviceName, service] of Object.entries(services)) {
    const found = deployments.flatMap(({ source, object }) =>
      (podSpecOf(object)?.containers ?? [])
        .filter((container) => container.name === serviceName)
        .map((container) => ({ source, object, container, pod: podSpecOf(object) as PodSpec })),
    );
    if (found.length === 0) problems.push(`no Deployment runs a container named ${serviceName}`);
    for (const { source, object, container, pod } of found) {
      const where = `${source} Deployment/${object.metadata.name} container ${container.name}`;
      const variables = environmentOf(container, entries);
      const specByName = new Map(Object.values(service.spec).map((variable) => [variable.env, variable]));
      for (const [name, variableSource] of variables) {
        const variable = specByName.get(name);
        if (!variable) {
          if (!AWS_SDK_VARIABLES.has(name)) problems.push(`${where}: ${name} is not in the service's config spec`);
          continue;
        }
        const secret = variable.secret === true || ALSO_SECRET.has(name);
        if (secret && variableSource.from !== 'secret')
          problems.push(`${where}: ${name} is secret but not from a Secret`);
        if (!secret && variableSource.from === 'secret')
          problems.push(`${where}: ${name} is not secret; set it in a ConfigMap`);
        if (variableSource.from !== 'secret') {
          const value = variableSource.value.trim() === '' ? variable.default : variableSource.value.trim();
          const parsed = variable.schema.safeParse(value);
          if (!parsed.success)
            problems.push(`${where}: ${name}=${JSON.stringify(value)} is refused by the config spec`);
        }
      }
      for (const variable of specByName.values()) {
        const required = variable.default === undefined && !variable.schema.safeParse(undefined).success;
        if (required && !variables.has(variable.env)) problems.push(`${where}: required ${variable.env} is not set`);
      }
      // Listeners: bound to the pod's address, on a declared container port.
      const listenerPorts = new Map<number, Listener>();
      for (const listener of service.listeners) {
        const host = effectiveValue(service.spec, variables, listener.hostVariable);
        if (host !== '0.0.0.0' && host !== '::') {
          problems.push(
            `${where}: ${listener.hostVariable}=${host ?? '(unset)'} is unreachable from outside the pod (bind 0.0.0.0)`,
          );
        }
        const port = Number(effectiveValue(service.spec, variables, listener.portVariable));
        if (!container.ports?.some((declared) => declared.containerPort === port)) {
          problems.push(`${where}: ${listener.portVariable}=${port} is not a declared container port`);
        }
        listenerPorts.set(port, listener);
      }
      const probes: [string, Probe | undefined, string][] = [
        ['startupProbe', container.startupProbe, '/healthz'],
        ['livenessProbe', container.livenessProbe, '/healthz'],
        ['readinessProbe', container.readinessProbe, '/readyz'],
      ];
      for (const [kind, probe, expectedPath] of probes) {
        if (!probe?.httpGet) {
          problems.push(`${where}: no ${kind} over HTTP`);
          continue;
        }
        if (probe.httpGet.path !== expectedPath)
          problems.push(`${where}: ${kind} asks ${probe.httpGet.path}, not ${expectedPath}`);
        const port = containerPort(container, probe.httpGet.port);
        const listener = port === undefined ? undefined : listenerPorts.get(port);
        if (!listener) problems.push(`${where}: ${kind} port ${probe.httpGet.port} is no port the service listens on`);
        else if (!(await listener.serves(probe.httpGet.path))) {
          problems.push(`${where}: ${kind} path ${probe.httpGet.path} is not served on port ${port}`);
        }
      }
      // Graceful stop: the preStop pause and SHUTDOWN_TIMEOUT_MS fit in the grace period.
      const shutdownMs = Number(effectiveValue(service.spec, variables, 'SHUTDOWN_TIMEOUT_MS'));
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (grace < preStop + shutdownMs / 1000 + 5) {
        problems.push(
          `${where}: terminationGracePeriodSeconds ${grace} < preStop ${preStop} s + SHUTDOWN_TIMEOUT_MS ${shutdownMs} ms + 5 s`,
        );
      }
    }
  }
  return problems;
}

/** Every workload: resource requests and a memory limit, non-root, read-only root, no capabilities. */
export function checkWorkloads(entries: readonly ManifestEntry[]): string[] {
  const problems: string[] = [];
  for (const { source, object } of entries) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const where = `${source} ${object.kind}/${object.metadata.name}`;
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod not runAsNonRoot`);
    for (const container of pod.containers) {
      const at = `${where} container ${container.name}`;
      const { requests = {}, limits = {} } = container.resources ?? {};
      if (!requests.cpu || !requests.memory) problems.push(`${at}: no cpu and memory requests`);
      if (!limits.memory) problems.push(`${at}: no memory limit`);
      const security = container.securityContext;
      if (security?.allowPrivilegeEscalation !== false) problems.push(`${at}: privilege escalation allowed`);
      if (security?.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem writable`);
      if (!security?.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities not dropped`);
    }
  }
  return problems;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function podsOf(entries: readonly ManifestEntry[]): { name: string; labels: Record<string, string>; pod: PodSpec }[] {
  return entries.flatMap(({ object }) => {
    if (object.kind !== 'Deployment') return [];
    const template = (object.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } })
      .template;
    return [{ name: object.metadata.name, labels: template.metadata.labels, pod: template.spec }];
  });
}

/** Services, PodDisruptionBudgets and NetworkPolicies select a Deployment's pods and name their ports. */
export function checkSelectors(entries: readonly ManifestEntry[]): string[] {
  const problems: string[] = [];
  const pods = podsOf(entries);
  const portNames = (pod: PodSpec) => new Set(pod.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
  for (const { source, object } of entries) {
    const where = `${source} ${object.kind}/${object.metadata.name}`;
    const spec = object.spec as Record<string, unknown>;
    if (object.kind === 'Service') {
      const selected = pods.filter((p) => matches(spec.selector as Record<string, string>, p.labels));
      if (selected.length === 0) problems.push(`${where}: selects no Deployment's pods`);
      for (const port of spec.ports as { targetPort?: string | number }[]) {
        if (
          typeof port.targetPort === 'string' &&
          !selected.some((p) => portNames(p.pod).has(port.targetPort as string))
        ) {
          problems.push(`${where}: targetPort ${port.targetPort} is no container port of the selected pods`);
        }
      }
    }
    if (object.kind === 'PodDisruptionBudget' || object.kind === 'NetworkPolicy') {
      const selector = (spec.selector ?? spec.podSelector) as { matchLabels?: Record<string, string> };
      const selected = pods.filter((p) => matches(selector.matchLabels, p.labels));
      if (selected.length === 0) problems.push(`${where}: selects no Deployment's pods`);
      for (const rule of (spec.ingress ?? []) as { ports?: { port?: string | number }[] }[]) {
        for (const { port } of rule.ports ?? []) {
          if (typeof port === 'string' && !selected.some((p) => portNames(p.pod).has(port))) {
            problems.push(`${where}: port ${port} is no container port of the selected pods`);
          }
        }
      }
    }
    const pod = podSpecOf(object);
    for (const volume of pod?.volumes ?? []) {
      const claim = volume.persistentVolumeClaim?.claimName;
      if (claim && !findObject(entries, 'PersistentVolumeClaim', claim)) {
        problems.push(`${where}: volume ${volume.name} claims ${claim}, not among the manifests`);
      }
    }
  }
  return problems;
}

/** The evidence directory is a shared (ReadWriteMany), writable volume of the relay. */
export function checkEvidenceVolume(entries: readonly ManifestEntry[]): string[] {
  const problems: string[] = [];
  for (const { source, object } of entries) {
    const pod = podSpecOf(object);
    const container = pod?.containers.find((c) => c.name === 'relay');
    if (!pod || !container) continue;
    const where = `${source} ${object.kind}/${object.metadata.name}`;
    const directory = environmentOf(container, entries).get('RELAY_EVIDENCE_DIR');
    const path = directory && directory.from !== 'secret' ? directory.value : undefined;
    const mount = container.volumeMounts?.find((m) => m.mountPath === path);
    const claimName = pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
    const claim = claimName ? findObject(entries, 'PersistentVolumeClaim', claimName) : undefined;
    if (!mount || mount.readOnly || !claim) {
      problems.push(`${where}: RELAY_EVIDENCE_DIR (${path}) is not a writable mount of a PersistentVolumeClaim`);
    } else if (!((claim.spec as { accessModes?: string[] }).accessModes ?? []).includes('ReadWriteMany')) {
      problems.push(`${where}: the evidence claim ${claimName} is not ReadWriteMany (every relay instance shares it)`);
    }
  }
  return problems;
}
