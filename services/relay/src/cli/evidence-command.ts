import { readFile, writeFile } from 'node:fs/promises';
import { commonConfigSpec, loadConfig } from '@privacy-relay/shared/config';
import { closeMongo, connectMongo } from '@privacy-relay/shared/mongo';
import { createLogger } from '@privacy-relay/shared/logger';
import { CheckpointDirectory } from '../adapters/evidence/checkpoint-directory';
import { MongoCaseEvidenceRepository } from '../adapters/mongo/case-evidence';
import { exportEvidence } from '../application/export-evidence';
import { relayConfigSpec } from '../config';
import { verifyEvidenceBundle } from '../domain/evidence/evidence-bundle';

/** What `relay evidence export` reads: the relay's database and its evidence directory, nothing secret. */
const exportConfigSpec = {
  logLevel: commonConfigSpec.logLevel,
  mongodbUri: commonConfigSpec.mongodbUri,
  mongodbDatabase: relayConfigSpec.mongodbDatabase,
  evidenceDir: relayConfigSpec.evidenceDir,
};

/**
 * `relay evidence export CASE_ID [--out FILE]`: writes the case's evidence bundle (JSON) to FILE,
 * else to standard output. The checkpoint and the public key come from the evidence directory.
 */
export async function runEvidenceExport(
  caseId: string,
  options: { outFile?: string; env: NodeJS.ProcessEnv; out: (text: string) => void; err: (line: string) => void },
): Promise<number> {
  const config = loadConfig(exportConfigSpec, options.env);
  const logger = createLogger({ name: 'relay-evidence', level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const connection = await connectMongo({ uri: config.mongodbUri, dbName: config.mongodbDatabase, logger });
  try {
    const result = await exportEvidence(
      new MongoCaseEvidenceRepository(connection),
      new CheckpointDirectory(config.evidenceDir),
      caseId,
      new Date(),
    );
    if (!result.ok) {
      options.err(`relay evidence export: ${result.problem}`);
      return 1;
    }
    const json = JSON.stringify(result.bundle, null, 2) + '\n';
    if (options.outFile) await writeFile(options.outFile, json, { flag: 'wx' });
    else options.out(json);
    const { bundle } = result;
    options.err(
      `case ${caseId}: ${bundle.entries.length} entries, ${bundle.notifications.length} notification(s), checkpoint ${bundle.checkpoint.body.seq}` +
        (options.outFile ? ` → ${options.outFile}` : ''),
    );
    if (result.notYetSigned > 0) {
      options.err(
        `${result.notYetSigned} later entries are not in a signed checkpoint yet: export again after the next one`,
      );
    }
    return 0;
  } finally {
    await closeMongo(connection);
  }
}

/**
 * `relay evidence verify BUNDLE [--public-key PEM]`: checks a bundle offline (no database, no
 * network). 0 and what was checked when it holds; 1 and what is wrong, and where, when not.
 */
export async function runEvidenceVerify(
  bundleFile: string,
  options: { publicKeyFile?: string; out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  let bundle: unknown;
  try {
    bundle = JSON.parse(await readFile(bundleFile, 'utf8'));
  } catch (error) {
    options.err(`FAILED ${bundleFile}: cannot read it as JSON (${(error as Error).message})`);
    return 1;
  }
  const trustedPublicKeyPem = options.publicKeyFile ? await readFile(options.publicKeyFile, 'utf8') : undefined;
  const check = verifyEvidenceBundle(bundle, trustedPublicKeyPem === undefined ? {} : { trustedPublicKeyPem });
  if (!check.ok) {
    options.err(`FAILED ${bundleFile}: ${check.problem}`);
    return 1;
  }
  for (const line of check.lines) options.out(line);
  if (!trustedPublicKeyPem) {
    options.out("the key is the bundle's own: compare its id with the published one, or pass --public-key");
  }
  options.out(`OK ${bundleFile}`);
  return 0;
}
