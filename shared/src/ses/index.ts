export { isPermanentRefusal, SesMailer, unverifiedIdentity } from './ses-mailer';
export type { Mailer, OutgoingMail, SesMailerOptions } from './ses-mailer';
