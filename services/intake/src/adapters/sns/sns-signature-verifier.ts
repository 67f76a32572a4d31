import { X509Certificate, createVerify } from 'node:crypto';
import { snsHostUrl, snsStringToSign, type SnsMessage } from './sns-message';

/** Fetches a URL's body as text (the signing certificate; the subscription confirmation). */
export type FetchText = (url: URL) => Promise<string>;

/** Why a message's signature was not accepted. */
export type SnsSignatureFailure =
  | 'signature-version' // a SignatureVersion not accepted by configuration (1 is SHA-1)
  | 'cert-url' // SigningCertURL is not an https .pem on an SNS host
  | 'cert-unavailable' // the certificate could not be fetched now (retry may help)
  | 'cert-untrusted' // not a certificate, expired, wrong subject, or not issued by the trusted CA
  | 'signature'; // the signature does not match the message

export class SnsSignatureError extends Error {
  constructor(
    readonly failure: SnsSignatureFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SnsSignatureError';
  }
}

export interface SnsSignatureVerifierOptions {
  /** How certificates are fetched; HTTPS (TLS to the SNS host is the trust) unless a test injects one. */
  fetchText?: FetchText;
  /**
   * A CA (PEM) that must have issued the signing certificate. Production leaves it unset and trusts
   * the certificate because it came over TLS from an SNS host; tests set their own CA.
   */
  trustedCaPem?: string | undefined;
  now?: () => Date;
  /** Certificates kept per URL (SNS rotates them rarely). */
  cacheSize?: number;
  /** The SignatureVersions accepted: 1 (RSA-SHA1) and 2 (RSA-SHA256) unless configured otherwise. */
  signatureVersions?: ReadonlyArray<SnsMessage['SignatureVersion']>;
}

const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** HTTPS GET with a timeout, no redirects and a bounded body. */
export const fetchTextOverHttps: FetchText = async (url) => {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url.hostname} answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_CERTIFICATE_BYTES) throw new Error(`GET ${url.hostname} answered a body too large`);
  return text;
};

/**
 * Verifies Amazon SNS message signatures, SignatureVersion 1 (RSA-SHA1) and 2 (RSA-SHA256), or only the
 * configured ones (SNS signs with version 2 once the topic's SignatureVersion attribute says so), with
 * the certificate named by SigningCertURL, which must be https on an SNS host.
 */
export class SnsSignatureVerifier {
  private readonly fetchText: FetchText;
  private readonly trustedCa: X509Certificate | undefined;
  private readonly now: () => Date;
  private readonly cacheSize: number;
  private readonly signatureVersions: ReadonlySet<string>;
  private readonly certificates = new Map<string, Promise<X509Certificate>>();

  constructor(options: SnsSignatureVerifierOptions = {}) {
    this.fetchText = options.fetchText ?? fetchTextOverHttps;
    // A broken configured CA is a deployment error: fail at start-up, not per message.
    this.trustedCa = options.trustedCaPem ? new X509Certificate(options.trustedCaPem) : undefined;
    this.now = options.now ?? (() => new Date());
    this.cacheSize = options.cacheSize ?? 16;
    this.signatureVersions = new Set(options.signatureVersions ?? ['1', '2']);
  }

  /** Resolves when the message is signed by SNS; rejects with an {@link SnsSignatureError} otherwise. */
  async verify(message: SnsMessage): Promise<void> {
    if (!this.signatureVersions.has(message.SignatureVersion)) {
      throw new SnsSignatureError('signature-version', `SignatureVersion ${message.SignatureVersion} is not accepted`);
    }
    const url = snsHostUrl(message.SigningCertURL);
    if (!url || !url.pathname.endsWith('.pem') || url.search || url.hash) {
      throw new SnsSignatureError('cert-url', 'SigningCertURL is not an https .pem URL on an SNS host');
    }
    const certificate = await this.certificate(url);
    this.checkTrusted(certificate, url);

    const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(snsStringToSign(message), 'utf8');
    let valid = false;
    try {
      valid = verifier.verify(certificate.publicKey, message.Signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new SnsSignatureError('signature', 'The message signature does not match');
  }

  private certificate(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const cached = this.certificates.get(key);
    if (cached) return cached;
    const loading = this.fetchText(url).then(
      (pem) => {
        try {
          return new X509Certificate(pem);
        } catch (error) {
          throw new SnsSignatureError('cert-untrusted', 'SigningCertURL does not hold a certificate', { cause: error });
        }
      },
      (error: unknown) => {
        throw new SnsSignatureError('cert-unavailable', 'The signing certificate could not be fetched', {
          cause: error,
        });
      },
    );
    // Only successes stay: a failed fetch is tried again with the next message.
    loading.catch(() => this.certificates.delete(key));
    if (this.certificates.size >= this.cacheSize) {
      const oldest = this.certificates.keys().next().value;
      if (oldest !== undefined) this.certificates.delete(oldest);
    }
    this.certificates.set(key, loading);
    return loading;
  }

  private checkTrusted(certificate: X509Certificate, url: URL): void {
    const now = this.now().getTime();
    if (now < certificate.validFromDate.getTime() || now > certificate.validToDate.getTime()) {
      throw new SnsSignatureError('cert-untrusted', 'The signing certificate is not valid now');
    }
    if (certificate.checkHost('sns.amazonaws.com') === undefined && certificate.checkHost(url.hostname) === undefined) {
      throw new SnsSignatureError('cert-untrusted', 'The signing certificate is not issued to SNS');
    }
    if (this.trustedCa && !(certificate.checkIssued(this.trustedCa) && certificate.verify(this.trustedCa.publicKey))) {
      throw new SnsSignatureError('cert-untrusted', 'The signing certificate is not issued by the trusted CA');
    }
  }
}
