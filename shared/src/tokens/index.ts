export { sameSecret, signToken, verificationCodeFor, verifyToken } from './signed-token';
export type { TokenCheck, TokenClaims, TokenPurpose } from './signed-token';
