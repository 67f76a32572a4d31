import { signToken, verifyToken, type TokenCheck } from '@privacy-relay/shared/tokens';

/**
 * The links of a requester's export, both mailed to the address the export is for:
 * - the confirmation link, `/export/confirm/<token>/<sealed address>`: the token names a random
 *   ask id and is bound to the sealed address (neither can be swapped);
 * - the download link, `/exports/<token>/<key>`: the token names the export and is bound to the
 *   key the export is sealed with, which only this link carries.
 * Tokens in the path, never a query string; the access log names only the route pattern.
 */
export class ExportLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  confirmUrl(askId: string, sealedAddress: string, expiresAt: Date): string {
    const token = signToken(this.secret, {
      purpose: 'export-confirm',
      subject: askId,
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
      binding: sealedAddress,
    });
    return `${this.publicUrl}/export/confirm/${token}/${sealedAddress}`;
  }

  checkConfirm(token: string, sealedAddress: string, now: Date): TokenCheck {
    return verifyToken(this.secret, token, { purpose: 'export-confirm', now, binding: sealedAddress });
  }

  downloadUrl(exportId: string, key: string, expiresAt: Date): string {
    const token = signToken(this.secret, {
      purpose: 'export',
      subject: exportId,
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
      binding: key,
    });
    return `${this.publicUrl}/exports/${token}/${key}`;
  }

  checkDownload(token: string, key: string, now: Date): TokenCheck {
    return verifyToken(this.secret, token, { purpose: 'export', now, binding: key });
  }
}
