/**
 * The custom arg every send carries. SendGrid returns custom args as top-level keys of each webhook
 * event, so this brings events back to their email, even bounces that arrive without sg_message_id.
 */
export const EMAIL_ID_ARG = 'mailroom_email_id';
