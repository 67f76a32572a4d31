import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createHttpServer } from '@privacy-relay/shared/http';
import { createLogger } from '@privacy-relay/shared/logger';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import {
  ALSO_SECRET,
  AWS_SDK_VARIABLES,
  checkEvidenceVolume,
  checkSelectors,
  checkServiceDeployments,
  checkWorkloads,
  environmentOf,
  findObject,
  type ServiceModel,
} from '../support/deployment-checks';
import {
  type Container,
  type KubeObject,
  type ManifestEntry,
  podSpecOf,
  renderKustomization,
  repositoryRoot,
  typeCheckManifests,
  validateWithKubernetesModels,
} from '../support/kubernetes-manifests';

const k8s = join(repositoryRoot, 'deploy', 'k8s');
const base = renderKustomization(join(k8s, 'base'));
const example = renderKustomization(join(k8s, 'overlays', 'example'));
const renders: [string, ManifestEntry[]][] = [
  ['the base', base],
  ['the example overlay', example],
];

/** A copy of a render with one change to one object. */
function changed(entries: ManifestEntry[], kind: string, name: string, change: (object: KubeObject) => void) {
  const copy = structuredClone(entries);
  const target = findObject(copy, kind, name);
  if (!target) throw new Error(`${kind}/${name} not in the render`);
  change(target);
  return copy;
}

function containerOf(object: KubeObject, name: string): Container {
  const container = podSpecOf(object)?.containers.find((c) => c.name === name);
  if (!container) throw new Error(`no container ${name}`);
  return container;
}

// Objects the schema checks must refuse, checked in the same run as the real ones.
const intakeDeployment = findObject(base, 'Deployment', 'intake') as KubeObject;
const mutants: Record<string, KubeObject> = {
  'an unknown field in a probe': (() => {
    const copy = structuredClone(intakeDeployment);
    (containerOf(copy, 'intake').livenessProbe as Record<string, unknown>).timeoutSecond = 3;
    return copy;
  })(),
  'replicas as a string': (() => {
    const copy = structuredClone(intakeDeployment);
    (copy.spec as Record<string, unknown>).replicas = 'two';
    return copy;
  })(),
  'a cpu request that is no quantity': (() => {
    const copy = structuredClone(intakeDeployment);
    containerOf(copy, 'intake').resources = { requests: { cpu: 'a lot', memory: '1Gi' } };
    return copy;
  })(),
};

describe('The Kubernetes manifests (deploy/k8s), checked against the Kubernetes schema', () => {
  const objects = [...base, ...example].map((entry) => entry.object);
  const all = [...objects, ...Object.values(mutants)];
  let validation: string[][];
  let typeCheck: string[][];
  // A TypeScript program over kubernetes-models' types: a few seconds, more on a busy machine.
  beforeAll(() => {
    validation = validateWithKubernetesModels(all);
    typeCheck = typeCheckManifests(all);
  }, 60_000);
  const label = (index: number) => {
    const { source, object } = [...base, ...example][index] as ManifestEntry;
    return `${source} ${object.kind}/${object.metadata.name}`;
  };

  it('When the base and the example overlay are rendered, then they hold both services and their companions', () => {
    const kinds = (entries: ManifestEntry[]) => entries.map(({ object }) => `${object.kind}/${object.metadata.name}`);
    for (const entries of [base, example]) {
      expect(kinds(entries)).toEqual(
        expect.arrayContaining([
          'Deployment/intake',
          'Deployment/relay',
          'Service/intake',
          'Service/relay',
          'PodDisruptionBudget/intake',
          'PodDisruptionBudget/relay',
          'NetworkPolicy/intake',
          'NetworkPolicy/relay',
          'PersistentVolumeClaim/relay-evidence',
          'ConfigMap/privacy-relay-common',
          'ConfigMap/intake-config',
          'ConfigMap/relay-config',
        ]),
      );
    }
    expect(example.every(({ object }) => object.metadata.namespace === 'privacy-relay')).toBe(true);
  });

  it("When every object is validated with kubernetes-models' schema validators, then none has a problem", () => {
    const problems = objects.flatMap((_, index) => (validation[index] ?? []).map((p) => `${label(index)}: ${p}`));
    expect(problems).toEqual([]);
  });

  it("When every object is type-checked against kubernetes-models' API types, then none has an unknown field or a wrong type", () => {
    const problems = objects.flatMap((_, index) => (typeCheck[index] ?? []).map((p) => `${label(index)}: ${p}`));
    expect(problems).toEqual([]);
  });

  const problemsOf = (name: string) => {
    const index = objects.length + Object.keys(mutants).indexOf(name);
    return { schema: validation[index] ?? [], types: typeCheck[index] ?? [] };
  };

  it('When a probe has an unknown field, then the type check refuses it', () => {
    expect(problemsOf('an unknown field in a probe').types.join('\n')).toMatch(
      /'"timeoutSecond"' does not exist in type 'IProbe'/,
    );
  });

  it('When replicas is a string, then both the schema validation and the type check refuse it', () => {
    const { schema, types } = problemsOf('replicas as a string');
    expect(schema.join('\n')).toMatch(/spec\/replicas must be integer/);
    expect(types.join('\n')).toMatch(/not assignable to type 'number'/);
  });

  it('When a cpu request is no quantity, then the schema validation refuses it', () => {
    expect(problemsOf('a cpu request that is no quantity').schema.join('\n')).toMatch(
      /requests\/cpu must match format "quantity"/,
    );
  });
});

describe('The Kubernetes manifests (deploy/k8s), checked against the services', () => {
  const logger = createLogger({ name: 'k8s-manifests-test', level: 'silent' });
  const servers: FastifyInstance[] = [];
  /** The HTTP listener the services build (shared ServiceRuntime), to ask which paths it serves. */
  const listener = (hostVariable: string, portVariable: string, exposure: 'public' | 'internal') => {
    const server = createHttpServer({ logger, metrics: new Registry(), readiness: [], exposure });
    servers.push(server);
    let address: Promise<string> | undefined;
    return {
      hostVariable,
      portVariable,
      serves: async (path: string) => {
        address ??= server.listen({ host: '127.0.0.1', port: 0 });
        return (await fetch(`${await address}${path}`)).status !== 404;
      },
    };
  };
  // As wired in services/intake/src/intake-service.ts and services/relay/src/relay-service.ts:
  // intake's main port is public, its admin listener internal; the relay has one internal port.
  const services: Record<string, ServiceModel> = {
    intake: {
      spec: intakeConfigSpec,
      listeners: [
        listener('INTAKE_HOST', 'INTAKE_PORT', 'public'),
        listener('INTAKE_ADMIN_HOST', 'INTAKE_ADMIN_PORT', 'internal'),
      ],
    },
    relay: { spec: relayConfigSpec, listeners: [listener('RELAY_HOST', 'RELAY_PORT', 'internal')] },
  };
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  describe.each(renders)('%s', (_name, entries) => {
    it("When each service's Deployment is read, then its variables, listeners, probes and grace period agree with the service", async () => {
      expect(await checkServiceDeployments(entries, services)).toEqual([]);
    });

    it('When every workload is read, then each has resource requests, a memory limit and a locked-down security context', () => {
      expect(checkWorkloads(entries)).toEqual([]);
    });

    it('When Services, budgets, policies and volumes are read, then each selects pods and ports that exist', () => {
      expect(checkSelectors(entries)).toEqual([]);
    });

    it('When the relay is read, then its evidence directory is a shared writable volume', () => {
      expect(checkEvidenceVolume(entries)).toEqual([]);
    });
  });

  it('When the example overlay is rendered, then every image has a fixed tag', () => {
    const images = example.flatMap(({ object }) => (podSpecOf(object)?.containers ?? []).map((c) => c.image));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/:(?!latest$)[\w.-]+$|@sha256:/);
  });

  // Each own check seen failing on a broken copy of the base.
  it('When a Deployment sets a variable the service does not read, then the check names it', async () => {
    const broken = changed(base, 'Deployment', 'intake', (object) =>
      containerOf(object, 'intake').env?.push({ name: 'INTAKE_PORTT', value: '3000' }),
    );
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/INTAKE_PORTT is not in the service's config spec/),
    ]);
  });

  it('When a ConfigMap value is one the config spec refuses, then the check names it', async () => {
    const broken = changed(base, 'ConfigMap', 'intake-config', (object) => {
      (object.data as Record<string, string>).INTAKE_MAIL_RATE_PER_SECOND = 'seven';
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/INTAKE_MAIL_RATE_PER_SECOND="seven" is refused by the config spec/),
    ]);
  });

  it('When the relay keeps its default bind address, then the check says it is unreachable', async () => {
    const broken = changed(base, 'ConfigMap', 'relay-config', (object) => {
      delete (object.data as Record<string, string>).RELAY_HOST;
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/RELAY_HOST=127\.0\.0\.1 is unreachable from outside the pod/),
    ]);
  });

  it('When a secret is put in a ConfigMap, then the check names it', async () => {
    const broken = changed(base, 'Deployment', 'relay', (object) => {
      const container = containerOf(object, 'relay');
      container.env = container.env?.map((v) =>
        v.name === 'RELAY_LINK_SECRET' ? { name: v.name, value: 'x'.repeat(40) } : v,
      );
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/RELAY_LINK_SECRET is secret but not from a Secret/),
    ]);
  });

  it('When a required variable is missing, then the check names it', async () => {
    const broken = changed(base, 'ConfigMap', 'relay-config', (object) => {
      delete (object.data as Record<string, string>).RELAY_PLATFORM_PRIVACY_TEAM_EMAIL;
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/required RELAY_PLATFORM_PRIVACY_TEAM_EMAIL is not set/),
    ]);
  });

  it('When a probe asks a path or port the service does not serve, then the check names it', async () => {
    const broken = changed(base, 'Deployment', 'intake', (object) => {
      const container = containerOf(object, 'intake');
      container.readinessProbe = { httpGet: { path: '/readyz', port: 8080 } };
      container.livenessProbe = { httpGet: { path: '/health', port: 'http' } };
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/livenessProbe asks \/health, not \/healthz/),
      expect.stringMatching(/livenessProbe path \/health is not served on port 3000/),
      expect.stringMatching(/readinessProbe port 8080 is no port the service listens on/),
    ]);
  });

  it('When the grace period is shorter than the graceful stop, then the check says so', async () => {
    const broken = changed(base, 'Deployment', 'relay', (object) => {
      (podSpecOf(object) as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds = 10;
    });
    expect(await checkServiceDeployments(broken, services)).toEqual([
      expect.stringMatching(/terminationGracePeriodSeconds 10 < preStop 5 s \+ SHUTDOWN_TIMEOUT_MS 15000 ms/),
    ]);
  });

  it('When a container has no requests or a writable root, then the check names it', () => {
    const broken = changed(base, 'Deployment', 'relay', (object) => {
      const container = containerOf(object, 'relay');
      delete container.resources?.requests;
      container.securityContext = { ...container.securityContext, readOnlyRootFilesystem: false };
    });
    expect(checkWorkloads(broken)).toEqual([
      expect.stringMatching(/container relay: no cpu and memory requests/),
      expect.stringMatching(/container relay: root filesystem writable/),
    ]);
  });

  it('When a Service names a port the pods do not have, then the check names it', () => {
    const broken = changed(base, 'Service', 'intake', (object) => {
      (object.spec as { ports: { targetPort: string }[] }).ports[1] = { targetPort: 'metrics' } as never;
    });
    expect(checkSelectors(broken)).toEqual([expect.stringMatching(/targetPort metrics is no container port/)]);
  });

  it('When the evidence claim is ReadWriteOnce, then the check says every instance must share it', () => {
    const broken = changed(base, 'PersistentVolumeClaim', 'relay-evidence', (object) => {
      (object.spec as { accessModes: string[] }).accessModes = ['ReadWriteOnce'];
    });
    expect(checkEvidenceVolume(broken)).toEqual([expect.stringMatching(/is not ReadWriteMany/)]);
  });
});

describe('The variable table of docs/deploy.md', () => {
  const doc = readFileSync(join(repositoryRoot, 'docs', 'deploy.md'), 'utf8');
  /** `| \`NAME\` | where | … |` rows: where is ConfigMap, Secret or default. */
  const rows = new Map(
    [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (ConfigMap|Secret|default)\b[^|]*\|/gm)].map((m) => [m[1], m[2]]),
  );

  describe.each([
    ['intake', intakeConfigSpec],
    ['relay', relayConfigSpec],
  ] as const)('%s', (service, spec) => {
    const deployment = findObject(base, 'Deployment', service) as KubeObject;
    const variables = environmentOf(containerOf(deployment, service), base);
    it.each(Object.values(spec).map((variable) => [variable.env]))(
      'When the service reads %s, then the table says where it comes from, as the base does',
      (name) => {
        const source = variables.get(name);
        const actual = !source ? 'default' : source.from === 'secret' ? 'Secret' : 'ConfigMap';
        expect(rows.get(name)).toBe(actual);
      },
    );
  });

  it('When the AWS SDK reads its keys, then the table lists them as Secret (optional)', () => {
    for (const name of AWS_SDK_VARIABLES) expect(rows.get(name)).toBe('Secret');
    for (const name of ALSO_SECRET) expect(rows.get(name)).toBe('Secret');
  });
});
